//! Each guild's own layer over the config file (its ticket types, texts, staff roles and
//! channels, as TOML text) and the history of its changes (who, when, before, after).

use std::collections::{BTreeMap, HashSet};

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

/// Held by every transaction that records a guild's change (layer or plugin choice): their ids
/// are marks other processes read past ([`Store::guilds_changed_since`]), so one must never
/// commit after a larger one was seen. One writer at a time, across processes, makes the ids
/// commit in order.
pub(super) const CHANGES_LOCK: &str = "guild settings changes";

/// The ids of the settings changes this process recorded (through any clone of its store) and
/// has not yet read past: [`Store::guilds_changed_since`] leaves them out, since the process
/// put them in force itself, and following them again would undo a newer change made
/// meanwhile here.
#[derive(Debug, Default)]
pub(super) struct RecordedHere {
    layers: HashSet<i64>,
    choices: HashSet<i64>,
}

impl RecordedHere {
    /// Notes a layer change (`layer`) or a plugin choice change as this process's.
    pub(super) fn note(&mut self, layer: bool, id: i64) {
        if layer {
            self.layers.insert(id);
        } else {
            self.choices.insert(id);
        }
    }
}

impl Store {
    /// Where the records of the guilds' own changes end now: the last layer change and the
    /// last plugin choice change (0 for none). [`Store::guilds_changed_since`] starts there.
    pub async fn settings_marks(&self) -> Result<(i64, i64), StoreError> {
        self.call(|db| {
            db.query_row(
                "SELECT (SELECT coalesce(max(id), 0) FROM guild_layer_changes), \
                 (SELECT coalesce(max(id), 0) FROM guild_changes)",
                &[],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
    }

    /// The guilds whose own settings or plugin choices other processes on the same database
    /// recorded after `marks`, and the new marks (past this process's changes too).
    pub async fn guilds_changed_since(
        &self,
        marks: (i64, i64),
    ) -> Result<((i64, i64), Vec<u64>), StoreError> {
        let here = self.recorded_here.clone();
        self.call(move |db| {
            let layers: Vec<(i64, u64)> = db.query_map(
                "SELECT id, guild_id FROM guild_layer_changes WHERE id > ? ORDER BY id",
                params![marks.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let choices: Vec<(i64, u64)> = db.query_map(
                "SELECT id, guild_id FROM guild_changes WHERE id > ? ORDER BY id",
                params![marks.1],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let next = (
                layers.last().map_or(marks.0, |(id, _)| *id),
                choices.last().map_or(marks.1, |(id, _)| *id),
            );
            let mut here = here.lock().unwrap_or_else(|p| p.into_inner());
            let mut guilds: Vec<u64> = layers
                .iter()
                .filter(|(id, _)| !here.layers.contains(id))
                .chain(choices.iter().filter(|(id, _)| !here.choices.contains(id)))
                .map(|(_, g)| *g)
                .collect();
            here.layers.retain(|id| *id > next.0);
            here.choices.retain(|id| *id > next.1);
            guilds.sort_unstable();
            guilds.dedup();
            Ok((next, guilds))
        })
        .await
    }

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
        let here = self.recorded_here.clone();
        self.call(move |db| {
            db.transaction(|tx| {
            tx.lock(CHANGES_LOCK)?;
            tx.announce(super::announce::SETTINGS)?;
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
            // Before it commits, so this process's follower can never see it as another's.
            here.lock().unwrap_or_else(|p| p.into_inner()).note(true, id);
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
            db.query_opt(
                "SELECT id, actor, changed_at, before_layer, after_layer FROM guild_layer_changes \
                     WHERE guild_id = ? AND id = ?",
                params![guild, id],
                layer_change,
            )
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
