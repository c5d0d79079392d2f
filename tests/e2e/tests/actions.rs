//! The five optional built-in actions end to end through the emulator: auto-close (with a
//! restart between warning and close, and a pause), questions (a wrong answer refused with no
//! ticket created, then the form again), feedback (stars, a comment, the statistics), saved
//! replies, and FiveM player info against a small server in FiveM's format on loopback.

use serde_json::Value;
use ticketbot::demo::DemoWorld;
use ticketbot::store::TicketStatus;
use ticketbot_e2e::{answer_text, custom_ids, eventually, id_of, says, Harness, WAIT};

/// Enables built-in `id`, granted `capabilities`, with `settings` (TOML lines of its settings
/// table) and `extra` keys of the plugin block.
fn enable(w: &mut DemoWorld, id: &str, capabilities: &[&str], settings: &str, extra: &str) {
    w.plugins.push(format!(
        "[[guild.plugin]]\nid = \"{id}\"\nbuiltin = \"{id}\"\ncapabilities = {capabilities:?}\n{extra}\n[guild.plugin.settings]\n{settings}\n"
    ));
}

fn button(welcome: &Value, plugin: &str, id: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|c| c.starts_with(&format!("pl:{plugin}:")) && c.ends_with(&format!(":b:{id}")))
        .unwrap_or_else(|| panic!("no {plugin}/{id} button in {welcome}"))
}

fn field<'a>(embed: &'a Value, name: &str) -> Option<&'a str> {
    embed["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
}

