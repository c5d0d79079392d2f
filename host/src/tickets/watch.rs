//! Watching a user's next message in a ticket: add or remove members, hand over the claim.
//! (Notes are taken in a form, never in the channel: `notes.rs`; membership itself is
//! `members.rs`.) One watch per (channel, user): a new click replaces the old watch, and
//! watches of other users or tickets are never touched. Watches live in memory and end at shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::Tickets;
use crate::config::GuildConfig;
use crate::event::ChatMessage;
use crate::store::TicketRecord;
use crate::ui::{OutMessage, Reply};

/// How long a mention is waited for (the original bot's 15 seconds).
pub const MENTION_WINDOW: Duration = Duration::from_secs(15);

/// What the next message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    /// Its mentions are added to the ticket.
    AddMembers,
    /// Its mentions are removed from the ticket.
    RemoveMembers,
    /// Its first mention takes over the claim.
    Handover,
}

impl WatchKind {
    fn window(self) -> Duration {
        MENTION_WINDOW
    }
}

#[derive(Clone, Copy, Debug)]
struct Watch {
    kind: WatchKind,
    ticket: i64,
    generation: u64,
}

/// The pending watches.
#[derive(Default)]
pub(super) struct Watches {
    pending: Mutex<HashMap<(u64, u64), Watch>>,
    generation: Mutex<u64>,
}

impl Watches {
    fn start(&self, channel: u64, user: u64, kind: WatchKind, ticket: i64) -> u64 {
        let generation = {
            let mut next = self.generation.lock().expect("watch lock");
            *next += 1;
            *next
        };
        self.pending.lock().expect("watch lock").insert(
            (channel, user),
            Watch {
                kind,
                ticket,
                generation,
            },
        );
        generation
    }

    /// Takes the watch of `user` in `channel` if `accept` says the message completes it.
    fn take_if(
        &self,
        channel: u64,
        user: u64,
        accept: impl FnOnce(&Watch) -> bool,
    ) -> Option<Watch> {
        let mut pending = self.pending.lock().expect("watch lock");
        let found = *pending.get(&(channel, user))?;
        if !accept(&found) {
            return None;
        }
        pending.remove(&(channel, user))
    }

    fn expire(&self, channel: u64, user: u64, generation: u64) -> Option<Watch> {
        let mut pending = self.pending.lock().expect("watch lock");
        match pending.get(&(channel, user)) {
            Some(watch) if watch.generation == generation => pending.remove(&(channel, user)),
            _ => None,
        }
    }

    /// Ends every watch.
    pub(super) fn clear(&self) {
        self.pending.lock().expect("watch lock").clear();
    }

    /// How many watches are pending.
    pub(super) fn len(&self) -> usize {
        self.pending.lock().expect("watch lock").len()
    }
}

