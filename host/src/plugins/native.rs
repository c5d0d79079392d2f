//! Native plugins: the trusted tier for in-house code, loaded with `libloading`.
//!
//! Same manifest, events, effects and host reads as WebAssembly plugins, over a C ABI with
//! the contract's types as JSON (serde's representation of `contract`). What is given up: no
//! sandbox (a crash or undefined behaviour takes the whole bot down), no memory cap and no time
//! limit (the host cannot stop a loop), and a library is never unloaded. Enable only code you
//! build and trust; the config demands `trust_native_plugins = true`.
//!
//! The library exports:
//!
//! ```c
//! uint32_t ticketbot_native_abi(void);          // 2 (contract 0.2), or 1 (contract 0.1)
//! uint8_t *ticketbot_native_call(const uint8_t *request, size_t len, size_t *out_len,
//!                                const TicketbotHost *host);
//! void ticketbot_native_free(uint8_t *response, size_t len);
//! ```
//!
//! `request` is `{"describe":null}`, `{"check_settings":"<json>"}`,
//! `{"guild_questions":"<json>"}` (ABI 2) or
//! `{"handle":{"context":…,"event":…}}`, in the types of the contract version the ABI names
//! (ABI 1 is contract 0.1, converted like a 0.1 component); the response is the manifest, the
//! list of problems, or `{"Ok":outcome}` / `{"Err":"message"}`. During a call the plugin may
//! call `host->call(host->context, request, len, &out_len)` with `{"get":"key"}`,
//! `{"member_roles":user}`, `{"log":["Info","text"]}` or (ABI 2) `{"http":request}`, and must
//! release the answer with `host->free(answer, out_len)`.

use std::ffi::c_void;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::contract::{
    self, upgrade, v0_1, Context, Event, HostError, HttpRequest, LogLevel, Manifest, Outcome,
    SettingProblem, Version,
};
use super::instance::{CallResult, CallScope, PluginLog};
use super::PluginError;
use crate::capability::Capability;

/// The ABI versions this host speaks: 1 (contract 0.1) and 2 (contract 0.2).
pub const NATIVE_ABIS: [u32; 2] = [1, 2];

/// What the host offers a native plugin during a call.
#[repr(C)]
pub struct TicketbotHost {
    /// Passed back to `call`.
    pub context: *mut c_void,
    /// A host read: JSON request in, JSON answer out (release it with `free`).
    pub call: extern "C" fn(*mut c_void, *const u8, usize, *mut usize) -> *mut u8,
    /// Releases an answer of `call`.
    pub free: extern "C" fn(*mut u8, usize),
}

type AbiFn = unsafe extern "C" fn() -> u32;
type CallFn = unsafe extern "C" fn(*const u8, usize, *mut usize, *const TicketbotHost) -> *mut u8;
type FreeFn = unsafe extern "C" fn(*mut u8, usize);

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Request<'a, C: Serialize, E: Serialize> {
    Describe(()),
    CheckSettings(&'a str),
    GuildQuestions(&'a str),
    Handle { context: &'a C, event: &'a E },
}

/// A request without an event (describe, check-settings).
type Plain<'a> = Request<'a, (), ()>;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum HostRequest {
    Get(String),
    MemberRoles(u64),
    Log((LogLevel, String)),
    Http(HttpRequest),
}

/// The state behind one call's host callbacks.
struct CallState<'a> {
    plugin: &'a str,
    scope: &'a CallScope,
    logs: Vec<PluginLog>,
    refused: Vec<Capability>,
    /// Wall time the host has spent answering this call's reads.
    host_wall: std::time::Duration,
    host_failure: Option<String>,
}

