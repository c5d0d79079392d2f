//! One loaded plugin: its compiled component pre-linked once, and a fresh store per call with a
//! memory cap and a budget of the plugin's own processor time, so a trap, loop or memory bomb
//! ends that call only, and time the host spends answering the plugin's reads never counts
//! against it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

use super::contract::{
    self, upgrade, v0_1, v0_2, Context, Event, HostError, HttpRequest, HttpResponse, LogLevel,
    Manifest, OpeningQuestions, Outcome, SettingProblem, Version,
};
use super::cpu_clock::thread_cpu_time;
use super::engine::{EVENT_BUDGET, HOST_TIME_LIMIT, LOAD_BUDGET, MEMORY_LIMIT};
use super::PluginError;
use crate::capability::Capability;

/// What a plugin may read from the host while it runs; implemented by the lifecycle. Each read
/// gets the time it may take (`within`) and answers an error when it would take longer.
pub trait HostServices: Send + Sync {
    /// A key of the plugin's per-guild storage.
    fn get(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
        within: Duration,
    ) -> Result<Option<String>, String>;
    /// A member's roles, none when not a member.
    fn member_roles(
        &self,
        guild: u64,
        user: u64,
        within: Duration,
    ) -> Result<Option<Vec<u64>>, String>;
    /// One HTTP request for the plugin, checked against the guild's allow-list for it. An
    /// error is the answer the plugin gets (a refused address, a timeout, a response too
    /// large); none of them is the host's failure.
    fn http(&self, guild: u64, plugin: &str, request: &HttpRequest)
        -> Result<HttpResponse, String>;
}

/// Who a call runs for: the guild, what it granted, and where reads go.
#[derive(Clone)]
pub struct CallScope {
    /// The guild the event belongs to (0 at load).
    pub guild: u64,
    /// Capabilities the guild granted this plugin.
    pub granted: Arc<[Capability]>,
    /// Reads from the host.
    pub services: Option<Arc<dyn HostServices>>,
}

impl CallScope {
    /// Loading: no guild, nothing granted, no reads.
    pub fn at_load() -> Self {
        Self {
            guild: 0,
            granted: Arc::from(Vec::new()),
            services: None,
        }
    }
}

/// A line the plugin logged during a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginLog {
    /// Severity.
    pub level: LogLevel,
    /// Text.
    pub message: String,
}

/// The per-call state behind the store.
struct HostState {
    limits: StoreLimits,
    plugin: String,
    scope: CallScope,
    logs: Vec<PluginLog>,
    /// Capabilities the plugin asked for without the grant, for the failure report.
    refused: Vec<Capability>,
    /// The plugin's own time: processor time of this call minus the host's share.
    clock: CallClock,
    /// Why a host read failed on the host's side (slow or unavailable), if one did: a call
    /// that then fails is the host's failure, not the plugin's.
    host_failure: Option<String>,
    /// Log lines past [`MAX_LOG_LINES`], counted instead of written.
    logs_dropped: u32,
    /// HTTP requests made so far.
    http_calls: u32,
    /// The call's WASI context (see `sandbox`): randomness, clocks, empty streams.
    wasi: wasmtime_wasi::WasiCtx,
    /// WASI's resources (streams, pollables) during the call.
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for HostState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Log lines one call may write.
pub const MAX_LOG_LINES: usize = 20;
/// Characters kept of one log line.
pub const MAX_LOG_CHARS: usize = 2000;

/// How much of a call's time was the plugin's own.
struct CallClock {
    /// The processor time the plugin may use.
    budget: Duration,
    /// The thread's processor time when the call started.
    started: Duration,
    /// Processor time spent inside host calls.
    host_cpu: Duration,
    /// Wall time spent inside host calls.
    host_wall: Duration,
}

impl CallClock {
    fn start(budget: Duration) -> Self {
        Self {
            budget,
            started: thread_cpu_time(),
            host_cpu: Duration::ZERO,
            host_wall: Duration::ZERO,
        }
    }

