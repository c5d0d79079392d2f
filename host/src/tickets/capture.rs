//! Capturing messages of ticket channels as they happen: the transcript's source.

use super::Tickets;
use crate::event::ChatMessage;
use crate::store::{CapturedMessage, TicketRecord};

impl Tickets {
    /// Stores `message` if it was posted in an active ticket's channel; returns that ticket.
    pub(super) async fn capture(&self, message: &ChatMessage) -> Option<TicketRecord> {
        let ticket = match self.store.ticket_in_channel(message.channel_id).await {
            Ok(found) => found?,
            Err(error) => {
                tracing::error!(%error, "looking up a ticket channel failed");
                return None;
            }
        };
        let captured = CapturedMessage {
            message_id: message.id,
            author_id: message.author.id,
            author_name: message.author.name.clone(),
            author_bot: message.from_bot,
            content: message.content.clone(),
            attachments: serde_json::to_value(&message.attachments).unwrap_or_default(),
            embeds: message.embeds.clone(),
            sent_at: message.sent_at,
            edited_at: None,
            deleted: false,
        };
        if let Err(error) = self.store.capture_message(ticket.id, captured).await {
            tracing::error!(%error, ticket = ticket.id, "capturing a message failed");
        }
        Some(ticket)
    }

    /// A message was deleted: a captured one stays in the transcript, marked deleted.
    pub async fn on_message_deleted(&self, message: u64) {
        if let Err(error) = self.store.mark_message_deleted(message).await {
            tracing::error!(%error, message, "marking a message deleted failed");
        }
    }
}
