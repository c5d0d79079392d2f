//! Turns the file into a [`Config`], collecting every problem instead of stopping at the first.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::{KeyPath, Problem, Segment, SourceFile};
use super::raw::{RawConfig, RawGuild, RawPlugin, Snowflake};
use super::AllowedHost;
use super::{
    ClaimMode, Config, ConfigError, ConfigSource, Editable, GuildConfig, PluginConfig,
    PluginSource, TicketType, TranscriptConfig, UploadCeiling, WebConfig, WebLimits,
};
use crate::capability::Capability;
use crate::locale::{Catalogue, Locale};
use crate::store::Database;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_CHANNEL_NAME: &str = "{code}";

struct Checker<'a> {
    source: &'a SourceFile,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.problems.push(self.source.problem(path, message));
    }
}

fn root(key: &str) -> KeyPath {
    KeyPath::default().key(key)
}

fn ids(list: &[Snowflake]) -> Vec<u64> {
    list.iter().map(|s| s.0).collect()
}

fn ignored_path(path: &serde_ignored::Path<'_>, out: &mut KeyPath) {
    use serde_ignored::Path as P;
    match path {
        P::Root => {}
        P::Seq { parent, index } => {
            ignored_path(parent, out);
            out.0.push(Segment::Index(*index));
        }
        P::Map { parent, key } => {
            ignored_path(parent, out);
            out.0.push(Segment::Key(key.clone()));
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent, out)
        }
    }
}

/// Checks the whole file.
pub fn check(source: &SourceFile, base: &Path) -> Result<Config, ConfigError> {
    let fail = |problem: Problem| ConfigError {
        problems: vec![problem],
    };
    let deserializer = toml::Deserializer::parse(source.text()).map_err(|e| {
        fail(source.problem_at_offset(e.span().map_or(0, |s| s.start), e.message().to_owned()))
    })?;
    let mut unknown = Vec::new();
    let raw: RawConfig = serde_ignored::deserialize(deserializer, |path| {
        let mut key = KeyPath::default();
        ignored_path(&path, &mut key);
        unknown.push(key);
    })
    .map_err(|e| {
        fail(source.problem_at_offset(e.span().map_or(0, |s| s.start), e.message().to_owned()))
    })?;

    let mut checker = Checker {
        source,
        problems: Vec::new(),
    };
    for key in &unknown {
        checker.report(key, "unknown key (misspelt, or in the wrong section?)");
    }
    let locale = match raw.locale.as_deref() {
        None => Locale::default(),
        Some(text) => parse_locale(&mut checker, &root("locale"), text),
    };
    let web = check_web(&mut checker, &raw);
    let mut transcripts = TranscriptConfig::default();
    for (key, value, target) in [
        (
            "max_file_mb",
            raw.transcripts.max_file_mb,
            &mut transcripts.max_file_bytes,
        ),
        (
            "max_ticket_files_mb",
            raw.transcripts.max_ticket_files_mb,
            &mut transcripts.max_ticket_file_bytes,
        ),
        (
            "max_guild_files_mb",
            raw.transcripts.max_guild_files_mb,
            &mut transcripts.max_guild_file_bytes,
        ),
    ] {
        if let Some(mb) = value {
            let most = if key == "max_guild_files_mb" {
                1024.0 * 1024.0
            } else {
                1024.0
            };
            if !(0.0..=most).contains(&mb) {
                checker.report(
                    &root("transcripts").key(key),
                    format!("between 0 (keep no files) and {most} MB"),
                );
            } else {
                *target = (mb * 1024.0 * 1024.0) as u64;
            }
        }
    }
    let mut seen = HashSet::new();
    let mut guilds = Vec::new();
    for (i, guild) in raw.guilds.iter().enumerate() {
        let path = root("guild").index(i);
        if guild.id.is_some_and(|id| !seen.insert(id.0)) {
            checker.report(&path.key("id"), "this guild is configured twice");
        }
        guilds.push(check_guild(
            &mut checker,
            &path,
            guild,
            locale,
            base,
            raw.trust_native_plugins,
        ));
    }
    let database = match Database::parse(raw.database.as_deref().unwrap_or("ticketbot.duckdb")) {
        Ok(Database::File(path)) => Some(Database::File(base.join(path))),
        Ok(server) => Some(server),
        Err(problem) => {
            checker.report(&root("database"), problem);
            None
        }
    };
    if !checker.problems.is_empty() {
        checker.problems.sort_by_key(|p| (p.line, p.column));
        return Err(ConfigError {
            problems: checker.problems,
        });
    }
    let database = database.expect("a database that did not parse is a problem reported above");
    let plugin_cache = match (raw.plugin_cache.as_deref(), &database) {
        (Some(dir), _) => base.join(dir),
        (None, Database::File(file)) => file
            .parent()
            .map_or_else(|| PathBuf::from("plugin-cache"), |p| p.join("plugin-cache")),
        (None, Database::Postgres(_)) => base.join("plugin-cache"),
    };
    Ok(Config {
        source: Arc::new(ConfigSource {
            path: source.path().to_owned(),
            text: source.text().to_owned(),
        }),
        transcripts,
        database,
        plugin_cache,
        locale,
        web,
        guilds,
    })
}