    /// The plugin's own processor time so far.
    fn guest_time(&self) -> Duration {
        (thread_cpu_time().saturating_sub(self.started)).saturating_sub(self.host_cpu)
    }
}

impl HostState {
    /// Runs a host read with what is left of the call's host time, keeping its time off the
    /// plugin's clock and remembering a failure on the host's side.
    fn host_read<R>(
        &mut self,
        read: impl FnOnce(&dyn HostServices, Duration) -> Result<R, String>,
    ) -> Result<R, HostError> {
        let Some(services) = self.scope.services.clone() else {
            return Err(HostError::Failed("no host reads while loading".into()));
        };
        let within = HOST_TIME_LIMIT.saturating_sub(self.clock.host_wall);
        if within.is_zero() {
            let message = "the host's time for this event is used up".to_owned();
            self.host_failure.get_or_insert(message.clone());
            return Err(HostError::Failed(message));
        }
        let (cpu, wall) = (thread_cpu_time(), Instant::now());
        let result = read(services.as_ref(), within);
        self.clock.host_cpu += thread_cpu_time().saturating_sub(cpu);
        self.clock.host_wall += wall.elapsed();
        result.map_err(|message| {
            self.host_failure.get_or_insert(message.clone());
            HostError::Failed(message)
        })
    }

