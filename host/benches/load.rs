//! Load and fault suite through the emulator: 1,000 tickets opened at once across 50 guilds
//! (20 players each) while the emulator injects 429s and 5xx and drops the gateway. Reports
//! click-to-acknowledgement latency and checks that nothing was lost or duplicated.
//!
//! Run: `cargo bench -p ticketbot --bench load` (`LOAD_GUILDS`, `LOAD_PLAYERS` change the
//! size; `LOAD_FAULTS=0` runs without injected faults, for clean latency figures;
//! `LOAD_SHARDS=2` has the emulator recommend two gateway shards and the bot run both). With
//! `TICKETBOT_TEST_POSTGRES` the bot's database is a new one on that PostgreSQL server, and
//! `LOAD_PROCESSES=N` runs the bot as N real `ticketbot run` processes sharing it, one shard
//! each (`--shard-total N --shards i`). Exits non-zero if any check fails.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ticketbot::app::{self, Mode};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot::store::{Database, Store, TicketStatus};
use ticketbot::tickets::router::CustomId;
use ticketbot_emulator::{Emulator, Fault, FaultRule};

mod support;

const WAIT: Duration = Duration::from_secs(120);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let guilds = env("LOAD_GUILDS", 50);
    let players_per_guild = env("LOAD_PLAYERS", 20);
    let faults = env("LOAD_FAULTS", 1) != 0;
    let processes = env("LOAD_PROCESSES", 0) as u32;
    let shards = if processes > 0 {
        processes
    } else {
        env("LOAD_SHARDS", 1).max(1) as u32
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let failed = runtime.block_on(run(guilds, players_per_guild, faults, shards, processes));
    if failed {
        std::process::exit(1);
    }
}

