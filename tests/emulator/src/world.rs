//! The emulated Discord's state: guilds, roles, members, channels, messages, interactions.
//!
//! [`World`] is plain data behind one mutex in [`crate::Emulator`]; REST calls and user actions
//! change it, and the `*_json` functions render it in Discord's wire format (API v10).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Discord's epoch (2015-01-01) in Unix milliseconds, for building realistic snowflakes.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Channel types used by a ticket bot (Discord's numbering).
pub mod channel_type {
    /// A guild text channel.
    pub const TEXT: u8 = 0;
    /// A direct-message channel.
    pub const DM: u8 = 1;
    /// A guild voice channel.
    pub const VOICE: u8 = 2;
    /// A guild category.
    pub const CATEGORY: u8 = 4;
}

/// A Discord user known to the emulator.
#[derive(Clone, Debug)]
pub struct User {
    /// Snowflake.
    pub id: u64,
    /// Unique username.
    pub name: String,
    /// Display name, if set.
    pub global_name: Option<String>,
    /// Avatar hash, if any.
    pub avatar: Option<String>,
    /// Whether this is a bot account.
    pub bot: bool,
    /// When set, DMs to this user fail with code 50007, as when a user closes their DMs.
    pub dms_closed: bool,
}

/// A guild role.
#[derive(Clone, Debug)]
pub struct Role {
    /// Snowflake (the @everyone role has the guild's id).
    pub id: u64,
    /// Role name.
    pub name: String,
    /// Permission bit set.
    pub permissions: u64,
    /// Position in the role list.
    pub position: u16,
}

/// A guild member.
#[derive(Clone, Debug)]
pub struct Member {
    /// The member's user id.
    pub user_id: u64,
    /// Guild nickname.
    pub nick: Option<String>,
    /// Role ids (without @everyone).
    pub roles: Vec<u64>,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
}

/// A guild.
#[derive(Clone, Debug)]
pub struct Guild {
    /// Snowflake.
    pub id: u64,
    /// Guild name.
    pub name: String,
    /// Owner's user id.
    pub owner_id: u64,
    /// Roles, @everyone first.
    pub roles: Vec<Role>,
    /// Members by user id.
    pub members: BTreeMap<u64, Member>,
    /// Preferred locale, e.g. `pt-BR`.
    pub locale: String,
}

/// A permission overwrite on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overwrite {
    /// Role or member id.
    pub id: u64,
    /// 0 for a role, 1 for a member.
    pub kind: u8,
    /// Allowed permission bits.
    pub allow: u64,
    /// Denied permission bits.
    pub deny: u64,
}

/// A channel: guild text/voice/category or DM.
#[derive(Clone, Debug)]
pub struct Channel {
    /// Snowflake.
    pub id: u64,
    /// Owning guild; `None` for DMs.
    pub guild_id: Option<u64>,
    /// Discord channel type, see [`channel_type`].
    pub kind: u8,
    /// Channel name (empty for DMs).
    pub name: String,
    /// Parent category.
    pub parent_id: Option<u64>,
    /// Sort position.
    pub position: i64,
    /// Channel topic.
    pub topic: Option<String>,
    /// Permission overwrites.
    pub overwrites: Vec<Overwrite>,
    /// For DMs, the other user.
    pub recipient: Option<u64>,
    /// Times of the last renames, for Discord's 2-per-10-minutes rename limit.
    pub renames: Vec<Instant>,
}

/// A stored attachment.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// Snowflake.
    pub id: u64,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: Option<String>,
    /// The bytes, served by the CDN route.
    pub bytes: Vec<u8>,
}

/// A message in a channel, or an ephemeral interaction reply.
#[derive(Clone, Debug)]
pub struct Message {
    /// Snowflake.
    pub id: u64,
    /// Channel it was posted in.
    pub channel_id: u64,
    /// Author's user id.
    pub author_id: u64,
    /// Text content.
    pub content: String,
    /// Embeds as sent.
    pub embeds: Vec<Value>,
    /// Component rows as sent.
    pub components: Vec<Value>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Message flags (64 = ephemeral).
    pub flags: u64,
    /// When it was posted.
    pub timestamp: DateTime<Utc>,
    /// When it was last edited.
    pub edited: Option<DateTime<Utc>>,
    /// For ephemeral messages, the only user who sees them.
    pub ephemeral_for: Option<u64>,
    /// The interaction this message answers, if any.
    pub interaction_id: Option<u64>,
    /// The message this one replies to.
    pub reference: Option<u64>,
    /// The sender's `allowed_mentions`, if it gave any (users never do).
    pub allowed_mentions: Option<Value>,
}

