//! Ending tickets: close (staff, with an optional reason, deleted after a delay), cancel (the
//! opener), orphans (channel deleted by hand).
//!
//! The transcript is always stored before the channel is deleted; if it cannot be stored the
//! channel stays and staff are told. `farewell` builds the DM and the log message; `recovery`
//! resumes closes after a restart.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tracing::Instrument;

use super::farewell::{self, Ended, Ending};
use super::router::{CustomId, REASON_FIELD};
use super::{After, Handled, Tickets};
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::store::{NoteRecord, StoredTranscript, TicketRecord, TicketStatus};
use crate::transcript::{self, TranscriptInput};
use crate::ui::{OutMessage, Reply, TextInput};

/// Why an ending did not happen.
#[derive(Debug)]
pub(super) enum EndFailure {
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

/// A ticket's transcript as stored at its end.
struct Archived {
    token: String,
    /// The page as stored (before compression), attached to the log.
    page: String,
    /// Set when it is the plain page.
    plain_notice: Option<String>,
    notes: Vec<NoteRecord>,
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
                min_length: 0,
                max_length: 500,
                placeholder: None,
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
        self.saw_staff(guild.id, interaction.user.id).await;
        let reason = match &interaction.kind {
            InteractionKind::Modal { fields, .. } => fields
                .iter()
                .find(|(id, _)| id == REASON_FIELD)
                .map(|(_, value)| value.trim().to_owned())
                .filter(|v| !v.is_empty()),
            _ => None,
        };
        self.start_close(guild, &ticket, interaction.user.id, reason)
            .await
    }

    /// Starts the close of `ticket` by `by` with `reason`: recorded as closing, announced in the
    /// channel (the answer), and finished after the guild's delay.
    pub(super) async fn start_close(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        by: u64,
        reason: Option<String>,
    ) -> Handled {
        match self.begin_close(guild, ticket, by, reason).await {
            Ok(announcement) => {
                let this = self.clone();
                let delay = guild.close_delay;
                let id = ticket.id;
                let after: After = Box::pin(async move {
                    this.schedule_close(id, delay);
                });
                Handled::Then(Reply::public(announcement), after)
            }
            Err(key) => Handled::Reply(Reply::private(self.texts(Some(guild.id)).get(key, &[]))),
        }
    }

