//! Close requests: staff asked the opener whether a ticket may be closed; unanswered, it
//! closes when the request falls due (after a restart too).

use super::sql::{params, upsert, Row};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// A pending close request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseRequest {
    /// The ticket.
    pub ticket_id: i64,
    /// The staff member who asked.
    pub by: u64,
    /// When it closes without an answer.
    pub due_at: DateTime<Utc>,
    /// The request's message (its buttons), in the ticket's channel.
    pub channel_id: u64,
    /// The message.
    pub message_id: u64,
}

fn request(row: &Row) -> Result<CloseRequest, StoreError> {
    Ok(CloseRequest {
        ticket_id: row.get(0)?,
        by: row.get(1)?,
        due_at: row.get(2)?,
        channel_id: row.get(3)?,
        message_id: row.get(4)?,
    })
}

impl Store {
    /// Records a close request (replacing one the ticket had).
    pub async fn set_close_request(&self, request: CloseRequest) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                &upsert(
                    "close_requests",
                    &["ticket_id", "by_id", "due_at", "channel_id", "message_id"],
                    &["ticket_id"],
                ),
                params![
                    request.ticket_id,
                    request.by,
                    request.due_at,
                    request.channel_id,
                    request.message_id
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The ticket's pending close request, if any.
    pub async fn close_request(&self, ticket: i64) -> Result<Option<CloseRequest>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                    "SELECT ticket_id, by_id, due_at, channel_id, message_id FROM close_requests WHERE ticket_id = ?",
                    params![ticket],
                    request,
                )
        })
        .await
    }

    /// Takes the ticket's pending close request away (answered, due, or the ticket ended);
    /// `None` if there was none, so of two takers only one acts on it.
    pub async fn take_close_request(
        &self,
        ticket: i64,
    ) -> Result<Option<CloseRequest>, StoreError> {
        self.call(move |db| {
            db.transaction(|tx| {
            let found = tx.query_opt(
                    "SELECT ticket_id, by_id, due_at, channel_id, message_id FROM close_requests WHERE ticket_id = ?",
                    params![ticket],
                    request,
                )?;
            tx.execute("DELETE FROM close_requests WHERE ticket_id = ?", params![ticket])?;
            Ok(found)
            })
        })
        .await
    }

    /// Every pending close request.
    pub async fn close_requests(&self) -> Result<Vec<CloseRequest>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT ticket_id, by_id, due_at, channel_id, message_id FROM close_requests",
                &[],
                request,
            )
        })
        .await
    }
}
