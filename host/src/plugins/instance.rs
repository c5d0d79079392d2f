//! One loaded plugin: its compiled component pre-linked once, and a fresh store per call with a
//! memory cap and an epoch deadline, so a trap, loop or memory bomb ends that call only.

use std::sync::Arc;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};

use super::contract::{
    self, ActionPre, Context, Event, HostError, LogLevel, Manifest, Outcome, SettingProblem,
};
use super::engine::{EVENT_TICKS, LOAD_TICKS, MEMORY_LIMIT};
use super::PluginError;

/// What a plugin may read from the host while it runs; implemented by the lifecycle.
pub trait HostServices: Send + Sync {
    /// A key of the plugin's per-guild storage.
    fn get(&self, guild: u64, plugin: &str, key: &str) -> Result<Option<String>, String>;
    /// A member's roles, none when not a member.
    fn member_roles(&self, guild: u64, user: u64) -> Result<Option<Vec<u64>>, String>;
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
}

impl HostState {
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
        let message: String = message.chars().take(2000).collect();
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
        if self.logs.len() < 50 {
            self.logs.push(PluginLog { level, message });
        }
    }

    fn get(&mut self, key: String) -> Result<Option<String>, HostError> {
        self.require("storage")?;
        let services = self
            .scope
            .services
            .clone()
            .ok_or_else(|| HostError::Failed("no storage at load".into()))?;
        services
            .get(self.scope.guild, &self.plugin, &key)
            .map_err(HostError::Failed)
    }

    fn member_roles(&mut self, user: u64) -> Result<Option<Vec<u64>>, HostError> {
        self.require("read-members")?;
        let services = self
            .scope
            .services
            .clone()
            .ok_or_else(|| HostError::Failed("no members at load".into()))?;
        services
            .member_roles(self.scope.guild, user)
            .map_err(HostError::Failed)
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
}

impl CallResult<Result<Outcome, String>> {
    /// The outcome, or the plugin's own error as a failure (its message capped).
    pub fn into_outcome(self, plugin: &str) -> Result<CallResult<Outcome>, PluginError> {
        match self.value {
            Ok(outcome) => Ok(CallResult {
                value: outcome,
                logs: self.logs,
                refused: self.refused,
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
            .call(name, &scope, LOAD_TICKS, |bindings, store| {
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
        self.call(&self.manifest.id, &scope, LOAD_TICKS, |bindings, store| {
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
        let result = self.call(&self.manifest.id, scope, EVENT_TICKS, |bindings, store| {
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
        ticks: u64,
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
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let outcome = self
            .pre
            .instantiate(&mut store)
            .and_then(|bindings| run(&bindings, &mut store));
        let state = store.into_data();
        match outcome {
            Ok(value) => Ok(CallResult {
                value,
                logs: state.logs,
                refused: state.refused,
            }),
            Err(error) => Err(PluginError::trapped(name, &error, &state.logs, ticks)),
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