/// Who a message notifies, by Discord's rules: what its content mentions, narrowed by its
/// `allowed_mentions` when it has one (`parse` allows a kind wholesale; `users` and `roles`
/// list ids; `@everyone` and `@here` only with `everyone` in `parse`).
pub struct Pinged {
    /// Users notified.
    pub users: Vec<u64>,
    /// Roles notified.
    pub roles: Vec<u64>,
    /// Whether `@everyone`/`@here` notified.
    pub everyone: bool,
}

impl Message {
    /// Whom this message notifies.
    pub fn pinged(&self) -> Pinged {
        let allowed = self.allowed_mentions.as_ref();
        let parses = |kind: &str| {
            allowed.is_none_or(|a| {
                a["parse"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|v| v == kind))
            })
        };
        let listed = |key: &str, id: u64| {
            allowed.is_some_and(|a| {
                a[key]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(&id.to_string())))
            })
        };
        Pinged {
            users: mentioned_users(&self.content)
                .into_iter()
                .filter(|u| parses("users") || listed("users", *u))
                .collect(),
            roles: mentioned_roles(&self.content)
                .into_iter()
                .filter(|r| parses("roles") || listed("roles", *r))
                .collect(),
            everyone: (self.content.contains("@everyone") || self.content.contains("@here"))
                && parses("everyone"),
        }
    }
}

impl Message {
    /// Whether only one user sees this message.
    pub fn is_ephemeral(&self) -> bool {
        self.flags & 64 != 0
    }
}

/// What the bot did with an interaction, for tests to inspect.
#[derive(Clone, Debug)]
pub struct InteractionState {
    /// Snowflake.
    pub id: u64,
    /// Secret token for callbacks and followups.
    pub token: String,
    /// 2 command, 3 component, 5 modal submit.
    pub kind: u8,
    /// When the user acted; Discord's 3-second and 15-minute clocks start here.
    pub created: Instant,
    /// Who acted.
    pub user_id: u64,
    /// Where.
    pub channel_id: u64,
    /// Guild, if any.
    pub guild_id: Option<u64>,
    /// The message carrying the clicked component.
    pub source_message: Option<u64>,
    /// The initial response body, once given.
    pub response: Option<Value>,
    /// Message created or edited by the initial response.
    pub original_message: Option<u64>,
    /// Messages created by followups.
    pub followups: Vec<u64>,
}

impl InteractionState {
    /// The initial response's callback type, if answered.
    pub fn response_type(&self) -> Option<u64> {
        self.response.as_ref().and_then(|r| r["type"].as_u64())
    }
}

/// The whole emulated Discord.
#[derive(Debug, Default)]
pub struct World {
    last_id: u64,
    /// Users by id.
    pub users: BTreeMap<u64, User>,
    /// Guilds by id.
    pub guilds: BTreeMap<u64, Guild>,
    /// Channels by id.
    pub channels: BTreeMap<u64, Channel>,
    /// Messages by id (deleted ones are removed).
    pub messages: BTreeMap<u64, Message>,
    /// DM channel per user.
    pub dm_channels: HashMap<u64, u64>,
    /// Interactions by id.
    pub interactions: HashMap<u64, InteractionState>,
    /// Registered application commands: `None` for global, `Some(guild)` per guild.
    pub commands: HashMap<Option<u64>, Vec<Value>>,
    /// Voice states: (guild, user) -> voice channel.
    pub voice: BTreeMap<(u64, u64), u64>,
    /// Avatar images: (user, avatar hash) -> PNG bytes, served by the CDN route.
    pub avatars: HashMap<(u64, String), Vec<u8>>,
    /// Reactions: (message, user, emoji).
    pub reactions: std::collections::BTreeSet<(u64, u64, String)>,
    /// The bot's user id.
    pub bot_id: u64,
    /// The bot's application id.
    pub application_id: u64,
}

