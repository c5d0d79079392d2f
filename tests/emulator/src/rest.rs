//! REST v10: one handler that authenticates, injects faults, routes, logs and dispatches.
//!
//! Routes are matched on path segments in [`route`]; each really changes the [`World`] and
//! returns the gateway events Discord would send for that change. Discord's rules that serenity
//! does not check are enforced here: interaction deadlines and single acknowledgement, followup
//! lifetime, message and component limits, the channel rename limit, closed DMs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Value};

use crate::world::{self, channel_type, Attachment, Channel, Message, Overwrite, World};
use crate::{Fault, Inner, LoggedRequest};

/// Discord's deadline for the initial interaction response.
const INITIAL_RESPONSE: Duration = Duration::from_secs(3);
/// How long an interaction token accepts followups.
const FOLLOWUP_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Discord allows 2 channel renames per 10 minutes.
const RENAME_WINDOW: Duration = Duration::from_secs(600);
/// Channels per category.
const CATEGORY_LIMIT: usize = 50;

/// A Discord JSON error.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: u64,
    message: String,
    retry_after: Option<f64>,
}

impl ApiError {
    fn new(status: u16, code: u64, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn unknown(what: &str, code: u64) -> Self {
        Self::new(404, code, format!("Unknown {what}"))
    }

    fn invalid(detail: impl Into<String>) -> Self {
        Self::new(400, 50035, format!("Invalid Form Body: {}", detail.into()))
    }

    fn body(&self) -> Value {
        match self.retry_after {
            Some(retry_after) => json!({
                "message": self.message, "retry_after": retry_after, "global": false,
            }),
            None => json!({"message": self.message, "code": self.code}),
        }
    }
}

/// A file uploaded with a multipart request.
struct Upload {
    filename: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// What a route produced: status, JSON body, and gateway events to send.
struct Outcome {
    status: u16,
    body: Value,
    events: Vec<(&'static str, Value)>,
}

impl Outcome {
    fn json(body: Value) -> Self {
        Self {
            status: 200,
            body,
            events: vec![],
        }
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: Value::Null,
            events: vec![],
        }
    }

