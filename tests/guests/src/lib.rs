//! The plugins tests use, built from `plugins/` for `wasm32-wasip2`: `faulty` (misbehaves on
//! purpose, one way per button), `other_contract` (speaks another contract version), `tour`
//! (uses everything contract 0.2 added) and `example_greeter` (the README's example); and
//! frozen builds of older contracts (`fixtures/`).

use std::path::PathBuf;

/// The component file of test plugin `stem` (`faulty`, `other_contract`, `tour`,
/// `example_greeter`).
pub fn path(stem: &str) -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join(format!("{stem}.wasm"))
}

/// A frozen build kept in `fixtures/` (e.g. `poke-0.1.0.wasm`, poke as built for contract 0.1).
pub fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(file)
}
