//! The foundation, end to end: the real bot (serenity) against the emulator, on a real DuckDB
//! file. READY and the guild cache, `!setup_tickets` and `/setup-tickets`, restarts, refusals,
//! and Discord's failures (429, 5xx, a dropped gateway).

use serde_json::json;
use ticketbot_e2e::{custom_ids, eventually, id_of, says, Harness, WAIT};
use ticketbot_emulator::{Fault, FaultRule};

const SETUP: &str = "!setup_tickets";

/// Panel messages (with the Open button) the bot has in the panel channel.
fn panels(h: &Harness) -> Vec<u64> {
    h.emu
        .messages_in(h.world.panel_channel)
        .iter()
        .filter(|m| custom_ids(m).concat() == ["tb:open"])
        .map(id_of)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_reaches_ready_caches_the_guild_and_registers_its_command() {
    let h = Harness::start().await;
    let name = eventually("the guild in the bot's cache", || {
        h.bot().cached_guild_name(h.world.guild)
    })
    .await;
    assert_eq!(name, "Los Santos Roleplay");
    let put = h
        .request_after(
            0,
            "PUT",
            &format!("/applications/*/guilds/{}/commands", h.world.guild),
        )
        .await;
    assert_eq!(put.status, 200);
    let commands = put.response.as_array().expect("command list");
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "setup-tickets",
            "transcript",
            "stats",
            "blacklist",
            "ticket",
            "plugins",
            "Abrir ticket"
        ]
    );
    let options: Vec<(&str, u64)> = commands[1]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["type"].as_u64().unwrap()))
        .collect();
    assert_eq!(options, [("number", 4), ("user", 6)]);
    assert_eq!(
        commands[0]["description_localizations"]["en-US"],
        "Post the ticket panel in the configured panel channel"
    );
    assert!(
        h.emu
            .requests()
            .iter()
            .all(|r| !r.path.contains("/applications/") || r.path.contains("/guilds/")),
        "no global commands"
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_posts_the_panel_once_and_it_survives_a_restart() {
    let mut h = Harness::start_in("en").await;
    let staff = h.emu.user(h.world.staff);
    let from = h.emu.log_position();
    staff.say(h.world.panel_channel, SETUP).unwrap();
    let panel = h.message_after(from, h.world.panel_channel).await;
    assert_eq!(panel["embeds"][0]["title"], "Support");
    assert_eq!(custom_ids(&panel), vec![vec!["tb:open".to_owned()]]);
    assert_eq!(
        panel["components"][0]["components"][0]["label"],
        "Open ticket"
    );
    let confirmation = h
        .message_where(from, h.world.panel_channel, |m| says(m, "was posted"))
        .await;
    assert_eq!(
        confirmation["content"],
        format!(
            "The ticket panel was posted in <#{}>.",
            h.world.panel_channel
        )
    );

    let stored = h
        .bot()
        .store()
        .panel(h.world.guild)
        .await
        .unwrap()
        .expect("panel stored");
    assert_eq!(
        (stored.channel_id, stored.message_id),
        (h.world.panel_channel, id_of(&panel))
    );
    assert_eq!(stored.posted_by, h.world.staff);
    let events = h.bot().store().events(h.world.guild).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["panel.posted"]
    );

    h.restart().await;
    let from = h.emu.log_position();
    staff.say(h.world.panel_channel, SETUP).unwrap();
    let answer = h
        .message_where(from, h.world.panel_channel, |m| says(m, "already in"))
        .await;
    assert!(
        says(
            &answer,
            &format!(
                "/channels/{}/{}/{}",
                h.world.guild,
                h.world.panel_channel,
                id_of(&panel)
            )
        ),
        "{answer}"
    );
    assert_eq!(panels(&h), vec![id_of(&panel)], "a second panel was posted");

    // The old panel's button still works after the restart.
    let click = h
        .emu
        .user(h.world.player)
        .click(id_of(&panel), "tb:open")
        .unwrap();
    let shown = click.message(WAIT).await.unwrap();
    assert_eq!(
        shown["flags"].as_u64().unwrap() & 64,
        64,
        "the type choice is ephemeral"
    );
    assert_eq!(custom_ids(&shown), vec![vec!["tb:type".to_owned()]]);
    let options = shown["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap();
    assert_eq!(
        options
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["support", "report"]
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_deleted_by_hand_is_posted_again() {
    let h = Harness::start_in("en").await;
    let staff = h.emu.user(h.world.staff);
    let from = h.emu.log_position();
    staff.say(h.world.panel_channel, SETUP).unwrap();
    let first = id_of(&h.message_after(from, h.world.panel_channel).await);
    h.message_where(from, h.world.panel_channel, |m| says(m, "was posted"))
        .await;
    let from = h.emu.log_position();
    // Staff delete the panel message in Discord's UI.
    h.emu.delete_message(h.world.panel_channel, first);
    staff.say(h.world.panel_channel, SETUP).unwrap();
    let second = h.message_after(from, h.world.panel_channel).await;
    assert_eq!(custom_ids(&second), vec![vec!["tb:open".to_owned()]]);
    assert_ne!(id_of(&second), first);
    assert_eq!(panels(&h), vec![id_of(&second)]);
    // The confirmation follows the store update, so the row is current once it shows.
    h.message_where(from, h.world.panel_channel, |m| says(m, "was posted"))
        .await;
    let stored = h.bot().store().panel(h.world.guild).await.unwrap().unwrap();
    assert_eq!(stored.message_id, id_of(&second));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_cannot_set_up_the_panel() {
    let h = Harness::start_in("en").await;
    let player = h.emu.user(h.world.player);
    let from = h.emu.log_position();
    player.say(h.world.panel_channel, SETUP).unwrap();
    let answer = h.message_after(from, h.world.panel_channel).await;
    assert_eq!(answer["content"], "Only staff can set up the ticket panel.");
    assert!(panels(&h).is_empty());
    assert_eq!(h.bot().store().panel(h.world.guild).await.unwrap(), None);

    let slash = player
        .slash(h.world.panel_channel, "setup-tickets", json!([]))
        .unwrap();
    let response = slash.response(WAIT).await.unwrap();
    assert_eq!(response["type"], 4);
    assert_eq!(response["data"]["flags"], 64, "the refusal is ephemeral");
    assert_eq!(
        response["data"]["content"],
        "Only staff can set up the ticket panel."
    );
    assert!(panels(&h).is_empty());
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_can_use_the_slash_command() {
    let h = Harness::start().await;
    let staff = h.emu.user(h.world.staff);
    let slash = staff
        .slash(h.world.log_channel, "setup-tickets", json!([]))
        .unwrap();
    let response = slash.response(WAIT).await.unwrap();
    assert_eq!(response["data"]["flags"], 64);
    let text = response["data"]["content"].as_str().unwrap().to_owned();
    assert!(
        text.contains(&format!("<#{}>", h.world.panel_channel)),
        "{text}"
    );
    assert_eq!(
        panels(&h).len(),
        1,
        "the panel goes to the configured channel, not where the command ran"
    );
    // pt-BR is the guild's language here.
    let panel = &h.emu.messages_in(h.world.panel_channel)[0];
    assert_eq!(
        panel["components"][0]["components"][0]["label"],
        "Abrir ticket"
    );

    let again = staff
        .slash(h.world.log_channel, "setup-tickets", json!([]))
        .unwrap();
    let response = again.response(WAIT).await.unwrap();
    assert!(
        response["data"]["content"]
            .as_str()
            .unwrap()
            .contains("https://discord.com/channels/"),
        "{response}"
    );
    assert_eq!(panels(&h).len(), 1);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_are_retried() {
    let h = Harness::start_in("en").await;
    let target = format!("/channels/{}/messages", h.world.panel_channel);
    h.emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: target.clone(),
        times: 2,
        fault: Fault::RateLimited {
            retry_after: 0.2,
            global: false,
        },
    });
    h.emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: target.clone(),
        times: 1,
        fault: Fault::ServerError(502),
    });
    let from = h.emu.log_position();
    h.emu
        .user(h.world.staff)
        .say(h.world.panel_channel, SETUP)
        .unwrap();
    let panel = h.message_after(from, h.world.panel_channel).await;
    assert_eq!(custom_ids(&panel), vec![vec!["tb:open".to_owned()]]);
    let statuses: Vec<u16> = h
        .emu
        .requests()
        .iter()
        .skip(from)
        .filter(|r| r.method == "POST" && r.path == target)
        .map(|r| r.status)
        .collect();
    assert_eq!(&statuses[..4], &[429, 429, 502, 200], "{statuses:?}");
    assert_eq!(panels(&h).len(), 1, "retries must not post twice");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_is_resumed_without_losing_events() {
    let h = Harness::start_in("en").await;
    h.emu.drop_gateway();
    // Sent while the bot is away: the emulator keeps it for the RESUME, as Discord does.
    let from = h.emu.log_position();
    h.emu
        .user(h.world.staff)
        .say(h.world.panel_channel, SETUP)
        .unwrap();
    let panel = h.message_after(from, h.world.panel_channel).await;
    assert_eq!(custom_ids(&panel), vec![vec!["tb:open".to_owned()]]);
    let stats = h.emu.gateway_stats();
    assert_eq!(
        stats.identifies, 1,
        "the bot resumed instead of starting a new session"
    );
    assert!(stats.resumes >= 1, "{stats:?}");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_server_answers_health_and_hides_missing_transcripts() {
    let h = Harness::start().await;
    let health = h.get("/healthz").await;
    assert_eq!(health.0, 200);
    assert_eq!(health.1, "ok");
    let missing = h.get("/api/ticket/not-a-token").await;
    assert_eq!(missing.0, 404);
    h.finish().await;
}
