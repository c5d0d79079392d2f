//! An in-memory Discord on loopback: REST v10, the gateway websocket and a CDN route.
//!
//! Tests and `ticketbot demo` drive the real serenity client against it. The parts:
//! - [`Emulator`]: the entry point; starts the server on `127.0.0.1:0`, builds the world, and
//!   offers what tests need: the request log with [`Emulator::wait_for`], fault injection
//!   ([`FaultRule`], [`Emulator::drop_gateway`]) and what users see ([`Emulator::messages_in`]).
//! - [`world`]: the state (guilds, roles, members, channels, messages, interactions) and its
//!   wire format.
//! - `rest`: the REST routes that really change the world, with Discord's rules (interaction
//!   deadlines, one initial response, message limits, rename limits, closed DMs).
//! - `gateway`: HELLO/IDENTIFY/RESUME/heartbeats and ordered dispatches with a resume backlog,
//!   one session per shard (events go to their guild's shard; DMs to shard 0).
//! - [`Actor`]: typed user actions (say, click, choose, submit a modal, run a slash command, join
//!   or leave voice) whose payloads are checked against serenity's models before sending.

#![recursion_limit = "256"]

mod actors;
mod gateway;
mod oauth;
mod rest;
mod validate;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use actors::{Actor, InteractionHandle};
pub use gateway::{shard_of, GatewayStats};
pub use world::World;

use world::{channel_type, Channel, Guild, Member, Role, User};

/// Permission bit for administrators.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// Permission bit to view a channel.
pub const VIEW_CHANNEL: u64 = 1 << 10;

/// Errors of the emulator's test-facing API.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Nothing matched before the deadline.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// A payload the emulator built does not fit serenity's model (an emulator bug).
    #[error("{0}")]
    Model(String),
    /// The user cannot do that (unknown message, no such component, not visible to them...).
    #[error("{0}")]
    Refused(String),
}

/// A REST request as the emulator received it, with its answer.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// Position in the log, from 0.
    pub seq: usize,
    /// HTTP method, upper case.
    pub method: String,
    /// Path after `/api/v10`, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// JSON body (`payload_json` for multipart), or null.
    pub body: Value,
    /// Names of uploaded files, for multipart requests.
    pub files: Vec<String>,
    /// Status code answered.
    pub status: u16,
    /// JSON answered, or null.
    pub response: Value,
}

impl LoggedRequest {
    /// Whether this is `method` on a path matching `pattern`, where `*` matches one segment.
    pub fn is(&self, method: &str, pattern: &str) -> bool {
        if self.method != method {
            return false;
        }
        let mut want = pattern.trim_matches('/').split('/');
        let mut have = self.path.trim_matches('/').split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some("*"), Some(_)) => {}
                (Some(w), Some(h)) if w == h => {}
                _ => return false,
            }
        }
    }
}

/// What a matching request gets instead of its normal answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with this `retry_after` in seconds (and the `Retry-After` header).
    RateLimited {
        /// Seconds to wait, as Discord sends it.
        retry_after: f64,
        /// Whether it is the global limit.
        global: bool,
    },
    /// A server error with this status (500, 502, 503...).
    ServerError(u16),
    /// The normal answer, this much later (a slow Discord).
    Delay(std::time::Duration),
}

/// Injects a [`Fault`] into the next `times` requests matching `method` and `path_contains`.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// Only this method, or any when `None`.
    pub method: Option<String>,
    /// Only paths containing this text (empty matches all).
    pub path_contains: String,
    /// How many matching requests still fail.
    pub times: u32,
    /// The failure.
    pub fault: Fault,
}

pub(crate) struct Inner {
    pub(crate) world: Mutex<World>,
    pub(crate) gateway: gateway::Gateway,
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<Vec<FaultRule>>,
    model_errors: Mutex<Vec<String>>,
    /// Bumped on every change, so waiters re-check without polling.
    version: watch::Sender<u64>,
    pub(crate) token: String,
    addr: SocketAddr,
    /// The OAuth2 application and its codes and tokens.
    pub(crate) oauth: Mutex<oauth::OAuth>,
}

