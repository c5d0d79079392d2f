//! Messages captured in ticket channels as they happen, the source of transcripts (so a
//! channel deleted by hand still leaves its transcript).

use super::sql::{params, upsert};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// A captured message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedMessage {
    /// Discord message id.
    pub message_id: u64,
    /// Author id.
    pub author_id: u64,
    /// Author's display name at the time.
    pub author_name: String,
    /// Whether the author is a bot.
    pub author_bot: bool,
    /// Text content (Discord markdown).
    pub content: String,
    /// Attachments as JSON (`[{"filename", "url", "size", "content_type"}]`).
    pub attachments: serde_json::Value,
    /// Embeds as JSON (Discord's shape).
    pub embeds: serde_json::Value,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether it was deleted later.
    pub deleted: bool,
    /// The whole message as Discord sent it, when captured live.
    pub raw: Option<serde_json::Value>,
}

impl Store {
    /// Captures (or, on an edit, replaces) a message of ticket `ticket`.
    pub async fn capture_message(
        &self,
        ticket: i64,
        message: CapturedMessage,
    ) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                &upsert(
                    "ticket_messages",
                    &[
                        "ticket_id",
                        "message_id",
                        "author_id",
                        "author_name",
                        "author_bot",
                        "content",
                        "attachments",
                        "embeds",
                        "sent_at",
                        "edited_at",
                        "deleted",
                        "raw",
                    ],
                    &["ticket_id", "message_id"],
                ),
                params![
                    ticket,
                    message.message_id,
                    message.author_id,
                    message.author_name,
                    message.author_bot,
                    message.content,
                    message.attachments.to_string(),
                    message.embeds.to_string(),
                    message.sent_at,
                    message.edited_at,
                    message.deleted,
                    message.raw.as_ref().map(|r| r.to_string())
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// An edit of a captured message: new content, embeds and raw JSON, and when. Returns
    /// false for a message not captured (not in a ticket, or not stored yet).
    pub async fn capture_edit(
        &self,
        message_id: u64,
        content: Option<String>,
        embeds: Option<serde_json::Value>,
        edited_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.call(move |db| {
            let found: Option<(String, Option<String>)> = db.query_opt(
                    "SELECT content, raw FROM ticket_messages WHERE message_id = ?",
                    params![message_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?;
            let Some((old_content, raw)) = found else {
                return Ok(false);
            };
            let content = content.unwrap_or(old_content);
            let mut raw: Option<serde_json::Value> = raw.and_then(|r| serde_json::from_str(&r).ok());
            if let Some(raw) = raw.as_mut() {
                raw["content"] = serde_json::Value::String(content.clone());
                raw["edited_timestamp"] = serde_json::Value::String(edited_at.to_rfc3339());
                if let Some(embeds) = &embeds {
                    raw["embeds"] = embeds.clone();
                }
            }
            db.execute(
                "UPDATE ticket_messages SET content = ?, edited_at = ?, raw = ?, embeds = coalesce(?, embeds) WHERE message_id = ?",
                params![
                    content,
                    edited_at,
                    raw.map(|r| r.to_string()),
                    embeds.map(|e| e.to_string()),
                    message_id
                ],
            )?;
            Ok(true)
        })
        .await
    }

    /// Replaces a captured message's reactions (Discord's `reactions` JSON); false when the
    /// message was not captured.
    pub async fn capture_reactions(
        &self,
        message_id: u64,
        reactions: serde_json::Value,
    ) -> Result<bool, StoreError> {
        self.call(move |db| {
            let raw: Option<Option<String>> = db.query_opt(
                "SELECT raw FROM ticket_messages WHERE message_id = ?",
                params![message_id],
                |row| row.get(0),
            )?;
            let Some(raw) = raw else {
                return Ok(false);
            };
            let Some(mut raw) =
                raw.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
            else {
                return Ok(true);
            };
            raw["reactions"] = reactions;
            db.execute(
                "UPDATE ticket_messages SET raw = ? WHERE message_id = ?",
                params![raw.to_string(), message_id],
            )?;
            Ok(true)
        })
        .await
    }

    /// Marks a captured message deleted (it stays in the transcript, marked); false when it
    /// was not captured.
    pub async fn mark_message_deleted(&self, message_id: u64) -> Result<bool, StoreError> {
        self.call(move |db| {
            let changed = db.execute(
                "UPDATE ticket_messages SET deleted = true WHERE message_id = ?",
                params![message_id],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    /// The ticket's captured messages, oldest first.
    pub async fn captured_messages(&self, ticket: i64) -> Result<Vec<CapturedMessage>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT message_id, author_id, author_name, author_bot, content, attachments, embeds, sent_at, \
                 edited_at, deleted, raw FROM ticket_messages WHERE ticket_id = ? ORDER BY sent_at, message_id",
            params![ticket], |row| {
                let attachments: String = row.get(5)?;
                let embeds: String = row.get(6)?;
                let raw: Option<String> = row.get(10)?;
                Ok(CapturedMessage {
                    message_id: row.get(0)?,
                    author_id: row.get(1)?,
                    author_name: row.get(2)?,
                    author_bot: row.get(3)?,
                    content: row.get(4)?,
                    attachments: serde_json::from_str(&attachments).unwrap_or_default(),
                    embeds: serde_json::from_str(&embeds).unwrap_or_default(),
                    sent_at: row.get(7)?,
                    edited_at: row.get(8)?,
                    deleted: row.get(9)?,
                    raw: raw.and_then(|r| serde_json::from_str(&r).ok()),
                })
            })
        })
        .await
    }
}
