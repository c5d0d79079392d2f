//! The transcript server under abuse, on loopback with everything on the same 2 cores: how a
//! normal reader (from 127.0.0.2) fares while an attacker (from 127.0.0.1) holds 1,000
//! half-open connections, runs 200 slowloris connections, or floods wrong transcript links.
//! The server runs with its default limits.
//!
//! Run: `cargo bench -p ticketbot --bench web_abuse`.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use ticketbot::config::{WebConfig, WebLimits};
use ticketbot::store::{Store, StoredTranscript};
use ticketbot::web::WebServer;

const RUN: Duration = Duration::from_secs(5);
const READERS: usize = 8;

async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0))?;
    socket.connect(to).await
}

/// `READERS` readers from 127.0.0.2 fetching a real transcript for `RUN`: requests per second,
/// p50, p99 and failures.
async fn readers(addr: SocketAddr, path: &str) -> (f64, Duration, Duration, u64) {
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..READERS {
        let (path, failures) = (path.to_owned(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut mine = Vec::new();
            while started.elapsed() < RUN {
                let at = Instant::now();
                match client.get(format!("http://{addr}{path}")).send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        mine.push(at.elapsed());
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let pick = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    (
        all.len() as f64 / started.elapsed().as_secs_f64(),
        pick(0.5),
        pick(0.99),
        failures.load(Ordering::Relaxed),
    )
}

fn report(name: &str, (rate, p50, p99, failed): (f64, Duration, Duration, u64), extra: &str) {
    println!(
        "{name:<34} reader {rate:>7.0} req/s  p50 {p50:>9.2?}  p99 {p99:>9.2?}  failed {failed:>3}  {extra}"
    );
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
        let html = "<!doctype html><p>".to_owned() + &"a transcript line<br>".repeat(2000);
        let body = ticketbot::transcript::compress(&html);
        let token = format!("{:032}", 7);
        store
            .save_transcript(
                1,
                &token,
                StoredTranscript {
                    encoding: "gzip".into(),
                    body,
                    legacy: false,
                },
            )
            .await
            .unwrap();
        let web = WebConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: String::new(),
            metrics_listen: None,
            metrics_token: None,
            dashboard: None,
            limits: WebLimits::default(),
        };
        let server = WebServer::start(&web, store.clone(), None).await.unwrap();
        let addr = server.addr();
        let path = format!("/api/ticket/{token}");
        println!(
            "the web server under abuse; default limits {:?}",
            web.limits
        );

        report("quiet", readers(addr, &path).await, "");

        // 1,000 half-open connections, reopened as the server closes them.
        let stop = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicU64::new(0));
        let holder = {
            let (stop, opened) = (stop.clone(), opened.clone());
            tokio::spawn(async move {
                let mut held: Vec<TcpStream> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    held.retain(|s| s.peer_addr().is_ok());
                    while held.len() < 1000 {
                        match connect_from("127.0.0.1", addr).await {
                            Ok(s) => {
                                held.push(s);
                                opened.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => break,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let result = readers(addr, &path).await;
        stop.store(true, Ordering::Relaxed);
        holder.await.unwrap();
        report(
            "1,000 half-open connections",
            result,
            &format!(
                "(attacker opened {} connections)",
                opened.load(Ordering::Relaxed)
            ),
        );

        // 200 slowloris connections, each dribbling a header byte every 500 ms.
        let stop = Arc::new(AtomicBool::new(false));
        let mut lorises = Vec::new();
        for _ in 0..200 {
            let stop = stop.clone();
            lorises.push(tokio::spawn(async move {
                let mut cut_off = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = connect_from("127.0.0.1", addr).await else {
                        break;
                    };
                    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return cut_off;
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        if s.write_all(b"X").await.is_err() {
                            cut_off += 1;
                            break;
                        }
                    }
                }
                cut_off
            }));
        }
        let result = readers(addr, &path).await;
        stop.store(true, Ordering::Relaxed);
        let mut cut = 0;
        for l in lorises {
            cut += l.await.unwrap();
        }
        report(
            "200 slowloris connections",
            result,
            &format!("({cut} cut off by the header timeout)"),
        );

        // A flood of wrong links: 32 concurrent guessers as fast as they can.
        let stop = Arc::new(AtomicBool::new(false));
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let mut guessers = Vec::new();
        for g in 0..32u64 {
            let (stop, counts) = (stop.clone(), counts.clone());
            guessers.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let guess = format!("{:032}", 1_000_000 + g * 1_000_000 + n);
                    let status = client
                        .get(format!("http://{addr}/api/ticket/{guess}"))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    let slot = match status {
                        404 => 0,
                        429 => 1,
                        _ => 2,
                    };
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let started = Instant::now();
        let result = readers(addr, &path).await;
        stop.store(true, Ordering::Relaxed);
        for g in guessers {
            g.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let (missed, limited, other) = (
            counts[0].load(Ordering::Relaxed),
            counts[1].load(Ordering::Relaxed),
            counts[2].load(Ordering::Relaxed),
        );
        report(
            "wrong-link flood (32 guessers)",
            result,
            &format!(
                "(flood {:.0} req/s: {missed} got 404, {limited} got 429, {other} other)",
                (missed + limited + other) as f64 / secs
            ),
        );
        server.stop().await;
        store.close().await;
    });
}
