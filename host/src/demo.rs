//! `ticketbot demo`: the real bot against the built-in Discord emulator, no token needed.
//!
//! [`DemoWorld`] builds a small FiveM community in the emulator (a staff role, a panel channel,
//! a ticket category, a log channel) and the config that serves it; [`run`] walks through what
//! staff and players do and prints each step. The end-to-end tests use the same world.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ticketbot_emulator::Emulator;

use crate::app::{self, Mode};
use crate::config::Config;
use crate::discord::DiscordSettings;
use crate::tickets::router::CustomId;
use crate::tickets::SETUP_TEXT_COMMAND;

/// Permission bits used for the demo roles.
const VIEW_AND_SEND: u64 = (1 << 10) | (1 << 11) | (1 << 16);

/// A guild in the emulator with everything the config names.
#[derive(Clone, Debug)]
pub struct DemoWorld {
    /// The guild.
    pub guild: u64,
    /// The staff role.
    pub staff_role: u64,
    /// A staff member.
    pub staff: u64,
    /// A player.
    pub player: u64,
    /// Where the panel goes.
    pub panel_channel: u64,
    /// Where closed tickets are logged.
    pub log_channel: u64,
    /// The ticket category.
    pub category: u64,
    /// Where item-return requests go.
    pub item_return_channel: u64,
    /// Used when the ticket category is full.
    pub overflow_category: u64,
    /// Extra staff for "report" tickets only.
    pub moderator_role: u64,
    /// A member with only the moderator role.
    pub moderator: u64,
    /// Seconds between the close announcement and the channel's deletion.
    pub close_delay_seconds: u32,
    /// Text overrides for `[guild.texts]`.
    pub text_overrides: Vec<(String, String)>,
    /// The role that decides item returns.
    pub approver_role: u64,
    /// A staff member who also approves item returns.
    pub approver: u64,
    /// `[[guild.plugin]]` blocks (TOML): by default the built-in plugins, [`DEMO_PLUGINS`] then
    /// ticket-actions (whose settings name this world's categories).
    pub plugins: Vec<String>,
    /// Where compiled plugins are cached, if not beside the database (tests share one).
    pub plugin_cache: Option<std::path::PathBuf>,
    /// Allow native (unsandboxed) plugins.
    pub trust_native_plugins: bool,
}

/// The built-in plugins as the demo enables them.
pub const DEMO_PLUGINS: &[&str] = &[
    r#"[[guild.plugin]]
id = "poke"
builtin = "poke"
capabilities = ["dm", "storage"]
settings = { cooldown_seconds = 60 }
"#,
    r#"[[guild.plugin]]
id = "item-return"
builtin = "item-return"
capabilities = ["post-messages", "storage", "notes"]
"#,
    r#"[[guild.plugin]]
id = "voice-call"
builtin = "voice-call"
capabilities = ["voice-channels", "timers", "storage"]
settings = { empty_minutes = 5 }
"#,
];

impl DemoWorld {
    /// Creates the community in `emulator`.
    pub fn create(emulator: &Emulator) -> Self {
        let owner = emulator.create_user("dono");
        let guild = emulator.create_guild("Los Santos Roleplay", owner);
        let staff_role = emulator.create_role(guild, "Staff", VIEW_AND_SEND);
        let staff = emulator.create_user("officer_rodrigues");
        let player = emulator.create_user("vinewood_vic");
        emulator.add_member(guild, owner, &[]);
        emulator.add_member(guild, staff, &[staff_role]);
        emulator.add_member(guild, player, &[]);
        emulator.add_member(guild, emulator.bot_id(), &[]);
        let panel_channel = emulator.create_text_channel(guild, "abrir-ticket", None);
        let log_channel = emulator.create_text_channel(guild, "ticket-logs", None);
        let category = emulator.create_category(guild, "Tickets");
        let item_return_channel = emulator.create_text_channel(guild, "devolucao-itens", None);
        let overflow_category = emulator.create_category(guild, "Tickets 2");
        let moderator_role = emulator.create_role(guild, "Moderação", VIEW_AND_SEND);
        let moderator = emulator.create_user("mod_lucia");
        emulator.add_member(guild, moderator, &[moderator_role]);
        let approver_role = emulator.create_role(guild, "Administração", VIEW_AND_SEND);
        let approver = emulator.create_user("admin_sofia");
        emulator.add_member(guild, approver, &[staff_role, approver_role]);
        Self {
            guild,
            staff_role,
            staff,
            player,
            panel_channel,
            log_channel,
            category,
            item_return_channel,
            overflow_category,
            moderator_role,
            moderator,
            close_delay_seconds: 10,
            text_overrides: Vec::new(),
            approver_role,
            approver,
            plugins: DEMO_PLUGINS
                .iter()
                .map(|p| (*p).to_owned())
                .chain([format!(
                    "[[guild.plugin]]\nid = \"ticket-actions\"\nbuiltin = \"ticket-actions\"\n\
                     capabilities = [\"rename-channel\", \"move-channel\"]\n\
                     settings = {{ categories = [{{ id = \"{category}\", label = \"Tickets\" }}, \
                     {{ id = \"{overflow_category}\", label = \"Tickets 2\" }}] }}\n"
                )])
                .collect(),
            plugin_cache: None,
            trust_native_plugins: false,
        }
    }