impl Inner {
    pub(crate) fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }

    /// Validates and sends a gateway dispatch; a misfit is recorded instead of sent.
    pub(crate) fn dispatch(&self, event: &str, data: Value) {
        match validate::gateway_event(event, &data) {
            Ok(()) => self.gateway.dispatch(event, data),
            Err(error) => self.model_error(error),
        }
    }

    /// Same, to shard `shard` whatever the event is about (READY and a shard's guilds).
    pub(crate) fn dispatch_to_shard(&self, shard: u32, event: &str, data: Value) {
        match validate::gateway_event(event, &data) {
            Ok(()) => self.gateway.dispatch_shard(shard, event, data),
            Err(error) => self.model_error(error),
        }
    }

    pub(crate) fn model_error(&self, error: String) {
        tracing::error!("{error}");
        self.model_errors.lock().expect("errors lock").push(error);
        self.changed();
    }

    /// Waits until `check` returns something, re-checking after every change.
    pub(crate) async fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut() -> Option<T>,
    ) -> Result<T, EmulatorError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.version.subscribe();
        loop {
            if let Some(found) = check() {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => return Err(EmulatorError::Timeout(timeout, what.to_owned())),
            }
        }
    }

    fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults lock");
        let rule = faults.iter_mut().find(|r| {
            r.times > 0
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path.contains(&r.path_contains)
        })?;
        rule.times -= 1;
        Some(rule.fault.clone())
    }

    fn record(&self, mut entry: LoggedRequest) {
        let mut log = self.log.lock().expect("log lock");
        entry.seq = log.len();
        log.push(entry);
        drop(log);
        self.changed();
    }
}

