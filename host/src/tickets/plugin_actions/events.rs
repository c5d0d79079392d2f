//! Events nobody clicked, delivered to the plugins subscribed to them: voice changes in a
//! plugin's channel, a ticket opened, a message posted, a claim changed, a member who left,
//! a ticket that ended, and timers as they fall due (from the store, so they survive
//! restarts). A reply to such an event has nobody to go to and is ignored.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::effects::EffectScope;
use crate::capability::Capability;
use crate::config::GuildConfig;
use crate::event::ChatMessage;
use crate::plugins::contract as c;
use crate::plugins::GuildPlugin;
use crate::store::{TicketRecord, TicketStatus};
use crate::tickets::Tickets;

/// How often the timer loop looks when nothing is scheduled sooner.
const TIMER_POLL: Duration = Duration::from_secs(30);

impl Tickets {
    /// Calls `plugin` for an event nobody clicked and performs its effects.
    pub(super) async fn plugin_background(
        &self,
        guild: &GuildConfig,
        plugin: &GuildPlugin,
        ticket: Option<&TicketRecord>,
        event: c::Event,
    ) {
        let _turn = self.plugins.turn(guild.id, plugin.id()).await;
        let context = self.plugin_context(guild, plugin, ticket, None).await;
        match self.call_plugin(plugin, ticket, context, event).await {
            Ok(outcome) => {
                let scope = EffectScope {
                    guild,
                    plugin,
                    ticket,
                    interaction: None,
                    answer_after: false,
                };
                self.perform(&scope, outcome.effects).await;
            }
            Err(error) => self.plugin_failed(guild.id, plugin, &error).await,
        }
    }

    /// Tells every plugin of `guild` subscribed to `subscription` (and granted `needs`, if
    /// the event reveals content) about `ticket`; `event` builds each one's event.
    async fn notify_subscribers(
        &self,
        guild: &GuildConfig,
        ticket: Option<&TicketRecord>,
        subscription: c::Subscription,
        needs: Option<Capability>,
        event: impl Fn(&GuildPlugin) -> Option<c::Event>,
    ) {
        for plugin in self.plugins.enabled(guild.id) {
            let subscribed = plugin
                .instance
                .manifest()
                .subscriptions
                .contains(&subscription);
            if !subscribed || needs.is_some_and(|n| !plugin.has(n)) {
                continue;
            }
            if let Some(event) = event(&plugin) {
                self.plugin_background(guild, &plugin, ticket, event).await;
            }
        }
    }

    /// A ticket was opened: subscribers hear about it, each with the answers to its own
    /// opening questions.
    pub(in crate::tickets) async fn plugins_after_open(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
    ) {
        self.notify_subscribers(
            guild,
            Some(ticket),
            c::Subscription::TicketOpened,
            None,
            |p| {
                let answers = ticket
                    .answers
                    .iter()
                    .filter(|a| a.plugin == p.id())
                    .map(|a| c::Field {
                        id: a.question.clone(),
                        value: a.value.clone(),
                    })
                    .collect();
                Some(c::Event::TicketOpened(answers))
            },
        )
        .await;
    }

    /// A message was posted in an open ticket's channel (not by the bot).
    pub(in crate::tickets) async fn plugins_after_message(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        message: &ChatMessage,
    ) {
        if ticket.status != TicketStatus::Open {
            return;
        }
        let by_staff = guild.is_staff_for(&ticket.type_id, &message.author.roles);
        let posted = c::PostedMessage {
            message_id: message.id,
            author: message.author.id,
            by_staff,
            text: message.content.clone(),
            attachments: message.attachments.len() as u32,
        };
        self.notify_subscribers(
            guild,
            Some(ticket),
            c::Subscription::TicketMessages,
            Some(Capability::ReadMessages),
            |_| Some(c::Event::MessagePosted(posted.clone())),
        )
        .await;
    }

    /// A ticket's claimer changed.
    pub(in crate::tickets) async fn plugins_after_claim(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        before: Option<u64>,
        by: u64,
    ) {
        let change = c::ClaimChange {
            before,
            after: ticket.claimed_by,
            by,
        };
        self.notify_subscribers(guild, Some(ticket), c::Subscription::Claims, None, |_| {
            Some(c::Event::ClaimChanged(change))
        })
        .await;
    }

    /// `user` left `guild`: plugins subscribed hear about each open ticket they opened or
    /// were a member of.
    pub async fn on_member_left(self: &Arc<Self>, guild: u64, user: u64) {
        self.tracked(self.member_left(guild, user)).await
    }

    async fn member_left(&self, guild: u64, user: u64) {
        let Some(config) = self.guild(guild) else {
            return;
        };
        let tickets = match self.store.open_tickets_of_person(guild, user).await {
            Ok(tickets) => tickets,
            Err(error) => {
                tracing::error!(%error, "finding a leaver's tickets failed");
                return;
            }
        };
        for ticket in tickets {
            self.notify_subscribers(
                &config,
                Some(&ticket),
                c::Subscription::MembersLeft,
                None,
                |_| Some(c::Event::MemberLeft(user)),
            )
            .await;
        }
    }

    /// A user joined, moved or left voice: plugins that own the channel hear about it.
    pub async fn on_voice_state(self: &Arc<Self>, guild: u64, user: u64, channel: Option<u64>) {
        self.tracked(self.voice_state_changed(guild, user, channel))
            .await
    }

    async fn voice_state_changed(&self, guild: u64, user: u64, channel: Option<u64>) {
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
            self.plugin_background(&config, &plugin, ticket.as_ref(), event)
                .await;
        }
    }

    /// A ticket ended: subscribed plugins hear about it, then any channel a plugin created for
    /// it and its timers are removed.
    pub(in crate::tickets) async fn plugins_after_end(&self, guild: &GuildConfig, ticket_id: i64) {
        let ticket = self.store.ticket(ticket_id).await.ok().flatten();
        self.notify_subscribers(
            guild,
            ticket.as_ref(),
            c::Subscription::TicketClosed,
            None,
            |_| Some(c::Event::TicketClosed),
        )
        .await;
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

    /// Fires one due timer: taken from the store first, so it fires once even if the plugin
    /// fails (or another pass of the loop found it too).
    async fn fire_timer(&self, timer: crate::store::PluginTimer) {
        match self
            .store
            .cancel_plugin_timer(timer.guild_id, &timer.plugin, timer.ticket_id, &timer.key)
            .await
        {
            Ok(true) => {}
            _ => return,
        }
        let Some(guild) = self.guild(timer.guild_id) else {
            return;
        };
        let Some(plugin) = self.plugins.get(guild.id, &timer.plugin) else {
            return;
        };
        let ticket = self.store.ticket(timer.ticket_id).await.ok().flatten();
        let event = c::Event::Timer(c::TimerFired {
            key: timer.key,
            payload: timer.payload,
        });
        self.plugin_background(&guild, &plugin, ticket.as_ref(), event)
            .await;
    }

    /// Fires plugin timers as they fall due. Runs until shutdown; started once at READY.
    pub(in crate::tickets) fn start_timers(self: &Arc<Self>) {
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
                // Another process's guilds' timers are its own (its shards see those guilds).
                for timer in due.into_iter().filter(|t| this.serves_guild(t.guild_id)) {
                    // Each fired timer is work in flight of its own: a stop lets it finish
                    // (its plugin's effects included) instead of cutting it off mid-way.
                    let worker = this.clone();
                    this.spawn_tracked(async move { worker.fire_timer(timer).await });
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
