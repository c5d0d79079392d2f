//! Each guild's own settings (ticket types, texts, staff roles, channels): a layer over its
//! entry in `config.toml`, stored in the database, which its managers change from the
//! dashboard. [`GuildSettings`] keeps the operator's file and the configuration in force (the
//! file with every guild's layer), checks a change exactly as the file is checked, records it
//! and puts it in force live.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};

use std::time::Duration;

use crate::config::{Config, GuildLayer, LayerProblems, LiveConfig};
use crate::plugins::PluginHost;
use crate::store::{Store, StoreError};
use crate::tickets::Tickets;

/// How often a process on a shared database looks for guild settings other processes
/// recorded, besides looking at once when a change is announced: the safety net for
/// announcements that cannot arrive (a connection pooler in transaction mode has no `LISTEN`).
pub const FOLLOW_EVERY: Duration = Duration::from_secs(10);

/// Why a guild's settings were not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change does not pass the file's checks (the file's messages, keys below the guild).
    #[error("{}", .0.join("; "))]
    Refused(Vec<String>),
    /// It could not be saved; nothing changed.
    #[error("the change could not be saved; nothing changed")]
    NotSaved,
}

/// The operator's file, each guild's layer over it, and the configuration in force.
pub struct GuildSettings {
    store: Store,
    /// The operator's file as last loaded (at start or an operator's reload).
    file: RwLock<Arc<Config>>,
    /// The configuration in force, which the dashboard reads too.
    live: LiveConfig,
    /// The bot's lifecycle, once it runs (none in `serve`).
    tickets: OnceLock<Weak<Tickets>>,
    /// One change at a time: each starts from the layers the one before left.
    changing: tokio::sync::Mutex<()>,
}

/// Every guild's stored layer, parsed; one that is not TOML any more is logged and skipped.
pub async fn stored_layers(store: &Store) -> Result<BTreeMap<u64, GuildLayer>, StoreError> {
    let stored = store.guild_layers().await.inspect_err(|error| {
        tracing::error!(%error, "reading the guilds' own settings");
    })?;
    Ok(stored
        .into_iter()
        .filter_map(|(guild, text)| match text.parse::<GuildLayer>() {
            Ok(layer) => Some((guild, layer)),
            Err(error) => {
                tracing::error!(%error, guild, "a guild's stored settings are not TOML; ignored");
                None
            }
        })
        .collect())
}

fn log_refused(refused: &LayerProblems) {
    for (guild, problems) in &refused.by_guild {
        tracing::warn!(guild, problems = %problems.join("; "), "a guild's own settings no longer fit config.toml; the file's values apply there");
    }
    for problem in &refused.other {
        tracing::error!(%problem, "applying the guilds' own settings");
    }
}

/// `file` with every guild's stored layer that still fits it (the others are logged, and
/// their guilds keep the file's values).
pub async fn compose(file: &Config, store: &Store) -> Config {
    let layers = stored_layers(store).await.unwrap_or_default();
    if layers.is_empty() {
        return file.clone();
    }
    let (config, refused) = fit(Arc::new(file.clone()), layers).await;
    log_refused(&refused);
    config
}

/// `file` with `layers` that fit it, checked off the async workers (it parses and checks the
/// whole file once more).
async fn fit(file: Arc<Config>, layers: BTreeMap<u64, GuildLayer>) -> (Config, LayerProblems) {
    let fallback = file.clone();
    tokio::task::spawn_blocking(move || file.with_layers_that_fit(&layers))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "checking the guilds' own settings failed");
            let refused = LayerProblems {
                other: vec![format!("checking the guilds' own settings failed: {error}")],
                ..LayerProblems::default()
            };
            ((*fallback).clone(), refused)
        })
}

impl GuildSettings {
    /// Keeps `file` (the operator's) and `live` (the configuration in force, composed with
    /// [`compose`]).
    pub fn new(store: Store, file: Arc<Config>, live: LiveConfig) -> Self {
        Self {
            store,
            file: RwLock::new(file),
            live,
            tickets: OnceLock::new(),
            changing: tokio::sync::Mutex::new(()),
        }
    }

    /// Tells changes to the bot's lifecycle from now on.
    pub fn attach(&self, tickets: &Arc<Tickets>) {
        let _ = self.tickets.set(Arc::downgrade(tickets));
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.live.read().expect("config lock").clone()
    }

    /// The operator's file as in force (without any guild's layer).
    pub fn file(&self) -> Arc<Config> {
        self.file.read().expect("file lock").clone()
    }

