//! The one wasmtime engine: cranelift, the pooling allocator, and an epoch ticker that bounds
//! how long any plugin call may run.

use std::sync::{Arc, Weak};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances.
pub const TICK: Duration = Duration::from_millis(10);
/// Ticks an event handler may run: 90 ms, so with the ticker's granularity a runaway handler
/// is stopped within 100 ms.
pub const EVENT_TICKS: u64 = 9;
/// Ticks `describe` and `check-settings` may run at load (1 s).
pub const LOAD_TICKS: u64 = 100;
/// The most plugin instances alive at once; more events wait for a slot.
pub const MAX_INSTANCES: u32 = 32;
/// The most linear memory one plugin instance may have.
pub const MEMORY_LIMIT: usize = 32 << 20;

/// Builds the engine and starts its epoch ticker (a thread that ends when the engine is
/// dropped).
pub fn build() -> anyhow::Result<Arc<Engine>> {
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
    let engine = Arc::new(Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:#}"))?);
    let weak: Weak<Engine> = Arc::downgrade(&engine);
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        })?;
    Ok(engine)
}
