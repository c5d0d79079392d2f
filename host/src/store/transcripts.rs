//! Stored transcript pages, found by the hash of their token (the token itself is never stored).
//! Lookups run on the web server's own connection; a token whose hash the in-memory index does
//! not know is a miss without a query. On a shared database (PostgreSQL) other processes store
//! pages too: a miss then first reads the hashes stored since the index last looked, at most a
//! few times a second however many misses arrive.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::sql::{params, upsert, Db};
use super::{Store, StoreError};

/// The least time between two reads of newly stored hashes (on a shared database).
const REFRESH_EVERY: Duration = Duration::from_millis(250);

/// How far before the newest page it has seen a refresh reads again: a page is stamped by the
/// clock of the process that stores it, before its commit, so another process's page can
/// become visible with a stamp older than one already seen (a slow commit, or a machine whose
/// clock is behind by less than this).
const LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The first 8 bytes of every stored token hash: a miss (the usual answer to a guess) costs a
/// hash and a set lookup; a hit, or one of the rare prefixes shared by chance, asks the
/// database. About 16 bytes a transcript in memory.
pub(super) struct TokenIndex {
    prefixes: RwLock<HashSet<u64>>,
    /// On a shared database: when the index last read new hashes, and the newest `created_at`
    /// it had then (pages stored by other processes since then, or stamped up to [`LOOKBACK`]
    /// before it, may not be in it yet).
    refreshed: Option<tokio::sync::Mutex<(Instant, DateTime<Utc>)>>,
}

fn prefix(hash: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(hash) {
        *to = *from;
    }
    u64::from_le_bytes(bytes)
}

/// The hashes of pages stored since `since`, and the newest such moment.
fn hashes_since(
    db: &mut dyn Db,
    since: DateTime<Utc>,
) -> Result<(Vec<u64>, DateTime<Utc>), StoreError> {
    let rows = db.query_map(
        "SELECT token_hash, created_at FROM transcripts WHERE created_at >= ?",
        params![since],
        |row| {
            Ok((
                prefix(&row.get::<Vec<u8>>(0)?),
                row.get::<DateTime<Utc>>(1)?,
            ))
        },
    )?;
    let newest = rows.iter().map(|(_, at)| *at).max().unwrap_or(since);
    Ok((rows.into_iter().map(|(p, _)| p).collect(), newest))
}

impl TokenIndex {
    /// Reads every stored token hash; `shared` when other processes store pages too.
    pub(super) fn load(db: &mut dyn Db, shared: bool) -> Result<Self, StoreError> {
        let (prefixes, newest) = hashes_since(db, DateTime::<Utc>::UNIX_EPOCH)?;
        Ok(Self {
            prefixes: RwLock::new(prefixes.into_iter().collect()),
            refreshed: shared.then(|| tokio::sync::Mutex::new((Instant::now(), newest))),
        })
    }

    fn may_exist(&self, hash: &[u8]) -> bool {
        // A poisoned lock only means a writer panicked mid-insert of a u64: the set is intact.
        let prefixes = self.prefixes.read().unwrap_or_else(|p| p.into_inner());
        prefixes.contains(&prefix(hash))
    }

    fn insert(&self, hash: &[u8]) {
        let mut prefixes = self.prefixes.write().unwrap_or_else(|p| p.into_inner());
        prefixes.insert(prefix(hash));
    }
}

impl Store {
    /// Reads every stored token hash into the index again (after rows were written around it,
    /// by a copy).
    pub(super) async fn reindex_tokens(&self) -> Result<(), StoreError> {
        let (found, _) = self
            .read(|db| hashes_since(db, DateTime::<Utc>::UNIX_EPOCH))
            .await?;
        self.tokens
            .prefixes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(found);
        Ok(())
    }

    /// Whether a page with `hash` may exist: the index says so, or (on a shared database) it
    /// does once the index has read what other processes stored before this question.
    async fn may_have_hash(&self, hash: &[u8]) -> Result<bool, StoreError> {
        if self.tokens.may_exist(hash) {
            return Ok(true);
        }
        let Some(refreshed) = &self.tokens.refreshed else {
            return Ok(false);
        };
        let asked = Instant::now();
        let mut last = refreshed.lock().await;
        if last.0 > asked {
            // Someone read the new hashes after this question came: their answer holds.
            return Ok(self.tokens.may_exist(hash));
        }
        let wait = REFRESH_EVERY.saturating_sub(last.0.elapsed());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let started = Instant::now();
        let since = last.1 - LOOKBACK;
        let (found, newest) = self.read(move |db| hashes_since(db, since)).await?;
        let newest = newest.max(last.1);
        self.tokens
            .prefixes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(found);
        *last = (started, newest);
        Ok(self.tokens.may_exist(hash))
    }
}

