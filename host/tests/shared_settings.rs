//! Several processes on one PostgreSQL database: a guild's own settings changed through one
//! process's dashboard are in force in the others as soon as the change is announced.
//! (PostgreSQL only: a DuckDB file has one process.)

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ticketbot::config::{Config, LiveConfig};
use ticketbot::guild_settings::{compose, GuildSettings, FOLLOW_EVERY};
use ticketbot::store::{Database, Store};

const CONFIG: &str = r#"
[[guild]]
id = 10
panel_channel = 11
log_channel = 12
ticket_category = 13
staff_roles = [14]

[[guild.ticket_type]]
id = "support"
label = "Suporte"
"#;

/// One process's settings on `database`, composed as `ticketbot run` composes them.
async fn process(database: &Database) -> (Arc<GuildSettings>, (i64, i64)) {
    let mut file = Config::parse(Path::new("/srv/bot/config.toml"), CONFIG.to_owned()).unwrap();
    file.database = database.clone();
    let store = Store::connect(database).await.unwrap();
    let marks = store.settings_marks().await.unwrap();
    let live: LiveConfig = Arc::new(RwLock::new(Arc::new(compose(&file, &store).await)));
    (
        Arc::new(GuildSettings::new(store, Arc::new(file), live)),
        marks,
    )
}

#[tokio::test]
async fn a_change_made_in_one_process_is_in_force_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).unwrap();
    if !database.is_shared() {
        eprintln!(
            "several processes need PostgreSQL: set TICKETBOT_TEST_POSTGRES to run this test"
        );
        return;
    }
    let (dashboard, _) = process(&database).await;
    let (bot, marks) = process(&database).await;
    bot.follow_other_processes(marks, None);

    let layer: toml::Table = toml::from_str("staff_roles = [14, 15]").unwrap();
    dashboard
        .change(10, 99, layer)
        .await
        .expect("a valid change");
    assert_eq!(
        dashboard.config().guild(10).unwrap().staff_roles,
        vec![14, 15]
    );

    // The other process follows (at once when announced; a bound for a failing test).
    let deadline = Instant::now() + FOLLOW_EVERY * 10;
    loop {
        if bot.config().guild(10).unwrap().staff_roles == vec![14, 15] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other process still has {:?}",
            bot.config().guild(10).unwrap().staff_roles
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Its file stays the operator's: only the guild's layer came over.
    assert_eq!(bot.file().guild(10).unwrap().staff_roles, vec![14]);
}
