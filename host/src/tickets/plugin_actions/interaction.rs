//! A click or form on a plugin's component: the plugin and ticket it names, who may use it
//! there, the event it becomes, and the answer. A plugin that may wait on HTTP is acknowledged
//! at once and answers by follow-up, so Discord's three seconds hold however long it waits.

use std::sync::Arc;

use super::context::plugin_user;
use super::convert::to_reply;
use super::effects::{EffectScope, DM_CHANNEL};
use crate::capability::Capability;
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::plugins::checks::{self, audience_allows, component_audience, Refusal, Standing};
use crate::plugins::contract as c;
use crate::plugins::{GuildPlugin, PluginError};
use crate::store::TicketRecord;
use crate::tickets::plugin_ids::{PluginCustomId, PluginIdKind};
use crate::tickets::{After, Handled, Tickets};
use crate::ui::{OutMessage, Reply};

/// Where a plugin's component was used, once checked.
struct Routed {
    guild: crate::tickets::GuildRef,
    plugin: GuildPlugin,
    ticket: Option<TicketRecord>,
    event: c::Event,
}

impl Tickets {
    /// A click or form submission on a plugin's component.
    pub(in crate::tickets) async fn plugin_interaction(
        self: &Arc<Self>,
        interaction: &Interaction,
        id: PluginCustomId,
    ) -> Handled {
        let routed = match self.route_plugin(interaction, &id).await {
            Ok(routed) => routed,
            Err(reply) => return Handled::Reply(reply),
        };
        let Routed {
            guild,
            plugin,
            ticket,
            event,
        } = routed;
        let mut actor = interaction.user.clone();
        if interaction.guild_id.is_none() {
            // In a DM Discord sends no roles: the guild's member record says who they are.
            actor.roles = self
                .discord
                .member_roles(guild.id, actor.id)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
        }
        let user = plugin_user(&guild, ticket.as_ref(), &actor);
        let context = self
            .plugin_context(&guild, &plugin, ticket.as_ref(), Some(user))
            .await;
        if plugin.has(Capability::Http) {
            // It may wait on the network: acknowledge now, answer when it is done.
            let this = self.clone();
            let interaction = interaction.clone();
            let guild_id = guild.id;
            let after: After = Box::pin(async move {
                let Some(guild) = this.guild(guild_id) else {
                    return;
                };
                this.answer_later(
                    &guild,
                    plugin,
                    ticket,
                    &interaction,
                    id.ticket,
                    context,
                    event,
                )
                .await;
            });
            return Handled::Then(Reply::Acknowledge, after);
        }
        // One event at a time per plugin and guild, effects included: a plugin's
        // read-then-store (two approvers clicking at once) cannot interleave.
        let turn = self.plugins.turn(guild.id, plugin.id()).await;
        let called = self
            .call_plugin(&plugin, ticket.as_ref(), context, event)
            .await
            .and_then(|outcome| {
                let reply = match outcome.reply.clone() {
                    Some(reply) => Some(
                        to_reply(plugin.id(), id.ticket, reply).map_err(|m| invalid(&plugin, m))?,
                    ),
                    None => None,
                };
                Ok((reply, outcome.effects))
            });
        let texts = self.texts(Some(guild.id));
        match called {
            Ok((reply, effects)) => {
                if let Some(refusal) =
                    self.channel_change_refusal(guild.id, ticket.as_ref(), &effects)
                {
                    return Handled::Reply(refusal);
                }
                let reply = reply.unwrap_or(Reply::Defer { ephemeral: true });
                // A DM that may fail with a notice of its own: the answer waits for it, so the
                // user gets one truthful answer (the reply, or the notice), never both.
                let dm_may_fail = effects
                    .iter()
                    .any(|e| matches!(e, c::Effect::SendDm(dm) if dm.on_failure.is_some()));
                let (first, later) = match reply {
                    Reply::Message { message, ephemeral } if dm_may_fail => {
                        (Reply::Defer { ephemeral }, Some(message))
                    }
                    other => (other, None),
                };
                let this = self.clone();
                let interaction = interaction.clone();
                let guild_id = guild.id;
                let after: After = Box::pin(async move {
                    let _turn = turn;
                    let Some(guild) = this.guild(guild_id) else {
                        return;
                    };
                    let scope = EffectScope {
                        guild: &guild,
                        plugin: &plugin,
                        ticket: ticket.as_ref(),
                        interaction: Some(&interaction),
                        answer_after: later.is_some(),
                    };
                    let notice = this.perform(&scope, effects).await;
                    if let Some(answer) = later {
                        let answer = notice.map_or(answer, OutMessage::text);
                        if let Err(error) =
                            this.discord.edit_reply(&interaction.handle, &answer).await
                        {
                            tracing::warn!(%error, "could not give a plugin's answer");
                        }
                    }
                });
                Handled::Then(first, after)
            }
            Err(error) => {
                let message = if error.is_host_failure() {
                    texts.get("plugin-host-failed", &[])
                } else {
                    texts.get("plugin-failed", &[("plugin", plugin.name())])
                };
                let this = self.clone();
                let guild_id = guild.id;
                let after: After = Box::pin(async move {
                    this.plugin_failed(guild_id, &plugin, &error).await;
                });
                Handled::Then(Reply::private(message), after)
            }
        }
    }

