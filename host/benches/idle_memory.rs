//! Idle memory of the real `ticketbot run` process with the four built-in plugins loaded,
//! connected (through `DISCORD_API_BASE`) to the Discord emulator running in this process.
//!
//! Run: `cargo bench -p ticketbot --bench idle_memory`.

use std::time::Duration;

use ticketbot::demo::DemoWorld;
use ticketbot_emulator::Emulator;

mod support;

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident memory per mapping kind (the binary, anonymous memory, heap, other files), in KiB,
/// largest first: where the idle RSS goes.
fn rss_by_mapping(pid: u32) -> Vec<(String, u64)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut totals: std::collections::BTreeMap<String, u64> = Default::default();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping header: address perms offset dev inode [path].
            let perms = fields.next().unwrap_or_default().to_owned();
            let path = fields.nth(3).unwrap_or("");
            current = match path {
                "" => "anonymous".to_owned(),
                p if p.starts_with('[') => p.to_owned(),
                p if p.starts_with("/memfd:") => "memfd (wasm images)".to_owned(),
                p => {
                    let name = p.rsplit('/').next().unwrap_or(p);
                    let kind = if perms.contains('x') { "code" } else { "data" };
                    format!("{name} ({kind})")
                }
            };
        } else if first == "Rss:" {
            let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *totals.entry(current.clone()).or_default() += kib;
        }
    }
    let mut sorted: Vec<_> = totals.into_iter().filter(|(_, k)| *k > 0).collect();
    sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    sorted
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
            let before = emulator.gateway_stats().identifies;
            let child = support::spawn_bot(config, &emulator, "warn");
            support::identified(&emulator, before).await;
            // Let start-up work (command registration, resume, timers) settle.
            tokio::time::sleep(Duration::from_secs(3)).await;
            println!(
                "{round:<36} idle RSS {:>6.1} MB (peak {:>6.1} MB)",
                rss_kib(child.id(), "VmRSS:") as f64 / 1024.0,
                rss_kib(child.id(), "VmHWM:") as f64 / 1024.0
            );
            let parts: Vec<String> = rss_by_mapping(child.id())
                .into_iter()
                .take(5)
                .map(|(what, kib)| format!("{what} {:.1}", kib as f64 / 1024.0))
                .collect();
            println!(
                "{:<36} {} threads; MB by mapping: {}",
                "",
                rss_kib(child.id(), "Threads:"),
                parts.join(", ")
            );
            child.stop();
        }
    });
}
