//! One loaded plugin: its compiled component pre-linked once, and a fresh store per call with a
//! memory cap and a budget of the plugin's own processor time, so a trap, loop or memory bomb
//! ends that call only, and time the host spends answering the plugin's reads never counts
//! against it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

use super::contract::{
    self, ActionPre, Context, Event, HostError, LogLevel, Manifest, Outcome, SettingProblem,
};
use super::cpu_clock::thread_cpu_time;
use super::engine::{EVENT_BUDGET, HOST_TIME_LIMIT, LOAD_BUDGET, MEMORY_LIMIT};
use super::PluginError;

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
}

/// Who a call runs for: the guild, what it granted, and where reads go.
#[derive(Clone)]
pub struct CallScope {
    /// The guild the event belongs to (0 at load).
    pub guild: u64,
    /// Capabilities the guild granted this plugin.
    pub granted: Arc<[String]>,
    /// Reads from the host.
    pub services: Option<Arc<dyn HostServices>>,
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
    refused: Vec<String>,
    /// The plugin's own time: processor time of this call minus the host's share.
    clock: CallClock,
    /// Why a host read failed on the host's side (slow or unavailable), if one did: a call
    /// that then fails is the host's failure, not the plugin's.
    host_failure: Option<String>,
    /// Log lines past [`MAX_LOG_LINES`], counted instead of written.
    logs_dropped: u32,
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

    fn require(&mut self, capability: &str) -> Result<(), HostError> {
        if self.scope.granted.iter().any(|c| c == capability) {
            Ok(())
        } else {
            tracing::warn!(plugin = %self.plugin, guild = self.scope.guild, capability, "plugin used a capability it was not granted");
            self.refused.push(capability.to_owned());
            Err(HostError::NotGranted(capability.to_owned()))
        }
    }
}

impl contract::ticketbot::plugin::types::Host for HostState {}

impl contract::Host for HostState {
    fn log(&mut self, level: LogLevel, message: String) {
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

    fn get(&mut self, key: String) -> Result<Option<String>, HostError> {
        self.require("storage")?;
        let (guild, plugin) = (self.scope.guild, self.plugin.clone());
        self.host_read(|services, within| services.get(guild, &plugin, &key, within))
    }

    fn member_roles(&mut self, user: u64) -> Result<Option<Vec<u64>>, HostError> {
        self.require("read-members")?;
        let guild = self.scope.guild;
        self.host_read(|services, within| services.member_roles(guild, user, within))
    }
}

/// A WebAssembly plugin ready to run: compiled, linked, described.
pub struct WasmPlugin {
    engine: Arc<Engine>,
    pre: ActionPre<HostState>,
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
    pub refused: Vec<String>,
    /// A host read that failed on the host's side during the call.
    pub host_failure: Option<String>,
}

impl CallResult<Result<Outcome, String>> {
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
        check_contract_version(&engine, component, name)?;
        let mut linker = Linker::<HostState>::new(&engine);
        contract::Action::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state).map_err(
            |e| PluginError::Link {
                plugin: name.into(),
                message: format!("{e:#}"),
            },
        )?;
        // A std guest imports WASI even when it does no I/O; those calls trap instead.
        linker
            .define_unknown_imports_as_traps(component)
            .map_err(|e| PluginError::Link {
                plugin: name.into(),
                message: format!("{e:#}"),
            })?;
        let pre = linker
            .instantiate_pre(component)
            .and_then(ActionPre::new)
            .map_err(|e| PluginError::Link {
                plugin: name.into(),
                message: format!("{e:#}"),
            })?;
        let mut instance = Self {
            engine,
            pre,
            manifest: Manifest {
                id: name.into(),
                name: name.into(),
                version: String::new(),
                buttons: Vec::new(),
                capabilities: Vec::new(),
                subscriptions: Vec::new(),
            },
        };
        let scope = CallScope {
            guild: 0,
            granted: Arc::from(Vec::new()),
            services: None,
        };
        let manifest = instance
            .call(name, &scope, LOAD_BUDGET, |bindings, store| {
                bindings.ticketbot_plugin_plugin().call_describe(store)
            })
            .map_err(|e| PluginError::Describe {
                plugin: name.into(),
                message: e.to_string(),
            })?;
        instance.manifest = manifest.value;
        Ok(instance)
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Runs the plugin's own check of a guild's settings (JSON).
    pub fn check_settings(&self, settings: &str) -> Result<Vec<SettingProblem>, PluginError> {
        let scope = CallScope {
            guild: 0,
            granted: Arc::from(Vec::new()),
            services: None,
        };
        let settings = settings.to_owned();
        self.call(&self.manifest.id, &scope, LOAD_BUDGET, |bindings, store| {
            bindings
                .ticketbot_plugin_plugin()
                .call_check_settings(store, &settings)
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
        let result = self.call(&self.manifest.id, scope, EVENT_BUDGET, |bindings, store| {
            bindings
                .ticketbot_plugin_plugin()
                .call_handle(store, context, event)
        })?;
        result.into_outcome(&self.manifest.id)
    }

    fn call<T>(
        &self,
        name: &str,
        scope: &CallScope,
        budget: Duration,
        run: impl FnOnce(&contract::Action, &mut Store<HostState>) -> wasmtime::Result<T>,
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
            .and_then(|bindings| run(&bindings, &mut store));
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

/// Refuses a component built against another major version of the contract (for 0.x, another
/// minor version), naming both versions.
fn check_contract_version(
    engine: &Engine,
    component: &Component,
    name: &str,
) -> Result<(), PluginError> {
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
    if !compatible(found, contract::CONTRACT_VERSION) {
        return Err(PluginError::ContractVersion {
            plugin: name.into(),
            found: found.to_owned(),
            supported: contract::CONTRACT_VERSION.into(),
        });
    }
    Ok(())
}

/// Semver compatibility of a guest's contract version with the host's: same major, or for
/// 0.x the same minor; a guest may be older (its patch or minor lower) but not newer.
pub fn compatible(guest: &str, host: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    match (parse(guest), parse(host)) {
        (Some((gm, gn, gp)), Some((hm, hn, hp))) => {
            if hm == 0 {
                gm == 0 && gn == hn && gp <= hp
            } else {
                gm == hm && (gn, gp) <= (hn, hp)
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::compatible;

    #[test]
    fn contract_versions() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.0", "0.1.3"));
        assert!(!compatible("0.1.4", "0.1.3"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(!compatible("1.0.0", "0.1.0"));
        assert!(compatible("1.0.0", "1.2.0"));
        assert!(!compatible("1.3.0", "1.2.0"));
        assert!(!compatible("2.0.0", "1.2.0"));
        assert!(!compatible("x", "1.2.0"));
    }
}
