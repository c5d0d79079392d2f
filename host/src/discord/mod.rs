//! The Discord edge: the only module that knows serenity.
//!
//! [`Bot::start`] connects the gateway and routes events through [`handler`] (after
//! [`convert`]ing them into the bot's own types) to the lifecycle; the lifecycle talks back
//! through [`client::DiscordClient`], which retries what [`retry`] deems transient.

pub mod client;
mod convert;
mod handler;
pub mod retry;

use std::fmt;
use std::sync::{Arc, OnceLock};

use serenity::all::{
    Cache, Client, ClientBuilder, GatewayIntents, GuildId, HttpBuilder, ShardManager,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use handler::ReadyInfo;

use crate::event::Lifecycle;
use crate::rest::DiscordApi;
use client::DiscordClient;

/// The environment variable holding the bot token.
pub const TOKEN_VAR: &str = "DISCORD_TOKEN";
/// The environment variable naming another API base (an emulator or a proxy).
pub const API_BASE_VAR: &str = "DISCORD_API_BASE";

/// How to reach Discord. The token never appears in `Debug` output.
#[derive(Clone)]
pub struct DiscordSettings {
    /// The bot token.
    pub token: String,
    /// Another API base, e.g. `http://127.0.0.1:PORT`; `None` for discord.com.
    pub api_base: Option<String>,
    /// Which gateway shards this process runs.
    pub shards: Shards,
}

/// Which gateway shards a process runs. Discord requires sharding from 2,500 guilds; each
/// shard is one gateway connection carrying the events of the guilds whose
/// `(id >> 22) % total` is its number (DMs go to shard 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shards {
    /// One connection for everything (shard 0 of 1).
    #[default]
    One,
    /// As many as Discord recommends (`GET /gateway/bot`), all in this process.
    Auto,
    /// Shards `first..=last` of `total`.
    Range {
        /// The first shard this process runs.
        first: u32,
        /// The last shard this process runs.
        last: u32,
        /// How many shards all processes run together.
        total: u32,
    },
}

/// Why a shard layout was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardsError {
    /// Not `N` or `auto`.
    #[error("--shard-total: {0:?} is not a number of shards (1 or more) or `auto`")]
    Total(String),
    /// Not `A-B` or `A` within the total.
    #[error("--shards: {0:?} is not a shard or a range of shards (`0-3`) below --shard-total")]
    Range(String),
    /// A range without a total.
    #[error("--shards needs --shard-total (how many shards all processes run together)")]
    NoTotal,
}

impl Shards {
    /// The layout `--shard-total` (`N` or `auto`) and `--shards` (`A-B`, or `A`) describe.
    pub fn parse(total: Option<&str>, range: Option<&str>) -> Result<Self, ShardsError> {
        let total = match total.map(str::trim) {
            None if range.is_some() => return Err(ShardsError::NoTotal),
            None => return Ok(Shards::One),
            Some("auto") if range.is_none() => return Ok(Shards::Auto),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=65_535).contains(n))
                .ok_or_else(|| ShardsError::Total(text.to_owned()))?,
        };
        let Some(text) = range.map(str::trim) else {
            return Ok(Shards::Range {
                first: 0,
                last: total - 1,
                total,
            });
        };
        let bad = || ShardsError::Range(text.to_owned());
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            ),
            None => {
                let one = text.parse().map_err(|_| bad())?;
                (one, one)
            }
        };
        if first > last || last >= total {
            return Err(bad());
        }
        Ok(Shards::Range { first, last, total })
    }

    /// Whether this process runs every shard (so it sees every guild and DM).
    pub fn all_here(&self) -> bool {
        match self {
            Shards::One | Shards::Auto => true,
            Shards::Range { first, last, total } => *first == 0 && *last + 1 == *total,
        }
    }
}

impl fmt::Debug for DiscordSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscordSettings")
            .field("token", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("shards", &self.shards)
            .finish()
    }
}

impl DiscordSettings {
    /// Reads [`TOKEN_VAR`] and [`API_BASE_VAR`]; `None` when no token is set.
    pub fn from_env() -> Option<Self> {
        let token = std::env::var(TOKEN_VAR)
            .ok()
            .filter(|t| !t.trim().is_empty())?;
        let api_base = std::env::var(API_BASE_VAR)
            .ok()
            .filter(|b| !b.trim().is_empty());
        Some(Self {
            token: token.trim().to_owned(),
            api_base,
            shards: Shards::One,
        })
    }
}

/// The gateway intents the bot needs: guilds and channels, messages with their content (for
/// `!setup_tickets` and the add-member/note flows), voice states (voice calls) and DMs; with
/// `members`, also members leaving (GUILD_MEMBERS, a privileged intent the bot's owner must
/// switch on in Discord's developer portal, so it is asked for only when a plugin needs it).
pub fn intents(members: bool) -> GatewayIntents {
    let intents = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
        | GatewayIntents::GUILD_VOICE_STATES
        | GatewayIntents::GUILD_MESSAGE_REACTIONS
        | GatewayIntents::DIRECT_MESSAGES;
    if members {
        intents | GatewayIntents::GUILD_MEMBERS
    } else {
        intents
    }
}

