//! Copying every table from one store to another (`ticketbot store copy`): DuckDB to
//! PostgreSQL when a host grows, and back. Rows go over in batches in key order and are
//! written as upserts, so a copy that stopped midway is simply run again; afterwards each
//! table's row count and checksum are compared on both sides.

use sha2::{Digest, Sha256};

use super::sql::{upsert, Db, Row, Value};
use super::{Store, StoreError};

/// Every table and its key, in no particular order (the schema has no foreign keys).
/// A test checks the list against the schema, so a new table cannot be forgotten.
pub const TABLES: &[(&str, &[&str])] = &[
    ("panels", &["guild_id"]),
    ("tickets", &["id"]),
    ("ticket_messages", &["ticket_id", "message_id"]),
    ("ticket_members", &["ticket_id", "user_id"]),
    ("notes", &["id"]),
    ("transcripts", &["token_hash"]),
    ("plugin_kv", &["guild_id", "plugin", "key"]),
    ("events", &["id"]),
    ("plugin_messages", &["channel_id", "message_id"]),
    ("plugin_timers", &["guild_id", "plugin", "ticket_id", "key"]),
    ("plugin_channels", &["channel_id"]),
    ("files", &["hash"]),
    ("ticket_files", &["ticket_id", "url"]),
    ("staff_seen", &["guild_id", "user_id"]),
    ("blacklist", &["guild_id", "kind", "target_id"]),
    ("close_requests", &["ticket_id"]),
    ("ticket_feedback", &["ticket_id"]),
    ("web_sessions", &["id_hash"]),
    ("guild_plugin_choices", &["guild_id", "plugin"]),
    ("guild_changes", &["id"]),
    ("plugin_blobs", &["hash"]),
    ("guild_uploads", &["guild_id", "plugin"]),
    ("guild_layers", &["guild_id"]),
    ("guild_layer_changes", &["id"]),
];

/// The sequences behind generated ids, and the column each feeds: after a copy each is moved
/// past the ids copied, so new rows never reuse one.
const SEQUENCES: &[(&str, &str, &str)] = &[
    ("ticket_ids", "tickets", "id"),
    ("note_ids", "notes", "id"),
    ("event_ids", "events", "id"),
    ("guild_change_ids", "guild_changes", "id"),
    ("guild_layer_change_ids", "guild_layer_changes", "id"),
];

/// Rows per batch (attachments and transcript pages make rows large).
const BATCH: usize = 200;

/// What a copy did to one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedTable {
    /// The table.
    pub table: &'static str,
    /// Rows in the source.
    pub rows: u64,
    /// The checksum of its rows (the same on both sides after a good copy).
    pub checksum: String,
}

/// The table's columns, in their order.
fn columns(db: &mut dyn Db, table: &str) -> Result<Vec<String>, StoreError> {
    db.query_map(
        "SELECT CAST(column_name AS VARCHAR) FROM information_schema.columns \
         WHERE table_name = CAST(? AS VARCHAR) ORDER BY ordinal_position",
        super::sql::params![table],
        |row| row.get(0),
    )
}

/// `Value` in one form whichever backend read it (an id is its bits, a moment its
/// microseconds), for checksums.
fn canonical(value: &Value, out: &mut Sha256) {
    match value {
        Value::Null => out.update(b"n"),
        Value::Bool(b) => out.update([b'b', u8::from(*b)]),
        Value::Int(n) => {
            out.update(b"i");
            out.update(n.to_le_bytes());
        }
        Value::U64(n) => {
            out.update(b"i");
            out.update((*n as i64).to_le_bytes());
        }
        Value::Real(x) => {
            out.update(b"r");
            out.update(x.to_le_bytes());
        }
        Value::Text(text) => {
            out.update(b"t");
            out.update((text.len() as u64).to_le_bytes());
            out.update(text.as_bytes());
        }
        Value::Bytes(bytes) => {
            out.update(b"x");
            out.update((bytes.len() as u64).to_le_bytes());
            out.update(bytes);
        }
        Value::Time(at) => {
            out.update(b"m");
            out.update(at.timestamp_micros().to_le_bytes());
        }
        Value::Date(day) => {
            out.update(b"d");
            out.update(day.to_string().as_bytes());
        }
    }
}