    /// After an acknowledgement: runs the plugin, performs its effects and gives its answer as
    /// a follow-up (or an edit of the message its component is on).
    #[allow(clippy::too_many_arguments)]
    async fn answer_later(
        self: &Arc<Self>,
        guild: &GuildConfig,
        plugin: GuildPlugin,
        ticket: Option<TicketRecord>,
        interaction: &Interaction,
        ticket_id: i64,
        context: c::Context,
        event: c::Event,
    ) {
        let texts = self.texts(Some(guild.id));
        let _turn = self.plugins.turn(guild.id, plugin.id()).await;
        let called = self
            .call_plugin(&plugin, ticket.as_ref(), context, event)
            .await;
        let (answer, private) = match called {
            Ok(outcome) => {
                let reply = match outcome.reply {
                    Some(reply) => to_reply(plugin.id(), ticket_id, reply),
                    None => Ok(Reply::Acknowledge),
                };
                let refusal =
                    self.channel_change_refusal(guild.id, ticket.as_ref(), &outcome.effects);
                match (reply, refusal) {
                    (_, Some(Reply::Message { message, .. })) => (Some(message), true),
                    (Err(message), _) => {
                        let error = invalid(&plugin, message);
                        self.plugin_failed(guild.id, &plugin, &error).await;
                        (
                            Some(OutMessage::text(
                                texts.get("plugin-failed", &[("plugin", plugin.name())]),
                            )),
                            true,
                        )
                    }
                    (Ok(reply), _) => {
                        let scope = EffectScope {
                            guild,
                            plugin: &plugin,
                            ticket: ticket.as_ref(),
                            interaction: Some(interaction),
                            answer_after: true,
                        };
                        let notice = self.perform(&scope, outcome.effects).await;
                        match (notice, reply) {
                            (Some(notice), _) => (Some(OutMessage::text(notice)), true),
                            (None, Reply::Message { message, ephemeral }) => {
                                (Some(message), ephemeral)
                            }
                            (None, Reply::Update(message)) => {
                                if let Err(error) =
                                    self.discord.edit_reply(&interaction.handle, &message).await
                                {
                                    tracing::warn!(%error, "could not update a plugin's message");
                                }
                                (None, true)
                            }
                            (None, Reply::Modal { .. }) => (
                                Some(OutMessage::text(texts.get("plugin-form-too-late", &[]))),
                                true,
                            ),
                            (None, _) => (None, true),
                        }
                    }
                }
            }
            Err(error) => {
                let text = if error.is_host_failure() {
                    texts.get("plugin-host-failed", &[])
                } else {
                    texts.get("plugin-failed", &[("plugin", plugin.name())])
                };
                self.plugin_failed(guild.id, &plugin, &error).await;
                (Some(OutMessage::text(text)), true)
            }
        };
        if let Some(answer) = answer {
            if let Err(error) = self
                .discord
                .followup(&interaction.handle, &answer, private)
                .await
            {
                tracing::warn!(%error, "could not give a plugin's answer");
            }
        }
    }