/// Why the bot could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the Discord client: {0}")]
pub struct StartError(#[from] serenity::Error);

/// A connected (or connecting) bot.
pub struct Bot {
    shards: Arc<ShardManager>,
    task: JoinHandle<()>,
    ready: watch::Receiver<Option<ReadyInfo>>,
    client: DiscordClient,
    cache: Arc<Cache>,
}

/// A REST-only handle on Discord with the bot's token (no gateway), for readers beside the
/// bot such as the dashboard.
pub fn rest_client(settings: &DiscordSettings) -> Arc<dyn DiscordApi> {
    let mut http = HttpBuilder::new(&settings.token);
    if let Some(base) = &settings.api_base {
        http = http
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    Arc::new(DiscordClient::new(
        Arc::new(http.build()),
        settings.api_base.as_deref(),
    ))
}

impl Bot {
    /// Builds the client, lets `lifecycle` build the lifecycle around its REST handle, and
    /// starts the gateway in the background; `members` asks for members leaving too.
    pub async fn start<L: Lifecycle>(
        settings: &DiscordSettings,
        members: bool,
        lifecycle: impl FnOnce(Arc<dyn DiscordApi>) -> Arc<L>,
    ) -> Result<(Self, Arc<L>), StartError> {
        let mut http = HttpBuilder::new(&settings.token);
        if let Some(base) = &settings.api_base {
            // serenity's rate limiter ignores the proxy setting, so it must be off here;
            // `retry` handles 429s instead.
            http = http
                .proxy(base.trim_end_matches('/'))
                .ratelimiter_disabled(true);
        }
        let slot = Arc::new(OnceLock::new());
        let (ready_tx, ready) = watch::channel(None);
        let expected = match settings.shards {
            Shards::One => Some(1),
            // Known from the first READY (it names the total).
            Shards::Auto => None,
            Shards::Range { first, last, .. } => Some(last - first + 1),
        };
        let handler = handler::Handler {
            lifecycle: slot.clone(),
            ready: ready_tx,
            expected,
            seen: std::sync::Mutex::default(),
        };
        let mut client: Client = ClientBuilder::new_with_http(http.build(), intents(members))
            .event_handler(handler)
            .await?;
        let discord = DiscordClient::new(client.http.clone(), settings.api_base.as_deref());
        let tickets = lifecycle(Arc::new(discord.clone()));
        let _ = slot.set(tickets.clone() as Arc<dyn Lifecycle>);
        let shards = client.shard_manager.clone();
        let cache = client.cache.clone();
        let layout = settings.shards;
        let task = tokio::spawn(async move {
            let ended = match layout {
                Shards::One => client.start().await,
                Shards::Auto => client.start_autosharded().await,
                // serenity's range is first..last with `last` included.
                Shards::Range { first, last, total } => {
                    client.start_shard_range(first..last, total).await
                }
            };
            if let Err(error) = ended {
                tracing::error!(%error, "the Discord connection ended");
            }
        });
        Ok((
            Self {
                shards,
                task,
                ready,
                client: discord,
                cache,
            },
            tickets,
        ))
    }

    /// Waits until every shard of this process sent READY and returns what they said.
    pub async fn ready(&self) -> ReadyInfo {
        let mut ready = self.ready.clone();
        let info = match ready.wait_for(Option::is_some).await {
            Ok(info) => info.clone(),
            Err(_) => None,
        };
        info.unwrap_or(ReadyInfo {
            bot_id: 0,
            guilds: Vec::new(),
        })
    }

    /// The name of guild `id` if the gateway has delivered it to the cache.
    pub fn cached_guild_name(&self, id: u64) -> Option<String> {
        self.cache.guild(GuildId::new(id)).map(|g| g.name.clone())
    }

    /// The REST client.
    pub fn client(&self) -> &DiscordClient {
        &self.client
    }

    /// Closes the gateway connection and waits for the client to end.
    pub async fn shutdown(self) {
        self.shards.shutdown_all().await;
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the Discord task ended abnormally");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_layouts() {
        assert_eq!(Shards::parse(None, None), Ok(Shards::One));
        assert_eq!(Shards::parse(Some("auto"), None), Ok(Shards::Auto));
        let all = Shards::parse(Some("4"), None).unwrap();
        assert_eq!(
            all,
            Shards::Range {
                first: 0,
                last: 3,
                total: 4
            }
        );
        assert!(all.all_here());
        let some = Shards::parse(Some("8"), Some("2-3")).unwrap();
        assert_eq!(
            some,
            Shards::Range {
                first: 2,
                last: 3,
                total: 8
            }
        );
        assert!(!some.all_here());
        assert_eq!(
            Shards::parse(Some("8"), Some("5")),
            Ok(Shards::Range {
                first: 5,
                last: 5,
                total: 8
            })
        );
        for (total, range) in [
            (Some("0"), None),
            (Some("x"), None),
            (Some("auto"), Some("0")),
            (Some("4"), Some("3-1")),
            (Some("4"), Some("4")),
            (Some("4"), Some("-1")),
            (None, Some("0")),
        ] {
            assert!(Shards::parse(total, range).is_err(), "{total:?} {range:?}");
        }
    }
}