    fn require(&mut self, capability: Capability) -> Result<(), HostError> {
        if self.scope.granted.contains(&capability) {
            Ok(())
        } else {
            tracing::warn!(plugin = %self.plugin, guild = self.scope.guild, %capability, "plugin used a capability it was not granted");
            self.refused.push(capability);
            Err(HostError::NotGranted(capability.name().to_owned()))
        }
    }
}

impl HostState {
    fn log_line(&mut self, level: LogLevel, message: String) {
        // A plugin cannot flood the host's log: the first lines of a call are written, the
        // rest only counted (and reported once when the call ends).
        if self.logs.len() >= MAX_LOG_LINES {
            self.logs_dropped += 1;
            return;
        }
        let message: String = message.chars().take(MAX_LOG_CHARS).collect();
        match level {
            LogLevel::Debug => {
                tracing::debug!(plugin = %self.plugin, guild = self.scope.guild, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(plugin = %self.plugin, guild = self.scope.guild, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(plugin = %self.plugin, guild = self.scope.guild, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(plugin = %self.plugin, guild = self.scope.guild, "{message}")
            }
        }
        self.logs.push(PluginLog { level, message });
    }

    fn storage_get(&mut self, key: String) -> Result<Option<String>, HostError> {
        self.require(Capability::Storage)?;
        let (guild, plugin) = (self.scope.guild, self.plugin.clone());
        self.host_read(|services, within| services.get(guild, &plugin, &key, within))
    }

    fn roles_of(&mut self, user: u64) -> Result<Option<Vec<u64>>, HostError> {
        self.require(Capability::ReadMembers)?;
        let guild = self.scope.guild;
        self.host_read(|services, within| services.member_roles(guild, user, within))
    }

    /// An HTTP request: its time is the host's (off the plugin's clock), and neither it nor
    /// its failure counts against the read time of [`HOST_TIME_LIMIT`], which bounds reads
    /// that hold an unacknowledged interaction; a plugin with `http` is acknowledged first.
    fn http_request(&mut self, request: HttpRequest) -> Result<HttpResponse, HostError> {
        self.require(Capability::Http)?;
        let Some(services) = self.scope.services.clone() else {
            return Err(HostError::Failed("no HTTP while loading".into()));
        };
        if self.http_calls >= MAX_HTTP_CALLS {
            return Err(HostError::Failed(format!(
                "at most {MAX_HTTP_CALLS} HTTP requests per event"
            )));
        }
        self.http_calls += 1;
        let cpu = thread_cpu_time();
        let answer = services.http(self.scope.guild, &self.plugin, &request);
        self.clock.host_cpu += thread_cpu_time().saturating_sub(cpu);
        answer.map_err(HostError::Failed)
    }
}

/// HTTP requests one event may make.
pub const MAX_HTTP_CALLS: u32 = 4;

impl v0_2::ticketbot::plugin::types::Host for HostState {}

impl v0_2::ticketbot::plugin::host::Host for HostState {
    fn log(&mut self, level: LogLevel, message: String) {
        self.log_line(level, message);
    }

    fn get(&mut self, key: String) -> Result<Option<String>, HostError> {
        self.storage_get(key)
    }

    fn member_roles(&mut self, user: u64) -> Result<Option<Vec<u64>>, HostError> {
        self.roles_of(user)
    }

    fn http(&mut self, request: HttpRequest) -> Result<HttpResponse, HostError> {
        self.http_request(request)
    }
}

impl v0_1::ticketbot::plugin::types::Host for HostState {}

impl v0_1::ticketbot::plugin::host::Host for HostState {
    fn log(&mut self, level: v0_1::LogLevel, message: String) {
        self.log_line(upgrade::level_up(level), message);
    }

    fn get(&mut self, key: String) -> Result<Option<String>, v0_1::HostError> {
        self.storage_get(key).map_err(upgrade::host_error_down)
    }

    fn member_roles(&mut self, user: u64) -> Result<Option<Vec<u64>>, v0_1::HostError> {
        self.roles_of(user).map_err(upgrade::host_error_down)
    }
}

/// A component linked against the binding of the contract version it was built for.
enum Pre {
    V0_1(v0_1::ActionPre<HostState>),
    V0_2(v0_2::ActionPre<HostState>),
}

/// An instance of a [`Pre`], for one call.
enum Bound {
    V0_1(v0_1::Action),
    V0_2(v0_2::Action),
}

impl Pre {
    fn link(
        engine: &Engine,
        component: &Component,
        version: Version,
        name: &str,
    ) -> Result<Self, PluginError> {
        let link_error = |e: wasmtime::Error| PluginError::Link {
            plugin: name.into(),
            message: format!("{e:#}"),
        };
        let mut linker = Linker::<HostState>::new(engine);
        match version {
            Version::V0_1 => {
                v0_1::Action::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            }
            Version::V0_2 => {
                v0_2::Action::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            }
        }
        .map_err(link_error)?;
        super::sandbox::add_to_linker(&mut linker).map_err(link_error)?;
        let pre = linker.instantiate_pre(component).map_err(link_error)?;
        Ok(match version {
            Version::V0_1 => Pre::V0_1(v0_1::ActionPre::new(pre).map_err(link_error)?),
            Version::V0_2 => Pre::V0_2(v0_2::ActionPre::new(pre).map_err(link_error)?),
        })
    }

    fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Bound> {
        Ok(match self {
            Pre::V0_1(pre) => Bound::V0_1(pre.instantiate(&mut *store)?),
            Pre::V0_2(pre) => Bound::V0_2(pre.instantiate(&mut *store)?),
        })
    }
}

impl Bound {
    fn describe(&self, store: &mut Store<HostState>) -> wasmtime::Result<Manifest> {
        Ok(match self {
            Bound::V0_1(b) => {
                upgrade::manifest_up(b.ticketbot_plugin_plugin().call_describe(store)?)
            }
            Bound::V0_2(b) => b.ticketbot_plugin_plugin().call_describe(store)?,
        })
    }

    fn check_settings(
        &self,
        store: &mut Store<HostState>,
        settings: &str,
    ) -> wasmtime::Result<Vec<SettingProblem>> {
        Ok(match self {
            Bound::V0_1(b) => b
                .ticketbot_plugin_plugin()
                .call_check_settings(store, settings)?
                .into_iter()
                .map(upgrade::problem_up)
                .collect(),
            Bound::V0_2(b) => b
                .ticketbot_plugin_plugin()
                .call_check_settings(store, settings)?,
        })
    }

    fn guild_questions(
        &self,
        store: &mut Store<HostState>,
        settings: &str,
    ) -> wasmtime::Result<Vec<OpeningQuestions>> {
        Ok(match self {
            // 0.1 has no questions.
            Bound::V0_1(_) => Vec::new(),
            Bound::V0_2(b) => b
                .ticketbot_plugin_plugin()
                .call_guild_questions(store, settings)?,
        })
    }

    fn handle(
        &self,
        store: &mut Store<HostState>,
        context: &Context,
        event: &Event,
    ) -> wasmtime::Result<Result<Outcome, String>> {
        Ok(match self {
            Bound::V0_1(b) => match upgrade::event_down(event) {
                Some(old) => b
                    .ticketbot_plugin_plugin()
                    .call_handle(store, &upgrade::context_down(context), &old)?
                    .map(upgrade::outcome_up),
                // Nothing a 0.1 plugin could have asked for.
                None => Ok(Outcome {
                    reply: None,
                    effects: Vec::new(),
                }),
            },
            Bound::V0_2(b) => b
                .ticketbot_plugin_plugin()
                .call_handle(store, context, event)?,
        })
    }
}

/// A WebAssembly plugin ready to run: compiled, linked, described.
pub struct WasmPlugin {
    engine: Arc<Engine>,
    pre: Pre,
    version: Version,
    manifest: Manifest,
}

/// What a successful call returned, with what the plugin logged.
#[derive(Debug)]
pub struct CallResult<T> {
    /// The value.
    pub value: T,
    /// The plugin's log lines.
    pub logs: Vec<PluginLog>,
    /// Capabilities it was refused.
    pub refused: Vec<Capability>,
    /// A host read that failed on the host's side during the call.
    pub host_failure: Option<String>,
}

impl CallResult<Result<Outcome, String>> {
    /// No answer and no effect: what a plugin built against an older contract returns for an
    /// event that contract does not have.
    pub fn nothing() -> Self {
        CallResult {
            value: Ok(Outcome {
                reply: None,
                effects: Vec::new(),
            }),
            logs: Vec::new(),
            refused: Vec::new(),
            host_failure: None,
        }
    }

    /// The outcome, or the plugin's own error as a failure (its message capped); an error
    /// after a host read failed on the host's side is the host's failure.
    pub fn into_outcome(self, plugin: &str) -> Result<CallResult<Outcome>, PluginError> {
        match self.value {
            Ok(outcome) => Ok(CallResult {
                value: outcome,
                logs: self.logs,
                refused: self.refused,
                host_failure: self.host_failure,
            }),
            Err(message) if self.host_failure.is_some() => Err(PluginError::HostFailed {
                plugin: plugin.to_owned(),
                message: format!(
                    "{} (the plugin then failed: {})",
                    self.host_failure.unwrap_or_default(),
                    message.chars().take(300).collect::<String>()
                ),
            }),
            Err(message) => Err(PluginError::Returned {
                plugin: plugin.to_owned(),
                message: message.chars().take(500).collect(),
                refused: self.refused,
            }),
        }
    }
}

impl WasmPlugin {
    /// Links `component` and asks it to describe itself. `name` is for errors (an id or path).
    pub fn new(
        engine: Arc<Engine>,
        component: &Component,
        name: &str,
    ) -> Result<Self, PluginError> {
        let version = contract_version(&engine, component, name)?;
        let unsupported = super::sandbox::unsupported_imports(&engine, component);
        if !unsupported.is_empty() {
            return Err(PluginError::Imports {
                plugin: name.into(),
                imports: unsupported,
            });
        }
        let pre = Pre::link(&engine, component, version, name)?;
        let mut instance = Self {
            engine,
            pre,
            version,
            manifest: Manifest {
                id: name.into(),
                name: contract::untranslated(name),
                version: String::new(),
                buttons: Vec::new(),
                capabilities: Vec::new(),
                subscriptions: Vec::new(),
                settings: Vec::new(),
                questions: Vec::new(),
            },
        };
        let scope = CallScope::at_load();
        let manifest = instance
            .call(name, &scope, LOAD_BUDGET, |bound, store| {
                bound.describe(store)
            })
            .map_err(|e| PluginError::Describe {
                plugin: name.into(),
                message: e.to_string(),
            })?;
        instance.manifest = manifest.value;
        Ok(instance)
    }

    /// The plugin's manifest (in the newest contract's terms).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The contract version the plugin was built against.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Runs the plugin's own check of a guild's settings (JSON).
    pub fn check_settings(&self, settings: &str) -> Result<Vec<SettingProblem>, PluginError> {
        let scope = CallScope::at_load();
        let settings = settings.to_owned();
        self.call(&self.manifest.id, &scope, LOAD_BUDGET, |bound, store| {
            bound.check_settings(store, &settings)
        })
        .map(|r| r.value)
    }

    /// The questions the plugin asks in a guild with `settings` (JSON, checked).
    pub fn guild_questions(&self, settings: &str) -> Result<Vec<OpeningQuestions>, PluginError> {
        let scope = CallScope::at_load();
        let settings = settings.to_owned();
        self.call(&self.manifest.id, &scope, LOAD_BUDGET, |bound, store| {
            bound.guild_questions(store, &settings)
        })
        .map(|r| r.value)
    }

    /// Handles one event in a fresh store; blocks the calling thread (run it off the async
    /// workers).
    pub fn handle(
        &self,
        scope: &CallScope,
        context: &Context,
        event: &Event,
    ) -> Result<CallResult<Outcome>, PluginError> {
        let result = self.call(&self.manifest.id, scope, EVENT_BUDGET, |bound, store| {
            bound.handle(store, context, event)
        })?;
        result.into_outcome(&self.manifest.id)
    }

    fn call<T>(
        &self,
        name: &str,
        scope: &CallScope,
        budget: Duration,
        run: impl FnOnce(&Bound, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<CallResult<T>, PluginError> {
        let state = HostState {
            limits: StoreLimitsBuilder::new()
                .memory_size(MEMORY_LIMIT)
                .trap_on_grow_failure(true)
                .build(),
            plugin: name.to_owned(),
            scope: scope.clone(),
            logs: Vec::new(),
            refused: Vec::new(),
            clock: CallClock::start(budget),
            host_failure: None,
            logs_dropped: 0,
            http_calls: 0,
            wasi: super::sandbox::context(),
            table: wasmtime::component::ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // Every tick, while the guest runs, compare its own time with its budget. Ticks that
        // pass while the thread is in a host read are not checked until the guest resumes,
        // and the read's time is not the guest's.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| {
            let clock = &store.data().clock;
            Ok(if clock.guest_time() >= clock.budget {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Continue(1)
            })
        });
        let outcome = self
            .pre
            .instantiate(&mut store)
            .and_then(|bound| run(&bound, &mut store));
        let state = store.into_data();
        if state.logs_dropped > 0 {
            tracing::warn!(
                plugin = name,
                guild = scope.guild,
                dropped = state.logs_dropped,
                "plugin logged more than {MAX_LOG_LINES} lines in one call; the rest were dropped"
            );
        }
        match outcome {
            Ok(value) => Ok(CallResult {
                value,
                logs: state.logs,
                refused: state.refused,
                host_failure: state.host_failure,
            }),
            Err(_) if state.host_failure.is_some() => Err(PluginError::HostFailed {
                plugin: name.to_owned(),
                message: state.host_failure.unwrap_or_default(),
            }),
            Err(error) => Err(PluginError::trapped(name, &error, &state.logs, budget)),
        }
    }
}

/// The contract version `component` was built against, or why it cannot be loaded: it is no
/// plugin, or built against a version this host does not know (a newer one).
fn contract_version(
    engine: &Engine,
    component: &Component,
    name: &str,
) -> Result<Version, PluginError> {
    let ty = component.component_type();
    let exported: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
    let Some(found) = exported
        .iter()
        .find_map(|n| n.strip_prefix(contract::EXPORT_PREFIX))
    else {
        return Err(PluginError::NotAPlugin {
            plugin: name.into(),
            exports: exported.join(", "),
        });
    };
    Version::of_guest(found).ok_or_else(|| PluginError::ContractVersion {
        plugin: name.into(),
        found: found.to_owned(),
        supported: Version::ALL
            .iter()
            .map(|v| v.tag())
            .collect::<Vec<_>>()
            .join(", "),
    })
}
