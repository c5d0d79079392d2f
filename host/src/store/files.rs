//! Attachment bytes, kept by content hash (one copy however often a file is posted), and which
//! ticket's message URL each one came from.

use super::sql::{params, upsert};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{token_hash, Store, StoreError};

/// A stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// MIME type as Discord reported it.
    pub content_type: Option<String>,
    /// The bytes.
    pub body: Vec<u8>,
}

impl Store {
    /// Keeps `body`, downloaded from `url` for ticket `ticket`; returns its hash.
    pub async fn save_file(
        &self,
        ticket: i64,
        url: &str,
        filename: &str,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<String, StoreError> {
        let hash = hex::encode(Sha256::digest(&body));
        let (url, filename, stored) = (url.to_owned(), filename.to_owned(), hash.clone());
        self.call(move |db| {
            db.transaction(|tx| {
            tx.execute(
                "INSERT INTO files (hash, content_type, size, body, stored_at) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
                params![stored, content_type, body.len() as i64, body, Utc::now()],
            )?;
            tx.execute(
                &upsert(
                    "ticket_files",
                    &["ticket_id", "url", "hash", "filename"],
                    &["ticket_id", "url"],
                ),
                params![ticket, url, stored, filename],
            )?;
            Ok(())
            })
        })
        .await?;
        Ok(hash)
    }

    /// Bytes of files kept for `ticket` so far.
    pub async fn ticket_file_bytes(&self, ticket: i64) -> Result<u64, StoreError> {
        self.call(move |db| {
            let total: i64 = db.query_row(
                "SELECT coalesce(sum(f.size), 0)::BIGINT FROM ticket_files t JOIN files f ON f.hash = t.hash WHERE t.ticket_id = ?",
                params![ticket],
                |row| row.get(0),
            )?;
            Ok(total.max(0) as u64)
        })
        .await
    }

    /// Bytes of files kept for all tickets of `guild` (a file kept for two tickets counts once).
    pub async fn guild_file_bytes(&self, guild: u64) -> Result<u64, StoreError> {
        self.call(move |db| {
            let total: i64 = db.query_row(
                "SELECT coalesce(sum(f.size), 0)::BIGINT FROM files f WHERE f.hash IN \
                 (SELECT t.hash FROM ticket_files t JOIN tickets k ON k.id = t.ticket_id WHERE k.guild_id = ?)",
                params![guild],
                |row| row.get(0),
            )?;
            Ok(total.max(0) as u64)
        })
        .await
    }

    /// (url, hash) of the files kept for `ticket`.
    pub async fn ticket_files(&self, ticket: i64) -> Result<Vec<(String, String)>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT url, hash FROM ticket_files WHERE ticket_id = ?",
                params![ticket],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
    }

    /// A file of the transcript with `token`, if that transcript has it.
    pub async fn transcript_file(
        &self,
        token: &str,
        hash: &str,
    ) -> Result<Option<StoredFile>, StoreError> {
        if !self.may_have_transcript(token).await? {
            return Ok(None);
        }
        let (token_hash, hash) = (token_hash(token), hash.to_owned());
        self.read(move |db| {
            db.query_opt(
                "SELECT f.content_type, f.body FROM transcripts tr \
                     JOIN ticket_files t ON t.ticket_id = tr.ticket_id \
                     JOIN files f ON f.hash = t.hash \
                     WHERE tr.token_hash = ? AND t.hash = ? LIMIT 1",
                params![token_hash, hash],
                |row| {
                    Ok(StoredFile {
                        content_type: row.get(0)?,
                        body: row.get(1)?,
                    })
                },
            )
        })
        .await
    }
}
