//! What the lifecycle asks of Discord's REST API, in the bot's own types: the [`DiscordApi`]
//! trait, the shapes it speaks (commands, channels) and its error. The Discord edge
//! (`discord::client`) implements it with serenity; the lifecycle names only this module, so the
//! arrow runs one way: `discord/` depends on the lifecycle's interface, never the reverse.

use futures::future::BoxFuture;

use crate::event::InteractionRef;
use crate::ui::{OutMessage, Overwrite, OverwriteTarget, Reply};

/// A slash command (or a user context-menu command) to register in a guild.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// Command name (lowercase, no spaces; for a context-menu command, the menu's label).
    pub name: String,
    /// A command in a member's context menu (*Apps*), rather than a slash command.
    pub on_user: bool,
    /// Description in the guild's language.
    pub description: String,
    /// (Discord locale, description) pairs so each user sees their own language.
    pub localized_descriptions: Vec<(String, String)>,
    /// Its options.
    pub options: Vec<OptionSpec>,
}

/// An option of a slash command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionSpec {
    /// Name (lowercase).
    pub name: String,
    /// Description in the guild's language.
    pub description: String,
    /// What it takes.
    pub kind: OptionKind,
    /// Must be given.
    pub required: bool,
    /// A subcommand's own options.
    pub options: Vec<OptionSpec>,
    /// Fixed choices (value, label) for a text option.
    pub choices: Vec<(String, String)>,
}

impl OptionSpec {
    /// An option of `kind`.
    pub fn new(name: &str, description: String, kind: OptionKind, required: bool) -> Self {
        Self {
            name: name.to_owned(),
            description,
            kind,
            required,
            options: Vec::new(),
            choices: Vec::new(),
        }
    }
}

/// What a slash command option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// A whole number.
    Integer,
    /// A member.
    User,
    /// A role.
    Role,
    /// Text.
    Text,
    /// A subcommand (its options are nested).
    SubCommand,
}

/// A guild channel, as far as the lifecycle cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Channel id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its category.
    pub parent: Option<u64>,
    /// Its topic (ticket channels name their ticket there).
    pub topic: Option<String>,
    /// What it is: a text channel, a category, or something else (voice, forum, …).
    pub kind: ChannelKind,
}

/// The kinds of guild channel the bot tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// A text channel (where panels, logs and tickets go).
    Text,
    /// A category (where ticket channels are made).
    Category,
    /// Voice, forum, stage, announcement, …
    Other,
}

/// Why a Discord call failed after its retries.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    /// Discord answered with an error status.
    #[error("Discord refused {what}: HTTP {status}, code {code}: {message}")]
    Rejected {
        /// What the bot tried.
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// Discord's JSON error code (0 when the body had none).
        code: isize,
        /// Discord's message.
        message: String,
    },
    /// Anything else: transport, decoding.
    #[error("Discord call {what} failed: {message}")]
    Other {
        /// What the bot tried.
        what: &'static str,
        /// What went wrong, with any token taken out (never the transport error itself, whose
        /// text quotes the request's URL).
        message: String,
    },
}

impl DiscordError {
    /// Discord's JSON error code, when Discord answered with one.
    pub fn code(&self) -> Option<isize> {
        match self {
            DiscordError::Rejected { code, .. } => Some(*code),
            DiscordError::Other { .. } => None,
        }
    }

    /// The HTTP status, when Discord answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DiscordError::Rejected { status, .. } => Some(*status),
            DiscordError::Other { .. } => None,
        }
    }
}

/// The answer of one call.
pub type Answer<'a, T> = BoxFuture<'a, Result<T, DiscordError>>;

