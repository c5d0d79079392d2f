//! Channels: renaming and moving the ticket's channel, and the voice channel a plugin creates
//! for a ticket (its participants may join; it goes when the ticket ends).

use super::{EffectError, EffectScope};
use crate::plugins::checks::{MAX_STORAGE_BYTES, MAX_STORAGE_KEYS};
use crate::store::PluginChannel;
use crate::tickets::plugin_actions::renames::channel_name;
use crate::tickets::Tickets;
use crate::ui::{self, OutMessage};

impl Tickets {
    /// The ticket's channel while it is open.
    fn open_channel(&self, scope: &EffectScope<'_>) -> Result<u64, EffectError> {
        scope
            .ticket
            .filter(|t| t.status == crate::store::TicketStatus::Open)
            .and_then(|t| t.channel_id)
            .ok_or(EffectError::NoChannel)
    }

    /// `rename`: the ticket's channel, as typed (made a valid name). A refusal by Discord's
    /// rate limit is told to the user who asked, with the wait.
    pub(super) async fn effect_rename(
        &self,
        scope: &EffectScope<'_>,
        typed: &str,
    ) -> Result<(), EffectError> {
        let channel = self.open_channel(scope)?;
        let name = channel_name(typed).ok_or(EffectError::BadChannelName)?;
        match self.discord.rename_channel(channel, &name).await {
            Ok(()) => {
                self.renames.record(channel);
                Ok(())
            }
            Err(error) => {
                if let Some(interaction) = scope.interaction {
                    let texts = self.texts(Some(scope.guild.id));
                    let text = if error.status() == Some(429) {
                        self.renames.exhaust(channel);
                        texts.get("rename-limited", &[("minutes", "10")])
                    } else {
                        texts.get("discord-error", &[])
                    };
                    let _ = self
                        .discord
                        .followup(&interaction.handle, &OutMessage::text(text), true)
                        .await;
                }
                Err(error.into())
            }
        }
    }

    /// `move-to`: one of the guild's ticket categories, with the ticket's permissions resynced.
    pub(super) async fn effect_move(
        &self,
        scope: &EffectScope<'_>,
        category: u64,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let channel = self.open_channel(scope)?;
        let g = scope.guild;
        let allowed = category == g.ticket_category
            || g.overflow_categories.contains(&category)
            || g.ticket_types.iter().any(|t| t.category == Some(category));
        if !allowed {
            return Err(EffectError::NotTicketCategory(category));
        }
        let members = self.store.members(ticket.id).await?;
        let overwrites = self
            .ticket_overwrites(
                g,
                &ticket.type_id,
                ticket.opener_id,
                &members,
                category,
                ticket.claimed_by,
            )
            .await?;
        self.discord
            .move_channel(channel, category, &overwrites)
            .await?;
        Ok(())
    }

    /// `create-voice`: a voice channel beside the ticket's, open to whoever sees the ticket; its
    /// id is kept in the plugin's storage under `key`.
    pub(super) async fn effect_create_voice(
        &self,
        scope: &EffectScope<'_>,
        name: &str,
        key: &str,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let text_channel = ticket.channel_id.ok_or(EffectError::NoChannel)?;
        let (guild, plugin) = (scope.guild.id, scope.plugin.id());
        let parent = self.discord.channel_parent(text_channel).await?;
        let overwrites: Vec<_> = self
            .discord
            .overwrites(text_channel)
            .await?
            .into_iter()
            .map(with_voice_rights)
            .collect();
        let name: String = name.chars().take(100).collect();
        let channel = self
            .discord
            .create_voice_channel(guild, &name, parent, &overwrites)
            .await?;
        self.store
            .add_plugin_channel(PluginChannel {
                channel_id: channel,
                guild_id: guild,
                plugin: plugin.to_owned(),
                ticket_id: ticket.id,
            })
            .await?;
        self.store
            .plugin_set(
                guild,
                plugin,
                key,
                &channel.to_string(),
                MAX_STORAGE_KEYS,
                MAX_STORAGE_BYTES,
            )
            .await?;
        Ok(())
    }

    /// `delete-voice`: a voice channel this plugin created.
    pub(super) async fn effect_delete_voice(
        &self,
        scope: &EffectScope<'_>,
        channel: u64,
    ) -> Result<(), EffectError> {
        match self.store.plugin_channel(channel).await? {
            Some(owned)
                if owned.guild_id == scope.guild.id && owned.plugin == scope.plugin.id() => {}
            _ => return Err(EffectError::NotItsVoice),
        }
        self.discord.delete_channel(channel).await?;
        self.store.remove_plugin_channel(channel).await?;
        Ok(())
    }
}

/// Ticket participants may also speak and connect in the ticket's voice channel.
fn with_voice_rights(mut overwrite: ui::Overwrite) -> ui::Overwrite {
    const CONNECT: u64 = 1 << 20;
    const SPEAK: u64 = 1 << 21;
    const VIEW: u64 = 1 << 10;
    if overwrite.allow & VIEW != 0 {
        overwrite.allow |= CONNECT | SPEAK;
    }
    if overwrite.deny & VIEW != 0 {
        overwrite.deny |= CONNECT;
    }
    overwrite
}
