//! What users do: typed actions that change the world and send the gateway events Discord
//! would send, each payload checked against serenity's models first.
//!
//! [`Actor`] is one user; [`InteractionHandle`] follows an interaction the actor started, to
//! read the bot's answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use crate::world::{self, Attachment, InteractionState, Message};
use crate::{validate, EmulatorError, Inner};

type Result<T> = std::result::Result<T, EmulatorError>;

/// A user acting in the emulated Discord.
pub struct Actor {
    inner: Arc<Inner>,
    user: u64,
}

/// An interaction a user started; read the bot's answer through it.
#[derive(Clone)]
pub struct InteractionHandle {
    inner: Arc<Inner>,
    /// Interaction id.
    pub id: u64,
    /// Interaction token.
    pub token: String,
}

fn refused(text: impl Into<String>) -> EmulatorError {
    EmulatorError::Refused(text.into())
}

impl Actor {
    pub(crate) fn new(inner: Arc<Inner>, user: u64) -> Self {
        Self { inner, user }
    }

    /// The user's id.
    pub fn id(&self) -> u64 {
        self.user
    }

    /// Posts a message in `channel`; returns its id.
    pub fn say(&self, channel: u64, content: &str) -> Result<u64> {
        self.post(channel, content, vec![], None)
    }

    /// Posts a reply to message `to` in `channel`; returns its id.
    pub fn reply(&self, channel: u64, to: u64, content: &str) -> Result<u64> {
        self.post(channel, content, vec![], Some(to))
    }

