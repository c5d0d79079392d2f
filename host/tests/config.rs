//! The config file: the shipped example passes, and every kind of mistake is reported with its
//! file, line and key, all at once.

use std::path::{Path, PathBuf};

use ticketbot::config::{Config, PluginSource, Problem};
use ticketbot::locale::Locale;
use ticketbot::store::Database;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config.toml")
}

fn problems(text: &str) -> Vec<Problem> {
    match Config::parse(Path::new("/srv/bot/config.toml"), text.to_owned()) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(error) => error.problems,
    }
}

const MINIMAL: &str = r#"
[[guild]]
id = 10
panel_channel = 11
log_channel = 12
ticket_category = 13
staff_roles = [14]

[[guild.ticket_type]]
id = "support"
label = "Support"
"#;

#[test]
fn the_shipped_example_passes() {
    let config =
        Config::load(&example()).unwrap_or_else(|e| panic!("config.toml must pass check:\n{e}"));
    let guild = &config.guilds[0];
    assert_eq!(guild.ticket_types.len(), 2);
    assert_eq!(guild.max_open_per_user, 1);
    assert_eq!(guild.approver_roles, vec![1000000000000000021]);
    assert!(
        matches!(&config.database, Database::File(file) if file.ends_with("ticketbot.duckdb")),
        "{:?}",
        config.database
    );
}

#[test]
fn a_minimal_config_gets_defaults() {
    let config =
        Config::parse(Path::new("/srv/bot/config.toml"), MINIMAL.to_owned()).expect("valid");
    assert_eq!(
        config.database,
        Database::File("/srv/bot/ticketbot.duckdb".into())
    );
    assert_eq!(config.locale, Locale::PtBr);
    assert_eq!(config.web.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.web.public_url, "http://127.0.0.1:8080");
    let guild = config.guild(10).expect("guild 10");
    assert_eq!(guild.approver_roles, vec![14], "approvers default to staff");
    assert_eq!(guild.channel_name, "{code}");
    assert!(guild.is_staff(&[99, 14]));
    assert!(!guild.is_staff(&[99]));
}

#[test]
fn every_problem_is_reported_with_line_and_key() {
    let text = r#"locale = "fr"

[web]
listen = "everywhere"

[[guild]]
id = 10
panel_channel = 11
log_channel = 12
ticket_category = 13
staff_role = [14]
max_open_per_user = 0
channel_name = "ticket"

[[guild.ticket_type]]
id = "Support Geral"
label = "Support"
"#;
    let found = problems(text);
    let summary: Vec<(usize, &str)> = found.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (1, "locale"),
            (4, "web.listen"),
            (6, "guild[0].staff_roles"),
            (11, "guild[0].staff_role"),
            (12, "guild[0].max_open_per_user"),
            (13, "guild[0].channel_name"),
            (16, "guild[0].ticket_type[0].id"),
        ],
        "{found:#?}"
    );
    for problem in &found {
        assert_eq!(problem.file, Path::new("/srv/bot/config.toml"));
        let shown = problem.to_string();
        assert!(
            shown.starts_with(&format!("/srv/bot/config.toml:{}:", problem.line)),
            "{shown}"
        );
    }
    assert!(found[3].message.contains("unknown key"));
}

#[test]
fn a_postgres_database_is_a_url_without_its_password() {
    let text = format!("database = \"postgres://bot@db.internal:5432/tickets\"\n{MINIMAL}");
    let config = Config::parse(Path::new("/srv/bot/config.toml"), text).expect("valid");
    assert!(config.database.is_shared());
    assert_eq!(
        config.database.to_string(),
        "postgres://bot@db.internal:5432/tickets"
    );
    // Files of its own go beside the config file; so does the plugin cache.
    assert_eq!(
        config.state_file("link-key"),
        Path::new("/srv/bot/ticketbot.link-key")
    );
    assert_eq!(config.plugin_cache, Path::new("/srv/bot/plugin-cache"));

    let found = problems(&format!(
        "database = \"postgres://bot:hunter2@db.internal/tickets\"\n{MINIMAL}"
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].line, found[0].key.to_string()),
        (1, "database".to_owned())
    );
    assert!(
        found[0].message.contains("TICKETBOT_DATABASE_PASSWORD"),
        "{found:?}"
    );
    assert!(!found[0].message.contains("hunter2"), "{found:?}");
}

