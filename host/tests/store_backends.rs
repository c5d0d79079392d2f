//! The store's promises on whichever backend runs the suite: a DuckDB file, or, with
//! `TICKETBOT_TEST_POSTGRES` set, a database of its own on that PostgreSQL server. On
//! PostgreSQL two handles stand for two processes sharing the database.

use std::collections::HashSet;

use chrono::Utc;
use ticketbot::store::{
    Database, NewTicket, PanelRecord, PluginTimer, Reservation, Store, StoredTranscript,
};

/// A fresh database and two handles on it: two connections apart on PostgreSQL (as two
/// processes would have), the same one twice on DuckDB (one process owns a file).
async fn two_processes() -> (tempfile::TempDir, Store, Store) {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).expect("a test database");
    let first = Store::connect(&database).await.expect("opens");
    let second = if database.is_shared() {
        Store::connect(&database).await.expect("opens again")
    } else {
        first.clone()
    };
    (dir, first, second)
}

/// A fresh database several processes share (PostgreSQL), or none on DuckDB, where one
/// process owns the file: then the test has nothing to prove, and says `why`.
fn shared_database(why: &str) -> Option<(tempfile::TempDir, Database)> {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).expect("a test database");
    if !database.is_shared() {
        eprintln!("one process owns a DuckDB file: {why}");
        return None;
    }
    Some((dir, database))
}

/// A guild's choice to turn the poke plugin on.
fn poke_on() -> ticketbot::store::StoredChoice {
    ticketbot::store::StoredChoice {
        plugin: "poke".into(),
        enabled: true,
        capabilities: Vec::new(),
        settings: String::new(),
    }
}

/// Waits for the next announcement; the bound fails a test, it measures nothing.
async fn heard(announced: &ticketbot::store::Announcements) {
    tokio::time::timeout(std::time::Duration::from_secs(60), announced.heard())
        .await
        .expect("announced")
}

fn ticket(guild: u64, opener: u64, limit: u32, guild_limit: Option<u32>) -> NewTicket {
    NewTicket {
        guild_id: guild,
        type_id: "support".into(),
        opener_id: opener,
        transcript_token: format!("token-{guild}-{opener}-{}", rand_suffix()),
        limit,
        guild_limit,
        cooldown: None,
        answers: Vec::new(),
    }
}

fn rand_suffix() -> u128 {
    uuid::Uuid::now_v7().as_u128()
}

