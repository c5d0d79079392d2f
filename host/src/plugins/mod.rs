//! The plugin host: WebAssembly components that add action buttons to tickets.
//!
//! - `contract`: the WIT world as Rust types; the lifecycle speaks these.
//! - `engine`: the one wasmtime engine (pooling allocator, epoch ticker).
//! - `cache`: compiled components on disk, keyed by content and engine.
//! - `instance`: one loaded plugin, called in a fresh store per event with limits.
//! - `builtin`: the built-in plugins embedded in the binary.
//!
//! [`PluginHost`] loads every plugin the config enables (each component once, shared by all
//! guilds), checks each guild's settings with the plugin itself, and counts failures so a plugin
//! that keeps failing is disabled for that guild until restart. Effects are performed by the
//! lifecycle (`tickets::plugin_actions`), not here: this module never touches Discord.

pub mod builtin;
pub mod cache;
pub mod contract;
mod cpu_clock;
pub mod engine;
pub mod instance;
pub mod native;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wasmtime::Engine;

use crate::config::{Config, PluginConfig, PluginSource, CAPABILITIES};
pub use cache::{ComponentCache, Loaded};
pub use contract::Manifest;
pub use instance::{CallResult, CallScope, HostServices, PluginLog, WasmPlugin};
pub use native::NativePlugin;

/// Consecutive failures after which a plugin is disabled in a guild.
pub const FAILURES_TO_DISABLE: u32 = 3;

/// Why a plugin could not be loaded or did not finish an event.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The component file could not be read.
    #[error("plugin {plugin}: cannot read {path}: {source}")]
    Read {
        /// Plugin id.
        plugin: String,
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not a valid component for this engine.
    #[error("plugin {plugin}: not a valid WebAssembly component: {message}")]
    Compile {
        /// Plugin id.
        plugin: String,
        /// wasmtime's reason.
        message: String,
    },
    /// The component exports no `ticketbot:plugin/plugin` interface.
    #[error("plugin {plugin}: not a ticketbot plugin (it exports: {exports})")]
    NotAPlugin {
        /// Plugin id.
        plugin: String,
        /// What it exports instead.
        exports: String,
    },
    /// Built against a contract version this host does not speak.
    #[error("plugin {plugin} was built against ticketbot:plugin@{found}, but this host speaks ticketbot:plugin@{supported}; rebuild it with a matching ticketbot-plugin-sdk")]
    ContractVersion {
        /// Plugin id.
        plugin: String,
        /// The guest's version.
        found: String,
        /// The host's version.
        supported: String,
    },
    /// Linking failed (imports the host does not provide).
    #[error("plugin {plugin}: cannot be linked: {message}")]
    Link {
        /// Plugin id.
        plugin: String,
        /// wasmtime's reason.
        message: String,
    },
    /// `describe` failed.
    #[error("plugin {plugin}: describe failed: {message}")]
    Describe {
        /// Plugin id.
        plugin: String,
        /// Why.
        message: String,
    },
    /// The manifest's id differs from the id the config enables it under.
    #[error(
        "plugin at {source_name} calls itself {found:?}, but the config enables it as {expected:?}"
    )]
    WrongId {
        /// Where it came from.
        source_name: String,
        /// The manifest's id.
        found: String,
        /// The config's id.
        expected: String,
    },
    /// The plugin trapped (panic, bad memory access, unreachable, a trapping WASI call).
    #[error("plugin {plugin} crashed: {message}")]
    Trapped {
        /// Plugin id.
        plugin: String,
        /// The trap and the plugin's last error log, if any.
        message: String,
    },
    /// The plugin used more than its budget of its own processor time.
    #[error("plugin {plugin} ran longer than {limit_ms} ms of its own time and was stopped")]
    TimedOut {
        /// Plugin id.
        plugin: String,
        /// The limit.
        limit_ms: u64,
    },
    /// The plugin tried to grow its memory past the cap.
    #[error("plugin {plugin} tried to use more than {limit_mib} MiB of memory and was stopped")]
    OutOfMemory {
        /// Plugin id.
        plugin: String,
        /// The cap.
        limit_mib: usize,
    },
    /// The plugin returned an error of its own.
    #[error("plugin {plugin} failed: {message}")]
    Returned {
        /// Plugin id.
        plugin: String,
        /// Its message.
        message: String,
        /// Capabilities it was refused on the way (often the cause).
        refused: Vec<String>,
    },
    /// The plugin asked for effects the guild did not grant; none of them was performed.
    #[error("plugin {plugin} needs the capability {capability:?}, which this guild did not grant")]
    NotGranted {
        /// Plugin id.
        plugin: String,
        /// The missing capability.
        capability: String,
    },
    /// The host failed the plugin (a read from the database or Discord was too slow or
    /// failed); not counted against the plugin.
    #[error("plugin {plugin} could not finish because the host failed it: {message}")]
    HostFailed {
        /// Plugin id.
        plugin: String,
        /// What failed.
        message: String,
    },
    /// An effect or reply broke a rule (a bad message, a channel it may not touch).
    #[error("plugin {plugin} asked for something invalid: {message}")]
    Invalid {
        /// Plugin id.
        plugin: String,
        /// What.
        message: String,
    },
}