#[test]
fn a_syntax_error_names_its_line() {
    let found = problems("database = \"x.duckdb\"\n[web\nlisten = 1\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2, "{found:?}");
}

#[test]
fn a_wrongly_typed_value_names_its_key() {
    let text = MINIMAL.replace("panel_channel = 11", "panel_channel = \"#suporte\"");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 4);
    assert!(
        found[0].message.contains("not a Discord id"),
        "{}",
        found[0].message
    );
}

#[test]
fn missing_ids_are_each_reported() {
    let text = MINIMAL
        .replace("panel_channel = 11\n", "")
        .replace("log_channel = 12\n", "");
    let found = problems(&text);
    let messages: Vec<&str> = found.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("panel_channel")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("log_channel")),
        "{messages:?}"
    );
    assert!(found.iter().all(|p| p.line == 2), "{found:?}");
}

#[test]
fn plugins_and_texts_are_checked() {
    let text = format!(
        "{MINIMAL}
[[guild.plugin]]
id = \"poke\"
builtin = \"poke\"
capabilities = [\"dm\", \"launch-missiles\"]

[[guild.plugin]]
id = \"mine\"
path = \"plugins/missing.wasm\"

[[guild.plugin]]
id = \"poke\"
builtin = \"nope\"

[guild.texts]
panel-title = \"Atendimento\"
no-such-key = \"x\"
"
    );
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "guild[0].plugin[0].capabilities[1]",
            "guild[0].plugin[1].path",
            "guild[0].plugin[2].id",
            "guild[0].plugin[2].builtin",
            "guild[0].texts.no-such-key",
        ],
        "{found:#?}"
    );
}

#[test]
fn duplicate_guilds_and_bad_overrides_are_refused() {
    let text = format!("{MINIMAL}\n[guild.texts]\npanel-title = \"{{ $broken\"\n{MINIMAL}");
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"guild[0].texts.panel-title"), "{found:#?}");
    assert!(keys.contains(&"guild[1].id"), "{found:#?}");
}

