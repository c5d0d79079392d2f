//! Builds the native test plugin (`tests/native-plugin`) for this target and tells the tests
//! where the library is (`NATIVE_AUDIT`). Its own target directory avoids cargo's lock.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let crate_dir = manifest_dir.join("../native-plugin");
    println!("cargo:rerun-if-changed={}", crate_dir.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        crate_dir.join("Cargo.toml").display()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let target_dir = out.join("native-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo for the native test plugin");
    assert!(status.success(), "building tests/native-plugin failed");
    let library = target_dir.join("debug").join(format!(
        "{}native_audit{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    println!("cargo:rustc-env=NATIVE_AUDIT={}", library.display());
}
