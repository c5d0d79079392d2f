//! Gateway shards: with the emulator recommending two shards, one bot process runs both
//! (`--shard-total auto`); each guild's events come on its own shard's connection, tickets
//! open in guilds on both shards, and a click in a DM (which Discord sends on shard 0) finds
//! the ticket of a guild on shard 1.

use std::sync::Arc;

use serde_json::Value;
use ticketbot::app::{self, Mode};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot::discord::Shards;
use ticketbot::store::TicketStatus;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_runs_every_shard_and_a_dm_finds_its_guilds_ticket() {
    let emu = Emulator::start().await.unwrap();
    emu.recommend_shards(2);
    let dir = tempfile::tempdir().unwrap();
    let cache = std::env::temp_dir().join("ticketbot-test-plugin-cache");
    // Two communities, one on each shard.
    let mut worlds = Vec::new();
    for shard in [0, 1] {
        emu.next_id_on_shard(shard, 2);
        let mut world = DemoWorld::create(&emu);
        assert_eq!(shard_of(world.guild, 2), shard);
        world.plugin_cache = Some(cache.clone());
        world.close_delay_seconds = 1;
        world.enable_action("feedback").unwrap();
        worlds.push(world);
    }
    let mut text = String::new();
    for (i, world) in worlds.iter().enumerate() {
        let full = world.config_toml(
            &dir.path().join("shards.duckdb"),
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
    let config = Config::parse(&dir.path().join("shards.toml"), text).unwrap();
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
    let (world, (channel, welcome, opener)) = (&worlds[1], &tickets[1]);
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
    let store = running.store().clone();
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
    assert!(emu.model_errors().is_empty(), "{:?}", emu.model_errors());
    running.stop().await;
}
