//! Builds the guest plugins in `../plugins` for `wasm32-wasip2` and leaves the components in
//! `OUT_DIR`, where `plugins::builtin` embeds the built-in ones.
//!
//! The guests are a workspace of their own, built with a target directory of their own (sharing
//! the outer one would deadlock on cargo's lock) and without the outer build's RUSTFLAGS.

use std::path::PathBuf;
use std::process::Command;

const GUESTS: &[&str] = &[
    "poke",
    "item_return",
    "voice_call",
    "ticket_actions",
    "example_greeter",
    "faulty",
    "other_contract",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let plugins = manifest_dir.join("../plugins");
    let wit = manifest_dir.join("../wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "sdk",
        "poke",
        "item-return",
        "voice-call",
        "ticket-actions",
        "example-greeter",
        "testing",
    ] {
        println!("cargo:rerun-if-changed={}", plugins.join(entry).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let target_dir = out.join("guest-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("running cargo for the guest plugins");
    if !status.success() {
        panic!(
            "building the guest plugins failed; is the wasm32-wasip2 target installed? \
             (rustup target add wasm32-wasip2)"
        );
    }
    for guest in GUESTS {
        let built = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{guest}.wasm"));
        std::fs::copy(&built, out.join(format!("{guest}.wasm")))
            .unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
    }
}
