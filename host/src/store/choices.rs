//! A guild's own choices for its plugins (enabled, grants, settings), which win over the
//! config file's defaults, and the history of every change (who, when, before, after).

use super::sql::{params, upsert};
use chrono::{DateTime, Utc};

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
            let rows = db.query_map(
                "SELECT choice FROM guild_plugin_choices WHERE guild_id = ? ORDER BY plugin",
                params![guild],
                |row| row.get::<String>(0),
            )?;
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
        let here = self.recorded_here.clone();
        self.call(move |db| {
            db.transaction(|tx| {
            tx.lock(super::layers::CHANGES_LOCK)?;
            tx.announce(super::announce::SETTINGS)?;
            let before: Option<String> = tx.query_opt(
                    "SELECT choice FROM guild_plugin_choices WHERE guild_id = ? AND plugin = ?",
                    params![guild, choice.plugin],
                    |row| row.get(0),
                )?;
            let after = serde_json::to_string(&choice).expect("a choice serialises");
            let now = Utc::now();
            tx.execute(
                &upsert(
                    "guild_plugin_choices",
                    &["guild_id", "plugin", "choice", "updated_by", "updated_at"],
                    &["guild_id", "plugin"],
                ),
                params![guild, choice.plugin, after, actor, now],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO guild_changes (guild_id, plugin, actor, changed_at, before_choice, after_choice) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                params![guild, choice.plugin, actor, now, before, after],
                |row| row.get(0),
            )?;
            // Before it commits, so this process's follower can never see it as another's.
            here.lock().unwrap_or_else(|p| p.into_inner()).note(false, id);
            Ok(id)
            })
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
            let rows = db.query_map(&format!(
                "SELECT id, plugin, actor, changed_at, before_choice, after_choice FROM guild_changes \
                 WHERE guild_id = ? ORDER BY id DESC LIMIT {limit}"
            ), params![guild], |row| {
                    Ok((
                        row.get::<i64>(0)?,
                        row.get::<String>(1)?,
                        row.get::<u64>(2)?,
                        row.get::<DateTime<Utc>>(3)?,
                        row.get::<Option<String>>(4)?,
                        row.get::<String>(5)?,
                    ))
                })?;
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
            let row = db.query_opt(
                "SELECT plugin, actor, changed_at, before_choice, after_choice FROM guild_changes \
                     WHERE guild_id = ? AND id = ?",
                params![guild, id],
                |row| {
                    Ok((
                        row.get::<String>(0)?,
                        row.get::<u64>(1)?,
                        row.get::<DateTime<Utc>>(2)?,
                        row.get::<Option<String>>(3)?,
                        row.get::<String>(4)?,
                    ))
                },
            )?;
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
