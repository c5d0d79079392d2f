//! Builds the plugins only tests use (the workspace `plugins/testing`), so the product's build
//! never compiles them.

#[path = "../../host/build_guests.rs"]
mod build_guests;

use std::path::PathBuf;

const GUESTS: &[&str] = &["faulty", "other-contract", "example-greeter", "tour"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let plugins = manifest_dir.join("../../plugins");
    println!("cargo:rerun-if-changed=../../host/build_guests.rs");
    let testing = plugins.join("testing");
    for guest in GUESTS {
        println!("cargo:rerun-if-changed={}", testing.join(guest).display());
    }
    build_guests::build(&plugins, &testing, GUESTS);
}
