//! Gateway shards: with the emulator recommending two shards, one bot process runs both
//! (`--shard-total auto`); each guild's events come on its own shard's connection, tickets
//! open in guilds on both shards, and a click in a DM (which Discord sends on shard 0) finds
//! the ticket of a guild on shard 1. On PostgreSQL, two bot processes split the shards (0/2
//! and 1/2) over one database, and the DM still finds its ticket across them.

use std::sync::Arc;

use serde_json::Value;
use ticketbot::app::{self, Mode};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot::discord::Shards;
use ticketbot::store::{Database, TicketStatus};
use ticketbot_e2e::{custom_ids, eventually, id_of, WAIT};
use ticketbot_emulator::{shard_of, Emulator};

/// Staff post the panel; a new player opens a support ticket; its channel, welcome and
/// opener.
async fn open_ticket(emu: &Emulator, world: &DemoWorld, player_name: &str) -> (u64, Value, u64) {
    emu.user(world.staff)
        .say(world.panel_channel, "!setup_tickets")
        .unwrap();
    let panel = eventually("the panel", || {
        emu.messages_in(world.panel_channel)
            .into_iter()
            .find(|m| !custom_ids(m).is_empty())
    })
    .await;
    let player = emu.create_user(player_name);
    emu.add_member(world.guild, player, &[]);
    let actor = emu.user(player);
    let menu = actor
        .click(id_of(&panel), "tb:open")
        .unwrap()
        .message(WAIT)
        .await
        .unwrap();
    let answer = actor
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap()
        .message(WAIT)
        .await
        .unwrap();
    let url = answer["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no link in {answer}"));
    let channel: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let welcome = eventually("the welcome message", || {
        emu.messages_in(channel)
            .into_iter()
            .find(|m| !custom_ids(m).is_empty())
    })
    .await;
    (channel, welcome, player)
}