fn parse_locale(checker: &mut Checker<'_>, path: &KeyPath, text: &str) -> Locale {
    text.parse().unwrap_or_else(|_| {
        let known: Vec<&str> = Locale::ALL.iter().map(|l| l.tag()).collect();
        checker.report(
            path,
            format!("unknown locale {text:?}; available: {}", known.join(", ")),
        );
        Locale::default()
    })
}

fn check_web(checker: &mut Checker<'_>, raw: &RawConfig) -> WebConfig {
    let listen_text = raw.web.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        checker.report(
            &root("web").key("listen"),
            format!("{listen_text:?} is not an address like \"127.0.0.1:8080\""),
        );
        DEFAULT_LISTEN
            .parse()
            .expect("the default address is valid")
    });
    let public_url = match raw.web.public_url.as_deref() {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            url.trim_end_matches('/').to_owned()
        }
        Some(url) => {
            checker.report(
                &root("web").key("public_url"),
                format!("{url:?} must start with http:// or https://"),
            );
            String::new()
        }
        None => format!("http://{listen}"),
    };
    let metrics_listen = raw.web.metrics_listen.as_deref().and_then(|text| {
        let parsed = text.parse::<SocketAddr>().ok();
        if parsed.is_none() {
            checker.report(
                &root("web").key("metrics_listen"),
                format!("{text:?} is not an address like \"127.0.0.1:9090\""),
            );
        }
        parsed
    });
    let mut limits = WebLimits::default();
    if let Some(n) = raw.web.max_connections {
        if (1..=100_000).contains(&n) {
            limits.max_connections = n;
        } else {
            checker.report(&root("web").key("max_connections"), "between 1 and 100000");
        }
    }
    if let Some(n) = raw.web.max_connections_per_client {
        if (1..=100_000).contains(&n) {
            limits.max_connections_per_client = n;
        } else {
            checker.report(
                &root("web").key("max_connections_per_client"),
                "between 1 and 100000",
            );
        }
    }
    if let Some(seconds) = raw.web.header_timeout_seconds {
        if (1..=300).contains(&seconds) {
            limits.header_timeout = std::time::Duration::from_secs(seconds);
        } else {
            checker.report(
                &root("web").key("header_timeout_seconds"),
                "between 1 and 300 seconds",
            );
        }
    }
    if let Some(n) = raw.web.misses_per_minute {
        if (1..=1_000_000).contains(&n) {
            limits.misses_per_minute = n;
        } else {
            checker.report(
                &root("web").key("misses_per_minute"),
                "between 1 and 1000000",
            );
        }
    }
    WebConfig {
        listen,
        public_url,
        metrics_listen,
        metrics_token: None,
        dashboard: None,
        limits,
    }
}

