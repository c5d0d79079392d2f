//! The welcome message of a ticket channel: who opened it, its type, who claimed it, and the
//! action buttons in rows of at most five.

use super::router::{CustomId, TicketAction};
use super::Tickets;
use crate::config::GuildConfig;
use crate::store::TicketRecord;
use crate::ui::{ButtonStyle, Component, Embed, OutMessage};

/// Colour of ticket embeds.
pub const TICKET_COLOR: u32 = 0x2B8A3E;
/// Discord allows five buttons in a row.
const ROW: usize = 5;

impl Tickets {
    /// The welcome message of `ticket` as it should look now.
    pub(super) fn welcome_message(&self, guild: &GuildConfig, ticket: &TicketRecord) -> OutMessage {
        let texts = self.texts(Some(guild.id));
        let type_label = guild
            .ticket_type(&ticket.type_id)
            .map_or(ticket.type_id.as_str(), |t| t.label.as_str());
        let opener = format!("<@{}>", ticket.opener_id);
        let claimed = ticket.claimed_by.map_or_else(
            || texts.get("welcome-unclaimed", &[]),
            |s| format!("<@{s}>"),
        );
        let embed = Embed::new(
            texts.get(
                "welcome-title",
                &[("number", &ticket.number.to_string()), ("type", type_label)],
            ),
            texts.get("welcome-description", &[("opener", &opener)]),
        )
        .color(TICKET_COLOR)
        .field(texts.get("welcome-field-opener", &[]), opener.clone(), true)
        .field(texts.get("welcome-field-type", &[]), type_label, true)
        .field(texts.get("welcome-field-claimed", &[]), claimed, true);
        let mut embed = embed;
        if let Some(label) = &ticket.status_label {
            embed = embed.field(texts.get("welcome-field-status", &[]), label.clone(), true);
        }
        // The answers to the opening questions, as the opener gave them (never a ping:
        // the message's mentions are set below).
        for answer in ticket.answers.iter().take(5) {
            let value: String = answer.value.chars().take(1024).collect();
            embed = embed.field(answer.label.clone(), value, false);
        }

        let button = |action, key: &str, style| {
            Component::button(
                CustomId::ticket(action, ticket.id).to_string(),
                texts.get(key, &[]),
                style,
            )
        };
        let mut buttons = vec![
            button(TicketAction::Close, "button-close", ButtonStyle::Danger),
            button(
                TicketAction::RequestClose,
                "button-request-close",
                ButtonStyle::Secondary,
            ),
        ];
        if ticket.claimed_by.is_some() {
            buttons.push(button(
                TicketAction::Unclaim,
                "button-unclaim",
                ButtonStyle::Secondary,
            ));
            buttons.push(button(
                TicketAction::Handover,
                "button-handover",
                ButtonStyle::Secondary,
            ));
        } else {
            buttons.push(button(
                TicketAction::Claim,
                "button-claim",
                ButtonStyle::Success,
            ));
        }
        buttons.push(button(
            TicketAction::Cancel,
            "button-cancel",
            ButtonStyle::Secondary,
        ));
        buttons.push(button(
            TicketAction::AddMember,
            "button-add-member",
            ButtonStyle::Primary,
        ));
        buttons.push(button(
            TicketAction::RemoveMember,
            "button-remove-member",
            ButtonStyle::Primary,
        ));
        buttons.push(button(
            TicketAction::AddNote,
            "button-add-note",
            ButtonStyle::Secondary,
        ));

        buttons.extend(self.plugin_buttons(guild.id, ticket.id));

        let mut staff_roles = guild.staff_roles.clone();
        if let Some(kind) = guild.ticket_type(&ticket.type_id) {
            staff_roles.extend(kind.staff_roles.iter().copied());
        }
        let staff_mentions: Vec<String> = staff_roles.iter().map(|r| format!("<@&{r}>")).collect();
        // The one ping a ticket starts with: its opener and the staff who answer it.
        let mut message = OutMessage::embed(embed)
            .ping_users([ticket.opener_id])
            .ping_roles(staff_roles);
        message.content = Some(format!("{opener} {}", staff_mentions.join(" ")));
        // Discord allows five rows; buttons beyond 25 are left out (and logged).
        if buttons.len() > ROW * 5 {
            tracing::warn!(
                guild = guild.id,
                count = buttons.len(),
                "more than 25 ticket buttons; the rest are not shown"
            );
        }
        for row in buttons.chunks(ROW).take(5) {
            message = message.row(row.to_vec());
        }
        message
    }
}

impl Tickets {
    /// Edits the welcome message of every open ticket of `guild` to how it should look now
    /// (after the guild turned a plugin on or off, its buttons change).
    pub(super) async fn refresh_welcomes(&self, guild: u64) {
        let Some(config) = self.guild(guild) else {
            return;
        };
        let tickets = match self.store.active_tickets().await {
            Ok(tickets) => tickets,
            Err(error) => {
                tracing::warn!(%error, guild, "listing open tickets to refresh their buttons");
                return;
            }
        };
        for ticket in tickets
            .iter()
            .filter(|t| t.guild_id == guild && t.status == crate::store::TicketStatus::Open)
        {
            let (Some(channel), Some(message)) = (ticket.channel_id, ticket.welcome_message_id)
            else {
                continue;
            };
            let welcome = self.welcome_message(&config, ticket);
            if let Err(error) = self.discord.edit_message(channel, message, &welcome).await {
                tracing::warn!(%error, guild, ticket = ticket.id, "could not refresh a welcome message");
            }
        }
    }
}
