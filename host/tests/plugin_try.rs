//! `ticketbot plugin try` from the command line: a built-in plugin (voice-call, written out as a
//! component file) through a script with timers and voice, the exit status telling whether
//! every expectation held, the guild's choices from flags, and bad choices refused before any
//! step runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built-in voice-call component, as a file.
fn voice_call(dir: &Path) -> PathBuf {
    let path = dir.join("voice_call.wasm");
    std::fs::write(
        &path,
        ticketbot::plugins::builtin::bytes("voice-call").unwrap(),
    )
    .unwrap();
    path
}

fn plugin_try(wasm: &Path, script: &Path, extra: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["plugin", "try"])
        .arg(wasm)
        .arg("--script")
        .arg(script)
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

const SCRIPT: &str = r#"{
  "locale": "pt-BR",
  "grant": ["voice-channels", "timers", "storage"],
  "settings": { "empty_after": "5m" },
  "steps": [
    { "press": "call", "as": "staff",
      "expect": { "reply": "Um canal de voz foi criado", "private": false,
                  "effects": ["create-voice", "schedule"], "timers": ["empty"] } },
    { "voice": "join", "as": "opener", "expect": { "effects": ["cancel-timer", "store"], "timers": [] } },
    { "voice": "leave", "as": "opener", "expect": { "effects": ["schedule", "store"], "timers": ["empty"] } },
    { "wait": "4m", "expect": { "effects": [] } },
    { "wait": "1m", "expect": { "effects": ["delete-voice", "forget", "forget"], "storage": { "voice:1": null }, "timers": [] } },
    { "voice": "join", "expect": { "error": "no voice channel" } },
    { "close": true, "expect": { "effects": [] } }
  ]
}"#;

#[test]
fn a_script_of_voice_and_timers_runs_and_its_expectations_decide_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = voice_call(dir.path());
    let script = dir.path().join("voice.json");
    std::fs::write(&script, SCRIPT).unwrap();
    let (out, text) = plugin_try(&wasm, &script, &[]);
    assert!(out.status.success(), "{text}");
    for line in [
        "Chamada de Voz (voice-call",
        "granted: voice-channels, timers, storage",
        "1. Carla (staff) presses \"call\"",
        "   creates the voice channel \"🔊 ticket-1\"",
        "   schedules the timer \"empty\" in 5 min",
        "2. Ana (opener) joins the plugin's voice channel",
        "   cancels the timer \"empty\"",
        "4. 4 min pass",
        "5. 1 min pass\n   the timer \"empty\" fires\n   deletes the voice channel",
        "   storage: voice:1 forgotten",
        "6. Ana (opener) joins the plugin's voice channel\n   ✗ the plugin has no voice channel",
        "7. Carla (staff) closes the ticket\n",
        "7 step(s), 0 failed",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }

    // The same script with a wrong expectation fails, says which, and exits non-zero.
    std::fs::write(
        &script,
        SCRIPT.replace(
            "\"timers\": [\"empty\"] } },\n    { \"voice\": \"join\"",
            "\"timers\": [\"other\"] } },\n    { \"voice\": \"join\"",
        ),
    )
    .unwrap();
    let (out, text) = plugin_try(&wasm, &script, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ expected the pending timers [other], found [empty]"),
        "{text}"
    );
    assert!(text.contains("7 step(s), 1 failed"), "{text}");
}

#[test]
fn flags_override_the_script_and_bad_choices_stop_before_any_step() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = voice_call(dir.path());
    let script = dir.path().join("voice.json");
    std::fs::write(&script, SCRIPT).unwrap();
    // Without timers granted, the press is refused as a whole (nothing is created).
    let (out, text) = plugin_try(
        &wasm,
        &script,
        &["--grant", "voice-channels,storage", "--locale", "en"],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("warning: asks for \"timers\" but is not granted it"),
        "{text}"
    );
    assert!(
        text.contains("✗ Voice call stopped because it needs the capability \"timers\""),
        "{text}"
    );
    // A language the bot does not speak is refused, not replaced.
    let (out, text) = plugin_try(&wasm, &script, &["--locale", "fr"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("unknown locale \"fr\"; use pt-BR or en"),
        "{text}"
    );
    // Settings the schema refuses stop the trial before its first step.
    let settings = dir.path().join("settings.toml");
    std::fs::write(&settings, "empty_after = \"forever\"\n").unwrap();
    let (out, text) = plugin_try(&wasm, &script, &["--settings", settings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot be enabled with these choices"),
        "{text}"
    );
    assert!(text.contains("settings.empty_after"), "{text}");
    assert!(!text.contains("1. "), "{text}");
    // A script with a mistake is placed in its file.
    std::fs::write(
        &script,
        "{\"steps\": [\n  {\"press\": \"call\", \"expect\": {\"replies\": \"x\"}}\n]}",
    )
    .unwrap();
    let (out, text) = plugin_try(&wasm, &script, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("{}:2:", script.display()))
            && text.contains("unknown field `replies`"),
        "{text}"
    );
}

#[test]
fn plugin_new_writes_a_crate_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .args(["plugin", "new"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["dice"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("cargo build --release --target wasm32-wasip2"),
        "{text}"
    );
    assert!(dir.path().join("dice/src/lib.rs").is_file());
    let out = run(&["dice"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = run(&["Dice_Roller"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot name a plugin"));
}
