//! The file's shape as serde sees it, before any check beyond types.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A Discord id written as an integer or a string of digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snowflake(pub u64);

impl<'de> Deserialize<'de> for Snowflake {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Id;
        impl Visitor<'_> for Id {
            type Value = Snowflake;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Discord id (an integer, or a string of digits)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Snowflake, E> {
                u64::try_from(v)
                    .ok()
                    .filter(|v| *v > 0)
                    .map(Snowflake)
                    .ok_or_else(|| E::custom("a Discord id is a positive number"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Snowflake, E> {
                (v > 0)
                    .then_some(Snowflake(v))
                    .ok_or_else(|| E::custom("a Discord id is a positive number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Snowflake, E> {
                v.trim().parse::<u64>().ok().filter(|v| *v > 0).map(Snowflake).ok_or_else(|| {
                    E::custom(format!("{v:?} is not a Discord id (copy it with Developer Mode: right click > Copy ID)"))
                })
            }
        }
        deserializer.deserialize_any(Id)
    }
}

#[derive(Debug, Deserialize)]
pub struct RawConfig {
    pub database: Option<String>,
    pub plugin_cache: Option<String>,
    #[serde(default)]
    pub trust_native_plugins: bool,
    pub locale: Option<String>,
    #[serde(default)]
    pub web: RawWeb,
    #[serde(default)]
    pub transcripts: RawTranscripts,
    #[serde(default, rename = "guild")]
    pub guilds: Vec<RawGuild>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawWeb {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub metrics_listen: Option<String>,
    pub max_connections: Option<u32>,
    pub max_connections_per_client: Option<u32>,
    pub header_timeout_seconds: Option<u64>,
    pub misses_per_minute: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawTranscripts {
    pub max_file_mb: Option<f64>,
    pub max_ticket_files_mb: Option<f64>,
    pub max_guild_files_mb: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct RawGuild {
    pub id: Option<Snowflake>,
    pub name: Option<String>,
    pub locale: Option<String>,
    pub panel_channel: Option<Snowflake>,
    pub log_channel: Option<Snowflake>,
    pub ticket_category: Option<Snowflake>,
    #[serde(default)]
    pub overflow_categories: Vec<Snowflake>,
    #[serde(default)]
    pub staff_roles: Vec<Snowflake>,
    pub approver_roles: Option<Vec<Snowflake>>,
    pub item_return_channel: Option<Snowflake>,
    pub max_open_per_user: Option<i64>,
    pub max_open_tickets: Option<i64>,
    pub claim_mode: Option<String>,
    pub close_request_hours: Option<f64>,
    pub channel_name: Option<String>,
    pub close_delay_seconds: Option<i64>,
    #[serde(default, rename = "ticket_type")]
    pub ticket_types: Vec<RawTicketType>,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<RawPlugin>,
    /// Whether (and within what) the guild may upload plugins of its own.
    pub uploads: Option<RawUploads>,
    /// What the guild's managers may change themselves (`staff`, `ticket_types`, `texts`,
    /// `channels`); all of them when left out.
    pub self_service: Option<Vec<String>>,
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct RawTicketType {
    pub id: String,
    pub label: String,
    pub emoji: Option<String>,
    pub description: Option<String>,
    pub category: Option<Snowflake>,
    #[serde(default)]
    pub staff_roles: Vec<Snowflake>,
    pub cooldown_minutes: Option<f64>,
    pub claim_mode: Option<String>,
}

/// `[guild.uploads]`.
#[derive(Debug, Deserialize)]
pub struct RawUploads {
    pub max_kib: Option<i64>,
    pub max_plugins: Option<i64>,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawPlugin {
    pub id: String,
    pub builtin: Option<String>,
    pub path: Option<String>,
    pub native: Option<String>,
    /// `false`: available for the guild to turn on (from the dashboard), but off.
    pub enabled: Option<bool>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub http_allow: Vec<String>,
    // Settings are checked against the plugin's own schema when it loads.
    #[serde(default)]
    pub settings: toml::Table,
}
