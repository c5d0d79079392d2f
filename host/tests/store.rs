//! The DuckDB store: migrations, persistence across reopen, and files it must not touch.

use chrono::Utc;
use serde_json::json;
use ticketbot::store::sql::Value;
use ticketbot::store::{schema, EventRecord, PanelRecord, Store, StoreError, StoredTranscript};

fn digest(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[tokio::test]
async fn a_new_file_is_migrated_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.duckdb");
    let store = Store::open(&path).await.expect("open new file");
    let panel = PanelRecord {
        guild_id: 1,
        channel_id: 2,
        message_id: 3,
        posted_by: 4,
        posted_at: Utc::now(),
    };
    store.save_panel(panel.clone()).await.unwrap();
    store
        .record_event(EventRecord {
            at: Utc::now(),
            guild_id: Some(1),
            ticket_id: None,
            actor_id: Some(4),
            kind: "panel.posted".into(),
            data: json!({"message": "3"}),
        })
        .await
        .unwrap();
    store
        .save_transcript(
            7,
            "secret-token",
            StoredTranscript {
                encoding: "identity".into(),
                body: b"<html>".to_vec(),
                legacy: false,
            },
        )
        .await
        .unwrap();
    store.close().await;
    assert!(matches!(store.panel(1).await, Err(StoreError::Closed)));

    let store = Store::open(&path).await.expect("reopen");
    let version = store.call(|db| schema::version(db)).await.unwrap();
    assert_eq!(version, schema::LATEST);
    let found = store.panel(1).await.unwrap().expect("panel kept");
    assert_eq!(
        (found.channel_id, found.message_id, found.posted_by),
        (2, 3, 4)
    );
    assert_eq!(store.panel(9).await.unwrap(), None);
    let events = store.events(1).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "panel.posted");
    assert_eq!(events[0].data["message"], "3");
    let page = store
        .transcript("secret-token")
        .await
        .unwrap()
        .expect("transcript kept");
    assert_eq!(page.body, b"<html>");
    assert_eq!(store.transcript("wrong-token").await.unwrap(), None);
    // The token itself is never stored, only its hash.
    store.close().await;
    let bytes = digest(&path);
    assert!(!bytes.windows(12).any(|w| w == b"secret-token"));
}

#[tokio::test]
async fn a_damaged_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.duckdb");
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let error = Store::open(&path).await.expect_err("garbage must not open");
    assert!(matches!(error, StoreError::Open { .. }), "{error}");
    assert!(error.to_string().contains("bot.duckdb"), "{error}");
    assert_eq!(digest(&path), garbage, "the damaged file was changed");
    let wal = path.with_extension("duckdb.wal");
    assert!(!wal.exists(), "a WAL was created beside the damaged file");
}

#[tokio::test]
async fn a_file_from_a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.duckdb");
    let store = Store::open(&path).await.unwrap();
    store
        .call(|db| {
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, now())",
                &[Value::Int(schema::LATEST + 1)],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    store.close().await;
    let before = digest(&path);
    let error = Store::open(&path)
        .await
        .expect_err("newer schema must be refused");
    match &error {
        StoreError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (schema::LATEST + 1, schema::LATEST));
        }
        other => panic!("wrong error: {other}"),
    }
    assert!(error.to_string().contains("upgrade ticketbot"), "{error}");
    assert_eq!(digest(&path), before, "the newer file was changed");
}

#[tokio::test]
async fn queries_run_off_the_async_workers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.duckdb")).await.unwrap();
    let thread = store
        .call(|_| Ok(std::thread::current().name().map(str::to_owned)))
        .await
        .unwrap();
    assert_eq!(thread.as_deref(), Some("duckdb"));
    store.close().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    // A file made with a permissive mode (an older version, a copy) is made private too.
    let store = Store::open(&path).await.unwrap();
    store.close().await;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    store.close().await;
}
