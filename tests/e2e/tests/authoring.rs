//! A plugin author's afternoon, as README "Writing one" tells it: `plugin new` writes a crate
//! outside any workspace (its Dice uses `rand` and `HashMap`), one `cargo build` makes the
//! component, `cargo test` runs its tests, `plugin try` runs its script (two users, a cooldown,
//! an outsider refused), the bot loads it and serves presses; `check` warns about a grant left
//! out and refuses an import the sandbox does not offer, each at its line.
//!
//! The crate is built with the real toolchain (`wasm32-wasip2`) in a target folder kept beside
//! the workspace's, so a second run reuses its dependencies.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use ticketbot::trial::{script, Trial};
use ticketbot_e2e::{custom_ids, id_of, Harness, WAIT};

/// Where the author's crate is built: beside the workspace's own target folder.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("plugin-author")
}

/// Runs cargo in `dir` as an author would (without this build's flags).
fn cargo(dir: &Path, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "cargo {args:?} in {}:\n{text}",
        dir.display()
    );
    text
}

fn try_script(wasm: &Path, script: script::Script) -> (usize, String) {
    let trial = Trial {
        wasm: wasm.to_owned(),
        script,
        locale: None,
        grant: None,
        settings: None,
    };
    let mut out = Vec::new();
    let summary = ticketbot::trial::run(&trial, &mut out).unwrap();
    (summary.failed, String::from_utf8(out).unwrap())
}

/// A config for one guild enabling the component at `wasm` with `capabilities`.
fn config_file(dir: &Path, wasm: &Path, capabilities: &str) -> PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        "database = {:?}\n\n[[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\n[[guild.ticket_type]]\nid = \"support\"\nlabel = \"Support\"\n\n[[guild.plugin]]\nid = \"dice\"\npath = {:?}\ncapabilities = [{capabilities}]\n",
        dir.join("t.duckdb").display().to_string(),
        wasm.display().to_string(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The line of `config.toml` that starts with `start`.
fn line_of(config: &Path, start: &str) -> usize {
    std::fs::read_to_string(config)
        .unwrap()
        .lines()
        .position(|l| l.starts_with(start))
        .unwrap()
        + 1
}

/// `user` presses the Dice's button; the answer's text and whether only they see it.
async fn roll(h: &Harness, user: u64, welcome: &Value) -> (String, bool) {
    let button = custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("pl:dice:") && id.ends_with(":b:roll"))
        .unwrap_or_else(|| panic!("no Roll button in {welcome}"));
    let click = h.emu.user(user).click(id_of(welcome), &button).unwrap();
    let response = click.response(WAIT).await.unwrap();
    let private = response["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0;
    (ticketbot_e2e::answer_text(&click).await, private)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_from_plugin_new_builds_tries_loads_and_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("dice");
    ticketbot::scaffold::create("dice", &crate_dir).unwrap();
    let source = std::fs::read_to_string(crate_dir.join("src/lib.rs")).unwrap();
    assert!(source.contains("use std::collections::HashMap;") && source.contains("rand::rng()"));

    // One cargo build makes the component; cargo test runs the crate's own test natively.
    cargo(
        &crate_dir,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    let wasm = target_dir().join("wasm32-wasip2/release/dice.wasm");
    let tested = cargo(&crate_dir, &["test"]);
    assert!(tested.contains("test result: ok. 1 passed"), "{tested}");

    // plugin try runs the template's script: two users roll, the opener's second roll waits
    // out the cooldown, an outsider is refused, and after 30 s the opener rolls again.
    let (failed, report) = try_script(&wasm, script::load(&crate_dir.join("try.json")).unwrap());
    assert_eq!(failed, 0, "{report}");
    for line in [
        "1. Ana (opener) presses \"roll\"",
        "   answers in the channel: \"🎲 Ana rolled **",
        "   answers privately: \"Wait 30 s before rolling again.\"",
        "   answers in the channel: \"🎲 Bruno rolled **",
        "   the bot answers privately: \"Only the ticket's opener and staff can do that.\" (the plugin is not called)",
        "5. 30 s pass",
        "6 step(s), 0 failed",
    ] {
        assert!(report.contains(line), "{line:?} in:\n{report}");
    }
    // A script whose expectations are not met fails; without the storage grant, the roll
    // stops with the plugin's own words, and the trial warns about the grant first.
    let (failed, report) = try_script(
        &wasm,
        script::parse(
            "inline",
            r#"{"locale": "pt-BR", "steps": [
                {"press": "roll", "as": "member", "expect": {"reply": "tirou"}},
                {"press": "roll", "as": "staff", "expect": {"error": "storage"}}
            ]}"#,
        )
        .unwrap(),
    );
    assert_eq!(failed, 1, "{report}");
    assert!(
        report.starts_with("warning: asks for \"storage\" but is not granted it"),
        "{report}"
    );
    assert!(
        report.contains(
            "✗ Dados stopped because it failed: the capability \"storage\" is not granted"
        ),
        "{report}"
    );

    // The bot loads the same component and serves presses through Discord.
    let path = wasm.display().to_string();
    let h = Harness::start_with("en", |w| {
        w.plugins.push(format!(
            "[[guild.plugin]]\nid = \"dice\"\npath = {path:?}\ncapabilities = [\"storage\"]\nsettings = {{ sides = 20, cooldown = \"1m\" }}\n"
        ))
    })
    .await;
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    let (answer, private) = roll(&h, h.world.player, &welcome).await;
    assert!(
        answer.contains("rolled **") && answer.ends_with("(1–20)"),
        "{answer}"
    );
    assert!(!private);
    let (answer, private) = roll(&h, h.world.player, &welcome).await;
    assert_eq!(answer, "Wait 60 s before rolling again.");
    assert!(private);
    h.finish().await;

    // check: a capability asked for and not granted is a warning at the plugin's
    // `capabilities`, with the line to write; the file is still usable.
    let config = config_file(dir.path(), &wasm, "");
    let report = ticketbot::check::check(&config);
    assert!(report.ok(), "{report:?}");
    let line = line_of(&config, "capabilities = ");
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert!(
        report.warnings[0].starts_with(&format!("{}:{line}:", config.display())),
        "{report:?}"
    );
    assert!(
        report.warnings[0].contains("`capabilities = [\"storage\"]`"),
        "{report:?}"
    );

    // An import the sandbox does not offer (files) is refused at load, named, at its line.
    let with_files = source.replace(
        "let roll = rand::rng()",
        "let _motd = std::fs::read_to_string(\"motd.txt\");\n        let roll = rand::rng()",
    );
    assert_ne!(with_files, source);
    std::fs::write(crate_dir.join("src/lib.rs"), with_files).unwrap();
    cargo(
        &crate_dir,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    let config = config_file(dir.path(), &wasm, "\"storage\"");
    let report = ticketbot::check::check(&config);
    assert!(!report.ok());
    assert_eq!(report.problems.len(), 1, "{report:?}");
    let problem = &report.problems[0];
    assert!(
        problem.starts_with(&format!(
            "{}:{}:",
            config.display(),
            line_of(&config, "[[guild.plugin]]")
        )),
        "{problem}"
    );
    assert!(
        problem.contains("asks for what the sandbox does not offer: wasi:filesystem/"),
        "{problem}"
    );
    assert!(problem.contains("plugins have no files"), "{problem}");
}