    fn with(mut self, event: &'static str, data: Value) -> Self {
        self.events.push((event, data));
        self
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// The fallback handler for everything under `/api/v10`.
pub(crate) async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(path) = uri.path().strip_prefix("/api/v10") else {
        return (StatusCode::NOT_FOUND, "not a Discord API path").into_response();
    };
    let path = path.to_owned();
    // A user's OAuth2 token reaches only the routes its scopes allow.
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return crate::oauth::bearer(&inner, method.as_str(), &path, bearer.trim());
    }
    let query = uri.query().map(str::to_owned);
    let (body, uploads) = match parse_body(&headers, body).await {
        Ok(parsed) => parsed,
        Err(error) => {
            return respond(
                &inner,
                &method,
                path,
                query,
                Value::Null,
                vec![],
                Err(error),
            )
        }
    };
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {}", inner.token));
    // Interaction callbacks and webhooks are authenticated by their token, not the bot's.
    let token_route = path.starts_with("/interactions/") || path.starts_with("/webhooks/");
    let files: Vec<String> = uploads.iter().map(|u| u.filename.clone()).collect();
    let result = if !authorized && !token_route {
        Err(ApiError::new(401, 0, "401: Unauthorized"))
    } else {
        let fault = inner.take_fault(method.as_str(), &path);
        if let Some(Fault::Delay(delay)) = &fault {
            tokio::time::sleep(*delay).await;
        }
        match fault {
            Some(Fault::RateLimited {
                retry_after,
                global,
            }) => Err(ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: 0,
                message: if global {
                    "You are being rate limited globally.".into()
                } else {
                    "You are being rate limited.".into()
                },
                retry_after: Some(retry_after),
            }),
            Some(Fault::ServerError(status)) => {
                Err(ApiError::new(status, 0, "Internal Server Error"))
            }
            None | Some(Fault::Delay(_)) => {
                let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
                let shards = inner.gateway.recommended_shards();
                let mut world = inner.world.lock().expect("world lock");
                let ctx = Ctx {
                    base: inner.base_url(),
                    gateway: inner.gateway_url(),
                    shards,
                    query: query.as_deref(),
                };
                route(&mut world, &ctx, &method, &segments, &body, uploads)
            }
        }
    };
    respond(&inner, &method, path, query, body, files, result)
}

fn respond(
    inner: &Arc<Inner>,
    method: &Method,
    path: String,
    query: Option<String>,
    body: Value,
    files: Vec<String>,
    result: Result<Outcome>,
) -> Response {
    let (status, response, events, retry_after) = match result {
        Ok(outcome) => (outcome.status, outcome.body, outcome.events, None),
        Err(error) => (
            error.status.as_u16(),
            error.body(),
            vec![],
            error.retry_after,
        ),
    };
    for (event, data) in events {
        inner.dispatch(event, data);
    }
    inner.record(LoggedRequest {
        seq: 0,
        method: method.as_str().to_owned(),
        path,
        query,
        body,
        files,
        status,
        response: response.clone(),
    });
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == 204 {
        return status_code.into_response();
    }
    let mut reply = (status_code, axum::Json(response)).into_response();
    if let Some(retry_after) = retry_after {
        let headers = reply.headers_mut();
        let seconds = retry_after.ceil().to_string();
        headers.insert(
            "retry-after",
            seconds.parse().expect("digits are a valid header"),
        );
        headers.insert("x-ratelimit-scope", "user".parse().expect("valid header"));
    }
    reply
}

async fn parse_body(headers: &HeaderMap, body: Bytes) -> Result<(Value, Vec<Upload>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type)
            .map_err(|e| ApiError::invalid(format!("multipart: {e}")))?;
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut payload = Value::Null;
        let mut uploads = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::invalid(format!("multipart: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(|m| m.to_string());
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::invalid(format!("multipart: {e}")))?;
            if name == "payload_json" {
                payload = serde_json::from_slice(&bytes)
                    .map_err(|e| ApiError::invalid(format!("payload_json: {e}")))?;
            } else if let Some(filename) = filename {
                uploads.push(Upload {
                    filename,
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
        }
        return Ok((payload, uploads));
    }
    if body.is_empty() {
        return Ok((Value::Null, vec![]));
    }
    serde_json::from_slice(&body)
        .map(|v| (v, vec![]))
        .map_err(|e| {
            ApiError::new(
                400,
                50109,
                format!("The request body contains invalid JSON: {e}"),
            )
        })
}

struct Ctx<'a> {
    base: String,
    gateway: String,
    /// The shard count the gateway recommends.
    shards: u32,
    query: Option<&'a str>,
}

impl Ctx<'_> {
    fn query_param(&self, key: &str) -> Option<&str> {
        self.query?
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

fn id(segment: &str, what: &str, code: u64) -> Result<u64> {
    segment.parse().map_err(|_| ApiError::unknown(what, code))
}

fn snowflake(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn route(
    world: &mut World,
    ctx: &Ctx<'_>,
    method: &Method,
    segments: &[&str],
    body: &Value,
    uploads: Vec<Upload>,
) -> Result<Outcome> {
    let m = method.as_str();
    match (m, segments) {
        ("GET", ["gateway"]) => Ok(Outcome::json(json!({"url": ctx.gateway}))),
        ("GET", ["gateway", "bot"]) => Ok(Outcome::json(json!({
            "url": ctx.gateway, "shards": ctx.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }))),
        ("GET", ["users", "@me"]) => {
            let bot = world.bot_id;
            Ok(Outcome::json(world::user_json_by_id(world, bot)))
        }
        ("GET", ["users", user]) => {
            let user = id(user, "User", 10013)?;
            let found = world
                .users
                .get(&user)
                .ok_or_else(|| ApiError::unknown("User", 10013))?;
            Ok(Outcome::json(world::user_json(found)))
        }
        ("POST", ["users", "@me", "channels"]) => open_dm(world, body),
        ("GET", ["applications", _, "commands"]) => Ok(Outcome::json(json!(world
            .commands
            .get(&None)
            .cloned()
            .unwrap_or_default()))),
        ("PUT", ["applications", _, "commands"]) => put_commands(world, None, body),
        ("GET", ["applications", _, "guilds", guild, "commands"]) => {
            let guild = id(guild, "Guild", 10004)?;
            Ok(Outcome::json(json!(world
                .commands
                .get(&Some(guild))
                .cloned()
                .unwrap_or_default())))
        }
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
            let guild = id(guild, "Guild", 10004)?;
            if !world.guilds.contains_key(&guild) {
                return Err(ApiError::unknown("Guild", 10004));
            }
            put_commands(world, Some(guild), body)
        }
        ("GET", ["guilds", guild]) => {
            let guild = id(guild, "Guild", 10004)?;
            let g = world
                .guilds
                .get(&guild)
                .ok_or_else(|| ApiError::unknown("Guild", 10004))?;
            Ok(Outcome::json(world::guild_create_json(world, g)))
        }
        ("GET", ["guilds", guild, "channels"]) => {
            let guild = id(guild, "Guild", 10004)?;
            let list: Vec<Value> = world
                .channels
                .values()
                .filter(|c| c.guild_id == Some(guild))
                .map(world::channel_json)
                .collect();
            Ok(Outcome::json(json!(list)))
        }
        ("POST", ["guilds", guild, "channels"]) => {
            create_channel(world, id(guild, "Guild", 10004)?, body)
        }
        ("GET", ["guilds", guild, "roles"]) => {
            let guild = id(guild, "Guild", 10004)?;
            let g = world
                .guilds
                .get(&guild)
                .ok_or_else(|| ApiError::unknown("Guild", 10004))?;
            Ok(Outcome::json(json!(g
                .roles
                .iter()
                .map(world::role_json)
                .collect::<Vec<_>>())))
        }
        ("GET", ["guilds", guild, "members", user]) => {
            let guild = id(guild, "Guild", 10004)?;
            let user = id(user, "Member", 10007)?;
            let g = world
                .guilds
                .get(&guild)
                .ok_or_else(|| ApiError::unknown("Guild", 10004))?;
            let member = g
                .members
                .get(&user)
                .ok_or_else(|| ApiError::unknown("Member", 10007))?;
            Ok(Outcome::json(world::member_json(
                world, guild, member, true,
            )))
        }
        ("GET", ["channels", channel]) => {
            let c = world
                .channels
                .get(&id(channel, "Channel", 10003)?)
                .ok_or_else(|| ApiError::unknown("Channel", 10003))?;
            Ok(Outcome::json(if c.kind == channel_type::DM {
                world::dm_channel_json(world, c)
            } else {
                world::channel_json(c)
            }))
        }
        ("PATCH", ["channels", channel]) => {
            edit_channel(world, id(channel, "Channel", 10003)?, body)
        }
        ("DELETE", ["channels", channel]) => {
            let channel = id(channel, "Channel", 10003)?;
            let removed = world
                .channels
                .remove(&channel)
                .ok_or_else(|| ApiError::unknown("Channel", 10003))?;
            world.messages.retain(|_, m| m.channel_id != channel);
            let data = world::channel_json(&removed);
            Ok(Outcome::json(data.clone()).with("CHANNEL_DELETE", data))
        }
        ("PUT", ["channels", channel, "permissions", target]) => {
            let channel = id(channel, "Channel", 10003)?;
            let target = id(target, "Overwrite", 10009)?;
            let c = world
                .channels
                .get_mut(&channel)
                .ok_or_else(|| ApiError::unknown("Channel", 10003))?;
            let overwrite = parse_overwrite(target, body)?;
            c.overwrites.retain(|o| o.id != target);
            c.overwrites.push(overwrite);
            let data = world::channel_json(c);
            Ok(Outcome::no_content().with("CHANNEL_UPDATE", data))
        }
        ("DELETE", ["channels", channel, "permissions", target]) => {
            let channel = id(channel, "Channel", 10003)?;
            let target = id(target, "Overwrite", 10009)?;
            let c = world
                .channels
                .get_mut(&channel)
                .ok_or_else(|| ApiError::unknown("Channel", 10003))?;
            c.overwrites.retain(|o| o.id != target);
            let data = world::channel_json(c);
            Ok(Outcome::no_content().with("CHANNEL_UPDATE", data))
        }
        ("GET", ["channels", channel, "messages"]) => {
            list_messages(world, ctx, id(channel, "Channel", 10003)?)
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel = id(channel, "Channel", 10003)?;
            let author = world.bot_id;
            post_message(world, ctx, channel, author, body, uploads, None)
        }
        ("GET", ["channels", channel, "messages", message]) => {
            let channel = id(channel, "Channel", 10003)?;
            let message = id(message, "Message", 10008)?;
            let found = world
                .messages
                .get(&message)
                .filter(|m| m.channel_id == channel && !m.is_ephemeral());
            let found = found.ok_or_else(|| ApiError::unknown("Message", 10008))?;
            Ok(Outcome::json(world::message_json(world, &ctx.base, found)))
        }
        ("PATCH", ["channels", channel, "messages", message]) => {
            let channel = id(channel, "Channel", 10003)?;
            let message = id(message, "Message", 10008)?;
            if world
                .messages
                .get(&message)
                .is_none_or(|m| m.channel_id != channel || m.is_ephemeral())
            {
                return Err(ApiError::unknown("Message", 10008));
            }
            edit_message(world, ctx, message, body, uploads, true)
        }
        ("DELETE", ["channels", channel, "messages", message]) => {
            let channel = id(channel, "Channel", 10003)?;
            let message = id(message, "Message", 10008)?;
            delete_message(world, channel, message)
        }
        ("POST", ["interactions", interaction, token, "callback"]) => interaction_callback(
            world,
            ctx,
            id(interaction, "interaction", 10062)?,
            token,
            body,
        ),
        ("POST", ["webhooks", _, token]) => followup(world, ctx, token, body, uploads),
        (_, ["webhooks", _, token, "messages", message]) => {
            webhook_message(world, ctx, m, token, message, body, uploads)
        }
        _ => Err(ApiError::new(
            404,
            0,
            format!("404: Not Found ({m} /{})", segments.join("/")),
        )),
    }
}

fn open_dm(world: &mut World, body: &Value) -> Result<Outcome> {
    let user = snowflake(&body["recipient_id"]).ok_or_else(|| ApiError::invalid("recipient_id"))?;
    if !world.users.contains_key(&user) {
        return Err(ApiError::unknown("User", 10013));
    }
    let channel = match world.dm_channels.get(&user) {
        Some(existing) => *existing,
        None => {
            let channel = world.next_id();
            world.channels.insert(
                channel,
                Channel {
                    id: channel,
                    guild_id: None,
                    kind: channel_type::DM,
                    name: String::new(),
                    parent_id: None,
                    position: 0,
                    topic: None,
                    overwrites: vec![],
                    recipient: Some(user),
                    renames: vec![],
                },
            );
            world.dm_channels.insert(user, channel);
            channel
        }
    };
    Ok(Outcome::json(world::dm_channel_json(
        world,
        &world.channels[&channel],
    )))
}

fn put_commands(world: &mut World, guild: Option<u64>, body: &Value) -> Result<Outcome> {
    let list = body
        .as_array()
        .ok_or_else(|| ApiError::invalid("expected an array of commands"))?;
    if list.len() > 100 {
        return Err(ApiError::invalid("at most 100 commands"));
    }
    let app = world.application_id;
    let mut stored = Vec::new();
    for command in list {
        let name = command["name"].as_str().unwrap_or_default();
        let kind = command["type"].as_u64().unwrap_or(1);
        let description = command["description"].as_str().unwrap_or_default();
        if kind == 1 {
            // A slash command: a lowercase name and a description.
            let valid_name = !name.is_empty()
                && name.len() <= 32
                && name
                    .chars()
                    .all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !valid_name {
                return Err(ApiError::invalid(format!("command name {name:?}")));
            }
            if description.is_empty() || description.chars().count() > 100 {
                return Err(ApiError::invalid(format!("description of {name}")));
            }
        } else {
            // A context-menu command: any name of 1-32 characters, no description or options.
            if name.is_empty() || name.chars().count() > 32 {
                return Err(ApiError::invalid(format!("command name {name:?}")));
            }
            if !description.is_empty()
                || command["options"].as_array().is_some_and(|o| !o.is_empty())
            {
                return Err(ApiError::invalid(format!(
                    "{name}: context-menu commands take no description or options"
                )));
            }
        }
        let id = world.next_id();
        let mut value = command.clone();
        value["id"] = json!(id.to_string());
        value["application_id"] = json!(app.to_string());
        value["version"] = json!(id.to_string());
        value["type"] = command.get("type").cloned().unwrap_or(json!(1));
        value["guild_id"] = guild.map_or(Value::Null, |g| json!(g.to_string()));
        if value.get("options").is_none() {
            value["options"] = json!([]);
        }
        // Discord answers an empty description for context-menu commands.
        if value.get("description").is_none() {
            value["description"] = json!("");
        }
        if value.get("default_member_permissions").is_none() {
            value["default_member_permissions"] = Value::Null;
        }
        value["nsfw"] = json!(false);
        stored.push(value);
    }
    world.commands.insert(guild, stored.clone());
    Ok(Outcome::json(json!(stored)))
}

fn parse_overwrite(target: u64, body: &Value) -> Result<Overwrite> {
    let bits = |key: &str| -> Result<u64> {
        match &body[key] {
            Value::Null => Ok(0),
            other => snowflake(other)
                .ok_or_else(|| ApiError::invalid(format!("{key} must be a permission bit set"))),
        }
    };
    let kind = body["type"]
        .as_u64()
        .ok_or_else(|| ApiError::invalid("overwrite type"))?;
    if kind > 1 {
        return Err(ApiError::invalid("overwrite type must be 0 or 1"));
    }
    Ok(Overwrite {
        id: target,
        kind: kind as u8,
        allow: bits("allow")?,
        deny: bits("deny")?,
    })
}

fn parse_overwrites(body: &Value) -> Result<Option<Vec<Overwrite>>> {
    let Some(list) = body.get("permission_overwrites").and_then(Value::as_array) else {
        return Ok(None);
    };
    list.iter()
        .map(|o| {
            let target = snowflake(&o["id"]).ok_or_else(|| ApiError::invalid("overwrite id"))?;
            parse_overwrite(target, o)
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn channel_name(kind: u8, name: &str) -> Result<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name must be between 1 and 100 characters",
        ));
    }
    // Discord lowercases text channel names and turns spaces into dashes.
    Ok(if kind == channel_type::TEXT {
        trimmed.to_lowercase().replace(' ', "-")
    } else {
        trimmed.to_owned()
    })
}

fn check_parent(world: &World, guild: u64, parent: Option<u64>, moving: Option<u64>) -> Result<()> {
    let Some(parent) = parent else { return Ok(()) };
    let category = world
        .channels
        .get(&parent)
        .filter(|c| c.guild_id == Some(guild) && c.kind == channel_type::CATEGORY);
    if category.is_none() {
        return Err(ApiError::invalid(
            "parent_id is not a category of this guild",
        ));
    }
    let children = world
        .channels
        .values()
        .filter(|c| c.parent_id == Some(parent) && Some(c.id) != moving)
        .count();
    if children >= CATEGORY_LIMIT {
        return Err(ApiError::invalid(
            "Maximum number of channels in category reached (50)",
        ));
    }
    Ok(())
}

fn create_channel(world: &mut World, guild: u64, body: &Value) -> Result<Outcome> {
    if !world.guilds.contains_key(&guild) {
        return Err(ApiError::unknown("Guild", 10004));
    }
    let kind = body["type"].as_u64().unwrap_or(0) as u8;
    if ![
        channel_type::TEXT,
        channel_type::VOICE,
        channel_type::CATEGORY,
    ]
    .contains(&kind)
    {
        return Err(ApiError::invalid("unsupported channel type"));
    }
    let name = channel_name(kind, body["name"].as_str().unwrap_or_default())?;
    let parent = snowflake(&body["parent_id"]);
    check_parent(world, guild, parent, None)?;
    if world
        .channels
        .values()
        .filter(|c| c.guild_id == Some(guild))
        .count()
        >= 500
    {
        return Err(ApiError::new(
            400,
            30013,
            "Maximum number of guild channels reached (500)",
        ));
    }
    let overwrites = parse_overwrites(body)?.unwrap_or_default();
    let id = world.next_id();
    let position = world.channels.len() as i64;
    let channel = Channel {
        id,
        guild_id: Some(guild),
        kind,
        name,
        parent_id: parent,
        position,
        topic: body["topic"].as_str().map(str::to_owned),
        overwrites,
        recipient: None,
        renames: vec![],
    };
    let data = world::channel_json(&channel);
    world.channels.insert(id, channel);
    Ok(Outcome {
        status: 201,
        body: data.clone(),
        events: vec![("CHANNEL_CREATE", data)],
    })
}

fn edit_channel(world: &mut World, channel: u64, body: &Value) -> Result<Outcome> {
    let existing = world
        .channels
        .get(&channel)
        .ok_or_else(|| ApiError::unknown("Channel", 10003))?
        .clone();
    let guild = existing
        .guild_id
        .ok_or_else(|| ApiError::new(400, 50003, "Cannot execute action on a DM channel"))?;
    let mut updated = existing.clone();
    if let Some(name) = body.get("name").and_then(Value::as_str) {
        let name = channel_name(existing.kind, name)?;
        if name != existing.name {
            let now = Instant::now();
            updated
                .renames
                .retain(|t| now.duration_since(*t) < RENAME_WINDOW);
            if updated.renames.len() >= 2 {
                let oldest = updated.renames[0];
                let wait = RENAME_WINDOW.saturating_sub(now.duration_since(oldest));
                return Err(ApiError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: 0,
                    message: "You are being rate limited.".into(),
                    retry_after: Some(wait.as_secs_f64()),
                });
            }
            updated.renames.push(now);
            updated.name = name;
        }
    }
    if let Some(parent) = body.get("parent_id") {
        let parent = snowflake(parent);
        if parent != existing.parent_id {
            check_parent(world, guild, parent, Some(channel))?;
            updated.parent_id = parent;
        }
    }
    if let Some(topic) = body.get("topic") {
        updated.topic = topic.as_str().map(str::to_owned);
    }
    if let Some(overwrites) = parse_overwrites(body)? {
        updated.overwrites = overwrites;
    } else if body["lock_permissions"].as_bool() == Some(true) {
        if let Some(parent) = updated.parent_id.and_then(|p| world.channels.get(&p)) {
            updated.overwrites = parent.overwrites.clone();
        }
    }
    let data = world::channel_json(&updated);
    world.channels.insert(channel, updated);
    Ok(Outcome::json(data.clone()).with("CHANNEL_UPDATE", data))
}

