//! Load and fault suite through the emulator: 1,000 tickets opened at once across 50 guilds
//! (20 players each) while the emulator injects 429s and 5xx and drops the gateway. Reports
//! click-to-acknowledgement latency and checks that nothing was lost or duplicated.
//!
//! Run: `cargo bench -p ticketbot --bench load` (`LOAD_GUILDS`, `LOAD_PLAYERS` change the
//! size; `LOAD_FAULTS=0` runs without injected faults, for clean latency figures;
//! `LOAD_SHARDS=2` has the emulator recommend two gateway shards and the bot run both).
//!
//! Scaling out, with `TICKETBOT_TEST_POSTGRES` (the bot's database is then a new one on that
//! PostgreSQL server):
//! - `LOAD_PROCESSES=N` runs the bot as N real `ticketbot run` processes sharing it, one shard
//!   each (`--shard-total N --shards i`);
//! - `LOAD_REPLICAS=N` adds N `ticketbot serve` processes: before the burst one ticket per guild
//!   is opened and closed, and its transcript is read from every replica throughout the burst;
//!   after it, one ticket per guild is closed and must be served by every replica;
//! - `LOAD_KILL=1` (with 2 or more processes) kills the last bot process (SIGKILL) once a third
//!   of its guilds' tickets exist, and starts it again. Players whose click goes unanswered press again
//!   (as they would when Discord says "This interaction failed"); every ticket must end up
//!   open exactly once, and an opening the killed process left midway must be undone.
//!
//! Exits non-zero if any check fails.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ticketbot::app::{self, Mode};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot::store::{Database, Store, TicketStatus};
use ticketbot::tickets::router::CustomId;
use ticketbot::transcript::token::LinkKey;
use ticketbot_emulator::{Actor, Emulator, Fault, FaultRule};

mod support;

/// How long anything may take before the bench calls it lost.
const WAIT: Duration = Duration::from_secs(120);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What to run, from the environment.
struct Setup {
    guilds: usize,
    players: usize,
    faults: bool,
    shards: u32,
    processes: u32,
    replicas: usize,
    kill: bool,
}

fn main() {
    let processes = env("LOAD_PROCESSES", 0) as u32;
    let setup = Setup {
        guilds: env("LOAD_GUILDS", 50),
        players: env("LOAD_PLAYERS", 20),
        faults: env("LOAD_FAULTS", 1) != 0,
        shards: if processes > 0 {
            processes
        } else {
            env("LOAD_SHARDS", 1).max(1) as u32
        },
        processes,
        replicas: env("LOAD_REPLICAS", 0),
        kill: env("LOAD_KILL", 0) != 0,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if runtime.block_on(run(setup)) {
        std::process::exit(1);
    }
}

/// How long a player waits for an answer before pressing again, and how often they try.
#[derive(Clone, Copy)]
struct Patience {
    /// For the acknowledgement (Discord gives up on an unanswered interaction after 3 s).
    ack: Duration,
    /// For the answer's message (the menu, then the link).
    answer: Duration,
    tries: u32,
}

/// How one player's ticket came to be.
struct Opening {
    /// Click-to-acknowledgement of the panel button and of the type choice (last attempt).
    acks: [Duration; 2],
    attempts: u32,
    /// From the first click to the link.
    took: Duration,
}

/// One player opens a support ticket from `panel`, pressing again (up to `patience.tries`
/// times) when an answer does not come or comes without a link.
async fn open_ticket(actor: Actor, panel: u64, patience: Patience) -> Result<Opening, String> {
    let first = Instant::now();
    let mut last = String::new();
    for attempt in 1..=patience.tries {
        match try_open(&actor, panel, patience).await {
            Ok(acks) => {
                return Ok(Opening {
                    acks,
                    attempts: attempt,
                    took: first.elapsed(),
                })
            }
            Err(why) => last = why,
        }
        // "Your ticket is already being created": give the bot a moment.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!(
        "player {}: no ticket after {} attempts: {last}",
        actor.id(),
        patience.tries
    ))
}

