//! The built-in plugins end to end (real wasm components built from `plugins/`, loaded by the
//! real host), and the host's fault isolation: a plugin that traps, panics, loops, eats memory
//! or uses what it was not granted ends that event only.

use serde_json::{json, Value};
use ticketbot_e2e::{custom_ids, eventually, id_of, says, Harness, WAIT};

const EPHEMERAL: u64 = 64;
const VIEW: u64 = 1 << 10;
const CONNECT: u64 = 1 << 20;

/// The custom_id of plugin `plugin`'s ticket button `button` on the welcome message.
fn plugin_button(welcome: &Value, plugin: &str, button: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| {
            id.starts_with(&format!("pl:{plugin}:")) && id.ends_with(&format!(":b:{button}"))
        })
        .unwrap_or_else(|| panic!("no {plugin}/{button} button in {welcome}"))
}

fn content(response: &Value) -> &str {
    response["data"]["content"].as_str().unwrap_or_default()
}

fn is_ephemeral(response: &Value) -> bool {
    response["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
}

/// `user` presses plugin `plugin`'s button `button` and the bot's initial response.
async fn press(h: &Harness, user: u64, welcome: &Value, plugin: &str, button: &str) -> Value {
    h.emu
        .user(user)
        .click(id_of(welcome), &plugin_button(welcome, plugin, button))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap()
}

/// `user` presses plugin `plugin`'s button `button`; the text the bot finally answers (after a
/// defer, the message it became) and whether only the clicker sees it.
async fn press_for_answer(
    h: &Harness,
    user: u64,
    welcome: &Value,
    plugin: &str,
    button: &str,
) -> (String, bool) {
    let click = h
        .emu
        .user(user)
        .click(id_of(welcome), &plugin_button(welcome, plugin, button))
        .unwrap();
    let private = is_ephemeral(&click.response(WAIT).await.unwrap());
    (ticketbot_e2e::answer_text(&click).await, private)
}

fn dms_of(h: &Harness, user: u64) -> Vec<Value> {
    h.emu
        .world(|w| w.dm_channels.get(&user).copied())
        .map(|channel| h.emu.messages_in(channel))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poke_dms_the_opener_once_per_cooldown() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;

    let refused = press(&h, h.world.player, &welcome, "poke", "poke").await;
    assert_eq!(content(&refused), "Only staff can do that.");
    assert!(is_ephemeral(&refused));

    let (answer, private) = press_for_answer(&h, h.world.staff, &welcome, "poke", "poke").await;
    assert_eq!(answer, "The opener was poked by DM.");
    assert!(private);
    let dm = eventually("the poke DM", || {
        dms_of(&h, h.world.player).into_iter().next()
    })
    .await;
    let embed = &dm["embeds"][0];
    assert_eq!(embed["title"], "👋 Your ticket needs you");
    let text = embed["description"].as_str().unwrap();
    assert!(
        text.contains("officer_rodrigues") && text.contains(&format!("<#{channel}>")),
        "{text}"
    );
    let link = &dm["components"][0]["components"][0];
    assert_eq!(
        link["url"],
        format!("https://discord.com/channels/{}/{channel}", h.world.guild)
    );

    // The cooldown (60 s in the demo config) is kept in the plugin's storage.
    let again = press(&h, h.world.staff, &welcome, "poke", "poke").await;
    assert!(
        content(&again).starts_with("This ticket was poked recently; try again in"),
        "{again}"
    );
    assert_eq!(dms_of(&h, h.world.player).len(), 1);
    let ticket = h.ticket_in(channel).await.unwrap();
    let stored = h
        .bot()
        .store()
        .plugin_get(h.world.guild, "poke", &format!("last-poke:{}", ticket.id))
        .await
        .unwrap();
    assert!(stored.is_some_and(|ms| ms.parse::<u64>().is_ok()));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poke_that_cannot_be_delivered_is_reported_to_the_clicker() {
    let h = Harness::start_in("en").await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    h.emu.set_dms_closed(h.world.player, true);
    let click = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &plugin_button(&welcome, "poke", "poke"))
        .unwrap();
    // One truthful answer: the clicker waits (deferred) and is told the DM failed; it never
    // says the poke arrived.
    assert_eq!(click.response(WAIT).await.unwrap()["type"], 5, "deferred");
    let answer = click.message(WAIT).await.unwrap();
    assert_eq!(
        answer["content"],
        "The poke could not be delivered: the opener does not accept DMs."
    );
    assert_eq!(answer["flags"].as_u64().unwrap_or(0) & EPHEMERAL, EPHEMERAL);
    assert!(click.state().followups.is_empty(), "no second answer");
    assert!(dms_of(&h, h.world.player).is_empty());
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_returns_are_validated_approved_once_and_survive_a_restart() {
    let mut h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let staff = h.emu.user(h.world.staff);
    let button = plugin_button(&welcome, "item-return", "item-return");

    // A bad id: nothing is sent, and what was typed comes back.
    let form = staff.click(id_of(&welcome), &button).unwrap();
    assert_eq!(form.response(WAIT).await.unwrap()["type"], 9, "a modal");
    let bad = staff
        .submit_modal(&form, &[("recipient", "abc"), ("items", "2x pistol ammo")])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert!(is_ephemeral(&bad));
    assert!(
        content(&bad).contains("the in-game id must be 1 to 10 digits")
            && content(&bad).contains("2x pistol ammo"),
        "{bad}"
    );

    let form = staff.click(id_of(&welcome), &button).unwrap();
    form.response(WAIT).await.unwrap();
    let from = h.emu.log_position();
    let sent = staff
        .submit_modal(
            &form,
            &[
                ("recipient", "4711"),
                ("items", "2x pistol ammo\n\n1x phone"),
            ],
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(content(&sent), "Item return #1 sent for approval.");
    let request = h.message_after(from, h.world.item_return_channel).await;
    let embed = &request["embeds"][0];
    assert_eq!(embed["title"], "📦 Item return #1");
    assert_eq!(embed["description"], "• 2x pistol ammo\n• 1x phone");
    assert_eq!(embed["fields"][0]["value"], "4711");
    let ticket = h.ticket_in(channel).await.unwrap();
    let approve = format!("pl:item-return:{}:c:approve:1", ticket.id);
    assert_eq!(
        custom_ids(&request),
        vec![vec![
            approve.clone(),
            format!("pl:item-return:{}:c:deny:1", ticket.id)
        ]]
    );
    h.message_where(from, channel, |m| {
        says(
            m,
            "Item return #1 for in-game id 4711 was sent for approval",
        )
    })
    .await;

    // Staff without the approver role may not decide.
    let refused = staff
        .click(id_of(&request), &approve)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(content(&refused), "Only approvers can decide item returns.");

    // After a restart the buttons still work.
    h.restart().await;
    let decided = h
        .emu
        .user(h.world.approver)
        .click(id_of(&request), &approve)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(decided["type"], 7, "the request message is updated");
    let shown = h
        .emu
        .messages_in(h.world.item_return_channel)
        .into_iter()
        .find(|m| id_of(m) == id_of(&request))
        .unwrap();
    assert!(custom_ids(&shown).is_empty(), "buttons removed: {shown}");
    let decision = shown["embeds"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Decision")
        .unwrap();
    assert!(decision["value"]
        .as_str()
        .unwrap()
        .starts_with(&format!("✅ Approved — <@{}> <t:", h.world.approver)));
    // The decision is stored right after the answer.
    let stored: Value = eventually("the stored decision", || {
        let text = futures_lite(h.bot().store().plugin_get(
            h.world.guild,
            "item-return",
            "request:1",
        ))?;
        let value: Value = serde_json::from_str(&text).unwrap();
        (!value["decision"].is_null()).then_some(value)
    })
    .await;
    assert_eq!(stored["decision"]["approved"], true);
    assert_eq!(stored["decision"]["by"], h.world.approver);

    // The request and the decision are in the ticket's record (close log, transcript header).
    let notes = eventually("the item-return records", || {
        let notes = futures_lite(h.bot().store().notes(ticket.id));
        (notes.len() == 2).then_some(notes)
    })
    .await;
    assert_eq!(
        notes[0].body,
        "📦 Item return #1 requested for in-game id 4711: 2x pistol ammo, 1x phone"
    );
    assert_eq!(
        (notes[1].body.as_str(), notes[1].author_id),
        (
            "📦 Item return #1 approved by admin_sofia",
            h.world.approver
        )
    );

    // A copy of the buttons on a message the plugin never posted (a forged or replayed
    // component) is refused by the host before the plugin sees it; the decision stands.
    let forged = h.emu.seed_bot_message(
        h.world.item_return_channel,
        "",
        vec![json!({"type": 1, "components": [{"type": 2, "style": 4, "label": "Deny", "custom_id": format!("pl:item-return:{}:c:deny:1", ticket.id)}]})],
    );
    let late = h
        .emu
        .user(h.world.approver)
        .click(forged, &format!("pl:item-return:{}:c:deny:1", ticket.id))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        content(&late),
        "This button is no longer handled by the bot (it may come from an older version). If you need help, open a new ticket from the panel."
    );
    let text = futures_lite(
        h.bot()
            .store()
            .plugin_get(h.world.guild, "item-return", "request:1"),
    )
    .unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["decision"]["approved"], true);
    h.finish().await;
}

/// A voice channel as the tests see it: id, category, overwrites as (target, allow, deny).
type VoiceChannel = (u64, Option<u64>, Vec<(u64, u64, u64)>);

fn voice_channels(h: &Harness) -> Vec<VoiceChannel> {
    h.emu.world(|w| {
        w.channels
            .values()
            .filter(|c| c.guild_id == Some(h.world.guild) && c.kind == 2)
            .map(|c| {
                (
                    c.id,
                    c.parent_id,
                    c.overwrites
                        .iter()
                        .map(|o| (o.id, o.allow, o.deny))
                        .collect(),
                )
            })
            .collect()
    })
}

/// With a minute's empty period, nothing here races the timer: a join that empties the timer
/// table proves the timer was cancelled (it cannot have fired), and a leave schedules it again,
/// in the store, so it survives a restart. (The timer firing is the next test's, with 3 s.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_call_is_private_and_stays_while_used_and_its_timer_survives_a_restart() {
    let mut h = Harness::start_with("en", |w| {
        w.plugins[2] = ticketbot::demo::DEMO_PLUGINS[2]
            .replace("empty_after = \"5m\"", "empty_after = \"1m\"");
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let answer = press(&h, h.world.player, &welcome, "voice-call", "call").await;
    assert!(!is_ephemeral(&answer));
    assert!(
        content(&answer).starts_with("🔊 A voice channel was created"),
        "{answer}"
    );
    let (voice, parent, overwrites) = eventually("the voice channel", || {
        voice_channels(&h).into_iter().next()
    })
    .await;
    assert_eq!(parent, Some(h.world.category));
    let player = overwrites
        .iter()
        .find(|o| o.0 == h.world.player)
        .expect("the opener may join");
    assert_eq!(player.1 & (VIEW | CONNECT), VIEW | CONNECT);
    let everyone = overwrites
        .iter()
        .find(|o| o.0 == h.world.guild)
        .expect("@everyone is denied");
    assert_ne!(everyone.2 & VIEW, 0);
    let ticket = h.ticket_in(channel).await.unwrap();
    let timers = |h: &Harness| futures_lite(h.bot().store().plugin_timers_of(ticket.id));
    eventually("the empty timer scheduled", || {
        (timers(&h).len() == 1).then_some(())
    })
    .await;

    // Someone joins: the timer is cancelled (a minute has not passed, so it did not fire).
    h.emu.user(h.world.player).join_voice(voice).unwrap();
    eventually("the timer cancelled", || {
        timers(&h).is_empty().then_some(())
    })
    .await;
    assert_eq!(voice_channels(&h).len(), 1);

    // They leave: the timer is scheduled again, and a restart keeps it.
    h.emu
        .user(h.world.player)
        .leave_voice(h.world.guild)
        .unwrap();
    let scheduled = eventually("the timer scheduled again", || {
        timers(&h).into_iter().next()
    })
    .await;
    h.restart().await;
    assert_eq!(
        timers(&h),
        vec![scheduled],
        "the timer survived the restart"
    );
    assert_eq!(voice_channels(&h).len(), 1);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_call_nobody_joins_goes_and_closing_the_ticket_removes_it() {
    let mut h = Harness::start_with("en", |w| {
        w.plugins[2] = ticketbot::demo::DEMO_PLUGINS[2]
            .replace("empty_after = \"5m\"", "empty_after = \"3s\"");
        w.close_delay_seconds = 0;
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    press(&h, h.world.player, &welcome, "voice-call", "call").await;
    let (voice, _, _) = eventually("the voice channel", || {
        voice_channels(&h).into_iter().next()
    })
    .await;
    // A restart (usually within the 3 s) does not lose the timer: the channel still goes.
    h.restart().await;
    eventually("the unused voice channel deleted", || {
        voice_channels(&h).is_empty().then_some(())
    })
    .await;
    // The store forgets it right after Discord deleted it.
    eventually("the voice channel forgotten", || {
        futures_lite(h.bot().store().plugin_channel(voice))
            .is_none()
            .then_some(())
    })
    .await;

    // A second call, then the ticket is cancelled: the channel goes with it.
    press(&h, h.world.player, &welcome, "voice-call", "call").await;
    eventually("the second voice channel", || {
        voice_channels(&h).into_iter().next()
    })
    .await;
    h.emu
        .user(h.world.player)
        .click(
            id_of(&welcome),
            &custom_ids(&welcome)
                .concat()
                .into_iter()
                .find(|id| id.starts_with("tb:cancel:"))
                .unwrap(),
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    eventually("the voice channel deleted with the ticket", || {
        voice_channels(&h).is_empty().then_some(())
    })
    .await;
    h.finish().await;
}

/// Runs a store future to completion from synchronous test code.
fn futures_lite<T>(
    future: impl std::future::Future<Output = Result<T, ticketbot::store::StoreError>>,
) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future)).unwrap()
}

fn with_faulty(w: &mut ticketbot::demo::DemoWorld) {
    with_faulty_granted(w, &["dm"]);
}

fn with_faulty_granted(w: &mut ticketbot::demo::DemoWorld, capabilities: &[&str]) {
    let path = ticketbot_test_guests::path("faulty");
    w.plugins.push(format!(
        "[[guild.plugin]]\nid = \"faulty\"\npath = {:?}\ncapabilities = {:?}\n",
        path.display().to_string(),
        capabilities
    ));
}

/// Time a plugin spends waiting on the host is not its own. Three reads that each wait 300 ms
/// on a slow Discord succeed (they used to count against the 90 ms deadline, and three in a
/// row disabled the plugin). A Discord too slow for the host's read limit fails those clicks
/// as the host's failure: the user is told to retry, and the plugin is never disabled for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_the_host_never_counts_against_a_plugin() {
    use ticketbot_emulator::{Fault, FaultRule};
    let h = Harness::start_with("en", |w| with_faulty_granted(w, &["dm", "read-members"])).await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let slow = |delay_ms: u64| FaultRule {
        method: Some("GET".into()),
        path_contains: "/members/".into(),
        times: 3,
        fault: Fault::Delay(std::time::Duration::from_millis(delay_ms)),
    };
    h.emu.inject(slow(300));
    for _ in 0..3 {
        let answer = press(&h, h.world.player, &welcome, "faulty", "slow-read").await;
        assert!(content(&answer).starts_with("read "), "{answer}");
    }
    let from = h.emu.log_position();
    h.emu.inject(slow(2500));
    for _ in 0..3 {
        let answer = press(&h, h.world.player, &welcome, "faulty", "slow-read").await;
        assert_eq!(
            content(&answer),
            "The bot could not finish this action in time (Discord or the database was slow); please try again in a moment."
        );
    }
    let ok = press(&h, h.world.player, &welcome, "faulty", "ok").await;
    assert_eq!(content(&ok), "still serving", "not disabled");
    let events = h.bot().store().events(h.world.guild).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "plugin.host_failed")
            .count(),
        3
    );
    assert!(events.iter().all(|e| e.kind != "plugin.failed"));
    assert!(
        h.emu
            .requests()
            .iter()
            .skip(from)
            .all(|r| !(r.method == "POST"
                && r.path
                    .ends_with(&format!("/channels/{}/messages", h.world.log_channel)))),
        "no plugin failure reported in the log channel"
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_plugin_ends_only_its_own_event() {
    let h = Harness::start_with("en", with_faulty).await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let failed = "The Faulty action failed. The staff were told; please try again later.";
    for (button, logged) in [
        (
            "trap",
            "stopped because it crashed (it reached an `unreachable` instruction)",
        ),
        (
            "panic",
            "stopped because it crashed (panicked at faulty/src/lib.rs:",
        ),
        (
            "loop",
            "ran longer than 90 ms of its own time and was stopped",
        ),
        ("memory", "tried to use more than 32 MiB of memory"),
        (
            "ungranted",
            "needs the capability \"storage\", which this guild did not grant",
        ),
    ] {
        let from = h.emu.log_position();
        let answer = press(&h, h.world.player, &welcome, "faulty", button).await;
        assert_eq!(content(&answer), failed, "{button}");
        assert!(is_ephemeral(&answer));
        let log = h
            .message_where(from, h.world.log_channel, |m| {
                m["embeds"][0]["title"] == "Plugin failure"
            })
            .await;
        let text = log["embeds"][0]["description"].as_str().unwrap();
        assert!(
            text.contains("**Faulty (faulty)**") && text.contains(logged),
            "{button}: {text}"
        );
        // The host keeps serving the same plugin, and the others.
        let ok = press(&h, h.world.player, &welcome, "faulty", "ok").await;
        assert_eq!(content(&ok), "still serving", "after {button}");
    }
    // The refused outcome did nothing: no DM went out.
    assert!(dms_of(&h, h.world.player).is_empty());
    let (poke, _) = press_for_answer(&h, h.world.staff, &welcome, "poke", "poke").await;
    assert_eq!(poke, "The opener was poked by DM.");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_disable_the_plugin_in_that_guild() {
    let h = Harness::start_with("en", with_faulty).await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let from = h.emu.log_position();
    for _ in 0..3 {
        press(&h, h.world.player, &welcome, "faulty", "secret").await;
    }
    let log = h
        .message_where(from, h.world.log_channel, |m| {
            m["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("disabled in this server"))
        })
        .await;
    assert!(log["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .contains("failed 3 times in a row"));
    let off = press(&h, h.world.player, &welcome, "faulty", "ok").await;
    assert_eq!(
        content(&off),
        "The Faulty action is switched off for now after repeated failures."
    );
    // Other plugins are not affected.
    let (poke, _) = press_for_answer(&h, h.world.staff, &welcome, "poke", "poke").await;
    assert_eq!(poke, "The opener was poked by DM.");
    h.finish().await;
}

/// A config with one guild enabling `plugins` (TOML blocks), checked like a file.
fn config_with(plugins: &[String]) -> (tempfile::TempDir, ticketbot::config::Config) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "database = {:?}\n[[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\nitem_return_channel = 6\n[[guild.ticket_type]]\nid = \"support\"\nlabel = \"Support\"\n",
        dir.path().join("t.duckdb").display().to_string()
    );
    for p in plugins {
        text.push('\n');
        text.push_str(p);
    }
    let config = ticketbot::config::Config::parse(&dir.path().join("config.toml"), text).unwrap();
    (dir, config)
}

#[test]
fn loading_refuses_other_contracts_bad_settings_and_excess_grants() {
    let other = ticketbot_test_guests::path("other_contract");
    let (_dir, config) = config_with(&[
        format!("[[guild.plugin]]\nid = \"future\"\npath = {:?}\n", other.display().to_string()),
        "[[guild.plugin]]\nid = \"poke\"\nbuiltin = \"poke\"\ncapabilities = [\"dm\", \"storage\", \"notes\"]\nsettings = { cooldown_seconds = 100000 }\n".to_owned(),
        "[[guild.plugin]]\nid = \"item-return\"\nbuiltin = \"item-return\"\ncapabilities = [\"post-messages\", \"storage\", \"notes\"]\nsettings = { colour = \"red\" }\n".to_owned(),
        "[[guild.plugin]]\nid = \"voice-call\"\nbuiltin = \"voice-call\"\ncapabilities = [\"voice-channels\", \"timers\", \"storage\"]\n".to_owned(),
    ]);
    let cache = ticketbot::plugins::ComponentCache::new(None);
    let (host, problems) = ticketbot::plugins::PluginHost::load(&config, &cache).unwrap();
    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(
        problems[0].contains(
            "was built against ticketbot:plugin@9.0.0, which this ticketbot does not know (it links 0.1.0, 0.2.0)"
        ),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("plugin poke: is granted \"notes\" but does not ask for it"),
        "{}",
        problems[1]
    );
    // Settings are checked against the plugin's schema, by key, without running the plugin.
    assert!(
        problems[2].contains("plugin poke: settings.cooldown_seconds: between 0 and 86400"),
        "{}",
        problems[2]
    );
    assert!(
        problems[3].contains("plugin item-return: settings.colour: unknown setting; known: channel, max_id_digits, max_item_lines"),
        "{}",
        problems[3]
    );
    assert!(
        problems[4].contains("plugin item-return: settings.channel: required"),
        "{}",
        problems[4]
    );
    // What loaded cleanly serves; the rest is left out.
    let enabled: Vec<String> = host.enabled(1).iter().map(|p| p.id().to_owned()).collect();
    assert_eq!(enabled, ["voice-call"]);
}

#[test]
fn compiled_components_are_cached_by_content_and_engine() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ticketbot::plugins::ComponentCache::new(Some(dir.path().join("cache")));
    let engine = ticketbot::plugins::engine::build().unwrap();
    let (_, config) = config_with(&[ticketbot::demo::DEMO_PLUGINS[0].to_owned()]);
    let plugin = &config.guilds[0].plugins[0];
    let (_, first) = ticketbot::plugins::load_one(&engine, &cache, plugin).unwrap();
    let (instance, second) = ticketbot::plugins::load_one(&engine, &cache, plugin).unwrap();
    assert_eq!(
        (first, second),
        (
            ticketbot::plugins::Loaded::Compiled,
            ticketbot::plugins::Loaded::FromCache
        )
    );
    assert_eq!(instance.manifest().id, "poke");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("cache"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
    // A damaged entry is ignored and replaced, never trusted.
    let file = files[0].as_ref().unwrap().path();
    std::fs::write(&file, b"not a compiled component").unwrap();
    let (_, third) = ticketbot::plugins::load_one(&engine, &cache, plugin).unwrap();
    assert_eq!(third, ticketbot::plugins::Loaded::Compiled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_actions_rename_within_discords_limit_and_transfer_with_permissions() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let staff = h.emu.user(h.world.staff);
    let ticket = h.ticket_in(channel).await.unwrap();
    let menu_id = format!("pl:ticket-actions:{}:c:menu", ticket.id);

    let refused = press(&h, h.world.player, &welcome, "ticket-actions", "actions").await;
    assert_eq!(content(&refused), "Only staff can do that.");

    let channel_name = || h.emu.world(|w| w.channels[&channel].name.clone());
    for (round, name) in ["Car Robbery", "car robbery 2", "third try"]
        .iter()
        .enumerate()
    {
        let opened = staff
            .click(
                id_of(&welcome),
                &plugin_button(&welcome, "ticket-actions", "actions"),
            )
            .unwrap()
            .message(WAIT)
            .await
            .unwrap();
        assert_eq!(custom_ids(&opened), vec![vec![menu_id.clone()]]);
        let form = staff.choose(id_of(&opened), &menu_id, &["rename"]).unwrap();
        assert_eq!(form.response(WAIT).await.unwrap()["type"], 9, "a modal");
        let answer = staff
            .submit_modal(&form, &[("name", name)])
            .unwrap()
            .response(WAIT)
            .await
            .unwrap();
        if round < 2 {
            assert_eq!(content(&answer), "Renamed.");
            let expected = name.to_lowercase().replace(' ', "-");
            eventually("the rename", || (channel_name() == expected).then_some(())).await;
        } else {
            // The third rename in ten minutes: a clear answer at once, not a hang.
            assert!(is_ephemeral(&answer));
            assert!(
                content(&answer).starts_with(
                    "Discord allows only 2 renames of a channel every 10 minutes. Try again in"
                ),
                "{answer}"
            );
            assert_eq!(channel_name(), "car-robbery-2");
        }
    }

    // Transfer: the channel moves and its permissions follow the new category plus the ticket's.
    let opened = staff
        .click(
            id_of(&welcome),
            &plugin_button(&welcome, "ticket-actions", "actions"),
        )
        .unwrap()
        .message(WAIT)
        .await
        .unwrap();
    let transfer = staff
        .choose(id_of(&opened), &menu_id, &["transfer"])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(transfer["type"], 7);
    let target = h.world.overflow_category.to_string();
    let transfer_id = format!("pl:ticket-actions:{}:c:transfer", ticket.id);
    let moved = staff
        .choose(id_of(&opened), &transfer_id, &[&target])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(moved["data"]["content"], "Transferred to Tickets 2.");
    eventually("the move", || {
        h.emu.world(|w| {
            (w.channels[&channel].parent_id == Some(h.world.overflow_category)).then_some(())
        })
    })
    .await;
    let overwrites = h.emu.world(|w| w.channels[&channel].overwrites.clone());
    let player = overwrites
        .iter()
        .find(|o| o.id == h.world.player)
        .expect("the opener keeps access");
    assert_ne!(player.allow & VIEW, 0);
    let everyone = overwrites
        .iter()
        .find(|o| o.id == h.world.guild)
        .expect("@everyone denied");
    assert_ne!(everyone.deny & VIEW, 0);
    h.finish().await;
}

fn with_native(w: &mut ticketbot::demo::DemoWorld) {
    w.trust_native_plugins = true;
    w.plugins.push(format!(
        "[[guild.plugin]]\nid = \"native-audit\"\nnative = {:?}\ncapabilities = [\"notes\", \"storage\"]\n",
        env!("NATIVE_AUDIT")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_native_plugin_speaks_the_same_contract() {
    let h = Harness::start_with("en", with_native).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let refused = press(&h, h.world.player, &welcome, "native-audit", "audit").await;
    assert_eq!(content(&refused), "Only staff can do that.");
    for n in 1..=2 {
        let answer = press(&h, h.world.staff, &welcome, "native-audit", "audit").await;
        assert_eq!(content(&answer), format!("Audit #{n} noted."));
        assert!(is_ephemeral(&answer));
    }
    let ticket = h.ticket_in(channel).await.unwrap();
    let notes = eventually("the notes", || {
        let notes = futures_lite(h.bot().store().notes(ticket.id));
        (notes.len() == 2).then_some(notes)
    })
    .await;
    assert_eq!(notes[1].body, "Audit #2 by officer_rodrigues");
    assert_eq!(notes[1].author_id, h.world.staff);
    h.finish().await;
}

#[test]
fn native_plugins_need_the_operators_trust() {
    let plugin = format!(
        "[[guild.plugin]]\nid = \"native-audit\"\nnative = {:?}\ncapabilities = [\"notes\", \"storage\"]\n",
        env!("NATIVE_AUDIT")
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n[[guild.ticket_type]]\nid = \"support\"\nlabel = \"Support\"\n\n{plugin}"
    );
    let error = ticketbot::config::Config::parse(&dir.path().join("config.toml"), text.clone())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("set `trust_native_plugins = true`"),
        "{error}"
    );
    let config = ticketbot::config::Config::parse(
        &dir.path().join("config.toml"),
        format!("trust_native_plugins = true\n{text}"),
    )
    .unwrap();
    let (host, problems) = ticketbot::plugins::PluginHost::load(
        &config,
        &ticketbot::plugins::ComponentCache::new(None),
    )
    .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // ABI 1 is contract 0.1: its name, untranslated, in every language.
    assert_eq!(host.enabled(1)[0].name(), "Audit (native)");
    assert_eq!(
        host.enabled(1)[0].instance.version(),
        ticketbot::plugins::contract::Version::V0_1
    );
}

/// Outcomes past the host's bounds are refused as a whole: nothing of them is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_past_the_bounds_are_refused_whole() {
    let h = Harness::start_with("en", |w| with_faulty_granted(w, &["dm", "storage"])).await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    for (button, logged) in [
        ("many", "30 effects in one outcome; at most 25"),
        ("huge-value", "a stored value of 20000 bytes; at most 16384"),
    ] {
        let from = h.emu.log_position();
        let answer = press(&h, h.world.player, &welcome, "faulty", button).await;
        assert_eq!(
            content(&answer),
            "The Faulty action failed. The staff were told; please try again later.",
            "{button}"
        );
        let log = h
            .message_where(from, h.world.log_channel, |m| {
                m["embeds"][0]["title"] == "Plugin failure"
            })
            .await;
        let text = log["embeds"][0]["description"].as_str().unwrap();
        assert!(text.contains(logged), "{button}: {text}");
    }
    for key in ["k", "k0", "k29"] {
        assert_eq!(
            futures_lite(h.bot().store().plugin_get(h.world.guild, "faulty", key)),
            None,
            "{key}"
        );
    }
    h.finish().await;
}

/// A stop right after a click lets that click's work finish: the voice channel it created has
/// its empty-channel timer after the restart (the stop used to close the database under it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_right_after_a_click_lets_its_work_finish() {
    let mut h = Harness::start_with("en", |w| {
        w.plugins[2] = ticketbot::demo::DEMO_PLUGINS[2]
            .replace("empty_after = \"5m\"", "empty_after = \"1m\"");
    })
    .await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    press(&h, h.world.player, &welcome, "voice-call", "call").await;
    // At once, as Ctrl-C or SIGTERM would.
    h.stop().await;
    let voice = voice_channels(&h)
        .into_iter()
        .next()
        .expect("the voice channel was created before the stop finished")
        .0;
    h.boot().await;
    let timers = futures_lite(h.bot().store().plugin_timers_of(ticket.id));
    assert_eq!(timers.len(), 1, "the channel kept its empty timer");
    assert!(
        futures_lite(h.bot().store().plugin_channel(voice)).is_some(),
        "the channel is known as the plugin's"
    );
    h.finish().await;
}