/// Reads `table` in key order, `BATCH` rows at a time from row `offset`.
fn batch(
    db: &mut dyn Db,
    table: &str,
    columns: &[String],
    key: &[&str],
    offset: usize,
) -> Result<Vec<Row>, StoreError> {
    db.rows(
        &format!(
            "SELECT {} FROM {table} ORDER BY {} LIMIT {BATCH} OFFSET {offset}",
            columns.join(", "),
            key.join(", ")
        ),
        &[],
    )
}

/// Row count and checksum of `table` on `store`.
async fn summary(
    store: &Store,
    table: &'static str,
    key: &'static [&'static str],
) -> Result<CopiedTable, StoreError> {
    let columns = store.read(move |db| columns(db, table)).await?;
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    loop {
        let names = columns.clone();
        let offset = rows as usize;
        let found = store
            .read(move |db| batch(db, table, &names, key, offset))
            .await?;
        for row in &found {
            for value in &row.0 {
                canonical(value, &mut hash);
            }
        }
        rows += found.len() as u64;
        if found.len() < BATCH {
            break;
        }
    }
    Ok(CopiedTable {
        table,
        rows,
        checksum: hex::encode(hash.finalize()),
    })
}

/// Copies every table of `from` into `to` (rows already there with the same key are
/// replaced: `to` is empty or an earlier copy of `from`), moves `to`'s id sequences past the copied ids, then compares each table's
/// count and checksum; a difference is an error naming the table.
pub async fn copy(from: &Store, to: &Store) -> Result<Vec<CopiedTable>, StoreError> {
    for (table, key) in TABLES {
        let (table, key) = (*table, *key);
        let columns = from.read(move |db| columns(db, table)).await?;
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let insert = upsert(table, &names, key);
        let mut offset = 0;
        loop {
            let read = columns.clone();
            let rows = from
                .read(move |db| batch(db, table, &read, key, offset))
                .await?;
            let count = rows.len();
            let insert = insert.clone();
            to.call(move |db| {
                db.transaction(|tx| {
                    for row in &rows {
                        tx.execute(&insert, &row.0)?;
                    }
                    Ok(())
                })
            })
            .await?;
            offset += count;
            if count < BATCH {
                break;
            }
        }
    }
    to.call(|db| {
        for (sequence, table, column) in SEQUENCES {
            let highest: i64 = db.query_row(
                &format!("SELECT coalesce(max({column}), 0) FROM {table}"),
                &[],
                |row| row.get(0),
            )?;
            advance(db, sequence, highest)?;
        }
        Ok(())
    })
    .await?;
    // The copy's own index of transcript tokens learns the pages written around it.
    to.reindex_tokens().await?;
    let mut report = Vec::new();
    for (table, key) in TABLES {
        let source = summary(from, table, key).await?;
        let copied = summary(to, table, key).await?;
        if source != copied {
            return Err(StoreError::Query(format!(
                "{table}: {} rows (checksum {}) in the source, {} rows (checksum {}) in the copy; \
                 run the copy again, into an empty database or an earlier copy of this one",
                source.rows,
                &source.checksum[..12],
                copied.rows,
                &copied.checksum[..12]
            )));
        }
        report.push(source);
    }
    Ok(report)
}

/// Moves `sequence` so its next value is above `highest`.
fn advance(db: &mut dyn Db, sequence: &str, highest: i64) -> Result<(), StoreError> {
    match db.dialect() {
        super::sql::Dialect::Postgres => {
            if highest > 0 {
                db.execute(
                    &format!("SELECT setval('{sequence}', ?)"),
                    &[Value::Int(highest)],
                )?;
            }
        }
        // DuckDB cannot set a sequence: draw values until it is past the copied ids.
        super::sql::Dialect::DuckDb => loop {
            let next: i64 = db.query_row(&format!("SELECT nextval('{sequence}')"), &[], |row| {
                row.get(0)
            })?;
            if next > highest {
                break;
            }
        },
    }
    Ok(())
}
