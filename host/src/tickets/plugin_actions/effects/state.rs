//! What a plugin keeps: notes on the ticket, timers (in the store, so they survive restarts)
//! and its per-guild key-value storage.

use std::time::Duration;

use chrono::Utc;

use super::{EffectError, EffectScope};
use crate::plugins::checks::{
    MAX_NOTE_CHARS, MAX_STORAGE_BYTES, MAX_STORAGE_KEYS, MAX_TIMERS_PER_TICKET,
};
use crate::plugins::contract as c;
use crate::store::{NoteRecord, PluginTimer};
use crate::tickets::Tickets;

impl Tickets {
    /// `add-note`: a staff note on the ticket, by the user who acted (or the bot).
    pub(super) async fn effect_note(
        &self,
        scope: &EffectScope<'_>,
        text: String,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let author = scope.actor(self.bot_user.get().copied());
        let body: String = text.chars().take(MAX_NOTE_CHARS).collect();
        self.store
            .add_note(
                ticket.id,
                NoteRecord {
                    author_id: author,
                    body,
                    created_at: Utc::now(),
                },
            )
            .await?;
        Ok(())
    }

    /// `schedule`: a timer for the ticket (replacing one of the same key).
    pub(super) async fn effect_schedule(
        &self,
        scope: &EffectScope<'_>,
        timer: c::Timer,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let delay = Duration::from_millis(timer.delay_ms);
        let due_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        self.store
            .set_plugin_timer(
                PluginTimer {
                    guild_id: scope.guild.id,
                    plugin: scope.plugin.id().to_owned(),
                    ticket_id: ticket.id,
                    key: timer.key,
                    due_at,
                    payload: timer.payload,
                },
                MAX_TIMERS_PER_TICKET,
            )
            .await?;
        self.timers_changed.notify_one();
        Ok(())
    }

    /// `cancel-timer`.
    pub(super) async fn effect_cancel_timer(
        &self,
        scope: &EffectScope<'_>,
        key: &str,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        self.store
            .cancel_plugin_timer(scope.guild.id, scope.plugin.id(), ticket.id, key)
            .await?;
        Ok(())
    }

    /// `store`: a key of the plugin's storage in this guild, within its quota.
    pub(super) async fn effect_store(
        &self,
        scope: &EffectScope<'_>,
        key: &str,
        value: &str,
    ) -> Result<(), EffectError> {
        self.store
            .plugin_set(
                scope.guild.id,
                scope.plugin.id(),
                key,
                value,
                MAX_STORAGE_KEYS,
                MAX_STORAGE_BYTES,
            )
            .await?;
        Ok(())
    }

    /// `forget`.
    pub(super) async fn effect_forget(
        &self,
        scope: &EffectScope<'_>,
        key: &str,
    ) -> Result<(), EffectError> {
        self.store
            .plugin_forget(scope.guild.id, scope.plugin.id(), key)
            .await?;
        Ok(())
    }
}
