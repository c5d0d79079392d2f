//! `config.toml`: what the host serves, for which guilds, with which ticket types and plugins.
//!
//! [`Config::load`] reads the file and returns either a checked [`Config`] or every [`Problem`]
//! it found, each with file, line and key. Unknown keys are problems, not silently ignored.

mod allow;
mod file;
mod layer;
mod raw;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use allow::{AllowedHost, HostName};
pub use file::{KeyPath, Problem, Segment};
pub use layer::{Editable, GuildLayer, LayerProblems, EDITABLE_TEXTS};

use crate::locale::Locale;

/// The whole host's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where tickets are kept: a DuckDB file (relative paths are relative to the config file's
    /// folder) or a PostgreSQL server (`postgres://…`, the password from the environment).
    pub database: crate::store::Database,
    /// Where compiled plugins are cached (default: `plugin-cache` beside the database file, or
    /// beside the config file on PostgreSQL).
    pub plugin_cache: PathBuf,
    /// Default language for guilds that name none.
    pub locale: Locale,
    /// The transcript web server.
    pub web: WebConfig,
    /// What transcripts keep.
    pub transcripts: TranscriptConfig,
    /// The guilds this host serves.
    pub guilds: Vec<GuildConfig>,
    /// The operator's file this was read from (guilds' own layers are applied over it).
    pub source: Arc<ConfigSource>,
}

/// The text of the operator's config file and where it was read from.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigSource {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// The transcript web server's settings.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL at which users reach the server, for transcript links (no trailing slash).
    pub public_url: String,
    /// A second address serving only `/metrics` (and `/healthz`), without a token.
    pub metrics_listen: Option<SocketAddr>,
    /// With it, `/metrics` on the main address answers requests bearing this token; without
    /// it, `/metrics` is only on `metrics_listen`. From the environment, never the file.
    pub metrics_token: Option<Secret>,
    /// Bounds that keep the server answering under abuse.
    pub limits: WebLimits,
    /// The dashboard's OAuth2 client; the dashboard is off without it. From the environment.
    pub dashboard: Option<DashboardSettings>,
}

/// A secret from the environment: compared in constant time, never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The value of environment variable `name`, if set and not empty.
    pub fn from_env(name: &str) -> Option<Self> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Self(v.trim().to_owned()))
    }

    /// A secret with this value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, to send it where it belongs (never to a log or a page).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `offered` is the secret, without revealing through timing how much matched.
    pub fn matches(&self, offered: &str) -> bool {
        use sha2::{Digest, Sha256};
        let (a, b) = (Sha256::digest(&self.0), Sha256::digest(offered));
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The environment variable holding the dashboard's OAuth2 client id (the Discord
/// application's id).
pub const CLIENT_ID_VAR: &str = "DISCORD_CLIENT_ID";
/// The environment variable holding the dashboard's OAuth2 client secret.
pub const CLIENT_SECRET_VAR: &str = "DISCORD_CLIENT_SECRET";

/// The Discord OAuth2 client the dashboard signs people in with (from the environment).
#[derive(Clone, Debug)]
pub struct DashboardSettings {
    /// The application's id.
    pub client_id: String,
    /// The application's secret.
    pub client_secret: Secret,
}

impl DashboardSettings {
    /// Both from the environment; what is missing otherwise.
    pub fn from_env() -> Result<Self, &'static str> {
        match (
            Secret::from_env(CLIENT_ID_VAR),
            Secret::from_env(CLIENT_SECRET_VAR),
        ) {
            (Some(id), Some(secret)) => Ok(Self {
                client_id: id.expose().to_owned(),
                client_secret: secret,
            }),
            (None, Some(_)) => Err("DISCORD_CLIENT_ID is not set"),
            (Some(_), None) => Err("DISCORD_CLIENT_SECRET is not set"),
            (None, None) => Err("DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET are not set"),
        }
    }
}

/// The environment variable holding the bearer token for `/metrics`.
pub const METRICS_TOKEN_VAR: &str = "TICKETBOT_METRICS_TOKEN";

/// Bounds on what clients may hold of the web server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebLimits {
    /// Open connections at once; a connection beyond it is closed at once.
    pub max_connections: u32,
    /// Open connections at once from one client address (an IPv6 /64 counts as one), so one
    /// client cannot take every slot.
    pub max_connections_per_client: u32,
    /// Time a client has to send a request's headers, and the most a kept-alive connection
    /// may sit idle between requests.
    pub header_timeout: std::time::Duration,
    /// The longest any one connection may live (a client reading a page very slowly).
    pub connection_lifetime: std::time::Duration,
    /// Transcript lookups that find nothing, per client address and minute (a burst of this
    /// many is allowed); more get 429 until the budget refills. Pages found are not limited.
    pub misses_per_minute: u32,
}

impl Default for WebLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_connections_per_client: 64,
            header_timeout: std::time::Duration::from_secs(10),
            connection_lifetime: std::time::Duration::from_secs(300),
            misses_per_minute: 60,
        }
    }
}

