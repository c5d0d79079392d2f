//! The plugin host: WebAssembly components that add action buttons to tickets.
//!
//! - `contract`: the WIT worlds (one per released version) as Rust types; the lifecycle speaks
//!   the newest.
//! - `engine`: the one wasmtime engine (pooling allocator, epoch ticker).
//! - `cache`: compiled components on disk, keyed by content and engine.
//! - `instance`: one loaded plugin, called in a fresh store per event with limits.
//! - `manifest`: the rules a manifest must follow.
//! - `settings`: a guild's settings checked against the manifest's schema.
//! - `choices`: a guild's own choices (on/off, grants, settings) within the operator's ceiling.
//! - `checks`: what each effect needs and the bounds, and who may use a plugin's buttons and
//!   forms, decided before the lifecycle (or `ticketbot plugin try`) does anything.
//! - `http`: outbound HTTP for plugins, within the guild's allow-list.
//! - `sandbox`: the WASI a plugin gets (randomness, clocks, empty streams) and what it does not.
//! - `builtin`: the built-in plugins embedded in the binary.
//! - `describe`: a plugin's manifest as Markdown (`ticketbot plugins`).
//!
//! [`PluginHost`] loads every plugin the config enables (each component once, shared by all
//! guilds), checks each guild's settings with the plugin itself, and counts failures so a plugin
//! that keeps failing is disabled for that guild until restart. Effects are performed by the
//! lifecycle (`tickets::plugin_actions`), not here: this module never touches Discord.

pub mod builtin;
pub mod cache;
pub mod checks;
pub mod choices;
pub mod contract;
mod cpu_clock;
pub mod describe;
pub mod engine;
pub mod http;
pub mod instance;
pub mod manifest;
pub mod native;
pub mod sandbox;
pub mod settings;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use wasmtime::Engine;