impl PluginError {
    /// Classifies a failed call.
    fn trapped(
        plugin: &str,
        error: &wasmtime::Error,
        logs: &[PluginLog],
        budget: std::time::Duration,
    ) -> Self {
        if let Some(wasmtime::Trap::Interrupt) = error.downcast_ref::<wasmtime::Trap>() {
            return PluginError::TimedOut {
                plugin: plugin.into(),
                limit_ms: budget.as_millis() as u64,
            };
        }
        let text = format!("{error:#}");
        if text.contains("forcing a memory growth failure")
            || text.contains("forcing trap when growing memory")
        {
            return PluginError::OutOfMemory {
                plugin: plugin.into(),
                limit_mib: engine::MEMORY_LIMIT >> 20,
            };
        }
        let mut message = error
            .downcast_ref::<wasmtime::Trap>()
            .map_or_else(|| error.root_cause().to_string(), |t| t.to_string());
        if let Some(last) = logs
            .iter()
            .rev()
            .find(|l| l.level == contract::LogLevel::Error)
        {
            message = format!("{message} ({})", last.message);
        }
        PluginError::Trapped {
            plugin: plugin.into(),
            message,
        }
    }

    /// Whether the failure was the host's (a slow or failing read), which never counts
    /// towards disabling the plugin.
    pub fn is_host_failure(&self) -> bool {
        matches!(self, PluginError::HostFailed { .. })
    }

    /// The plugin's id.
    pub fn plugin(&self) -> &str {
        match self {
            PluginError::Read { plugin, .. }
            | PluginError::Compile { plugin, .. }
            | PluginError::NotAPlugin { plugin, .. }
            | PluginError::ContractVersion { plugin, .. }
            | PluginError::Link { plugin, .. }
            | PluginError::Describe { plugin, .. }
            | PluginError::Trapped { plugin, .. }
            | PluginError::TimedOut { plugin, .. }
            | PluginError::OutOfMemory { plugin, .. }
            | PluginError::Returned { plugin, .. }
            | PluginError::HostFailed { plugin, .. }
            | PluginError::NotGranted { plugin, .. }
            | PluginError::Invalid { plugin, .. } => plugin,
            PluginError::WrongId { expected, .. } => expected,
        }
    }
}

/// A loaded plugin of either tier.
pub enum PluginInstance {
    /// A sandboxed WebAssembly component.
    Wasm(WasmPlugin),
    /// A trusted native library.
    Native(NativePlugin),
}

impl PluginInstance {
    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        match self {
            PluginInstance::Wasm(p) => p.manifest(),
            PluginInstance::Native(p) => p.manifest(),
        }
    }

    /// The plugin's own check of a guild's settings (JSON).
    pub fn check_settings(
        &self,
        settings: &str,
    ) -> Result<Vec<contract::SettingProblem>, PluginError> {
        match self {
            PluginInstance::Wasm(p) => p.check_settings(settings),
            PluginInstance::Native(p) => p.check_settings(settings),
        }
    }

    /// Handles one event; blocks the calling thread.
    pub fn handle(
        &self,
        scope: &CallScope,
        context: &contract::Context,
        event: &contract::Event,
    ) -> Result<CallResult<contract::Outcome>, PluginError> {
        match self {
            PluginInstance::Wasm(p) => p.handle(scope, context, event),
            PluginInstance::Native(p) => p.handle(scope, context, event),
        }
    }
}

/// The lock a plugin's events take in one guild.
type Turn = Arc<tokio::sync::Mutex<()>>;

/// A plugin enabled in one guild.
#[derive(Clone)]
pub struct GuildPlugin {
    /// The shared, loaded component.
    pub instance: Arc<PluginInstance>,
    /// The guild's settings for it, as JSON.
    pub settings: Arc<str>,
    /// Capabilities the guild granted (and the plugin declared).
    pub granted: Arc<[String]>,
}

impl GuildPlugin {
    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.instance.manifest().id
    }
}

/// A problem found while loading plugins, for `ticketbot check` and the start-up log.
#[derive(Debug)]
pub struct LoadProblem {
    /// The guild (0 when it concerns the component itself).
    pub guild: u64,
    /// The plugin id.
    pub plugin: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.guild == 0 {
            write!(f, "plugin {}: {}", self.plugin, self.message)
        } else {
            write!(
                f,
                "guild {} plugin {}: {}",
                self.guild, self.plugin, self.message
            )
        }
    }
}

