//! The one wasmtime engine: cranelift, the pooling allocator, and an epoch ticker whose ticks
//! let each call check how much of its own time a plugin has used.

use std::sync::{Arc, Weak};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: how often a running plugin's time is checked (a plugin past
/// its budget is stopped within one tick).
pub const TICK: Duration = Duration::from_millis(5);
/// The processor time an event handler may use, its own only (time the host spends answering
/// its reads does not count): 90 ms, so with a tick of 5 ms a runaway handler is stopped
/// within about 95 ms of its own time.
pub const EVENT_BUDGET: Duration = Duration::from_millis(90);
/// The processor time `describe` and `check-settings` may use at load.
pub const LOAD_BUDGET: Duration = Duration::from_secs(1);
/// The wall time the host may spend answering one call's reads (storage, member roles), so a
/// slow database or Discord cannot hold an interaction past Discord's 3 seconds. Once used up,
/// further reads fail with `host-error::failed`, which is the host's failure, not the plugin's.
pub const HOST_TIME_LIMIT: Duration = Duration::from_millis(1500);
/// The most plugin instances alive at once; more events wait for a slot.
pub const MAX_INSTANCES: u32 = 32;
/// The most linear memory one plugin instance may have.
pub const MEMORY_LIMIT: usize = 32 << 20;

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly engine: {0}")]
pub struct EngineError(String);

/// Builds the engine and starts its epoch ticker (a thread that ends when the engine is
/// dropped).
pub fn build() -> Result<Arc<Engine>, EngineError> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_INSTANCES)
        // A std guest is a few core instances (the program and WASI adapter shims).
        .total_core_instances(MAX_INSTANCES * 8)
        .total_memories(MAX_INSTANCES * 2)
        .total_tables(MAX_INSTANCES * 8)
        .max_memory_size(MEMORY_LIMIT * 2);
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Arc::new(Engine::new(&config).map_err(|e| EngineError(format!("{e:#}")))?);
    let weak: Weak<Engine> = Arc::downgrade(&engine);
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        })
        .map_err(|e| EngineError(format!("the epoch ticker thread: {e}")))?;
    Ok(engine)
}
