//! The bot's calls to Discord's REST API, in the bot's own types, with retries.

use std::sync::Arc;

use serenity::all::{
    ChannelId, CreateCommand, CreateInteractionResponseFollowup, EditInteractionResponse, GuildId,
    Http, InteractionId,
};
use serenity::http::HttpError;

use super::convert;
use super::retry::{retry, RetryPolicy};
use crate::event::InteractionRef;
use crate::ui::{OutMessage, Reply};

/// A slash command to register in a guild.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// Command name (lowercase, no spaces).
    pub name: String,
    /// Description in the guild's language.
    pub description: String,
    /// (Discord locale, description) pairs so each user sees their own language.
    pub localized_descriptions: Vec<(String, String)>,
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
    #[error("Discord call {what} failed: {source}")]
    Other {
        /// What the bot tried.
        what: &'static str,
        /// serenity's error.
        source: serenity::Error,
    },
}

impl DiscordError {
    fn from_serenity(what: &'static str, error: serenity::Error) -> Self {
        match error {
            serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
                DiscordError::Rejected {
                    what,
                    status: response.status_code.as_u16(),
                    code: response.error.code,
                    message: response.error.message,
                }
            }
            source => DiscordError::Other { what, source },
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

/// Discord's REST API for the lifecycle. Cheap to clone.
#[derive(Clone)]
pub struct DiscordClient {
    http: Arc<Http>,
}

impl std::fmt::Debug for DiscordClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiscordClient")
    }
}

impl DiscordClient {
    /// Wraps serenity's HTTP client.
    pub fn new(http: Arc<Http>) -> Self {
        Self { http }
    }

    /// Posts `message` in `channel`; returns the new message's id.
    pub async fn send_message(
        &self,
        channel: u64,
        message: &OutMessage,
    ) -> Result<u64, DiscordError> {
        let channel = ChannelId::new(channel);
        let sent = retry(RetryPolicy::STANDARD, "send message", || {
            channel.send_message(&*self.http, convert::message(message))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("send message", e))?;
        Ok(sent.id.get())
    }

    /// Whether message `message` still exists in `channel` (false when either is gone).
    pub async fn message_exists(&self, channel: u64, message: u64) -> Result<bool, DiscordError> {
        let found = retry(RetryPolicy::STANDARD, "get message", || {
            self.http
                .get_message(ChannelId::new(channel), message.into())
        })
        .await;
        match found {
            Ok(_) => Ok(true),
            Err(error) => match DiscordError::from_serenity("get message", error) {
                DiscordError::Rejected { status: 404, .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Gives an interaction its one initial answer.
    pub async fn reply(
        &self,
        interaction: &InteractionRef,
        reply: Reply,
    ) -> Result<(), DiscordError> {
        let response = convert::response(&reply);
        let id = InteractionId::new(interaction.id);
        retry(RetryPolicy::INTERACTION, "answer interaction", || {
            self.http
                .create_interaction_response(id, &interaction.token, &response, Vec::new())
        })
        .await
        .map_err(|e| DiscordError::from_serenity("answer interaction", e))
    }

    /// Replaces the interaction's first answer (after a defer, or to update it).
    pub async fn edit_reply(
        &self,
        interaction: &InteractionRef,
        message: &OutMessage,
    ) -> Result<(), DiscordError> {
        let mut edit = EditInteractionResponse::new()
            .embeds(message.embeds.iter().map(convert::embed).collect())
            .components(convert::rows(&message.rows));
        if let Some(content) = &message.content {
            edit = edit.content(content);
        }
        retry(RetryPolicy::STANDARD, "edit interaction answer", || {
            self.http
                .edit_original_interaction_response(&interaction.token, &edit, Vec::new())
        })
        .await
        .map(|_| ())
        .map_err(|e| DiscordError::from_serenity("edit interaction answer", e))
    }

    /// Sends a further message for an interaction (allowed for 15 minutes).
    pub async fn followup(
        &self,
        interaction: &InteractionRef,
        message: &OutMessage,
        ephemeral: bool,
    ) -> Result<u64, DiscordError> {
        let mut followup = CreateInteractionResponseFollowup::new()
            .embeds(message.embeds.iter().map(convert::embed).collect())
            .components(convert::rows(&message.rows))
            .ephemeral(ephemeral);
        if let Some(content) = &message.content {
            followup = followup.content(content);
        }
        let sent = retry(RetryPolicy::STANDARD, "send followup", || {
            self.http
                .create_followup_message(&interaction.token, &followup, Vec::new())
        })
        .await
        .map_err(|e| DiscordError::from_serenity("send followup", e))?;
        Ok(sent.id.get())
    }

    /// Makes `commands` the guild's complete set of this bot's slash commands.
    pub async fn set_guild_commands(
        &self,
        guild: u64,
        commands: &[CommandSpec],
    ) -> Result<(), DiscordError> {
        let builders: Vec<CreateCommand> = commands
            .iter()
            .map(|spec| {
                let mut command = CreateCommand::new(&spec.name).description(&spec.description);
                for (locale, text) in &spec.localized_descriptions {
                    command = command.description_localized(locale, text);
                }
                command
            })
            .collect();
        retry(RetryPolicy::STANDARD, "register commands", || {
            self.http
                .create_guild_commands(GuildId::new(guild), &builders)
        })
        .await
        .map(|_| ())
        .map_err(|e| DiscordError::from_serenity("register commands", e))
    }
}