/// A stored page as it is kept: already compressed, served as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTranscript {
    /// Content encoding of `body`: `identity`, `gzip`, `deflate` or `br`.
    pub encoding: String,
    /// The page bytes in that encoding.
    pub body: Vec<u8>,
    /// A page imported from the original bot: its HTML is untrusted and served under a
    /// stricter policy (no script at all).
    pub legacy: bool,
}

/// The hash under which a transcript token is stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Store {
    /// Whether a transcript with `token` may exist (false: it certainly does not).
    pub async fn may_have_transcript(&self, token: &str) -> Result<bool, StoreError> {
        self.may_have_hash(&token_hash(token)).await
    }

    /// The transcript for `token`, if any.
    pub async fn transcript(&self, token: &str) -> Result<Option<StoredTranscript>, StoreError> {
        let hash = token_hash(token);
        if !self.may_have_hash(&hash).await? {
            return Ok(None);
        }
        self.read(move |db| {
            db.query_opt(
                "SELECT encoding, body, legacy FROM transcripts WHERE token_hash = ?",
                params![hash],
                |row| {
                    Ok(StoredTranscript {
                        encoding: row.get(0)?,
                        body: row.get(1)?,
                        legacy: row.get::<Option<bool>>(2)?.unwrap_or(false),
                    })
                },
            )
        })
        .await
    }

    /// Stores a transcript page for `ticket_id` under `token`.
    pub async fn save_transcript(
        &self,
        ticket_id: i64,
        token: &str,
        page: StoredTranscript,
    ) -> Result<(), StoreError> {
        let hash = token_hash(token);
        let tokens = self.tokens.clone();
        self.call(move |db| {
            tokens.insert(&hash);
            db.execute(
                &upsert(
                    "transcripts",
                    &[
                        "token_hash",
                        "ticket_id",
                        "encoding",
                        "body",
                        "created_at",
                        "legacy",
                    ],
                    &["token_hash"],
                ),
                params![
                    hash,
                    ticket_id,
                    page.encoding,
                    page.body,
                    chrono::Utc::now(),
                    page.legacy
                ],
            )?;
            Ok(())
        })
        .await
    }
}

impl Store {
    /// Stores an imported page of the original bot under its own token, unless a page with that
    /// token is already there; returns whether it was new. (Imports are idempotent.)
    pub async fn import_legacy_transcript(
        &self,
        token: &str,
        gzipped: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        let tokens = self.tokens.clone();
        self.call(move |db| {
            let inserted = db.execute(
                "INSERT INTO transcripts (token_hash, ticket_id, encoding, body, created_at, legacy) \
                 VALUES (?, 0, 'gzip', ?, ?, true) ON CONFLICT DO NOTHING",
                params![hash, gzipped, chrono::Utc::now()],
            )?;
            tokens.insert(&hash);
            Ok(inserted == 1)
        })
        .await
    }
}

/// The pages of the original bot's database (`ticket_html(token, html_content)`), read through
/// a read-only connection so the file is never changed. A file that is not a DuckDB database,
/// or has no such table, is an error naming what was expected.
pub fn read_legacy_transcripts(
    path: &std::path::Path,
) -> Result<Vec<(String, String)>, StoreError> {
    let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?;
    let db =
        duckdb::Connection::open_with_flags(path, config).map_err(|reason| StoreError::Open {
            location: path.display().to_string(),
            reason: reason.to_string(),
        })?;
    let has_table: i64 = db.query_row(
        "SELECT count(*) FROM information_schema.columns \
         WHERE table_name = 'ticket_html' AND column_name IN ('token', 'html_content')",
        [],
        |row| row.get(0),
    )?;
    if has_table != 2 {
        return Err(StoreError::NotLegacy(path.to_owned()));
    }
    let mut statement = db
        .prepare("SELECT CAST(token AS VARCHAR), CAST(html_content AS VARCHAR) FROM ticket_html")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, Option<String>>(0)?.unwrap_or_default(),
            row.get::<_, Option<String>>(1)?.unwrap_or_default(),
        ))
    })?;
    let pages = rows.collect::<duckdb::Result<Vec<_>>>()?;
    Ok(pages
        .into_iter()
        .filter(|(token, _)| !token.is_empty())
        .collect())
}
