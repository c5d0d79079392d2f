//! What a plugin is told with each event: the guild, its language and the plugin's settings,
//! the ticket, and who acted.

use chrono::Utc;

use crate::config::GuildConfig;
use crate::event::Actor;
use crate::plugins::contract as c;
use crate::plugins::GuildPlugin;
use crate::store::{TicketRecord, TicketStatus};
use crate::tickets::Tickets;

impl Tickets {
    /// The context a plugin gets for an event.
    pub(super) async fn plugin_context(
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
                status_label: t.status_label.clone(),
                status: match t.status {
                    TicketStatus::Opening | TicketStatus::Open => c::TicketStatus::Open,
                    TicketStatus::Closing => c::TicketStatus::Closing,
                    TicketStatus::Closed => c::TicketStatus::Closed,
                    TicketStatus::Cancelling | TicketStatus::Cancelled => {
                        c::TicketStatus::Cancelled
                    }
                },
                closed_by: t.closed_by,
                opened_at_ms: t.opened_at.timestamp_millis().max(0) as u64,
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
}

/// `user` as a plugin sees them, in `guild` and for `ticket` if any.
pub(super) fn plugin_user(
    guild: &GuildConfig,
    ticket: Option<&TicketRecord>,
    user: &Actor,
) -> c::User {
    c::User {
        id: user.id,
        name: user.name.clone(),
        roles: user.roles.clone(),
        is_staff: ticket.map_or_else(
            || guild.is_staff(&user.roles),
            |t| guild.is_staff_for(&t.type_id, &user.roles),
        ),
        // Without approver roles configured, staff approve.
        is_approver: if guild.approver_roles.is_empty() {
            guild.is_staff(&user.roles)
        } else {
            user.roles.iter().any(|r| guild.approver_roles.contains(r))
        },
    }
}