    /// Records `ticket` as closing by `by` and logs it; the announcement to post, or the text
    /// key of why it cannot close (already closing, or the database failed). The caller posts
    /// the announcement and schedules the end with [`Tickets::schedule_close`].
    pub(super) async fn begin_close(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        by: u64,
        reason: Option<String>,
    ) -> Result<String, &'static str> {
        let texts = self.texts(Some(guild.id));
        let due = Utc::now() + guild.close_delay;
        match self
            .store
            .begin_close(ticket.id, by, reason.clone(), due)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err("ticket-closing"),
            Err(error) => {
                tracing::error!(%error, "starting a close failed");
                return Err("discord-error");
            }
        }
        let closer = format!("<@{by}>");
        let seconds = guild.close_delay.as_secs().to_string();
        let announcement = match &reason {
            Some(reason) => texts.get(
                "close-announcement-reason",
                &[
                    ("staff", &closer),
                    ("reason", reason),
                    ("seconds", &seconds),
                ],
            ),
            None => texts.get(
                "close-announcement",
                &[("staff", &closer), ("seconds", &seconds)],
            ),
        };
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(by),
            "ticket.closing",
            json!({"reason": reason}),
        )
        .await;
        Ok(announcement)
    }

    /// Finishes the close of `ticket` after `delay`, once per ticket per process.
    pub(super) fn schedule_close(self: &Arc<Self>, ticket: i64, delay: Duration) {
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
        if let Err(failure) = self.end_guarded(&guild, &ticket, Ending::Closed).await {
            if let Err(error) = self.store.abort_close(id).await {
                tracing::error!(%error, ticket = id, "could not reopen a ticket whose close failed");
            }
            self.tell_staff_in_ticket(&guild, &ticket, failure).await;
        }
    }

    /// The opener cancels: the ticket is marked cancelling (so the deletion of its channel is
    /// known as ours, not a hand deletion), answered, then the channel goes.
    pub(super) async fn cancel(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: TicketRecord,
        by: u64,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        match self.store.begin_cancel(ticket.id, by).await {
            Ok(true) => {}
            Ok(false) => return Handled::Reply(Reply::private(texts.get("ticket-closing", &[]))),
            Err(error) => {
                tracing::error!(%error, "starting a cancel failed");
                return Handled::Reply(Reply::private(texts.get("discord-error", &[])));
            }
        }
        let this = self.clone();
        let guild_id = guild.id;
        let after: After = Box::pin(async move {
            let Some(guild) = this.guild(guild_id) else {
                return;
            };
            this.finish_cancel(&guild, ticket, by).await;
        });
        Handled::Then(Reply::private(texts.get("cancel-started", &[])), after)
    }

    /// Completes a cancel in progress; if it cannot, the ticket is open again and staff are told.
    pub(super) async fn finish_cancel(&self, guild: &GuildConfig, ticket: TicketRecord, by: u64) {
        let mut ticket = ticket;
        ticket.closed_by = Some(by);
        if let Err(failure) = self.end_guarded(guild, &ticket, Ending::Cancelled).await {
            if let Err(error) = self.store.abort_close(ticket.id).await {
                tracing::error!(%error, ticket = ticket.id, "could not reopen a ticket whose cancel failed");
            }
            self.tell_staff_in_ticket(guild, &ticket, failure).await;
        }
    }

    /// A channel was deleted: if it was an open ticket's, the ticket is closed as an orphan.
    pub async fn on_channel_deleted(&self, channel: u64) {
        self.tracked(self.channel_deleted(channel)).await
    }

    async fn channel_deleted(&self, channel: u64) {
        // Any ticket the channel had: the event may arrive after a close or cancel finished.
        let ticket = match self.store.ticket_of_channel(channel).await {
            Ok(Some(ticket)) if ticket.status == TicketStatus::Open => ticket,
            Ok(Some(ticket)) => {
                // Ours: a close or cancel deleting the channel (the ticket left `open` before
                // the deletion). Recorded, not ended again.
                self.log_event(
                    ticket.guild_id,
                    Some(ticket.id),
                    None,
                    "ticket.channel_deleted",
                    json!({"channel": channel.to_string(), "status": format!("{:?}", ticket.status)}),
                )
                .await;
                return;
            }
            Ok(None) => return,
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
        if let Err(failure) = self.end_guarded(&guild, &ticket, Ending::Orphaned).await {
            tracing::error!(
                ?failure,
                ticket = ticket.id,
                "closing an orphaned ticket failed"
            );
        }
    }

    /// [`Self::end`], with a panic on the way turned into a failure: the caller then reopens
    /// the ticket and tells staff, instead of the ticket staying "closing" for ever.
    pub(super) async fn end_guarded(
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

    /// The names of `guild`'s roles and channels, for mentions in a transcript; what Discord
    /// does not give is left out (the page then shows the id).
    async fn guild_names(&self, guild: u64) -> transcript::model::Names {
        let mut names = transcript::model::Names::default();
        match self.discord.guild_roles(guild).await {
            Ok(roles) => names.roles.extend(roles),
            Err(error) => {
                tracing::warn!(%error, guild, "reading role names for a transcript failed")
            }
        }
        match self.discord.guild_channels(guild).await {
            Ok(channels) => names
                .channels
                .extend(channels.into_iter().map(|c| (c.id, c.name))),
            Err(error) => {
                tracing::warn!(%error, guild, "reading channel names for a transcript failed")
            }
        }
        names
    }

    /// Renders and stores the transcript of `ticket` as it is now.
    async fn archive(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        now: chrono::DateTime<Utc>,
    ) -> Result<Archived, EndFailure> {
        let texts = self.texts(Some(guild.id));
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
        let names = self.guild_names(guild.id).await;
        let page = transcript::prepare(&TranscriptInput {
            guild_name: &guild_name,
            type_label: &type_label,
            ticket,
            closed_at: now,
            notes: &notes,
            messages: &messages,
            texts: &texts,
            lang: guild.locale.tag(),
            files: &files,
            token: &token,
            names: &names,
        });
        let notice = texts.get("transcript-plain-note", &[]);
        let rendered = transcript::render_bounded(
            page,
            RENDER_LIMIT,
            &notice,
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
        let stored = StoredTranscript {
            encoding: "gzip".into(),
            body: transcript::compress(&rendered.html),
            legacy: false,
        };
        if let Err(error) = self.store.save_transcript(ticket.id, &token, stored).await {
            tracing::error!(%error, ticket = ticket.id, "storing a transcript failed; the channel is kept");
            return Err(EndFailure::Transcript);
        }
        crate::metrics::METRICS.transcript_stored();
        Ok(Archived {
            token,
            page: rendered.html,
            plain_notice: rendered.failure.map(|_| notice),
            notes,
        })
    }

    /// Stores the transcript, deletes the channel (unless already gone), marks the ticket
    /// ended, and tells the opener and the log channel.
    async fn end(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        ending: Ending,
    ) -> Result<(), EndFailure> {
        let now = Utc::now();
        let archived = self.archive(guild, ticket, now).await?;
        // A close request still pending ends with the ticket.
        let _ = self.store.take_close_request(ticket.id).await;
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

        let texts = self.texts(Some(guild.id));
        let type_label = guild
            .ticket_type(&ticket.type_id)
            .map_or(ticket.type_id.as_str(), |t| t.label.as_str());
        let guild_name = guild.name.clone().unwrap_or_else(|| guild.id.to_string());
        let link = self.transcript_url(&archived.token);
        let mut ended = Ended {
            ending,
            number: ticket.number,
            type_label,
            guild_name: &guild_name,
            link: &link,
            token: &archived.token,
            opener: ticket.opener_id,
            closed_by: by,
            claimed_by: ticket.claimed_by,
            opened_at: ticket.opened_at,
            ended_at: now,
            reason: ticket.close_reason.as_deref(),
            notes: &archived.notes,
            answers: &ticket.answers,
            dm_delivered: None,
            plain_notice: archived.plain_notice.as_deref(),
        };
        if ending == Ending::Closed {
            let dm = farewell::close_dm(&texts, &ended);
            ended.dm_delivered = Some(match self.discord.send_dm(ticket.opener_id, &dm).await {
                Ok(_) => true,
                Err(error) => {
                    if error.code() != Some(DMS_CLOSED) {
                        tracing::warn!(%error, "could not DM the opener");
                    }
                    false
                }
            });
        }
        let log = farewell::close_log(&texts, &ended, archived.page.into_bytes());
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
