//! Messages: posts (in the ticket, the log, or a channel the guild named in the plugin's
//! settings), edits of the plugin's own posts, and direct messages to the ticket's people.

use super::{EffectError, EffectScope, DM_CHANNEL};
use crate::plugins::contract::{self as c, upgrade::LEGACY_ITEM_RETURN_CHANNEL};
use crate::store::{TicketRecord, TicketStatus};
use crate::tickets::plugin_actions::convert::to_message;
use crate::tickets::Tickets;
use crate::ui::OutMessage;

impl Tickets {
    /// `post`: the plugin's message where it asked, remembered as the plugin's. It may ping the
    /// ticket's own people, and the users it lists (checked: `mention-users`); never roles or
    /// @everyone.
    pub(super) async fn effect_post(
        &self,
        scope: &EffectScope<'_>,
        post: c::Post,
    ) -> Result<(), EffectError> {
        let target = self.effect_channel(scope, &post.channel)?;
        if matches!(post.channel, c::Channel::Setting(_))
            && !self
                .discord
                .guild_channels(scope.guild.id)
                .await?
                .iter()
                .any(|c| c.id == target)
        {
            // A setting names a channel of this guild, never another's.
            return Err(EffectError::NotGuildChannel(target));
        }
        let mut people = ticket_people(self, scope.ticket).await;
        people.extend(post.mention);
        let ticket_id = scope.ticket.map_or(0, |t| t.id);
        let message = to_message(scope.plugin.id(), ticket_id, post.message)
            .map_err(EffectError::Message)?
            .ping_users(people);
        let _recording = self.recording_messages.read().await;
        let id = self.discord.send_message(target, &message).await?;
        self.store
            .remember_plugin_message(
                scope.guild.id,
                scope.plugin.id(),
                target,
                id,
                scope.ticket.map(|t| t.id),
            )
            .await?;
        Ok(())
    }

    /// `edit`: a message the plugin posted.
    pub(super) async fn effect_edit(
        &self,
        scope: &EffectScope<'_>,
        channel: u64,
        message: u64,
        content: c::Message,
    ) -> Result<(), EffectError> {
        let owned = self
            .store
            .plugin_owns_message(scope.guild.id, scope.plugin.id(), channel, message)
            .await?;
        if !owned {
            return Err(EffectError::NotItsMessage);
        }
        let ticket_id = scope.ticket.map_or(0, |t| t.id);
        let content =
            to_message(scope.plugin.id(), ticket_id, content).map_err(EffectError::Message)?;
        self.discord
            .edit_message(channel, message, &content)
            .await?;
        Ok(())
    }

    /// `send-dm`: to the ticket's opener or a member. When it fails and the plugin gave a
    /// notice, the user who acted is told (as the answer, when the answer waits for this).
    pub(super) async fn effect_dm(
        &self,
        scope: &EffectScope<'_>,
        dm: c::Dm,
        notice: &mut Option<String>,
    ) -> Result<(), EffectError> {
        let allowed = match scope.ticket {
            Some(t) => {
                t.opener_id == dm.user
                    || self
                        .store
                        .members(t.id)
                        .await
                        .unwrap_or_default()
                        .contains(&dm.user)
            }
            None => false,
        };
        if !allowed {
            return Err(EffectError::NotTicketPerson);
        }
        let ticket_id = scope.ticket.map_or(0, |t| t.id);
        let message =
            to_message(scope.plugin.id(), ticket_id, dm.message).map_err(EffectError::Message)?;
        let _recording = self.recording_messages.read().await;
        match self.discord.send_dm(dm.user, &message).await {
            Ok(id) => {
                // Its buttons come back from the DM; they are the plugin's.
                self.store
                    .remember_plugin_message(
                        scope.guild.id,
                        scope.plugin.id(),
                        DM_CHANNEL,
                        id,
                        scope.ticket.map(|t| t.id),
                    )
                    .await?;
                Ok(())
            }
            Err(error) => {
                match (dm.on_failure, scope.interaction) {
                    (Some(text), Some(_)) if scope.answer_after => {
                        notice.get_or_insert(text);
                    }
                    (Some(text), Some(interaction)) => {
                        let _ = self
                            .discord
                            .followup(&interaction.handle, &OutMessage::text(text), true)
                            .await;
                    }
                    _ => {}
                }
                Err(error.into())
            }
        }
    }

    /// The channel a post goes to.
    fn effect_channel(
        &self,
        scope: &EffectScope<'_>,
        channel: &c::Channel,
    ) -> Result<u64, EffectError> {
        match channel {
            c::Channel::Ticket => scope
                .ticket
                .filter(|t| {
                    matches!(
                        t.status,
                        TicketStatus::Open | TicketStatus::Closing | TicketStatus::Cancelling
                    )
                })
                .and_then(|t| t.channel_id)
                .ok_or(EffectError::NoChannel),
            c::Channel::Log => Ok(scope.guild.log_channel),
            c::Channel::Setting(key) => scope
                .plugin
                .setting_channel(key)
                // A 0.1 plugin's "item-return" channel is the guild's item_return_channel.
                .or_else(|| {
                    (key == LEGACY_ITEM_RETURN_CHANNEL)
                        .then_some(scope.guild.item_return_channel)
                        .flatten()
                })
                .ok_or_else(|| EffectError::NoSuchChannel(key.clone())),
        }
    }
}

/// The opener, claimer and members of `ticket`.
pub(super) async fn ticket_people(tickets: &Tickets, ticket: Option<&TicketRecord>) -> Vec<u64> {
    let Some(ticket) = ticket else {
        return Vec::new();
    };
    let mut people = tickets.store.members(ticket.id).await.unwrap_or_default();
    people.push(ticket.opener_id);
    people.extend(ticket.claimed_by);
    people
}