fn check_guild(
    checker: &mut Checker<'_>,
    path: &KeyPath,
    raw: &RawGuild,
    default: Locale,
    base: &Path,
    trust_native: bool,
) -> GuildConfig {
    let locale = match raw.locale.as_deref() {
        None => default,
        Some(text) => parse_locale(checker, &path.key("locale"), text),
    };
    let mut required = |key: &str, value: Option<Snowflake>| {
        value.map(|v| v.0).unwrap_or_else(|| {
            checker.report(path, format!("missing key `{key}` (a Discord id)"));
            0
        })
    };
    let id = required("id", raw.id);
    let panel_channel = required("panel_channel", raw.panel_channel);
    let log_channel = required("log_channel", raw.log_channel);
    let ticket_category = required("ticket_category", raw.ticket_category);
    if raw.staff_roles.is_empty() {
        checker.report(
            &path.key("staff_roles"),
            "list at least one role: nobody could close tickets",
        );
    }
    let max_open = raw.max_open_per_user.unwrap_or(1);
    if !(1..=50).contains(&max_open) {
        checker.report(&path.key("max_open_per_user"), "must be between 1 and 50");
    }
    let max_open_tickets = raw.max_open_tickets.and_then(|n| {
        if (1..=10_000).contains(&n) {
            Some(n as u32)
        } else {
            checker.report(
                &path.key("max_open_tickets"),
                "must be between 1 and 10000 (leave it out for no cap)",
            );
            None
        }
    });
    let claim_mode = raw
        .claim_mode
        .as_deref()
        .and_then(|m| parse_claim_mode(checker, &path.key("claim_mode"), m))
        .unwrap_or_default();
    let close_request_hours = raw.close_request_hours.unwrap_or(24.0);
    if !(0.0001..=720.0).contains(&close_request_hours) {
        checker.report(
            &path.key("close_request_hours"),
            "between 0.0001 and 720 (30 days)",
        );
    }
    let close_delay = raw.close_delay_seconds.unwrap_or(10);
    if !(0..=300).contains(&close_delay) {
        checker.report(
            &path.key("close_delay_seconds"),
            "must be between 0 and 300",
        );
    }
    let channel_name = raw
        .channel_name
        .clone()
        .unwrap_or_else(|| DEFAULT_CHANNEL_NAME.to_owned());
    check_channel_name(checker, &path.key("channel_name"), &channel_name);
    if raw.ticket_types.is_empty() {
        checker.report(
            path,
            "add at least one [[guild.ticket_type]]: the panel offers these",
        );
    }
    if raw.ticket_types.len() > 25 {
        checker.report(
            &path.key("ticket_type").index(25),
            "at most 25 ticket types fit in Discord's select menu",
        );
    }
    let mut type_ids = HashSet::new();
    let mut ticket_types = Vec::new();
    for (i, t) in raw.ticket_types.iter().enumerate() {
        let tpath = path.key("ticket_type").index(i);
        let valid_id = !t.id.is_empty()
            && t.id.len() <= 32
            && t.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid_id {
            checker.report(
                &tpath.key("id"),
                "use 1-32 lowercase letters, digits, '-' or '_'",
            );
        } else if !type_ids.insert(t.id.clone()) {
            checker.report(
                &tpath.key("id"),
                format!("ticket type {:?} is defined twice", t.id),
            );
        }
        let label_len = t.label.chars().count();
        if label_len == 0 || label_len > 100 {
            checker.report(
                &tpath.key("label"),
                "must be 1-100 characters (Discord's select option limit)",
            );
        }
        if t.description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 100)
        {
            checker.report(
                &tpath.key("description"),
                "must be at most 100 characters (Discord's limit)",
            );
        }
        if t.emoji
            .as_ref()
            .is_some_and(|e| e.trim().is_empty() || e.chars().count() > 64)
        {
            checker.report(
                &tpath.key("emoji"),
                "give one Unicode emoji or a custom emoji like <:name:id>",
            );
        }
        let cooldown = t.cooldown_minutes.and_then(|minutes| {
            if (0.0..=30.0 * 24.0 * 60.0).contains(&minutes) {
                Some(std::time::Duration::from_secs_f64(minutes * 60.0))
            } else {
                checker.report(
                    &tpath.key("cooldown_minutes"),
                    "between 0 and 43200 (30 days)",
                );
                None
            }
        });
        let claim_mode = t
            .claim_mode
            .as_deref()
            .and_then(|m| parse_claim_mode(checker, &tpath.key("claim_mode"), m));
        ticket_types.push(TicketType {
            id: t.id.clone(),
            label: t.label.clone(),
            emoji: t.emoji.clone(),
            description: t.description.clone(),
            category: t.category.map(|c| c.0),
            staff_roles: ids(&t.staff_roles),
            cooldown,
            claim_mode,
        });
    }
    let plugins = check_plugins(checker, path, &raw.plugins, base, trust_native);
    let uploads = raw.uploads.as_ref().map(|u| {
        let upath = path.key("uploads");
        let max_kib = u.max_kib.unwrap_or(1024);
        if !(1..=16 * 1024).contains(&max_kib) {
            checker.report(&upath.key("max_kib"), "between 1 and 16384 (16 MiB)");
        }
        let max_plugins = u.max_plugins.unwrap_or(3);
        if !(1..=20).contains(&max_plugins) {
            checker.report(&upath.key("max_plugins"), "between 1 and 20");
        }
        let mut capabilities = Vec::new();
        for (j, name) in u.capabilities.iter().enumerate() {
            match Capability::parse(name) {
                Some(c) if !capabilities.contains(&c) => capabilities.push(c),
                Some(_) => checker.report(&upath.key("capabilities").index(j), "listed twice"),
                None => checker.report(
                    &upath.key("capabilities").index(j),
                    format!(
                        "unknown capability {name:?}; known: {}",
                        Capability::known()
                    ),
                ),
            }
        }
        UploadCeiling {
            max_bytes: max_kib.clamp(1, 16 * 1024) as usize * 1024,
            max_plugins: max_plugins.clamp(1, 20) as usize,
            capabilities,
        }
    });
    let catalogue = Catalogue::builtin(locale);
    for (key, text) in &raw.texts {
        let kpath = path.key("texts").key(key);
        if !catalogue.has(key) {
            checker.report(
                &kpath,
                "no such text key (see the locale catalogues in host/locales/)",
            );
        } else if let Err(error) = Catalogue::check_override(key, text) {
            checker.report(&kpath, error);
        }
    }
    let self_service = match &raw.self_service {
        None => Editable::ALL.to_vec(),
        Some(names) => {
            let mut out = Vec::new();
            for (j, name) in names.iter().enumerate() {
                match Editable::parse(name) {
                    Some(e) if !out.contains(&e) => out.push(e),
                    Some(_) => checker.report(&path.key("self_service").index(j), "listed twice"),
                    None => checker.report(
                        &path.key("self_service").index(j),
                        format!("unknown part {name:?}; known: {}", Editable::known()),
                    ),
                }
            }
            out
        }
    };
    GuildConfig {
        id,
        name: raw.name.clone(),
        locale,
        panel_channel,
        log_channel,
        ticket_category,
        overflow_categories: ids(&raw.overflow_categories),
        staff_roles: ids(&raw.staff_roles),
        approver_roles: raw
            .approver_roles
            .as_deref()
            .map_or_else(|| ids(&raw.staff_roles), ids),
        item_return_channel: raw.item_return_channel.map(|c| c.0),
        max_open_per_user: max_open.clamp(1, 50) as u32,
        max_open_tickets,
        claim_mode,
        close_request_after: std::time::Duration::from_secs_f64(
            close_request_hours.clamp(0.0001, 720.0) * 3600.0,
        ),
        channel_name,
        close_delay: std::time::Duration::from_secs(close_delay.clamp(0, 300) as u64),
        ticket_types,
        plugins,
        uploads,
        texts: raw.texts.clone(),
        self_service,
    }
}