    /// Calls `plugin` and checks its outcome against what the guild granted and the bounds.
    pub(super) async fn call_plugin(
        &self,
        plugin: &GuildPlugin,
        ticket: Option<&TicketRecord>,
        context: c::Context,
        event: c::Event,
    ) -> Result<c::Outcome, PluginError> {
        let guild = context.guild_id;
        let result = self
            .plugins
            .handle(guild, plugin, self.services(plugin), context, event)
            .await?;
        match checks::check_effects(&plugin.granted, ticket.map(|t| t.status), &result.value) {
            Ok(()) => {
                self.plugins.record(guild, plugin.id(), false);
                Ok(result.value)
            }
            Err(Refusal::NotGranted(capability)) => {
                tracing::warn!(plugin = plugin.id(), %capability, "plugin effect refused: capability not granted");
                Err(PluginError::NotGranted {
                    plugin: plugin.id().to_owned(),
                    capability,
                })
            }
            Err(Refusal::Invalid(message)) => Err(invalid(plugin, message)),
        }
    }

    /// The plugin, ticket and event a plugin component stands for, if the user may use it
    /// where they did; otherwise the refusal to answer.
    async fn route_plugin(
        &self,
        interaction: &Interaction,
        id: &PluginCustomId,
    ) -> Result<Routed, Reply> {
        let in_dm = interaction.guild_id.is_none();
        // In a DM the guild is the one of the ticket the custom id names.
        let guild_id = match interaction.guild_id {
            Some(guild) => Some(guild),
            None if id.ticket != 0 => self
                .store
                .ticket(id.ticket)
                .await
                .ok()
                .flatten()
                .map(|t| t.guild_id),
            None => None,
        };
        let texts = self.texts(guild_id);
        let refuse = |key: &str| Reply::private(texts.get(key, &[]));
        let Some(guild) = guild_id.and_then(|g| self.guild(g)) else {
            return Err(refuse(if in_dm {
                "unknown-action"
            } else {
                "guild-not-configured"
            }));
        };
        let Some(plugin) = self.plugins.get(guild.id, &id.plugin) else {
            if self.plugins.is_disabled(guild.id, &id.plugin) {
                // Users know the action by its name, not its id.
                let name = self
                    .plugins
                    .configured(guild.id, &id.plugin)
                    .map_or_else(|| id.plugin.clone(), |p| p.name().to_owned());
                return Err(Reply::private(
                    texts.get("plugin-disabled", &[("plugin", &name)]),
                ));
            }
            return Err(refuse("unknown-action"));
        };
        let user = &interaction.user;
        let standing = |record: &TicketRecord, members: &[u64]| Standing {
            staff: guild.is_staff_for(&record.type_id, &user.roles),
            opener: user.id == record.opener_id,
            member: members.contains(&user.id),
        };
        let (ticket, event) = match (&id.kind, &interaction.kind) {
            (PluginIdKind::TicketButton, InteractionKind::Button { .. }) if !in_dm => {
                let (_, record) = self.active_ticket_for(interaction, id.ticket).await?;
                // A ticket button lives on the ticket's welcome message and nowhere else.
                if record
                    .welcome_message_id
                    .is_some_and(|w| interaction.message_id != Some(w))
                {
                    return Err(refuse("unknown-action"));
                }
                let Some(button) = plugin
                    .instance
                    .manifest()
                    .buttons
                    .iter()
                    .find(|b| b.id == id.suffix)
                else {
                    return Err(refuse("unknown-action"));
                };
                let members = self.store.members(record.id).await.unwrap_or_default();
                audience_allows(button.audience, standing(&record, &members)).map_err(refuse)?;
                (Some(record), c::Event::Button(id.suffix.clone()))
            }
            (PluginIdKind::Modal, InteractionKind::Modal { fields, .. }) => {
                let record = if in_dm {
                    // A form opened from the plugin's DM: for the ticket's own people, whatever
                    // has become of the ticket since.
                    let record = match self.store.ticket(id.ticket).await {
                        Ok(Some(record)) if record.guild_id == guild.id => record,
                        _ => return Err(refuse("unknown-action")),
                    };
                    let members = self.store.members(record.id).await.unwrap_or_default();
                    if user.id != record.opener_id && !members.contains(&user.id) {
                        return Err(refuse("unknown-action"));
                    }
                    Some(record)
                } else if id.ticket == 0 {
                    // A form outside any ticket: staff only.
                    if !guild.is_staff(&user.roles) {
                        return Err(refuse("not-staff"));
                    }
                    None
                } else {
                    let (_, record) = self.active_ticket_for(interaction, id.ticket).await?;
                    let members = self.store.members(record.id).await.unwrap_or_default();
                    audience_allows(
                        component_audience(plugin.instance.manifest()),
                        standing(&record, &members),
                    )
                    .map_err(refuse)?;
                    Some(record)
                };
                let fields = fields
                    .iter()
                    .map(|(id, value)| c::Field {
                        id: id.clone(),
                        value: value.clone(),
                    })
                    .collect();
                (
                    record,
                    c::Event::Modal(c::ModalSubmit {
                        custom_id: id.suffix.clone(),
                        fields,
                    }),
                )
            }
            (
                PluginIdKind::Component,
                InteractionKind::Button { .. } | InteractionKind::Select { .. },
            ) => {
                // Components posted elsewhere (an approval in another channel, a DM) keep
                // working after the ticket ended; the ticket's facts still come along.
                let record = if id.ticket == 0 {
                    None
                } else {
                    match self.store.ticket(id.ticket).await {
                        Ok(Some(record)) if record.guild_id == guild.id => Some(record),
                        Ok(_) => return Err(refuse("unknown-action")),
                        Err(error) => {
                            tracing::error!(%error, "reading a ticket failed");
                            return Err(refuse("discord-error"));
                        }
                    }
                };
                let in_ticket = !in_dm
                    && record
                        .as_ref()
                        .is_some_and(|t| t.channel_id == Some(interaction.channel_id));
                if let (true, Some(record)) = (in_ticket, &record) {
                    // In the ticket's channel: for whoever may use the plugin's buttons.
                    let members = self.store.members(record.id).await.unwrap_or_default();
                    audience_allows(
                        component_audience(plugin.instance.manifest()),
                        standing(record, &members),
                    )
                    .map_err(refuse)?;
                } else {
                    // Elsewhere: only on a message the plugin itself posted there (a DM it
                    // sent can only be used by the one it was sent to).
                    let channel = if in_dm {
                        DM_CHANNEL
                    } else {
                        interaction.channel_id
                    };
                    let (guild_id, plugin_id) = (guild.id, plugin.id());
                    let owns = |message| async move {
                        self.store
                            .plugin_owns_message(guild_id, plugin_id, channel, message)
                            .await
                            .unwrap_or_else(|error| {
                                tracing::error!(%error, "looking up a plugin's message failed");
                                false
                            })
                    };
                    let owned = match interaction.message_id {
                        Some(message) if owns(message).await => true,
                        Some(message) => {
                            // Perhaps a message still being recorded: wait for those in flight.
                            let _recorded = self.recording_messages.write().await;
                            owns(message).await
                        }
                        _ => false,
                    };
                    if !owned {
                        return Err(refuse("unknown-action"));
                    }
                }
                let values = match &interaction.kind {
                    InteractionKind::Select { values, .. } => values.clone(),
                    _ => Vec::new(),
                };
                let event = c::Event::Component(c::ComponentUse {
                    custom_id: id.suffix.clone(),
                    values,
                    channel_id: interaction.channel_id,
                    message_id: interaction.message_id.unwrap_or_default(),
                    in_dm,
                });
                (record, event)
            }
            _ => return Err(refuse("unknown-action")),
        };
        Ok(Routed {
            guild,
            plugin,
            ticket,
            event,
        })
    }
}

/// A reply or effect that breaks a rule, as the plugin's failure.
pub(super) fn invalid(plugin: &GuildPlugin, message: String) -> PluginError {
    PluginError::Invalid {
        plugin: plugin.id().to_owned(),
        message,
    }
}
