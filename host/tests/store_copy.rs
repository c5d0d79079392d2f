//! `ticketbot store copy`: every table from a DuckDB file to the suite's backend (PostgreSQL
//! with `TICKETBOT_TEST_POSTGRES`, else another file) and back, verified, and safe to rerun.

use std::collections::BTreeSet;
use std::process::Command;

use chrono::Utc;
use serde_json::json;
use ticketbot::store::{
    copy, BlockTarget, CapturedMessage, CloseRequest, Database, EventRecord, FeedbackRecord,
    NewTicket, NoteRecord, PanelRecord, PluginChannel, PluginTimer, Reservation, Store,
    StoredChoice, StoredTranscript, UploadedPlugin, WebSession,
};

fn new_ticket(opener: u64) -> NewTicket {
    NewTicket {
        guild_id: 1,
        type_id: "support".into(),
        opener_id: opener,
        transcript_token: format!("token-{opener}"),
        limit: 1,
        guild_limit: None,
        cooldown: None,
        answers: Vec::new(),
    }
}

/// A store with rows in every table, written through the store's own API.
async fn filled(store: &Store) -> i64 {
    let Reservation::Reserved(ticket) = store.reserve_ticket(new_ticket(10)).await.unwrap() else {
        panic!("reserved")
    };
    let id = ticket.id;
    store.ticket_opened(id, 500, Some(501)).await.unwrap();
    store.add_member(id, 11, 20).await.unwrap();
    store
        .capture_message(
            id,
            CapturedMessage {
                message_id: 900,
                author_id: 10,
                author_name: "Zé Ninguém".into(),
                author_bot: false,
                content: "Olá, não consigo entrar no servidor 🚗".into(),
                attachments: json!([]),
                embeds: json!([]),
                sent_at: Utc::now(),
                edited_at: None,
                deleted: false,
                raw: Some(json!({"id": "900"})),
            },
        )
        .await
        .unwrap();
    store
        .add_note(
            id,
            NoteRecord {
                author_id: 20,
                body: "checar ban".into(),
                created_at: Utc::now(),
            },
        )
        .await
        .unwrap();
    store
        .save_transcript(
            id,
            "token-10",
            StoredTranscript {
                encoding: "identity".into(),
                body: b"<p>page</p>".to_vec(),
                legacy: false,
            },
        )
        .await
        .unwrap();
    store
        .plugin_set(1, "dice", "last", "6", 100, 10_000)
        .await
        .unwrap();
    store
        .record_event(EventRecord {
            at: Utc::now(),
            guild_id: Some(1),
            ticket_id: Some(id),
            actor_id: Some(10),
            kind: "ticket.opened".into(),
            data: json!({"n": 1}),
        })
        .await
        .unwrap();
    store
        .remember_plugin_message(1, "poke", 500, 902, Some(id))
        .await
        .unwrap();
    store
        .set_plugin_timer(
            PluginTimer {
                guild_id: 1,
                plugin: "voice".into(),
                ticket_id: id,
                key: "empty".into(),
                due_at: Utc::now(),
                payload: "{}".into(),
            },
            10,
        )
        .await
        .unwrap();
    store
        .add_plugin_channel(PluginChannel {
            channel_id: 600,
            guild_id: 1,
            plugin: "voice".into(),
            ticket_id: id,
        })
        .await
        .unwrap();
    store
        .save_file(
            id,
            "https://cdn/x.png",
            "x.png",
            Some("image/png".into()),
            vec![1, 2, 3],
        )
        .await
        .unwrap();
    store.saw_staff(1, 20).await.unwrap();
    store
        .block(1, BlockTarget::User(66), Some("spam".into()), 20)
        .await
        .unwrap();
    store
        .set_close_request(CloseRequest {
            ticket_id: id,
            by: 20,
            due_at: Utc::now(),
            channel_id: 500,
            message_id: 903,
        })
        .await
        .unwrap();
    store
        .record_feedback(FeedbackRecord {
            ticket_id: id,
            guild_id: 1,
            type_id: "support".into(),
            staff_id: Some(20),
            stars: 5,
            comment: Some("ótimo".into()),
            at: Utc::now(),
        })
        .await
        .unwrap();
    store
        .create_session(
            vec![7; 32],
            WebSession {
                user_id: 20,
                user_name: "staff".into(),
                guilds: vec![1],
                csrf: "c".into(),
                expires_at: Utc::now() + chrono::Duration::hours(1),
            },
        )
        .await
        .unwrap();
    store
        .record_choice(
            1,
            20,
            StoredChoice {
                plugin: "dice".into(),
                enabled: true,
                capabilities: vec![],
                settings: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .save_upload(
            1,
            20,
            UploadedPlugin {
                plugin: "mine".into(),
                hash: "abc".into(),
                bytes: vec![0, 97, 115, 109],
            },
        )
        .await
        .unwrap();
    store
        .record_layer(1, 20, "staff_roles = [5]\n".into())
        .await
        .unwrap();
    store
        .save_panel(PanelRecord {
            guild_id: 1,
            channel_id: 2,
            message_id: 3,
            posted_by: 20,
            posted_at: Utc::now(),
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn everything_goes_over_and_back_verified_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(&dir.path().join("source.duckdb"))
        .await
        .unwrap();
    let id = filled(&file).await;

    let scratch = tempfile::tempdir().unwrap();
    let target = Store::connect(&Database::scratch(scratch.path()).unwrap())
        .await
        .unwrap();
    let first = copy::copy(&file, &target).await.expect("copies");
    assert_eq!(first.len(), copy::TABLES.len());
    for table in &first {
        assert!(
            table.rows >= 1,
            "{} is empty: the fixture misses it",
            table.table
        );
    }
    let again = copy::copy(&file, &target).await.expect("a rerun copies");
    assert_eq!(first, again, "a rerun changes nothing");

    // What the bot reads on the copy.
    let ticket = target.ticket(id).await.unwrap().expect("the ticket");
    assert_eq!((ticket.channel_id, ticket.opener_id), (Some(500), 10));
    let messages = target.captured_messages(id).await.unwrap();
    assert_eq!(
        messages[0].content,
        "Olá, não consigo entrar no servidor 🚗"
    );
    let page = target.transcript("token-10").await.unwrap().expect("page");
    assert_eq!(page.body, b"<p>page</p>");
    assert_eq!(target.members(id).await.unwrap(), vec![10, 11]);
    assert_eq!(
        target.guild_layers().await.unwrap()[&1],
        "staff_roles = [5]\n"
    );
    // New ids continue after the copied ones.
    let Reservation::Reserved(next) = target.reserve_ticket(new_ticket(12)).await.unwrap() else {
        panic!("reserved")
    };
    assert!(next.id > id && next.number == 2, "{next:?}");

    // And back into a new file, for tests and for leaving PostgreSQL.
    let back = Store::open(&dir.path().join("back.duckdb")).await.unwrap();
    let report = copy::copy(&target, &back).await.expect("copies back");
    let tickets = report.iter().find(|t| t.table == "tickets").unwrap();
    assert_eq!(tickets.rows, 2);
    assert_eq!(back.ticket(next.id).await.unwrap().unwrap().number, 2);
    file.close().await;
    target.close().await;
    back.close().await;
}

#[tokio::test]
async fn the_copy_knows_every_table_of_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.duckdb")).await.unwrap();
    let tables: BTreeSet<String> = store
        .call(|db| {
            db.query_map(
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'",
                &[],
                |row| row.get(0),
            )
        })
        .await
        .unwrap()
        .into_iter()
        .collect();
    let known: BTreeSet<String> = copy::TABLES.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(tables, known);
    store.close().await;
}

#[tokio::test]
async fn the_command_copies_between_files_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("a.duckdb");
    let store = Store::open(&source).await.unwrap();
    filled(&store).await;
    store.close().await;
    let target = dir.path().join("b.duckdb");
    let run = |from: &std::path::Path, to: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .args(["store", "copy", "--from"])
            .arg(from)
            .arg("--to")
            .arg(to)
            .output()
            .unwrap()
    };
    let out = run(&source, &target);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("copied and verified"), "{stdout}");
    assert!(stdout.contains("tickets"), "{stdout}");
    // A password in the URL is refused before anything is opened.
    let out = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["store", "copy", "--from"])
        .arg(&source)
        .args(["--to", "postgres://bot:hunter2@127.0.0.1:1/x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("TICKETBOT_DATABASE_PASSWORD"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password was printed: {stderr}"
    );
}
