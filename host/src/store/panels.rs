//! The ticket panel message of each guild (the original kept its id in a JSON file).

use super::sql::{params, upsert};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// Where a guild's panel was posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelRecord {
    /// Guild.
    pub guild_id: u64,
    /// Channel holding the panel.
    pub channel_id: u64,
    /// The panel message.
    pub message_id: u64,
    /// Who ran the setup.
    pub posted_by: u64,
    /// When.
    pub posted_at: DateTime<Utc>,
}

impl Store {
    /// The guild's panel, if one was posted.
    pub async fn panel(&self, guild_id: u64) -> Result<Option<PanelRecord>, StoreError> {
        self.call(move |db| {
            let found = db.query_opt(
                    "SELECT channel_id, message_id, posted_by, posted_at FROM panels WHERE guild_id = ?",
                    params![guild_id],
                    |row| {
                        Ok(PanelRecord {
                            guild_id,
                            channel_id: row.get(0)?,
                            message_id: row.get(1)?,
                            posted_by: row.get(2)?,
                            posted_at: row.get(3)?,
                        })
                    },
                )?;
            Ok(found)
        })
        .await
    }

    /// Records the guild's panel, replacing an earlier one.
    pub async fn save_panel(&self, panel: PanelRecord) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                &upsert(
                    "panels",
                    &[
                        "guild_id",
                        "channel_id",
                        "message_id",
                        "posted_by",
                        "posted_at",
                    ],
                    &["guild_id"],
                ),
                params![
                    panel.guild_id,
                    panel.channel_id,
                    panel.message_id,
                    panel.posted_by,
                    panel.posted_at
                ],
            )?;
            Ok(())
        })
        .await
    }
}
