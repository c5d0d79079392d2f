//! Builds the guest plugins in `../plugins` for `wasm32-wasip2` and leaves the components in
//! `OUT_DIR`, where `plugins::builtin` embeds the built-in ones.
//!
//! The guests are a workspace of their own, built with a target directory of their own (sharing
//! the outer one would deadlock on cargo's lock) and without the outer build's RUSTFLAGS.
//!
//! The `wasm32-wasip2` target is checked first, in seconds: if it is missing and rustup is
//! there, it is installed (rustup does not always add `rust-toolchain.toml`'s targets by itself,
//! e.g. with `RUSTUP_AUTO_INSTALL=0`); otherwise the build stops naming the command to run.

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

const TARGET: &str = "wasm32-wasip2";

/// Whether the toolchain building us has the standard library for `TARGET`.
fn target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let lib = PathBuf::from(sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib");
    std::fs::read_dir(lib).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
    })
}

/// Installs `TARGET` with rustup when it is missing, or stops the build saying what to run.
fn ensure_target() {
    if target_installed() {
        return;
    }
    println!("cargo:warning=the {TARGET} target (for the plugins) is missing; installing it with `rustup target add {TARGET}` (a minute or two, once)");
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !target_installed() {
        panic!(
            "the {TARGET} target is not installed and rustup could not install it; \
             run `rustup target add {TARGET}` and build again"
        );
    }
}

fn main() {
    ensure_target();
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
        panic!("building the guest plugins in plugins/ failed (see the errors above)");
    }
    for guest in GUESTS {
        let built = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{guest}.wasm"));
        std::fs::copy(&built, out.join(format!("{guest}.wasm")))
            .unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
    }
}
