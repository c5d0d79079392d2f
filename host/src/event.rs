//! What reaches the bot from Discord, in its own types (the Discord edge converts into these).

/// Who did something, with their roles in the guild where they did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub id: u64,
    /// Display name (nickname, global name or username).
    pub name: String,
    /// Role ids in the guild (empty in DMs).
    pub roles: Vec<u64>,
}

/// What identifies an interaction for answering it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionRef {
    /// Interaction id.
    pub id: u64,
    /// Interaction token (valid 15 minutes).
    pub token: String,
}

/// What the user did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InteractionKind {
    /// Pressed a button.
    Button {
        /// The button's custom_id.
        custom_id: String,
    },
    /// Chose in a select menu.
    Select {
        /// The menu's custom_id.
        custom_id: String,
        /// Chosen values.
        values: Vec<String>,
    },
    /// Submitted a modal.
    Modal {
        /// The modal's custom_id.
        custom_id: String,
        /// (field custom_id, value) pairs.
        fields: Vec<(String, String)>,
    },
    /// Ran a slash command, or a command from a member's context menu.
    Command {
        /// Command name.
        name: String,
        /// The subcommand chosen, if the command has subcommands.
        subcommand: Option<String>,
        /// (option name, value as text) pairs (a subcommand's own options).
        options: Vec<(String, String)>,
        /// The member a context-menu command was used on.
        target_user: Option<u64>,
    },
}

/// An interaction (button, select, modal, slash command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    /// For answering.
    pub handle: InteractionRef,
    /// Guild, if not in DMs.
    pub guild_id: Option<u64>,
    /// Channel.
    pub channel_id: u64,
    /// Who.
    pub user: Actor,
    /// What.
    pub kind: InteractionKind,
    /// The message the component was on.
    pub message_id: Option<u64>,
}

/// A message posted in a channel the bot sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// Message id.
    pub id: u64,
    /// Guild, if not a DM.
    pub guild_id: Option<u64>,
    /// Channel.
    pub channel_id: u64,
    /// Author.
    pub author: Actor,
    /// Text.
    pub content: String,
    /// Users mentioned.
    pub mentions: Vec<u64>,
    /// Whether the author is a bot (this bot included).
    pub from_bot: bool,
    /// When it was sent.
    pub sent_at: chrono::DateTime<chrono::Utc>,
    /// Files attached.
    pub attachments: Vec<AttachmentRef>,
    /// Embeds, in Discord's JSON shape.
    pub embeds: serde_json::Value,
    /// The whole message in Discord's JSON shape, as the transcript keeps it (replies,
    /// components, stickers, reactions, mentions).
    pub raw: serde_json::Value,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttachmentRef {
    /// File name.
    pub filename: String,
    /// Discord's CDN URL.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type, if Discord knows it.
    pub content_type: Option<String>,
}

/// Everything the Discord edge hands to the lifecycle, in the bot's own types.
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    /// A shard connected (again): the bot's user id and the guilds it is in on that shard.
    Ready {
        /// The bot's user id.
        bot_user: u64,
        /// Guilds the bot is in, on this shard.
        guilds: Vec<u64>,
        /// This shard's number and how many there are.
        shard: (u32, u32),
    },
    /// A message was posted.
    Message(ChatMessage),
    /// A message was edited (its new text and embeds, when Discord sent them).
    MessageEdited {
        /// Channel.
        channel: u64,
        /// Message.
        message: u64,
        /// New text.
        content: Option<String>,
        /// New embeds, in Discord's JSON shape.
        embeds: Option<serde_json::Value>,
        /// When.
        edited_at: chrono::DateTime<chrono::Utc>,
    },
    /// A message was deleted.
    MessageDeleted {
        /// Channel.
        channel: u64,
        /// Message.
        message: u64,
    },
    /// A reaction was added to or removed from a message.
    Reaction {
        /// Channel.
        channel: u64,
        /// Message.
        message: u64,
    },
    /// A guild channel was deleted.
    ChannelDeleted(u64),
    /// A member joined, moved between or left voice channels (`channel` none: left).
    VoiceState {
        /// Guild.
        guild: u64,
        /// Member.
        user: u64,
        /// The voice channel they are in now.
        channel: Option<u64>,
    },
    /// A button, select, form or command.
    Interaction(Interaction),
    /// A member left (or was removed from) a guild. Only with the privileged GUILD_MEMBERS
    /// intent, which the bot asks for when a plugin subscribes to it.
    MemberLeft {
        /// Guild.
        guild: u64,
        /// Who left.
        user: u64,
    },
}

/// What the Discord edge calls: the lifecycle's interface, implemented by `tickets::Tickets`.
/// The edge knows only this trait, so the dependency runs from `discord/` to here.
pub trait Lifecycle: Send + Sync + 'static {
    /// Handles one inbound event to the end (the edge runs each on a task of its own).
    fn handle(
        self: std::sync::Arc<Self>,
        event: Inbound,
    ) -> futures::future::BoxFuture<'static, ()>;
}
