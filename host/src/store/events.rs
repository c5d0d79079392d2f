//! The append-only event log: what happened, when, by whom. Nothing updates or deletes it.

use super::sql::params;
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// One logged event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Guild, if any.
    pub guild_id: Option<u64>,
    /// Ticket, if any.
    pub ticket_id: Option<i64>,
    /// Who did it.
    pub actor_id: Option<u64>,
    /// What happened, e.g. `panel.posted`.
    pub kind: String,
    /// Details as JSON.
    pub data: serde_json::Value,
}

impl Store {
    /// Appends an event.
    pub async fn record_event(&self, event: EventRecord) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "INSERT INTO events (happened_at, guild_id, ticket_id, actor_id, kind, data) VALUES (?, ?, ?, ?, ?, ?)",
                params![event.at, event.guild_id, event.ticket_id, event.actor_id, event.kind, event.data.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    /// The events of a guild, oldest first.
    pub async fn events(&self, guild_id: u64) -> Result<Vec<EventRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT happened_at, guild_id, ticket_id, actor_id, kind, data FROM events WHERE guild_id = ? ORDER BY id",
            params![guild_id], |row| {
                let data: String = row.get(5)?;
                Ok(EventRecord {
                    at: row.get(0)?,
                    guild_id: row.get(1)?,
                    ticket_id: row.get(2)?,
                    actor_id: row.get(3)?,
                    kind: row.get(4)?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
        })
        .await
    }
}
