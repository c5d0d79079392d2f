//! Ticket members: people the opener or staff add to a ticket beside its opener (they see and
//! write in it), and their removal. Used by the Add/Remove member buttons and by plugins.

use super::Tickets;
use crate::config::GuildConfig;
use crate::rest::DiscordError;
use crate::store::{StoreError, TicketRecord};
use crate::ui::{permissions, Overwrite, OverwriteTarget};

/// Why a member was not added or removed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// The ticket has no channel.
    #[error("the ticket has no channel")]
    NoChannel,
    /// Not a member of the guild.
    #[error("not a member of this server")]
    NotInGuild,
    /// The opener, staff and people never added cannot be removed.
    #[error("the opener, staff and people not added cannot be removed")]
    NotRemovable,
    /// Discord refused or failed.
    #[error(transparent)]
    Discord(#[from] DiscordError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tickets {
    /// Lets `user` into `ticket` as a member added by `by`. Adding the opener or a member
    /// again changes nothing.
    pub(super) async fn add_ticket_member(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        user: u64,
        by: u64,
        check_guild: bool,
    ) -> Result<(), MemberError> {
        let channel = ticket.channel_id.ok_or(MemberError::NoChannel)?;
        if check_guild && self.discord.member_roles(guild.id, user).await?.is_none() {
            return Err(MemberError::NotInGuild);
        }
        let overwrite = Overwrite {
            target: OverwriteTarget::Member(user),
            allow: permissions::PARTICIPANT,
            deny: 0,
        };
        self.discord.set_overwrite(channel, overwrite).await?;
        self.store.add_member(ticket.id, user, by).await?;
        Ok(())
    }

    /// Takes `user`, an added member, out of `ticket`; never its opener or staff.
    pub(super) async fn remove_ticket_member(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        user: u64,
    ) -> Result<(), MemberError> {
        let channel = ticket.channel_id.ok_or(MemberError::NoChannel)?;
        let members = self.store.members(ticket.id).await?;
        let roles = self
            .discord
            .member_roles(guild.id, user)
            .await?
            .unwrap_or_default();
        let removable = members.contains(&user)
            && user != ticket.opener_id
            && !guild.is_staff_for(&ticket.type_id, &roles);
        if !removable {
            return Err(MemberError::NotRemovable);
        }
        self.discord
            .remove_overwrite(channel, OverwriteTarget::Member(user))
            .await?;
        self.store.remove_member(ticket.id, user).await?;
        Ok(())
    }
}
