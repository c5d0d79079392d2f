//! Plugin actions in the lifecycle: routes plugin components to their plugin with the ticket's
//! context, turns the plugin's answer into a Discord reply, checks every effect against what the
//! guild granted and performs them; plugin failures are answered, logged and counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::plugin_ids::{PluginCustomId, PluginIdKind};
use super::{After, Handled, Tickets};
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::plugins::contract as c;
use crate::plugins::{GuildPlugin, HostServices, PluginError};
use crate::store::{NoteRecord, PluginChannel, PluginTimer, Store, TicketRecord, TicketStatus};
use crate::ui::{self, ButtonStyle, Component, OutMessage, Reply};

/// How often the timer loop looks when nothing is scheduled sooner.
const TIMER_POLL: Duration = Duration::from_secs(30);

/// Where effects run: the plugin, the guild, the ticket and the interaction, if any.
struct EffectScope<'a> {
    guild: &'a GuildConfig,
    plugin: &'a GuildPlugin,
    ticket: Option<&'a TicketRecord>,
    interaction: Option<&'a Interaction>,
    /// The user's answer waits for the effects: a DM that fails gives its `on_failure` text
    /// as the answer instead of a second message.
    answer_after: bool,
}

/// Reads for plugins, answered from the store and Discord on the calling (blocking) thread.
struct Services {
    store: Store,
    discord: Arc<dyn crate::rest::DiscordApi>,
    runtime: tokio::runtime::Handle,
}

impl HostServices for Services {
    fn get(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
        within: std::time::Duration,
    ) -> Result<Option<String>, String> {
        let read = tokio::time::timeout(within, self.store.plugin_get(guild, plugin, key));
        match self.runtime.block_on(read) {
            Ok(found) => found.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "the database did not answer within {} ms",
                within.as_millis()
            )),
        }
    }

    fn member_roles(
        &self,
        guild: u64,
        user: u64,
        within: std::time::Duration,
    ) -> Result<Option<Vec<u64>>, String> {
        let read = tokio::time::timeout(within, self.discord.member_roles(guild, user));
        match self.runtime.block_on(read) {
            Ok(found) => found.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "Discord did not answer within {} ms",
                within.as_millis()
            )),
        }
    }
}