use crate::capability::Capability;
use crate::config::{Config, PluginConfig, PluginSource};
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
    /// Built against a contract version this host does not know (a newer one).
    #[error("plugin {plugin} was built against ticketbot:plugin@{found}, which this ticketbot does not know (it links {supported}); update ticketbot, or build the plugin with an SDK of one of those versions")]
    ContractVersion {
        /// Plugin id.
        plugin: String,
        /// The guest's version.
        found: String,
        /// The versions the host links.
        supported: String,
    },
    /// It imports what the sandbox does not offer (files, sockets, sleeping, ...).
    #[error("plugin {plugin} asks for what the sandbox does not offer: {}", imports.join("; "))]
    Imports {
        /// Plugin id.
        plugin: String,
        /// Each import, with what to do.
        imports: Vec<String>,
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
    /// The manifest breaks the contract's rules.
    #[error("plugin {plugin} describes itself wrongly: {}", problems.join("; "))]
    BadManifest {
        /// Plugin id.
        plugin: String,
        /// Every rule it breaks.
        problems: Vec<String>,
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
    #[error("plugin {plugin} crashed ({message})")]
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
        refused: Vec<Capability>,
    },
    /// The plugin asked for effects the guild did not grant; none of them was performed.
    #[error("plugin {plugin} needs the capability {:?}, which this guild did not grant (add it to `capabilities` of the plugin's [[guild.plugin]] entry in the config)", capability.name())]
    NotGranted {
        /// Plugin id.
        plugin: String,
        /// The missing capability.
        capability: Capability,
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
        let trap = error.downcast_ref::<wasmtime::Trap>();
        let last_error = logs
            .iter()
            .rev()
            .find(|l| l.level == contract::LogLevel::Error)
            .map(|l| l.message.as_str());
        // The SDK's panic hook logs the panic (where and why) just before the trap: that is
        // what the owner needs, not the instruction that trapped.
        let panic = last_error
            .and_then(|m| m.strip_prefix(PANIC_LOG_PREFIX))
            .filter(|_| trap == Some(&wasmtime::Trap::UnreachableCodeReached));
        let message = match (panic, last_error) {
            (Some(panic), _) => panic.split_whitespace().collect::<Vec<_>>().join(" "),
            (None, Some(last)) => format!("{} ({last})", trap_text(error, trap)),
            (None, None) => trap_text(error, trap),
        };
        PluginError::Trapped {
            plugin: plugin.into(),
            message,
        }
    }

    /// What happened, without the plugin's id (the sentence after "plugin X"), for a message
    /// that names the plugin itself.
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let prefix = format!("plugin {} ", self.plugin());
        full.strip_prefix(&prefix).unwrap_or(&full).to_owned()
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
            | PluginError::Imports { plugin, .. }
            | PluginError::Describe { plugin, .. }
            | PluginError::BadManifest { plugin, .. }
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

/// How the SDK's panic hook starts the log line it writes before the trap.
const PANIC_LOG_PREFIX: &str = "plugin panicked: ";

/// A trap in plain words.
fn trap_text(error: &wasmtime::Error, trap: Option<&wasmtime::Trap>) -> String {
    match trap {
        Some(wasmtime::Trap::UnreachableCodeReached) => {
            "it reached an `unreachable` instruction".into()
        }
        Some(trap) => format!("WebAssembly trap: {trap}"),
        None => error.root_cause().to_string(),
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

    /// The questions the plugin asks in a guild with `settings` (JSON, checked).
    pub fn guild_questions(
        &self,
        settings: &str,
    ) -> Result<Vec<contract::OpeningQuestions>, PluginError> {
        match self {
            PluginInstance::Wasm(p) => p.guild_questions(settings),
            PluginInstance::Native(p) => p.guild_questions(settings),
        }
    }

    /// The contract version the plugin was built against.
    pub fn version(&self) -> contract::Version {
        match self {
            PluginInstance::Wasm(p) => p.version(),
            PluginInstance::Native(p) => p.version(),
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

/// A plugin the file makes available to a guild: its entry (the ceiling) and the loaded
/// component.
pub type Entry = (PluginConfig, Arc<PluginInstance>);

/// The lock a plugin's events take in one guild.
type Turn = Arc<tokio::sync::Mutex<()>>;

/// A plugin enabled in one guild.
#[derive(Clone)]
pub struct GuildPlugin {
    /// The shared, loaded component.
    pub instance: Arc<PluginInstance>,
    /// The guild's settings for it, checked and completed, as JSON.
    pub settings: Arc<str>,
    /// Capabilities the guild granted (and the plugin declared).
    pub granted: Arc<[Capability]>,
    /// The guild's language tag.
    pub locale: Arc<str>,
    /// The guild's own labels for the plugin's buttons, by button id.
    pub labels: Arc<HashMap<String, String>>,
    /// Where its HTTP requests may go in this guild.
    pub http_allow: Arc<[crate::config::AllowedHost]>,
    /// The questions it asks when tickets open here: its manifest's and its guild's.
    pub questions: Arc<[contract::OpeningQuestions]>,
}

impl GuildPlugin {
    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.instance.manifest().id
    }

    /// The plugin's name in the guild's language.
    pub fn name(&self) -> &str {
        contract::pick(&self.instance.manifest().name, &self.locale)
    }

    /// Whether the guild granted `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.granted.contains(&capability)
    }

    /// The label of ticket button `button` here: the guild's own, or the plugin's in the
    /// guild's language.
    pub fn label(&self, button: &contract::TicketButton) -> String {
        self.labels
            .get(&button.id)
            .cloned()
            .unwrap_or_else(|| contract::pick(&button.label, &self.locale).to_owned())
    }

    /// The channel setting `key` names, if the manifest declares it as one channel.
    pub fn setting_channel(&self, key: &str) -> Option<u64> {
        let declared = self.instance.manifest().settings.iter().any(|s| {
            s.key == key
                && matches!(
                    s.kind,
                    contract::SettingKind::Single(contract::ValueKind::Channel)
                )
        });
        if !declared {
            return None;
        }
        let settings: serde_json::Value = serde_json::from_str(&self.settings).ok()?;
        settings.get(key)?.as_u64()
    }
}

/// A problem found while loading plugins, for `ticketbot check` and the start-up log.
#[derive(Debug)]
pub struct LoadProblem {
    /// The guild (0 when it concerns the component itself).
    pub guild: u64,
    /// The plugin id.
    pub plugin: String,
    /// The key it is about, a path below the plugin's `[[guild.plugin]]` entry
    /// (`capabilities`, `settings.categories[1].label`), if any.
    pub setting: Option<String>,
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
    /// The plugins on in each guild, in config order; swapped when a guild changes its choices.
    guilds: RwLock<HashMap<u64, Vec<GuildPlugin>>>,
    /// Every plugin the file makes available to each guild (on or not), loaded: the ceiling a
    /// guild's own choices are checked against.
    entries: RwLock<HashMap<u64, Vec<Entry>>>,
    /// Each guild's language and ticket types, to check choices as loading does.
    guild_facts: RwLock<HashMap<u64, (String, Vec<String>)>>,
    /// Guilds whose plugins changed live (the lifecycle refreshes their open tickets).
    changes: tokio::sync::broadcast::Sender<u64>,
    failures: Mutex<HashMap<(u64, String), u32>>,
    disabled: Mutex<HashSet<(u64, String)>>,
    /// Bounds concurrent instances to the pool's size.
    slots: Arc<tokio::sync::Semaphore>,
    /// One turn at a time per (guild, plugin).
    turns: Mutex<HashMap<(u64, String), Turn>>,
    /// Held by whoever changes a guild's choices and records them, or puts the recorded ones
    /// in force: a re-read of the database never lands between a change and its record.
    choosing: tokio::sync::Mutex<()>,
    /// What loading found that does not keep a plugin out (capabilities it asks for that a
    /// guild did not grant).
    warnings: Vec<LoadProblem>,
}

impl PluginHost {
    /// A host with no plugins (tests, or a config that enables none).
    pub fn empty() -> Result<Self, engine::EngineError> {
        Ok(Self::with_engine(engine::build()?))
    }

    fn with_engine(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            guilds: RwLock::default(),
            entries: RwLock::default(),
            guild_facts: RwLock::default(),
            changes: tokio::sync::broadcast::channel(64).0,
            failures: Mutex::default(),
            disabled: Mutex::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(
                engine::MAX_INSTANCES as usize / 2,
            )),
            turns: Mutex::default(),
            choosing: tokio::sync::Mutex::default(),
            warnings: Vec::new(),
        }
    }

    /// One change of the guilds' choices at a time: hold it from applying a choice until it
    /// is recorded, and while putting the recorded choices in force.
    pub async fn choosing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.choosing.lock().await
    }

    /// Whether `guild` already has the upload `plugin` with the bytes of `hash`.
    pub fn has_upload(&self, guild: u64, plugin: &str, hash: &str) -> bool {
        self.entries(guild).iter().any(|(e, _)| {
            e.id == plugin && matches!(&e.source, PluginSource::Uploaded(h) if h == hash)
        })
    }

    /// What loading found that does not keep a plugin out, for `ticketbot check` and the log.
    pub fn warnings(&self) -> &[LoadProblem] {
        &self.warnings
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
                            setting: None,
                            message,
                        });
                        continue;
                    }
                };
                host.entries
                    .get_mut()
                    .expect("plugin lock")
                    .entry(guild.id)
                    .or_default()
                    .push((plugin.clone(), instance.clone()));
                if !plugin.enabled {
                    continue;
                }
                match enable(instance, plugin, guild.locale.tag()) {
                    Ok((enabled_plugin, warnings)) => {
                        enabled.push(enabled_plugin);
                        host.warnings.extend(warnings.into_iter().map(|mut w| {
                            w.guild = guild.id;
                            w
                        }));
                    }
                    Err(mut found) => {
                        for p in &mut found {
                            p.guild = guild.id;
                        }
                        problems.extend(found);
                    }
                }
            }
            // A Discord form holds five questions: per ticket type, the plugins' questions
            // together must fit; a plugin that would overflow one is left out.
            let mut asked: HashMap<&str, usize> = HashMap::new();
            enabled.retain(|plugin| {
                let per_type: Vec<(&str, usize)> = guild
                    .ticket_types
                    .iter()
                    .map(|t| {
                        let n = plugin
                            .questions
                            .iter()
                            .filter(|q| q.ticket_types.is_empty() || q.ticket_types.contains(&t.id))
                            .map(|q| q.questions.len())
                            .sum::<usize>();
                        (t.id.as_str(), n)
                    })
                    .collect();
                if let Some(t) = overflowing_type(&asked, &per_type) {
                    problems.push(LoadProblem {
                        guild: guild.id,
                        plugin: plugin.id().to_owned(),
                        setting: None,
                        message: format!(
                            "its opening questions would make more than {} for ticket type {t:?} (a Discord form holds {0}); it is left out",
                            manifest::MAX_QUESTIONS
                        ),
                    });
                    return false;
                }
                for (t, n) in per_type {
                    *asked.entry(t).or_default() += n;
                }
                true
            });
            host.guilds
                .get_mut()
                .expect("plugin lock")
                .insert(guild.id, enabled);
            host.guild_facts.get_mut().expect("plugin lock").insert(
                guild.id,
                (
                    guild.locale.tag().to_owned(),
                    guild.ticket_types.iter().map(|t| t.id.clone()).collect(),
                ),
            );
        }
        Ok((host, problems))
    }

    /// Loads `config`'s plugins again and puts them in place of the current ones in every
    /// guild (the operator's reload); failure counts, turns and subscribers stay. Guilds' own
    /// choices and uploads are applied again by the caller. The problems, as `load` reports
    /// them.
    pub fn reload(
        &self,
        config: &Config,
        cache: &ComponentCache,
    ) -> Result<Vec<LoadProblem>, engine::EngineError> {
        let (fresh, problems) = Self::load(config, cache)?;
        let Self {
            guilds,
            entries,
            guild_facts,
            warnings: _,
            ..
        } = fresh;
        *self.entries.write().expect("plugin lock") = entries.into_inner().expect("plugin lock");
        *self.guild_facts.write().expect("plugin lock") =
            guild_facts.into_inner().expect("plugin lock");
        let guilds = guilds.into_inner().expect("plugin lock");
        let changed: Vec<u64> = guilds.keys().copied().collect();
        *self.guilds.write().expect("plugin lock") = guilds;
        for guild in changed {
            let _ = self.changes.send(guild);
        }
        Ok(problems)
    }

    /// Every plugin the file makes available to `guild` (on or off), with its ceiling.
    pub fn entries(&self, guild: u64) -> Vec<Entry> {
        self.entries
            .read()
            .expect("plugin lock")
            .get(&guild)
            .cloned()
            .unwrap_or_default()
    }

    /// Adds a component `guild` uploaded (`bytes`) to what is available there, off, with the
    /// most `ceiling` allows of what it asks for as its default grant; its id, or every
    /// problem (the size, the component, its contract, its manifest, an id taken by another
    /// plugin, too many uploads). Uploading a plugin again under its id replaces it (turned
    /// off until the guild turns it on again). Other guilds never see it.
    pub fn add_upload(
        &self,
        guild: u64,
        bytes: &[u8],
        cache: &ComponentCache,
        ceiling: &crate::config::UploadCeiling,
    ) -> Result<(String, String), Vec<String>> {
        if bytes.len() > ceiling.max_bytes {
            return Err(vec![format!(
                "the component has {} KiB; this guild may upload at most {} KiB",
                bytes.len().div_ceil(1024),
                ceiling.max_bytes / 1024
            )]);
        }
        let (component, _) = cache
            .load(&self.engine, bytes)
            .map_err(|e| vec![format!("not a valid WebAssembly component: {e}")])?;
        let instance = WasmPlugin::new(self.engine.clone(), &component, "uploaded")
            .map(PluginInstance::Wasm)
            .map_err(|e| vec![e.reason()])?;
        let id = instance.manifest().id.clone();
        let problems = manifest::problems(instance.manifest());
        if !problems.is_empty() {
            return Err(problems
                .into_iter()
                .map(|p| format!("its manifest: {p}"))
                .collect());
        }
        use sha2::Digest as _;
        let hash: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut entries = self.entries.write().expect("plugin lock");
        let list = entries.entry(guild).or_default();
        let uploaded = |e: &Entry| matches!(e.0.source, PluginSource::Uploaded(_));
        match list.iter().find(|e| e.0.id == id) {
            Some(e) if !uploaded(e) => {
                return Err(vec![format!(
                    "its id {id:?} is taken by a plugin the operator provides here; give yours another id"
                )])
            }
            Some(_) => {}
            None if list.iter().filter(|e| uploaded(e)).count() >= ceiling.max_plugins => {
                return Err(vec![format!(
                    "this guild may have at most {} uploaded plugins",
                    ceiling.max_plugins
                )])
            }
            None => {}
        }
        let declared = &instance.manifest().capabilities;
        let config = PluginConfig {
            id: id.clone(),
            source: PluginSource::Uploaded(hash.clone()),
            enabled: false,
            capabilities: ceiling
                .capabilities
                .iter()
                .copied()
                .filter(|c| declared.iter().any(|d| d == c.name()))
                .collect(),
            http_allow: Vec::new(),
            settings: toml::Table::new(),
        };
        list.retain(|e| e.0.id != id);
        list.push((config, Arc::new(instance)));
        drop(entries);
        // A replaced upload starts off: the guild turns it on again, having seen what it is.
        self.guilds
            .write()
            .expect("plugin lock")
            .entry(guild)
            .or_default()
            .retain(|p| p.id() != id);
        let _ = self.changes.send(guild);
        Ok((id, hash))
    }

    /// Applies `guild`'s own `choice` for a plugin, live: checked against the file's ceiling
    /// and the plugin's schema like the file is, then the guild's next click uses it. The
    /// plugin's storage and timers are untouched (they belong to the guild and plugin, not to
    /// this choice). Returns every problem instead when the choice is refused.
    pub fn apply(&self, guild: u64, choice: &choices::Choice) -> Result<(), Vec<String>> {
        self.apply_choice(guild, choice, true)
    }

    /// [`Self::apply`] for a choice recorded by another process, which already brought open
    /// tickets' buttons up to date: they are not edited again, and a plugin already on keeps
    /// its failure count.
    pub fn adopt(&self, guild: u64, choice: &choices::Choice) -> Result<(), Vec<String>> {
        self.apply_choice(guild, choice, false)
    }

    fn apply_choice(
        &self,
        guild: u64,
        choice: &choices::Choice,
        ours: bool,
    ) -> Result<(), Vec<String>> {
        let Some((entry, instance)) = self
            .entries(guild)
            .iter()
            .find(|(e, _)| e.id == choice.plugin)
            .cloned()
        else {
            return Err(vec![format!(
                "plugin {:?} is not available in this guild (the operator makes plugins available in config.toml)",
                choice.plugin
            )]);
        };
        let (locale, types) = self
            .guild_facts
            .read()
            .expect("plugin lock")
            .get(&guild)
            .cloned()
            .unwrap_or_else(|| ("en".into(), Vec::new()));
        let checked = choices::check(&entry, instance, choice, &locale)?;
        let mut guilds = self.guilds.write().expect("plugin lock");
        let list = guilds.entry(guild).or_default();
        let was_on = list.iter().any(|p| p.id() == choice.plugin);
        if let Some(plugin) = checked {
            // A form holds five questions per ticket type, this plugin's with the others'.
            let mut asked: HashMap<&str, usize> = HashMap::new();
            for other in list.iter().filter(|p| p.id() != choice.plugin) {
                for t in &types {
                    let n = other
                        .questions
                        .iter()
                        .filter(|q| q.ticket_types.is_empty() || q.ticket_types.contains(t))
                        .map(|q| q.questions.len())
                        .sum::<usize>();
                    *asked.entry(t.as_str()).or_default() += n;
                }
            }
            let per_type: Vec<(&str, usize)> = types
                .iter()
                .map(|t| {
                    let n = plugin
                        .questions
                        .iter()
                        .filter(|q| q.ticket_types.is_empty() || q.ticket_types.contains(t))
                        .map(|q| q.questions.len())
                        .sum::<usize>();
                    (t.as_str(), n)
                })
                .collect();
            if let Some(t) = overflowing_type(&asked, &per_type) {
                // Refused: the guild keeps the plugin as it was.
                return Err(vec![format!(
                    "its opening questions would make more than {} for ticket type {t:?} (a Discord form holds {0})",
                    manifest::MAX_QUESTIONS
                )]);
            }
            list.retain(|p| p.id() != choice.plugin);
            // Keep the file's order, so buttons stay where staff expect them.
            let order = |id: &str| {
                self.entries(guild)
                    .iter()
                    .position(|(e, _)| e.id == id)
                    .unwrap_or(usize::MAX)
            };
            let at = list
                .iter()
                .position(|p| order(p.id()) > order(&choice.plugin))
                .unwrap_or(list.len());
            list.insert(at, plugin);
        } else {
            list.retain(|p| p.id() != choice.plugin);
        }
        drop(guilds);
        // A plugin the owner turns on again (or changes) starts with a clean slate.
        if ours || !was_on {
            let key = (guild, choice.plugin.clone());
            self.disabled.lock().expect("plugin lock").remove(&key);
            self.failures.lock().expect("plugin lock").remove(&key);
        }
        if ours {
            let _ = self.changes.send(guild);
        }
        Ok(())
    }

    /// The guilds whose plugins change live from now on.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The plugins enabled (and not disabled by failures) in `guild`, in config order.
    pub fn enabled(&self, guild: u64) -> Vec<GuildPlugin> {
        let disabled = self.disabled.lock().expect("plugin lock");
        self.guilds
            .read()
            .expect("plugin lock")
            .get(&guild)
            .into_iter()
            .flatten()
            .filter(|p| !disabled.contains(&(guild, p.id().to_owned())))
            .cloned()
            .collect()
    }

    /// Whether a plugin enabled anywhere subscribes to members leaving (the bot then asks
    /// Discord for the privileged GUILD_MEMBERS intent).
    pub fn wants_members_left(&self) -> bool {
        self.guilds
            .read()
            .expect("plugin lock")
            .values()
            .flatten()
            .any(|p| {
                p.instance
                    .manifest()
                    .subscriptions
                    .contains(&contract::Subscription::MembersLeft)
            })
    }

    /// Plugin `id` in `guild`, if enabled and not disabled.
    pub fn get(&self, guild: u64, id: &str) -> Option<GuildPlugin> {
        self.enabled(guild).into_iter().find(|p| p.id() == id)
    }

    /// Plugin `id` as configured in `guild`, whether or not it is disabled now.
    pub fn configured(&self, guild: u64, id: &str) -> Option<GuildPlugin> {
        self.guilds
            .read()
            .expect("plugin lock")
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

/// The first ticket type for which a plugin's questions (`per_type`) would make more than a
/// form holds beside those already `asked`.
fn overflowing_type<'a>(
    asked: &HashMap<&str, usize>,
    per_type: &[(&'a str, usize)],
) -> Option<&'a str> {
    per_type
        .iter()
        .find(|(t, n)| *n > 0 && asked.get(t).copied().unwrap_or(0) + n > manifest::MAX_QUESTIONS)
        .map(|(t, _)| *t)
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
        PluginSource::Uploaded(hash) => {
            return Err(PluginError::Describe {
                plugin: plugin.id.clone(),
                message: format!(
                    "an uploaded plugin ({hash}) is loaded from the database, not the config"
                ),
            })
        }
        PluginSource::Native(path) => {
            let instance = PluginInstance::Native(NativePlugin::load(path, &plugin.id)?);
            check_id(&instance, &path.display().to_string(), plugin)?;
            check_manifest(&instance)?;
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
    check_manifest(&instance)?;
    tracing::info!(plugin = %plugin.id, source = %source_name, loaded = ?how, "plugin loaded");
    Ok((instance, how))
}

/// The manifest must follow the contract's rules.
fn check_manifest(instance: &PluginInstance) -> Result<(), PluginError> {
    let problems = manifest::problems(instance.manifest());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PluginError::BadManifest {
            plugin: instance.manifest().id.clone(),
            problems,
        })
    }
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

/// Checks one guild's use of a loaded plugin: capabilities, settings against the manifest's
/// schema, then the plugin's own check of them. Besides the plugin, the warnings: what it asks
/// for and was not granted.
pub fn enable(
    instance: Arc<PluginInstance>,
    plugin: &PluginConfig,
    locale: &str,
) -> Result<(GuildPlugin, Vec<LoadProblem>), Vec<LoadProblem>> {
    let mut problems = Vec::new();
    let problem = |message: String| LoadProblem {
        guild: 0,
        plugin: plugin.id.clone(),
        setting: None,
        message,
    };
    let about = |key: &str, message: String| LoadProblem {
        setting: Some(format!("settings.{key}")).filter(|_| !key.is_empty()),
        ..problem(message)
    };
    let manifest = instance.manifest();
    let declared = &manifest.capabilities;
    for capability in &plugin.capabilities {
        if !declared.iter().any(|d| d == capability.name()) {
            problems.push(problem(format!(
                "is granted {:?} but does not ask for it (it asks for: {})",
                capability.name(),
                if declared.is_empty() {
                    "nothing".to_owned()
                } else {
                    declared.join(", ")
                }
            )));
        }
    }
    let warnings: Vec<LoadProblem> = not_granted_warning(declared, &plugin.capabilities)
        .map(|message| LoadProblem {
            setting: Some("capabilities".into()),
            ..problem(message)
        })
        .into_iter()
        .collect();
    if !plugin.http_allow.is_empty() && !plugin.capabilities.contains(&Capability::Http) {
        problems.push(problem(
            "http_allow is set, but the capability \"http\" is not granted".to_owned(),
        ));
    }
    let strict = instance.version() >= contract::Version::V0_2;
    let checked = match settings::check(
        &manifest.settings,
        &manifest.buttons,
        &plugin.settings,
        locale,
        strict,
    ) {
        Ok(checked) => checked,
        Err(errors) => {
            problems.extend(
                errors
                    .into_iter()
                    .map(|e| about(&e.key, format!("settings.{}: {}", e.key, e.message))),
            );
            return Err(problems);
        }
    };
    let settings = checked.json.to_string();
    match instance.check_settings(&settings) {
        Ok(found) => problems.extend(found.into_iter().map(|p| {
            about(
                &p.key,
                if p.key.is_empty() {
                    format!("settings: {}", p.message)
                } else {
                    format!("settings.{}: {}", p.key, p.message)
                },
            )
        })),
        Err(error) => problems.push(problem(format!("checking its settings failed: {error}"))),
    }
    let mut questions = manifest.questions.clone();
    match instance.guild_questions(&settings) {
        Ok(more) => {
            for problem in manifest::question_problems(&more) {
                problems.push(about(
                    "",
                    format!("its questions for this guild: {problem}"),
                ));
            }
            questions.extend(more);
        }
        Err(error) => problems.push(problem(format!("asking its questions failed: {error}"))),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((
        GuildPlugin {
            instance,
            questions: questions.into(),
            settings: settings.into(),
            granted: plugin.capabilities.clone().into(),
            locale: locale.into(),
            labels: Arc::new(checked.labels),
            http_allow: plugin.http_allow.clone().into(),
        },
        warnings,
    ))
}

/// The warning for capabilities a plugin `declared` that were not `granted`, with the line
/// that grants them all; none when everything asked for was granted.
fn not_granted_warning(declared: &[String], granted: &[Capability]) -> Option<String> {
    let missing: Vec<&String> = declared
        .iter()
        .filter(|d| !granted.iter().any(|g| g.name() == d.as_str()))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let quoted = |names: &mut dyn Iterator<Item = &str>| {
        names
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all = quoted(
        &mut granted
            .iter()
            .map(|g| g.name())
            .chain(missing.iter().map(|m| m.as_str())),
    );
    Some(format!(
        "asks for {} but is not granted {}: what needs {} will be refused when used; to grant {}, write `capabilities = [{all}]` in its [[guild.plugin]] entry",
        quoted(&mut missing.iter().map(|m| m.as_str())),
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 { "it" } else { "them" },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_asked_for_and_not_granted_are_named_with_the_line_to_write() {
        let declared = ["storage".to_owned(), "timers".to_owned()];
        assert_eq!(
            not_granted_warning(&declared, &[Capability::Storage, Capability::Timers]),
            None
        );
        let warning = not_granted_warning(&declared, &[Capability::Storage]).unwrap();
        assert!(
            warning.starts_with("asks for \"timers\" but is not granted it"),
            "{warning}"
        );
        assert!(
            warning.contains("`capabilities = [\"storage\", \"timers\"]`"),
            "{warning}"
        );
        let warning = not_granted_warning(&declared, &[]).unwrap();
        assert!(warning.starts_with("asks for \"storage\", \"timers\" but is not granted them"));
    }

    #[test]
    fn a_reason_leaves_out_the_plugin_it_is_about() {
        let errors = [
            PluginError::Trapped {
                plugin: "dice".into(),
                message: "panicked at src/lib.rs:63:5: boom".into(),
            },
            PluginError::TimedOut {
                plugin: "dice".into(),
                limit_ms: 90,
            },
            PluginError::NotGranted {
                plugin: "dice".into(),
                capability: Capability::Storage,
            },
            PluginError::Returned {
                plugin: "dice".into(),
                message: "no".into(),
                refused: Vec::new(),
            },
        ];
        for error in &errors {
            let reason = error.reason();
            assert!(!reason.contains("dice"), "{reason}");
            assert_eq!(format!("plugin dice {reason}"), error.to_string());
        }
        assert_eq!(
            errors[0].reason(),
            "crashed (panicked at src/lib.rs:63:5: boom)"
        );
    }

    #[test]
    fn questions_fit_a_form_per_ticket_type() {
        let asked: HashMap<&str, usize> = [("support", 3), ("report", 0)].into();
        assert_eq!(
            overflowing_type(&asked, &[("support", 2), ("report", 5)]),
            None
        );
        assert_eq!(
            overflowing_type(&asked, &[("report", 1), ("support", 3)]),
            Some("support")
        );
        assert_eq!(overflowing_type(&asked, &[("other", 6)]), Some("other"));
        assert_eq!(overflowing_type(&asked, &[("support", 0)]), None);
    }
}
