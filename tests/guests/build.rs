//! Builds the plugins only tests and examples use (`plugins/testing/*`, the example greeter),
//! so the product's build never compiles them.

#[path = "../../host/build_guests.rs"]
mod build_guests;

use std::path::PathBuf;

const GUESTS: &[&str] = &["faulty", "other-contract", "example-greeter", "tour"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let plugins = manifest_dir.join("../../plugins");
    println!("cargo:rerun-if-changed=../../host/build_guests.rs");
    for dir in ["testing", "example-greeter"] {
        println!("cargo:rerun-if-changed={}", plugins.join(dir).display());
    }
    build_guests::build(&plugins, GUESTS);
}
