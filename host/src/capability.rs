//! What a guild may grant a plugin: one type for the config, the plugin host's checks of host
//! calls and effects, and both plugin tiers. A plugin gets only what its manifest asks for and
//! the guild grants.

use std::fmt;

/// A capability, named in manifests and in `[[guild.plugin]] capabilities`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Send direct messages to the ticket's opener and members.
    Dm,
    /// Post in the log channel and the channels named in its settings; edit its own posts.
    PostMessages,
    /// Rename the ticket channel.
    RenameChannel,
    /// Move the ticket channel to another of the guild's ticket categories.
    MoveChannel,
    /// Create and delete a voice channel tied to the ticket.
    VoiceChannels,
    /// Add staff notes to the ticket.
    Notes,
    /// Schedule timers that survive restarts.
    Timers,
    /// Keep its own key-value data.
    Storage,
    /// Read members' roles.
    ReadMembers,
    /// Read the messages posted in tickets.
    ReadMessages,
    /// Close tickets, or ask their openers to confirm a close.
    CloseTickets,
    /// Add and remove ticket members.
    ManageMembers,
    /// Set the ticket's status label.
    TicketStatus,
    /// Ping users other than the ticket's own people.
    MentionUsers,
    /// Call HTTP hosts on the guild's allow-list.
    Http,
    /// Record the opener's rating of their ticket.
    Feedback,
}

impl Capability {
    /// Every capability, in the order the README lists them.
    pub const ALL: [Capability; 16] = [
        Capability::Dm,
        Capability::PostMessages,
        Capability::RenameChannel,
        Capability::MoveChannel,
        Capability::VoiceChannels,
        Capability::Notes,
        Capability::Timers,
        Capability::Storage,
        Capability::ReadMembers,
        Capability::ReadMessages,
        Capability::CloseTickets,
        Capability::ManageMembers,
        Capability::TicketStatus,
        Capability::MentionUsers,
        Capability::Http,
        Capability::Feedback,
    ];

    /// Its name in manifests and the config.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Dm => "dm",
            Capability::PostMessages => "post-messages",
            Capability::RenameChannel => "rename-channel",
            Capability::MoveChannel => "move-channel",
            Capability::VoiceChannels => "voice-channels",
            Capability::Notes => "notes",
            Capability::Timers => "timers",
            Capability::Storage => "storage",
            Capability::ReadMembers => "read-members",
            Capability::ReadMessages => "read-messages",
            Capability::CloseTickets => "close-tickets",
            Capability::ManageMembers => "manage-members",
            Capability::TicketStatus => "ticket-status",
            Capability::MentionUsers => "mention-users",
            Capability::Http => "http",
            Capability::Feedback => "feedback",
        }
    }

    /// What granting it allows, for `ticketbot check` and the docs.
    pub fn allows(self) -> &'static str {
        match self {
            Capability::Dm => "send direct messages to the ticket's opener and members",
            Capability::PostMessages => {
                "post in the log channel and the channels named in its settings, and edit its own posts"
            }
            Capability::RenameChannel => "rename the ticket channel",
            Capability::MoveChannel => "move the ticket channel to another of the guild's ticket categories",
            Capability::VoiceChannels => "create and delete a voice channel tied to the ticket",
            Capability::Notes => "add staff notes to the ticket",
            Capability::Timers => "schedule timers that survive restarts",
            Capability::Storage => "keep its own key-value data",
            Capability::ReadMembers => "read members' roles",
            Capability::ReadMessages => "read the messages posted in tickets",
            Capability::CloseTickets => "close tickets, or ask their openers to confirm a close",
            Capability::ManageMembers => "add and remove ticket members",
            Capability::TicketStatus => "set the ticket's status label",
            Capability::MentionUsers => "ping users other than the ticket's opener, members and claimer",
            Capability::Http => "call the HTTP hosts listed in its `http_allow`",
            Capability::Feedback => "record the opener's rating of their ticket, for the statistics",
        }
    }

    /// The capability named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Every name, comma-separated, for error messages.
    pub fn known() -> String {
        Capability::ALL.map(Capability::name).join(", ")
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Capability;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Capability::ALL.map(Capability::name).to_vec();
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.name()), Some(c));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Capability::ALL.len());
        assert_eq!(Capability::parse("Storage"), None, "names are exact");
    }
}