impl World {
    /// A fresh snowflake, increasing and shaped like Discord's (timestamp in the high bits).
    pub fn next_id(&mut self) -> u64 {
        let now_ms = Utc::now().timestamp_millis() as u64;
        let candidate = (now_ms.saturating_sub(DISCORD_EPOCH_MS)) << 22;
        self.last_id = candidate.max(self.last_id + 1);
        self.last_id
    }

    /// Moves the id clock so that the next id lands on shard `shard` of `total`.
    pub fn next_id_on_shard(&mut self, shard: u32, total: u32) {
        let total = u64::from(total.max(1));
        let now = (Utc::now().timestamp_millis() as u64).saturating_sub(DISCORD_EPOCH_MS);
        // A second ahead of the clock, so `next_id` takes it rather than the time even on a
        // slow machine.
        let mut stamp = (self.last_id >> 22).max(now) + 1000;
        while stamp % total != u64::from(shard) % total {
            stamp += 1;
        }
        self.last_id = (stamp << 22) - 1;
    }

    /// The member's roles including @everyone, for permission checks by tests.
    pub fn member_roles(&self, guild_id: u64, user_id: u64) -> Option<Vec<u64>> {
        let guild = self.guilds.get(&guild_id)?;
        let member = guild.members.get(&user_id)?;
        Some(member.roles.clone())
    }

    /// The permission bits `user_id` has in `channel_id`, by Discord's order: @everyone's role,
    /// the member's roles, then the channel's overwrites for @everyone, the member's roles and
    /// the member (administrators and the owner have all).
    pub fn permissions(&self, channel_id: u64, user_id: u64) -> u64 {
        const ALL: u64 = u64::MAX;
        const ADMIN: u64 = 1 << 3;
        let Some(channel) = self.channels.get(&channel_id) else {
            return 0;
        };
        let Some(guild_id) = channel.guild_id else {
            let in_dm = channel.recipient == Some(user_id) || user_id == self.bot_id;
            return if in_dm { ALL } else { 0 };
        };
        let Some(guild) = self.guilds.get(&guild_id) else {
            return 0;
        };
        if guild.owner_id == user_id {
            return ALL;
        }
        let Some(member) = guild.members.get(&user_id) else {
            return 0;
        };
        let mut base = guild
            .roles
            .iter()
            .find(|r| r.id == guild_id)
            .map_or(0, |r| r.permissions);
        for role in guild.roles.iter().filter(|r| member.roles.contains(&r.id)) {
            base |= role.permissions;
        }
        if base & ADMIN != 0 {
            return ALL;
        }
        let apply = |perms: u64, ow: &Overwrite| (perms & !ow.deny) | ow.allow;
        let mut perms = base;
        if let Some(ow) = channel
            .overwrites
            .iter()
            .find(|o| o.kind == 0 && o.id == guild_id)
        {
            perms = apply(perms, ow);
        }
        let (mut allow, mut deny) = (0, 0);
        for ow in channel
            .overwrites
            .iter()
            .filter(|o| o.kind == 0 && o.id != guild_id && member.roles.contains(&o.id))
        {
            allow |= ow.allow;
            deny |= ow.deny;
        }
        perms = (perms & !deny) | allow;
        if let Some(ow) = channel
            .overwrites
            .iter()
            .find(|o| o.kind == 1 && o.id == user_id)
        {
            perms = apply(perms, ow);
        }
        perms
    }

    /// Whether `user_id` can see `channel_id`.
    pub fn can_view(&self, channel_id: u64, user_id: u64) -> bool {
        const VIEW: u64 = 1 << 10;
        self.permissions(channel_id, user_id) & VIEW != 0
    }

    /// Whether `user_id` can post in `channel_id` (see it and send messages).
    pub fn can_send(&self, channel_id: u64, user_id: u64) -> bool {
        const VIEW_AND_SEND: u64 = (1 << 10) | (1 << 11);
        self.permissions(channel_id, user_id) & VIEW_AND_SEND == VIEW_AND_SEND
    }
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// A user object.
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "username": user.name,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": user.avatar,
        "bot": user.bot,
        "public_flags": 0,
    })
}