#[tokio::test]
async fn concurrent_clicks_from_two_processes_never_pass_a_limit() {
    let (_dir, a, b) = two_processes().await;
    // One opener clicking 16 times at once through both processes: one ticket.
    let clicks = (0..16).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move { store.reserve_ticket(ticket(1, 42, 1, None)).await })
    });
    let mut reserved = 0;
    for click in clicks {
        match click.await.unwrap().expect("reserves or refuses") {
            Reservation::Reserved(_) => reserved += 1,
            Reservation::AtLimit(open) => assert_eq!(open.len(), 1),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1, "one opener, limit 1");

    // 20 openers at once against a guild cap of 5: five tickets, numbered 1-5 once each.
    let clicks = (0..20).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move { store.reserve_ticket(ticket(2, 100 + i, 1, Some(5))).await })
    });
    let mut numbers = Vec::new();
    for click in clicks {
        match click.await.unwrap().expect("reserves or refuses") {
            Reservation::Reserved(record) => numbers.push(record.number),
            Reservation::GuildFull => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_page_stored_by_one_process_is_served_by_the_other() {
    let (_dir, bot, web) = two_processes().await;
    // The web process has read its index before the page exists.
    assert_eq!(web.transcript("later-token").await.unwrap(), None);
    bot.save_transcript(
        9,
        "later-token",
        StoredTranscript {
            encoding: "identity".into(),
            body: b"<p>ok</p>".to_vec(),
            legacy: false,
        },
    )
    .await
    .unwrap();
    let page = web
        .transcript("later-token")
        .await
        .unwrap()
        .expect("the other process's page is found");
    assert_eq!(page.body, b"<p>ok</p>");
    assert_eq!(web.transcript("guessed-token").await.unwrap(), None);
}

#[tokio::test]
async fn a_page_stamped_before_one_already_seen_is_still_served() {
    let Some((_dir, database)) = shared_database("no other process stores pages behind its back")
    else {
        return;
    };
    let (bot, web) = (
        Store::connect(&database).await.unwrap(),
        Store::connect(&database).await.unwrap(),
    );
    let page = |body: &str| StoredTranscript {
        encoding: "identity".into(),
        body: body.as_bytes().to_vec(),
        legacy: false,
    };
    bot.save_transcript(1, "seen-token", page("seen"))
        .await
        .unwrap();
    assert!(web.transcript("seen-token").await.unwrap().is_some());
    // Another process stores a page stamped a minute earlier than the one the web process has
    // seen (its clock is behind, or its commit came late): written as that process would.
    let url = database.to_string();
    tokio::task::spawn_blocking(move || {
        let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        other
            .execute(
                "INSERT INTO transcripts (token_hash, ticket_id, encoding, body, created_at, legacy) \
                 VALUES ($1, 2, 'identity', $2, $3, false)",
                &[
                    &ticketbot::store::token_hash("late-token"),
                    &b"late".to_vec(),
                    &(Utc::now() - chrono::TimeDelta::minutes(1)),
                ],
            )
            .unwrap();
    })
    .await
    .unwrap();
    let late = web
        .transcript("late-token")
        .await
        .unwrap()
        .expect("a page stamped before the newest one seen is found");
    assert_eq!(late.body, b"late");
}

#[tokio::test]
async fn a_follower_misses_no_settings_change_however_they_interleave() {
    let Some((_dir, database)) = shared_database("its changes are recorded one after another")
    else {
        return;
    };
    let writers = [
        Store::connect(&database).await.unwrap(),
        Store::connect(&database).await.unwrap(),
    ];
    let follower = Store::connect(&database).await.unwrap();
    let mut marks = follower.settings_marks().await.unwrap();
    // 60 guilds' settings changed at once through two processes (layers and plugin choices),
    // while a third follows the changes as `GuildSettings::follow_other_processes` does.
    let changes: Vec<_> = (0..60u64)
        .map(|guild| {
            let store = writers[(guild % 2) as usize].clone();
            tokio::spawn(async move {
                if guild % 3 == 0 {
                    let choice = poke_on();
                    store.record_choice(1000 + guild, 7, choice).await.map(drop)
                } else {
                    store
                        .record_layer(1000 + guild, 7, format!("# guild {guild}\n"))
                        .await
                        .map(drop)
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut pending = changes;
    while !pending.is_empty() {
        let (next, guilds) = follower.guilds_changed_since(marks).await.unwrap();
        marks = next;
        seen.extend(guilds);
        let mut still = Vec::new();
        for change in pending {
            if change.is_finished() {
                change.await.unwrap().expect("the change is recorded");
            } else {
                still.push(change);
            }
        }
        pending = still;
        tokio::task::yield_now().await;
    }
    let (_, guilds) = follower.guilds_changed_since(marks).await.unwrap();
    seen.extend(guilds);
    let all: HashSet<u64> = (1000..1060).collect();
    assert_eq!(seen, all, "every change is seen once its mark is passed");
}

#[tokio::test]
async fn a_settings_change_is_announced_to_the_other_processes() {
    let (_dir, changer, listener) = two_processes().await;
    let Some(announced) = listener.settings_announcements() else {
        assert!(listener.path().is_some(), "a shared database announces");
        eprintln!("one process owns a DuckDB file: nobody to tell of a change");
        return;
    };
    // Once listening, the listener says so (a change before it would have been missed).
    heard(&announced).await;
    changer.record_layer(1, 7, "# one\n".into()).await.unwrap();
    heard(&announced).await;
    let choice = poke_on();
    changer.record_choice(1, 7, choice).await.unwrap();
    heard(&announced).await;
}

#[tokio::test]
async fn a_process_does_not_follow_the_settings_changes_it_made_itself() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).expect("a test database");
    let here = Store::connect(&database).await.unwrap();
    let marks = here.settings_marks().await.unwrap();
    here.record_layer(1, 7, "# here\n".into()).await.unwrap();
    let choice = poke_on();
    here.record_choice(2, 7, choice).await.unwrap();
    // It put them in force itself; following them would undo what it changed since.
    let (passed, guilds) = here.guilds_changed_since(marks).await.unwrap();
    assert!(guilds.is_empty(), "{guilds:?}");
    assert!(passed.0 > marks.0 && passed.1 > marks.1, "read past them");
    if database.is_shared() {
        // Another process follows them, and this one what the other records.
        let there = Store::connect(&database).await.unwrap();
        let (_, guilds) = there.guilds_changed_since(marks).await.unwrap();
        assert_eq!(guilds, vec![1, 2]);
        there.record_layer(3, 7, "# there\n".into()).await.unwrap();
        let (_, guilds) = here.guilds_changed_since(passed).await.unwrap();
        assert_eq!(guilds, vec![3]);
    }
}

#[tokio::test]
async fn a_listener_that_lost_its_connection_listens_again() {
    let Some((_dir, database)) = shared_database("nobody to tell of a change") else {
        return;
    };
    let (changer, listener) = (
        Store::connect(&database).await.unwrap(),
        Store::connect(&database).await.unwrap(),
    );
    let announced = listener
        .settings_announcements()
        .expect("a shared database");
    heard(&announced).await;
    // The server drops the listening connection (a restart, a failover, an idle timeout).
    let url = database.to_string();
    let dropped = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = current_database() AND query = 'LISTEN ticketbot_settings'",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0)
    })
    .await
    .unwrap();
    assert_eq!(dropped, 1, "one connection listens");
    // Listening again, it says so: what was announced meanwhile is to be looked for.
    heard(&announced).await;
    changer
        .record_layer(1, 7, "# after\n".into())
        .await
        .unwrap();
    heard(&announced).await;
}

#[tokio::test]
async fn a_due_timer_is_claimed_by_one_process_only() {
    let (_dir, a, b) = two_processes().await;
    let due = PluginTimer {
        guild_id: 1,
        plugin: "voice".into(),
        ticket_id: 7,
        key: "empty".into(),
        // Databases keep microseconds.
        due_at: chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap(),
        payload: "{}".into(),
    };
    a.set_plugin_timer(due.clone(), 10).await.unwrap();
    let (found, _) = b.due_plugin_timers(Utc::now()).await.unwrap();
    assert_eq!(found, vec![due.clone()]);
    let claims = [a.clone(), b.clone(), a, b].map(|store| {
        let due = due.clone();
        tokio::spawn(async move {
            store
                .cancel_plugin_timer(due.guild_id, &due.plugin, due.ticket_id, &due.key)
                .await
        })
    });
    let mut claimed = 0;
    for claim in claims {
        if claim.await.unwrap().unwrap() {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
}

#[tokio::test]
async fn ids_keep_every_bit_and_moments_their_microseconds() {
    let (_dir, store, _) = two_processes().await;
    let at = Utc::now();
    let panel = PanelRecord {
        guild_id: u64::MAX - 1,
        channel_id: 1 << 63,
        message_id: 1_234_567_890_123_456_789,
        posted_by: 1,
        posted_at: at,
    };
    store.save_panel(panel.clone()).await.unwrap();
    let found = store.panel(u64::MAX - 1).await.unwrap().expect("kept");
    assert_eq!(found.channel_id, panel.channel_id);
    assert_eq!(found.message_id, panel.message_id);
    assert_eq!(
        found.posted_at.timestamp_micros(),
        at.timestamp_micros(),
        "kept to the microsecond"
    );
    // Saving again replaces it.
    store
        .save_panel(PanelRecord {
            message_id: 5,
            ..panel
        })
        .await
        .unwrap();
    let found = store.panel(u64::MAX - 1).await.unwrap().expect("kept");
    assert_eq!(found.message_id, 5);
    let distinct: HashSet<u64> = [found.guild_id, found.channel_id].into();
    assert_eq!(distinct.len(), 2);
}
