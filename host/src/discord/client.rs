//! The bot's calls to Discord's REST API with serenity, with retries: the implementation of
//! the lifecycle's [`DiscordApi`].

use std::sync::Arc;

use serenity::all::{
    Channel, ChannelId, ChannelType, CommandOptionType, CommandType, CreateChannel, CreateCommand,
    CreateCommandOption, EditChannel, GuildId, Http, InteractionId, MessageId,
    PermissionOverwriteType, RoleId, UserId,
};
use serenity::http::HttpError;

use super::convert;
use super::retry::{retry, RetryPolicy};
use crate::event::InteractionRef;
use crate::rest::{
    Answer, ChannelInfo, ChannelKind, CommandSpec, DiscordApi, DiscordError, OptionKind,
};
use crate::ui::{OutMessage, Overwrite, OverwriteTarget, Reply};

impl DiscordError {
    fn from_serenity(what: &'static str, error: serenity::Error) -> Self {
        crate::metrics::METRICS.discord_error();
        match error {
            serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
                DiscordError::Rejected {
                    what,
                    status: response.status_code.as_u16(),
                    code: response.error.code,
                    message: response.error.message,
                }
            }
            other => DiscordError::Other {
                what,
                message: super::retry::describe(&other),
            },
        }
    }
}

/// Discord's REST API for the lifecycle. Cheap to clone.
#[derive(Clone)]
pub struct DiscordClient {
    http: Arc<Http>,
    cdn_base: Arc<str>,
}

impl std::fmt::Debug for DiscordClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiscordClient")
    }
}

impl DiscordClient {
    /// Wraps serenity's HTTP client.
    pub fn new(http: Arc<Http>, api_base: Option<&str>) -> Self {
        // Discord's CDN, or the emulator's (which serves it under /cdn of its API base).
        let cdn_base = api_base.map_or_else(
            || "https://cdn.discordapp.com".to_owned(),
            |base| format!("{}/cdn", base.trim_end_matches('/')),
        );
        Self {
            http,
            cdn_base: cdn_base.into(),
        }
    }

