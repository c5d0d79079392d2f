//! What plugins keep: per-guild key-value data, the messages they posted, their timers and the
//! channels they created for tickets.

use super::sql::{params, upsert, Row};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// A timer a plugin scheduled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginTimer {
    /// The guild.
    pub guild_id: u64,
    /// The plugin's id.
    pub plugin: String,
    /// The ticket it concerns.
    pub ticket_id: i64,
    /// The plugin's key (unique per plugin and ticket).
    pub key: String,
    /// When it fires.
    pub due_at: DateTime<Utc>,
    /// Given back to the plugin when it fires.
    pub payload: String,
}

/// A channel a plugin created for a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginChannel {
    /// The channel.
    pub channel_id: u64,
    /// The guild.
    pub guild_id: u64,
    /// The plugin's id.
    pub plugin: String,
    /// The ticket.
    pub ticket_id: i64,
}

impl Store {
    /// A key of a plugin's storage in a guild.
    pub async fn plugin_get(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let (plugin, key) = (plugin.to_owned(), key.to_owned());
        self.call(move |db| {
            let value: Option<Vec<u8>> = db.query_opt(
                "SELECT value FROM plugin_kv WHERE guild_id = ? AND plugin = ? AND key = ?",
                params![guild, plugin, key],
                |row| row.get(0),
            )?;
            Ok(value.map(|v| String::from_utf8_lossy(&v).into_owned()))
        })
        .await
    }

