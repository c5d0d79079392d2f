//! Builds the built-in plugins in `../plugins` for `wasm32-wasip2`, leaves the components in
//! `OUT_DIR` and writes `builtins.rs` there, the table `plugins::builtin` embeds. (The plugins
//! only tests use are built by `tests/guests`.)

#[path = "build_guests.rs"]
mod build_guests;
#[path = "src/plugins/builtin_list.rs"]
mod builtin_list;

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let plugins = manifest_dir.join("../plugins");
    println!("cargo:rerun-if-changed=build_guests.rs");
    println!("cargo:rerun-if-changed=src/plugins/builtin_list.rs");
    let packages: Vec<&str> = builtin_list::BUILTIN_PLUGINS
        .iter()
        .map(|(_, p)| *p)
        .collect();
    for package in &packages {
        println!("cargo:rerun-if-changed={}", plugins.join(package).display());
    }
    build_guests::build(&plugins, &plugins, &packages);
    let mut table = String::from("const COMPONENTS: &[(&str, &[u8])] = &[\n");
    for (id, package) in builtin_list::BUILTIN_PLUGINS {
        let file = out.join(format!("{}.wasm", package.replace('-', "_")));
        table.push_str(&format!(
            "    ({id:?}, include_bytes!({:?})),\n",
            file.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("builtins.rs"), table).expect("writing builtins.rs");
}