/// Two communities, one on each of two shards, in one config (with the feedback action, and
/// closes after a second).
fn two_communities(emu: &Emulator, dir: &std::path::Path) -> (Vec<DemoWorld>, Config) {
    let cache = std::env::temp_dir().join("ticketbot-test-plugin-cache");
    // Two communities, one on each shard.
    let mut worlds = Vec::new();
    for shard in [0, 1] {
        emu.next_id_on_shard(shard, 2);
        let mut world = DemoWorld::create(emu);
        assert_eq!(shard_of(world.guild, 2), shard);
        world.plugin_cache = Some(cache.clone());
        world.close_delay_seconds = 1;
        world.enable_action("feedback").unwrap();
        worlds.push(world);
    }
    let mut text = String::new();
    for (i, world) in worlds.iter().enumerate() {
        let full = world.config_toml(
            &dir.join("shards.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            "en",
        );
        let at = if i == 0 {
            0
        } else {
            full.find("[[guild]]").unwrap()
        };
        text.push('\n');
        text.push_str(&full[at..]);
    }
    let config = Config::parse(&dir.join("shards.toml"), text).unwrap();
    (worlds, config)
}

/// Closes the ticket of `world` (its channel and welcome) and rates it 5 stars from the
/// opener's DM (a click Discord sends on shard 0).
async fn close_and_rate_from_dm(
    emu: &Emulator,
    store: &ticketbot::store::Store,
    world: &DemoWorld,
    (channel, welcome, opener): &(u64, Value, u64),
) {
    let opener = *opener;
    let close = custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("tb:close:"))
        .unwrap();
    let staff = emu.user(world.staff);
    let form = staff.click(id_of(welcome), &close).unwrap();
    form.response(WAIT).await.unwrap();
    staff
        .submit_modal(&form, &[("reason", "done")])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let ask = eventually("the rating DM", || {
        let dm = emu.world(|w| w.dm_channels.get(&opener).copied())?;
        emu.messages_in(dm)
            .into_iter()
            .find(|m| custom_ids(m).concat().len() == 5)
    })
    .await;
    let five = custom_ids(&ask).concat()[4].clone();
    let update = emu
        .user(opener)
        .click(id_of(&ask), &five)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(update["type"], 7, "{update}");
    let ticket = eventually("the ticket closed", || {
        let all = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(store.tickets_of_guild(world.guild))
        })
        .unwrap();
        all.into_iter()
            .find(|t| t.channel_id == Some(*channel) && t.status == TicketStatus::Closed)
    })
    .await;
    let rated = eventually("the rating stored", || {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(store.feedback(ticket.id))
        })
        .unwrap()
    })
    .await;
    assert_eq!(rated.stars, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_runs_every_shard_and_a_dm_finds_its_guilds_ticket() {
    let emu = Emulator::start().await.unwrap();
    emu.recommend_shards(2);
    let dir = tempfile::tempdir().unwrap();
    let (worlds, mut config) = two_communities(&emu, dir.path());
    config.database = Database::scratch(dir.path()).unwrap();
    let mut settings = demo::settings(&emu);
    settings.shards = Shards::Auto;
    let running = app::start(Arc::new(config), Mode::Full(settings))
        .await
        .unwrap();
    // Ready once both shards are: together they see both guilds.
    let ready = tokio::time::timeout(WAIT, running.ready())
        .await
        .expect("READY on both shards")
        .unwrap();
    for world in &worlds {
        assert!(ready.guilds.contains(&world.guild), "{ready:?}");
    }
    let stats = emu.gateway_stats();
    assert_eq!((stats.shards.clone(), stats.total), (vec![0, 1], 2));
    assert_eq!(stats.identifies, 2);

    // A ticket in each guild, each through its own shard's connection.
    let mut tickets = Vec::new();
    for (i, world) in worlds.iter().enumerate() {
        tickets.push(open_ticket(&emu, world, &format!("player{i}")).await);
    }

    // The guild on shard 1: staff close its ticket; the opener rates it from the DM, a click
    // Discord delivers on shard 0.
    close_and_rate_from_dm(&emu, running.store(), &worlds[1], &tickets[1]).await;
    assert!(emu.model_errors().is_empty(), "{:?}", emu.model_errors());
    running.stop().await;
}

/// Two bot processes on one database, `--shards 0 --shard-total 2` and `--shards 1`: each
/// connects only its shard and serves its own guild; the DM click for the guild on shard 1
/// arrives at the process running shard 0 and finds its ticket in the shared database.
/// (PostgreSQL only: separate processes cannot share a DuckDB file.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_split_the_shards_over_one_database() {
    let emu = Emulator::start().await.unwrap();
    emu.recommend_shards(2);
    let dir = tempfile::tempdir().unwrap();
    let (worlds, mut config) = two_communities(&emu, dir.path());
    config.database = Database::scratch(dir.path()).unwrap();
    let shared = config.database.is_shared();
    let config = Arc::new(config);
    let start = |first: u32| {
        let mut settings = demo::settings(&emu);
        settings.shards = Shards::Range {
            first,
            last: first,
            total: 2,
        };
        app::start(config.clone(), Mode::Full(settings))
    };
    if !shared {
        // Separate processes cannot share a DuckDB file (`ticketbot run` refuses a shard
        // subset on one: tests/service.rs); in one process DuckDB would share it, which proves
        // nothing. `.ci/run` runs this on PostgreSQL.
        eprintln!("two processes need PostgreSQL: set TICKETBOT_TEST_POSTGRES to run this test");
        return;
    }
    let zero = start(0).await.unwrap();
    let one = start(1).await.unwrap();
    for (running, world) in [(&zero, &worlds[0]), (&one, &worlds[1])] {
        let ready = tokio::time::timeout(WAIT, running.ready())
            .await
            .expect("READY")
            .unwrap();
        assert_eq!(
            ready.guilds,
            vec![world.guild],
            "each process sees its own guild"
        );
    }
    let stats = emu.gateway_stats();
    assert_eq!((stats.shards.clone(), stats.total), (vec![0, 1], 2));

    let mut tickets = Vec::new();
    for (i, world) in worlds.iter().enumerate() {
        tickets.push(open_ticket(&emu, world, &format!("player{i}")).await);
    }
    // Each process stored the ticket of its own guild, in the one database.
    for (i, world) in worlds.iter().enumerate() {
        let all = zero.store().tickets_of_guild(world.guild).await.unwrap();
        assert_eq!(all.len(), 1, "guild {i}: {all:?}");
    }
    close_and_rate_from_dm(&emu, zero.store(), &worlds[1], &tickets[1]).await;
    assert!(emu.model_errors().is_empty(), "{:?}", emu.model_errors());
    one.stop().await;
    zero.stop().await;
}