#[test]
fn valid_plugins_are_kept_with_their_settings() {
    let text = format!(
        "{MINIMAL}
[[guild.plugin]]
id = \"poke\"
builtin = \"poke\"
capabilities = [\"dm\"]
[guild.plugin.settings]
cooldown_seconds = 600
"
    );
    let config = Config::parse(Path::new("/srv/bot/config.toml"), text).expect("valid");
    let plugin = &config.guilds[0].plugins[0];
    assert_eq!(plugin.source, PluginSource::Builtin("poke".into()));
    assert_eq!(
        plugin.capabilities,
        vec![ticketbot::capability::Capability::Dm]
    );
    assert_eq!(plugin.settings["cooldown_seconds"].as_integer(), Some(600));
}

/// `ticketbot check` names the line of a plugin setting the plugin's schema refuses, and of a
/// plugin that asks for more than it was granted.
#[test]
fn check_locates_a_plugins_setting_problems_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "database = \"t.duckdb\"\n\
         [[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\
         [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Suporte\"\n\
         [[guild.plugin]]\nid = \"poke\"\nbuiltin = \"poke\"\ncapabilities = [\"dm\", \"storage\"]\n\
         [guild.plugin.settings]\ncooldown_seconds = 100000\n\
         [[guild.plugin]]\nid = \"ticket-actions\"\nbuiltin = \"ticket-actions\"\n\
         capabilities = [\"rename-channel\", \"move-channel\"]\n\
         [[guild.plugin.settings.categories]]\nid = 4\nlabel = \"Suporte\"\n\
         [[guild.plugin.settings.categories]]\nid = 4\nlabel = \"\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = file.display();
    assert!(
        stderr.contains(&format!(
            "{shown}:16:1: guild[0].plugin[0].settings.cooldown_seconds: plugin poke: settings.cooldown_seconds: between 0 and 86400"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{shown}:26:1: guild[0].plugin[1].settings.categories[1].label: plugin ticket-actions: settings.categories[1].label: 1 to 100 characters (this is 0)"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("2 problem(s)"), "{stderr}");
}

/// `ticketbot check` says whether the dashboard is on, what is missing when it is not, and the
/// redirect URI to register with Discord.
#[test]
fn check_says_what_the_dashboard_needs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "database = \"t.duckdb\"\n[web]\npublic_url = \"https://tickets.example.org\"\n\
         [[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\
         [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Suporte\"\n",
    )
    .unwrap();
    let check = |env: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .arg("check")
            .arg(&file)
            .env_remove("DISCORD_CLIENT_ID")
            .env_remove("DISCORD_CLIENT_SECRET")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let off = check(&[("DISCORD_CLIENT_ID", "123")]);
    assert!(
        off.contains("dashboard: off (DISCORD_CLIENT_SECRET is not set)"),
        "{off}"
    );
    assert!(
        off.contains("https://tickets.example.org/dashboard/callback"),
        "{off}"
    );
    let on = check(&[
        ("DISCORD_CLIENT_ID", "123"),
        ("DISCORD_CLIENT_SECRET", "s3cret"),
    ]);
    assert!(on.contains("dashboard: on"), "{on}");
    assert!(!on.contains("s3cret"), "the secret is never printed: {on}");
}

/// `ticketbot check` shows each guild's plugins with where their state comes from (the file or
/// the guild's own choice in the database), and warns about a stored choice the file no longer
/// allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_shows_which_layer_each_plugin_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "database = \"t.duckdb\"\n\
         [[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\
         [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Suporte\"\n\
         [[guild.plugin]]\nid = \"poke\"\nbuiltin = \"poke\"\ncapabilities = [\"dm\", \"storage\"]\n\
         [[guild.plugin]]\nid = \"voice-call\"\nbuiltin = \"voice-call\"\ncapabilities = [\"voice-channels\", \"timers\", \"storage\"]\n",
    )
    .unwrap();
    let store = ticketbot::store::Store::open(&dir.path().join("t.duckdb"))
        .await
        .unwrap();
    let choice =
        |plugin: &str, enabled: bool, capabilities: &[&str]| ticketbot::store::StoredChoice {
            plugin: plugin.into(),
            enabled,
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
            settings: String::new(),
        };
    store
        .record_choice(1, 7, choice("poke", false, &["dm", "storage"]))
        .await
        .unwrap();
    // Granted more than the file now allows.
    store
        .record_choice(
            1,
            7,
            choice(
                "voice-call",
                true,
                &["voice-channels", "timers", "storage", "notes"],
            ),
        )
        .await
        .unwrap();
    // The guild's own server settings: fitting the file, then no longer.
    store
        .record_layer(
            1,
            7,
            "staff_roles = [\"9\"]\n[texts]\npanel-title = \"Ajuda\"\n".into(),
        )
        .await
        .unwrap();
    store.close().await;
    let check = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = check();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout
            .contains("guild 1 settings: staff_roles, texts (the guild's own, from the dashboard)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("guild 1 plugin poke: off (the guild's own choice)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "guild 1 plugin voice-call: on, granted voice-channels, timers, storage (config.toml)"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning: guild 1 plugin voice-call: the guild's own choice no longer fits config.toml (capability \"notes\" is beyond"),
        "{stderr}"
    );
    // The operator takes staff roles back: the guild's layer no longer fits.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "staff_roles = [5]\n",
        "staff_roles = [5]\nself_service = [\"texts\"]\n",
    );
    std::fs::write(&file, text).unwrap();
    let out = check();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: guild 1: its own server settings no longer fit config.toml (staff_roles: the operator keeps this in config.toml"),
        "{stderr}"
    );
}
