//! Openers' ratings of their tickets (the `feedback` capability), one per ticket, credited to
//! the staff member who held the ticket (or closed it), for the statistics.

use super::sql::params;
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// One ticket's rating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackRecord {
    /// The ticket.
    pub ticket_id: i64,
    /// Its guild.
    pub guild_id: u64,
    /// Its type.
    pub type_id: String,
    /// The staff member credited: the claimer, else the closer.
    pub staff_id: Option<u64>,
    /// 1 to 5.
    pub stars: u8,
    /// The opener's words, if any.
    pub comment: Option<String>,
    /// When it was given.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Records a rating: the first stars given for a ticket stay, a comment is added or
    /// replaced.
    pub async fn record_feedback(&self, feedback: FeedbackRecord) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "INSERT INTO ticket_feedback VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (ticket_id) DO UPDATE SET \
                 comment = coalesce(excluded.comment, ticket_feedback.comment)",
                params![
                    feedback.ticket_id,
                    feedback.guild_id,
                    feedback.type_id,
                    feedback.staff_id,
                    feedback.stars,
                    feedback.comment,
                    feedback.at
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The rating of `ticket`, if it was rated.
    pub async fn feedback(&self, ticket: i64) -> Result<Option<FeedbackRecord>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                "SELECT ticket_id, guild_id, type_id, staff_id, stars, comment, rated_at \
                 FROM ticket_feedback WHERE ticket_id = ?",
                params![ticket],
                |row| {
                    Ok(FeedbackRecord {
                        ticket_id: row.get(0)?,
                        guild_id: row.get(1)?,
                        type_id: row.get(2)?,
                        staff_id: row.get(3)?,
                        stars: row.get(4)?,
                        comment: row.get(5)?,
                        at: row.get(6)?,
                    })
                },
            )
        })
        .await
    }
}