/// Every configured plugin, loaded; which guild enables which; and failure counts.
pub struct PluginHost {
    engine: Arc<Engine>,
    guilds: HashMap<u64, Vec<GuildPlugin>>,
    failures: Mutex<HashMap<(u64, String), u32>>,
    disabled: Mutex<HashSet<(u64, String)>>,
    /// Bounds concurrent instances to the pool's size.
    slots: Arc<tokio::sync::Semaphore>,
    /// One turn at a time per (guild, plugin).
    turns: Mutex<HashMap<(u64, String), Turn>>,
}

impl PluginHost {
    /// A host with no plugins (tests, or a config that enables none).
    pub fn empty() -> Result<Self, engine::EngineError> {
        Ok(Self::with_engine(engine::build()?))
    }

    fn with_engine(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            guilds: HashMap::new(),
            failures: Mutex::default(),
            disabled: Mutex::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(
                engine::MAX_INSTANCES as usize / 2,
            )),
            turns: Mutex::default(),
        }
    }

    /// Loads every plugin `config` enables. A plugin that fails to load, or whose settings a
    /// guild got wrong, is left out of that guild and reported; the others load.
    pub fn load(
        config: &Config,
        cache: &ComponentCache,
    ) -> Result<(Self, Vec<LoadProblem>), engine::EngineError> {
        let mut host = Self::with_engine(engine::build()?);
        let mut problems = Vec::new();
        let mut loaded: HashMap<PluginSource, Result<Arc<PluginInstance>, String>> = HashMap::new();
        for guild in &config.guilds {
            let mut enabled = Vec::new();
            for plugin in &guild.plugins {
                let instance = loaded
                    .entry(plugin.source.clone())
                    .or_insert_with(|| {
                        load_one(&host.engine, cache, plugin)
                            .map(|(instance, _)| Arc::new(instance))
                            .map_err(|e| e.to_string())
                    })
                    .clone();
                let instance = match instance {
                    Ok(instance) => instance,
                    Err(message) => {
                        problems.push(LoadProblem {
                            guild: guild.id,
                            plugin: plugin.id.clone(),
                            message,
                        });
                        continue;
                    }
                };
                match enable(instance, plugin) {
                    Ok(enabled_plugin) => enabled.push(enabled_plugin),
                    Err(mut found) => {
                        for p in &mut found {
                            p.guild = guild.id;
                        }
                        problems.extend(found);
                    }
                }
            }
            host.guilds.insert(guild.id, enabled);
        }
        Ok((host, problems))
    }

    /// The plugins enabled (and not disabled by failures) in `guild`, in config order.
    pub fn enabled(&self, guild: u64) -> Vec<GuildPlugin> {
        let disabled = self.disabled.lock().expect("plugin lock");
        self.guilds
            .get(&guild)
            .into_iter()
            .flatten()
            .filter(|p| !disabled.contains(&(guild, p.id().to_owned())))
            .cloned()
            .collect()
    }

    /// Plugin `id` in `guild`, if enabled and not disabled.
    pub fn get(&self, guild: u64, id: &str) -> Option<GuildPlugin> {
        self.enabled(guild).into_iter().find(|p| p.id() == id)
    }

    /// Plugin `id` as configured in `guild`, whether or not it is disabled now.
    pub fn configured(&self, guild: u64, id: &str) -> Option<GuildPlugin> {
        self.guilds
            .get(&guild)
            .into_iter()
            .flatten()
            .find(|p| p.id() == id)
            .cloned()
    }

    /// Whether `id` is configured in `guild` but disabled after repeated failures.
    pub fn is_disabled(&self, guild: u64, id: &str) -> bool {
        self.disabled
            .lock()
            .expect("plugin lock")
            .contains(&(guild, id.to_owned()))
    }

    /// Runs `plugin`'s handler for one event off the async workers, waiting for a free slot.
    pub async fn handle(
        &self,
        guild: u64,
        plugin: &GuildPlugin,
        services: Arc<dyn HostServices>,
        context: contract::Context,
        event: contract::Event,
    ) -> Result<CallResult<contract::Outcome>, PluginError> {
        let _slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let scope = CallScope {
            guild,
            granted: plugin.granted.clone(),
            services: Some(services),
        };
        let instance = plugin.instance.clone();
        let id = plugin.id().to_owned();
        tokio::task::spawn_blocking(move || instance.handle(&scope, &context, &event))
            .await
            .unwrap_or_else(|join| {
                Err(PluginError::Trapped {
                    plugin: id,
                    message: format!("the call was lost: {join}"),
                })
            })
    }

    /// Waits for `plugin`'s turn in `guild`: its events (and their effects) run one at a time
    /// there, so its storage reads and writes never interleave.
    pub async fn turn(&self, guild: u64, plugin: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .turns
            .lock()
            .expect("plugin lock")
            .entry((guild, plugin.to_owned()))
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// Records the result of a call; returns true when this failure disabled the plugin.
    pub fn record(&self, guild: u64, plugin: &str, failed: bool) -> bool {
        crate::metrics::METRICS.plugin_event(failed);
        let key = (guild, plugin.to_owned());
        let mut failures = self.failures.lock().expect("plugin lock");
        if !failed {
            failures.remove(&key);
            return false;
        }
        let count = failures.entry(key.clone()).or_insert(0);
        *count += 1;
        if *count >= FAILURES_TO_DISABLE {
            failures.remove(&key);
            tracing::error!(guild, plugin, "plugin failed {FAILURES_TO_DISABLE} times in a row; disabled in this guild until restart");
            return self.disabled.lock().expect("plugin lock").insert(key);
        }
        false
    }
}

