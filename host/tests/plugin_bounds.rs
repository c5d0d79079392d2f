//! The plugin host's bounds on a real component (the `faulty` test plugin, built from
//! `plugins/testing/`): what a call may log, and storage and timers past their bounds in the
//! store.

use std::sync::Arc;
use std::time::Duration;

use ticketbot::config::{PluginConfig, PluginSource};
use ticketbot::plugins::contract::{Context, Event};
use ticketbot::plugins::{
    engine, load_one, CallScope, ComponentCache, HostServices, PluginInstance,
};
use ticketbot::store::{PluginTimer, Store, StoreError};

struct Empty;

impl HostServices for Empty {
    fn get(&self, _: u64, _: &str, _: &str, _: Duration) -> Result<Option<String>, String> {
        Ok(None)
    }
    fn member_roles(&self, _: u64, _: u64, _: Duration) -> Result<Option<Vec<u64>>, String> {
        Ok(None)
    }
    fn http(
        &self,
        _: u64,
        _: &str,
        _: &ticketbot::plugins::contract::HttpRequest,
    ) -> Result<ticketbot::plugins::contract::HttpResponse, String> {
        Err("no network here".into())
    }
}

fn faulty() -> PluginInstance {
    let engine = engine::build().unwrap();
    let config = PluginConfig {
        id: "faulty".into(),
        source: PluginSource::Path(ticketbot_test_guests::path("faulty")),
        enabled: true,
        capabilities: vec![],
        http_allow: vec![],
        settings: toml::Table::new(),
    };
    load_one(&engine, &ComponentCache::new(None), &config)
        .unwrap()
        .0
}

fn context() -> Context {
    Context {
        guild_id: 1,
        locale: "en".into(),
        ticket: None,
        user: None,
        settings: "{}".into(),
        now_ms: 0,
    }
}

#[test]
fn a_call_writes_at_most_twenty_log_lines() {
    let plugin = faulty();
    let scope = CallScope {
        guild: 1,
        granted: Arc::from(Vec::new()),
        services: Some(Arc::new(Empty)),
    };
    let result = plugin
        .handle(&scope, &context(), &Event::Button("chatty".into()))
        .unwrap();
    assert_eq!(
        result.logs.len(),
        ticketbot::plugins::instance::MAX_LOG_LINES
    );
    assert_eq!(result.logs[19].message, "line 19");
}

#[tokio::test]
async fn storage_and_timers_stop_at_their_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let database = ticketbot::store::Database::scratch(dir.path()).unwrap();
    let store = Store::connect(&database).await.unwrap();
    // Three keys or 10 bytes at most: a fourth key, or a value past the bytes, is refused.
    for key in ["a", "b", "c"] {
        store.plugin_set(1, "p", key, "xx", 3, 10).await.unwrap();
    }
    assert!(matches!(
        store.plugin_set(1, "p", "d", "xx", 3, 10).await,
        Err(StoreError::Full(_))
    ));
    // Replacing a key does not count it twice; another guild or plugin has its own bounds.
    store.plugin_set(1, "p", "a", "xxxx", 3, 10).await.unwrap();
    assert!(matches!(
        store
            .plugin_set(1, "p", "a", "x".repeat(7).as_str(), 3, 10)
            .await,
        Err(StoreError::Full(_))
    ));
    store.plugin_set(2, "p", "d", "xx", 3, 10).await.unwrap();
    store.plugin_set(1, "q", "d", "xx", 3, 10).await.unwrap();
    assert_eq!(
        store.plugin_get(1, "p", "a").await.unwrap().as_deref(),
        Some("xxxx")
    );

    let timer = |key: &str| PluginTimer {
        guild_id: 1,
        plugin: "p".into(),
        ticket_id: 5,
        key: key.into(),
        due_at: chrono::Utc::now(),
        payload: String::new(),
    };
    store.set_plugin_timer(timer("one"), 2).await.unwrap();
    store.set_plugin_timer(timer("two"), 2).await.unwrap();
    store.set_plugin_timer(timer("two"), 2).await.unwrap();
    assert!(matches!(
        store.set_plugin_timer(timer("three"), 2).await,
        Err(StoreError::Full(_))
    ));
    store.close().await;
}