fn unknown_user(id: u64) -> Value {
    json!({"id": id.to_string(), "username": format!("deleted-{id}"), "discriminator": "0",
           "global_name": null, "avatar": null, "bot": false})
}

/// A user object for `id`, or a placeholder for an unknown user.
pub fn user_json_by_id(world: &World, id: u64) -> Value {
    world
        .users
        .get(&id)
        .map_or_else(|| unknown_user(id), user_json)
}

/// A role object.
pub fn role_json(role: &Role) -> Value {
    json!({
        "id": role.id.to_string(),
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": role.position,
        "permissions": role.permissions.to_string(),
        "managed": false,
        "mentionable": true,
        "flags": 0,
    })
}

/// A guild member object; with `with_user` it embeds the user, as most payloads do.
pub fn member_json(world: &World, guild_id: u64, member: &Member, with_user: bool) -> Value {
    let mut value = json!({
        "nick": member.nick,
        "avatar": null,
        "roles": member.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": ts(&member.joined_at),
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "premium_since": null,
        "communication_disabled_until": null,
    });
    if with_user {
        value["user"] = user_json_by_id(world, member.user_id);
        value["guild_id"] = json!(guild_id.to_string());
    }
    value
}

/// A channel object.
pub fn channel_json(channel: &Channel) -> Value {
    let overwrites: Vec<Value> = channel
        .overwrites
        .iter()
        .map(|o| {
            json!({"id": o.id.to_string(), "type": o.kind,
                   "allow": o.allow.to_string(), "deny": o.deny.to_string()})
        })
        .collect();
    let mut value = json!({
        "id": channel.id.to_string(),
        "type": channel.kind,
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": overwrites,
        "parent_id": channel.parent_id.map(|p| p.to_string()),
        "topic": channel.topic,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "flags": 0,
    });
    if let Some(guild_id) = channel.guild_id {
        value["guild_id"] = json!(guild_id.to_string());
    }
    if channel.kind == channel_type::VOICE {
        value["bitrate"] = json!(64000);
        value["user_limit"] = json!(0);
        value["rtc_region"] = Value::Null;
    }
    value
}

/// A DM channel object (recipients included).
pub fn dm_channel_json(world: &World, channel: &Channel) -> Value {
    let recipients: Vec<Value> = channel
        .recipient
        .iter()
        .map(|id| user_json_by_id(world, *id))
        .collect();
    json!({
        "id": channel.id.to_string(),
        "type": channel_type::DM,
        "last_message_id": null,
        "recipients": recipients,
        "flags": 0,
    })
}

/// An attachment object with its CDN URL under `base`.
pub fn attachment_json(base: &str, channel_id: u64, a: &Attachment) -> Value {
    let url = format!(
        "{base}/cdn/attachments/{channel_id}/{}/{}",
        a.id, a.filename
    );
    json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "size": a.bytes.len(),
        "url": url,
        "proxy_url": url,
        "content_type": a.content_type,
    })
}

/// User ids mentioned as `<@id>` or `<@!id>` in `content`.
pub fn mentioned_users(content: &str) -> Vec<u64> {
    let mut found = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let digits = rest.strip_prefix('!').unwrap_or(rest);
        let end = digits.find('>').unwrap_or(0);
        if end > 0 {
            if let Ok(id) = digits[..end].parse::<u64>() {
                if !found.contains(&id) {
                    found.push(id);
                }
            }
        }
    }
    found
}

/// Role ids mentioned as `<@&id>` in `content`.
pub fn mentioned_roles(content: &str) -> Vec<u64> {
    content
        .split("<@&")
        .skip(1)
        .filter_map(|s| s.split_once('>').and_then(|(id, _)| id.parse().ok()))
        .collect()
}

