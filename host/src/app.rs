//! Wiring: opens the store, starts the web server and the bot, and stops them in order.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::discord::{Bot, DiscordSettings, ReadyInfo, StartError};
use crate::guild_settings::GuildSettings;
use crate::plugins::{ComponentCache, PluginHost};
use crate::store::{Store, StoreError};
use crate::tickets::Tickets;
use crate::transcript::token::LinkKey;
use crate::web::dashboard::oauth::DiscordOAuth;
use crate::web::dashboard::DashboardDeps;
use crate::web::WebServer;

/// What to run.
#[derive(Clone, Debug)]
pub enum Mode {
    /// The bot and the web server.
    Full(DiscordSettings),
    /// The web server only.
    WebOnly,
}

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The web server could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The configured address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The Discord client.
    #[error(transparent)]
    Discord(#[from] StartError),
    /// The transcript link key.
    #[error(transparent)]
    LinkKey(#[from] crate::transcript::token::KeyError),
    /// The WebAssembly engine could not start.
    #[error("cannot start the plugin engine: {0}")]
    Plugins(String),
}

/// Loads the configured plugins. A plugin that fails to load (or that a guild misconfigured) is
/// left out and logged; the rest of the bot runs.
fn load_plugins(config: &Config) -> Result<PluginHost, String> {
    let cache = ComponentCache::new(Some(config.plugin_cache.clone()));
    let (host, problems) = PluginHost::load(config, &cache).map_err(|e| format!("{e:#}"))?;
    for problem in problems {
        tracing::error!(%problem, "plugin left out");
    }
    for warning in host.warnings() {
        tracing::warn!(%warning, "plugin loaded with a warning");
    }
    Ok(host)
}

/// The dashboard's parts, when its OAuth2 client is configured and the bot's REST view of
/// Discord is there to decide who sees what (with `run`; `serve` has no bot).
fn dashboard(
    config: &Arc<Config>,
    guild_settings: &Arc<GuildSettings>,
    mode: &Mode,
    plugins: Arc<PluginHost>,
) -> Option<DashboardDeps> {
    let oauth = config.web.dashboard.as_ref()?;
    let Mode::Full(settings) = mode else {
        tracing::info!("the dashboard runs with the bot (`ticketbot run`), not in `serve`");
        return None;
    };
    let base = settings
        .api_base
        .as_deref()
        .unwrap_or("https://discord.com");
    let redirect = format!("{}/dashboard/callback", config.web.public_url);
    // Transcript links are derived from the key the bot uses (loaded the same way).
    let link_key = match LinkKey::load(&config.state_file("link-key")) {
        Ok(key) => key,
        Err(error) => {
            tracing::error!(%error, "the dashboard cannot start without the transcript link key");
            return None;
        }
    };
    match DiscordOAuth::new(oauth, base, &redirect) {
        Ok(oauth) => {
            tracing::info!(redirect = %redirect, "dashboard on");
            Some(DashboardDeps {
                settings: guild_settings.clone(),
                discord: crate::discord::rest_client(settings),
                oauth,
                link_key,
                plugins,
            })
        }
        Err(error) => {
            tracing::error!(%error, "the dashboard cannot start");
            None
        }
    }
}

/// A running host.
pub struct Running {
    store: Store,
    web: WebServer,
    bot: Option<Bot>,
    tickets: Option<Arc<Tickets>>,
    /// The operator's file, the guilds' own settings over it, and the configuration in force.
    settings: Arc<GuildSettings>,
}

/// Starts everything `mode` asks for.
pub async fn start(config: Arc<Config>, mode: Mode) -> Result<Running, AppError> {
    let store = Store::connect(&config.database).await?;
    // On a shared database, where the guilds' recorded changes stand before this process reads
    // them: what other processes record from now on is followed (below).
    let marks = if config.database.is_shared() {
        Some(store.settings_marks().await?)
    } else {
        None
    };
    // The operator's file with each guild's own settings (from the dashboard) over it.
    let file = config;
    let config = Arc::new(crate::guild_settings::compose(&file, &store).await);
    // The plugins, with each guild's own choices applied over the file's defaults.
    let plugins = match &mode {
        Mode::WebOnly => None,
        Mode::Full(_) => match load_plugins(&config) {
            Ok(plugins) => {
                let plugins = Arc::new(plugins);
                crate::self_service::apply_stored(&config, &store, &plugins).await;
                Some(plugins)
            }
            Err(error) => {
                store.close().await;
                return Err(AppError::Plugins(error));
            }
        },
    };
    let live: crate::config::LiveConfig = Arc::new(std::sync::RwLock::new(config.clone()));
    let guild_settings = Arc::new(GuildSettings::new(store.clone(), file, live));
    if let Some(marks) = marks {
        guild_settings.follow_other_processes(marks, plugins.clone());
    }
    let dashboard = plugins
        .as_ref()
        .and_then(|plugins| dashboard(&config, &guild_settings, &mode, plugins.clone()));
    let web = match WebServer::start(&config.web, store.clone(), dashboard).await {
        Ok(web) => web,
        Err(source) => {
            store.close().await;
            return Err(AppError::Listen {
                addr: config.web.listen,
                source,
            });
        }
    };
    let (bot, tickets) = match mode {
        Mode::WebOnly => (None, None),
        Mode::Full(settings) => {
            let plugins = plugins.expect("loaded for the bot");
            let key_file = config.state_file("link-key");
            let link_key = match LinkKey::load(&key_file) {
                Ok(key) => key,
                Err(error) => {
                    web.stop().await;
                    store.close().await;
                    return Err(AppError::LinkKey(error));
                }
            };
            let lifecycle_store = store.clone();
            let members = plugins.wants_members_left();
            let started = Bot::start(&settings, members, move |discord| {
                Tickets::new(config, lifecycle_store, discord, plugins, link_key)
            })
            .await;
            match started {
                Ok((bot, tickets)) => {
                    guild_settings.attach(&tickets);
                    (Some(bot), Some(tickets))
                }
                Err(error) => {
                    web.stop().await;
                    store.close().await;
                    return Err(error.into());
                }
            }
        }
    };
    Ok(Running {
        store,
        web,
        bot,
        tickets,
        settings: guild_settings,
    })
}

impl Running {
    /// Puts `config` in force without dropping the gateway (the operator's reload, on SIGHUP):
    /// guilds' settings and texts, plugins with each guild's own choices, slash commands, open
    /// tickets' buttons, the dashboard. What cannot change while running (the web server's
    /// addresses and limits, the database) keeps its value until a restart, and is named in
    /// the result beside the plugins' problems.
    pub async fn reload(&self, mut config: Config) -> Vec<String> {
        let running = self.settings.config();
        let mut notes = Vec::new();
        if config.database != running.database {
            notes.push("database: changes at the next restart".to_owned());
        }
        if config.web.listen != running.web.listen || config.web.limits != running.web.limits {
            notes.push("[web] listen and limits: change at the next restart".to_owned());
        }
        // Secrets come from the environment, as at start.
        config.web.metrics_token = running.web.metrics_token.clone();
        config.web.dashboard = running.web.dashboard.clone();
        // The guilds' own settings apply over the new file as over the old one.
        let config = self.settings.reload_file(Arc::new(config)).await;
        if let Some(tickets) = &self.tickets {
            notes.extend(tickets.reload(config).await);
        }
        notes
    }

    /// The web server's address.
    pub fn web_addr(&self) -> SocketAddr {
        self.web.addr()
    }

    /// The metrics-only address, if configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.web.metrics_addr()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The lifecycle, when the bot runs.
    pub fn tickets(&self) -> Option<&Arc<Tickets>> {
        self.tickets.as_ref()
    }

    /// Waits for the bot's READY (returns `None` in web-only mode).
    pub async fn ready(&self) -> Option<ReadyInfo> {
        match &self.bot {
            Some(bot) => Some(bot.ready().await),
            None => None,
        }
    }

    /// The name of guild `id` as the bot's gateway cache knows it.
    pub fn cached_guild_name(&self, id: u64) -> Option<String> {
        self.bot.as_ref().and_then(|bot| bot.cached_guild_name(id))
    }

    /// Stops in order: waits end (close delays, timers, message watches: all resumed from the
    /// database at the next start), the gateway closes (no new events), the work in flight
    /// finishes (at most [`DRAIN`]), then the web server, then the database.
    pub async fn stop(self) {
        if let Some(tickets) = &self.tickets {
            tickets.shutdown();
        }
        if let Some(bot) = self.bot {
            bot.shutdown().await;
        }
        if let Some(tickets) = &self.tickets {
            tickets.drain(DRAIN).await;
        }
        drop(self.tickets);
        self.web.stop().await;
        self.store.close().await;
        tracing::info!("stopped");
    }
}

/// The longest a stop waits for work in flight.
pub const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Ctrl-C, or SIGTERM (what systemd and Docker send to stop a service), listened for from the
/// moment it is made: make it before starting anything, so a signal that arrives while the bot
/// starts is a graceful stop too, never the default action (an abrupt end).
pub struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    /// Starts listening (needs the tokio runtime).
    pub fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(interrupt), Ok(terminate)) => Self {
                    signals: Some((interrupt, terminate)),
                },
                (Err(error), _) | (_, Err(error)) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the bot");
                    Self { signals: None }
                }
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Resolves when a stop was asked for (also one that came before this call).
    pub async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