    /// `guild`'s own layer (empty: everything from the file).
    pub async fn layer(&self, guild: u64) -> GuildLayer {
        stored_layers(&self.store)
            .await
            .unwrap_or_default()
            .remove(&guild)
            .unwrap_or_default()
    }

    /// Makes `layer` `guild`'s own settings, as `actor`: checked against the file as the file
    /// is, recorded (who, when, before, after), and in force for the next click. Refused with
    /// every problem, and nothing changed, when it does not pass.
    pub async fn change(
        &self,
        guild: u64,
        actor: u64,
        layer: GuildLayer,
    ) -> Result<(), ChangeError> {
        let _one_at_a_time = self.changing.lock().await;
        let mut layers = stored_layers(&self.store)
            .await
            .map_err(|_| ChangeError::NotSaved)?;
        if layer.is_empty() {
            layers.remove(&guild);
        } else {
            layers.insert(guild, layer.clone());
        }
        let (config, mut refused) = fit(self.file(), layers).await;
        if let Some(problems) = refused.by_guild.remove(&guild) {
            return Err(ChangeError::Refused(problems));
        }
        if !refused.other.is_empty() {
            return Err(ChangeError::Refused(refused.other));
        }
        let text = toml::to_string(&layer).expect("a TOML table serialises");
        if let Err(error) = self.store.record_layer(guild, actor, text).await {
            tracing::error!(%error, guild, "recording a guild's own settings");
            return Err(ChangeError::NotSaved);
        }
        tracing::info!(guild, actor, keys = ?layer.keys().collect::<Vec<_>>(), "a guild changed its own settings");
        let config = Arc::new(config);
        *self.live.write().expect("config lock") = config.clone();
        if let Some(tickets) = self.tickets.get().and_then(Weak::upgrade) {
            tickets.apply_guild_change(config, guild).await;
        }
        Ok(())
    }

    /// On a shared database (PostgreSQL), several processes serve the same guilds' dashboard
    /// and lifecycle: when a change is announced, and every [`FOLLOW_EVERY`] in any case, this
    /// process puts in force the guilds' own settings and plugin choices recorded since it
    /// last looked (by another process, whose dashboard a manager used; that process already
    /// updated what is posted on Discord).
    /// Stops when the settings are dropped (the host stopped).
    /// `marks` is where the records stood before this process composed its settings
    /// ([`Store::settings_marks`]).
    pub fn follow_other_processes(
        self: &Arc<Self>,
        mut marks: (i64, i64),
        plugins: Option<Arc<PluginHost>>,
    ) {
        let this = Arc::downgrade(self);
        let announced = self.store.settings_announcements();
        tokio::spawn(async move {
            loop {
                match &announced {
                    Some(announced) => {
                        tokio::select! {
                            _ = announced.heard() => {}
                            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
                        }
                    }
                    None => tokio::time::sleep(FOLLOW_EVERY).await,
                }
                let Some(settings) = this.upgrade() else {
                    return;
                };
                match settings.store.guilds_changed_since(marks).await {
                    Ok((next, guilds)) => {
                        marks = next;
                        if !guilds.is_empty() {
                            settings.adopt(&guilds, plugins.as_ref()).await;
                        }
                    }
                    Err(StoreError::Closed) => return,
                    Err(error) => {
                        tracing::warn!(%error, "looking for guild settings changed elsewhere")
                    }
                }
            }
        });
    }

    /// Puts in force the stored settings and plugin choices of `guilds` as they are in the
    /// database now.
    async fn adopt(&self, guilds: &[u64], plugins: Option<&Arc<PluginHost>>) {
        let _one_at_a_time = self.changing.lock().await;
        let config = Arc::new(compose(&self.file(), &self.store).await);
        *self.live.write().expect("config lock") = config.clone();
        if let Some(plugins) = plugins {
            for guild in guilds {
                crate::self_service::apply_stored_guild(
                    &config,
                    &self.store,
                    plugins,
                    *guild,
                    false,
                )
                .await;
            }
        }
        if let Some(tickets) = self.tickets.get().and_then(Weak::upgrade) {
            tickets.adopt_config(config, guilds).await;
        }
        tracing::info!(
            ?guilds,
            "guild settings changed by another process are in force"
        );
    }

    /// The operator's reload: `file` becomes the file, composed with the guilds' layers.
    /// Returns the configuration now in force.
    pub async fn reload_file(&self, file: Arc<Config>) -> Arc<Config> {
        let _one_at_a_time = self.changing.lock().await;
        let config = Arc::new(compose(&file, &self.store).await);
        *self.file.write().expect("file lock") = file;
        *self.live.write().expect("config lock") = config.clone();
        config
    }
}
