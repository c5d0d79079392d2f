//! `ticketbot plugin new NAME`: writes a plugin crate of its own (outside any workspace) from
//! the template in `host/templates/plugin`, with a copy of the SDK and of the contract it
//! builds against, so it builds with one `cargo build` and no checkout of ticketbot.

use std::path::{Path, PathBuf};

/// The SDK's version, which is the contract version it builds against.
pub const SDK_VERSION: &str = "0.2.0";

/// Why a crate could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name cannot be a plugin id and crate name.
    #[error("{0:?} cannot name a plugin: use 1-32 of a-z, 0-9 and '-', starting with a letter")]
    Name(String),
    /// Something is already there.
    #[error("{0} already exists; choose another name or folder")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The files of a new crate, relative to its folder, with `{{name}}` and `{{lib}}` filled.
fn files(name: &str) -> Vec<(&'static str, String)> {
    let lib = name.replace('-', "_");
    let fill = |template: &str| template.replace("{{name}}", name).replace("{{lib}}", &lib);
    vec![
        (
            "Cargo.toml",
            fill(include_str!("../templates/plugin/Cargo.toml.in")),
        ),
        (
            "rust-toolchain.toml",
            include_str!("../templates/plugin/rust-toolchain.toml").into(),
        ),
        (
            ".gitignore",
            include_str!("../templates/plugin/gitignore").into(),
        ),
        (
            "README.md",
            fill(include_str!("../templates/plugin/README.md.in")),
        ),
        (
            "src/lib.rs",
            fill(include_str!("../templates/plugin/lib.rs.in")),
        ),
        (
            "try.json",
            include_str!("../templates/plugin/try.json").into(),
        ),
        ("ticketbot-plugin-sdk/Cargo.toml", sdk_manifest()),
        ("ticketbot-plugin-sdk/src/lib.rs", sdk_source()),
        (
            "ticketbot-plugin-sdk/wit/plugin.wit",
            include_str!("../../wit/0.2.0/plugin.wit").into(),
        ),
    ]
}

/// The SDK's manifest without the workspace it lives in here.
fn sdk_manifest() -> String {
    format!(
        r#"[package]
name = "ticketbot-plugin-sdk"
version = "{SDK_VERSION}"
description = "Write ticketbot action plugins: the WIT bindings plus small helpers"
edition = "2021"
license = "MIT"
publish = false

[dependencies]
wit-bindgen = {{ version = "0.46", default-features = false, features = ["macros", "realloc"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
"#
    )
}

/// The SDK's source, reading the contract from its own `wit/` folder.
fn sdk_source() -> String {
    const IN_REPO: &str = r#"path: "../../wit/0.2.0","#;
    let source = include_str!("../../plugins/sdk/src/lib.rs");
    assert!(source.contains(IN_REPO), "the SDK names its WIT folder");
    source
        .replace(IN_REPO, r#"path: "wit","#)
        .replace("`../../wit/0.2.0/plugin.wit`", "`wit/plugin.wit`")
}

/// Whether `name` can be a plugin id and a crate name.
fn valid(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Writes a new plugin crate called `name` in the folder `dir` (which must not exist).
pub fn create(name: &str, dir: &Path) -> Result<(), ScaffoldError> {
    if !valid(name) {
        return Err(ScaffoldError::Name(name.into()));
    }
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir.to_owned()));
    }
    for (file, text) in files(name) {
        let path = dir.join(file);
        let write = |path: &Path| {
            std::fs::create_dir_all(path.parent().expect("files are in folders"))?;
            std::fs::write(path, &text)
        };
        write(&path).map_err(|source| ScaffoldError::Write { path, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plugin_ids() {
        assert!(valid("dice"));
        assert!(valid("dice-2"));
        assert!(!valid("Dice"));
        assert!(!valid("2dice"));
        assert!(!valid(""));
        assert!(!valid("dice_roll"));
        assert!(!valid(&"a".repeat(33)));
    }

    #[test]
    fn the_crate_is_filled_in_and_its_sdk_reads_its_own_contract() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("dice-roll");
        create("dice-roll", &at).unwrap();
        let manifest = std::fs::read_to_string(at.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"dice-roll\""));
        assert!(manifest.contains("\n[workspace]\n"));
        let readme = std::fs::read_to_string(at.join("README.md")).unwrap();
        assert!(readme.contains("release/dice_roll.wasm"));
        assert!(!readme.contains("{{"));
        let sdk = std::fs::read_to_string(at.join("ticketbot-plugin-sdk/src/lib.rs")).unwrap();
        assert!(sdk.contains(r#"path: "wit","#));
        assert!(at.join("ticketbot-plugin-sdk/wit/plugin.wit").is_file());
        assert!(matches!(
            create("dice-roll", &at),
            Err(ScaffoldError::Exists(_))
        ));
        assert!(matches!(
            create("Dice", &dir.path().join("x")),
            Err(ScaffoldError::Name(_))
        ));
    }
}
