//! The plugins tests use, built from `plugins/` for `wasm32-wasip2`: `faulty` (misbehaves on
//! purpose, one way per button), `other_contract` (speaks another contract version) and
//! `example_greeter` (the README's example).

use std::path::PathBuf;

/// The component file of test plugin `stem` (`faulty`, `other_contract`, `example_greeter`).
pub fn path(stem: &str) -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join(format!("{stem}.wasm"))
}
