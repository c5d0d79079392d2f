//! Plugin contract 0.2 end to end: a plugin built for 0.1 still loads and works; the built-ins
//! speak the guild's language (and a guild renames a button); and the `tour` test plugin uses
//! every event and effect 0.2 added, each once granted and, for the capabilities, once not.

use serde_json::Value;
use ticketbot::demo::DemoWorld;
use ticketbot_e2e::{answer_text, custom_ids, eventually, id_of, says, Harness, WAIT};

const ALL: &[&str] = &[
    "storage",
    "dm",
    "read-messages",
    "close-tickets",
    "manage-members",
    "ticket-status",
    "mention-users",
];

/// Enables the tour plugin, granted `capabilities`, with extra `settings` (TOML inline pairs).
fn with_tour(w: &mut DemoWorld, capabilities: &[&str], settings: &str) {
    let path = ticketbot_test_guests::path("tour");
    w.plugins.push(format!(
        "[[guild.plugin]]\nid = \"tour\"\npath = {:?}\ncapabilities = {:?}\nsettings = {{ {settings} }}\n",
        path.display().to_string(),
        capabilities
    ));
}

fn button(welcome: &Value, plugin: &str, id: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|c| c.starts_with(&format!("pl:{plugin}:")) && c.ends_with(&format!(":b:{id}")))
        .unwrap_or_else(|| panic!("no {plugin}/{id} button in {welcome}"))
}

fn labels(welcome: &Value) -> Vec<String> {
    welcome["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["label"].as_str().map(str::to_owned))
        .collect()
}

/// What the tour plugin stored under `key`, waiting for it.
async fn heard(h: &Harness, key: &str) -> String {
    let store = h.bot().store().clone();
    let guild = h.world.guild;
    let key = key.to_owned();
    eventually(&format!("the tour plugin's {key}"), || {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(store.plugin_get(guild, "tour", &key))
        })
        .unwrap()
    })
    .await
}

/// Waits until everything the bot is doing is done (so a test can say something did not
/// happen).
async fn settled(h: &Harness) {
    eventually("the bot to be idle", || {
        (h.bot().tickets().unwrap().work_in_flight() == 0).then_some(())
    })
    .await;
}

async fn stored(h: &Harness, key: &str) -> Option<String> {
    h.bot()
        .store()
        .plugin_get(h.world.guild, "tour", key)
        .await
        .unwrap()
}