fn parse_claim_mode(checker: &mut Checker<'_>, path: &KeyPath, text: &str) -> Option<ClaimMode> {
    let mode = ClaimMode::parse(text);
    if mode.is_none() {
        checker.report(
            path,
            format!("{text:?} is not a claim mode: \"label\", \"exclusive\" or \"hidden\""),
        );
    }
    mode
}

fn check_channel_name(checker: &mut Checker<'_>, path: &KeyPath, pattern: &str) {
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            checker.report(path, "unclosed '{' in the pattern");
            return;
        };
        let name = &rest[start + 1..start + end];
        if !["code", "number", "type"].contains(&name) {
            checker.report(
                path,
                format!("unknown placeholder {{{name}}}; use {{code}}, {{number}} or {{type}}"),
            );
        }
        rest = &rest[start + end + 1..];
    }
    if !pattern.contains("{code}") && !pattern.contains("{number}") {
        checker.report(
            path,
            "include {code} or {number} so that channel names are unique",
        );
    }
    if pattern.chars().count() > 80 {
        checker.report(
            path,
            "keep the pattern under 80 characters (Discord allows 100 per name)",
        );
    }
}

fn check_plugins(
    checker: &mut Checker<'_>,
    path: &KeyPath,
    plugins: &[RawPlugin],
    base: &Path,
    trust_native: bool,
) -> Vec<PluginConfig> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in plugins.iter().enumerate() {
        let ppath = path.key("plugin").index(i);
        if p.id.trim().is_empty() {
            checker.report(&ppath.key("id"), "must not be empty");
        } else if !seen.insert(p.id.clone()) {
            checker.report(
                &ppath.key("id"),
                format!("plugin {:?} is enabled twice in this guild", p.id),
            );
        }
        let given = [p.builtin.is_some(), p.path.is_some(), p.native.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            checker.report(
                &ppath,
                "give one of `builtin`, `path` or `native`, not several",
            );
        }
        let source = if let Some(file) = &p.native {
            let full: PathBuf = base.join(file);
            if !trust_native {
                checker.report(
                    &ppath.key("native"),
                    "native plugins run unsandboxed in the bot's process; set `trust_native_plugins = true` at the top of the file to allow them",
                );
            } else if !full.is_file() {
                checker.report(
                    &ppath.key("native"),
                    format!("no file at {}", full.display()),
                );
            }
            PluginSource::Native(full)
        } else {
            match (&p.builtin, &p.path) {
                (Some(name), None) => {
                    if !crate::plugins::builtin::ids().any(|id| id == name) {
                        checker.report(
                            &ppath.key("builtin"),
                            format!(
                                "no built-in plugin {name:?}; built in: {}",
                                crate::plugins::builtin::ids()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                    PluginSource::Builtin(name.clone())
                }
                (None, Some(file)) => {
                    let full: PathBuf = base.join(file);
                    if !file.ends_with(".wasm") {
                        checker.report(&ppath.key("path"), "must be a .wasm component");
                    } else if !full.is_file() {
                        checker
                            .report(&ppath.key("path"), format!("no file at {}", full.display()));
                    }
                    PluginSource::Path(full)
                }
                (Some(_), Some(_)) => {
                    checker.report(
                        &ppath.key("path"),
                        "give either `builtin` or `path`, not both",
                    );
                    PluginSource::Builtin(String::new())
                }
                (None, None) => {
                    checker.report(&ppath, "say where the plugin comes from: `builtin = \"name\"` or `path = \"file.wasm\"`");
                    PluginSource::Builtin(String::new())
                }
            }
        };
        let mut granted = Vec::new();
        for (j, name) in p.capabilities.iter().enumerate() {
            match Capability::parse(name) {
                None => checker.report(
                    &ppath.key("capabilities").index(j),
                    format!(
                        "unknown capability {name:?}; known: {}",
                        Capability::known()
                    ),
                ),
                Some(c) if granted.contains(&c) => {
                    checker.report(&ppath.key("capabilities").index(j), "granted twice")
                }
                Some(c) => granted.push(c),
            }
        }
        let mut http_allow = Vec::new();
        for (j, entry) in p.http_allow.iter().enumerate() {
            match AllowedHost::parse(entry) {
                Ok(host) => http_allow.push(host),
                Err(why) => checker.report(&ppath.key("http_allow").index(j), why),
            }
        }
        out.push(PluginConfig {
            id: p.id.clone(),
            source,
            enabled: p.enabled.unwrap_or(true),
            capabilities: granted,
            http_allow,
            settings: p.settings.clone(),
        });
    }
    out
}