pub(super) fn mentions(users: &[u64]) -> String {
    users
        .iter()
        .map(|u| format!("<@{u}>"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tickets {
    /// How many message watches are pending (for tests and diagnostics).
    pub fn pending_watches(&self) -> usize {
        self.watches.len()
    }

    /// Starts watching `user`'s next message in the ticket; the ephemeral prompt is the answer.
    pub(super) fn start_watch(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        user: u64,
        kind: WatchKind,
    ) -> Reply {
        let texts = self.texts(Some(guild.id));
        let channel = ticket.channel_id.unwrap_or_default();
        let generation = self.watches.start(channel, user, kind, ticket.id);
        let window = kind.window();
        let this = self.clone();
        let guild_id = guild.id;
        self.spawn_until_shutdown(async move {
            tokio::time::sleep(window).await;
            if this.watches.expire(channel, user, generation).is_none() {
                return;
            }
            let texts = this.texts(Some(guild_id));
            let key = "watch-expired";
            let text = texts.get(
                key,
                &[
                    ("user", &format!("<@{user}>")),
                    ("seconds", &window.as_secs().to_string()),
                ],
            );
            // The one who started the watch is told it ended.
            let expired = OutMessage::text(text).ping_users([user]);
            if let Err(error) = this.discord.send_message(channel, &expired).await {
                tracing::warn!(%error, channel, "could not announce an expired watch");
            }
        });
        let key = match kind {
            WatchKind::AddMembers => "watch-add-prompt",
            WatchKind::RemoveMembers => "watch-remove-prompt",
            WatchKind::Handover => "watch-handover-prompt",
        };
        Reply::private(texts.get(key, &[("seconds", &window.as_secs().to_string())]))
    }

    /// Completes a watch with `message` if one is pending for its author here; returns whether
    /// the message was consumed.
    pub(super) async fn on_watched_message(
        self: &Arc<Self>,
        ticket: &TicketRecord,
        message: &ChatMessage,
    ) -> bool {
        let bot = self.bot_user.get().copied();
        let mentioned: Vec<u64> = message
            .mentions
            .iter()
            .copied()
            .filter(|u| Some(*u) != bot && *u != message.author.id)
            .collect();
        let Some(watch) = self
            .watches
            .take_if(message.channel_id, message.author.id, |w| {
                w.ticket == ticket.id && !mentioned.is_empty()
            })
        else {
            return false;
        };
        let Some(guild) = self.guild(ticket.guild_id) else {
            return false;
        };
        let texts = self.texts(Some(guild.id));
        let channel = message.channel_id;
        // Whom the answer notifies: nobody, unless a step below says so.
        let mut pinged: Vec<u64> = Vec::new();
        let reply = match watch.kind {
            WatchKind::AddMembers => {
                let mut added = Vec::new();
                for user in &mentioned {
                    match self
                        .add_ticket_member(&guild, ticket, *user, message.author.id, false)
                        .await
                    {
                        Ok(()) => added.push(*user),
                        Err(error) => tracing::warn!(%error, user, "could not add a member"),
                    }
                }
                self.log_event(
                    guild.id,
                    Some(ticket.id),
                    Some(message.author.id),
                    "ticket.members_added",
                    json!({"users": added.iter().map(u64::to_string).collect::<Vec<_>>()}),
                )
                .await;
                // The people added are told by a ping.
                pinged = added.clone();
                texts.get("members-added", &[("users", &mentions(&added))])
            }
            WatchKind::RemoveMembers => {
                let mut removed = Vec::new();
                let mut refused = Vec::new();
                for user in &mentioned {
                    match self.remove_ticket_member(&guild, ticket, *user).await {
                        Ok(()) => removed.push(*user),
                        Err(error) => {
                            tracing::info!(%error, user, "a member was not removed");
                            refused.push(*user);
                        }
                    }
                }
                self.log_event(
                    guild.id,
                    Some(ticket.id),
                    Some(message.author.id),
                    "ticket.members_removed",
                    json!({"users": removed.iter().map(u64::to_string).collect::<Vec<_>>()}),
                )
                .await;
                let mut lines = Vec::new();
                if !removed.is_empty() {
                    lines.push(texts.get("members-removed", &[("users", &mentions(&removed))]));
                }
                if !refused.is_empty() {
                    lines.push(
                        texts.get("members-not-removable", &[("users", &mentions(&refused))]),
                    );
                }
                lines.join("\n")
            }
            WatchKind::Handover => {
                let to = mentioned[0];
                let roles = self
                    .discord
                    .member_roles(guild.id, to)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                if guild.is_staff_for(&ticket.type_id, &roles) {
                    match self
                        .set_claim(&guild, ticket, Some(to), message.author.id)
                        .await
                    {
                        Ok(()) => {
                            // The new holder is told by a ping.
                            pinged = vec![to];
                            texts.get(
                                "handover-done",
                                &[
                                    ("from", &format!("<@{}>", message.author.id)),
                                    ("to", &format!("<@{to}>")),
                                ],
                            )
                        }
                        Err(()) => texts.get("discord-error", &[]),
                    }
                } else {
                    texts.get("handover-not-staff", &[("user", &format!("<@{to}>"))])
                }
            }
        };
        let reply = OutMessage::text(reply).ping_users(pinged);
        if let Err(error) = self.discord.send_message(channel, &reply).await {
            tracing::warn!(%error, channel, "could not answer a watched message");
        }
        true
    }
}