/// Discord's REST operations the lifecycle uses. Every call retries passing failures (429,
/// 5xx, a dropped connection) before it answers an error.
pub trait DiscordApi: Send + Sync {
    /// The URL of a user's avatar (a small PNG), for keeping it with a transcript.
    fn avatar_url(&self, user: u64, hash: &str) -> String;
    /// Posts `message` in `channel`; the new message's id.
    fn send_message<'a>(&'a self, channel: u64, message: &'a OutMessage) -> Answer<'a, u64>;
    /// Whether message `message` still exists in `channel` (false when either is gone).
    fn message_exists(&self, channel: u64, message: u64) -> Answer<'_, bool>;
    /// Gives an interaction its one initial answer.
    fn reply<'a>(&'a self, interaction: &'a InteractionRef, reply: Reply) -> Answer<'a, ()>;
    /// Replaces the interaction's first answer (after a defer, or to update it).
    fn edit_reply<'a>(
        &'a self,
        interaction: &'a InteractionRef,
        message: &'a OutMessage,
    ) -> Answer<'a, ()>;
    /// Sends a further message for an interaction (allowed for 15 minutes); its id.
    fn followup<'a>(
        &'a self,
        interaction: &'a InteractionRef,
        message: &'a OutMessage,
        ephemeral: bool,
    ) -> Answer<'a, u64>;
    /// Replaces the guild's slash commands with `commands`.
    fn set_guild_commands<'a>(&'a self, guild: u64, commands: &'a [CommandSpec]) -> Answer<'a, ()>;
    /// A channel's permission overwrites.
    fn overwrites(&self, channel: u64) -> Answer<'_, Vec<Overwrite>>;
    /// Whether a channel exists.
    fn channel_exists(&self, channel: u64) -> Answer<'_, bool>;
    /// The guild's channels.
    fn guild_channels(&self, guild: u64) -> Answer<'_, Vec<ChannelInfo>>;
    /// The guild's name.
    fn guild_name(&self, guild: u64) -> Answer<'_, String>;
    /// The guild's roles: (id, name).
    fn guild_roles(&self, guild: u64) -> Answer<'_, Vec<(u64, String)>>;
    /// A member's roles; none when the user is not a member.
    fn member_roles(&self, guild: u64, user: u64) -> Answer<'_, Option<Vec<u64>>>;
    /// Whether a member may manage the guild (its owner, or a role with Administrator or
    /// Manage Server); false when the user is not a member.
    fn member_manages_guild(&self, guild: u64, user: u64) -> Answer<'_, bool>;
    /// Creates a text channel in `category` with `overwrites`; its id.
    fn create_text_channel<'a>(
        &'a self,
        guild: u64,
        name: &'a str,
        category: u64,
        topic: &'a str,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, u64>;
    /// Creates a voice channel; its id.
    fn create_voice_channel<'a>(
        &'a self,
        guild: u64,
        name: &'a str,
        category: Option<u64>,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, u64>;
    /// Renames a channel.
    fn rename_channel<'a>(&'a self, channel: u64, name: &'a str) -> Answer<'a, ()>;
    /// Moves a channel to `category` with `overwrites`.
    fn move_channel<'a>(
        &'a self,
        channel: u64,
        category: u64,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, ()>;
    /// A message's reactions, in Discord's JSON shape.
    fn message_reactions(&self, channel: u64, message: u64) -> Answer<'_, serde_json::Value>;
    /// A channel's category.
    fn channel_parent(&self, channel: u64) -> Answer<'_, Option<u64>>;
    /// Deletes a channel (one already gone counts as deleted).
    fn delete_channel(&self, channel: u64) -> Answer<'_, ()>;
    /// Sets one permission overwrite.
    fn set_overwrite(&self, channel: u64, overwrite: Overwrite) -> Answer<'_, ()>;
    /// Removes a member's or a role's overwrite.
    fn remove_overwrite(&self, channel: u64, target: OverwriteTarget) -> Answer<'_, ()>;
    /// Replaces a message's content, embeds and components.
    fn edit_message<'a>(
        &'a self,
        channel: u64,
        message: u64,
        content: &'a OutMessage,
    ) -> Answer<'a, ()>;
    /// Sends a direct message; fails with code 50007 when the user does not accept DMs.
    fn send_dm<'a>(&'a self, user: u64, message: &'a OutMessage) -> Answer<'a, u64>;
}
