//! Each guild's own layer over the config file (its ticket types, texts, staff roles and
//! channels, as TOML text) and the history of its changes (who, when, before, after).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use duckdb::OptionalExt;

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
            let mut statement = db.prepare("SELECT guild_id, layer FROM guild_layers")?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, u64>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<BTreeMap<_, _>, _>>()?;
            Ok(rows)
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
            let tx = db.transaction()?;
            let before: Option<String> = tx
                .query_row(
                    "SELECT layer FROM guild_layers WHERE guild_id = ?",
                    duckdb::params![guild],
                    |row| row.get(0),
                )
                .optional()?;
            let now = Utc::now();
            tx.execute(
                "INSERT OR REPLACE INTO guild_layers (guild_id, layer, updated_by, updated_at) \
                 VALUES (?, ?, ?, ?)",
                duckdb::params![guild, layer, actor, now],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO guild_layer_changes (guild_id, actor, changed_at, before_layer, after_layer) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
                duckdb::params![guild, actor, now, before.unwrap_or_default(), layer],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(id)
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
            let mut statement = db.prepare(
                "SELECT id, actor, changed_at, before_layer, after_layer FROM guild_layer_changes \
                 WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
            )?;
            let rows = statement
                .query_map(duckdb::params![guild, limit], layer_change)?
                .collect::<Result<Vec<_>, _>>()?;
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
            Ok(db
                .query_row(
                    "SELECT id, actor, changed_at, before_layer, after_layer FROM guild_layer_changes \
                     WHERE guild_id = ? AND id = ?",
                    duckdb::params![guild, id],
                    layer_change,
                )
                .optional()?)
        })
        .await
    }
}

fn layer_change(row: &duckdb::Row<'_>) -> Result<LayerChange, duckdb::Error> {
    Ok(LayerChange {
        id: row.get(0)?,
        actor: row.get(1)?,
        at: row.get(2)?,
        before: row.get(3)?,
        after: row.get(4)?,
    })
}