    /// Edits one of this user's messages (MESSAGE_UPDATE is dispatched).
    pub fn edit(&self, message: u64, content: &str) -> Result<()> {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let base = self.inner.base_url();
            let stored = world
                .messages
                .get_mut(&message)
                .ok_or_else(|| refused("no such message"))?;
            if stored.author_id != self.user {
                return Err(refused("only the author can edit a message"));
            }
            stored.content = content.to_owned();
            stored.edited = Some(Utc::now());
            let stored = stored.clone();
            world::message_json(&world, &base, &stored)
        };
        validate::gateway_event("MESSAGE_UPDATE", &data).map_err(EmulatorError::Model)?;
        self.inner.dispatch("MESSAGE_UPDATE", data);
        self.inner.changed();
        Ok(())
    }

    /// Posts a message with one attachment; returns its id.
    pub fn say_with_file(
        &self,
        channel: u64,
        content: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Result<u64> {
        let attachment = Attachment {
            id: 0,
            filename: filename.to_owned(),
            content_type: None,
            bytes: bytes.to_vec(),
        };
        self.post(channel, content, vec![attachment], None)
    }

    fn post(
        &self,
        channel: u64,
        content: &str,
        mut attachments: Vec<Attachment>,
        reference: Option<u64>,
    ) -> Result<u64> {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let is_guild = world
                .channels
                .get(&channel)
                .ok_or_else(|| refused("no such channel"))?
                .guild_id
                .is_some();
            if is_guild && !world.can_view(channel, self.user) {
                return Err(refused(format!(
                    "user {} cannot see channel {channel}",
                    self.user
                )));
            }
            if is_guild && !world.can_send(channel, self.user) {
                return Err(refused(format!(
                    "user {} may not send messages in channel {channel}",
                    self.user
                )));
            }
            for a in &mut attachments {
                a.id = world.next_id();
            }
            let id = world.next_id();
            let message = Message {
                id,
                channel_id: channel,
                author_id: self.user,
                content: content.to_owned(),
                embeds: vec![],
                components: vec![],
                attachments,
                flags: 0,
                timestamp: Utc::now(),
                edited: None,
                ephemeral_for: None,
                interaction_id: None,
                reference,
                allowed_mentions: None,
            };
            if let Some(to) = reference {
                if world
                    .messages
                    .get(&to)
                    .is_none_or(|m| m.channel_id != channel)
                {
                    return Err(refused("a reply must answer a message of the same channel"));
                }
            }
            let data = world::message_json(&world, &self.inner.base_url(), &message);
            world.messages.insert(id, message);
            data
        };
        validate::gateway_event("MESSAGE_CREATE", &data).map_err(EmulatorError::Model)?;
        let id = data["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        self.inner.dispatch("MESSAGE_CREATE", data);
        self.inner.changed();
        Ok(id)
    }

    /// Presses the button `custom_id` on `message`.
    pub fn click(&self, message: u64, custom_id: &str) -> Result<InteractionHandle> {
        let (channel, component, source) = self.find_component(message, custom_id)?;
        if component["type"].as_u64() != Some(2) {
            return Err(refused(format!("{custom_id} is not a button")));
        }
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.interact(3, channel, data, Some(source))
    }

    /// Chooses `values` in the select menu `custom_id` on `message`.
    pub fn choose(
        &self,
        message: u64,
        custom_id: &str,
        values: &[&str],
    ) -> Result<InteractionHandle> {
        let (channel, component, source) = self.find_component(message, custom_id)?;
        if component["type"].as_u64() != Some(3) {
            return Err(refused(format!("{custom_id} is not a string select")));
        }
        let options: Vec<&str> = component["options"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| o["value"].as_str())
            .collect();
        if let Some(bad) = values.iter().find(|v| !options.contains(v)) {
            return Err(refused(format!("{bad} is not an option of {custom_id}")));
        }
        let min = component["min_values"].as_u64().unwrap_or(1) as usize;
        let max = component["max_values"].as_u64().unwrap_or(1) as usize;
        if values.len() < min || values.len() > max {
            return Err(refused(format!("{custom_id} takes {min}..={max} values")));
        }
        let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
        self.interact(3, channel, data, Some(source))
    }

    /// Submits the modal the bot opened in answer to `opened_by`, filling `values` by field id.
    pub fn submit_modal(
        &self,
        opened_by: &InteractionHandle,
        values: &[(&str, &str)],
    ) -> Result<InteractionHandle> {
        let state = opened_by.state();
        let response = state
            .response
            .ok_or_else(|| refused("the bot has not answered yet"))?;
        if response["type"].as_u64() != Some(9) {
            return Err(refused("the bot did not open a modal"));
        }
        let modal = &response["data"];
        let mut rows = Vec::new();
        for row in modal["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            for input in row["components"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let field = input["custom_id"].as_str().unwrap_or_default();
                let value = values
                    .iter()
                    .find(|(k, _)| *k == field)
                    .map_or("", |(_, v)| *v);
                let required = input["required"].as_bool().unwrap_or(true);
                let len = value.chars().count() as u64;
                if required && value.is_empty() {
                    return Err(refused(format!("field {field} is required")));
                }
                if !value.is_empty() {
                    let min = input["min_length"].as_u64().unwrap_or(0);
                    let max = input["max_length"].as_u64().unwrap_or(4000);
                    if len < min || len > max {
                        return Err(refused(format!(
                            "field {field} takes {min}..={max} characters"
                        )));
                    }
                }
                rows.push(json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]}));
            }
        }
        if let Some((unknown, _)) = values
            .iter()
            .find(|(k, _)| !rows.iter().any(|r| r["components"][0]["custom_id"] == *k))
        {
            return Err(refused(format!("the modal has no field {unknown}")));
        }
        let data = json!({"custom_id": modal["custom_id"], "components": rows});
        self.interact(5, state.channel_id, data, state.source_message)
    }

    /// A hostile client: submits a form with `custom_id` in `channel` that the bot never opened
    /// for this user (Discord's own client cannot; a modified one may try).
    pub fn forge_modal_submit(
        &self,
        channel: u64,
        custom_id: &str,
        values: &[(&str, &str)],
    ) -> Result<InteractionHandle> {
        let rows: Vec<Value> = values
            .iter()
            .map(|(field, value)| json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]}))
            .collect();
        let data = json!({"custom_id": custom_id, "components": rows});
        self.interact(5, channel, data, None)
    }

    /// Runs the slash command `name` with `options` (Discord's option objects) in `channel`.
    pub fn slash(&self, channel: u64, name: &str, options: Value) -> Result<InteractionHandle> {
        let command = {
            let world = self.inner.world.lock().expect("world lock");
            let guild = world.channels.get(&channel).and_then(|c| c.guild_id);
            let registered = world
                .commands
                .get(&guild)
                .into_iter()
                .chain(world.commands.get(&None))
                .flatten();
            registered.clone().find(|c| c["name"] == name).cloned()
        };
        let command =
            command.ok_or_else(|| refused(format!("no command /{name} is registered here")))?;
        // Discord only sends options the command declares, with their declared type (a
        // subcommand's options checked against the subcommand's).
        check_options(name, &command["options"], &options)?;
        let data = json!({
            "id": command["id"], "name": name, "type": 1, "options": options,
            "guild_id": command["guild_id"],
        });
        self.interact(2, channel, data, None)
    }

    /// Uses the context-menu command `name` (registered with type 2) on member `target` from
    /// `channel`, as a right-click → *Apps* in Discord's client.
    pub fn user_command(&self, channel: u64, name: &str, target: u64) -> Result<InteractionHandle> {
        let (command, user) = {
            let world = self.inner.world.lock().expect("world lock");
            let guild = world.channels.get(&channel).and_then(|c| c.guild_id);
            let command = world
                .commands
                .get(&guild)
                .into_iter()
                .chain(world.commands.get(&None))
                .flatten()
                .find(|c| c["name"] == name && c["type"] == 2)
                .cloned();
            let user = world::user_json_by_id(&world, target);
            (command, user)
        };
        let command = command
            .ok_or_else(|| refused(format!("no user command {name:?} is registered here")))?;
        let data = json!({
            "id": command["id"], "name": name, "type": 2, "target_id": target.to_string(),
            "guild_id": command["guild_id"],
            "resolved": {"users": {target.to_string(): user}},
        });
        self.interact(2, channel, data, None)
    }

    /// Joins voice channel `channel` (VOICE_STATE_UPDATE is dispatched).
    pub fn join_voice(&self, channel: u64) -> Result<()> {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let guild = world
                .channels
                .get(&channel)
                .and_then(|c| c.guild_id)
                .ok_or_else(|| refused("not a guild channel"))?;
            if !world.can_view(channel, self.user) {
                return Err(refused("cannot see that voice channel"));
            }
            world.voice.insert((guild, self.user), channel);
            world::voice_state_json(&world, guild, self.user, Some(channel))
        };
        self.send_voice(data)
    }

    /// Leaves voice in `guild`.
    pub fn leave_voice(&self, guild: u64) -> Result<()> {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            world.voice.remove(&(guild, self.user));
            world::voice_state_json(&world, guild, self.user, None)
        };
        self.send_voice(data)
    }

    /// Reacts to `message` with the Unicode `emoji` (MESSAGE_REACTION_ADD); once per emoji.
    pub fn react(&self, message: u64, emoji: &str) -> Result<()> {
        self.reaction(message, emoji, true)
    }

    /// Takes this user's reaction back (MESSAGE_REACTION_REMOVE).
    pub fn unreact(&self, message: u64, emoji: &str) -> Result<()> {
        self.reaction(message, emoji, false)
    }

    fn reaction(&self, message: u64, emoji: &str, add: bool) -> Result<()> {
        let (event, data) = {
            let mut world = self.inner.world.lock().expect("world lock");
            let found = world
                .messages
                .get(&message)
                .ok_or_else(|| refused(format!("message {message} does not exist")))?;
            let (channel, author) = (found.channel_id, found.author_id);
            let guild = world.channels.get(&channel).and_then(|c| c.guild_id);
            if guild.is_some() && !world.can_view(channel, self.user) {
                return Err(refused("cannot see that message"));
            }
            let key = (message, self.user, emoji.to_owned());
            let changed = if add {
                world.reactions.insert(key)
            } else {
                world.reactions.remove(&key)
            };
            if !changed {
                return Err(refused(if add {
                    "already reacted with that emoji"
                } else {
                    "no such reaction to remove"
                }));
            }
            let mut data = json!({
                "user_id": self.user.to_string(),
                "channel_id": channel.to_string(),
                "message_id": message.to_string(),
                "emoji": {"id": null, "name": emoji},
                "burst": false,
                "type": 0,
            });
            if let Some(guild) = guild {
                data["guild_id"] = json!(guild.to_string());
            }
            if add {
                data["message_author_id"] = json!(author.to_string());
            }
            (
                if add {
                    "MESSAGE_REACTION_ADD"
                } else {
                    "MESSAGE_REACTION_REMOVE"
                },
                data,
            )
        };
        validate::gateway_event(event, &data).map_err(EmulatorError::Model)?;
        self.inner.dispatch(event, data);
        self.inner.changed();
        Ok(())
    }

    fn send_voice(&self, data: Value) -> Result<()> {
        validate::gateway_event("VOICE_STATE_UPDATE", &data).map_err(EmulatorError::Model)?;
        self.inner.dispatch("VOICE_STATE_UPDATE", data);
        self.inner.changed();
        Ok(())
    }

    /// Finds a component on a message this user can see: (channel, component, message).
    fn find_component(&self, message: u64, custom_id: &str) -> Result<(u64, Value, u64)> {
        let world = self.inner.world.lock().expect("world lock");
        let found = world
            .messages
            .get(&message)
            .ok_or_else(|| refused(format!("message {message} does not exist")))?;
        let visible = match found.ephemeral_for {
            Some(user) => user == self.user,
            None => {
                world
                    .channels
                    .get(&found.channel_id)
                    .is_some_and(|c| c.guild_id.is_none())
                    || world.can_view(found.channel_id, self.user)
            }
        };
        if !visible {
            return Err(refused(format!(
                "user {} cannot see message {message}",
                self.user
            )));
        }
        let component = found
            .components
            .iter()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .find(|c| c["custom_id"] == custom_id)
            .ok_or_else(|| refused(format!("message {message} has no component {custom_id}")))?;
        if component["disabled"].as_bool() == Some(true) {
            return Err(refused(format!("{custom_id} is disabled")));
        }
        Ok((found.channel_id, component, message))
    }

    fn interact(
        &self,
        kind: u8,
        channel: u64,
        data: Value,
        source: Option<u64>,
    ) -> Result<InteractionHandle> {
        let payload = {
            let mut world = self.inner.world.lock().expect("world lock");
            let id = world.next_id();
            let token = format!("itoken.{id}.{:016x}", rand::random::<u64>());
            let target = world
                .channels
                .get(&channel)
                .cloned()
                .ok_or_else(|| refused("no such channel"))?;
            let guild_id = target.guild_id;
            let mut payload = json!({
                "id": id.to_string(),
                "application_id": world.application_id.to_string(),
                "type": kind,
                "data": data,
                "channel_id": channel.to_string(),
                "channel": {"id": channel.to_string(), "type": target.kind, "name": target.name,
                            "parent_id": target.parent_id.map(|p| p.to_string()), "permissions": "2251799813685247"},
                "token": token,
                "version": 1,
                "app_permissions": "2251799813685247",
                "locale": "pt-BR",
                "entitlements": [],
                "authorizing_integration_owners": {"0": guild_id.unwrap_or_default().to_string()},
                "context": if guild_id.is_some() { 0 } else { 1 },
                "attachment_size_limit": 10_485_760,
            });
            match guild_id {
                Some(guild) => {
                    let g = world
                        .guilds
                        .get(&guild)
                        .ok_or_else(|| refused("no such guild"))?;
                    let member = g
                        .members
                        .get(&self.user)
                        .ok_or_else(|| refused(format!("user {} is not a member", self.user)))?;
                    let mut member = world::member_json(&world, guild, member, true);
                    member["permissions"] = json!("1071698660929");
                    payload["guild_id"] = json!(guild.to_string());
                    payload["guild_locale"] = json!(g.locale);
                    payload["member"] = member;
                }
                None => payload["user"] = world::user_json_by_id(&world, self.user),
            }
            if let Some(source) = source.and_then(|s| world.messages.get(&s)) {
                payload["message"] = world::message_json(&world, &self.inner.base_url(), source);
            }
            validate::interaction(&payload).map_err(EmulatorError::Model)?;
            world.interactions.insert(
                id,
                InteractionState {
                    id,
                    token,
                    kind,
                    created: Instant::now(),
                    user_id: self.user,
                    channel_id: channel,
                    guild_id,
                    source_message: source,
                    response: None,
                    original_message: None,
                    followups: vec![],
                },
            );
            payload
        };
        let handle = InteractionHandle {
            inner: self.inner.clone(),
            id: payload["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default(),
            token: payload["token"].as_str().unwrap_or_default().to_owned(),
        };
        self.inner.dispatch("INTERACTION_CREATE", payload);
        self.inner.changed();
        Ok(handle)
    }
}