/// A running emulated Discord. Dropping it stops the server.
pub struct Emulator {
    inner: Arc<Inner>,
    server: JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Emulator {
    /// Starts an empty Discord (with the bot's user and application) on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut world = World::default();
        let bot_id = world.next_id();
        world.bot_id = bot_id;
        world.application_id = bot_id;
        world.users.insert(
            bot_id,
            User {
                id: bot_id,
                name: "ticketbot".into(),
                global_name: Some("Ticketbot".into()),
                avatar: None,
                bot: true,
                dms_closed: false,
            },
        );
        let inner = Arc::new(Inner {
            world: Mutex::new(world),
            gateway: gateway::Gateway::default(),
            log: Mutex::default(),
            faults: Mutex::default(),
            model_errors: Mutex::default(),
            version: watch::Sender::new(0),
            token: format!("emulator.{:032x}", rand::random::<u128>()),
            addr,
            oauth: Mutex::default(),
        });
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .route("/cdn/attachments/{channel}/{id}/{name}", get(cdn))
            .route("/cdn/avatars/{user}/{file}", get(cdn_avatar))
            .route(
                "/oauth2/authorize",
                get(oauth::authorize_page).post(oauth::authorize),
            )
            .route("/api/v10/oauth2/token", axum::routing::post(oauth::token))
            .fallback(rest::handle)
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "emulator server stopped");
            }
        });
        Ok(Self { inner, server })
    }

    /// The base URL to give serenity as its API proxy, e.g. `http://127.0.0.1:40000`.
    pub fn api_base(&self) -> String {
        self.inner.base_url()
    }

    /// Makes the bot's application an OAuth2 client with `secret` that may send users back
    /// to `redirect_uri`; returns its client id (the application id).
    pub fn oauth_client(&self, secret: &str, redirect_uri: &str) -> u64 {
        let mut oauth = self.inner.oauth.lock().expect("oauth lock");
        oauth.secret = Some(secret.to_owned());
        if !oauth.redirects.iter().any(|r| r == redirect_uri) {
            oauth.redirects.push(redirect_uri.to_owned());
        }
        self.world(|w| w.application_id)
    }

    /// The page where users consent to an OAuth2 application (Discord's `/oauth2/authorize`).
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth2/authorize", self.inner.base_url())
    }

    /// The bot token this Discord accepts.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// The bot's user id (also its application id).
    pub fn bot_id(&self) -> u64 {
        self.world(|w| w.bot_id)
    }

    /// Reads the world.
    pub fn world<T>(&self, read: impl FnOnce(&World) -> T) -> T {
        read(&self.inner.world.lock().expect("world lock"))
    }

    /// Creates a user.
    pub fn create_user(&self, name: &str) -> u64 {
        let mut world = self.inner.world.lock().expect("world lock");
        let id = world.next_id();
        world.users.insert(
            id,
            User {
                id,
                name: name.to_lowercase(),
                global_name: Some(name.to_owned()),
                avatar: None,
                bot: false,
                dms_closed: false,
            },
        );
        id
    }

    /// Gives `user` an avatar (PNG bytes); its hash appears in the user's JSON and the CDN
    /// serves it at `/cdn/avatars/{user}/{hash}.png`.
    pub fn set_avatar(&self, user: u64, png: &[u8]) {
        let mut world = self.inner.world.lock().expect("world lock");
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(png, &mut hasher);
        let hash = format!("{:016x}{:016x}", std::hash::Hasher::finish(&hasher), user);
        if let Some(found) = world.users.get_mut(&user) {
            found.avatar = Some(hash.clone());
        }
        world.avatars.insert((user, hash), png.to_vec());
    }

    /// Closes or opens a user's DMs (closed DMs fail with code 50007).
    pub fn set_dms_closed(&self, user: u64, closed: bool) {
        let mut world = self.inner.world.lock().expect("world lock");
        if let Some(u) = world.users.get_mut(&user) {
            u.dms_closed = closed;
        }
    }

    /// Creates a guild owned by `owner`, with @everyone, an administrator role for the bot, and
    /// both as members.
    pub fn create_guild(&self, name: &str, owner: u64) -> u64 {
        let mut world = self.inner.world.lock().expect("world lock");
        let id = world.next_id();
        let bot_role = world.next_id();
        let bot_id = world.bot_id;
        let everyone = Role {
            id,
            name: "@everyone".into(),
            permissions: 0x6_3584_0e41,
            position: 0,
        };
        let bot = Role {
            id: bot_role,
            name: "Ticketbot".into(),
            permissions: ADMINISTRATOR,
            position: 1,
        };
        let now = Utc::now();
        let mut members = std::collections::BTreeMap::new();
        members.insert(
            owner,
            Member {
                user_id: owner,
                nick: None,
                roles: vec![],
                joined_at: now,
            },
        );
        members.insert(
            bot_id,
            Member {
                user_id: bot_id,
                nick: None,
                roles: vec![bot_role],
                joined_at: now,
            },
        );
        world.guilds.insert(
            id,
            Guild {
                id,
                name: name.to_owned(),
                owner_id: owner,
                roles: vec![everyone, bot],
                members,
                locale: "pt-BR".into(),
            },
        );
        id
    }

    /// Creates a role in a guild.
    pub fn create_role(&self, guild: u64, name: &str, permissions: u64) -> u64 {
        let mut world = self.inner.world.lock().expect("world lock");
        let id = world.next_id();
        let guild = world.guilds.get_mut(&guild).expect("no such guild");
        let position = guild.roles.len() as u16;
        guild.roles.push(Role {
            id,
            name: name.to_owned(),
            permissions,
            position,
        });
        id
    }

    /// Adds `user` to `guild` with `roles` (or replaces their roles if already a member).
    pub fn add_member(&self, guild: u64, user: u64, roles: &[u64]) {
        let event = {
            let mut world = self.inner.world.lock().expect("world lock");
            let g = world.guilds.get_mut(&guild).expect("no such guild");
            let existed = g.members.contains_key(&user);
            let member = g.members.entry(user).or_insert_with(|| Member {
                user_id: user,
                nick: None,
                roles: vec![],
                joined_at: Utc::now(),
            });
            member.roles = roles.to_vec();
            let member = member.clone();
            let mut data = world::member_json(&world, guild, &member, true);
            data["guild_id"] = Value::String(guild.to_string());
            (
                if existed {
                    "GUILD_MEMBER_UPDATE"
                } else {
                    "GUILD_MEMBER_ADD"
                },
                data,
            )
        };
        self.inner.dispatch(event.0, event.1);
        self.inner.changed();
    }

    /// Removes `user` from `guild`, as a kick or their leaving would (GUILD_MEMBER_REMOVE goes
    /// to a session with the GUILD_MEMBERS intent only, as on Discord).
    pub fn remove_member(&self, guild: u64, user: u64) {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let g = world.guilds.get_mut(&guild).expect("no such guild");
            g.members.remove(&user);
            let user = world
                .users
                .get(&user)
                .map(world::user_json)
                .unwrap_or_default();
            serde_json::json!({"guild_id": guild.to_string(), "user": user})
        };
        self.inner.dispatch("GUILD_MEMBER_REMOVE", data);
        self.inner.changed();
    }

    /// Creates a guild channel of `kind` (see [`world::channel_type`]) under `parent`.
    pub fn create_channel(&self, guild: u64, name: &str, kind: u8, parent: Option<u64>) -> u64 {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let id = world.next_id();
            let position = world.channels.len() as i64;
            let channel = Channel {
                id,
                guild_id: Some(guild),
                kind,
                name: name.to_owned(),
                parent_id: parent,
                position,
                topic: None,
                overwrites: vec![],
                recipient: None,
                renames: vec![],
            };
            let data = world::channel_json(&channel);
            world.channels.insert(id, channel);
            data
        };
        let id = data["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        self.inner.dispatch("CHANNEL_CREATE", data);
        self.inner.changed();
        id
    }

    /// Creates a text channel.
    pub fn create_text_channel(&self, guild: u64, name: &str, parent: Option<u64>) -> u64 {
        self.create_channel(guild, name, channel_type::TEXT, parent)
    }

    /// Creates a category.
    pub fn create_category(&self, guild: u64, name: &str) -> u64 {
        self.create_channel(guild, name, channel_type::CATEGORY, None)
    }

    /// Puts a message from the bot into `channel` as if it had been posted long ago (e.g. by an
    /// older version of the bot), without any gateway event; returns its id.
    pub fn seed_bot_message(
        &self,
        channel: u64,
        content: &str,
        components: Vec<serde_json::Value>,
    ) -> u64 {
        let mut world = self.inner.world.lock().expect("world lock");
        let id = world.next_id();
        let message = world::Message {
            id,
            channel_id: channel,
            author_id: world.bot_id,
            content: content.to_owned(),
            embeds: vec![],
            components,
            attachments: vec![],
            flags: 0,
            timestamp: chrono::Utc::now(),
            edited: None,
            ephemeral_for: None,
            interaction_id: None,
            reference: None,
            allowed_mentions: None,
        };
        world.messages.insert(id, message);
        drop(world);
        self.inner.changed();
        id
    }

    /// Deletes a message as a moderator would in Discord's UI (MESSAGE_DELETE is dispatched).
    pub fn delete_message(&self, channel: u64, message: u64) {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            if world
                .messages
                .get(&message)
                .is_none_or(|m| m.channel_id != channel)
            {
                return;
            }
            let guild = world.channels.get(&channel).and_then(|c| c.guild_id);
            world.messages.remove(&message);
            let mut data =
                serde_json::json!({"id": message.to_string(), "channel_id": channel.to_string()});
            if let Some(guild) = guild {
                data["guild_id"] = serde_json::json!(guild.to_string());
            }
            data
        };
        self.inner.dispatch("MESSAGE_DELETE", data);
        self.inner.changed();
    }

    /// Deletes a channel as a moderator would in Discord's UI (CHANNEL_DELETE is dispatched).
    pub fn delete_channel(&self, channel: u64) {
        let data = {
            let mut world = self.inner.world.lock().expect("world lock");
            let Some(removed) = world.channels.remove(&channel) else {
                return;
            };
            world.messages.retain(|_, m| m.channel_id != channel);
            world::channel_json(&removed)
        };
        self.inner.dispatch("CHANNEL_DELETE", data);
        self.inner.changed();
    }

    /// Acts as `user`.
    pub fn user(&self, user: u64) -> Actor {
        Actor::new(self.inner.clone(), user)
    }

    /// A copy of the request log.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.log.lock().expect("log lock").clone()
    }

    /// Waits for the first logged request (from the start of the log) that `matches`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        matches: impl Fn(&LoggedRequest) -> bool,
    ) -> Result<LoggedRequest, EmulatorError> {
        self.wait_for_after(0, timeout, what, matches).await
    }

    /// Waits for a logged request at or after position `from` that `matches`.
    pub async fn wait_for_after(
        &self,
        from: usize,
        timeout: Duration,
        what: &str,
        matches: impl Fn(&LoggedRequest) -> bool,
    ) -> Result<LoggedRequest, EmulatorError> {
        self.inner
            .wait_until(timeout, what, || {
                let log = self.inner.log.lock().expect("log lock");
                log.iter().skip(from).find(|r| matches(r)).cloned()
            })
            .await
    }

    /// The position the next logged request will have, for [`Self::wait_for_after`].
    pub fn log_position(&self) -> usize {
        self.inner.log.lock().expect("log lock").len()
    }

    /// Waits until `check` on the world returns something.
    pub async fn wait_world<T>(
        &self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&World) -> Option<T>,
    ) -> Result<T, EmulatorError> {
        self.inner
            .wait_until(timeout, what, || {
                check(&self.inner.world.lock().expect("world lock"))
            })
            .await
    }

    /// Waits until the bot has identified `n` times in all (READY sent `n` times).
    pub async fn wait_for_identify(&self, n: u64, timeout: Duration) -> Result<(), EmulatorError> {
        self.inner
            .wait_until(timeout, "gateway IDENTIFY", || {
                (self.inner.gateway.stats().identifies >= n).then_some(())
            })
            .await
    }

    /// The channel's visible (non-ephemeral) messages as JSON, oldest first.
    pub fn messages_in(&self, channel: u64) -> Vec<Value> {
        let base = self.inner.base_url();
        self.world(|w| {
            w.messages
                .values()
                .filter(|m| m.channel_id == channel && !m.is_ephemeral())
                .map(|m| world::message_json(w, &base, m))
                .collect()
        })
    }

    /// Ephemeral messages shown to `user`, oldest first.
    pub fn ephemeral_for(&self, user: u64) -> Vec<Value> {
        let base = self.inner.base_url();
        self.world(|w| {
            w.messages
                .values()
                .filter(|m| m.ephemeral_for == Some(user))
                .map(|m| world::message_json(w, &base, m))
                .collect()
        })
    }

    /// Makes the next `rule.times` matching requests fail.
    pub fn inject(&self, rule: FaultRule) {
        self.inner.faults.lock().expect("faults lock").push(rule);
    }

    /// Makes the next id the emulator gives out (the next guild's, when a guild is created
    /// next) fall on shard `shard` of `total`, by moving its id clock a few milliseconds on.
    pub fn next_id_on_shard(&self, shard: u32, total: u32) {
        let mut world = self.inner.world.lock().expect("world lock");
        world.next_id_on_shard(shard, total);
    }

    /// Makes `GET /gateway/bot` recommend `count` shards (Discord requires one per 2,500
    /// guilds); guild events and interactions then go to the connection of their guild's shard.
    pub fn recommend_shards(&self, count: u32) {
        self.inner.gateway.recommend_shards(count);
    }

    /// Cuts the gateway connection without a close frame; the bot should RESUME.
    pub fn drop_gateway(&self) {
        self.inner.gateway.drop_connection();
    }

    /// Closes the gateway connection with a close code.
    pub fn close_gateway(&self, code: u16) {
        self.inner.gateway.close_connection(code);
    }

    /// Gateway counters.
    pub fn gateway_stats(&self) -> GatewayStats {
        self.inner.gateway.stats()
    }

    /// Payloads that did not fit serenity's models; empty in a healthy run.
    pub fn model_errors(&self) -> Vec<String> {
        self.inner.model_errors.lock().expect("errors lock").clone()
    }
}

async fn gateway_upgrade(State(inner): State<Arc<Inner>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| gateway::serve(inner, socket))
}

async fn cdn_avatar(
    State(inner): State<Arc<Inner>>,
    Path((user, file)): Path<(u64, String)>,
) -> Response {
    let world = inner.world.lock().expect("world lock");
    let hash = file.strip_suffix(".png").unwrap_or(&file).to_owned();
    match world.avatars.get(&(user, hash)) {
        Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn cdn(
    State(inner): State<Arc<Inner>>,
    Path((channel, id, _name)): Path<(u64, u64, String)>,
) -> Response {
    let world = inner.world.lock().expect("world lock");
    let found = world
        .messages
        .values()
        .filter(|m| m.channel_id == channel)
        .flat_map(|m| m.attachments.iter())
        .find(|a| a.id == id);
    match found {
        Some(a) => {
            let kind = a
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into());
            ([(header::CONTENT_TYPE, kind)], a.bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
