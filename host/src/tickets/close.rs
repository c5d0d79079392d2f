//! Ending tickets: close (staff, with an optional reason, deleted after a delay), cancel (the
//! opener), orphans (channel deleted by hand), and resuming closes after a restart.
//!
//! The transcript is always stored before the channel is deleted; if it cannot be stored the
//! channel stays and staff are told.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tracing::Instrument;

use super::router::{CustomId, REASON_FIELD};
use super::welcome::TICKET_COLOR;
use super::{After, Handled, Tickets};
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::store::{StoredTranscript, TicketRecord, TicketStatus};
use crate::transcript::{self, TranscriptInput};
use crate::ui::{Embed, OutMessage, Reply, TextInput};

/// How a ticket ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Closed,
    Cancelled,
    Orphaned,
}

/// Why an ending did not happen.
#[derive(Debug)]
enum EndFailure {
    Transcript,
    Delete,
    /// A bug: something on the way panicked. The ticket is reopened rather than left closing.
    Panicked,
}

/// How long the full transcript renderer may take before the plain page is stored instead
/// (10,000 messages render in well under a second).
const RENDER_LIMIT: Duration = Duration::from_secs(20);

/// Discord's JSON code for "Cannot send messages to this user".
const DMS_CLOSED: isize = 50007;
/// A reservation older than this with no channel is left over from a crash.
const STALE_OPENING: Duration = Duration::from_secs(120);

fn format_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

fn discord_time(at: chrono::DateTime<Utc>) -> String {
    format!("<t:{}:f>", at.timestamp())
}

impl Tickets {
    /// The close form: an optional reason.
    pub(super) fn close_form(&self, guild: &GuildConfig, ticket: &TicketRecord) -> Reply {
        let texts = self.texts(Some(guild.id));
        Reply::Modal {
            custom_id: CustomId::CloseForm { ticket: ticket.id }.to_string(),
            title: texts.get(
                "close-form-title",
                &[("number", &ticket.number.to_string())],
            ),
            inputs: vec![TextInput {
                custom_id: REASON_FIELD.into(),
                label: texts.get("close-form-reason", &[]),
                paragraph: true,
                required: false,
                max_length: 500,
            }],
        }
    }

