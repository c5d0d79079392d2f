//! A guild's own choices for its plugins (enabled, grants, settings), which win over the
//! config file's defaults, and the history of every change (who, when, before, after).

use chrono::{DateTime, Utc};
use duckdb::OptionalExt;

use super::{Store, StoreError};

/// A guild's choice for one plugin, as stored: grants by name, settings as TOML text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredChoice {
    /// The plugin's id.
    pub plugin: String,
    /// Whether the guild has it on.
    pub enabled: bool,
    /// The capabilities the guild grants it.
    pub capabilities: Vec<String>,
    /// Its settings, as the TOML of `[guild.plugin.settings]`.
    pub settings: String,
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceChange {
    /// Its id (for rolling back to its `before`).
    pub id: i64,
    /// The plugin.
    pub plugin: String,
    /// Who made it (a Discord user).
    pub actor: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// The choice before (none: the config file's default).
    pub before: Option<StoredChoice>,
    /// The choice after.
    pub after: StoredChoice,
}

impl Store {
    /// Every choice `guild` made.
    pub async fn guild_choices(&self, guild: u64) -> Result<Vec<StoredChoice>, StoreError> {
        self.call(move |db| {
            let mut statement = db.prepare(
                "SELECT choice FROM guild_plugin_choices WHERE guild_id = ? ORDER BY plugin",
            )?;
            let rows = statement
                .query_map(duckdb::params![guild], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .iter()
                .filter_map(|json| serde_json::from_str(json).ok())
                .collect())
        })
        .await
    }

    /// Stores `choice` for `guild` and records the change by `actor`, in one transaction;
    /// returns the change's id.
    pub async fn record_choice(
        &self,
        guild: u64,
        actor: u64,
        choice: StoredChoice,
    ) -> Result<i64, StoreError> {
        self.call(move |db| {
            let tx = db.transaction()?;
            let before: Option<String> = tx
                .query_row(
                    "SELECT choice FROM guild_plugin_choices WHERE guild_id = ? AND plugin = ?",
                    duckdb::params![guild, choice.plugin],
                    |row| row.get(0),
                )
                .optional()?;
            let after = serde_json::to_string(&choice).expect("a choice serialises");
            let now = Utc::now();
            tx.execute(
                "INSERT OR REPLACE INTO guild_plugin_choices (guild_id, plugin, choice, updated_by, updated_at) \
                 VALUES (?, ?, ?, ?, ?)",
                duckdb::params![guild, choice.plugin, after, actor, now],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO guild_changes (guild_id, plugin, actor, changed_at, before_choice, after_choice) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                duckdb::params![guild, choice.plugin, actor, now, before, after],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    /// The last `limit` changes in `guild`, newest first.
    pub async fn choice_history(
        &self,
        guild: u64,
        limit: u32,
    ) -> Result<Vec<ChoiceChange>, StoreError> {
        self.call(move |db| {
            let mut statement = db.prepare(&format!(
                "SELECT id, plugin, actor, changed_at, before_choice, after_choice FROM guild_changes \
                 WHERE guild_id = ? ORDER BY id DESC LIMIT {limit}"
            ))?;
            let rows = statement
                .query_map(duckdb::params![guild], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, u64>(2)?,
                        row.get::<_, DateTime<Utc>>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .filter_map(|(id, plugin, actor, at, before, after)| {
                    Some(ChoiceChange {
                        id,
                        plugin,
                        actor,
                        at,
                        before: before.and_then(|b| serde_json::from_str(&b).ok()),
                        after: serde_json::from_str(&after).ok()?,
                    })
                })
                .collect())
        })
        .await
    }

    /// Change `id` of `guild`, if it exists.
    pub async fn choice_change(
        &self,
        guild: u64,
        id: i64,
    ) -> Result<Option<ChoiceChange>, StoreError> {
        self.call(move |db| {
            let row = db
                .query_row(
                    "SELECT plugin, actor, changed_at, before_choice, after_choice FROM guild_changes \
                     WHERE guild_id = ? AND id = ?",
                    duckdb::params![guild, id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, u64>(1)?,
                            row.get::<_, DateTime<Utc>>(2)?,
                            row.get::<_, Option<String>>(3)?,
                            row.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?;
            Ok(row.and_then(|(plugin, actor, at, before, after)| {
                Some(ChoiceChange {
                    id,
                    plugin,
                    actor,
                    at,
                    before: before.and_then(|b| serde_json::from_str(&b).ok()),
                    after: serde_json::from_str(&after).ok()?,
                })
            }))
        })
        .await
    }
}
