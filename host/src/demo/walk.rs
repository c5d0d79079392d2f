//! The demo's walk-through: what staff and players do, step by step, printed as it happens.

use std::time::Duration;

use serde_json::Value;
use ticketbot_emulator::Emulator;

use crate::tickets::router::CustomId;
use crate::tickets::SETUP_TEXT_COMMAND;

use super::world::DemoWorld;

pub(super) const STEP: Duration = Duration::from_secs(10);

pub(super) fn say(step: &str) {
    println!("▶ {step}");
}

fn describe(message: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(content) = message["content"].as_str().filter(|c| !c.is_empty()) {
        parts.push(format!("\"{content}\""));
    }
    for embed in message["embeds"].as_array().into_iter().flatten() {
        parts.push(format!(
            "[embed: {}]",
            embed["title"].as_str().unwrap_or("")
        ));
    }
    for row in message["components"].as_array().into_iter().flatten() {
        for item in row["components"].as_array().into_iter().flatten() {
            let label = item["label"]
                .as_str()
                .or(item["placeholder"].as_str())
                .unwrap_or("?");
            parts.push(format!("[{}]", label));
        }
    }
    parts.join(" ")
}

/// The demo's actors and their names, for printing.
struct Walk<'a> {
    emulator: &'a Emulator,
    world: &'a DemoWorld,
}

impl Walk<'_> {
    fn name(&self, user: u64) -> String {
        self.emulator
            .world(|w| w.users.get(&user).map(|u| u.name.clone()))
            .unwrap_or_else(|| user.to_string())
    }

    /// The first message the bot posted in `channel` after `from` that `matches`.
    async fn posted(
        &self,
        from: usize,
        channel: u64,
        what: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let path = format!("/channels/{channel}/messages");
        let found = self
            .emulator
            .wait_for_after(from, STEP, what, |r| {
                r.method == "POST"
                    && r.path.ends_with(&path)
                    && r.status < 300
                    && matches(&r.response)
            })
            .await?;
        Ok(found.response)
    }

    /// The custom_id on `message` that starts with `prefix`.
    fn button(message: &Value, prefix: &str) -> anyhow::Result<String> {
        message["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().into_iter().flatten())
            .filter_map(|c| c["custom_id"].as_str())
            .find(|id| id.starts_with(prefix))
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no button {prefix}… on the message"))
    }

    /// The text of an interaction's initial response.
    fn answer(response: &Value) -> String {
        let data = &response["data"];
        let ephemeral = data["flags"].as_u64().unwrap_or(0) & 64 != 0;
        let shown = describe(data);
        match response["type"].as_u64() {
            Some(9) => format!("opens a form \"{}\"", data["title"].as_str().unwrap_or("")),
            Some(7) => format!("updates the message: {shown}"),
            Some(6) => "acknowledges".to_owned(),
            _ if ephemeral => format!("answers privately: {shown}"),
            _ => format!("answers: {shown}"),
        }
    }

    fn dms(&self, user: u64) -> Vec<Value> {
        self.emulator
            .world(|w| w.dm_channels.get(&user).copied())
            .map(|channel| self.emulator.messages_in(channel))
            .unwrap_or_default()
    }

    async fn wait_dm(&self, user: u64, count: usize) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(dm) = self.dms(user).into_iter().nth(count) {
                return Ok(dm);
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "no DM arrived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn voice_channels(&self) -> Vec<u64> {
        let guild = self.world.guild;
        self.emulator.world(|w| {
            w.channels
                .values()
                .filter(|c| c.guild_id == Some(guild) && c.kind == 2)
                .map(|c| c.id)
                .collect()
        })
    }
}

/// The reason staff give when closing the demo's ticket (the transcript page shows it).
const CLOSE_REASON: &str = "itens devolvidos";

