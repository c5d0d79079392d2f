//! A guild's uploaded plugin is that guild's alone: another guild served by the same host
//! neither lists it nor runs it, and a guild's own choice about it cannot be applied elsewhere.

use ticketbot::capability::Capability;
use ticketbot::config::{Config, UploadCeiling};
use ticketbot::plugins::choices::Choice;
use ticketbot::plugins::{ComponentCache, PluginHost};

fn two_guilds(dir: &std::path::Path) -> Config {
    let guild = |id: u64| {
        format!(
            "[[guild]]\nid = {id}\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\
             [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Support\"\n\
             [guild.uploads]\ncapabilities = [\"dm\"]\n"
        )
    };
    let text = format!(
        "database = {:?}\n{}{}",
        dir.join("t.duckdb").display().to_string(),
        guild(1),
        guild(2)
    );
    Config::parse(&dir.join("config.toml"), text).unwrap()
}

#[test]
fn an_upload_stays_in_its_guild() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_guilds(dir.path());
    let cache = ComponentCache::new(None);
    let (host, problems) = PluginHost::load(&config, &cache).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let ceiling = config.guild(1).unwrap().uploads.clone().unwrap();
    assert_eq!(
        ceiling,
        UploadCeiling {
            max_bytes: 1024 * 1024,
            max_plugins: 3,
            capabilities: vec![Capability::Dm],
        }
    );
    let faulty = std::fs::read(ticketbot_test_guests::path("faulty")).unwrap();
    let (id, hash) = host.add_upload(1, &faulty, &cache, &ceiling).unwrap();
    assert_eq!(id, "faulty");
    assert_eq!(hash.len(), 64);
    // Guild 1 has it, off, its default grant what the ceiling allows of what it asks for.
    let entries = host.entries(1);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0.capabilities, vec![Capability::Dm]);
    assert!(host.enabled(1).is_empty());
    // Guild 2 does not, and cannot turn it on.
    assert!(host.entries(2).is_empty());
    let on = Choice {
        plugin: "faulty".into(),
        enabled: true,
        capabilities: vec![Capability::Dm],
        settings: toml::Table::new(),
    };
    let refused = host.apply(2, &on).unwrap_err();
    assert!(
        refused[0].contains("is not available in this guild"),
        "{refused:?}"
    );
    assert!(host.enabled(2).is_empty());
    // Guild 1 turns it on; guild 2 still runs nothing.
    host.apply(1, &on).unwrap();
    assert_eq!(host.enabled(1).len(), 1);
    assert!(host.enabled(2).is_empty());
    // A second upload under the same id replaces it, off again.
    host.add_upload(1, &faulty, &cache, &ceiling).unwrap();
    assert_eq!(host.entries(1).len(), 1);
    assert!(host.enabled(1).is_empty());
}