/// Reads, compiles (or takes from the cache) and describes one plugin.
pub fn load_one(
    engine: &Arc<Engine>,
    cache: &ComponentCache,
    plugin: &PluginConfig,
) -> Result<(PluginInstance, Loaded), PluginError> {
    let (bytes, source_name): (std::borrow::Cow<'static, [u8]>, String) = match &plugin.source {
        PluginSource::Builtin(name) => {
            let bytes = builtin::bytes(name).ok_or_else(|| PluginError::Describe {
                plugin: plugin.id.clone(),
                message: format!("no built-in plugin {name:?}"),
            })?;
            (bytes.into(), format!("builtin {name}"))
        }
        PluginSource::Path(path) => {
            let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
                plugin: plugin.id.clone(),
                path: path.clone(),
                source,
            })?;
            (bytes.into(), path.display().to_string())
        }
        PluginSource::Native(path) => {
            let instance = PluginInstance::Native(NativePlugin::load(path, &plugin.id)?);
            check_id(&instance, &path.display().to_string(), plugin)?;
            tracing::warn!(plugin = %plugin.id, path = %path.display(), "native plugin loaded: trusted, not sandboxed");
            return Ok((instance, Loaded::Native));
        }
    };
    let (component, how) = cache
        .load(engine, &bytes)
        .map_err(|e| PluginError::Compile {
            plugin: plugin.id.clone(),
            message: e,
        })?;
    let instance = PluginInstance::Wasm(WasmPlugin::new(engine.clone(), &component, &plugin.id)?);
    check_id(&instance, &source_name, plugin)?;
    tracing::info!(plugin = %plugin.id, source = %source_name, loaded = ?how, "plugin loaded");
    Ok((instance, how))
}

/// The manifest's id must be the one the config enables it under.
fn check_id(
    instance: &PluginInstance,
    source_name: &str,
    plugin: &PluginConfig,
) -> Result<(), PluginError> {
    if instance.manifest().id != plugin.id {
        return Err(PluginError::WrongId {
            source_name: source_name.to_owned(),
            found: instance.manifest().id.clone(),
            expected: plugin.id.clone(),
        });
    }
    Ok(())
}

/// Checks one guild's use of a loaded plugin: capabilities and settings.
fn enable(
    instance: Arc<PluginInstance>,
    plugin: &PluginConfig,
) -> Result<GuildPlugin, Vec<LoadProblem>> {
    let mut problems = Vec::new();
    let problem = |message: String| LoadProblem {
        guild: 0,
        plugin: plugin.id.clone(),
        message,
    };
    let declared = &instance.manifest().capabilities;
    for capability in declared {
        if !CAPABILITIES.iter().any(|(c, _)| c == capability) {
            problems.push(problem(format!(
                "declares an unknown capability {capability:?}"
            )));
        }
    }
    for capability in &plugin.capabilities {
        if !declared.contains(capability) {
            problems.push(problem(format!(
                "is granted {capability:?} but does not ask for it (it asks for: {})",
                if declared.is_empty() {
                    "nothing".to_owned()
                } else {
                    declared.join(", ")
                }
            )));
        }
    }
    let settings = serde_json::to_string(&plugin.settings).expect("TOML tables are JSON");
    match instance.check_settings(&settings) {
        Ok(found) => problems.extend(found.into_iter().map(|p| {
            problem(if p.key.is_empty() {
                format!("settings: {}", p.message)
            } else {
                format!("settings.{}: {}", p.key, p.message)
            })
        })),
        Err(error) => problems.push(problem(format!("checking its settings failed: {error}"))),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(GuildPlugin {
        instance,
        settings: settings.into(),
        granted: plugin.capabilities.clone().into(),
    })
}
