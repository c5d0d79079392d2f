//! Process metrics in Prometheus' text format (`/metrics`): interactions handled and how long
//! their answer took, plugin events and failures, transcripts stored, Discord errors. Plain
//! atomics, so counting never waits.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

/// Upper bounds (seconds) of the answer-latency histogram.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The process's metrics.
pub struct Metrics {
    interactions: AtomicU64,
    interaction_failures: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_micros: AtomicU64,
    plugin_events: AtomicU64,
    plugin_failures: AtomicU64,
    transcripts_stored: AtomicU64,
    discord_errors: AtomicU64,
    tickets_opened: AtomicU64,
    connections_refused: AtomicU64,
    transcript_misses_limited: AtomicU64,
}

/// The one instance.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    interactions: AtomicU64::new(0),
    interaction_failures: AtomicU64::new(0),
    latency_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
    latency_sum_micros: AtomicU64::new(0),
    plugin_events: AtomicU64::new(0),
    plugin_failures: AtomicU64::new(0),
    transcripts_stored: AtomicU64::new(0),
    discord_errors: AtomicU64::new(0),
    tickets_opened: AtomicU64::new(0),
    connections_refused: AtomicU64::new(0),
    transcript_misses_limited: AtomicU64::new(0),
});

impl Metrics {
    /// An interaction was answered (`ok`) or its answer failed, after `took`.
    pub fn interaction(&self, took: Duration, ok: bool) {
        self.interactions.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.interaction_failures.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// A plugin handled an event, or failed to.
    pub fn plugin_event(&self, failed: bool) {
        self.plugin_events.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.plugin_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A transcript was stored.
    pub fn transcript_stored(&self) {
        self.transcripts_stored.fetch_add(1, Ordering::Relaxed);
    }

    /// A Discord call failed for good.
    pub fn discord_error(&self) {
        self.discord_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A ticket channel was created.
    pub fn ticket_opened(&self) {
        self.tickets_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// The web server closed a connection at once: too many were open.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A client that missed too often was told to wait.
    pub fn miss_limited(&self) {
        self.transcript_misses_limited
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            );
        };
        counter(
            "ticketbot_interactions_total",
            "Interactions answered or failed.",
            get(&self.interactions),
        );
        counter(
            "ticketbot_interaction_failures_total",
            "Interactions whose answer Discord did not accept.",
            get(&self.interaction_failures),
        );
        counter(
            "ticketbot_plugin_events_total",
            "Events handled by plugins.",
            get(&self.plugin_events),
        );
        counter(
            "ticketbot_plugin_failures_total",
            "Plugin events that trapped, timed out or were refused.",
            get(&self.plugin_failures),
        );
        counter(
            "ticketbot_transcripts_stored_total",
            "Transcripts stored.",
            get(&self.transcripts_stored),
        );
        counter(
            "ticketbot_discord_errors_total",
            "Discord calls that failed after their retries.",
            get(&self.discord_errors),
        );
        counter(
            "ticketbot_tickets_opened_total",
            "Ticket channels created.",
            get(&self.tickets_opened),
        );
        counter(
            "ticketbot_web_connections_refused_total",
            "Connections closed at once because the web server had its maximum open.",
            get(&self.connections_refused),
        );
        counter(
            "ticketbot_web_misses_limited_total",
            "Transcript requests refused (429) because the client missed too often.",
            get(&self.transcript_misses_limited),
        );
        let name = "ticketbot_interaction_answer_seconds";
        let _ = write!(out, "# HELP {name} Time from receiving an interaction to Discord accepting its answer.\n# TYPE {name} histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let count = get(&self.interactions);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}
