//! Stored transcript pages, found by the hash of their token (the token itself is never stored).
//! Lookups run on the web server's own connection; a token whose hash the in-memory index does
//! not know is a miss without a query.

use std::collections::HashSet;
use std::sync::RwLock;

use duckdb::{params, Connection, OptionalExt};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};

/// The first 8 bytes of every stored token hash: a miss (the usual answer to a guess) costs a
/// hash and a set lookup; a hit, or one of the rare prefixes shared by chance, asks DuckDB.
/// About 16 bytes a transcript in memory.
pub(super) struct TokenIndex {
    prefixes: RwLock<HashSet<u64>>,
}

fn prefix(hash: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(hash) {
        *to = *from;
    }
    u64::from_le_bytes(bytes)
}

impl TokenIndex {
    /// Reads every stored token hash.
    pub(super) fn load(db: &Connection) -> Result<Self, StoreError> {
        let mut statement = db.prepare("SELECT token_hash FROM transcripts")?;
        let prefixes = statement
            .query_map([], |row| row.get::<_, Vec<u8>>(0))?
            .map(|hash| hash.map(|h| prefix(&h)))
            .collect::<Result<HashSet<u64>, _>>()?;
        Ok(Self {
            prefixes: RwLock::new(prefixes),
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
    pub fn may_have_transcript(&self, token: &str) -> bool {
        self.tokens.may_exist(&token_hash(token))
    }

    /// The transcript for `token`, if any.
    pub async fn transcript(&self, token: &str) -> Result<Option<StoredTranscript>, StoreError> {
        let hash = token_hash(token);
        if !self.tokens.may_exist(&hash) {
            return Ok(None);
        }
        self.read(move |db| {
            let found = db
                .query_row(
                    "SELECT encoding, body, legacy FROM transcripts WHERE token_hash = ?",
                    params![hash],
                    |row| {
                        Ok(StoredTranscript {
                            encoding: row.get(0)?,
                            body: row.get(1)?,
                            legacy: row.get::<_, Option<bool>>(2)?.unwrap_or(false),
                        })
                    },
                )
                .optional()?;
            Ok(found)
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
                "INSERT OR REPLACE INTO transcripts (token_hash, ticket_id, encoding, body, created_at, legacy) \
                 VALUES (?, ?, ?, ?, ?, ?)",
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
                "INSERT OR IGNORE INTO transcripts (token_hash, ticket_id, encoding, body, created_at, legacy) \
                 VALUES (?, 0, 'gzip', ?, ?, true)",
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
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .map_err(StoreError::Query)?;
    let db =
        duckdb::Connection::open_with_flags(path, config).map_err(|reason| StoreError::Open {
            path: path.to_owned(),
            reason,
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