/// Limits on the files transcripts keep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TranscriptConfig {
    /// Largest attachment downloaded, in bytes.
    pub max_file_bytes: u64,
    /// Most attachment bytes kept per ticket.
    pub max_ticket_file_bytes: u64,
    /// Most attachment bytes kept per guild, all its tickets together.
    pub max_guild_file_bytes: u64,
}

impl Default for TranscriptConfig {
    fn default() -> Self {
        Self {
            max_file_bytes: 8 << 20,
            max_ticket_file_bytes: 64 << 20,
            max_guild_file_bytes: 2 << 30,
        }
    }
}

/// One community's settings.
#[derive(Clone, Debug)]
pub struct GuildConfig {
    /// Guild id.
    pub id: u64,
    /// A label for logs and `check` output.
    pub name: Option<String>,
    /// Language of everything the bot says in this guild.
    pub locale: Locale,
    /// Where `!setup_tickets` posts the panel.
    pub panel_channel: u64,
    /// Where closed tickets are logged.
    pub log_channel: u64,
    /// The category new ticket channels go into.
    pub ticket_category: u64,
    /// Categories used, in order, when the ticket category is full (Discord allows 50 channels).
    pub overflow_categories: Vec<u64>,
    /// Roles that may close tickets, claim them and run staff commands.
    pub staff_roles: Vec<u64>,
    /// Roles that may approve item returns (defaults to the staff roles).
    pub approver_roles: Vec<u64>,
    /// Where item-return requests are posted.
    pub item_return_channel: Option<u64>,
    /// How many open tickets one user may have at once.
    pub max_open_per_user: u32,
    /// At most this many open tickets in the guild at once (none: no cap).
    pub max_open_tickets: Option<u32>,
    /// How a claim changes a ticket's permissions (a type may say otherwise).
    pub claim_mode: ClaimMode,
    /// How long an opener has to answer a close request before the ticket closes.
    pub close_request_after: std::time::Duration,
    /// Ticket channel name pattern; `{code}` is 6 random letters/digits, `{number}` the ticket's
    /// number, `{type}` the ticket type id.
    pub channel_name: String,
    /// How long after the close announcement the channel is deleted.
    pub close_delay: std::time::Duration,
    /// The ticket types offered by the panel, in order.
    pub ticket_types: Vec<TicketType>,
    /// Action plugins available in this guild (on unless `enabled = false`).
    pub plugins: Vec<PluginConfig>,
    /// Whether the guild may upload plugins of its own, and within what.
    pub uploads: Option<UploadCeiling>,
    /// Text overrides by catalogue key.
    pub texts: BTreeMap<String, String>,
    /// What the guild's managers may change themselves (its own layer over this file).
    pub self_service: Vec<Editable>,
}

impl GuildConfig {
    /// Whether any of `roles` is a staff role here.
    pub fn is_staff(&self, roles: &[u64]) -> bool {
        roles.iter().any(|r| self.staff_roles.contains(r))
    }

    /// Whether any of `roles` is staff for tickets of type `type_id` (guild staff, or the type's
    /// own staff roles).
    pub fn is_staff_for(&self, type_id: &str, roles: &[u64]) -> bool {
        self.is_staff(roles)
            || self
                .ticket_type(type_id)
                .is_some_and(|t| roles.iter().any(|r| t.staff_roles.contains(r)))
    }

    /// How claiming a ticket of type `type_id` changes who may see and write in it.
    pub fn claim_mode_for(&self, type_id: &str) -> ClaimMode {
        self.ticket_type(type_id)
            .and_then(|t| t.claim_mode)
            .unwrap_or(self.claim_mode)
    }

    /// The staff roles of tickets of type `type_id`: the guild's and the type's own.
    pub fn staff_roles_for(&self, type_id: &str) -> Vec<u64> {
        let mut roles = self.staff_roles.clone();
        if let Some(kind) = self.ticket_type(type_id) {
            roles.extend(kind.staff_roles.iter().copied());
        }
        roles
    }

    /// The ticket type `id`.
    pub fn ticket_type(&self, id: &str) -> Option<&TicketType> {
        self.ticket_types.iter().find(|t| t.id == id)
    }
}

/// A kind of ticket a user can open.
#[derive(Clone, Debug)]
pub struct TicketType {
    /// Stable id, used in custom_ids and the database.
    pub id: String,
    /// Label in the select menu.
    pub label: String,
    /// Emoji shown beside the label.
    pub emoji: Option<String>,
    /// Help text in the select menu.
    pub description: Option<String>,
    /// A category for this type instead of the guild's ticket category.
    pub category: Option<u64>,
    /// Staff roles for this type, in addition to the guild's.
    pub staff_roles: Vec<u64>,
    /// The least time between two tickets of this type by one user.
    pub cooldown: Option<std::time::Duration>,
    /// How a claim changes this type's tickets (else the guild's mode).
    pub claim_mode: Option<ClaimMode>,
}