/// The steps; returns the transcript link.
pub(super) async fn walk(
    emulator: &Emulator,
    world: &DemoWorld,
    extra: &[crate::plugins::Manifest],
    actions: &[String],
    base: &str,
) -> anyhow::Result<String> {
    let w = Walk { emulator, world };
    let staff = emulator.user(world.staff);
    let player = emulator.user(world.player);
    let approver = emulator.user(world.approver);
    let (staff_name, player_name) = (w.name(world.staff), w.name(world.player));

    // The panel.
    let from = emulator.log_position();
    staff.say(world.panel_channel, SETUP_TEXT_COMMAND)?;
    say(&format!(
        "{staff_name} (Staff) types {SETUP_TEXT_COMMAND} in #abrir-ticket"
    ));
    let panel = w
        .posted(from, world.panel_channel, "the panel", |m| {
            !m["embeds"].as_array().is_none_or(Vec::is_empty)
        })
        .await?;
    say(&format!("bot posts the panel: {}", describe(&panel)));
    let panel_id: u64 = panel["id"].as_str().unwrap_or_default().parse()?;

    // Open.
    let menu = player
        .click(panel_id, &CustomId::OpenPanel.to_string())?
        .message(STEP)
        .await?;
    say(&format!(
        "{player_name} clicks the panel's button; bot answers only them: {}",
        describe(&menu)
    ));
    let menu_id: u64 = menu["id"].as_str().unwrap_or_default().parse()?;
    let from = emulator.log_position();
    let choice = player.choose(menu_id, &CustomId::ChooseType.to_string(), &["support"])?;
    let first = choice.response(STEP).await?;
    let opened = if first["type"] == 9 {
        // The questions action asks first, in a form, before the channel exists.
        let inputs: Vec<(String, String)> = first["data"]["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|row| {
                let input = &row["components"][0];
                Some((
                    input["custom_id"].as_str()?.to_owned(),
                    input["label"].as_str()?.to_owned(),
                ))
            })
            .collect();
        say(&format!(
            "{player_name} chooses \"Suporte\"; bot asks first, in a form: {}",
            inputs
                .iter()
                .map(|(_, label)| format!("\"{label}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let answers: Vec<(&str, &str)> = inputs
            .iter()
            .map(|(id, _)| {
                let value = if id.ends_with("game-id") {
                    "4711"
                } else {
                    "Perdi meu carro depois de um crash."
                };
                (id.as_str(), value)
            })
            .collect();
        let answered = player
            .submit_modal(&choice, &answers)?
            .message(STEP)
            .await?;
        say(&format!(
            "{player_name} answers (in-game id 4711); bot answers: {}",
            describe(&answered)
        ));
        answered
    } else {
        let opened = choice.message(STEP).await?;
        say(&format!(
            "{player_name} chooses \"Suporte\"; bot answers: {}",
            describe(&opened)
        ));
        opened
    };
    let url = opened["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap_or_default();
    let channel: u64 = url.rsplit('/').next().unwrap_or_default().parse()?;
    let welcome = w
        .posted(from, channel, "the welcome message", |m| {
            !m["embeds"].as_array().is_none_or(Vec::is_empty)
        })
        .await?;
    say(&format!(
        "bot creates the private channel and posts the welcome: {}",
        describe(&welcome)
    ));
    let welcome_id: u64 = welcome["id"].as_str().unwrap_or_default().parse()?;
    player.say(
        channel,
        "Perdi meu carro e 2 armas depois de um crash do servidor.",
    )?;
    say(&format!("{player_name} writes in the ticket"));

    // Claim.
    let claim = staff
        .click(welcome_id, &Walk::button(&welcome, "tb:claim:")?)?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} claims the ticket; bot {}",
        Walk::answer(&claim)
    ));
    staff.say(channel, "Olá! Estou vendo o seu caso agora.")?;
    say(&format!("{staff_name} answers in the ticket"));

    // Poke.
    let poke = staff.click(welcome_id, &Walk::button(&welcome, "pl:poke:")?)?;
    let first = poke.response(STEP).await?;
    // Poke's answer waits for its DM (deferred, then the message it became).
    let answer = if first["type"] == 5 {
        format!(
            "answers privately: {}",
            describe(&poke.message(STEP).await?)
        )
    } else {
        Walk::answer(&first)
    };
    say(&format!("{staff_name} presses Poke; bot {answer}"));
    let dm = w.wait_dm(world.player, 0).await?;
    say(&format!("{player_name} receives a DM: {}", describe(&dm)));

    // Item return.
    let form = staff.click(welcome_id, &Walk::button(&welcome, "pl:item-return:")?)?;
    say(&format!(
        "{staff_name} presses Item return; bot {}",
        Walk::answer(&form.response(STEP).await?)
    ));
    let from = emulator.log_position();
    let sent = staff
        .submit_modal(
            &form,
            &[("recipient", "4711"), ("items", "1x Sultan RS\n2x pistol")],
        )?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} fills in id 4711 and the items; bot {}",
        Walk::answer(&sent)
    ));
    let request = w
        .posted(
            from,
            world.item_return_channel,
            "the item-return request",
            |_| true,
        )
        .await?;
    say(&format!(
        "bot posts the request in #devolucao-itens: {}",
        describe(&request)
    ));
    let request_id: u64 = request["id"].as_str().unwrap_or_default().parse()?;
    let decided = approver
        .click(request_id, &Walk::button(&request, "pl:item-return:")?)?
        .response(STEP)
        .await?;
    say(&format!(
        "{} (Administração) presses Approve; bot {}",
        w.name(world.approver),
        Walk::answer(&decided)
    ));

    // Voice call.
    let call = player
        .click(welcome_id, &Walk::button(&welcome, "pl:voice-call:")?)?
        .response(STEP)
        .await?;
    say(&format!(
        "{player_name} presses Voice call; bot {}",
        Walk::answer(&call)
    ));
    let deadline = tokio::time::Instant::now() + STEP;
    let voice = loop {
        if let Some(voice) = w.voice_channels().first().copied() {
            break voice;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no voice channel was created"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    player.join_voice(voice)?;
    say(&format!(
        "{player_name} joins the ticket's voice channel <#{voice}>, then leaves"
    ));
    player.leave_voice(world.guild)?;

    // Note, in a form: only staff ever see it.
    let form = staff.click(welcome_id, &Walk::button(&welcome, "tb:note:")?)?;
    let opened = form.response(STEP).await?;
    say(&format!(
        "{staff_name} presses Add note; bot {}",
        Walk::answer(&opened)
    ));
    let saved = staff
        .submit_modal(&form, &[("note", "Devolução aprovada; jogador avisado.")])?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} writes the note; bot {}",
        Walk::answer(&saved)
    ));

    // Plugins under test.
    for manifest in extra {
        for button in &manifest.buttons {
            let prefix = format!("pl:{}:", manifest.id);
            let id = Walk::button(&welcome, &prefix)
                .ok()
                .and_then(|_| {
                    welcome["components"]
                        .as_array()?
                        .iter()
                        .flat_map(|row| row["components"].as_array().into_iter().flatten())
                        .filter_map(|c| c["custom_id"].as_str())
                        .find(|id| {
                            id.starts_with(&prefix) && id.ends_with(&format!(":b:{}", button.id))
                        })
                        .map(str::to_owned)
                })
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "plugin {} has no button {} on the welcome",
                        manifest.id,
                        button.id
                    )
                })?;
            let from = emulator.log_position();
            let response = staff.click(welcome_id, &id)?.response(STEP).await?;
            say(&format!(
                "{staff_name} presses {} ({}); bot {}",
                crate::plugins::contract::pick(&button.label, "en"),
                manifest.id,
                Walk::answer(&response)
            ));
            tokio::time::sleep(Duration::from_millis(300)).await;
            for request in emulator.requests().iter().skip(from) {
                if request.method != "GET" && !request.path.contains("/interactions/") {
                    say(&format!(
                        "   effect: {} {} -> {} {}",
                        request.method,
                        request.path,
                        request.status,
                        describe(&request.response)
                    ));
                }
            }
        }
    }

    // Close.
    let form = staff.click(welcome_id, &Walk::button(&welcome, "tb:close:")?)?;
    form.response(STEP).await?;
    let from = emulator.log_position();
    let closing = staff
        .submit_modal(&form, &[("reason", CLOSE_REASON)])?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} closes with the reason \"{CLOSE_REASON}\"; bot {}",
        Walk::answer(&closing)
    ));
    let log = w
        .posted(from, world.log_channel, "the close log", |m| {
            !m["attachments"].as_array().is_none_or(Vec::is_empty)
        })
        .await?;
    say(&format!(
        "the channel is deleted; the log channel gets: {}",
        describe(&log)
    ));
    let rating = actions.iter().any(|a| a == "feedback");
    // The close DM, and with the feedback action a second one asking for a rating (in either
    // order: both follow the close).
    w.wait_dm(world.player, if rating { 2 } else { 1 }).await?;
    let dms = w.dms(world.player);
    let is_rating = |m: &Value| Walk::button(m, "pl:feedback:").is_ok();
    let dm = dms
        .iter()
        .skip(1)
        .find(|m| !is_rating(m))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no close DM"))?;
    say(&format!("{player_name} receives a DM: {}", describe(&dm)));
    if rating {
        // The feedback action asks the opener to rate the ticket, by DM.
        let ask = dms
            .iter()
            .find(|m| is_rating(m))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no rating DM"))?;
        say(&format!("{player_name} receives a DM: {}", describe(&ask)));
        let ask_id: u64 = ask["id"].as_str().unwrap_or_default().parse()?;
        let four = Walk::button(&ask, "pl:feedback:")?;
        let four = four.replace("stars-1", "stars-4");
        let rated = player.click(ask_id, &four)?.response(STEP).await?;
        say(&format!(
            "{player_name} gives 4 stars; bot {}",
            Walk::answer(&rated)
        ));
    }
    let link = log["embeds"][0]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["value"].as_str())
        .find(|v| v.contains("/api/ticket/"))
        .map(|v| {
            let start = v.find("http").unwrap_or(0);
            v[start..].trim_end_matches([')', '>']).to_owned()
        })
        .ok_or_else(|| anyhow::anyhow!("the close log has no transcript link"))?;
    anyhow::ensure!(
        link.starts_with(base),
        "the transcript link {link} is not on the running server {base}"
    );
    let page = reqwest::get(&link).await?;
    let status = page.status();
    let body = page.text().await?;
    anyhow::ensure!(
        status.is_success() && body.contains(CLOSE_REASON),
        "the transcript link answered {status} without the close reason"
    );
    say(&format!(
        "the transcript link answers: {} KB of HTML",
        body.len() / 1024
    ));
    anyhow::ensure!(
        w.voice_channels().is_empty(),
        "the voice channel outlived its ticket"
    );
    Ok(link)
}
