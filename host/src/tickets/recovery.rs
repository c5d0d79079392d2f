//! Recovery at start: after READY, every ticket the database says is between states is
//! brought to an end state. Closes in progress resume; openings an earlier run left midway are
//! undone with the channel they may have created; tickets whose channel disappeared while the
//! bot was away are closed as orphans.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::farewell::Ending;
use super::Tickets;
use crate::store::{TicketRecord, TicketStatus};

/// A reservation older than this with no channel is left over from a crash.
const STALE_OPENING: Duration = Duration::from_secs(120);

impl Tickets {
    /// After READY: resume closes in progress, drop reservations left by a crash, and close
    /// tickets whose channel disappeared while the bot was away.
    pub(super) async fn resume(self: &Arc<Self>, guilds: &[u64]) {
        let active = match self.store.active_tickets().await {
            Ok(active) => active,
            Err(error) => {
                tracing::error!(%error, "reading active tickets failed");
                return;
            }
        };
        self.resume_close_requests(guilds).await;
        for ticket in active.into_iter().filter(|t| guilds.contains(&t.guild_id)) {
            let Some(guild) = self.guild(ticket.guild_id) else {
                continue;
            };
            match ticket.status {
                TicketStatus::Closing => {
                    let due = ticket.close_due_at.unwrap_or_else(Utc::now);
                    let delay = (due - Utc::now()).to_std().unwrap_or_default();
                    tracing::info!(ticket = ticket.id, "resuming a close in progress");
                    self.schedule_close(ticket.id, delay);
                }
                TicketStatus::Opening => {
                    let age = (Utc::now() - ticket.opened_at).to_std().unwrap_or_default();
                    if ticket.opened_at < self.started_at || age > STALE_OPENING {
                        self.drop_unfinished_opening(&ticket).await;
                    }
                }
                TicketStatus::Cancelling => {
                    tracing::info!(ticket = ticket.id, "resuming a cancel in progress");
                    let by = ticket.closed_by.unwrap_or(ticket.opener_id);
                    self.finish_cancel(&guild, ticket, by).await;
                }
                TicketStatus::Open => {
                    let Some(channel) = ticket.channel_id else {
                        continue;
                    };
                    match self.discord.channel_exists(channel).await {
                        Ok(true) => {}
                        Ok(false) => {
                            if let Err(failure) =
                                self.end_guarded(&guild, &ticket, Ending::Orphaned).await
                            {
                                tracing::error!(
                                    ?failure,
                                    ticket = ticket.id,
                                    "closing an orphaned ticket failed"
                                );
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, channel, "could not check a ticket channel")
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Drops a reservation whose opening never finished (an earlier run stopped or crashed
    /// midway), with the channel it may already have created, so the opener is not stuck
    /// behind the limit and no stray channel stays behind.
    async fn drop_unfinished_opening(&self, ticket: &TicketRecord) {
        let topic = super::open::channel_topic(ticket);
        match self.discord.guild_channels(ticket.guild_id).await {
            Ok(channels) => {
                for channel in channels
                    .iter()
                    .filter(|c| c.topic.as_deref() == Some(topic.as_str()))
                {
                    // Never a channel some recorded ticket lives in.
                    if !matches!(self.store.ticket_in_channel(channel.id).await, Ok(None)) {
                        continue;
                    }
                    match self.discord.delete_channel(channel.id).await {
                        Ok(()) => tracing::info!(
                            guild = ticket.guild_id,
                            ticket = ticket.id,
                            channel = channel.id,
                            "deleted the channel of an opening that never finished"
                        ),
                        Err(error) => tracing::error!(
                            %error,
                            guild = ticket.guild_id,
                            ticket = ticket.id,
                            channel = channel.id,
                            "could not delete the channel of an unfinished opening; delete it by hand"
                        ),
                    }
                }
            }
            Err(error) => tracing::error!(
                %error,
                guild = ticket.guild_id,
                ticket = ticket.id,
                %topic,
                "could not look for the channel of an unfinished opening; a channel with this topic may be left to delete by hand"
            ),
        }
        match self.store.release_ticket(ticket.id).await {
            Ok(()) => tracing::info!(
                guild = ticket.guild_id,
                ticket = ticket.id,
                "dropped a reservation left by an earlier run"
            ),
            Err(error) => {
                tracing::error!(%error, ticket = ticket.id, "dropping a stale reservation failed")
            }
        }
    }
}
