//! Who may not open tickets in a guild: users or roles blocked by staff, with a reason.

use super::sql::{params, upsert, Row};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// What a block applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockTarget {
    /// One user.
    User(u64),
    /// Everyone holding a role.
    Role(u64),
}

impl BlockTarget {
    fn parts(self) -> (&'static str, u64) {
        match self {
            BlockTarget::User(id) => ("user", id),
            BlockTarget::Role(id) => ("role", id),
        }
    }

    fn from_parts(kind: &str, id: u64) -> Self {
        if kind == "role" {
            BlockTarget::Role(id)
        } else {
            BlockTarget::User(id)
        }
    }
}

/// A block as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEntry {
    /// Who or which role.
    pub target: BlockTarget,
    /// Why, as staff wrote it.
    pub reason: Option<String>,
    /// The staff member who blocked.
    pub by: u64,
    /// When.
    pub at: DateTime<Utc>,
}

fn entry(row: &Row) -> Result<BlockEntry, StoreError> {
    let kind: String = row.get(0)?;
    Ok(BlockEntry {
        target: BlockTarget::from_parts(&kind, row.get(1)?),
        reason: row.get(2)?,
        by: row.get(3)?,
        at: row.get(4)?,
    })
}

impl Store {
    /// Blocks `target` in `guild`; false if it already was (its reason is then replaced).
    pub async fn block(
        &self,
        guild: u64,
        target: BlockTarget,
        reason: Option<String>,
        by: u64,
    ) -> Result<bool, StoreError> {
        let (kind, id) = target.parts();
        self.call(move |db| {
            let existed: i64 = db.query_row(
                "SELECT count(*) FROM blacklist WHERE guild_id = ? AND kind = ? AND target_id = ?",
                params![guild, kind, id],
                |row| row.get(0),
            )?;
            db.execute(
                &upsert(
                    "blacklist",
                    &[
                        "guild_id",
                        "kind",
                        "target_id",
                        "reason",
                        "by_id",
                        "blocked_at",
                    ],
                    &["guild_id", "kind", "target_id"],
                ),
                params![guild, kind, id, reason, by, Utc::now()],
            )?;
            Ok(existed == 0)
        })
        .await
    }

    /// Lifts the block of `target` in `guild`; false if there was none.
    pub async fn unblock(&self, guild: u64, target: BlockTarget) -> Result<bool, StoreError> {
        let (kind, id) = target.parts();
        self.call(move |db| {
            let removed = db.execute(
                "DELETE FROM blacklist WHERE guild_id = ? AND kind = ? AND target_id = ?",
                params![guild, kind, id],
            )?;
            Ok(removed > 0)
        })
        .await
    }

    /// Every block of `guild`, newest first.
    pub async fn blocks(&self, guild: u64) -> Result<Vec<BlockEntry>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT kind, target_id, reason, by_id, blocked_at FROM blacklist WHERE guild_id = ? ORDER BY blocked_at DESC",
            params![guild], entry)
        })
        .await
    }

    /// The block that keeps `user` (with `roles`) from opening tickets in `guild`, if any: the
    /// user's own first, else one of a role.
    pub async fn blocked(
        &self,
        guild: u64,
        user: u64,
        roles: &[u64],
    ) -> Result<Option<BlockEntry>, StoreError> {
        let roles = roles.to_vec();
        self.call(move |db| {
            let rows = db.query_map(
                "SELECT kind, target_id, reason, by_id, blocked_at FROM blacklist WHERE guild_id = ? ORDER BY kind DESC",
                params![guild],
                entry,
            )?;
            for found in rows {
                let applies = match found.target {
                    BlockTarget::User(id) => id == user,
                    BlockTarget::Role(id) => roles.contains(&id),
                };
                if applies {
                    return Ok(Some(found));
                }
            }
            Ok(None)
        })
        .await
    }
}