    /// The URL of a user's avatar (a small PNG), for keeping it with a transcript.
    pub fn avatar_url(&self, user: u64, hash: &str) -> String {
        format!("{}/avatars/{user}/{hash}.png?size=64", self.cdn_base)
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
        let edit = convert::edit_response(message);
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
        let followup = convert::followup(message, ephemeral);
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
                if spec.on_user {
                    // A context-menu command has a name and no description or options.
                    return CreateCommand::new(&spec.name).kind(CommandType::User);
                }
                let mut command = CreateCommand::new(&spec.name).description(&spec.description);
                for (locale, text) in &spec.localized_descriptions {
                    command = command.description_localized(locale, text);
                }
                for option in &spec.options {
                    command = command.add_option(command_option(option));
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

    /// The permission overwrites of a channel or category.
    pub async fn overwrites(&self, channel: u64) -> Result<Vec<Overwrite>, DiscordError> {
        let found = retry(RetryPolicy::STANDARD, "get channel", || {
            self.http.get_channel(ChannelId::new(channel))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("get channel", e))?;
        Ok(match found {
            Channel::Guild(channel) => channel
                .permission_overwrites
                .iter()
                .filter_map(convert::overwrite_from)
                .collect(),
            _ => Vec::new(),
        })
    }

    /// Whether channel `channel` still exists.
    pub async fn channel_exists(&self, channel: u64) -> Result<bool, DiscordError> {
        match retry(RetryPolicy::STANDARD, "get channel", || {
            self.http.get_channel(ChannelId::new(channel))
        })
        .await
        {
            Ok(_) => Ok(true),
            Err(error) => match DiscordError::from_serenity("get channel", error) {
                DiscordError::Rejected { status: 404, .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    /// The channels of `guild`.
    pub async fn guild_channels(&self, guild: u64) -> Result<Vec<ChannelInfo>, DiscordError> {
        let channels = retry(RetryPolicy::STANDARD, "list channels", || {
            GuildId::new(guild).channels(&*self.http)
        })
        .await
        .map_err(|e| DiscordError::from_serenity("list channels", e))?;
        Ok(channels
            .values()
            .map(|c| ChannelInfo {
                id: c.id.get(),
                name: c.name.clone(),
                parent: c.parent_id.map(|p| p.get()),
                topic: c.topic.clone(),
                kind: match c.kind {
                    ChannelType::Text => ChannelKind::Text,
                    ChannelType::Category => ChannelKind::Category,
                    _ => ChannelKind::Other,
                },
            })
            .collect())
    }

    /// The roles of member `user` in `guild` (`None` when not a member).
    pub async fn member_roles(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Option<Vec<u64>>, DiscordError> {
        match retry(RetryPolicy::STANDARD, "get member", || {
            self.http.get_member(GuildId::new(guild), UserId::new(user))
        })
        .await
        {
            Ok(member) => Ok(Some(member.roles.iter().map(|r| r.get()).collect())),
            Err(error) => match DiscordError::from_serenity("get member", error) {
                DiscordError::Rejected { status: 404, .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Whether `user` owns `guild` or holds a role with Administrator or Manage Server.
    pub async fn member_manages_guild(&self, guild: u64, user: u64) -> Result<bool, DiscordError> {
        let Some(roles) = self.member_roles(guild, user).await? else {
            return Ok(false);
        };
        let found = retry(RetryPolicy::STANDARD, "get guild", || {
            self.http.get_guild(GuildId::new(guild))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("get guild", e))?;
        if found.owner_id.get() == user {
            return Ok(true);
        }
        let manage = serenity::model::Permissions::ADMINISTRATOR
            | serenity::model::Permissions::MANAGE_GUILD;
        Ok(found.roles.values().any(|role| {
            (role.id.get() == guild || roles.contains(&role.id.get()))
                && role.permissions.intersects(manage)
        }))
    }

    /// Creates a text channel; returns its id.
    pub async fn create_text_channel(
        &self,
        guild: u64,
        name: &str,
        category: u64,
        topic: &str,
        overwrites: &[Overwrite],
    ) -> Result<u64, DiscordError> {
        let permissions: Vec<_> = overwrites.iter().map(convert::overwrite).collect();
        let builder = CreateChannel::new(name)
            .kind(ChannelType::Text)
            .category(ChannelId::new(category))
            .topic(topic)
            .permissions(permissions);
        // Retried on 429 only (nothing was created); a 5xx may have created it, so the caller
        // decides.
        let created = retry_rate_limited("create channel", || {
            GuildId::new(guild).create_channel(&*self.http, builder.clone())
        })
        .await
        .map_err(|e| DiscordError::from_serenity("create channel", e))?;
        Ok(created.id.get())
    }

    /// Creates a voice channel in `category` with `overwrites`.
    pub async fn create_voice_channel(
        &self,
        guild: u64,
        name: &str,
        category: Option<u64>,
        overwrites: &[Overwrite],
    ) -> Result<u64, DiscordError> {
        let permissions: Vec<_> = overwrites.iter().map(convert::overwrite).collect();
        let mut builder = CreateChannel::new(name)
            .kind(ChannelType::Voice)
            .permissions(permissions);
        if let Some(category) = category {
            builder = builder.category(ChannelId::new(category));
        }
        let created = retry_rate_limited("create voice channel", || {
            GuildId::new(guild).create_channel(&*self.http, builder.clone())
        })
        .await
        .map_err(|e| DiscordError::from_serenity("create voice channel", e))?;
        Ok(created.id.get())
    }

    /// Renames a channel. Not retried: Discord allows two renames per channel per ten
    /// minutes, and a 429 here means minutes, not milliseconds (the caller says so).
    pub async fn rename_channel(&self, channel: u64, name: &str) -> Result<(), DiscordError> {
        let edit = EditChannel::new().name(name);
        let call = ChannelId::new(channel).edit(&*self.http, edit);
        match tokio::time::timeout(std::time::Duration::from_secs(5), call).await {
            Ok(result) => result
                .map(|_| ())
                .map_err(|e| DiscordError::from_serenity("rename channel", e)),
            Err(_) => Err(DiscordError::Rejected {
                what: "rename channel",
                status: 429,
                code: 0,
                message: "Discord is holding renames of this channel back".into(),
            }),
        }
    }

    /// Moves a channel to `category` with `overwrites` (its permissions resynced).
    pub async fn move_channel(
        &self,
        channel: u64,
        category: u64,
        overwrites: &[Overwrite],
    ) -> Result<(), DiscordError> {
        let permissions: Vec<_> = overwrites.iter().map(convert::overwrite).collect();
        let edit = EditChannel::new()
            .category(Some(ChannelId::new(category)))
            .permissions(permissions);
        retry(RetryPolicy::STANDARD, "move channel", || {
            ChannelId::new(channel).edit(&*self.http, edit.clone())
        })
        .await
        .map(|_| ())
        .map_err(|e| DiscordError::from_serenity("move channel", e))
    }

    /// A message's reactions now, in Discord's JSON shape.
    pub async fn message_reactions(
        &self,
        channel: u64,
        message: u64,
    ) -> Result<serde_json::Value, DiscordError> {
        let found = retry(RetryPolicy::STANDARD, "get message", || {
            self.http
                .get_message(ChannelId::new(channel), MessageId::new(message))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("get message", e))?;
        Ok(serde_json::to_value(&found.reactions).unwrap_or_default())
    }

    /// A guild channel's category, if it has one.
    pub async fn channel_parent(&self, channel: u64) -> Result<Option<u64>, DiscordError> {
        let found = retry(RetryPolicy::STANDARD, "get channel", || {
            self.http.get_channel(ChannelId::new(channel))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("get channel", e))?;
        Ok(found.guild().and_then(|c| c.parent_id).map(|p| p.get()))
    }

    /// Deletes a channel; one already gone counts as deleted.
    pub async fn delete_channel(&self, channel: u64) -> Result<(), DiscordError> {
        match retry(RetryPolicy::STANDARD, "delete channel", || {
            ChannelId::new(channel).delete(&*self.http)
        })
        .await
        {
            Ok(_) => Ok(()),
            Err(error) => match DiscordError::from_serenity("delete channel", error) {
                DiscordError::Rejected { status: 404, .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    /// The guild's name.
    pub async fn guild_name(&self, guild: u64) -> Result<String, DiscordError> {
        let partial = retry(RetryPolicy::STANDARD, "get guild", || {
            self.http.get_guild(GuildId::new(guild))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("get guild", e))?;
        Ok(partial.name)
    }

    /// The guild's roles: (id, name).
    pub async fn guild_roles(&self, guild: u64) -> Result<Vec<(u64, String)>, DiscordError> {
        let roles = retry(RetryPolicy::STANDARD, "list roles", || {
            self.http.get_guild_roles(GuildId::new(guild))
        })
        .await
        .map_err(|e| DiscordError::from_serenity("list roles", e))?;
        Ok(roles.into_iter().map(|r| (r.id.get(), r.name)).collect())
    }

    /// Sets one permission overwrite on a channel.
    pub async fn set_overwrite(
        &self,
        channel: u64,
        overwrite: Overwrite,
    ) -> Result<(), DiscordError> {
        let permission = convert::overwrite(&overwrite);
        retry(RetryPolicy::STANDARD, "set permissions", || {
            ChannelId::new(channel).create_permission(&*self.http, permission.clone())
        })
        .await
        .map_err(|e| DiscordError::from_serenity("set permissions", e))
    }

    /// Removes a member's overwrite from a channel.
    pub async fn remove_overwrite(
        &self,
        channel: u64,
        target: OverwriteTarget,
    ) -> Result<(), DiscordError> {
        let kind = match target {
            OverwriteTarget::Member(user) => PermissionOverwriteType::Member(UserId::new(user)),
            OverwriteTarget::Role(role) => PermissionOverwriteType::Role(RoleId::new(role)),
        };
        retry(RetryPolicy::STANDARD, "remove permissions", || {
            ChannelId::new(channel).delete_permission(&*self.http, kind)
        })
        .await
        .map_err(|e| DiscordError::from_serenity("remove permissions", e))
    }

    /// Replaces a message's content, embeds and components.
    pub async fn edit_message(
        &self,
        channel: u64,
        message: u64,
        content: &OutMessage,
    ) -> Result<(), DiscordError> {
        let edit = convert::edit_message(content);
        retry(RetryPolicy::STANDARD, "edit message", || {
            ChannelId::new(channel).edit_message(&*self.http, MessageId::new(message), edit.clone())
        })
        .await
        .map(|_| ())
        .map_err(|e| DiscordError::from_serenity("edit message", e))
    }

    /// Sends a direct message; fails with code 50007 when the user does not accept DMs.
    pub async fn send_dm(&self, user: u64, message: &OutMessage) -> Result<u64, DiscordError> {
        let channel = retry(RetryPolicy::STANDARD, "open DM", || {
            UserId::new(user).create_dm_channel(&*self.http)
        })
        .await
        .map_err(|e| DiscordError::from_serenity("open DM", e))?;
        self.send_message(channel.id.get(), message).await
    }
}

/// Retries `call` while Discord answers 429 (the request was not carried out), with the
/// standard backoff; any other error is returned at once.
async fn retry_rate_limited<T, F, Fut>(what: &str, mut call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = serenity::Result<T>>,
{
    let policy = RetryPolicy::STANDARD;
    let mut delay = policy.first_delay;
    for attempt in 1.. {
        match call().await {
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(response)))
                if response.status_code.as_u16() == 429 && attempt < policy.attempts =>
            {
                tracing::warn!(what, attempt, "rate limited; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// An option's builder, with a subcommand's nested options.
fn command_option(option: &crate::rest::OptionSpec) -> CreateCommandOption {
    let kind = match option.kind {
        OptionKind::Integer => CommandOptionType::Integer,
        OptionKind::User => CommandOptionType::User,
        OptionKind::Role => CommandOptionType::Role,
        OptionKind::Text => CommandOptionType::String,
        OptionKind::SubCommand => CommandOptionType::SubCommand,
    };
    let mut built = CreateCommandOption::new(kind, &option.name, &option.description);
    if option.kind != OptionKind::SubCommand {
        built = built.required(option.required);
    }
    for (value, label) in &option.choices {
        built = built.add_string_choice(label, value);
    }
    for nested in &option.options {
        built = built.add_sub_option(command_option(nested));
    }
    built
}

impl DiscordApi for DiscordClient {
    fn avatar_url(&self, user: u64, hash: &str) -> String {
        DiscordClient::avatar_url(self, user, hash)
    }
    fn send_message<'a>(&'a self, channel: u64, message: &'a OutMessage) -> Answer<'a, u64> {
        Box::pin(DiscordClient::send_message(self, channel, message))
    }
    fn message_exists(&self, channel: u64, message: u64) -> Answer<'_, bool> {
        Box::pin(DiscordClient::message_exists(self, channel, message))
    }
    fn reply<'a>(&'a self, interaction: &'a InteractionRef, reply: Reply) -> Answer<'a, ()> {
        Box::pin(DiscordClient::reply(self, interaction, reply))
    }
    fn edit_reply<'a>(
        &'a self,
        interaction: &'a InteractionRef,
        message: &'a OutMessage,
    ) -> Answer<'a, ()> {
        Box::pin(DiscordClient::edit_reply(self, interaction, message))
    }
    fn followup<'a>(
        &'a self,
        interaction: &'a InteractionRef,
        message: &'a OutMessage,
        ephemeral: bool,
    ) -> Answer<'a, u64> {
        Box::pin(DiscordClient::followup(
            self,
            interaction,
            message,
            ephemeral,
        ))
    }
    fn set_guild_commands<'a>(&'a self, guild: u64, commands: &'a [CommandSpec]) -> Answer<'a, ()> {
        Box::pin(DiscordClient::set_guild_commands(self, guild, commands))
    }
    fn overwrites(&self, channel: u64) -> Answer<'_, Vec<Overwrite>> {
        Box::pin(DiscordClient::overwrites(self, channel))
    }
    fn channel_exists(&self, channel: u64) -> Answer<'_, bool> {
        Box::pin(DiscordClient::channel_exists(self, channel))
    }
    fn guild_channels(&self, guild: u64) -> Answer<'_, Vec<ChannelInfo>> {
        Box::pin(DiscordClient::guild_channels(self, guild))
    }
    fn guild_name(&self, guild: u64) -> Answer<'_, String> {
        Box::pin(DiscordClient::guild_name(self, guild))
    }
    fn member_manages_guild(&self, guild: u64, user: u64) -> Answer<'_, bool> {
        Box::pin(DiscordClient::member_manages_guild(self, guild, user))
    }

    fn guild_roles(&self, guild: u64) -> Answer<'_, Vec<(u64, String)>> {
        Box::pin(DiscordClient::guild_roles(self, guild))
    }
    fn member_roles(&self, guild: u64, user: u64) -> Answer<'_, Option<Vec<u64>>> {
        Box::pin(DiscordClient::member_roles(self, guild, user))
    }
    fn create_text_channel<'a>(
        &'a self,
        guild: u64,
        name: &'a str,
        category: u64,
        topic: &'a str,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, u64> {
        Box::pin(DiscordClient::create_text_channel(
            self, guild, name, category, topic, overwrites,
        ))
    }
    fn create_voice_channel<'a>(
        &'a self,
        guild: u64,
        name: &'a str,
        category: Option<u64>,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, u64> {
        Box::pin(DiscordClient::create_voice_channel(
            self, guild, name, category, overwrites,
        ))
    }
    fn rename_channel<'a>(&'a self, channel: u64, name: &'a str) -> Answer<'a, ()> {
        Box::pin(DiscordClient::rename_channel(self, channel, name))
    }
    fn move_channel<'a>(
        &'a self,
        channel: u64,
        category: u64,
        overwrites: &'a [Overwrite],
    ) -> Answer<'a, ()> {
        Box::pin(DiscordClient::move_channel(
            self, channel, category, overwrites,
        ))
    }
    fn message_reactions(&self, channel: u64, message: u64) -> Answer<'_, serde_json::Value> {
        Box::pin(DiscordClient::message_reactions(self, channel, message))
    }
    fn channel_parent(&self, channel: u64) -> Answer<'_, Option<u64>> {
        Box::pin(DiscordClient::channel_parent(self, channel))
    }
    fn delete_channel(&self, channel: u64) -> Answer<'_, ()> {
        Box::pin(DiscordClient::delete_channel(self, channel))
    }
    fn set_overwrite(&self, channel: u64, overwrite: Overwrite) -> Answer<'_, ()> {
        Box::pin(DiscordClient::set_overwrite(self, channel, overwrite))
    }
    fn remove_overwrite(&self, channel: u64, target: OverwriteTarget) -> Answer<'_, ()> {
        Box::pin(DiscordClient::remove_overwrite(self, channel, target))
    }
    fn edit_message<'a>(
        &'a self,
        channel: u64,
        message: u64,
        content: &'a OutMessage,
    ) -> Answer<'a, ()> {
        Box::pin(DiscordClient::edit_message(self, channel, message, content))
    }
    fn send_dm<'a>(&'a self, user: u64, message: &'a OutMessage) -> Answer<'a, u64> {
        Box::pin(DiscordClient::send_dm(self, user, message))
    }
}