    /// A config serving this guild, with the database at `database` and the web server on
    /// `listen`.
    pub fn config_toml(&self, database: &Path, listen: SocketAddr, locale: &str) -> String {
        let mut text = format!(
            r#"database = {database:?}
trust_native_plugins = {native}
{cache}locale = "{locale}"

[web]
listen = "{listen}"
public_url = "http://{listen}"

[[guild]]
id = {guild}
name = "Los Santos Roleplay"
panel_channel = {panel}
log_channel = {log}
ticket_category = {category}
overflow_categories = [{overflow}]
staff_roles = [{staff_role}]
item_return_channel = {items}
approver_roles = [{approvers}]
close_delay_seconds = {delay}

[[guild.ticket_type]]
id = "support"
label = "Suporte"
emoji = "🛠️"
description = "Dúvidas e problemas no servidor"

[[guild.ticket_type]]
id = "report"
label = "Denúncia"
emoji = "🚨"
description = "Denunciar um jogador"
staff_roles = [{moderators}]
"#,
            database = database.display().to_string(),
            native = self.trust_native_plugins,
            cache = self
                .plugin_cache
                .as_ref()
                .map(|dir| format!("plugin_cache = {:?}\n", dir.display().to_string()))
                .unwrap_or_default(),
            guild = self.guild,
            panel = self.panel_channel,
            log = self.log_channel,
            category = self.category,
            staff_role = self.staff_role,
            items = self.item_return_channel,
            overflow = self.overflow_category,
            delay = self.close_delay_seconds,
            moderators = self.moderator_role,
            approvers = self.approver_role,
        );
        for plugin in &self.plugins {
            text.push('\n');
            text.push_str(plugin);
        }
        if !self.text_overrides.is_empty() {
            text.push_str("\n[guild.texts]\n");
            for (key, value) in &self.text_overrides {
                text.push_str(&format!("{key} = {value:?}\n"));
            }
        }
        text
    }

    /// The parsed config (checked like any file).
    pub fn config(&self, database: &Path, listen: SocketAddr, locale: &str) -> Config {
        let text = self.config_toml(database, listen, locale);
        let path = database.with_file_name("demo-config.toml");
        match Config::parse(&path, text) {
            Ok(config) => config,
            Err(error) => panic!("the demo config is invalid (a bug):\n{error}"),
        }
    }
}

/// The bot's settings for `emulator`.
pub fn settings(emulator: &Emulator) -> DiscordSettings {
    DiscordSettings {
        token: emulator.token().to_owned(),
        api_base: Some(emulator.api_base()),
    }
}

const STEP: Duration = Duration::from_secs(10);

