//! Each guild's own layer over the config file (its ticket types, texts, staff roles and
//! channels, as TOML text) and the history of its changes (who, when, before, after).

use std::collections::BTreeMap;

use super::sql::{params, upsert, Row};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// One recorded change of a guild's layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerChange {
    /// Its id (for rolling back to its `before`).
    pub id: i64,
    /// Who made it (a Discord user).
    pub actor: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// The layer before, as TOML (empty: the config file's values).
    pub before: String,
    /// The layer after, as TOML.
    pub after: String,
}

impl Store {
    /// Every guild's layer, as TOML text, by guild.
    pub async fn guild_layers(&self) -> Result<BTreeMap<u64, String>, StoreError> {
        self.call(|db| {
            let rows = db.query_map("SELECT guild_id, layer FROM guild_layers", &[], |row| {
                Ok((row.get::<u64>(0)?, row.get::<String>(1)?))
            })?;
            Ok(rows.into_iter().collect())
        })
        .await
    }

    /// Stores `layer` (TOML text) as `guild`'s and records the change by `actor`, in one
    /// transaction; returns the change's id.
    pub async fn record_layer(
        &self,
        guild: u64,
        actor: u64,
        layer: String,
    ) -> Result<i64, StoreError> {
        self.call(move |db| {
            db.transaction(|tx| {
            let before: Option<String> = tx.query_opt(
                    "SELECT layer FROM guild_layers WHERE guild_id = ?",
                    params![guild],
                    |row| row.get(0),
                )?;
            let now = Utc::now();
            tx.execute(
                &upsert(
                    "guild_layers",
                    &["guild_id", "layer", "updated_by", "updated_at"],
                    &["guild_id"],
                ),
                params![guild, layer, actor, now],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO guild_layer_changes (guild_id, actor, changed_at, before_layer, after_layer) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
                params![guild, actor, now, before.unwrap_or_default(), layer],
                |row| row.get(0),
            )?;
            Ok(id)
            })
        })
        .await
    }

    /// The last `limit` changes of `guild`'s layer, newest first.
    pub async fn layer_history(
        &self,
        guild: u64,
        limit: u32,
    ) -> Result<Vec<LayerChange>, StoreError> {
        self.call(move |db| {
            let rows = db.query_map(
                "SELECT id, actor, changed_at, before_layer, after_layer FROM guild_layer_changes \
                 WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
                params![guild, limit],
                layer_change,
            )?;
            Ok(rows)
        })
        .await
    }

    /// Change `id` of `guild`'s layer, if it exists.
    pub async fn layer_change(
        &self,
        guild: u64,
        id: i64,
    ) -> Result<Option<LayerChange>, StoreError> {
        self.call(move |db| {
            Ok(db.query_opt(
                "SELECT id, actor, changed_at, before_layer, after_layer FROM guild_layer_changes \
                     WHERE guild_id = ? AND id = ?",
                params![guild, id],
                layer_change,
            )?)
        })
        .await
    }
}

fn layer_change(row: &Row) -> Result<LayerChange, StoreError> {
    Ok(LayerChange {
        id: row.get(0)?,
        actor: row.get(1)?,
        at: row.get(2)?,
        before: row.get(3)?,
        after: row.get(4)?,
    })
}
