//! Close requests: staff ask the opener whether the ticket may be closed. The opener answers
//! *Close* or *Keep open* on the request; unanswered, the ticket closes when the request falls
//! due. Requests live in the store, so a restart keeps their deadline.

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;

use super::router::{CustomId, TicketAction};
use super::{Handled, Tickets};
use crate::config::GuildConfig;
use crate::store::{CloseRequest, TicketRecord, TicketStatus};
use crate::ui::{ButtonStyle, Component, OutMessage, Reply};

impl Tickets {
    /// Staff ask the opener: the request is posted (pinging the opener), stored, and timed.
    pub(super) async fn request_close(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        by: u64,
    ) -> Handled {
        let key = match self.post_close_request(guild, ticket, by).await {
            Ok(()) => "close-request-sent",
            Err(key) => key,
        };
        Handled::Reply(Reply::private(self.texts(Some(guild.id)).get(key, &[])))
    }

    /// Posts, stores and times a close request for `ticket` by `by` (staff, or a plugin acting
    /// for the bot); the text key of why not, if it could not.
    pub(super) async fn post_close_request(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        by: u64,
    ) -> Result<(), &'static str> {
        let texts = self.texts(Some(guild.id));
        let Some(channel) = ticket.channel_id else {
            return Err("unknown-action");
        };
        match self.store.close_request(ticket.id).await {
            Ok(None) => {}
            Ok(Some(_)) => return Err("close-request-pending"),
            Err(error) => {
                tracing::error!(%error, "reading a close request failed");
                return Err("discord-error");
            }
        }
        let due_at =
            Utc::now() + chrono::Duration::from_std(guild.close_request_after).unwrap_or_default();
        let button = |action, key: &str, style| {
            Component::button(
                CustomId::ticket(action, ticket.id).to_string(),
                texts.get(key, &[]),
                style,
            )
        };
        let message = OutMessage::text(texts.get(
            "close-request",
            &[
                ("opener", &format!("<@{}>", ticket.opener_id)),
                ("staff", &format!("<@{by}>")),
                ("when", &format!("<t:{}:R>", due_at.timestamp())),
            ],
        ))
        .row(vec![
            button(
                TicketAction::ConfirmClose,
                "button-close-yes",
                ButtonStyle::Danger,
            ),
            button(
                TicketAction::KeepOpen,
                "button-close-no",
                ButtonStyle::Success,
            ),
        ])
        .ping_users([ticket.opener_id]);
        let message_id = match self.discord.send_message(channel, &message).await {
            Ok(id) => id,
            Err(error) => {
                tracing::warn!(%error, "could not post a close request");
                return Err("discord-error");
            }
        };
        let request = CloseRequest {
            ticket_id: ticket.id,
            by,
            due_at,
            channel_id: channel,
            message_id,
        };
        if let Err(error) = self.store.set_close_request(request.clone()).await {
            tracing::error!(%error, "storing a close request failed");
            return Err("discord-error");
        }
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(by),
            "ticket.close_requested",
            json!({"due_at": due_at.to_rfc3339()}),
        )
        .await;
        if let Some(this) = self.shared() {
            this.time_close_request(request);
        }
        Ok(())
    }

    /// Waits for `request` to fall due (at shutdown the wait ends; it is resumed at start).
    pub(super) fn time_close_request(self: &Arc<Self>, request: CloseRequest) {
        let this = self.clone();
        let delay = (request.due_at - Utc::now()).to_std().unwrap_or_default();
        self.spawn_until_shutdown(async move {
            tokio::time::sleep(delay).await;
            this.tracked(this.close_unanswered(request.ticket_id)).await;
        });
    }

    /// A request fell due without an answer: the ticket closes, if it still waits.
    async fn close_unanswered(self: &Arc<Self>, ticket_id: i64) {
        let request = match self.store.take_close_request(ticket_id).await {
            Ok(Some(request)) => request,
            Ok(None) => return, // answered, or the ticket ended
            Err(error) => {
                tracing::error!(%error, "taking a close request failed");
                return;
            }
        };
        let ticket = match self.store.ticket(ticket_id).await {
            Ok(Some(ticket)) if ticket.status == TicketStatus::Open => ticket,
            _ => return,
        };
        let Some(guild) = self.guild(ticket.guild_id) else {
            return;
        };
        let texts = self.texts(Some(guild.id));
        self.settle_request_message(&request, texts.get("close-request-expired", &[]))
            .await;
        let reason = texts.get("close-request-expired-reason", &[]);
        let due = Utc::now() + guild.close_delay;
        match self
            .store
            .begin_close(ticket.id, request.by, Some(reason.clone()), due)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::error!(%error, "starting an unanswered close failed");
                return;
            }
        }
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(request.by),
            "ticket.closing",
            json!({"reason": reason, "close_request": "unanswered"}),
        )
        .await;
        if let Some(channel) = ticket.channel_id {
            let announcement = texts.get(
                "close-announcement-reason",
                &[
                    ("staff", &format!("<@{}>", request.by)),
                    ("reason", &reason),
                    ("seconds", &guild.close_delay.as_secs().to_string()),
                ],
            );
            if let Err(error) = self
                .discord
                .send_message(channel, &OutMessage::text(announcement))
                .await
            {
                tracing::warn!(%error, "could not announce an unanswered close");
            }
        }
        self.schedule_close(ticket.id, guild.close_delay);
    }

    /// The opener answered *Close*: the close starts, in their name.
    pub(super) async fn confirm_close(
        self: &Arc<Self>,
        guild: &GuildConfig,
        ticket: &TicketRecord,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        let Some(request) = self.take_request(ticket).await else {
            return Handled::Reply(Reply::private(texts.get("close-request-none", &[])));
        };
        self.settle_request_message(&request, texts.get("close-request-confirmed", &[]))
            .await;
        let reason = texts.get("close-request-confirmed-reason", &[]);
        self.start_close(guild, ticket, ticket.opener_id, Some(reason))
            .await
    }

    /// The opener answered *Keep open*: the request ends and the ticket stays.
    pub(super) async fn keep_open(&self, guild: &GuildConfig, ticket: &TicketRecord) -> Handled {
        let texts = self.texts(Some(guild.id));
        if self.take_request(ticket).await.is_none() {
            return Handled::Reply(Reply::private(texts.get("close-request-none", &[])));
        }
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(ticket.opener_id),
            "ticket.kept_open",
            json!({}),
        )
        .await;
        // The request's message, answered: its buttons go.
        Handled::Reply(Reply::Update(OutMessage::text(
            texts.get("close-request-kept", &[]),
        )))
    }

    async fn take_request(&self, ticket: &TicketRecord) -> Option<CloseRequest> {
        match self.store.take_close_request(ticket.id).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "taking a close request failed");
                None
            }
        }
    }

    /// Replaces the request's message (and its buttons) with `text`.
    async fn settle_request_message(&self, request: &CloseRequest, text: String) {
        if let Err(error) = self
            .discord
            .edit_message(
                request.channel_id,
                request.message_id,
                &OutMessage::text(text),
            )
            .await
        {
            tracing::warn!(%error, "could not update a close request");
        }
    }

    /// At start: pending requests of open tickets are timed again; others are dropped.
    pub(super) async fn resume_close_requests(self: &Arc<Self>, guilds: &[u64]) {
        let requests = match self.store.close_requests().await {
            Ok(requests) => requests,
            Err(error) => {
                tracing::error!(%error, "reading close requests failed");
                return;
            }
        };
        for request in requests {
            match self.store.ticket(request.ticket_id).await {
                Ok(Some(ticket)) if ticket.status == TicketStatus::Open => {
                    if guilds.contains(&ticket.guild_id) {
                        self.time_close_request(request);
                    }
                }
                Ok(_) => {
                    let _ = self.store.take_close_request(request.ticket_id).await;
                }
                Err(error) => tracing::error!(%error, "reading a ticket failed"),
            }
        }
    }
}
