//! Stored transcript pages, found by the hash of their token (the token itself is never stored).

use duckdb::{params, OptionalExt};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};

/// A stored page as it is kept: already compressed, served as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTranscript {
    /// Content encoding of `body`: `identity`, `gzip`, `deflate` or `br`.
    pub encoding: String,
    /// The page bytes in that encoding.
    pub body: Vec<u8>,
}

/// The hash under which a transcript token is stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Store {
    /// The transcript for `token`, if any.
    pub async fn transcript(&self, token: &str) -> Result<Option<StoredTranscript>, StoreError> {
        let hash = token_hash(token);
        self.call(move |db| {
            let found = db
                .query_row(
                    "SELECT encoding, body FROM transcripts WHERE token_hash = ?",
                    params![hash],
                    |row| {
                        Ok(StoredTranscript {
                            encoding: row.get(0)?,
                            body: row.get(1)?,
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
        self.call(move |db| {
            db.execute(
                "INSERT OR REPLACE INTO transcripts VALUES (?, ?, ?, ?, ?)",
                params![
                    hash,
                    ticket_id,
                    page.encoding,
                    page.body,
                    chrono::Utc::now()
                ],
            )?;
            Ok(())
        })
        .await
    }
}
