//! The transcript server under load on loopback: requests per second and latency for stored
//! transcripts, with 64 concurrent keep-alive clients on the same 2 cores as the server.
//!
//! Run: `cargo bench -p ticketbot --bench transcript_server`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use ticketbot::locale::{texts_for, Locale};
use ticketbot::store::{Store, StoredTranscript};
use ticketbot::transcript::model::Names;
use ticketbot::web::WebServer;

const PAGES: usize = 1_000;
const CLIENTS: usize = 64;
const RUN: Duration = Duration::from_secs(5);

fn page(i: usize) -> String {
    let messages: Vec<_> = (0..150)
        .map(|m| {
            json!({"id": (m + 1).to_string(), "type": 0, "timestamp": "2026-11-20T10:00:00+00:00",
                   "author": {"id": "100", "username": format!("player{i}")},
                   "content": format!("message {m} of ticket {i}: **help**, my car <t:1763633000:R> `plate {i}`")})
        })
        .collect();
    let texts = texts_for(Locale::En, &Default::default());
    ticketbot::transcript::render_offline(
        &json!(messages),
        &Names::default(),
        &format!("Ticket #{i}"),
        &texts,
        "en",
    )
    .unwrap()
}

fn token(i: usize) -> String {
    format!("{:032}", i)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("bench.duckdb")).await.unwrap();
        let mut raw = 0;
        let mut stored = 0;
        for i in 0..PAGES {
            let html = page(i);
            let body = ticketbot::transcript::compress(&html);
            raw += html.len();
            stored += body.len();
            store.save_transcript(i as i64 + 1, &token(i), StoredTranscript { encoding: "gzip".into(), body, legacy: false }).await.unwrap();
        }
        println!(
            "{PAGES} stored transcripts, {:.0} KB each ({:.1} KB gzip as stored)",
            raw as f64 / PAGES as f64 / 1024.0,
            stored as f64 / PAGES as f64 / 1024.0
        );
        let web = ticketbot::config::WebConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: String::new(),
            metrics_listen: None,
            metrics_token: None,
            dashboard: None,
            limits: ticketbot::config::WebLimits::default(),
        };
        let server = WebServer::start(&web, store.clone(), None).await.unwrap();
        let base = format!("http://{}", server.addr());
        for (name, spread) in [("one hot transcript", 1usize), ("1,000 transcripts, uniformly", PAGES)] {
            let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
            let started = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..CLIENTS {
                let (base, latencies) = (base.clone(), latencies.clone());
                tasks.push(tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut mine = Vec::new();
                    let mut i = c;
                    while started.elapsed() < RUN {
                        i = (i * 7919 + 13) % spread;
                        let at = Instant::now();
                        let response = client
                            .get(format!("{base}/api/ticket/{}", token(i)))
                            .header("accept-encoding", "gzip")
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(response.status(), 200);
                        response.bytes().await.unwrap();
                        mine.push(at.elapsed());
                    }
                    latencies.lock().unwrap().extend(mine);
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
            let elapsed = started.elapsed();
            let mut all = latencies.lock().unwrap().clone();
            all.sort();
            let pick = |p: f64| all[((all.len() - 1) as f64 * p) as usize];
            println!(
                "{name:<30} {:>8.0} requests/s   p50 {:>8.2?}   p99 {:>8.2?}   ({} requests, {CLIENTS} clients)",
                all.len() as f64 / elapsed.as_secs_f64(),
                pick(0.5),
                pick(0.99),
                all.len()
            );
        }
        server.stop().await;
        store.close().await;
    });
}