/// Presses a tour button as `user` and returns the text answered.
async fn press(h: &Harness, user: u64, welcome: &Value, id: &str) -> String {
    let click = h
        .emu
        .user(user)
        .click(id_of(welcome), &button(welcome, "tour", id))
        .unwrap();
    answer_text(&click).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_built_for_contract_0_1_still_loads_and_works() {
    let fixture = ticketbot_test_guests::fixture("poke-0.1.0.wasm");
    let h = Harness::start_with("en", |w| {
        w.plugins[0] = format!(
            "[[guild.plugin]]\nid = \"poke\"\npath = {:?}\ncapabilities = [\"dm\", \"storage\"]\nsettings = {{ cooldown_seconds = 60 }}\n",
            fixture.display().to_string()
        );
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    assert!(labels(&welcome).contains(&"Poke".to_owned()), "{welcome}");
    let click = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &button(&welcome, "poke", "poke"))
        .unwrap();
    assert_eq!(answer_text(&click).await, "The opener was poked by DM.");
    let dm = eventually("the poke DM", || {
        let channel = h
            .emu
            .world(|w| w.dm_channels.get(&h.world.player).copied())?;
        h.emu.messages_in(channel).into_iter().next()
    })
    .await;
    assert_eq!(dm["embeds"][0]["title"], "👋 Your ticket needs you");
    // Its storage (a host call of 0.1) works too: the cooldown holds.
    let again = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &button(&welcome, "poke", "poke"))
        .unwrap();
    assert!(answer_text(&again)
        .await
        .starts_with("This ticket was poked recently"));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_ins_speak_the_guilds_language_and_a_guild_renames_a_button() {
    let h = Harness::start_with("pt-BR", |w| {
        w.plugins[0] = w.plugins[0].replace(
            "settings = { cooldown_seconds = 60 }",
            "settings = { cooldown_seconds = 60, label.poke = \"Chamar jogador\" }",
        );
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let shown = labels(&welcome);
    for label in [
        "Chamar jogador",
        "Devolução",
        "Chamada de Voz",
        "Ações Ticket",
    ] {
        assert!(shown.contains(&label.to_owned()), "{label} in {shown:?}");
    }
    h.finish().await;

    let h = Harness::start_in("en").await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let shown = labels(&welcome);
    for label in ["Poke", "Item return", "Voice call", "Ticket actions"] {
        assert!(shown.contains(&label.to_owned()), "{label} in {shown:?}");
    }
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_questions_come_before_the_channel_and_reach_the_plugin_and_the_welcome() {
    let h = Harness::start_with("pt-BR", |w| with_tour(w, ALL, "")).await;
    let player = h.emu.user(h.world.player);
    let menu = h.type_menu(h.world.player).await;
    let choice = player
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap();
    let form = choice.response(WAIT).await.unwrap();
    assert_eq!(form["type"], 9, "a form first: {form}");
    let input = &form["data"]["components"][0]["components"][0];
    assert_eq!(input["custom_id"], "tour/game-id");
    assert_eq!(input["label"], "Seu ID no jogo");
    assert_eq!(input["placeholder"], "ex.: 4711");
    let answered = player
        .submit_modal(&choice, &[("tour/game-id", "4711")])
        .unwrap();
    let link = answered.message(WAIT).await.unwrap();
    let url = link["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let channel: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let ticket = h.ticket_in(channel).await.unwrap();
    assert_eq!(ticket.answers.len(), 1);
    assert_eq!(
        (
            ticket.answers[0].label.as_str(),
            ticket.answers[0].value.as_str()
        ),
        ("Seu ID no jogo", "4711")
    );
    let welcome = h
        .emu
        .messages_in(channel)
        .into_iter()
        .find(|m| !custom_ids(m).is_empty())
        .unwrap();
    let field = welcome["embeds"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Seu ID no jogo")
        .cloned()
        .unwrap_or_else(|| panic!("no answer in {welcome}"));
    assert_eq!(field["value"], "4711");
    assert_eq!(
        heard(&h, &format!("opened:{}", ticket.id)).await,
        "game-id=4711"
    );
    // A type without questions opens straight away.
    let (other, _) = h.open_ticket(h.world.moderator, "report").await;
    let other = h.ticket_in(other).await.unwrap();
    assert!(other.answers.is_empty());
    assert_eq!(heard(&h, &format!("opened:{}", other.id)).await, "");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_claims_and_leavers_reach_a_subscribed_plugin() {
    let h = Harness::start_with("en", |w| with_tour(w, ALL, "")).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    h.emu
        .user(h.world.player)
        .say_with_file(channel, "my car is gone", "car.png", b"\x89PNG")
        .unwrap();
    assert_eq!(
        heard(&h, &format!("message:{}", ticket.id)).await,
        format!("{} staff=false files=1: my car is gone", h.world.player)
    );
    let claim = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &format!("tb:claim:{}", ticket.id))
        .unwrap();
    claim.response(WAIT).await.unwrap();
    assert_eq!(
        heard(&h, &format!("claim:{}", ticket.id)).await,
        format!("None->Some({0}) by {0}", h.world.staff)
    );
    h.emu.remove_member(h.world.guild, h.world.player);
    assert_eq!(
        heard(&h, &format!("left:{}", ticket.id)).await,
        h.world.player.to_string()
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_need_read_messages_and_members_leaving_need_the_intent_only_when_asked() {
    const GUILD_MEMBERS: u64 = 1 << 1;
    // Granted everything but read-messages: the subscription alone hears nothing.
    let granted: Vec<&str> = ALL
        .iter()
        .copied()
        .filter(|c| *c != "read-messages")
        .collect();
    let h = Harness::start_with("en", |w| with_tour(w, &granted, "")).await;
    assert_ne!(
        h.emu.gateway_stats().intents & GUILD_MEMBERS,
        0,
        "a plugin wants leavers"
    );
    let (channel, _) = h.open_ticket(h.world.player, "report").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    let said = h
        .emu
        .user(h.world.player)
        .say(channel, "secret plans")
        .unwrap();
    h.message_handled(ticket.id, said).await;
    assert_eq!(stored(&h, &format!("message:{}", ticket.id)).await, None);
    h.finish().await;

    // Without a plugin that wants them, the bot does not ask Discord for member events (a
    // privileged intent its owner would have to switch on).
    let h = Harness::start_in("en").await;
    assert_eq!(h.emu.gateway_stats().intents & GUILD_MEMBERS, 0);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_closes_asks_to_close_sets_a_status_and_manages_members() {
    let h = Harness::start_with("pt-BR", |w| {
        w.close_delay_seconds = 1;
        with_tour(w, ALL, "");
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    let staff = h.world.staff;

    // Status: the welcome shows it.
    assert_eq!(press(&h, staff, &welcome, "status").await, "status set");
    let shown = eventually("the status on the welcome", || {
        h.emu.messages_in(channel).into_iter().find(|m| {
            id_of(m) == id_of(&welcome)
                && m["embeds"][0]["fields"].as_array().is_some_and(|f| {
                    f.iter()
                        .any(|f| f["name"] == "Status" && f["value"] == "Aguardando jogador")
                })
        })
    })
    .await;
    assert!(!custom_ids(&shown).is_empty(), "the buttons stay");

    // Members: a form, then the member is let in and told; then taken out again.
    let moderator = h.emu.create_user("friend_of_vic");
    h.emu.add_member(h.world.guild, moderator, &[]);
    let form = h
        .emu
        .user(staff)
        .click(id_of(&welcome), &button(&welcome, "tour", "add"))
        .unwrap();
    assert_eq!(form.response(WAIT).await.unwrap()["type"], 9);
    let from = h.emu.log_position();
    h.emu
        .user(staff)
        .submit_modal(&form, &[("user", &moderator.to_string())])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let told = h
        .message_where(from, channel, |m| says(m, &format!("<@{moderator}>")))
        .await;
    assert_eq!(
        told["mentions"][0]["id"],
        moderator.to_string(),
        "pinged: {told}"
    );
    assert!(h
        .bot()
        .store()
        .members(ticket.id)
        .await
        .unwrap()
        .contains(&moderator));

    // A post that pings the added user (mention-users).
    let from = h.emu.log_position();
    assert_eq!(press(&h, staff, &welcome, "ping").await, "pinged");
    let ping = h
        .message_where(from, channel, |m| says(m, "look at this"))
        .await;
    assert_eq!(
        ping["mentions"][0]["id"],
        moderator.to_string(),
        "pinged: {ping}"
    );

    let form = h
        .emu
        .user(staff)
        .click(id_of(&welcome), &button(&welcome, "tour", "remove"))
        .unwrap();
    form.response(WAIT).await.unwrap();
    h.emu
        .user(staff)
        .submit_modal(&form, &[("user", &moderator.to_string())])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    eventually("the member removed", || {
        let members = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().members(ticket.id))
        })
        .unwrap();
        (!members.contains(&moderator)).then_some(())
    })
    .await;
    // The opener cannot be removed.
    let form = h
        .emu
        .user(staff)
        .click(id_of(&welcome), &button(&welcome, "tour", "remove"))
        .unwrap();
    form.response(WAIT).await.unwrap();
    h.emu
        .user(staff)
        .submit_modal(&form, &[("user", &h.world.player.to_string())])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    settled(&h).await;
    assert!(h
        .bot()
        .store()
        .members(ticket.id)
        .await
        .unwrap()
        .contains(&h.world.player));

    // Ask to close: the opener gets the question.
    let from = h.emu.log_position();
    assert_eq!(press(&h, staff, &welcome, "ask").await, "asked");
    let request = h
        .message_where(from, channel, |m| !custom_ids(m).is_empty())
        .await;
    assert!(
        custom_ids(&request)
            .concat()
            .iter()
            .any(|c| c.starts_with("tb:closeyes:")),
        "{request}"
    );

    // Close: announced, then closed with the plugin's reason; the status is in the transcript.
    let from = h.emu.log_position();
    assert_eq!(press(&h, staff, &welcome, "close").await, "closing");
    h.message_where(from, channel, |m| says(m, "tour closed it"))
        .await;
    let closed = h
        .wait_ticket(channel, "closed", |t| {
            t.status == ticketbot::store::TicketStatus::Closed
        })
        .await;
    assert_eq!(closed.close_reason.as_deref(), Some("tour closed it"));
    assert_eq!(closed.closed_by, Some(staff));
    assert_eq!(closed.status_label.as_deref(), Some("Aguardando jogador"));
    assert_eq!(heard(&h, &format!("closed:{}", ticket.id)).await, "yes");
    let (status, page) = h.get(&format!("/api/ticket/{}", h.token(&closed))).await;
    assert_eq!(status, 200);
    assert!(page.contains("Aguardando jogador"));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_effects_the_guild_did_not_grant_are_refused_whole() {
    let h = Harness::start_with("en", |w| with_tour(w, &["storage", "dm"], "")).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    for button in ["close", "ask", "status", "ping"] {
        let answer = press(&h, h.world.staff, &welcome, button).await;
        assert!(answer.contains("action failed"), "{button}: {answer}");
        // Three failures switch a plugin off; this test is about each refusal, so reset the
        // count with a harmless success.
        assert_eq!(press(&h, h.world.staff, &welcome, "dm").await, "sent");
    }
    let form = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &button(&welcome, "tour", "add"))
        .unwrap();
    form.response(WAIT).await.unwrap();
    let added = h
        .emu
        .user(h.world.staff)
        .submit_modal(&form, &[("user", &h.world.moderator.to_string())])
        .unwrap();
    assert!(answer_text(&added).await.contains("action failed"));
    settled(&h).await;
    let ticket = h.ticket_in(channel).await.unwrap();
    assert_eq!(ticket.status, ticketbot::store::TicketStatus::Open);
    assert_eq!(ticket.status_label, None);
    assert!(!h
        .bot()
        .store()
        .members(ticket.id)
        .await
        .unwrap()
        .contains(&h.world.moderator));
    assert!(h
        .bot()
        .store()
        .close_request(ticket.id)
        .await
        .unwrap()
        .is_none());
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_in_a_dm_reaches_its_plugin_with_its_ticket() {
    let h = Harness::start_with("pt-BR", |w| with_tour(w, ALL, "")).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    assert_eq!(press(&h, h.world.staff, &welcome, "dm").await, "sent");
    let dm = eventually("the DM", || {
        let dm = h
            .emu
            .world(|w| w.dm_channels.get(&h.world.player).copied())?;
        h.emu
            .messages_in(dm)
            .into_iter()
            .find(|m| !custom_ids(m).is_empty())
    })
    .await;
    assert_eq!(dm["content"], "Como fomos?");
    let rate = custom_ids(&dm).concat()[0].clone();
    let click = h.emu.user(h.world.player).click(id_of(&dm), &rate).unwrap();
    assert_eq!(answer_text(&click).await, "Obrigado!");
    assert_eq!(
        heard(&h, &format!("rated:{}", ticket.id)).await,
        format!("rate-5 by {} in dm=true", h.world.player)
    );
    h.finish().await;
}

/// A one-answer HTTP server on loopback: every request gets `body`.
async fn http_server(body: &'static str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 2048];
            let _ = socket.read(&mut buffer).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_calls_an_allowed_host_and_answers_after_acknowledging() {
    let port = http_server("{\"players\":3}").await;
    let h = Harness::start_with("en", move |w| {
        with_tour(
            w,
            &["storage", "http"],
            &format!("url = \"http://127.0.0.1:{port}/players.json\""),
        );
        let last = w.plugins.len() - 1;
        w.plugins[last].push_str(&format!("http_allow = [\"127.0.0.1:{port}\"]\n"));
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "report").await;
    // Anyone may press it; the answer comes as a follow-up after an acknowledgement.
    let click = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "tour", "http"))
        .unwrap();
    assert_eq!(
        click.response(WAIT).await.unwrap()["type"],
        6,
        "acknowledged first"
    );
    let answer = click.followups(1, WAIT).await.unwrap();
    assert_eq!(answer[0]["content"], "HTTP 200: {\"players\":3}");
    assert_eq!(
        answer[0]["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "only the clicker sees it"
    );
    h.finish().await;

    // The same plugin, its URL not on the list: refused with the reason, never fetched.
    let h = Harness::start_with("en", move |w| {
        with_tour(
            w,
            &["storage", "http"],
            &format!("url = \"http://127.0.0.1:{port}/players.json\""),
        );
        let last = w.plugins.len() - 1;
        w.plugins[last].push_str("http_allow = [\"127.0.0.1:1\"]\n");
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "report").await;
    let click = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "tour", "http"))
        .unwrap();
    let answer = click.followups(1, WAIT).await.unwrap();
    let text = answer[0]["content"].as_str().unwrap();
    assert!(
        text.starts_with("refused:") && text.contains("http_allow"),
        "{text}"
    );
    h.finish().await;
}
