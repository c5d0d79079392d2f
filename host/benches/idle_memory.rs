//! Idle memory of the real `ticketbot run` process with the four built-in plugins loaded,
//! connected (through `DISCORD_API_BASE`) to the Discord emulator running in this process.
//!
//! Run: `cargo bench -p ticketbot --bench idle_memory`.

use std::time::Duration;

use ticketbot::demo::DemoWorld;
use ticketbot_emulator::Emulator;

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::start().await.unwrap();
        let mut world = DemoWorld::create(&emulator);
        world.plugins.truncate(4);
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let bare = dir.path().join("bare.toml");
        let text = world.config_toml(
            &dir.path().join("bot.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            "en",
        );
        std::fs::write(&config, text).unwrap();
        world.plugins.clear();
        let text = world.config_toml(
            &dir.path().join("bare.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            "en",
        );
        std::fs::write(&bare, text).unwrap();
        for (round, config) in [
            ("no plugins (for comparison)", &bare),
            ("4 plugins, first start (compiled)", &config),
            ("4 plugins, restart (from the cache)", &config),
        ] {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ticketbot"))
                .args(["run", "--config"])
                .arg(config)
                .env("DISCORD_TOKEN", emulator.token())
                .env("DISCORD_API_BASE", emulator.api_base())
                .env("RUST_LOG", "warn")
                .spawn()
                .unwrap();
            let identified = emulator.gateway_stats().identifies + 1;
            emulator
                .wait_for_identify(identified, Duration::from_secs(60))
                .await
                .unwrap();
            // Let start-up work (command registration, resume, timers) settle.
            tokio::time::sleep(Duration::from_secs(3)).await;
            println!(
                "{round:<36} idle RSS {:>6.1} MB (peak {:>6.1} MB)",
                rss_kib(child.id(), "VmRSS:") as f64 / 1024.0,
                rss_kib(child.id(), "VmHWM:") as f64 / 1024.0
            );
            // SAFETY: sending SIGINT to our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            child.wait().unwrap();
        }
    });
}