impl Tickets {
    fn services(&self) -> Arc<dyn HostServices> {
        Arc::new(Services {
            store: self.store.clone(),
            discord: self.discord.clone(),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// The buttons the guild's plugins add to a ticket's welcome message.
    pub(super) fn plugin_buttons(&self, guild: u64, ticket: i64) -> Vec<Component> {
        let mut buttons = Vec::new();
        for plugin in self.plugins.enabled(guild) {
            for button in &plugin.instance.manifest().buttons {
                let id = PluginCustomId {
                    plugin: plugin.id().to_owned(),
                    ticket,
                    kind: PluginIdKind::TicketButton,
                    suffix: button.id.clone(),
                };
                let Ok(custom_id) = id.render() else { continue };
                buttons.push(Component::Button {
                    custom_id,
                    label: button.label.chars().take(80).collect(),
                    emoji: button.emoji.clone(),
                    style: style(button.style),
                    disabled: false,
                });
            }
        }
        buttons
    }

    /// A click or form submission on a plugin's component.
    pub(super) async fn plugin_interaction(
        self: &Arc<Self>,
        interaction: &Interaction,
        id: PluginCustomId,
    ) -> Handled {
        let texts = self.texts(interaction.guild_id);
        let refuse = |key: &str| Handled::Reply(Reply::private(texts.get(key, &[])));
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return refuse("guild-not-configured");
        };
        let Some(plugin) = self.plugins.get(guild.id, &id.plugin) else {
            if self.plugins.is_disabled(guild.id, &id.plugin) {
                // Users know the action by its name, not its id.
                let name = self
                    .plugins
                    .configured(guild.id, &id.plugin)
                    .map_or_else(|| id.plugin.clone(), |p| p.instance.manifest().name.clone());
                return Handled::Reply(Reply::private(
                    texts.get("plugin-disabled", &[("plugin", &name)]),
                ));
            }
            return refuse("unknown-action");
        };
        let user = &interaction.user;
        // Whether the user may act for `audience` in `record`.
        let allowed = |audience: c::Audience, record: &TicketRecord, members: &[u64]| {
            audience_allows(
                audience,
                guild.is_staff_for(&record.type_id, &user.roles),
                user.id == record.opener_id,
                members.contains(&user.id),
            )
        };
        let (ticket, event) = match (&id.kind, &interaction.kind) {
            (PluginIdKind::TicketButton, InteractionKind::Button { .. }) => {
                let (_, record) = match self.active_ticket_for(interaction, id.ticket).await {
                    Ok(found) => found,
                    Err(refusal) => return Handled::Reply(refusal),
                };
                // A ticket button lives on the ticket's welcome message and nowhere else.
                if record
                    .welcome_message_id
                    .is_some_and(|w| interaction.message_id != Some(w))
                {
                    return refuse("unknown-action");
                }
                let Some(button) = plugin
                    .instance
                    .manifest()
                    .buttons
                    .iter()
                    .find(|b| b.id == id.suffix)
                else {
                    return refuse("unknown-action");
                };
                let members = self.store.members(record.id).await.unwrap_or_default();
                if let Err(key) = allowed(button.audience, &record, &members) {
                    return refuse(key);
                }
                (Some(record), c::Event::Button(id.suffix.clone()))
            }
            (PluginIdKind::Modal, InteractionKind::Modal { fields, .. }) => {
                let record = if id.ticket == 0 {
                    // A form outside any ticket: staff only.
                    if !guild.is_staff(&user.roles) {
                        return refuse("not-staff");
                    }
                    None
                } else {
                    let (_, record) = match self.active_ticket_for(interaction, id.ticket).await {
                        Ok(found) => found,
                        Err(refusal) => return Handled::Reply(refusal),
                    };
                    let members = self.store.members(record.id).await.unwrap_or_default();
                    if let Err(key) = allowed(component_audience(&plugin), &record, &members) {
                        return refuse(key);
                    }
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
                // Components posted elsewhere (an approval in the item-return channel) keep
                // working after the ticket ended; the ticket's facts still come along.
                let record = if id.ticket == 0 {
                    None
                } else {
                    match self.store.ticket(id.ticket).await {
                        Ok(Some(record)) if record.guild_id == guild.id => Some(record),
                        Ok(_) => return refuse("unknown-action"),
                        Err(error) => {
                            tracing::error!(%error, "reading a ticket failed");
                            return refuse("discord-error");
                        }
                    }
                };
                let in_ticket = record
                    .as_ref()
                    .is_some_and(|t| t.channel_id == Some(interaction.channel_id));
                if let (true, Some(record)) = (in_ticket, &record) {
                    // In the ticket's channel: for whoever may use the plugin's buttons.
                    let members = self.store.members(record.id).await.unwrap_or_default();
                    if let Err(key) = allowed(component_audience(&plugin), record, &members) {
                        return refuse(key);
                    }
                } else {
                    // Elsewhere: only on a message the plugin itself posted there.
                    let owned = match interaction.message_id {
                        Some(message) => self
                            .store
                            .plugin_owns_message(
                                guild.id,
                                plugin.id(),
                                interaction.channel_id,
                                message,
                            )
                            .await
                            .unwrap_or(false),
                        None => false,
                    };
                    if !owned {
                        return refuse("unknown-action");
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
                });
                (record, event)
            }
            _ => return refuse("unknown-action"),
        };
        let actor = c::User {
            id: user.id,
            name: user.name.clone(),
            roles: user.roles.clone(),
            is_staff: ticket.as_ref().map_or_else(
                || guild.is_staff(&user.roles),
                |t| guild.is_staff_for(&t.type_id, &user.roles),
            ),
            // Without approver roles configured, staff approve.
            is_approver: if guild.approver_roles.is_empty() {
                guild.is_staff(&user.roles)
            } else {
                user.roles.iter().any(|r| guild.approver_roles.contains(r))
            },
        };
        let context = self
            .plugin_context(guild, &plugin, ticket.as_ref(), Some(actor))
            .await;
        // One event at a time per plugin and guild, effects included: a plugin's
        // read-then-store (two approvers clicking at once) cannot interleave.
        let turn = self.plugins.turn(guild.id, plugin.id()).await;
        let called = self
            .plugins
            .handle(guild.id, &plugin, self.services(), context, event)
            .await
            .and_then(|result| {
                check_effects(&plugin, ticket.as_ref(), &result.value)?;
                let reply = match result.value.reply.clone() {
                    Some(reply) => Some(to_reply(&plugin, id.ticket, reply)?),
                    None => None,
                };
                Ok((reply, result.value.effects))
            });
        match called {
            Ok((reply, effects)) => {
                self.plugins.record(guild.id, plugin.id(), false);
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
                        guild,
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
                let this = self.clone();
                let guild_id = guild.id;
                let plugin_id = plugin.id().to_owned();
                let message = if error.is_host_failure() {
                    texts.get("plugin-host-failed", &[])
                } else {
                    texts.get(
                        "plugin-failed",
                        &[("plugin", &plugin.instance.manifest().name)],
                    )
                };
                let after: After = Box::pin(async move {
                    this.plugin_failed(guild_id, &plugin_id, &error).await;
                });
                Handled::Then(Reply::private(message), after)
            }
        }
    }

    /// The context a plugin gets for an event.
    async fn plugin_context(
        &self,
        guild: &GuildConfig,
        plugin: &GuildPlugin,
        ticket: Option<&TicketRecord>,
        user: Option<c::User>,
    ) -> c::Context {
        let ticket = match ticket {
            Some(t) => Some(c::Ticket {
                id: t.id,
                number: t.number,
                type_id: t.type_id.clone(),
                channel_id: t.channel_id.unwrap_or_default(),
                opener: t.opener_id,
                claimer: t.claimed_by,
                members: self.store.members(t.id).await.unwrap_or_default(),
            }),
            None => None,
        };
        c::Context {
            guild_id: guild.id,
            locale: guild.locale.tag().to_owned(),
            ticket,
            user,
            settings: plugin.settings.to_string(),
            now_ms: Utc::now().timestamp_millis().max(0) as u64,
        }
    }

    /// Reports a plugin failure in the guild's log channel and counts it.
    async fn plugin_failed(&self, guild: u64, plugin: &str, error: &PluginError) {
        tracing::warn!(guild, plugin, %error, "plugin event failed");
        if error.is_host_failure() {
            // Our failure, not the plugin's: logged, never counted towards disabling it.
            self.log_event(
                guild,
                None,
                None,
                "plugin.host_failed",
                json!({"plugin": plugin, "error": error.to_string()}),
            )
            .await;
            return;
        }
        let disabled = self.plugins.record(guild, plugin, true);
        let Some(config) = self.guild(guild) else {
            return;
        };
        let texts = self.texts(Some(guild));
        let mut text = texts.get(
            "plugin-failed-log",
            &[("plugin", plugin), ("error", &error.to_string())],
        );
        if disabled {
            text.push('\n');
            text.push_str(&texts.get(
                "plugin-disabled-log",
                &[
                    ("plugin", plugin),
                    ("count", &crate::plugins::FAILURES_TO_DISABLE.to_string()),
                ],
            ));
        }
        let message = OutMessage::embed(
            ui::Embed::new(texts.get("plugin-failed-title", &[]), text).color(0xE03131),
        );
        if let Err(error) = self
            .discord
            .send_message(config.log_channel, &message)
            .await
        {
            tracing::warn!(%error, guild, "could not report a plugin failure in the log channel");
        }
        self.log_event(
            guild,
            None,
            None,
            "plugin.failed",
            json!({"plugin": plugin, "error": error.to_string(), "disabled": disabled}),
        )
        .await;
    }

    /// Calls `plugin` for an event nobody clicked (a timer, voice, a closed ticket) and performs
    /// its effects; a reply is ignored.
    async fn plugin_background(
        &self,
        guild: &GuildConfig,
        plugin: &GuildPlugin,
        ticket: Option<&TicketRecord>,
        event: c::Event,
    ) {
        let _turn = self.plugins.turn(guild.id, plugin.id()).await;
        let context = self.plugin_context(guild, plugin, ticket, None).await;
        let called = self
            .plugins
            .handle(guild.id, plugin, self.services(), context, event)
            .await
            .and_then(|result| {
                check_effects(plugin, ticket, &result.value)?;
                Ok(result.value.effects)
            });
        match called {
            Ok(effects) => {
                self.plugins.record(guild.id, plugin.id(), false);
                let scope = EffectScope {
                    guild,
                    plugin,
                    ticket,
                    interaction: None,
                    answer_after: false,
                };
                self.perform(&scope, effects).await;
            }
            Err(error) => self.plugin_failed(guild.id, plugin.id(), &error).await,
        }
    }

    /// Performs checked effects in order; one that fails is logged and the rest still run.
    /// Returns the `on_failure` text of a DM that failed when the answer waits for the effects.
    async fn perform(&self, scope: &EffectScope<'_>, effects: Vec<c::Effect>) -> Option<String> {
        let plugin = scope.plugin.id();
        let guild = scope.guild.id;
        let ticket_id = scope.ticket.map_or(0, |t| t.id);
        let mut notice: Option<String> = None;
        for effect in effects {
            let what = effect_name(&effect);
            let done: Result<(), String> = match effect {
                c::Effect::Post((channel, message)) => {
                    async {
                        let target = self.effect_channel(scope, &channel)?;
                        // A plugin's post may notify the ticket's own people it mentions; never
                        // roles or @everyone.
                        let people = self.ticket_people(scope.ticket).await;
                        let message =
                            to_message(scope.plugin, ticket_id, message)?.ping_users(people);
                        let id = self
                            .discord
                            .send_message(target, &message)
                            .await
                            .map_err(|e| e.to_string())?;
                        self.store
                            .remember_plugin_message(
                                guild,
                                plugin,
                                target,
                                id,
                                scope.ticket.map(|t| t.id),
                            )
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::Edit((channel, message_id, message)) => {
                    async {
                        let owned = self
                            .store
                            .plugin_owns_message(guild, plugin, channel, message_id)
                            .await
                            .map_err(|e| e.to_string())?;
                        if !owned {
                            return Err("it may only edit messages it posted".to_owned());
                        }
                        let message = to_message(scope.plugin, ticket_id, message)?;
                        self.discord
                            .edit_message(channel, message_id, &message)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::SendDm(dm) => {
                    async {
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
                            return Err("it may only DM the ticket's opener and members".to_owned());
                        }
                        let message = to_message(scope.plugin, ticket_id, dm.message)?;
                        match self.discord.send_dm(dm.user, &message).await {
                            Ok(_) => Ok(()),
                            Err(error) => {
                                match (dm.on_failure, scope.interaction) {
                                    (Some(text), Some(_)) if scope.answer_after => {
                                        notice.get_or_insert(text);
                                    }
                                    (Some(text), Some(interaction)) => {
                                        let _ = self
                                            .discord
                                            .followup(
                                                &interaction.handle,
                                                &OutMessage::text(text),
                                                true,
                                            )
                                            .await;
                                    }
                                    _ => {}
                                }
                                Err(error.to_string())
                            }
                        }
                    }
                    .await
                }
                c::Effect::Rename(name) => {
                    async {
                        let channel = self.effect_channel(scope, &c::Channel::Ticket)?;
                        let name =
                            channel_name(&name).ok_or("a channel name needs a letter or digit")?;
                        match self.discord.rename_channel(channel, &name).await {
                            Ok(()) => {
                                self.renames.record(channel);
                                Ok(())
                            }
                            Err(error) => {
                                if let Some(interaction) = scope.interaction {
                                    let texts = self.texts(Some(guild));
                                    let text = if error.status() == Some(429) {
                                        self.renames.exhaust(channel);
                                        texts.get("rename-limited", &[("minutes", "10")])
                                    } else {
                                        texts.get("discord-error", &[])
                                    };
                                    let _ = self
                                        .discord
                                        .followup(
                                            &interaction.handle,
                                            &OutMessage::text(text),
                                            true,
                                        )
                                        .await;
                                }
                                Err(error.to_string())
                            }
                        }
                    }
                    .await
                }
                c::Effect::MoveTo(category) => {
                    async {
                        let ticket = scope.ticket.ok_or("a move needs a ticket")?;
                        let channel = self.effect_channel(scope, &c::Channel::Ticket)?;
                        let g = scope.guild;
                        let allowed = category == g.ticket_category
                            || g.overflow_categories.contains(&category)
                            || g.ticket_types.iter().any(|t| t.category == Some(category));
                        if !allowed {
                            return Err(format!(
                                "{category} is not one of this guild's ticket categories"
                            ));
                        }
                        let members = self
                            .store
                            .members(ticket.id)
                            .await
                            .map_err(|e| e.to_string())?;
                        let overwrites = self
                            .ticket_overwrites(
                                g,
                                &ticket.type_id,
                                ticket.opener_id,
                                &members,
                                category,
                                ticket.claimed_by,
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                        self.discord
                            .move_channel(channel, category, &overwrites)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::CreateVoice((name, key)) => {
                    async {
                        let ticket = scope.ticket.ok_or("a voice channel needs a ticket")?;
                        let text_channel = ticket.channel_id.ok_or("the ticket has no channel")?;
                        let parent = self
                            .discord
                            .channel_parent(text_channel)
                            .await
                            .map_err(|e| e.to_string())?;
                        let overwrites = self
                            .discord
                            .overwrites(text_channel)
                            .await
                            .map_err(|e| e.to_string())?;
                        let overwrites: Vec<_> =
                            overwrites.into_iter().map(with_voice_rights).collect();
                        let name: String = name.chars().take(100).collect();
                        let channel = self
                            .discord
                            .create_voice_channel(guild, &name, parent, &overwrites)
                            .await
                            .map_err(|e| e.to_string())?;
                        self.store
                            .add_plugin_channel(PluginChannel {
                                channel_id: channel,
                                guild_id: guild,
                                plugin: plugin.to_owned(),
                                ticket_id: ticket.id,
                            })
                            .await
                            .map_err(|e| e.to_string())?;
                        self.store
                            .plugin_set(
                                guild,
                                plugin,
                                &key,
                                &channel.to_string(),
                                MAX_STORAGE_KEYS,
                                MAX_STORAGE_BYTES,
                            )
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::DeleteVoice(channel) => {
                    async {
                        match self
                            .store
                            .plugin_channel(channel)
                            .await
                            .map_err(|e| e.to_string())?
                        {
                            Some(owned) if owned.guild_id == guild && owned.plugin == plugin => {}
                            _ => {
                                return Err(
                                    "it may only delete voice channels it created".to_owned()
                                )
                            }
                        }
                        self.discord
                            .delete_channel(channel)
                            .await
                            .map_err(|e| e.to_string())?;
                        self.store
                            .remove_plugin_channel(channel)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::AddNote(text) => {
                    async {
                        let ticket = scope.ticket.ok_or("a note needs a ticket")?;
                        let author = scope
                            .interaction
                            .map(|i| i.user.id)
                            .or_else(|| self.bot_user.get().copied())
                            .unwrap_or_default();
                        let body: String = text.chars().take(2000).collect();
                        self.store
                            .add_note(
                                ticket.id,
                                NoteRecord {
                                    author_id: author,
                                    body,
                                    created_at: Utc::now(),
                                },
                            )
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::Schedule(timer) => {
                    async {
                        let ticket = scope.ticket.ok_or("a timer needs a ticket")?;
                        let delay = Duration::from_millis(timer.delay_ms);
                        let due_at =
                            Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                        self.store
                            .set_plugin_timer(
                                PluginTimer {
                                    guild_id: guild,
                                    plugin: plugin.to_owned(),
                                    ticket_id: ticket.id,
                                    key: timer.key,
                                    due_at,
                                    payload: timer.payload,
                                },
                                MAX_TIMERS_PER_TICKET,
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                        self.timers_changed.notify_one();
                        Ok(())
                    }
                    .await
                }
                c::Effect::CancelTimer(key) => {
                    async {
                        let ticket = scope.ticket.ok_or("a timer needs a ticket")?;
                        self.store
                            .cancel_plugin_timer(guild, plugin, ticket.id, &key)
                            .await
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    }
                    .await
                }
                c::Effect::Store((key, value)) => self
                    .store
                    .plugin_set(
                        guild,
                        plugin,
                        &key,
                        &value,
                        MAX_STORAGE_KEYS,
                        MAX_STORAGE_BYTES,
                    )
                    .await
                    .map_err(|e| e.to_string()),
                c::Effect::Forget(key) => self
                    .store
                    .plugin_forget(guild, plugin, &key)
                    .await
                    .map_err(|e| e.to_string()),
            };
            if let Err(error) = done {
                tracing::warn!(guild, plugin, effect = what, %error, "a plugin effect failed");
            } else {
                tracing::debug!(guild, plugin, effect = what, "plugin effect performed");
            }
        }
        notice
    }

    /// The opener, claimer and members of `ticket`.
    async fn ticket_people(&self, ticket: Option<&TicketRecord>) -> Vec<u64> {
        let Some(ticket) = ticket else {
            return Vec::new();
        };
        let mut people = self.store.members(ticket.id).await.unwrap_or_default();
        people.push(ticket.opener_id);
        people.extend(ticket.claimed_by);
        people
    }

    /// Renames and moves need a live ticket, and Discord allows two renames per channel per
    /// ten minutes: say so now rather than let the rename hang or fail later.
    fn channel_change_refusal(
        &self,
        guild: u64,
        ticket: Option<&TicketRecord>,
        effects: &[c::Effect],
    ) -> Option<Reply> {
        let texts = self.texts(Some(guild));
        let changes = effects
            .iter()
            .any(|e| matches!(e, c::Effect::Rename(_) | c::Effect::MoveTo(_)));
        if !changes {
            return None;
        }
        let Some(ticket) = ticket.filter(|t| t.status == TicketStatus::Open) else {
            return Some(Reply::private(texts.get("ticket-closed", &[])));
        };
        let renames = effects.iter().any(|e| matches!(e, c::Effect::Rename(_)));
        let channel = ticket.channel_id?;
        if renames {
            if let Some(wait) = self.renames.wait(channel) {
                let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
                return Some(Reply::private(
                    texts.get("rename-limited", &[("minutes", &minutes)]),
                ));
            }
        }
        None
    }

    fn effect_channel(&self, scope: &EffectScope<'_>, channel: &c::Channel) -> Result<u64, String> {
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
                .ok_or_else(|| "the ticket has no open channel".to_owned()),
            c::Channel::ItemReturn => scope
                .guild
                .item_return_channel
                .ok_or_else(|| "this guild has no item_return_channel".to_owned()),
            c::Channel::Log => Ok(scope.guild.log_channel),
        }
    }

    /// A user joined, moved or left voice: plugins that own the channel hear about it.
    pub async fn on_voice_state(self: &Arc<Self>, guild: u64, user: u64, channel: Option<u64>) {
        self.tracked(self.voice_state_changed(guild, user, channel))
            .await
    }

    async fn voice_state_changed(self: &Arc<Self>, guild: u64, user: u64, channel: Option<u64>) {
        let left = {
            let mut voice = self.voice.lock().expect("voice lock");
            let left = match channel {
                Some(channel) => voice.insert((guild, user), channel),
                None => voice.remove(&(guild, user)),
            };
            left.filter(|l| Some(*l) != channel)
        };
        let Some(config) = self.guild(guild) else {
            return;
        };
        for concerned in [channel, left].into_iter().flatten() {
            let owned = match self.store.plugin_channel(concerned).await {
                Ok(Some(owned)) => owned,
                Ok(None) => continue,
                Err(error) => {
                    tracing::error!(%error, "looking up a voice channel failed");
                    continue;
                }
            };
            let Some(plugin) = self.plugins.get(guild, &owned.plugin) else {
                continue;
            };
            if !plugin
                .instance
                .manifest()
                .subscriptions
                .contains(&c::Subscription::VoiceState)
            {
                continue;
            }
            let occupants = self
                .voice
                .lock()
                .expect("voice lock")
                .values()
                .filter(|c| **c == concerned)
                .count() as u32;
            let ticket = self.store.ticket(owned.ticket_id).await.ok().flatten();
            let event = c::Event::Voice(c::VoiceChange {
                user,
                joined: channel.filter(|c| *c == concerned),
                left: left.filter(|l| *l == concerned),
                occupants,
            });
            self.plugin_background(config, &plugin, ticket.as_ref(), event)
                .await;
        }
    }

    /// A ticket ended: subscribed plugins hear about it, then any channel a plugin created for
    /// it and its timers are removed.
    pub(super) async fn plugins_after_end(&self, guild: &GuildConfig, ticket_id: i64) {
        let ticket = self.store.ticket(ticket_id).await.ok().flatten();
        for plugin in self.plugins.enabled(guild.id) {
            if plugin
                .instance
                .manifest()
                .subscriptions
                .contains(&c::Subscription::TicketClosed)
            {
                self.plugin_background(guild, &plugin, ticket.as_ref(), c::Event::TicketClosed)
                    .await;
            }
        }
        for channel in self
            .store
            .plugin_channels_of(ticket_id)
            .await
            .unwrap_or_default()
        {
            if let Err(error) = self.discord.delete_channel(channel.channel_id).await {
                tracing::warn!(%error, channel = channel.channel_id, "could not delete a plugin channel of an ended ticket");
                continue;
            }
            let _ = self.store.remove_plugin_channel(channel.channel_id).await;
        }
        for timer in self
            .store
            .plugin_timers_of(ticket_id)
            .await
            .unwrap_or_default()
        {
            let _ = self
                .store
                .cancel_plugin_timer(timer.guild_id, &timer.plugin, timer.ticket_id, &timer.key)
                .await;
        }
    }

    /// Fires plugin timers as they fall due, from the store, so they survive restarts. Runs
    /// until shutdown; started once at READY.
    pub(super) fn start_timers(self: &Arc<Self>) {
        if self
            .timers_started
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let this = self.clone();
        self.spawn_until_shutdown(async move {
            loop {
                let (due, next) = match this.store.due_plugin_timers(Utc::now()).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::error!(%error, "reading plugin timers failed");
                        (Vec::new(), None)
                    }
                };
                for timer in due {
                    // Taking it first means it fires once even if the plugin fails.
                    match this
                        .store
                        .cancel_plugin_timer(
                            timer.guild_id,
                            &timer.plugin,
                            timer.ticket_id,
                            &timer.key,
                        )
                        .await
                    {
                        Ok(true) => {}
                        _ => continue,
                    }
                    let Some(guild) = this.guild(timer.guild_id) else {
                        continue;
                    };
                    let Some(plugin) = this.plugins.get(guild.id, &timer.plugin) else {
                        continue;
                    };
                    let ticket = this.store.ticket(timer.ticket_id).await.ok().flatten();
                    let event = c::Event::Timer(c::TimerFired {
                        key: timer.key,
                        payload: timer.payload,
                    });
                    this.plugin_background(guild, &plugin, ticket.as_ref(), event)
                        .await;
                }
                let wait = next
                    .and_then(|at| (at - Utc::now()).to_std().ok())
                    .unwrap_or(TIMER_POLL)
                    .min(TIMER_POLL);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = this.timers_changed.notified() => {}
                }
            }
        });
    }
}

/// The capability an effect needs (none for posting in the ticket's own channel).
fn capability(effect: &c::Effect) -> Option<&'static str> {
    Some(match effect {
        c::Effect::Post((c::Channel::Ticket, _)) => return None,
        c::Effect::Post(_) | c::Effect::Edit(_) => "post-messages",
        c::Effect::SendDm(_) => "dm",
        c::Effect::Rename(_) => "rename-channel",
        c::Effect::MoveTo(_) => "move-channel",
        c::Effect::CreateVoice(_) | c::Effect::DeleteVoice(_) => "voice-channels",
        c::Effect::AddNote(_) => "notes",
        c::Effect::Schedule(_) | c::Effect::CancelTimer(_) => "timers",
        c::Effect::Store(_) | c::Effect::Forget(_) => "storage",
    })
}

fn effect_name(effect: &c::Effect) -> &'static str {
    match effect {
        c::Effect::Post(_) => "post",
        c::Effect::Edit(_) => "edit",
        c::Effect::SendDm(_) => "send-dm",
        c::Effect::Rename(_) => "rename",
        c::Effect::MoveTo(_) => "move-to",
        c::Effect::CreateVoice(_) => "create-voice",
        c::Effect::DeleteVoice(_) => "delete-voice",
        c::Effect::AddNote(_) => "add-note",
        c::Effect::Schedule(_) => "schedule",
        c::Effect::CancelTimer(_) => "cancel-timer",
        c::Effect::Store(_) => "store",
        c::Effect::Forget(_) => "forget",
    }
}

/// The most effects one outcome may ask for.
pub const MAX_EFFECTS: usize = 25;
/// Longest timer key and storage key, in bytes.
pub const MAX_KEY_BYTES: usize = 128;
/// Largest timer payload, in bytes.
pub const MAX_TIMER_PAYLOAD_BYTES: usize = 4096;
/// Largest stored value, in bytes.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;
/// Longest note, in characters (a Discord message).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most storage keys of one plugin in one guild.
pub const MAX_STORAGE_KEYS: u64 = 10_000;
/// Most stored bytes (values) of one plugin in one guild.
pub const MAX_STORAGE_BYTES: u64 = 8 << 20;
/// Most timers one plugin may have pending for one ticket.
pub const MAX_TIMERS_PER_TICKET: u64 = 50;
/// Longest timer delay: thirty days.
pub const MAX_TIMER_DELAY_MS: u64 = 30 * 24 * 3600 * 1000;

/// All or nothing: an effect the guild did not grant, or one beyond the bounds above, refuses
/// the whole outcome, so nothing is half done.
fn check_effects(
    plugin: &GuildPlugin,
    ticket: Option<&TicketRecord>,
    outcome: &c::Outcome,
) -> Result<(), PluginError> {
    let refuse = |message: String| Err(invalid(plugin, message));
    if outcome.effects.len() > MAX_EFFECTS {
        return refuse(format!(
            "{} effects in one outcome; at most {MAX_EFFECTS}",
            outcome.effects.len()
        ));
    }
    for effect in &outcome.effects {
        if let Some(needed) = capability(effect) {
            if !plugin.granted.iter().any(|g| g == needed) {
                tracing::warn!(
                    plugin = plugin.id(),
                    capability = needed,
                    "plugin effect refused: capability not granted"
                );
                return Err(PluginError::NotGranted {
                    plugin: plugin.id().to_owned(),
                    capability: needed.to_owned(),
                });
            }
        }
        let ended =
            ticket.is_some_and(|t| !matches!(t.status, TicketStatus::Open | TicketStatus::Closing));
        // (A cancelling ticket is ending: no new voice channel for it either.)
        if ended && matches!(effect, c::Effect::CreateVoice(_)) {
            return refuse("a voice channel for a ticket that has ended".into());
        }
        let key_ok = |key: &str| !key.is_empty() && key.len() <= MAX_KEY_BYTES;
        match effect {
            c::Effect::Schedule(timer) => {
                if !key_ok(&timer.key) {
                    return refuse(format!("a timer key has 1 to {MAX_KEY_BYTES} bytes"));
                }
                if timer.payload.len() > MAX_TIMER_PAYLOAD_BYTES {
                    return refuse(format!(
                        "a timer payload of {} bytes; at most {MAX_TIMER_PAYLOAD_BYTES}",
                        timer.payload.len()
                    ));
                }
                if timer.delay_ms > MAX_TIMER_DELAY_MS {
                    return refuse("a timer more than thirty days away".into());
                }
            }
            c::Effect::CancelTimer(key) | c::Effect::Forget(key) if !key_ok(key) => {
                return refuse(format!("a key has 1 to {MAX_KEY_BYTES} bytes"));
            }
            c::Effect::Store((key, value)) => {
                if !key_ok(key) {
                    return refuse(format!("a storage key has 1 to {MAX_KEY_BYTES} bytes"));
                }
                if value.len() > MAX_VALUE_BYTES {
                    return refuse(format!(
                        "a stored value of {} bytes; at most {MAX_VALUE_BYTES}",
                        value.len()
                    ));
                }
            }
            c::Effect::CreateVoice((_, key)) if !key_ok(key) => {
                return refuse(format!("a storage key has 1 to {MAX_KEY_BYTES} bytes"));
            }
            c::Effect::AddNote(note) if note.chars().count() > MAX_NOTE_CHARS => {
                return refuse(format!("a note has at most {MAX_NOTE_CHARS} characters"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Who may use a plugin's forms and the components it shows in a ticket: whoever may press
/// its ticket buttons (the widest audience among them; staff if it has none).
fn component_audience(plugin: &GuildPlugin) -> c::Audience {
    let rank = |a: &c::Audience| match a {
        c::Audience::Staff => 0,
        c::Audience::Opener => 1,
        c::Audience::Participants => 2,
        c::Audience::Anyone => 3,
    };
    plugin
        .instance
        .manifest()
        .buttons
        .iter()
        .map(|b| b.audience)
        .max_by_key(rank)
        .unwrap_or(c::Audience::Staff)
}

/// Whether a user may act for `audience` in `ticket`, and the refusal's text key if not.
fn audience_allows(
    audience: c::Audience,
    is_staff: bool,
    is_opener: bool,
    is_member: bool,
) -> Result<(), &'static str> {
    let allowed = match audience {
        c::Audience::Anyone => true,
        c::Audience::Staff => is_staff,
        c::Audience::Opener => is_opener,
        c::Audience::Participants => is_staff || is_opener || is_member,
    };
    if allowed {
        return Ok(());
    }
    Err(match audience {
        c::Audience::Staff => "not-staff",
        c::Audience::Opener => "only-opener",
        _ => "not-participant",
    })
}

fn style(style: c::ButtonStyle) -> ButtonStyle {
    match style {
        c::ButtonStyle::Primary => ButtonStyle::Primary,
        c::ButtonStyle::Secondary => ButtonStyle::Secondary,
        c::ButtonStyle::Success => ButtonStyle::Success,
        c::ButtonStyle::Danger => ButtonStyle::Danger,
    }
}

fn invalid(plugin: &GuildPlugin, message: String) -> PluginError {
    PluginError::Invalid {
        plugin: plugin.id().to_owned(),
        message,
    }
}

/// The plugin's reply as the core's, with its custom ids namespaced.
fn to_reply(plugin: &GuildPlugin, ticket: i64, reply: c::Reply) -> Result<Reply, PluginError> {
    Ok(match reply {
        c::Reply::Message((message, ephemeral)) => Reply::Message {
            message: to_message(plugin, ticket, message).map_err(|m| invalid(plugin, m))?,
            ephemeral,
        },
        c::Reply::Update(message) => {
            Reply::Update(to_message(plugin, ticket, message).map_err(|m| invalid(plugin, m))?)
        }
        c::Reply::Modal(modal) => {
            if modal.inputs.is_empty() || modal.inputs.len() > 5 {
                return Err(invalid(plugin, "a modal has 1 to 5 inputs".into()));
            }
            let custom_id = PluginCustomId {
                plugin: plugin.id().to_owned(),
                ticket,
                kind: PluginIdKind::Modal,
                suffix: modal.custom_id,
            }
            .render()
            .map_err(|m| invalid(plugin, m))?;
            Reply::Modal {
                custom_id,
                title: modal.title.chars().take(45).collect(),
                inputs: modal
                    .inputs
                    .into_iter()
                    .map(|input| ui::TextInput {
                        custom_id: input.id,
                        label: input.label.chars().take(45).collect(),
                        paragraph: input.paragraph,
                        required: input.required,
                        max_length: input.max_length.clamp(1, 4000),
                    })
                    .collect(),
            }
        }
    })
}

/// A plugin's message as the core's, checked against Discord's limits.
fn to_message(
    plugin: &GuildPlugin,
    ticket: i64,
    message: c::Message,
) -> Result<OutMessage, String> {
    if message.rows.len() > 5 || message.embeds.len() > 10 {
        return Err("a message has at most 5 rows and 10 embeds".into());
    }
    let id = |suffix: String| {
        PluginCustomId {
            plugin: plugin.id().to_owned(),
            ticket,
            kind: PluginIdKind::Component,
            suffix,
        }
        .render()
    };
    let mut out = OutMessage {
        content: message.content.map(|c| c.chars().take(2000).collect()),
        embeds: message
            .embeds
            .into_iter()
            .map(|e| ui::Embed {
                title: e.title,
                description: e.description,
                color: e.color,
                fields: e
                    .fields
                    .into_iter()
                    .take(25)
                    .map(|f| (f.name, f.value, f.inline))
                    .collect(),
                footer: e.footer,
            })
            .collect(),
        rows: Vec::new(),
        files: Vec::new(),
        pings: ui::Pings::default(),
    };
    for row in message.rows {
        if row.is_empty() || row.len() > 5 {
            return Err("a row has 1 to 5 components".into());
        }
        let mut components = Vec::new();
        for component in row {
            components.push(match component {
                c::Component::Button(b) => Component::Button {
                    custom_id: id(b.custom_id)?,
                    label: b.label.chars().take(80).collect(),
                    emoji: b.emoji,
                    style: style(b.style),
                    disabled: b.disabled,
                },
                c::Component::Link((label, url)) => {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(format!("a link button needs an http(s) URL, not {url:?}"));
                    }
                    Component::Link { label, url }
                }
                c::Component::Select(s) => {
                    if s.options.is_empty() || s.options.len() > 25 {
                        return Err("a select has 1 to 25 options".into());
                    }
                    if s.options
                        .iter()
                        .any(|o| o.value.is_empty() || o.value.chars().count() > 100)
                    {
                        return Err("a select option's value has 1 to 100 characters".into());
                    }
                    Component::Select {
                        custom_id: id(s.custom_id)?,
                        placeholder: s.placeholder,
                        options: s
                            .options
                            .into_iter()
                            .map(|o| ui::SelectOption {
                                value: o.value,
                                label: o.label,
                                description: o.description,
                                emoji: o.emoji,
                            })
                            .collect(),
                    }
                }
            });
        }
        out.rows.push(components);
    }
    Ok(out)
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

/// A Discord channel name from what a user typed: lowercase, spaces to dashes, at most 100.
fn channel_name(typed: &str) -> Option<String> {
    let name: String = typed
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .take(100)
        .collect();
    name.chars().any(char::is_alphanumeric).then_some(name)
}

/// Renames per channel in the last ten minutes, to answer Discord's limit of two before asking.
#[derive(Default)]
pub(super) struct RenameLog(std::sync::Mutex<HashMap<u64, Vec<std::time::Instant>>>);

impl RenameLog {
    const WINDOW: Duration = Duration::from_secs(600);
    const PER_WINDOW: usize = 2;

    /// How long until `channel` may be renamed again, if it may not now.
    fn wait(&self, channel: u64) -> Option<Duration> {
        let mut log = self.0.lock().expect("rename lock");
        let times = log.entry(channel).or_default();
        times.retain(|t| t.elapsed() < Self::WINDOW);
        (times.len() >= Self::PER_WINDOW).then(|| Self::WINDOW.saturating_sub(times[0].elapsed()))
    }

    fn record(&self, channel: u64) {
        self.0
            .lock()
            .expect("rename lock")
            .entry(channel)
            .or_default()
            .push(std::time::Instant::now());
    }

    /// Discord said no: count the window as used from now.
    fn exhaust(&self, channel: u64) {
        let now = std::time::Instant::now();
        self.0
            .lock()
            .expect("rename lock")
            .insert(channel, vec![now; Self::PER_WINDOW]);
    }
}

/// Keeps the map of who is in which voice channel (the gateway tells only changes).
pub(super) type VoiceMap = std::sync::Mutex<HashMap<(u64, u64), u64>>;