fn say(step: &str) {
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

/// What the demo runs besides the built-ins, and whether it waits for Ctrl-C at the end.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// The guild's language: `pt-BR` or `en`.
    pub locale: String,
    /// Extra plugin components to enable (granted what they ask for) and try.
    pub plugins: Vec<std::path::PathBuf>,
    /// Settings for the extra plugins, as the inside of a TOML table.
    pub plugin_settings: Option<String>,
    /// Keep the transcript server running until Ctrl-C after the walk-through.
    pub stay: bool,
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

/// Describes the component at `path` (its manifest), for enabling it in the demo.
fn describe_plugin(path: &Path) -> anyhow::Result<crate::plugins::Manifest> {
    let engine = crate::plugins::engine::build()?;
    let config = crate::config::PluginConfig {
        id: String::new(),
        source: crate::config::PluginSource::Path(path.to_owned()),
        capabilities: Vec::new(),
        settings: toml::Table::new(),
    };
    match crate::plugins::load_one(&engine, &crate::plugins::ComponentCache::new(None), &config) {
        Ok((instance, _)) => Ok(instance.manifest().clone()),
        Err(crate::plugins::PluginError::WrongId { found, .. }) => {
            // Loading under the empty id fails after describing: that is the manifest we want.
            let config = crate::config::PluginConfig {
                id: found,
                ..config
            };
            let (instance, _) = crate::plugins::load_one(
                &engine,
                &crate::plugins::ComponentCache::new(None),
                &config,
            )?;
            Ok(instance.manifest().clone())
        }
        Err(error) => Err(error.into()),
    }
}

/// Runs the walk-through with a database in `workdir`: a whole ticket from the panel to the
/// transcript, printing each step as it happens.
pub async fn run(workdir: &Path, options: &DemoOptions) -> anyhow::Result<()> {
    let emulator = Emulator::start().await?;
    say(&format!(
        "Discord emulator listening at {}",
        emulator.api_base()
    ));
    let mut world = DemoWorld::create(&emulator);
    world.close_delay_seconds = 3;
    let mut extra = Vec::new();
    for path in &options.plugins {
        let path =
            std::fs::canonicalize(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let manifest = describe_plugin(&path)?;
        let grants = manifest
            .capabilities
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        world.plugins.push(format!(
            "[[guild.plugin]]\nid = {:?}\npath = {:?}\ncapabilities = [{grants}]\nsettings = {{ {} }}\n",
            manifest.id,
            path.display().to_string(),
            options.plugin_settings.as_deref().unwrap_or("")
        ));
        say(&format!(
            "enabling plugin {} ({}) from {}, granted: {}",
            manifest.id,
            manifest.name,
            path.display(),
            if grants.is_empty() {
                "nothing".into()
            } else {
                grants
            }
        ));
        extra.push(manifest);
    }
    let database = workdir.join("ticketbot-demo.duckdb");
    // A fixed free port rather than `:0`, so the links in the DM and the log (built from the
    // config's `public_url`) point at the server that really runs.
    let listen: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let text = world.config_toml(&database, listen, &options.locale);
    let config = Config::parse(&database.with_file_name("demo-config.toml"), text)
        .map_err(|e| anyhow::anyhow!("the demo config is invalid:\n{e}"))?;
    let running = app::start(Arc::new(config), Mode::Full(settings(&emulator))).await?;
    let base = format!("http://{}", running.web_addr());
    say(&format!(
        "database {}, transcript server at {base}",
        database.display()
    ));
    let ready = tokio::time::timeout(STEP, running.ready())
        .await?
        .unwrap_or_else(|| unreachable!("bot mode"));
    say(&format!(
        "bot connected (READY), in {} guild(s)",
        ready.guilds.len()
    ));

    let walked = walk(&emulator, &world, &extra, &base).await;
    let problems = emulator.model_errors();
    if let Ok(link) = &walked {
        say(&format!("the transcript: {link}"));
        if options.stay {
            say("open it in a browser; the server keeps running until Ctrl-C");
            crate::app::stop_requested().await;
        }
    }
    running.stop().await;
    walked?;
    if !problems.is_empty() {
        anyhow::bail!(
            "the emulator saw payloads Discord would refuse:\n{}",
            problems.join("\n")
        );
    }
    say("demo finished: the bot stopped cleanly");
    Ok(())
}

/// The reason staff give when closing the demo's ticket (the transcript page shows it).
const CLOSE_REASON: &str = "itens devolvidos";

/// The steps; returns the transcript link.
async fn walk(
    emulator: &Emulator,
    world: &DemoWorld,
    extra: &[crate::plugins::Manifest],
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
    let opened = player
        .choose(menu_id, &CustomId::ChooseType.to_string(), &["support"])?
        .message(STEP)
        .await?;
    say(&format!(
        "{player_name} chooses \"Suporte\"; bot answers: {}",
        describe(&opened)
    ));
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

    // Poke.
    let poke = staff
        .click(welcome_id, &Walk::button(&welcome, "pl:poke:")?)?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} presses Poke; bot {}",
        Walk::answer(&poke)
    ));
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

    // Note.
    let note = staff
        .click(welcome_id, &Walk::button(&welcome, "tb:note:")?)?
        .response(STEP)
        .await?;
    say(&format!(
        "{staff_name} presses Add note; bot {}",
        Walk::answer(&note)
    ));
    let from = emulator.log_position();
    staff.say(channel, "Devolução aprovada; jogador avisado.")?;
    let acknowledged = w
        .posted(from, channel, "the note's acknowledgement", |_| true)
        .await?;
    say(&format!(
        "{staff_name} writes the note; bot: {}",
        describe(&acknowledged)
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
                button.label,
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
    let dm = w.wait_dm(world.player, 1).await?;
    say(&format!("{player_name} receives a DM: {}", describe(&dm)));
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
