//! Private staff notes: *Add note* opens a form, and the note is kept with the ticket (shown in
//! the close log and the transcript's header) without ever appearing in the ticket's channel,
//! so the player never reads it.

use chrono::Utc;
use serde_json::json;

use super::router::{CustomId, NOTE_FIELD};
use super::{Handled, Tickets};
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::store::{NoteRecord, TicketRecord};
use crate::ui::{Reply, TextInput};

/// The longest note, in characters.
pub const NOTE_MAX: u16 = 1000;

impl Tickets {
    /// The note form of `ticket`.
    pub(super) fn note_form(&self, guild: &GuildConfig, ticket: &TicketRecord) -> Reply {
        let texts = self.texts(Some(guild.id));
        Reply::Modal {
            custom_id: CustomId::NoteForm { ticket: ticket.id }.to_string(),
            title: texts.get("note-form-title", &[("number", &ticket.number.to_string())]),
            inputs: vec![TextInput {
                custom_id: NOTE_FIELD.into(),
                label: texts.get("note-form-label", &[]),
                paragraph: true,
                required: true,
                min_length: 0,
                max_length: NOTE_MAX,
                placeholder: None,
            }],
        }
    }

    /// The note form was submitted: the note is kept, and only its author is told.
    pub(super) async fn note_submitted(
        &self,
        interaction: &Interaction,
        guild: &GuildConfig,
        ticket: TicketRecord,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        if !guild.is_staff_for(&ticket.type_id, &interaction.user.roles) {
            return Handled::Reply(Reply::private(texts.get("not-staff", &[])));
        }
        let body = match &interaction.kind {
            InteractionKind::Modal { fields, .. } => fields
                .iter()
                .find(|(id, _)| id == NOTE_FIELD)
                .map(|(_, value)| value.trim().to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        if body.is_empty() {
            return Handled::Reply(Reply::private(texts.get("note-empty", &[])));
        }
        let body: String = body.chars().take(usize::from(NOTE_MAX)).collect();
        let note = NoteRecord {
            author_id: interaction.user.id,
            body,
            created_at: Utc::now(),
        };
        if let Err(error) = self.store.add_note(ticket.id, note).await {
            tracing::error!(%error, "saving a note failed");
            return Handled::Reply(Reply::private(texts.get("discord-error", &[])));
        }
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(interaction.user.id),
            "ticket.note",
            json!({}),
        )
        .await;
        Handled::Reply(Reply::private(texts.get("note-saved-private", &[])))
    }
}