impl CallState<'_> {
    /// A host read within what is left of the call's host time (as for WebAssembly plugins).
    fn host_read<R>(
        &mut self,
        read: impl FnOnce(&dyn super::HostServices, std::time::Duration) -> Result<R, String>,
    ) -> Result<R, HostError> {
        let Some(services) = self.scope.services.clone() else {
            return Err(HostError::Failed("not available at load".into()));
        };
        let within = super::engine::HOST_TIME_LIMIT.saturating_sub(self.host_wall);
        let started = std::time::Instant::now();
        let result = if within.is_zero() {
            Err("the host's time for this event is used up".to_owned())
        } else {
            read(services.as_ref(), within)
        };
        self.host_wall += started.elapsed();
        result.map_err(|message| {
            self.host_failure.get_or_insert(message.clone());
            HostError::Failed(message)
        })
    }

    fn answer(&mut self, request: HostRequest) -> serde_json::Value {
        let require = |state: &mut Self, capability: Capability| -> Result<(), HostError> {
            if state.scope.granted.contains(&capability) {
                Ok(())
            } else {
                state.refused.push(capability);
                Err(HostError::NotGranted(capability.name().to_owned()))
            }
        };
        match request {
            HostRequest::Get(key) => {
                let (guild, plugin) = (self.scope.guild, self.plugin);
                let result = require(self, Capability::Storage).and_then(|()| {
                    self.host_read(|services, within| services.get(guild, plugin, &key, within))
                });
                serde_json::to_value(result)
            }
            HostRequest::MemberRoles(user) => {
                let guild = self.scope.guild;
                let result = require(self, Capability::ReadMembers).and_then(|()| {
                    self.host_read(|services, within| services.member_roles(guild, user, within))
                });
                serde_json::to_value(result)
            }
            HostRequest::Http(request) => {
                let (guild, plugin) = (self.scope.guild, self.plugin);
                let result = require(self, Capability::Http).and_then(|()| {
                    match self.scope.services.clone() {
                        Some(services) => services
                            .http(guild, plugin, &request)
                            .map_err(HostError::Failed),
                        None => Err(HostError::Failed("not available at load".into())),
                    }
                });
                serde_json::to_value(result)
            }
            HostRequest::Log((level, message)) => {
                if self.logs.len() < super::instance::MAX_LOG_LINES {
                    let message: String = message
                        .chars()
                        .take(super::instance::MAX_LOG_CHARS)
                        .collect();
                    tracing::info!(
                        plugin = self.plugin,
                        guild = self.scope.guild,
                        ?level,
                        "{message}"
                    );
                    self.logs.push(PluginLog { level, message });
                }
                Ok(serde_json::Value::Null)
            }
        }
        .unwrap_or(serde_json::Value::Null)
    }
}