impl InteractionHandle {
    /// What the emulator knows of this interaction now.
    pub fn state(&self) -> InteractionState {
        self.inner.world.lock().expect("world lock").interactions[&self.id].clone()
    }

    /// Waits for the bot's initial response and returns its body (`type`, `data`).
    pub async fn response(&self, timeout: Duration) -> Result<Value> {
        self.inner
            .wait_until(timeout, "the interaction's initial response", || {
                self.state().response
            })
            .await
    }

    /// Waits for the message the response created or edited, once it is no longer "thinking".
    pub async fn message(&self, timeout: Duration) -> Result<Value> {
        let base = self.inner.base_url();
        self.inner
            .wait_until(timeout, "the interaction's message", || {
                let world = self.inner.world.lock().expect("world lock");
                let state = world.interactions.get(&self.id)?;
                let message = world.messages.get(&state.original_message?)?;
                (message.flags & 128 == 0).then(|| world::message_json(&world, &base, message))
            })
            .await
    }

    /// Waits until the bot has sent `n` followups, and returns them.
    pub async fn followups(&self, n: usize, timeout: Duration) -> Result<Vec<Value>> {
        let base = self.inner.base_url();
        self.inner
            .wait_until(timeout, "followup messages", || {
                let world = self.inner.world.lock().expect("world lock");
                let state = world.interactions.get(&self.id)?;
                (state.followups.len() >= n).then(|| {
                    state
                        .followups
                        .iter()
                        .filter_map(|id| world.messages.get(id))
                        .map(|m| world::message_json(&world, &base, m))
                        .collect()
                })
            })
            .await
    }
}

/// Refuses options a command (or subcommand) does not declare, or of another type.
fn check_options(command: &str, declared: &Value, given: &Value) -> Result<()> {
    for option in given.as_array().map(Vec::as_slice).unwrap_or_default() {
        let found = declared
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["name"] == option["name"]);
        match found {
            Some(d) if d["type"] == option["type"] => {
                if d["type"] == 1 {
                    check_options(command, &d["options"], &option["options"])?;
                }
            }
            Some(_) => {
                return Err(refused(format!(
                    "option {} has another type",
                    option["name"]
                )))
            }
            None => {
                return Err(refused(format!(
                    "/{command} has no option {}",
                    option["name"]
                )))
            }
        }
    }
    Ok(())
}