    /// Sets a key of a plugin's storage, unless the plugin's storage in the guild would then
    /// hold more than `max_keys` keys or `max_bytes` bytes of values ([`StoreError::Full`]).
    pub async fn plugin_set(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
        value: &str,
        max_keys: u64,
        max_bytes: u64,
    ) -> Result<(), StoreError> {
        let (plugin, key, value) = (plugin.to_owned(), key.to_owned(), value.as_bytes().to_vec());
        self.call(move |db| {
            // The others' use; one thread writes, so nothing changes between this and the write.
            let (keys, bytes): (i64, i64) = db.query_row(
                "SELECT count(*), coalesce(sum(octet_length(value)), 0)::BIGINT FROM plugin_kv \
                 WHERE guild_id = ? AND plugin = ? AND key <> ?",
                params![guild, plugin, key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if keys as u64 + 1 > max_keys || bytes as u64 + value.len() as u64 > max_bytes {
                return Err(StoreError::Full(format!(
                    "the plugin's storage in this guild is full ({keys} keys, {bytes} bytes; at most {max_keys} keys and {max_bytes} bytes)"
                )));
            }
            db.execute(
                &upsert(
                    "plugin_kv",
                    &["guild_id", "plugin", "key", "value", "updated_at"],
                    &["guild_id", "plugin", "key"],
                ),
                params![guild, plugin, key, value, Utc::now()],
            )?;
            Ok(())
        })
        .await
    }

    /// Removes a key of a plugin's storage.
    pub async fn plugin_forget(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let (plugin, key) = (plugin.to_owned(), key.to_owned());
        self.call(move |db| {
            db.execute(
                "DELETE FROM plugin_kv WHERE guild_id = ? AND plugin = ? AND key = ?",
                params![guild, plugin, key],
            )?;
            Ok(())
        })
        .await
    }

    /// Remembers that `plugin` posted `message`, so it may edit it later.
    pub async fn remember_plugin_message(
        &self,
        guild: u64,
        plugin: &str,
        channel: u64,
        message: u64,
        ticket: Option<i64>,
    ) -> Result<(), StoreError> {
        let plugin = plugin.to_owned();
        self.call(move |db| {
            db.execute(
                &upsert(
                    "plugin_messages",
                    &[
                        "guild_id",
                        "plugin",
                        "channel_id",
                        "message_id",
                        "ticket_id",
                    ],
                    &["channel_id", "message_id"],
                ),
                params![guild, plugin, channel, message, ticket],
            )?;
            Ok(())
        })
        .await
    }

    /// Whether `plugin` posted `message` in `channel` of `guild`.
    pub async fn plugin_owns_message(
        &self,
        guild: u64,
        plugin: &str,
        channel: u64,
        message: u64,
    ) -> Result<bool, StoreError> {
        let plugin = plugin.to_owned();
        self.call(move |db| {
            let n: i64 = db.query_row(
                "SELECT count(*) FROM plugin_messages WHERE guild_id = ? AND plugin = ? AND channel_id = ? AND message_id = ?",
                params![guild, plugin, channel, message],
                |row| row.get(0),
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Schedules (or reschedules) a timer.
    /// Schedules (or replaces) a timer, unless the plugin already has `max_per_ticket` other
    /// timers pending for the ticket ([`StoreError::Full`]).
    pub async fn set_plugin_timer(
        &self,
        timer: PluginTimer,
        max_per_ticket: u64,
    ) -> Result<(), StoreError> {
        self.call(move |db| {
            let others: i64 = db.query_row(
                "SELECT count(*) FROM plugin_timers WHERE guild_id = ? AND plugin = ? AND ticket_id = ? AND key <> ?",
                params![timer.guild_id, timer.plugin, timer.ticket_id, timer.key],
                |row| row.get(0),
            )?;
            if others as u64 >= max_per_ticket {
                return Err(StoreError::Full(format!(
                    "the plugin already has {others} timers pending for this ticket (at most {max_per_ticket})"
                )));
            }
            db.execute(
                &upsert(
                    "plugin_timers",
                    &["guild_id", "plugin", "ticket_id", "key", "due_at", "payload"],
                    &["guild_id", "plugin", "ticket_id", "key"],
                ),
                params![timer.guild_id, timer.plugin, timer.ticket_id, timer.key, timer.due_at, timer.payload],
            )?;
            Ok(())
        })
        .await
    }

    /// Cancels a timer; true if it existed. Taking a due timer this way also claims it, so it
    /// fires once.
    pub async fn cancel_plugin_timer(
        &self,
        guild: u64,
        plugin: &str,
        ticket: i64,
        key: &str,
    ) -> Result<bool, StoreError> {
        let (plugin, key) = (plugin.to_owned(), key.to_owned());
        self.call(move |db| {
            let n = db.execute(
                "DELETE FROM plugin_timers WHERE guild_id = ? AND plugin = ? AND ticket_id = ? AND key = ?",
                params![guild, plugin, ticket, key],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Timers due at `now`, oldest first, and when the next one after them is due.
    pub async fn due_plugin_timers(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Vec<PluginTimer>, Option<DateTime<Utc>>), StoreError> {
        self.call(move |db| {
            let due = db.query_map(
                &format!(
                    "SELECT {TIMER_COLUMNS} FROM plugin_timers WHERE due_at <= ? ORDER BY due_at"
                ),
                params![now],
                timer_row,
            )?;
            let next: Option<DateTime<Utc>> = db.query_row(
                "SELECT min(due_at) FROM plugin_timers WHERE due_at > ?",
                params![now],
                |row| row.get(0),
            )?;
            Ok((due, next))
        })
        .await
    }

    /// The timers of a ticket (for tests and the close).
    pub async fn plugin_timers_of(&self, ticket: i64) -> Result<Vec<PluginTimer>, StoreError> {
        self.call(move |db| {
            db.query_map(
                &format!(
                    "SELECT {TIMER_COLUMNS} FROM plugin_timers WHERE ticket_id = ? ORDER BY due_at"
                ),
                params![ticket],
                timer_row,
            )
        })
        .await
    }

    /// Records a channel a plugin created for a ticket.
    pub async fn add_plugin_channel(&self, channel: PluginChannel) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                &upsert(
                    "plugin_channels",
                    &[
                        "channel_id",
                        "guild_id",
                        "plugin",
                        "ticket_id",
                        "created_at",
                    ],
                    &["channel_id"],
                ),
                params![
                    channel.channel_id,
                    channel.guild_id,
                    channel.plugin,
                    channel.ticket_id,
                    Utc::now()
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The plugin channel `channel`, if it is one.
    pub async fn plugin_channel(&self, channel: u64) -> Result<Option<PluginChannel>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                    "SELECT channel_id, guild_id, plugin, ticket_id FROM plugin_channels WHERE channel_id = ?",
                    params![channel],
                    channel_row,
                )
        })
        .await
    }

    /// The plugin channels of a ticket.
    pub async fn plugin_channels_of(&self, ticket: i64) -> Result<Vec<PluginChannel>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT channel_id, guild_id, plugin, ticket_id FROM plugin_channels WHERE ticket_id = ?",
            params![ticket], channel_row)
        })
        .await
    }

    /// Forgets a plugin channel (deleted).
    pub async fn remove_plugin_channel(&self, channel: u64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "DELETE FROM plugin_channels WHERE channel_id = ?",
                params![channel],
            )?;
            Ok(())
        })
        .await
    }
}

/// Timer columns in the order the queries select them.
const TIMER_COLUMNS: &str = "guild_id, plugin, ticket_id, key, due_at, payload";

fn timer_row(row: &Row) -> Result<PluginTimer, StoreError> {
    Ok(PluginTimer {
        guild_id: row.get(0)?,
        plugin: row.get(1)?,
        ticket_id: row.get(2)?,
        key: row.get(3)?,
        due_at: row.get(4)?,
        payload: row.get(5)?,
    })
}

fn channel_row(row: &Row) -> Result<PluginChannel, StoreError> {
    Ok(PluginChannel {
        channel_id: row.get(0)?,
        guild_id: row.get(1)?,
        plugin: row.get(2)?,
        ticket_id: row.get(3)?,
    })
}