fn list_messages(world: &World, ctx: &Ctx<'_>, channel: u64) -> Result<Outcome> {
    if !world.channels.contains_key(&channel) {
        return Err(ApiError::unknown("Channel", 10003));
    }
    let limit = ctx
        .query_param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let before = ctx
        .query_param("before")
        .and_then(|v| v.parse::<u64>().ok());
    let after = ctx.query_param("after").and_then(|v| v.parse::<u64>().ok());
    let visible = world
        .messages
        .values()
        .filter(|m| m.channel_id == channel && !m.is_ephemeral());
    let list: Vec<Value> = match after {
        // With `after`, Discord returns the oldest messages after it, still newest first.
        Some(after) => {
            let mut page: Vec<&Message> = visible.filter(|m| m.id > after).take(limit).collect();
            page.reverse();
            page.into_iter()
                .map(|m| world::message_json(world, &ctx.base, m))
                .collect()
        }
        None => visible
            .rev()
            .filter(|m| before.is_none_or(|b| m.id < b))
            .take(limit)
            .map(|m| world::message_json(world, &ctx.base, m))
            .collect(),
    };
    Ok(Outcome::json(json!(list)))
}

/// Discord's limits on a message body; violations are 50035 like Discord's.
fn check_message_body(body: &Value, has_files: bool) -> Result<()> {
    let content = body["content"].as_str().unwrap_or_default();
    if content.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "content: Must be 2000 or fewer in length.",
        ));
    }
    let embeds = body["embeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if embeds.len() > 10 {
        return Err(ApiError::invalid("embeds: Must be 10 or fewer in length."));
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let limits = [("title", 256), ("description", 4096)];
        for (key, max) in limits {
            let n = embed[key].as_str().map_or(0, |s| s.chars().count());
            if n > max {
                return Err(ApiError::invalid(format!(
                    "embeds.{i}.{key}: Must be {max} or fewer in length."
                )));
            }
            total += n;
        }
        let fields = embed["fields"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if fields.len() > 25 {
            return Err(ApiError::invalid(format!(
                "embeds.{i}.fields: Must be 25 or fewer in length."
            )));
        }
        for (j, field) in fields.iter().enumerate() {
            let name = field["name"].as_str().map_or(0, |s| s.chars().count());
            let value = field["value"].as_str().map_or(0, |s| s.chars().count());
            if name == 0 || name > 256 || value == 0 || value > 1024 {
                return Err(ApiError::invalid(format!(
                    "embeds.{i}.fields.{j}: name 1-256, value 1-1024"
                )));
            }
            total += name + value;
        }
        total += embed["footer"]["text"]
            .as_str()
            .map_or(0, |s| s.chars().count());
        total += embed["author"]["name"]
            .as_str()
            .map_or(0, |s| s.chars().count());
    }
    if total > 6000 {
        return Err(ApiError::invalid(
            "embeds: total size must be 6000 or fewer",
        ));
    }
    let rows = body["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    check_components(rows)?;
    let empty = content.is_empty()
        && embeds.is_empty()
        && rows.is_empty()
        && !has_files
        && body["sticker_ids"].as_array().is_none_or(Vec::is_empty);
    if empty {
        return Err(ApiError::new(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

fn check_components(rows: &[Value]) -> Result<()> {
    if rows.len() > 5 {
        return Err(ApiError::invalid(
            "components: Must be 5 or fewer in length.",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if row["type"].as_u64() != Some(1) {
            return Err(ApiError::invalid(format!(
                "components.{i}: top level must be action rows"
            )));
        }
        let items = row["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let selects = items
            .iter()
            .filter(|c| c["type"].as_u64() != Some(2))
            .count();
        if items.is_empty() || items.len() > 5 || (selects > 0 && items.len() > 1) {
            return Err(ApiError::invalid(format!(
                "components.{i}: a row holds 1-5 buttons or one select"
            )));
        }
        for (j, item) in items.iter().enumerate() {
            let path = format!("components.{i}.components.{j}");
            let custom_id = item["custom_id"].as_str();
            let is_link = item["type"].as_u64() == Some(2) && item["style"].as_u64() == Some(5);
            if is_link {
                if custom_id.is_some() || item["url"].as_str().is_none() {
                    return Err(ApiError::invalid(format!(
                        "{path}: link buttons need a url and no custom_id"
                    )));
                }
            } else {
                let custom_id = custom_id
                    .ok_or_else(|| ApiError::invalid(format!("{path}.custom_id: required")))?;
                if custom_id.is_empty() || custom_id.chars().count() > 100 {
                    return Err(ApiError::invalid(format!(
                        "{path}.custom_id: 1-100 characters"
                    )));
                }
                if !ids.insert(custom_id.to_owned()) {
                    return Err(ApiError::invalid(format!(
                        "{path}.custom_id: must be unique"
                    )));
                }
            }
            if item["label"]
                .as_str()
                .is_some_and(|l| l.chars().count() > 80)
            {
                return Err(ApiError::invalid(format!("{path}.label: 80 or fewer")));
            }
            if let Some(options) = item["options"].as_array() {
                if options.is_empty() || options.len() > 25 {
                    return Err(ApiError::invalid(format!("{path}.options: 1-25 options")));
                }
                for option in options {
                    for key in ["label", "value", "description"] {
                        if option[key]
                            .as_str()
                            .is_some_and(|s| s.chars().count() > 100)
                        {
                            return Err(ApiError::invalid(format!(
                                "{path}.options.{key}: 100 or fewer"
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn store_uploads(world: &mut World, uploads: Vec<Upload>) -> Vec<Attachment> {
    uploads
        .into_iter()
        .map(|u| Attachment {
            id: world.next_id(),
            filename: u.filename,
            content_type: u.content_type,
            bytes: u.bytes,
        })
        .collect()
}

/// Creates a message by `author` in `channel`; `interaction` marks replies to interactions.
fn post_message(
    world: &mut World,
    ctx: &Ctx<'_>,
    channel: u64,
    author: u64,
    body: &Value,
    uploads: Vec<Upload>,
    interaction: Option<(u64, u64)>,
) -> Result<Outcome> {
    let target = world
        .channels
        .get(&channel)
        .ok_or_else(|| ApiError::unknown("Channel", 10003))?;
    if let Some(recipient) = target.recipient {
        if world
            .users
            .get(&recipient)
            .is_some_and(|u| u.dms_closed || u.bot)
        {
            return Err(ApiError::new(
                403,
                50007,
                "Cannot send messages to this user",
            ));
        }
    }
    check_message_body(body, !uploads.is_empty())?;
    let flags = body["flags"].as_u64().unwrap_or(0);
    let ephemeral = interaction.is_some() && flags & 64 != 0;
    let attachments = store_uploads(world, uploads);
    let id = world.next_id();
    let message = Message {
        id,
        channel_id: channel,
        author_id: author,
        content: body["content"].as_str().unwrap_or_default().to_owned(),
        embeds: body["embeds"].as_array().cloned().unwrap_or_default(),
        components: body["components"].as_array().cloned().unwrap_or_default(),
        attachments,
        flags: if ephemeral { 64 } else { 0 },
        timestamp: Utc::now(),
        edited: None,
        ephemeral_for: if ephemeral {
            interaction.map(|(_, user)| user)
        } else {
            None
        },
        interaction_id: interaction.map(|(id, _)| id),
        reference: snowflake(&body["message_reference"]["message_id"]),
        allowed_mentions: body.get("allowed_mentions").cloned(),
    };
    let data = world::message_json(world, &ctx.base, &message);
    world.messages.insert(id, message);
    let outcome = Outcome::json(data.clone());
    Ok(if ephemeral {
        outcome
    } else {
        outcome.with("MESSAGE_CREATE", data)
    })
}

fn edit_message(
    world: &mut World,
    ctx: &Ctx<'_>,
    message: u64,
    body: &Value,
    uploads: Vec<Upload>,
    bot_only: bool,
) -> Result<Outcome> {
    let bot = world.bot_id;
    let existing = world
        .messages
        .get(&message)
        .ok_or_else(|| ApiError::unknown("Message", 10008))?
        .clone();
    if bot_only && existing.author_id != bot {
        return Err(ApiError::new(
            403,
            50005,
            "Cannot edit a message authored by another user",
        ));
    }
    let mut updated = existing.clone();
    if let Some(content) = body.get("content") {
        updated.content = content.as_str().unwrap_or_default().to_owned();
    }
    if let Some(embeds) = body.get("embeds") {
        updated.embeds = embeds.as_array().cloned().unwrap_or_default();
    }
    if let Some(components) = body.get("components") {
        updated.components = components.as_array().cloned().unwrap_or_default();
    }
    if let Some(allowed) = body.get("allowed_mentions") {
        updated.allowed_mentions = Some(allowed.clone());
    }
    if let Some(keep) = body.get("attachments").and_then(Value::as_array) {
        let keep: Vec<u64> = keep.iter().filter_map(|a| snowflake(&a["id"])).collect();
        updated.attachments.retain(|a| keep.contains(&a.id));
    }
    let added = store_uploads(world, uploads);
    updated.attachments.extend(added);
    let check = json!({
        "content": updated.content, "embeds": updated.embeds, "components": updated.components,
    });
    check_message_body(&check, !updated.attachments.is_empty())?;
    updated.edited = Some(Utc::now());
    let data = world::message_json(world, &ctx.base, &updated);
    let ephemeral = updated.is_ephemeral();
    world.messages.insert(message, updated);
    let outcome = Outcome::json(data.clone());
    Ok(if ephemeral {
        outcome
    } else {
        outcome.with("MESSAGE_UPDATE", data)
    })
}

fn delete_message(world: &mut World, channel: u64, message: u64) -> Result<Outcome> {
    let found = world
        .messages
        .get(&message)
        .filter(|m| m.channel_id == channel);
    let found = found.ok_or_else(|| ApiError::unknown("Message", 10008))?;
    let ephemeral = found.is_ephemeral();
    world.messages.remove(&message);
    let guild = world.channels.get(&channel).and_then(|c| c.guild_id);
    let mut data = json!({"id": message.to_string(), "channel_id": channel.to_string()});
    if let Some(guild) = guild {
        data["guild_id"] = json!(guild.to_string());
    }
    let outcome = Outcome::no_content();
    Ok(if ephemeral {
        outcome
    } else {
        outcome.with("MESSAGE_DELETE", data)
    })
}

fn interaction_callback(
    world: &mut World,
    ctx: &Ctx<'_>,
    interaction: u64,
    token: &str,
    body: &Value,
) -> Result<Outcome> {
    let state = world
        .interactions
        .get(&interaction)
        .filter(|i| i.token == token)
        .cloned();
    let state = state.ok_or_else(|| ApiError::unknown("interaction", 10062))?;
    if state.response.is_some() {
        return Err(ApiError::new(
            400,
            40060,
            "Interaction has already been acknowledged.",
        ));
    }
    if state.created.elapsed() > INITIAL_RESPONSE {
        return Err(ApiError::unknown("interaction", 10062));
    }
    let kind = body["type"]
        .as_u64()
        .ok_or_else(|| ApiError::invalid("type: required"))?;
    let data = &body["data"];
    let mut events = vec![];
    let mut original = None;
    match kind {
        4 => {
            let outcome = post_message(
                world,
                ctx,
                state.channel_id,
                world.bot_id,
                data,
                vec![],
                Some((interaction, state.user_id)),
            )?;
            original = snowflake(&outcome.body["id"]);
            events = outcome.events;
        }
        5 => {
            // A deferred reply shows "thinking..." until @original is edited.
            let placeholder = json!({"content": "", "flags": data["flags"].as_u64().unwrap_or(0)});
            let id = world.next_id();
            let ephemeral = placeholder["flags"].as_u64().unwrap_or(0) & 64 != 0;
            let message = Message {
                id,
                channel_id: state.channel_id,
                author_id: world.bot_id,
                content: String::new(),
                embeds: vec![],
                components: vec![],
                attachments: vec![],
                flags: if ephemeral { 64 | 128 } else { 128 },
                timestamp: Utc::now(),
                edited: None,
                ephemeral_for: ephemeral.then_some(state.user_id),
                interaction_id: Some(interaction),
                reference: None,
                allowed_mentions: data.get("allowed_mentions").cloned(),
            };
            let json = world::message_json(world, &ctx.base, &message);
            world.messages.insert(id, message);
            original = Some(id);
            if !ephemeral {
                events.push(("MESSAGE_CREATE", json));
            }
        }
        6 | 7 => {
            let source = state
                .source_message
                .filter(|_| state.kind == 3 || state.kind == 5);
            let source = source.ok_or_else(|| {
                ApiError::new(
                    400,
                    50035,
                    "Invalid Form Body: callback type 6/7 is only for component interactions",
                )
            })?;
            if kind == 7 {
                let outcome = edit_message(world, ctx, source, data, vec![], false)?;
                events = outcome.events;
            }
            original = Some(source);
        }
        9 => {
            if state.kind == 5 {
                return Err(ApiError::invalid("a modal cannot answer a modal submit"));
            }
            let title = data["title"].as_str().unwrap_or_default();
            let rows = data["components"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if data["custom_id"].as_str().is_none_or(str::is_empty)
                || title.is_empty()
                || title.chars().count() > 45
                || rows.is_empty()
                || rows.len() > 5
            {
                return Err(ApiError::invalid(
                    "modal: custom_id, title (1-45) and 1-5 rows required",
                ));
            }
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "type: {kind} is not a valid interaction callback type here"
            )))
        }
    }
    let entry = world
        .interactions
        .get_mut(&interaction)
        .expect("checked above");
    entry.response = Some(body.clone());
    entry.original_message = original;
    Ok(Outcome {
        status: 204,
        body: Value::Null,
        events,
    })
}

fn live_interaction(world: &World, token: &str) -> Result<u64> {
    let state = world.interactions.values().find(|i| i.token == token);
    let state = state.ok_or_else(|| ApiError::unknown("Webhook", 10015))?;
    if state.created.elapsed() > FOLLOWUP_LIFETIME {
        return Err(ApiError::new(401, 50027, "Invalid Webhook Token"));
    }
    if state.response.is_none() {
        return Err(ApiError::unknown("Webhook", 10015));
    }
    Ok(state.id)
}

fn followup(
    world: &mut World,
    ctx: &Ctx<'_>,
    token: &str,
    body: &Value,
    uploads: Vec<Upload>,
) -> Result<Outcome> {
    let interaction = live_interaction(world, token)?;
    let (channel, user) = {
        let state = &world.interactions[&interaction];
        (state.channel_id, state.user_id)
    };
    let bot = world.bot_id;
    let outcome = post_message(
        world,
        ctx,
        channel,
        bot,
        body,
        uploads,
        Some((interaction, user)),
    )?;
    if let Some(id) = snowflake(&outcome.body["id"]) {
        world
            .interactions
            .get_mut(&interaction)
            .expect("live")
            .followups
            .push(id);
    }
    Ok(outcome)
}

fn webhook_message(
    world: &mut World,
    ctx: &Ctx<'_>,
    method: &str,
    token: &str,
    message: &str,
    body: &Value,
    uploads: Vec<Upload>,
) -> Result<Outcome> {
    let interaction = live_interaction(world, token)?;
    let state = world.interactions[&interaction].clone();
    let target = if message == "@original" {
        state
            .original_message
            .ok_or_else(|| ApiError::unknown("Message", 10008))?
    } else {
        let id = id(message, "Message", 10008)?;
        if !state.followups.contains(&id) && state.original_message != Some(id) {
            return Err(ApiError::unknown("Message", 10008));
        }
        id
    };
    match method {
        "GET" => {
            let found = world
                .messages
                .get(&target)
                .ok_or_else(|| ApiError::unknown("Message", 10008))?;
            Ok(Outcome::json(world::message_json(world, &ctx.base, found)))
        }
        "PATCH" => {
            // Editing a deferred reply replaces its "thinking" state.
            if let Some(m) = world.messages.get_mut(&target) {
                m.flags &= !128;
            }
            edit_message(world, ctx, target, body, uploads, false)
        }
        "DELETE" => {
            let channel = world
                .messages
                .get(&target)
                .map(|m| m.channel_id)
                .ok_or_else(|| ApiError::unknown("Message", 10008))?;
            delete_message(world, channel, target)
        }
        _ => Err(ApiError::new(405, 0, "405: Method Not Allowed")),
    }
}