fn dms_of(h: &Harness, user: u64) -> Vec<Value> {
    h.emu
        .world(|w| w.dm_channels.get(&user).copied())
        .map(|channel| h.emu.messages_in(channel))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_close_warns_restarts_on_the_openers_word_and_closes_across_a_restart() {
    let mut h = Harness::start_with("pt-BR", |w| {
        w.close_delay_seconds = 1;
        enable(
            w,
            "auto-close",
            &["timers", "storage", "read-messages", "close-tickets"],
            "warn_after = \"2s\"\nclose_after = \"4s\"",
            "",
        );
    })
    .await;
    let (channel, _) = h.open_ticket(h.world.player, "report").await;
    let player = h.world.player;
    let warning = format!("⏳ <@{player}>, este ticket fecha em 4 segundos se você não responder.");
    let first = h.message_where(0, channel, |m| says(m, &warning)).await;
    assert_eq!(
        first["mentions"][0]["id"],
        player.to_string(),
        "the opener is pinged"
    );

    // The opener answers: the wait starts again, so a second warning comes instead of a close.
    let from = h.emu.log_position();
    h.emu.user(player).say(channel, "ainda estou aqui").unwrap();
    h.message_where(from, channel, |m| says(m, &warning)).await;
    assert_eq!(
        h.ticket_in(channel).await.unwrap().status,
        TicketStatus::Open
    );

    // A restart between the warning and the close: the close still comes, from the store.
    h.restart().await;
    let closed = h
        .wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    assert_eq!(
        closed.close_reason.as_deref(),
        Some("sem resposta de quem abriu")
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_pause_and_resume_auto_close_and_only_staff_may() {
    let h = Harness::start_with("en", |w| {
        enable(
            w,
            "auto-close",
            &["timers", "storage", "read-messages", "close-tickets"],
            "warn_after = \"1h\"\nclose_after = \"1h\"",
            "",
        );
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    let timers = || async { h.bot().store().plugin_timers_of(ticket.id).await.unwrap() };
    eventually("the warning timer", || {
        let found =
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(timers()));
        (!found.is_empty()).then_some(())
    })
    .await;
    let pause = button(&welcome, "auto-close", "pause");
    let refused = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &pause)
        .unwrap();
    assert_eq!(answer_text(&refused).await, "Only staff can do that.");
    let paused = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &pause)
        .unwrap();
    assert_eq!(
        answer_text(&paused).await,
        format!("⏸️ Auto-close paused by <@{}>.", h.world.staff)
    );
    // Paused, nothing is pending for the ticket, whatever the opener says.
    eventually("the timers cancelled", || {
        let found =
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(timers()));
        found.is_empty().then_some(())
    })
    .await;
    let resumed = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &pause)
        .unwrap();
    assert!(answer_text(&resumed)
        .await
        .starts_with("▶️ Auto-close resumed"));
    let pending = eventually("the warning timer again", || {
        let found =
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(timers()));
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(pending[0].key, "warn");
    h.finish().await;
}

const QUESTIONS: &str = r#"[[guild.plugin.settings.questions]]
type = "support"
id = "game-id"
label = "Seu ID no jogo"
max = 10
pattern = "[0-9]+"
pattern_error = "só números, por exemplo 4711"
placeholder = "4711"
[[guild.plugin.settings.questions]]
id = "what"
label = "O que aconteceu?"
paragraph = true
max = 500
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_refuse_a_wrong_answer_without_a_ticket_then_open_with_the_answers() {
    let h = Harness::start_with("pt-BR", |w| {
        w.close_delay_seconds = 1;
        w.plugins.push(format!(
            "[[guild.plugin]]\nid = \"questions\"\nbuiltin = \"questions\"\n{QUESTIONS}"
        ));
    })
    .await;
    let player = h.emu.user(h.world.player);
    let menu = h.type_menu(h.world.player).await;
    let choice = player
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap();
    let form = choice.response(WAIT).await.unwrap();
    assert_eq!(form["type"], 9);
    let inputs: Vec<&Value> = form["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row["components"][0])
        .collect();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["label"], "Seu ID no jogo");
    assert_eq!(inputs[0]["max_length"], 10);
    assert_eq!(inputs[1]["style"], 2, "a paragraph");

    // A wrong answer: told what to fix and what was typed; no ticket; the form again.
    let wrong = player
        .submit_modal(
            &choice,
            &[
                ("questions/game-id", "abc"),
                ("questions/what", "perdi meu carro"),
            ],
        )
        .unwrap();
    let answer = wrong.response(WAIT).await.unwrap();
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(
        text.contains("**Seu ID no jogo**: só números, por exemplo 4711")
            && text.contains("perdi meu carro"),
        "{text}"
    );
    assert!(h
        .bot()
        .store()
        .tickets_of_guild(h.world.guild)
        .await
        .unwrap()
        .is_empty());
    // The button is on the (ephemeral) answer.
    let refusal = wrong.message(WAIT).await.unwrap();
    let again_id = custom_ids(&refusal).concat()[0].clone();
    let again = player.click(id_of(&refusal), &again_id).unwrap();
    assert_eq!(
        again.response(WAIT).await.unwrap()["type"],
        9,
        "the form again"
    );
    let right = player
        .submit_modal(
            &again,
            &[
                ("questions/game-id", "4711"),
                ("questions/what", "perdi meu carro"),
            ],
        )
        .unwrap();
    let link = right.message(WAIT).await.unwrap();
    let url = link["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let channel: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let welcome = eventually("the welcome", || {
        h.emu
            .messages_in(channel)
            .into_iter()
            .find(|m| !custom_ids(m).is_empty())
    })
    .await;
    assert_eq!(field(&welcome["embeds"][0], "Seu ID no jogo"), Some("4711"));
    assert_eq!(
        field(&welcome["embeds"][0], "O que aconteceu?"),
        Some("perdi meu carro")
    );

    // The close log and the transcript carry them too.
    let from = h.emu.log_position();
    let closed = h.close_by_staff(channel, &welcome, "resolvido").await;
    let log = h
        .message_where(from, h.world.log_channel, |m| {
            m["embeds"][0]["title"] == "Ticket #1 fechado"
        })
        .await;
    assert_eq!(field(&log["embeds"][0], "Seu ID no jogo"), Some("4711"));
    let (_, page) = h.get(&format!("/api/ticket/{}", h.token(&closed))).await;
    assert!(page.contains("Seu ID no jogo") && page.contains("4711"));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_rates_once_with_a_comment_and_shows_in_the_statistics() {
    let h = Harness::start_with("pt-BR", |w| {
        w.close_delay_seconds = 1;
        enable(w, "feedback", &["dm", "storage", "feedback"], "", "");
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    h.emu
        .user(h.world.staff)
        .click(id_of(&welcome), &format!("tb:claim:{}", ticket.id))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    h.close_by_staff(channel, &welcome, "resolvido").await;
    let ask = eventually("the rating DM", || {
        dms_of(&h, h.world.player)
            .into_iter()
            .find(|m| custom_ids(m).concat().len() == 5)
    })
    .await;
    assert_eq!(ask["embeds"][0]["title"], "Como foi o seu atendimento?");
    let four = custom_ids(&ask).concat()[3].clone();
    let player = h.emu.user(h.world.player);
    let rated = player.click(id_of(&ask), &four).unwrap();
    let update = rated.response(WAIT).await.unwrap();
    assert_eq!(update["type"], 7, "the DM is updated");
    assert_eq!(
        update["data"]["content"],
        "Obrigado! Você deu ⭐⭐⭐⭐ ao ticket #1."
    );
    let stored = eventually("the rating stored", || {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().feedback(ticket.id))
        })
        .unwrap()
    })
    .await;
    assert_eq!((stored.stars, stored.staff_id), (4, Some(h.world.staff)));

    // A comment, from the button on the updated DM.
    let updated = eventually("the updated DM", || {
        dms_of(&h, h.world.player)
            .into_iter()
            .find(|m| id_of(m) == id_of(&ask))
    })
    .await;
    let comment = custom_ids(&updated).concat()[0].clone();
    let form = player.click(id_of(&updated), &comment).unwrap();
    assert_eq!(form.response(WAIT).await.unwrap()["type"], 9);
    let sent = player
        .submit_modal(&form, &[("comment", "atendimento rápido")])
        .unwrap();
    sent.response(WAIT).await.unwrap();
    let stored = eventually("the comment", || {
        let found = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().feedback(ticket.id))
        })
        .unwrap()?;
        found.comment.is_some().then_some(found)
    })
    .await;
    assert_eq!(
        (stored.stars, stored.comment.as_deref()),
        (4, Some("atendimento rápido"))
    );

    // Once per ticket: the stars are gone from the DM, only the comment button is left.
    assert_eq!(custom_ids(&updated).concat().len(), 1);

    // The statistics: per staff member and per type.
    let report = ticketbot::stats::report(h.bot().store(), h.world.guild, None)
        .await
        .unwrap();
    let staff = report
        .tickets
        .staff
        .iter()
        .find(|s| s.user_id == h.world.staff)
        .unwrap();
    assert_eq!((staff.ratings, staff.average_rating), (1, Some(4.0)));
    let support = report
        .tickets
        .types
        .iter()
        .find(|t| t.type_id == "support")
        .unwrap();
    assert_eq!((support.ratings, support.average_rating), (1, Some(4.0)));
    assert!(ticketbot::stats::to_text(&report).contains("rated 4★ (1)"));
    let mut csv = Vec::new();
    ticketbot::stats::write_csv(std::slice::from_ref(&report), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("ratings,average_rating"));
    assert!(
        csv.lines()
            .any(|l| l.contains(",type,support,") && l.ends_with(",1,4")),
        "{csv}"
    );

    // A ticket its opener cancelled asks for no rating (nor any other DM).
    let before = dms_of(&h, h.world.player).len();
    let (other, other_welcome) = h.open_ticket(h.world.player, "support").await;
    let other_ticket = h.ticket_in(other).await.unwrap();
    h.emu
        .user(h.world.player)
        .click(
            id_of(&other_welcome),
            &format!("tb:cancel:{}", other_ticket.id),
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    h.wait_ticket(other, "cancelled", |t| t.status == TicketStatus::Cancelled)
        .await;
    eventually("the bot idle", || {
        (h.bot().tickets().unwrap().work_in_flight() == 0).then_some(())
    })
    .await;
    assert_eq!(dms_of(&h, h.world.player).len(), before);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_reply_is_posted_in_the_ticket_by_the_bot_naming_who_sent_it() {
    let h = Harness::start_with("pt-BR", |w| {
        enable(
            w,
            "saved-replies",
            &[],
            "[[guild.plugin.settings.replies]]\nname = \"Boas-vindas\"\ntext = \"Olá {opener}, como podemos ajudar?\"\ncolor = 3066993\n[[guild.plugin.settings.replies]]\nname = \"Aguarde\"\ntext = \"Estamos verificando.\"",
            "",
        );
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let press = button(&welcome, "saved-replies", "reply");
    let refused = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &press)
        .unwrap();
    assert_eq!(
        answer_text(&refused).await,
        "Apenas a equipe pode fazer isso."
    );
    let staff = h.emu.user(h.world.staff);
    let opened = staff.click(id_of(&welcome), &press).unwrap();
    let menu = opened.message(WAIT).await.unwrap();
    let select = custom_ids(&menu).concat()[0].clone();
    let options: Vec<&str> = menu["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["label"].as_str())
        .collect();
    assert_eq!(options, ["Boas-vindas", "Aguarde"]);
    let from = h.emu.log_position();
    let chosen = staff.choose(id_of(&menu), &select, &["0"]).unwrap();
    assert_eq!(
        chosen.response(WAIT).await.unwrap()["data"]["content"],
        "Enviada: Boas-vindas"
    );
    let posted = h
        .message_where(from, channel, |m| m["embeds"][0]["title"] == "Boas-vindas")
        .await;
    assert_eq!(
        posted["embeds"][0]["description"],
        format!("Olá <@{}>, como podemos ajudar?", h.world.player)
    );
    assert_eq!(
        posted["embeds"][0]["footer"]["text"],
        "enviada por officer_rodrigues"
    );
    assert_eq!(posted["embeds"][0]["color"], 3066993);
    assert_eq!(posted["mentions"][0]["id"], h.world.player.to_string());
    h.finish().await;
}

/// Who a test FiveM server lists: (Discord id, in-game name).
type Online = std::sync::Arc<std::sync::Mutex<Vec<(u64, &'static str)>>>;

/// A FiveM server's public endpoints on loopback: `/players.json` lists `online` (with their
/// Discord ids) as FiveM does, `/info.json` names the server.
async fn fivem_server(online: Online) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let players = move || -> String {
        let online = online.lock().unwrap().clone();
        let players: Vec<Value> = online
            .iter()
            .enumerate()
            .map(|(i, (discord, name))| {
                serde_json::json!({
                    "endpoint": "127.0.0.1",
                    "id": i + 7,
                    "identifiers": [
                        format!("license:4f{i}e9"),
                        format!("discord:{discord}"),
                        "steam:110000112345678",
                        "ip:203.0.113.9"
                    ],
                    "name": name,
                    "ping": 42
                })
            })
            .collect();
        Value::Array(players).to_string()
    };
    let info = serde_json::json!({
        "server": "FXServer-master SERVER v1.0.0.7290 linux",
        "enhancedHostSupport": true,
        "resources": ["mapmanager", "chat"],
        "vars": {"sv_projectName": "Los Santos RP", "sv_maxClients": "48", "sv_enforceGameBuild": "2699"},
        "version": 1
    })
    .to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (players, info) = (players(), info.clone());
            tokio::spawn(async move {
                let mut buffer = [0u8; 2048];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..n]);
                let body = if request.starts_with("GET /players.json") {
                    players
                } else if request.starts_with("GET /info.json") {
                    info
                } else {
                    String::new()
                };
                let reply = format!(
                    "HTTP/1.1 {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    if body.is_empty() { "404 Not Found" } else { "200 OK" },
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

async fn player_info(h: &Harness, welcome: &Value) -> Value {
    let click = h
        .emu
        .user(h.world.staff)
        .click(id_of(welcome), &button(welcome, "fivem", "player"))
        .unwrap();
    assert_eq!(
        click.response(WAIT).await.unwrap()["type"],
        6,
        "acknowledged first"
    );
    click.followups(1, WAIT).await.unwrap().remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fivem_player_info_finds_the_opener_on_the_game_server() {
    let online: Online = Default::default();
    let port = fivem_server(online.clone()).await;
    let h = Harness::start_with("pt-BR", move |w| {
        enable(
            w,
            "fivem",
            &["http"],
            &format!("server = \"http://127.0.0.1:{port}\""),
            &format!("http_allow = [\"127.0.0.1:{port}\"]"),
        );
    })
    .await;
    online
        .lock()
        .unwrap()
        .extend([(h.world.player, "Vinewood Vic"), (42, "Other")]);
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let answer = player_info(&h, &welcome).await;
    assert_eq!(answer["flags"].as_u64().unwrap_or(0) & 64, 64, "private");
    let embed = &answer["embeds"][0];
    assert_eq!(embed["title"], "🎮 Vinewood Vic");
    let said = embed["description"].as_str().unwrap();
    assert!(
        said.contains("está online em Los Santos RP (2/48 jogadores)"),
        "{said}"
    );
    assert_eq!(field(embed, "ID no servidor"), Some("7"));
    assert_eq!(field(embed, "Ping"), Some("42 ms"));
    let ids = field(embed, "Identificadores").unwrap();
    assert!(
        ids.contains("license:4f0e9") && ids.contains("steam:") && !ids.contains("ip:"),
        "{ids}"
    );

    // Someone who is not on the server.
    let (_, other) = h.open_ticket(h.world.moderator, "support").await;
    let answer = player_info(&h, &other).await;
    assert_eq!(
        answer["content"],
        format!(
            "<@{}> não está em Los Santos RP agora (2/48 jogadores online).",
            h.world.moderator
        )
    );
    h.finish().await;

    // A server that does not answer (its address allowed, nothing listening).
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = Harness::start_with("pt-BR", move |w| {
        enable(
            w,
            "fivem",
            &["http"],
            &format!("server = \"http://127.0.0.1:{dead}\""),
            &format!("http_allow = [\"127.0.0.1:{dead}\"]"),
        );
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let answer = player_info(&h, &welcome).await;
    let text = answer["content"].as_str().unwrap();
    assert!(
        text.starts_with("O servidor do jogo não respondeu ("),
        "{text}"
    );
    h.finish().await;
}