    /// The close form was submitted: announce, then delete after the guild's delay.
    pub(super) async fn close_submitted(
        self: &Arc<Self>,
        interaction: &Interaction,
        guild: &GuildConfig,
        ticket: TicketRecord,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        if !guild.is_staff_for(&ticket.type_id, &interaction.user.roles) {
            return Handled::Reply(Reply::private(texts.get("not-staff", &[])));
        }
        let reason = match &interaction.kind {
            InteractionKind::Modal { fields, .. } => fields
                .iter()
                .find(|(id, _)| id == REASON_FIELD)
                .map(|(_, value)| value.trim().to_owned())
                .filter(|v| !v.is_empty()),
            _ => None,
        };
        let due = Utc::now() + guild.close_delay;
        match self
            .store
            .begin_close(ticket.id, interaction.user.id, reason.clone(), due)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Handled::Reply(Reply::private(texts.get("ticket-closing", &[]))),
            Err(error) => {
                tracing::error!(%error, "starting a close failed");
                return Handled::Reply(Reply::private(texts.get("discord-error", &[])));
            }
        }
        let staff = format!("<@{}>", interaction.user.id);
        let seconds = guild.close_delay.as_secs().to_string();
        let announcement = match &reason {
            Some(reason) => texts.get(
                "close-announcement-reason",
                &[("staff", &staff), ("reason", reason), ("seconds", &seconds)],
            ),
            None => texts.get(
                "close-announcement",
                &[("staff", &staff), ("seconds", &seconds)],
            ),
        };
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(interaction.user.id),
            "ticket.closing",
            json!({"reason": reason}),
        )
        .await;
        let this = self.clone();
        let delay = guild.close_delay;
        let after: After = Box::pin(async move {
            this.schedule_close(ticket.id, delay);
        });
        Handled::Then(Reply::public(announcement), after)
    }

    /// Finishes the close of `ticket` after `delay`, once per ticket per process.
    fn schedule_close(self: &Arc<Self>, ticket: i64, delay: Duration) {
        if !self.closing.lock().expect("closing lock").insert(ticket) {
            return;
        }
        let this = self.clone();
        let span = tracing::info_span!("close", ticket);
        tokio::spawn(
            async move {
                if this.sleep_unless_stopping(delay).await {
                    this.finish_close(ticket).await;
                }
                this.closing.lock().expect("closing lock").remove(&ticket);
            }
            .instrument(span),
        );
    }

    /// Completes a close in progress.
    async fn finish_close(&self, id: i64) {
        let ticket = match self.store.ticket(id).await {
            Ok(Some(ticket)) if ticket.status == TicketStatus::Closing => ticket,
            Ok(_) => return,
            Err(error) => {
                tracing::error!(%error, ticket = id, "reading a closing ticket failed");
                return;
            }
        };
        let Some(guild) = self.guild(ticket.guild_id) else {
            return;
        };
        if let Err(failure) = self.end_guarded(guild, &ticket, Ending::Closed).await {
            if let Err(error) = self.store.abort_close(id).await {
                tracing::error!(%error, ticket = id, "could not reopen a ticket whose close failed");
            }
            self.tell_staff_in_ticket(guild, &ticket, failure).await;
        }
    }

    /// The opener cancels: answered first, then the channel goes.
    pub(super) fn cancel(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: TicketRecord,
        by: u64,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        let this = self.clone();
        let guild_id = guild.id;
        let after: After = Box::pin(async move {
            let Some(guild) = this.guild(guild_id) else {
                return;
            };
            let mut ticket = ticket;
            ticket.closed_by = Some(by);
            if let Err(failure) = this.end_guarded(guild, &ticket, Ending::Cancelled).await {
                this.tell_staff_in_ticket(guild, &ticket, failure).await;
            }
        });
        Handled::Then(Reply::private(texts.get("cancel-started", &[])), after)
    }

    /// A channel was deleted: if it was an open ticket's, the ticket is closed as an orphan.
    pub async fn on_channel_deleted(&self, channel: u64) {
        self.tracked(self.channel_deleted(channel)).await
    }

    async fn channel_deleted(&self, channel: u64) {
        let ticket = match self.store.ticket_in_channel(channel).await {
            Ok(Some(ticket)) if ticket.status == TicketStatus::Open => ticket,
            Ok(_) => return,
            Err(error) => {
                tracing::error!(%error, channel, "looking up a deleted channel failed");
                return;
            }
        };
        let Some(guild) = self.guild(ticket.guild_id) else {
            return;
        };
        tracing::info!(
            ticket = ticket.id,
            channel,
            "ticket channel deleted by hand; closing the ticket"
        );
        if let Err(failure) = self.end_guarded(guild, &ticket, Ending::Orphaned).await {
            tracing::error!(
                ?failure,
                ticket = ticket.id,
                "closing an orphaned ticket failed"
            );
        }
    }

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
                TicketStatus::Open => {
                    let Some(channel) = ticket.channel_id else {
                        continue;
                    };
                    match self.discord.channel_exists(channel).await {
                        Ok(true) => {}
                        Ok(false) => {
                            if let Err(failure) =
                                self.end_guarded(guild, &ticket, Ending::Orphaned).await
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

    /// [`Self::end`], with a panic on the way turned into a failure: the caller then reopens
    /// the ticket and tells staff, instead of the ticket staying "closing" for ever.
    async fn end_guarded(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        ending: Ending,
    ) -> Result<(), EndFailure> {
        use futures::FutureExt as _;
        match std::panic::AssertUnwindSafe(self.end(guild, ticket, ending))
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(ticket = ticket.id, ?ending, "ending a ticket panicked");
                Err(EndFailure::Panicked)
            }
        }
    }

    /// Stores the transcript, deletes the channel (unless already gone), marks the ticket
    /// ended, and tells the opener and the log channel.
    async fn end(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        ending: Ending,
    ) -> Result<(), EndFailure> {
        let texts = self.texts(Some(guild.id));
        let now = Utc::now();
        let type_label = guild
            .ticket_type(&ticket.type_id)
            .map_or(ticket.type_id.clone(), |t| t.label.clone());
        let notes = self.store.notes(ticket.id).await.map_err(|error| {
            tracing::error!(%error, "reading notes for a transcript failed");
            EndFailure::Transcript
        })?;
        let messages = self
            .store
            .captured_messages(ticket.id)
            .await
            .map_err(|error| {
                tracing::error!(%error, "reading messages for a transcript failed");
                EndFailure::Transcript
            })?;
        let guild_name = guild.name.clone().unwrap_or_else(|| guild.id.to_string());
        // Files posted just before the close are still downloading: the transcript keeps them.
        if !self.files_settled(ticket.id).await {
            tracing::warn!(
                ticket = ticket.id,
                "attachments still downloading after 10 s; the transcript links those"
            );
        }
        let files = self
            .store
            .ticket_files(ticket.id)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "reading kept files failed; the transcript links the originals");
                Vec::new()
            })
            .into_iter()
            .collect();
        let token = self.transcript_token(ticket);
        let page = transcript::prepare(&TranscriptInput {
            guild_name: &guild_name,
            type_label: &type_label,
            ticket,
            closed_at: now,
            notes: &notes,
            messages: &messages,
            texts,
            lang: guild.locale.tag(),
            files: &files,
            token: &token,
        });
        let plain_notice = texts.get("transcript-plain-note", &[]);
        let rendered = transcript::render_bounded(
            page,
            RENDER_LIMIT,
            &plain_notice,
            self.faults.take_render_panic(),
        )
        .await;
        if let Some(failure) = &rendered.failure {
            tracing::error!(%failure, ticket = ticket.id, "the full transcript could not be rendered; storing the plain page");
            self.log_event(
                guild.id,
                Some(ticket.id),
                None,
                "transcript.plain",
                json!({"error": failure.to_string()}),
            )
            .await;
        }
        let page = rendered.html;
        let stored = StoredTranscript {
            encoding: "gzip".into(),
            body: transcript::compress(&page),
        };
        if let Err(error) = self.store.save_transcript(ticket.id, &token, stored).await {
            tracing::error!(%error, ticket = ticket.id, "storing a transcript failed; the channel is kept");
            return Err(EndFailure::Transcript);
        }
        crate::metrics::METRICS.transcript_stored();
        if ending != Ending::Orphaned {
            if let Some(channel) = ticket.channel_id {
                if let Err(error) = self.discord.delete_channel(channel).await {
                    tracing::error!(%error, channel, "deleting a ticket channel failed");
                    return Err(EndFailure::Delete);
                }
            }
        }
        let status = if ending == Ending::Cancelled {
            TicketStatus::Cancelled
        } else {
            TicketStatus::Closed
        };
        let by = if ending == Ending::Orphaned {
            None
        } else {
            ticket.closed_by
        };
        if let Err(error) = self.store.finish_ticket(ticket.id, status, by, now).await {
            tracing::error!(%error, ticket = ticket.id, "marking a ticket ended failed");
        }
        self.plugins_after_end(guild, ticket.id).await;
        let kind = match ending {
            Ending::Closed => "ticket.closed",
            Ending::Cancelled => "ticket.cancelled",
            Ending::Orphaned => "ticket.orphaned",
        };
        self.log_event(
            guild.id,
            Some(ticket.id),
            by,
            kind,
            json!({"reason": ticket.close_reason}),
        )
        .await;

        let link = self.transcript_url(&token);
        let nobody = texts.get("nobody", &[]);
        let who = |id: Option<u64>| id.map_or_else(|| nobody.clone(), |id| format!("<@{id}>"));
        let reason = ticket
            .close_reason
            .clone()
            .unwrap_or_else(|| texts.get("no-reason", &[]));
        let number = ticket.number.to_string();
        let mut dm_result = None;
        if ending == Ending::Closed {
            let dm = OutMessage::embed(
                Embed::new(
                    texts.get("dm-closed-title", &[("number", &number)]),
                    texts.get(
                        "dm-closed-description",
                        &[("guild", &guild_name), ("link", &link)],
                    ),
                )
                .color(TICKET_COLOR)
                .field(
                    texts.get("field-closed-by", &[]),
                    who(ticket.closed_by),
                    true,
                )
                .field(texts.get("field-closed-at", &[]), discord_time(now), true)
                .field(texts.get("field-reason", &[]), reason.clone(), false),
            );
            dm_result = Some(match self.discord.send_dm(ticket.opener_id, &dm).await {
                Ok(_) => texts.get("dm-delivered", &[]),
                Err(error) => {
                    if error.code() != Some(DMS_CLOSED) {
                        tracing::warn!(%error, "could not DM the opener");
                    }
                    texts.get("dm-refused", &[])
                }
            });
        }
        let title_key = match ending {
            Ending::Closed => "log-closed-title",
            Ending::Cancelled => "log-cancelled-title",
            Ending::Orphaned => "log-orphaned-title",
        };
        let notes_text = if notes.is_empty() {
            nobody.clone()
        } else {
            let mut text: String = notes
                .iter()
                .map(|n| format!("• <@{}>: {}", n.author_id, n.body))
                .collect::<Vec<_>>()
                .join("\n");
            if text.chars().count() > 1000 {
                text = text.chars().take(997).collect::<String>() + "…";
            }
            text
        };
        let mut embed = Embed::new(texts.get(title_key, &[("number", &number)]), String::new())
            .color(TICKET_COLOR)
            .field(
                texts.get("field-identifier", &[]),
                format!("#{number}"),
                true,
            )
            .field(texts.get("field-type", &[]), type_label.clone(), true)
            .field(texts.get("field-transcript", &[]), link.clone(), false)
            .field(texts.get("field-token", &[]), format!("`{token}`"), false)
            .field(
                texts.get("field-opened-by", &[]),
                who(Some(ticket.opener_id)),
                true,
            )
            .field(texts.get("field-closed-by", &[]), who(by), true)
            .field(
                texts.get("field-claimed-by", &[]),
                who(ticket.claimed_by),
                true,
            )
            .field(
                texts.get("field-opened-at", &[]),
                discord_time(ticket.opened_at),
                true,
            )
            .field(texts.get("field-closed-at", &[]), discord_time(now), true)
            .field(
                texts.get("field-duration", &[]),
                format_duration((now - ticket.opened_at).num_seconds().max(0)),
                true,
            );
        embed.description = None;
        if ending == Ending::Closed {
            embed = embed.field(texts.get("field-reason", &[]), reason, false);
        }
        embed = embed.field(texts.get("field-notes", &[]), notes_text, false);
        if let Some(dm) = dm_result {
            embed = embed.field(texts.get("field-dm", &[]), dm, false);
        }
        if rendered.failure.is_some() {
            embed = embed.field(
                texts.get("field-transcript-plain", &[]),
                plain_notice,
                false,
            );
        }
        let log =
            OutMessage::embed(embed).file(format!("transcript-{number}.html"), page.into_bytes());
        if let Err(error) = self.discord.send_message(guild.log_channel, &log).await {
            tracing::error!(%error, guild = guild.id, "could not post the close log");
        }
        Ok(())
    }

    /// Tells the ticket's channel why an ending did not happen.
    async fn tell_staff_in_ticket(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        failure: EndFailure,
    ) {
        let texts = self.texts(Some(guild.id));
        let key = match failure {
            EndFailure::Transcript => "close-store-failed",
            EndFailure::Delete => "close-delete-failed",
            EndFailure::Panicked => "close-failed-unexpectedly",
        };
        let Some(channel) = ticket.channel_id else {
            return;
        };
        if let Err(error) = self
            .discord
            .send_message(channel, &OutMessage::text(texts.get(key, &[])))
            .await
        {
            tracing::error!(%error, channel, "could not tell staff that a close failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(5), "5s");
        assert_eq!(format_duration(65), "1m 5s");
        assert_eq!(format_duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(format_duration(2 * 86_400 + 3600), "2d 1h 0m");
    }
}
