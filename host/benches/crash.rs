//! Fault suite, second part: the real `ticketbot run` process is killed (SIGKILL) at random
//! points of a close, and of an open, and restarted on the same database. Every close must
//! complete (ticket closed, transcript served, channel gone); every open must either complete
//! (ticket open in its channel) or be undone (no ticket, no channel, the player can open
//! again). No channel without a ticket, no ticket stuck opening or closing.
//!
//! Run: `cargo bench -p ticketbot --bench crash` (`CRASH_ROUNDS`, default 10, rounds of each).
//! Exits non-zero if any check fails.

use std::time::{Duration, Instant};

use rand::Rng;
use support::WAIT;
use ticketbot::demo::DemoWorld;
use ticketbot::store::{Store, TicketStatus};
use ticketbot::transcript::token::LinkKey;
use ticketbot_emulator::Emulator;

mod support;

/// Starts the bot on `config` and waits until it has identified.
async fn start(config: &std::path::Path, emulator: &Emulator) -> support::Bot {
    let before = emulator.gateway_stats().identifies;
    let bot = support::spawn_bot(config, emulator, "error");
    support::identified(emulator, before).await;
    bot
}

fn main() {
    let rounds: usize = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if runtime.block_on(run(rounds)) {
        std::process::exit(1);
    }
}

async fn run(rounds: usize) -> bool {
    let emulator = Emulator::start().await.unwrap();
    let mut world = DemoWorld::create(&emulator);
    world.plugins.clear();
    world.close_delay_seconds = 2;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("crash.duckdb");
    // A fixed port, so the transcript server can be asked after each restart.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, world.config_toml(&database, listen, "en")).unwrap();
    let players = support::players(&emulator, &world, "crash_player", rounds);

    let mut bot = start(&config, &emulator).await;
    let panel = support::post_panel(&emulator, &world).await;
    let key = LinkKey::load(&database.with_extension("link-key")).unwrap();
    let client = reqwest::Client::new();
    let mut failures = 0;
    let started_at = Instant::now();
    for (round, player) in players.iter().enumerate() {
        let actor = emulator.user(*player);
        let answer = support::choose_support(&emulator, *player, panel)
            .await
            .message(WAIT)
            .await
            .unwrap();
        let channel = support::linked_channel(&answer).unwrap();
        actor
            .say(channel, &format!("round {round}: please check my car"))
            .unwrap();
        let ticket_id = support::close_ticket(&emulator, &world, channel, "crash test").await;
        // Kill anywhere from the announcement to past the 2 s delay (transcript, deletion, DM,
        // log).
        let delay = rand::rng().random_range(0..2_600);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        bot.kill();
        bot = start(&config, &emulator).await;
        let gone = emulator
            .wait_world(WAIT, "the channel deleted", |w| {
                (!w.channels.contains_key(&channel)).then_some(())
            })
            .await;
        let token = key.token(ticket_id);
        let served =
            support::served(&client, listen, &token, &format!("round {round}"), WAIT).await;
        let ok = gone.is_ok() && served;
        println!(
            "round {round:>2}: killed {delay:>4} ms after the close was announced: channel {}, transcript {}",
            if gone.is_ok() { "deleted" } else { "LEFT" },
            if served { "served" } else { "MISSING" }
        );
        failures += usize::from(!ok);
    }
    // Opens: the choice is acknowledged at once, then the bot reserves, creates the channel,
    // posts the welcome and records it, within a few tens of milliseconds.
    let openers = support::players(&emulator, &world, "crash_opener", rounds);
    let mut outcomes = (0, 0);
    let mut stray_deleted = 0;
    for (round, player) in openers.iter().enumerate() {
        support::choose_support(&emulator, *player, panel)
            .await
            .response(WAIT)
            .await
            .unwrap();
        let before = emulator.log_position();
        let delay = rand::rng().random_range(0..60);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        bot.kill();
        let created = emulator.requests()[before..]
            .iter()
            .any(|r| r.is("POST", "/guilds/*/channels"));
        bot = start(&config, &emulator).await;
        // Give the restarted bot a moment to undo an unfinished opening.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let channel = emulator.world(|w| {
            w.channels
                .values()
                .find(|c| {
                    c.topic
                        .as_deref()
                        .is_some_and(|t| t.ends_with(&format!("<@{player}>")))
                })
                .map(|c| c.id)
        });
        let outcome = match channel {
            Some(_) => {
                outcomes.0 += 1;
                "completed"
            }
            None if created => {
                outcomes.1 += 1;
                stray_deleted += 1;
                "undone (its channel deleted)"
            }
            None => {
                outcomes.1 += 1;
                "undone"
            }
        };
        println!("open round {round:>2}: killed {delay:>3} ms after the choice was acknowledged: {outcome}");
    }
    // Whoever lost their opening can open again.
    for player in &openers {
        let has_channel = emulator.world(|w| {
            w.channels.values().any(|c| {
                c.topic
                    .as_deref()
                    .is_some_and(|t| t.ends_with(&format!("<@{player}>")))
            })
        });
        if has_channel {
            continue;
        }
        let answer = support::choose_support(&emulator, *player, panel)
            .await
            .message(WAIT)
            .await
            .unwrap();
        if answer["components"][0]["components"][0]["url"]
            .as_str()
            .is_none()
        {
            println!("a player whose opening was undone could not open again: {answer}");
            failures += 1;
        }
    }

    // Stop cleanly and look at the database.
    bot.stop();
    let store = Store::open(&database).await.unwrap();
    let tickets = store.tickets_of_guild(world.guild).await.unwrap();
    let closed = tickets
        .iter()
        .filter(|t| t.status == TicketStatus::Closed)
        .count();
    let left = tickets
        .iter()
        .filter(|t| matches!(t.status, TicketStatus::Closing | TicketStatus::Opening))
        .count();
    store.close().await;
    let open_channels: Vec<u64> = tickets
        .iter()
        .filter(|t| t.status == TicketStatus::Open)
        .filter_map(|t| t.channel_id)
        .collect();
    let (stray, missing) = emulator.world(|w| {
        let in_category: Vec<u64> = w
            .channels
            .values()
            .filter(|c| c.parent_id == Some(world.category))
            .map(|c| c.id)
            .collect();
        (
            in_category
                .iter()
                .filter(|c| !open_channels.contains(c))
                .count(),
            open_channels
                .iter()
                .filter(|c| !in_category.contains(c))
                .count(),
        )
    });
    let all_open = open_channels.len() == rounds;
    println!(
        "{rounds} closes and {rounds} opens killed at random points in {:.1?}: {closed} closed, {} opens completed and {} undone ({stray_deleted} of them after creating their channel; all opened again), {} open, {left} left opening or closing, {stray} channels without a ticket, {missing} open tickets without a channel, {failures} rounds failed",
        started_at.elapsed(),
        outcomes.0,
        outcomes.1,
        open_channels.len(),
    );
    failures > 0 || closed != rounds || left > 0 || stray > 0 || missing > 0 || !all_open
}
