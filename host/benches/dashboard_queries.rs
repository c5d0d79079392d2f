//! The dashboard on a big history: a DuckDB file with 100,000 closed tickets of one guild (and
//! 20,000 of another), 8 captured messages each, then the queries behind the ticket list, a
//! filtered list, a text search over the messages and the per-day counts, each timed as the
//! web server runs them (through `Store::read`).
//!
//! Run: `cargo bench -p ticketbot --bench dashboard_queries`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ticketbot::store::{Store, TicketFilter, TicketState};

const GUILD: u64 = 1_000;
const OTHER: u64 = 2_000;
const TICKETS: i64 = 100_000;
const OTHER_TICKETS: i64 = 20_000;
const MESSAGES: i64 = 8;
const RUNS: usize = 30;

const WORDS: &[&str] = &[
    "carro",
    "sumiu",
    "perto",
    "do",
    "pier",
    "a",
    "equipe",
    "vai",
    "verificar",
    "os",
    "logs",
    "itens",
    "devolvidos",
    "obrigado",
    "bug",
    "na",
    "garagem",
    "dinheiro",
    "banco",
    "policia",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>, rows: u64) {
    samples.sort();
    println!(
        "{name:<44} n={:<3} median {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  ({rows} matching)",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

/// Fills the (migrated, closed) file with the tickets and their messages, with DuckDB's
/// appender.
fn fill(path: &std::path::Path) {
    let mut db = duckdb::Connection::open(path).expect("the benchmark's file opens");
    (|| -> duckdb::Result<()> {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let tx = db.transaction()?;
        {
            let mut tickets = tx.appender("tickets")?;
            let mut messages = tx.appender("ticket_messages")?;
            let mut message_id: u64 = 1;
            for id in 1..=(TICKETS + OTHER_TICKETS) {
                let (guild, number) = if id <= TICKETS {
                    (GUILD, id)
                } else {
                    (OTHER, id - TICKETS)
                };
                // Spread over 500 days, a few minutes to a few days long.
                let opened = start + chrono::Duration::minutes(id * 7 % (500 * 24 * 60));
                let closed = opened + chrono::Duration::minutes(5 + id * 13 % 4000);
                let opener = 10_000 + (id as u64 % 5_000);
                let staff = 1 + (id as u64 % 12);
                let type_id = ["support", "report", "appeal"][id as usize % 3];
                tickets.append_row(duckdb::params![
                    id,
                    guild,
                    number as i32,
                    type_id,
                    Option::<u64>::None,
                    opener,
                    "closed",
                    Some(staff),
                    opened,
                    Some(closed),
                    Some(staff),
                    Some("resolvido"),
                    Option::<chrono::DateTime<Utc>>::None,
                    Option::<u64>::None,
                    "",
                    Option::<String>::None,
                    Option::<String>::None,
                ])?;
                for m in 0..MESSAGES {
                    let mut text: Vec<&str> = (0..12)
                        .map(|w| WORDS[((id * 31 + m * 7 + w * 3) % WORDS.len() as i64) as usize])
                        .collect();
                    // A rare word: in one ticket out of a thousand.
                    if id % 1_000 == 0 && m == 3 {
                        text.push("espada-dourada");
                    }
                    let author = if m % 2 == 0 { opener } else { staff };
                    messages.append_row(duckdb::params![
                        id,
                        message_id,
                        author,
                        format!("user{author}"),
                        false,
                        text.join(" "),
                        "[]",
                        "[]",
                        opened + chrono::Duration::seconds(m * 60),
                        Option::<chrono::DateTime<Utc>>::None,
                        false,
                        Option::<String>::None,
                    ])?;
                    message_id += 1;
                }
            }
        }
        tx.commit()?;
        Ok(())
    })()
    .expect("filling the store");
}

async fn time<F, Fut>(runs: usize, mut query: F) -> (Vec<Duration>, u64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let mut samples = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        rows = query().await;
        samples.push(started.elapsed());
    }
    (samples, rows)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.duckdb");
    let store = Store::open(&path).await.unwrap();
    let columns: Vec<String> = store
        .call(|db| {
            db.query_map(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets' ORDER BY ordinal_position",
                &[],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        columns.len(),
        17,
        "the fill matches the tickets table: {columns:?}"
    );
    store.close().await;
    let started = Instant::now();
    fill(&path);
    let store = Store::open(&path).await.unwrap();
    println!(
        "dashboard queries benchmark (DuckDB, 2 CPUs): {} + {} closed tickets, {} messages, filled in {:.1?}",
        TICKETS,
        OTHER_TICKETS,
        (TICKETS + OTHER_TICKETS) * MESSAGES,
        started.elapsed()
    );
    // Reopen, as a restarted bot would find the file.
    store.close().await;
    let store = Store::open(&path).await.unwrap();
    // One warm-up of each, then the runs.
    let list = |filter: TicketFilter, offset: u64| {
        let store = store.clone();
        async move {
            store
                .dashboard_tickets(GUILD, filter, offset, 50)
                .await
                .unwrap()
                .total
        }
    };
    let filtered = TicketFilter {
        type_id: Some("report".into()),
        state: Some(TicketState::Closed),
        from: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
        to: chrono::NaiveDate::from_ymd_opt(2025, 6, 30),
        claimer: Some(5),
        ..Default::default()
    };
    let search = |text: &str| TicketFilter {
        text: Some(text.into()),
        ..Default::default()
    };
    for (name, filter, offset) in [
        ("list: newest 50 of 100,000", TicketFilter::default(), 0),
        (
            "list: page 1,000 (offset 49,950)",
            TicketFilter::default(),
            49_950,
        ),
        (
            "filtered: type, status, dates, claimer",
            filtered.clone(),
            0,
        ),
        (
            "search: a rare word (1 ticket in 1,000)",
            search("ESPADA-DOURADA"),
            0,
        ),
        ("search: a common word", search("garagem"), 0),
        ("search: nothing matches", search("helicoptero"), 0),
        (
            "search + filters",
            TicketFilter {
                text: Some("banco".into()),
                ..filtered.clone()
            },
            0,
        ),
    ] {
        list(filter.clone(), offset).await;
        let (samples, rows) = time(RUNS, || list(filter.clone(), offset)).await;
        report(name, samples, rows);
    }
    let (samples, rows) = time(RUNS, || {
        let store = store.clone();
        async move { store.daily_counts(GUILD, 30).await.unwrap().len() as u64 }
    })
    .await;
    report("per-day counts (30 days)", samples, rows);
    let (samples, rows) = time(RUNS, || {
        let store = store.clone();
        async move {
            store
                .user_names(GUILD, (10_000..10_050).collect())
                .await
                .unwrap()
                .len() as u64
        }
    })
    .await;
    report("names of a page's 50 people", samples, rows);
    store.close().await;
}