/// What claiming a ticket does beyond showing who has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClaimMode {
    /// Only the label: every staff member keeps writing (the original bot).
    #[default]
    Label,
    /// The claimer and the opener write; other staff keep reading.
    Exclusive,
    /// Other staff no longer see the ticket at all.
    Hidden,
}

impl ClaimMode {
    /// Every mode.
    pub const ALL: [ClaimMode; 3] = [ClaimMode::Label, ClaimMode::Exclusive, ClaimMode::Hidden];

    /// Its name in the config.
    pub fn name(self) -> &'static str {
        match self {
            ClaimMode::Label => "label",
            ClaimMode::Exclusive => "exclusive",
            ClaimMode::Hidden => "hidden",
        }
    }

    /// The mode named `text` in the config.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "label" => Some(ClaimMode::Label),
            "exclusive" => Some(ClaimMode::Exclusive),
            "hidden" => Some(ClaimMode::Hidden),
            _ => None,
        }
    }
}

/// Where a plugin's component comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PluginSource {
    /// One of the plugins built into the `ticketbot` binary.
    Builtin(String),
    /// A `.wasm` component on disk.
    Path(PathBuf),
    /// A trusted native library (`.so`, `.dylib`, `.dll`): no sandbox.
    Native(PathBuf),
    /// A component a guild uploaded, kept in the database by the hash of its bytes.
    Uploaded(String),
}

/// The configuration in force, shared by the parts that follow an operator's reload.
pub type LiveConfig = std::sync::Arc<std::sync::RwLock<std::sync::Arc<Config>>>;

/// What a guild may upload of its own plugins (`[guild.uploads]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadCeiling {
    /// Largest component, in bytes.
    pub max_bytes: usize,
    /// Most uploaded plugins at once.
    pub max_plugins: usize,
    /// The most an uploaded plugin may be granted.
    pub capabilities: Vec<crate::capability::Capability>,
}

/// A plugin enabled in a guild.
#[derive(Clone, Debug)]
pub struct PluginConfig {
    /// The plugin's id (its manifest id).
    pub id: String,
    /// Where its component comes from.
    pub source: PluginSource,
    /// On unless the guild turns it off; `false` in the file makes it available for the
    /// guild to turn on itself (`enabled = false`).
    pub enabled: bool,
    /// Capabilities granted to it in this guild: by default, and the most the guild may grant
    /// it itself.
    pub capabilities: Vec<crate::capability::Capability>,
    /// The hosts its HTTP requests may go to.
    pub http_allow: Vec<AllowedHost>,
    /// Its settings, checked against the plugin's schema when it loads.
    pub settings: toml::Table,
}

/// Every problem found in a config file.
#[derive(Debug)]
pub struct ConfigError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// A file of this host's own beside its data: `ext` next to the DuckDB file
    /// (`ticketbot.link-key` beside `ticketbot.duckdb`), or `ticketbot.<ext>` beside the config
    /// file on PostgreSQL (every process started with that config shares it).
    pub fn state_file(&self, ext: &str) -> PathBuf {
        match &self.database {
            crate::store::Database::File(file) => file.with_extension(ext),
            crate::store::Database::Postgres(_) => self
                .source
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .join(format!("ticketbot.{ext}")),
        }
    }

    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            problems: vec![Problem {
                file: path.to_owned(),
                line: 0,
                column: 0,
                key: "(file)".into(),
                message: format!("cannot read the config file: {e}"),
            }],
        })?;
        Self::parse(path, text)
    }

    /// Checks config `text` as if read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Self, ConfigError> {
        let source =
            file::SourceFile::parse(path, text).map_err(|p| ConfigError { problems: vec![p] })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        validate::check(&source, &base)
    }

    /// A problem with plugin `plugin` of guild `guild` (about `key`, a key path below its entry
    /// such as `capabilities` or `settings.categories[1].label`, if any; the nearest existing
    /// parent when the key is not written), located in the file at `path` this config was read
    /// from; none when the file or the plugin is not found there.
    pub fn locate_plugin_problem(
        &self,
        path: &Path,
        guild: u64,
        plugin: &str,
        at: Option<&str>,
        message: String,
    ) -> Option<Problem> {
        let g = self.guilds.iter().position(|g| g.id == guild)?;
        let p = self.guilds[g].plugins.iter().position(|p| p.id == plugin)?;
        let mut key = KeyPath::default()
            .key("guild")
            .index(g)
            .key("plugin")
            .index(p);
        if let Some(at) = at {
            for part in at.split('.') {
                let (name, indices) = part.split_once('[').unwrap_or((part, ""));
                if !name.is_empty() {
                    key = key.key(name);
                }
                for index in indices
                    .split('[')
                    .filter_map(|i| i.trim_end_matches(']').parse().ok())
                {
                    key = key.index(index);
                }
            }
        }
        let text = std::fs::read_to_string(path).ok()?;
        let source = file::SourceFile::parse(path, text).ok()?;
        Some(source.problem(&key, message))
    }

    /// The settings of guild `id`, if this host serves it.
    pub fn guild(&self, id: u64) -> Option<&GuildConfig> {
        self.guilds.iter().find(|g| g.id == id)
    }
}
