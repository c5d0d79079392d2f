//! Builds the built-in plugins in `../plugins` for `wasm32-wasip2` and leaves the components in
//! `OUT_DIR`, where `plugins::builtin` embeds them. (The plugins only tests use are built by
//! `tests/guests`.)

#[path = "build_guests.rs"]
mod build_guests;

use std::path::PathBuf;

/// The guest packages embedded in the binary.
const BUILTIN: &[&str] = &["poke", "item-return", "voice-call", "ticket-actions"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let plugins = manifest_dir.join("../plugins");
    println!("cargo:rerun-if-changed=build_guests.rs");
    for package in BUILTIN {
        println!("cargo:rerun-if-changed={}", plugins.join(package).display());
    }
    build_guests::build(&plugins, BUILTIN);
}