extern "C" fn host_call(
    context: *mut c_void,
    request: *const u8,
    len: usize,
    out_len: *mut usize,
) -> *mut u8 {
    // SAFETY: `context` is the `CallState` of the call in progress on this thread, and the
    // plugin passes a buffer of `len` bytes it owns for the duration of this call.
    let state = unsafe { &mut *(context as *mut CallState<'_>) };
    let bytes = unsafe { std::slice::from_raw_parts(request, len) };
    let answer = match serde_json::from_slice::<HostRequest>(bytes) {
        Ok(request) => state.answer(request),
        Err(error) => {
            serde_json::json!({ "Err": { "Failed": format!("bad host request: {error}") } })
        }
    };
    let boxed = serde_json::to_vec(&answer)
        .unwrap_or_default()
        .into_boxed_slice();
    // SAFETY: the plugin gives a valid pointer for the answer's length.
    unsafe { *out_len = boxed.len() };
    Box::into_raw(boxed) as *mut u8
}

extern "C" fn host_free(answer: *mut u8, len: usize) {
    if !answer.is_null() {
        // SAFETY: `answer` and `len` come from `host_call`'s boxed slice.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(answer, len)) });
    }
}

/// A loaded native plugin. The library is leaked on purpose: code it handed out (threads,
/// callbacks) may outlive any unload, so it stays mapped for the life of the process.
pub struct NativePlugin {
    call: CallFn,
    free: FreeFn,
    version: Version,
    manifest: Manifest,
}

impl NativePlugin {
    /// Loads the library at `path`, checks its ABI version and asks for its manifest.
    pub fn load(path: &Path, name: &str) -> Result<Self, PluginError> {
        let failed = |message: String| PluginError::Link {
            plugin: name.into(),
            message,
        };
        // SAFETY: loading runs the library's initialisers; native plugins are trusted code by
        // configuration (`trust_native_plugins`), which is the point of this tier.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|e| failed(format!("cannot load {}: {e}", path.display())))?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: the symbols are declared with these signatures by the ABI above.
        let (abi, call, free) = unsafe {
            let abi = *library
                .get::<AbiFn>(b"ticketbot_native_abi\0")
                .map_err(|e| failed(format!("no ticketbot_native_abi: {e}")))?;
            let call = *library
                .get::<CallFn>(b"ticketbot_native_call\0")
                .map_err(|e| failed(format!("no ticketbot_native_call: {e}")))?;
            let free = *library
                .get::<FreeFn>(b"ticketbot_native_free\0")
                .map_err(|e| failed(format!("no ticketbot_native_free: {e}")))?;
            (abi, call, free)
        };
        // SAFETY: as declared.
        let abi = unsafe { abi() };
        let version = match abi {
            1 => Version::V0_1,
            2 => Version::V0_2,
            _ => {
                return Err(PluginError::ContractVersion {
                    plugin: name.into(),
                    found: format!("native ABI {abi}"),
                    supported: format!("native ABI {NATIVE_ABIS:?}"),
                })
            }
        };
        let mut plugin = Self {
            call,
            free,
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
        let describe = Plain::Describe(());
        let manifest = match version {
            Version::V0_1 => plugin
                .exchange::<v0_1::Manifest, _>(name, &scope, &describe)
                .map(|r| upgrade::manifest_up(r.value)),
            Version::V0_2 => plugin
                .exchange::<Manifest, _>(name, &scope, &describe)
                .map(|r| r.value),
        };
        plugin.manifest = manifest.map_err(|e| PluginError::Describe {
            plugin: name.into(),
            message: e.to_string(),
        })?;
        Ok(plugin)
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The contract version its ABI stands for.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The plugin's check of a guild's settings.
    pub fn check_settings(&self, settings: &str) -> Result<Vec<SettingProblem>, PluginError> {
        let scope = CallScope::at_load();
        let request = Plain::CheckSettings(settings);
        match self.version {
            Version::V0_1 => self
                .exchange::<Vec<v0_1::SettingProblem>, _>(&self.manifest.id, &scope, &request)
                .map(|r| r.value.into_iter().map(upgrade::problem_up).collect()),
            Version::V0_2 => self
                .exchange(&self.manifest.id, &scope, &request)
                .map(|r| r.value),
        }
    }

    /// The questions the plugin asks in a guild with `settings` (ABI 2; none for ABI 1).
    pub fn guild_questions(
        &self,
        settings: &str,
    ) -> Result<Vec<contract::OpeningQuestions>, PluginError> {
        match self.version {
            Version::V0_1 => Ok(Vec::new()),
            Version::V0_2 => self
                .exchange(
                    &self.manifest.id,
                    &CallScope::at_load(),
                    &Plain::GuildQuestions(settings),
                )
                .map(|r| r.value),
        }
    }

    /// Handles one event.
    pub fn handle(
        &self,
        scope: &CallScope,
        context: &Context,
        event: &Event,
    ) -> Result<CallResult<Outcome>, PluginError> {
        let id = &self.manifest.id;
        let result = match self.version {
            Version::V0_1 => {
                let Some(event) = upgrade::event_down(event) else {
                    return CallResult::nothing().into_outcome(id);
                };
                let context = upgrade::context_down(context);
                let request = Request::Handle {
                    context: &context,
                    event: &event,
                };
                let result =
                    self.exchange::<Result<v0_1::Outcome, String>, _>(id, scope, &request)?;
                CallResult {
                    value: result.value.map(upgrade::outcome_up),
                    logs: result.logs,
                    refused: result.refused,
                    host_failure: result.host_failure,
                }
            }
            Version::V0_2 => {
                let request = Request::Handle { context, event };
                self.exchange::<Result<Outcome, String>, _>(id, scope, &request)?
            }
        };
        result.into_outcome(id)
    }

    fn exchange<T: serde::de::DeserializeOwned, R: Serialize>(
        &self,
        name: &str,
        scope: &CallScope,
        request: &R,
    ) -> Result<CallResult<T>, PluginError> {
        let bytes = serde_json::to_vec(request).expect("requests serialise");
        let mut state = CallState {
            plugin: name,
            scope,
            logs: Vec::new(),
            refused: Vec::new(),
            host_wall: std::time::Duration::ZERO,
            host_failure: None,
        };
        let host = TicketbotHost {
            context: &mut state as *mut CallState<'_> as *mut c_void,
            call: host_call,
            free: host_free,
        };
        let mut len = 0usize;
        // SAFETY: the ABI above; `bytes` and `host` outlive the call.
        let answer = unsafe { (self.call)(bytes.as_ptr(), bytes.len(), &mut len, &host) };
        if answer.is_null() {
            return Err(PluginError::Trapped {
                plugin: name.into(),
                message: "returned no answer".into(),
            });
        }
        // SAFETY: the plugin returned `len` bytes it owns until `free`.
        let parsed =
            serde_json::from_slice::<T>(unsafe { std::slice::from_raw_parts(answer, len) });
        // SAFETY: handing the buffer back as the ABI says.
        unsafe { (self.free)(answer, len) };
        let value = parsed.map_err(|e| PluginError::Invalid {
            plugin: name.into(),
            message: format!("unreadable answer: {e}"),
        })?;
        Ok(CallResult {
            value,
            logs: state.logs,
            refused: state.refused,
            host_failure: state.host_failure,
        })
    }
}
