//! The plugin host's costs: loading a plugin with and without the compiled cache, the host's
//! overhead per event (fresh store + instantiate + call + drop), and how fast a misbehaving
//! plugin is stopped.
//!
//! Run: `cargo bench -p ticketbot --bench plugin_host` (release build; prints a table).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ticketbot::capability::Capability;
use ticketbot::config::{PluginConfig, PluginSource};
use ticketbot::plugins::contract::{Context, Event, Ticket, User};
use ticketbot::plugins::{
    engine, load_one, CallScope, ComponentCache, HostServices, PluginInstance,
};

/// Storage for the benchmark: always empty, answered after `delay` (none for the overhead
/// figures, so they are the host's own).
struct NoStorage {
    delay: Duration,
}

impl HostServices for NoStorage {
    fn get(&self, _: u64, _: &str, _: &str, _: Duration) -> Result<Option<String>, String> {
        std::thread::sleep(self.delay);
        Ok(None)
    }
    fn member_roles(&self, _: u64, _: u64, _: Duration) -> Result<Option<Vec<u64>>, String> {
        std::thread::sleep(self.delay);
        Ok(Some(Vec::new()))
    }
    fn http(
        &self,
        _: u64,
        _: &str,
        _: &ticketbot::plugins::contract::HttpRequest,
    ) -> Result<ticketbot::plugins::contract::HttpResponse, String> {
        Err("no network here".into())
    }
}

fn plugin(id: &str, source: PluginSource, capabilities: &[&str]) -> PluginConfig {
    PluginConfig {
        id: id.into(),
        source,
        enabled: true,
        capabilities: capabilities
            .iter()
            .map(|c| Capability::parse(c).expect("a known capability"))
            .collect(),
        http_allow: Vec::new(),
        settings: toml::Table::new(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<46} n={:<6} median {:>10.1?}  p99 {:>10.1?}  min {:>10.1?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[0]
    );
}

fn context(settings: &str) -> Context {
    Context {
        guild_id: 1,
        locale: "en".into(),
        ticket: Some(Ticket {
            id: 7,
            number: 7,
            type_id: "support".into(),
            channel_id: 70,
            opener: 100,
            claimer: None,
            members: vec![],
            status_label: None,
            status: ticketbot::plugins::contract::TicketStatus::Open,
            closed_by: None,
            opened_at_ms: 1_700_000_000_000,
        }),
        user: Some(User {
            id: 200,
            name: "officer".into(),
            roles: vec![5],
            is_staff: true,
            is_approver: false,
        }),
        settings: settings.into(),
        now_ms: 1_700_000_000_000,
    }
}

fn main() {
    let engine = engine::build().expect("engine");
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "plugin host benchmark (wasmtime 48, {} CPUs)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Load: compile every time (no cache) versus read the cached compilation.
    for id in ["poke", "item-return", "voice-call", "ticket-actions"] {
        let config = plugin(id, PluginSource::Builtin(id.into()), &[]);
        let none = ComponentCache::new(None);
        let cold: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                load_one(&engine, &none, &config).expect("load");
                start.elapsed()
            })
            .collect();
        report(&format!("load {id}: compile (no cache)"), cold);
        let cache = ComponentCache::new(Some(dir.path().join("cache")));
        load_one(&engine, &cache, &config).expect("warm the cache");
        let warm: Vec<Duration> = (0..50)
            .map(|_| {
                let start = Instant::now();
                load_one(&engine, &cache, &config).expect("load");
                start.elapsed()
            })
            .collect();
        report(&format!("load {id}: from the cache"), warm);
    }

    // Per event: a fresh store, instantiate, call, drop.
    let services: Arc<dyn HostServices> = Arc::new(NoStorage {
        delay: Duration::ZERO,
    });
    let scope = CallScope {
        guild: 1,
        granted: Arc::from(vec![Capability::Dm, Capability::Storage]),
        services: Some(services),
    };
    let cache = ComponentCache::new(Some(dir.path().join("cache")));
    let (poke, _) = load_one(
        &engine,
        &cache,
        &plugin("poke", PluginSource::Builtin("poke".into()), &[]),
    )
    .unwrap();
    let settings = "{\"cooldown_seconds\":60}";
    let noop = context(settings);
    for _ in 0..200 {
        poke.handle(&scope, &noop, &Event::TicketClosed).unwrap();
    }
    let samples: Vec<Duration> = (0..5000)
        .map(|_| {
            let start = Instant::now();
            poke.handle(&scope, &noop, &Event::TicketClosed).unwrap();
            start.elapsed()
        })
        .collect();
    report("event: poke, ignored event (host overhead)", samples);
    let samples: Vec<Duration> = (0..5000)
        .map(|_| {
            let start = Instant::now();
            let outcome = poke
                .handle(&scope, &noop, &Event::Button("poke".into()))
                .unwrap();
            assert_eq!(outcome.value.effects.len(), 2);
            start.elapsed()
        })
        .collect();
    report("event: poke button (storage read, DM effect)", samples);

    // The same plugin as built for contract 0.1: its binding, and the conversions both ways.
    let (old, _) = load_one(
        &engine,
        &cache,
        &plugin(
            "poke",
            PluginSource::Path(ticketbot_test_guests::fixture("poke-0.1.0.wasm")),
            &[],
        ),
    )
    .unwrap();
    for _ in 0..200 {
        old.handle(&scope, &noop, &Event::TicketClosed).unwrap();
    }
    let samples: Vec<Duration> = (0..5000)
        .map(|_| {
            let start = Instant::now();
            let outcome = old
                .handle(&scope, &noop, &Event::Button("poke".into()))
                .unwrap();
            assert_eq!(outcome.value.effects.len(), 2);
            start.elapsed()
        })
        .collect();
    report("event: poke 0.1 build, button (converted)", samples);

    // Misbehaving: how long until the host stops it.
    let faulty_path = ticketbot_test_guests::path("faulty");
    let (faulty, _) = load_one(
        &engine,
        &cache,
        &plugin("faulty", PluginSource::Path(faulty_path), &[]),
    )
    .unwrap();
    for (button, runs) in [("loop", 20), ("memory", 20), ("trap", 200), ("panic", 200)] {
        let samples = stop_times(&faulty, &scope, button, runs);
        report(&format!("stopped: faulty {button}"), samples);
    }
    // And the next event is served normally.
    let ok = faulty
        .handle(&scope, &noop, &Event::Button("ok".into()))
        .unwrap();
    assert!(ok.value.reply.is_some());

    // A handler whose host read waits 300 ms (a slow Discord): the wait is not the plugin's
    // time, so it is never stopped for it.
    let slow = CallScope {
        guild: 1,
        granted: Arc::from(vec![Capability::ReadMembers]),
        services: Some(Arc::new(NoStorage {
            delay: Duration::from_millis(300),
        })),
    };
    let samples: Vec<Duration> = (0..10)
        .map(|_| {
            let start = Instant::now();
            let outcome = faulty
                .handle(&slow, &noop, &Event::Button("slow-read".into()))
                .expect("a wait on the host never stops a plugin");
            assert!(outcome.value.reply.is_some());
            start.elapsed()
        })
        .collect();
    report("event: a read waiting 300 ms on the host", samples);
}

fn stop_times(
    plugin: &PluginInstance,
    scope: &CallScope,
    button: &str,
    runs: usize,
) -> Vec<Duration> {
    let ctx = context("{}");
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            assert!(plugin
                .handle(scope, &ctx, &Event::Button(button.into()))
                .is_err());
            start.elapsed()
        })
        .collect()
}
