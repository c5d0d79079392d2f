//! Staff notes on tickets.

use super::sql::params;
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// A note as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRecord {
    /// Who wrote it.
    pub author_id: u64,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Adds a note to ticket `ticket`.
    pub async fn add_note(&self, ticket: i64, note: NoteRecord) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "INSERT INTO notes (ticket_id, author_id, body, created_at) VALUES (?, ?, ?, ?)",
                params![ticket, note.author_id, note.body, note.created_at],
            )?;
            Ok(())
        })
        .await
    }

    /// The ticket's notes, oldest first.
    pub async fn notes(&self, ticket: i64) -> Result<Vec<NoteRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT author_id, body, created_at FROM notes WHERE ticket_id = ? ORDER BY id",
                params![ticket],
                |row| {
                    Ok(NoteRecord {
                        author_id: row.get(0)?,
                        body: row.get(1)?,
                        created_at: row.get(2)?,
                    })
                },
            )
        })
        .await
    }
}