/// One attempt: the panel's button, then the type; the two acknowledgement times.
async fn try_open(actor: &Actor, panel: u64, patience: Patience) -> Result<[Duration; 2], String> {
    let clicked = Instant::now();
    let menu = actor
        .click(panel, &CustomId::OpenPanel.to_string())
        .map_err(|e| e.to_string())?;
    menu.response(patience.ack)
        .await
        .map_err(|e| format!("panel button: {e}"))?;
    let first_ack = clicked.elapsed();
    let menu = menu
        .message(patience.answer)
        .await
        .map_err(|e| format!("menu: {e}"))?;
    let menu_id: u64 = menu["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or("the menu has no id")?;
    let chosen = Instant::now();
    let choice = actor
        .choose(menu_id, &CustomId::ChooseType.to_string(), &["support"])
        .map_err(|e| e.to_string())?;
    choice
        .response(patience.ack)
        .await
        .map_err(|e| format!("type choice: {e}"))?;
    let second_ack = chosen.elapsed();
    let answer = choice
        .message(patience.answer)
        .await
        .map_err(|e| format!("link: {e}"))?;
    // Opened now, or (after a kill) already open: either way the answer links the channel.
    match support::linked_channel(&answer) {
        Some(_) => Ok([first_ack, second_ack]),
        None => Err(format!("answered without a link: {}", answer["content"])),
    }
}

/// What a transcript replica did.
#[derive(Default)]
struct Reads {
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

/// Reads the transcripts `pages` (token, text it must contain) from `replica` in turn until
/// `stop`.
async fn read_replica(
    replica: SocketAddr,
    pages: Arc<Vec<(String, String)>>,
    stop: Arc<AtomicBool>,
) -> Reads {
    let client = reqwest::Client::new();
    let mut reads = Reads::default();
    for (token, text) in pages.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let asked = Instant::now();
        let answer = client
            .get(format!("http://{replica}/api/ticket/{token}"))
            .send()
            .await;
        let body = match answer {
            Ok(response) if response.status() == 200 => response.text().await.ok(),
            Ok(response) => {
                reads
                    .failures
                    .push(format!("{replica}: HTTP {}", response.status()));
                continue;
            }
            Err(error) => {
                reads.failures.push(format!("{replica}: {error}"));
                continue;
            }
        };
        reads.latencies.push(asked.elapsed());
        if !body.is_some_and(|b| b.contains(text.as_str())) {
            reads
                .failures
                .push(format!("{replica}: a transcript without its text"));
        }
    }
    reads
}

/// A player says `text` in their ticket `channel` and staff close it once the message is
/// captured; the ticket's id.
async fn say_and_close(
    emulator: &Emulator,
    store: &Store,
    world: &DemoWorld,
    player: u64,
    channel: u64,
    text: &str,
) -> i64 {
    emulator.user(player).say(channel, text).unwrap();
    let deadline = Instant::now() + WAIT;
    let ticket = loop {
        assert!(Instant::now() < deadline, "the message was never captured");
        let found = store
            .ticket_in_channel(channel)
            .await
            .expect("reading the ticket");
        if let Some(ticket) = found {
            let captured = store
                .captured_messages(ticket.id)
                .await
                .expect("reading the capture");
            if captured.iter().any(|m| m.content == text) {
                break ticket.id;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let closed = support::close_ticket(emulator, world, channel, "load bench").await;
    assert_eq!(
        closed, ticket,
        "the welcome's close button is this ticket's"
    );
    ticket
}

/// Percentile `p` of sorted `values` (zero when there are none: every player lost, which
/// the checks then report).
fn pick(values: &[Duration], p: f64) -> Duration {
    match values.len() {
        0 => Duration::ZERO,
        n => values[((n - 1) as f64 * p) as usize],
    }
}

/// The config file several processes share: `text` with its DuckDB file replaced by the
/// shared database, and web servers on `listen`.
fn shared_config(text: &str, file: &Path, database: &Database, listen: SocketAddr) -> String {
    let shared = text
        .replacen(
            &format!("database = {:?}", file.display().to_string()),
            &format!("database = {:?}", database.to_string()),
            1,
        )
        .replace("127.0.0.1:0", &listen.to_string());
    assert_ne!(shared, text, "the database line is in the config");
    shared
}

async fn run(setup: Setup) -> bool {
    let Setup {
        guilds: guild_count,
        players: players_per_guild,
        faults,
        shards,
        processes,
        replicas,
        kill,
    } = setup;
    let emulator = Emulator::start().await.unwrap();
    emulator.recommend_shards(shards);
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).unwrap();
    if (processes > 0 || replicas > 0) && !database.is_shared() {
        eprintln!(
            "LOAD_PROCESSES and LOAD_REPLICAS need a shared database: set TICKETBOT_TEST_POSTGRES"
        );
        return true;
    }
    if kill && processes < 2 {
        eprintln!("LOAD_KILL needs LOAD_PROCESSES=2 or more (one is killed, the others go on)");
        return true;
    }
    // Many guilds in one config: the first world's file, then the others' [[guild]] blocks.
    let file = dir.path().join("load.duckdb");
    let mut worlds = Vec::new();
    let mut text = String::new();
    for i in 0..guild_count {
        let mut world = DemoWorld::create(&emulator);
        world.plugins.clear();
        world.close_delay_seconds = 0;
        world.plugin_cache = Some(dir.path().join("plugin-cache"));
        let full = world.config_toml(&file, "127.0.0.1:0".parse().unwrap(), "en");
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
    let path = dir.path().join("load.toml");
    let mut bots = Vec::new();
    let mut running = None;
    if processes > 0 {
        let config = shared_config(&text, &file, &database, "127.0.0.1:0".parse().unwrap());
        std::fs::write(&path, config).unwrap();
        for shard in 0..processes {
            let before = emulator.gateway_stats().identifies;
            bots.push(support::spawn_shard(
                &path, &emulator, shard, processes, "error",
            ));
            support::identified(&emulator, before).await;
        }
    } else {
        let mut config = Config::parse(&path, text.clone()).unwrap();
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
    // Transcript replicas: the same config (same database and link key, beside it), each
    // listening on its own port.
    let client = reqwest::Client::new();
    let mut servers = Vec::new();
    let mut addresses = Vec::new();
    for i in 0..replicas {
        let address = support::free_address();
        let config = dir.path().join(format!("replica{i}.toml"));
        std::fs::write(&config, shared_config(&text, &file, &database, address)).unwrap();
        servers.push(support::spawn_serve(&config, "error"));
        support::healthy(&client, address).await;
        addresses.push(address);
    }
    let key = if database.is_shared() {
        let config = Config::parse(
            &path,
            shared_config(&text, &file, &database, "127.0.0.1:0".parse().unwrap()),
        )
        .unwrap();
        Some(LinkKey::load(&config.state_file("link-key")).unwrap())
    } else {
        None
    };

    // The panels.
    let mut panels = Vec::new();
    for (world, _) in &worlds {
        panels.push(support::post_panel(&emulator, world).await);
    }

    // Before the burst, for the replicas to serve during it: one ticket per guild opened,
    // written in and closed.
    let mut pages = Vec::new();
    if replicas > 0 {
        let key = key.as_ref().unwrap();
        let seeded = Instant::now();
        for (i, ((world, _), panel)) in worlds.iter().zip(&panels).enumerate() {
            let player = support::players(&emulator, world, &format!("seed{i}_"), 1)[0];
            let answer = support::choose_support(&emulator, player, *panel)
                .await
                .message(WAIT)
                .await
                .unwrap();
            let channel = support::linked_channel(&answer).unwrap();
            let text = format!("seeded transcript of guild {i}");
            let ticket = say_and_close(&emulator, &store, world, player, channel, &text).await;
            let token = key.token(ticket);
            assert!(
                support::served(&client, addresses[0], &token, &text, WAIT).await,
                "a seeded transcript is served"
            );
            pages.push((token, text));
        }
        println!(
            "seeded {} closed tickets for the replicas in {:.1?}",
            pages.len(),
            seeded.elapsed()
        );
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
    let extras = match (replicas, kill) {
        (0, false) => String::new(),
        (0, true) => ", the last process killed and restarted mid-burst".to_owned(),
        (n, false) => format!(", {n} transcript replicas read throughout"),
        (n, true) => format!(", {n} transcript replicas read throughout, the last bot process killed and restarted mid-burst"),
    };
    println!("load: {total} tickets opened at once across {guild_count} guilds ({players_per_guild} players each), {bot}, {shards} gateway shard(s) with {per_shard:?} guilds{extras}, {injected}");

    let categories: HashSet<u64> = worlds
        .iter()
        .flat_map(|(w, _)| [w.category, w.overflow_category])
        .collect();
    let ticket_channels = |w: &ticketbot_emulator::World| {
        w.channels
            .values()
            .filter(|c| c.kind == 0 && c.parent_id.is_some_and(|p| categories.contains(&p)))
            .count()
    };
    // Without a kill a player presses once and waits as long as it takes; with one, they
    // press again when Discord would have said "This interaction failed".
    let patience = if kill {
        Patience {
            ack: Duration::from_secs(5),
            answer: Duration::from_secs(10),
            tries: 30,
        }
    } else {
        Patience {
            ack: WAIT,
            answer: WAIT,
            tries: 1,
        }
    };
    let stop_reading = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(pages);
    let readers: Vec<_> = addresses
        .iter()
        .map(|replica| tokio::spawn(read_replica(*replica, pages.clone(), stop_reading.clone())))
        .collect();
    let burst_from = emulator.log_position();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for ((_, players), panel) in worlds.iter().zip(&panels) {
        for player in players {
            tasks.push(tokio::spawn(open_ticket(
                emulator.user(*player),
                *panel,
                patience,
            )));
        }
    }
    if faults {
        tokio::time::sleep(Duration::from_millis(200)).await;
        emulator.drop_gateway();
    }
    let mut restart = None;
    if kill {
        // Mid-way through the work of the process killed: once a third of its guilds'
        // tickets have their channel.
        let shard = processes - 1;
        let its: HashSet<u64> = worlds
            .iter()
            .filter(|(w, _)| ticketbot_emulator::shard_of(w.guild, shards) == shard)
            .flat_map(|(w, _)| [w.category, w.overflow_category])
            .collect();
        let its_tickets = per_shard[shard as usize] * players_per_guild;
        emulator
            .wait_world(WAIT, "a third of its tickets", |w| {
                let made = w
                    .channels
                    .values()
                    .filter(|c| c.kind == 0 && c.parent_id.is_some_and(|p| its.contains(&p)))
                    .count();
                (made >= its_tickets / 3).then_some(())
            })
            .await
            .unwrap();
        let killed_at = started.elapsed();
        bots[shard as usize].kill();
        let down = Instant::now();
        let before = emulator.gateway_stats().identifies;
        bots[shard as usize] = support::spawn_shard(&path, &emulator, shard, processes, "error");
        support::identified(&emulator, before).await;
        restart = Some((killed_at, down.elapsed()));
    }
    let mut acks = Vec::new();
    let mut retried = Vec::new();
    let mut lost = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(opening) => {
                acks.extend(opening.acks);
                if opening.attempts > 1 {
                    retried.push((opening.attempts, opening.took));
                }
            }
            Err(why) => lost.push(why),
        }
    }
    let elapsed = started.elapsed();
    stop_reading.store(true, Ordering::Relaxed);
    let mut reads = Reads::default();
    for reader in readers {
        let done = reader.await.unwrap();
        reads.latencies.extend(done.latencies);
        reads.failures.extend(done.failures);
    }
    acks.sort();
    println!(
        "opened in {elapsed:.1?} ({:.0} tickets/s); click-to-acknowledgement over {} interactions: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        total as f64 / elapsed.as_secs_f64(),
        acks.len(),
        pick(&acks, 0.5),
        pick(&acks, 0.99),
        pick(&acks, 1.0)
    );
    if let Some((at, down)) = restart {
        let attempts: u32 = retried.iter().map(|(a, _)| a - 1).sum();
        let longest = retried.iter().map(|(_, t)| *t).max().unwrap_or_default();
        // No ticket closes during the burst: a channel deleted is an undone opening's.
        let deleted = emulator.requests()[burst_from..]
            .iter()
            .filter(|r| r.is("DELETE", "/channels/*") && r.status < 300)
            .count();
        println!(
            "killed shard {} at {at:.1?}, identified again {down:.1?} later; {deleted} channels of openings it left midway deleted; {} players pressed again ({attempts} extra attempts), the longest from first click to link {longest:.1?}",
            processes - 1,
            retried.len()
        );
    }
    if !addresses.is_empty() {
        reads.latencies.sort();
        println!(
            "{} replicas served {} transcript reads during the burst: p50 {:.2?}, p99 {:.2?}, {} failed",
            addresses.len(),
            reads.latencies.len(),
            pick(&reads.latencies, 0.5),
            pick(&reads.latencies, 0.99),
            reads.failures.len()
        );
    }

    // Checks: every ticket open in the database with its own channel, one per player, and the
    // emulated Discord holding exactly those channels.
    let mut failed = false;
    let mut check = |ok: bool, what: String| {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        failed |= !ok;
    };
    for why in lost.iter().take(5) {
        println!("     {why}");
    }
    check(
        lost.is_empty(),
        format!(
            "{} of {total} players got their ticket's link",
            total - lost.len()
        ),
    );
    let mut channels = HashSet::new();
    let mut open = 0;
    let mut unfinished = 0;
    for (world, players) in &worlds {
        let tickets = store.tickets_of_guild(world.guild).await.unwrap();
        let open_ones: Vec<_> = tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Open)
            .collect();
        let openers: HashSet<u64> = open_ones.iter().map(|t| t.opener_id).collect();
        let players: HashSet<u64> = players.iter().copied().collect();
        open += open_ones.len();
        unfinished += tickets
            .iter()
            .filter(|t| !matches!(t.status, TicketStatus::Open | TicketStatus::Closed))
            .count();
        if openers != players {
            check(
                false,
                format!(
                    "guild {}: {} of {} players have an open ticket",
                    world.guild,
                    openers.intersection(&players).count(),
                    players.len()
                ),
            );
        }
        channels.extend(open_ones.iter().filter_map(|t| t.channel_id));
    }
    check(
        open == total,
        format!("{open} of {total} tickets open in the database"),
    );
    check(
        unfinished == 0,
        format!("{unfinished} tickets left opening, closing or cancelling"),
    );
    check(
        channels.len() == total,
        format!(
            "{} distinct ticket channels for {total} tickets",
            channels.len()
        ),
    );
    // A channel an undone opening created is deleted by the restarted process's recovery,
    // which may still be at it.
    let settled = emulator
        .wait_world(Duration::from_secs(30), "no stray channel", |w| {
            (ticket_channels(w) == total).then_some(())
        })
        .await
        .is_ok();
    let in_discord = emulator.world(ticket_channels);
    check(
        settled && in_discord == total,
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
    if !addresses.is_empty() {
        for why in reads.failures.iter().take(5) {
            println!("     {why}");
        }
        check(
            reads.failures.is_empty() && !reads.latencies.is_empty(),
            format!(
                "every transcript read during the burst answered ({} failed)",
                reads.failures.len()
            ),
        );
        // After the burst: one new close per guild, which every replica must serve.
        let key = key.as_ref().unwrap();
        let closing = Instant::now();
        let mut fresh = Vec::new();
        for (i, (world, players)) in worlds.iter().enumerate() {
            let player = players[0];
            let ticket = store
                .tickets_of_guild(world.guild)
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.opener_id == player && t.status == TicketStatus::Open)
                .unwrap();
            let text = format!("closed after the burst in guild {i}");
            let id = say_and_close(
                &emulator,
                &store,
                world,
                player,
                ticket.channel_id.unwrap(),
                &text,
            )
            .await;
            fresh.push((key.token(id), text));
        }
        let mut missing = 0;
        for (token, text) in &fresh {
            for replica in &addresses {
                missing +=
                    usize::from(!support::served(&client, *replica, token, text, WAIT).await);
            }
        }
        check(
            missing == 0,
            format!(
                "{} tickets closed after the burst, each transcript served by all {} replicas within {:.1?} ({missing} missing)",
                fresh.len(),
                addresses.len(),
                closing.elapsed()
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
    for server in servers {
        server.stop();
    }
    failed
}
