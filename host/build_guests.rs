//! Building guest plugins from `plugins/` for `wasm32-wasip2`, shared by the build scripts of
//! `host` (the built-in plugins it embeds) and `tests/guests` (the plugins only tests use).
//!
//! The guests are a cargo workspace of their own, built with a target directory of their own
//! beside the outer one (`<target>/wasm-guests`, shared by both scripts; sharing the outer
//! directory itself would deadlock on cargo's lock) and without the outer build's RUSTFLAGS.
//! The `wasm32-wasip2` target is checked first, in seconds: if it is missing and rustup is
//! there, it is installed (rustup does not always add `rust-toolchain.toml`'s targets by itself,
//! e.g. with `RUSTUP_AUTO_INSTALL=0`); otherwise the build stops naming the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The outer target directory, from `OUT_DIR` (`<target>/<profile>/build/<crate>/out`).
fn outer_target_dir(out: &Path) -> PathBuf {
    out.ancestors()
        .nth(4)
        .map_or_else(|| out.join("guest-target"), Path::to_owned)
}

/// Builds `packages` of the guest workspace `workspace` (a folder under `plugins`, the guest
/// root holding the SDK) and copies each component (named by its library name, `-` as `_`)
/// into `OUT_DIR`.
pub fn build(plugins: &Path, workspace: &Path, packages: &[&str]) {
    ensure_target();
    println!(
        "cargo:rerun-if-changed={}",
        plugins.join("../wit").display()
    );
    println!("cargo:rerun-if-changed={}", plugins.join("sdk").display());
    for entry in ["Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(entry).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let target_dir = outer_target_dir(&out).join("wasm-guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET,
            "--manifest-path",
        ])
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    for package in packages {
        command.args(["-p", package]);
    }
    let status = command
        .status()
        .expect("running cargo for the guest plugins");
    if !status.success() {
        panic!(
            "building the guest plugins in {} failed (see the errors above)",
            workspace.display()
        );
    }
    for package in packages {
        let stem = package.replace('-', "_");
        let built = target_dir
            .join(TARGET)
            .join("release")
            .join(format!("{stem}.wasm"));
        std::fs::copy(&built, out.join(format!("{stem}.wasm")))
            .unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
    }
}