async fn run(
    guild_count: usize,
    players_per_guild: usize,
    faults: bool,
    shards: u32,
    processes: u32,
) -> bool {
    let emulator = Emulator::start().await.unwrap();
    emulator.recommend_shards(shards);
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).unwrap();
    if processes > 0 && !database.is_shared() {
        eprintln!("LOAD_PROCESSES needs a shared database: set TICKETBOT_TEST_POSTGRES");
        return true;
    }
    // Many guilds in one config: the first world's file, then the others' [[guild]] blocks.
    let mut worlds = Vec::new();
    let mut text = String::new();
    for i in 0..guild_count {
        let mut world = DemoWorld::create(&emulator);
        world.plugins.clear();
        world.plugin_cache = Some(dir.path().join("plugin-cache"));
        let full = world.config_toml(
            &dir.path().join("load.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            "en",
        );
        if i == 0 {
            text.push_str(&full);
        } else {
            let at = full.find("[[guild]]").unwrap();
            text.push('\n');
            text.push_str(&full[at..]);
        }
        let players =
            support::players(&emulator, &world, &format!("player{i}_"), players_per_guild);
        worlds.push((world, players));
    }
    // The bot: in this process (as before), or as real processes, one shard each, on the
    // shared database (written into the config file they read).
    let mut bots = Vec::new();
    let mut running = None;
    if processes > 0 {
        let file = text.replacen(
            &format!(
                "database = {:?}",
                dir.path().join("load.duckdb").display().to_string()
            ),
            &format!("database = {:?}", database.to_string()),
            1,
        );
        assert_ne!(file, text, "the database line is in the config");
        let path = dir.path().join("load.toml");
        std::fs::write(&path, file).unwrap();
        for shard in 0..processes {
            let before = emulator.gateway_stats().identifies;
            bots.push(support::spawn_shard(
                &path, &emulator, shard, processes, "error",
            ));
            support::identified(&emulator, before).await;
        }
    } else {
        let mut config = Config::parse(&dir.path().join("load.toml"), text).unwrap();
        config.database = database.clone();
        let mut settings = demo::settings(&emulator);
        if shards > 1 {
            settings.shards = ticketbot::discord::Shards::Auto;
        }
        let started = app::start(Arc::new(config), Mode::Full(settings))
            .await
            .unwrap();
        started.ready().await;
        running = Some(started);
    }
    let store = match &running {
        Some(running) => running.store().clone(),
        None => Store::connect(&database).await.unwrap(),
    };

    // The panels.
    let mut panels = Vec::new();
    for (world, _) in &worlds {
        panels.push(support::post_panel(&emulator, world).await);
    }

    // Faults while the load runs, in proportion to it: rate limits and server errors on
    // channel creation, messages and interaction answers, and a gateway drop.
    let total = guild_count * players_per_guild;
    let (limits, errors, answers) = (
        (total / 25).max(1) as u32,
        (total / 25).max(1) as u32,
        (total / 50).max(1) as u32,
    );
    if faults {
        emulator.inject(FaultRule {
            method: Some("POST".into()),
            path_contains: "/channels".into(),
            times: limits,
            fault: Fault::RateLimited {
                retry_after: 0.05,
                global: false,
            },
        });
        emulator.inject(FaultRule {
            method: Some("POST".into()),
            path_contains: "/messages".into(),
            times: errors,
            fault: Fault::ServerError(500),
        });
        emulator.inject(FaultRule {
            method: Some("POST".into()),
            path_contains: "/interactions/".into(),
            times: answers,
            fault: Fault::ServerError(502),
        });
    }

    let injected = if faults {
        format!("with {limits} × 429, {errors} × 500, {answers} × 502 injected and a gateway drop")
    } else {
        "no faults".to_owned()
    };
    let per_shard: Vec<usize> = (0..shards)
        .map(|shard| {
            worlds
                .iter()
                .filter(|(w, _)| ticketbot_emulator::shard_of(w.guild, shards) == shard)
                .count()
        })
        .collect();
    let bot = if processes > 0 {
        format!("{processes} bot processes on PostgreSQL")
    } else if database.is_shared() {
        "one bot process on PostgreSQL".to_owned()
    } else {
        "one bot process on DuckDB".to_owned()
    };
    println!("load: {total} tickets opened at once across {guild_count} guilds ({players_per_guild} players each), {bot}, {shards} gateway shard(s) with {per_shard:?} guilds, {injected}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for ((_, players), panel) in worlds.iter().zip(&panels) {
        for player in players {
            let actor = emulator.user(*player);
            let panel = *panel;
            tasks.push(tokio::spawn(async move {
                let clicked = Instant::now();
                let menu = actor
                    .click(panel, &CustomId::OpenPanel.to_string())
                    .unwrap();
                menu.response(WAIT).await.unwrap();
                let first_ack = clicked.elapsed();
                let menu = menu.message(WAIT).await.unwrap();
                let menu_id: u64 = menu["id"].as_str().unwrap().parse().unwrap();
                let chosen = Instant::now();
                let choice = actor
                    .choose(menu_id, &CustomId::ChooseType.to_string(), &["support"])
                    .unwrap();
                choice.response(WAIT).await.unwrap();
                let second_ack = chosen.elapsed();
                choice.message(WAIT).await.unwrap();
                (first_ack, second_ack)
            }));
        }
    }
    if faults {
        tokio::time::sleep(Duration::from_millis(200)).await;
        emulator.drop_gateway();
    }
    let mut acks = Vec::new();
    for task in tasks {
        let (a, b) = task.await.unwrap();
        acks.push(a);
        acks.push(b);
    }
    let elapsed = started.elapsed();
    acks.sort();
    let pick = |p: f64| acks[((acks.len() - 1) as f64 * p) as usize];
    println!(
        "opened in {elapsed:.1?} ({:.0} tickets/s); click-to-acknowledgement over {} interactions: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        total as f64 / elapsed.as_secs_f64(),
        acks.len(),
        pick(0.5),
        pick(0.99),
        acks[acks.len() - 1]
    );

    // Checks: every ticket open in the database with its own channel, one per player, and the
    // emulated Discord holding exactly those channels.
    let mut failed = false;
    let mut check = |ok: bool, what: String| {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        failed |= !ok;
    };
    let mut channels = HashSet::new();
    let mut open = 0;
    for (world, players) in &worlds {
        let tickets = store.tickets_of_guild(world.guild).await.unwrap();
        let openers: HashSet<u64> = tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Open)
            .map(|t| t.opener_id)
            .collect();
        open += tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Open)
            .count();
        if openers.len() != players.len() {
            check(
                false,
                format!(
                    "guild {}: {} of {} players have an open ticket",
                    world.guild,
                    openers.len(),
                    players.len()
                ),
            );
        }
        channels.extend(tickets.iter().filter_map(|t| t.channel_id));
    }
    check(
        open == total,
        format!("{open} of {total} tickets open in the database"),
    );
    check(
        channels.len() == total,
        format!(
            "{} distinct ticket channels for {total} tickets",
            channels.len()
        ),
    );
    let categories: HashSet<u64> = worlds
        .iter()
        .flat_map(|(w, _)| [w.category, w.overflow_category])
        .collect();
    let in_discord = emulator.world(|w| {
        w.channels
            .values()
            .filter(|c| c.kind == 0 && c.parent_id.is_some_and(|p| categories.contains(&p)))
            .count()
    });
    check(
        in_discord == total,
        format!("{in_discord} ticket channels in the emulated Discord (no duplicate, none lost)"),
    );
    let stats = emulator.gateway_stats();
    if faults {
        check(
            stats.resumes >= 1,
            format!(
                "the gateway was dropped and resumed ({} resumes)",
                stats.resumes
            ),
        );
    }
    let problems = emulator.model_errors();
    check(
        problems.is_empty(),
        format!("{} payloads Discord would refuse", problems.len()),
    );
    match running {
        Some(running) => running.stop().await,
        None => {
            store.close().await;
            for bot in bots {
                bot.stop();
            }
        }
    }
    failed
}