/// A message object; `base` is the emulator's URL, for attachment links.
pub fn message_json(world: &World, base: &str, m: &Message) -> Value {
    let channel = world.channels.get(&m.channel_id);
    let guild_id = channel.and_then(|c| c.guild_id);
    let pinged = m.pinged();
    let mentions: Vec<Value> = pinged
        .users
        .iter()
        .copied()
        .map(|id| {
            let mut user = user_json_by_id(world, id);
            if let Some(member) = guild_id.and_then(|g| world.guilds.get(&g)?.members.get(&id)) {
                user["member"] = member_json(world, guild_id.unwrap_or_default(), member, false);
            }
            user
        })
        .collect();
    let mut value = json!({
        "id": m.id.to_string(),
        "channel_id": m.channel_id.to_string(),
        "author": user_json_by_id(world, m.author_id),
        "content": m.content,
        "timestamp": ts(&m.timestamp),
        "edited_timestamp": m.edited.as_ref().map(ts),
        "tts": false,
        "mention_everyone": pinged.everyone,
        "mentions": mentions,
        "mention_roles": pinged.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "attachments": m.attachments.iter().map(|a| attachment_json(base, m.channel_id, a)).collect::<Vec<_>>(),
        "embeds": m.embeds,
        "components": m.components,
        "pinned": false,
        "type": if m.reference.is_some() { 19 } else { 0 },
        "flags": m.flags,
    });
    // Reactions as Discord aggregates them: one entry per emoji, in order of first use.
    let mut reactions: Vec<(String, u64)> = Vec::new();
    for (_, _, emoji) in world
        .reactions
        .iter()
        .filter(|(message, _, _)| *message == m.id)
    {
        match reactions.iter_mut().find(|(e, _)| e == emoji) {
            Some((_, count)) => *count += 1,
            None => reactions.push((emoji.clone(), 1)),
        }
    }
    if !reactions.is_empty() {
        value["reactions"] = reactions
            .into_iter()
            .map(|(emoji, count)| {
                json!({"count": count, "count_details": {"burst": 0, "normal": count}, "me": false,
                       "me_burst": false, "emoji": {"id": null, "name": emoji}, "burst_colors": []})
            })
            .collect();
    }
    if let Some(reference) = m.reference {
        value["message_reference"] = json!({"message_id": reference.to_string(),
                                            "channel_id": m.channel_id.to_string()});
    }
    if m.interaction_id.is_some() {
        value["application_id"] = json!(world.application_id.to_string());
        value["webhook_id"] = json!(world.application_id.to_string());
    }
    if let Some(guild_id) = guild_id {
        value["guild_id"] = json!(guild_id.to_string());
        if let Some(member) = world
            .guilds
            .get(&guild_id)
            .and_then(|g| g.members.get(&m.author_id))
        {
            value["member"] = member_json(world, guild_id, member, false);
        }
    }
    value
}

/// The GUILD_CREATE payload for a guild: everything the bot's cache needs.
pub fn guild_create_json(world: &World, guild: &Guild) -> Value {
    let channels: Vec<Value> = world
        .channels
        .values()
        .filter(|c| c.guild_id == Some(guild.id))
        .map(channel_json)
        .collect();
    let members: Vec<Value> = guild
        .members
        .values()
        .map(|m| member_json(world, guild.id, m, true))
        .collect();
    let voice_states: Vec<Value> = world
        .voice
        .iter()
        .filter(|((g, _), _)| *g == guild.id)
        .map(|((g, u), c)| voice_state_json(world, *g, *u, Some(*c)))
        .collect();
    json!({
        "id": guild.id.to_string(),
        "name": guild.name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": guild.owner_id.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": guild.roles.iter().map(role_json).collect::<Vec<_>>(),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.locale,
        "public_updates_channel_id": null,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": false,
        "stickers": [],
        "joined_at": ts(&Utc::now()),
        "large": false,
        "unavailable": false,
        "member_count": guild.members.len(),
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "voice_states": voice_states,
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    })
}

/// A voice state: `channel` is `None` when the user left voice.
pub fn voice_state_json(world: &World, guild_id: u64, user_id: u64, channel: Option<u64>) -> Value {
    let mut value = json!({
        "guild_id": guild_id.to_string(),
        "channel_id": channel.map(|c| c.to_string()),
        "user_id": user_id.to_string(),
        "session_id": format!("voice-{user_id}"),
        "deaf": false,
        "mute": false,
        "self_deaf": false,
        "self_mute": false,
        "self_video": false,
        "suppress": false,
        "request_to_speak_timestamp": null,
    });
    if let Some(member) = world
        .guilds
        .get(&guild_id)
        .and_then(|g| g.members.get(&user_id))
    {
        value["member"] = member_json(world, guild_id, member, true);
    }
    value
}
