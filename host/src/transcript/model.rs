//! What a transcript page shows, independent of where it came from: messages captured by the
//! bot, or Discord API message objects read from a file (`ticketbot transcript render`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Names of users, roles and channels, for mentions.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Display names by user id.
    pub users: HashMap<u64, String>,
    /// Role names by id.
    pub roles: HashMap<u64, String>,
    /// Channel names by id.
    pub channels: HashMap<u64, String>,
}

impl Names {
    /// Reads `{"users": {id: name}, "roles": {...}, "channels": {...}}` (ids as strings).
    pub fn from_json(value: &Value) -> Self {
        let table = |key: &str| {
            value[key]
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default()
        };
        Names {
            users: table("users"),
            roles: table("roles"),
            channels: table("channels"),
        }
    }
}

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    /// User id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// A bot account.
    pub bot: bool,
    /// The avatar's hash, if the user has one.
    pub avatar: Option<String>,
    /// The kept copy of the avatar on this server (a path).
    pub avatar_local: Option<String>,
}

/// An embed of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmbedView {
    /// Title.
    pub title: Option<String>,
    /// Where the title links (http/https only at render).
    pub url: Option<String>,
    /// Author line.
    pub author: Option<String>,
    /// Description (markdown).
    pub description: Option<String>,
    /// Side colour.
    pub color: Option<u32>,
    /// (name, value, inline).
    pub fields: Vec<(String, String, bool)>,
    /// Footer text.
    pub footer: Option<String>,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentView {
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type, if known.
    pub content_type: Option<String>,
    /// Where the original was (shown as a link; never loaded by the page).
    pub url: Option<String>,
    /// The kept copy on this server (a path), when the bytes were downloaded.
    pub local: Option<String>,
}

/// A component as shown (inert: a transcript cannot be clicked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentView {
    /// A button's label (and the URL of a link button).
    Button {
        /// Label.
        label: String,
        /// Link buttons only.
        url: Option<String>,
    },
    /// A select menu's placeholder.
    Select(String),
}

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    /// Message id (the anchor).
    pub id: u64,
    /// Author.
    pub author: Author,
    /// Sent.
    pub sent_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted after it was captured.
    pub deleted: bool,
    /// The text (markdown).
    pub content: String,
    /// Embeds.
    pub embeds: Vec<EmbedView>,
    /// Attachments.
    pub attachments: Vec<AttachmentView>,
    /// Rows of components.
    pub components: Vec<Vec<ComponentView>>,
    /// (emoji, count).
    pub reactions: Vec<(String, u64)>,
    /// Sticker names.
    pub stickers: Vec<String>,
    /// The message this one replies to.
    pub reply_to: Option<u64>,
    /// For system messages (joins, pins...): what happened, instead of content.
    pub system: Option<String>,
}

fn id(value: &Value) -> Option<u64> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_u64())
}

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Embeds as Discord sends them.
pub fn embeds_from_api(value: &Value) -> Vec<EmbedView> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| EmbedView {
            title: text(&e["title"]),
            url: text(&e["url"]),
            author: text(&e["author"]["name"]),
            description: text(&e["description"]),
            color: e["color"].as_u64().map(|c| c as u32),
            fields: e["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or_default().to_owned(),
                        f["value"].as_str().unwrap_or_default().to_owned(),
                        f["inline"].as_bool().unwrap_or(false),
                    )
                })
                .collect(),
            footer: text(&e["footer"]["text"]),
        })
        .collect()
}

/// Attachments as Discord sends them.
pub fn attachments_from_api(value: &Value) -> Vec<AttachmentView> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| AttachmentView {
            filename: a["filename"].as_str().unwrap_or("file").to_owned(),
            size: a["size"].as_u64().unwrap_or(0),
            content_type: text(&a["content_type"]),
            url: text(&a["url"]),
            local: None,
        })
        .collect()
}

/// What a system message says (Discord's message types other than 0 and 19).
fn system_text(kind: u64, author: &str) -> Option<String> {
    Some(match kind {
        0 | 19 | 20 | 23 => return None,
        1 => format!("{author} added someone to the conversation"),
        2 => format!("{author} removed someone from the conversation"),
        4 => format!("{author} changed the channel name"),
        6 => format!("{author} pinned a message"),
        7 => format!("{author} joined the server"),
        8 => format!("{author} boosted the server"),
        18 => format!("{author} started a thread"),
        _ => format!("system message (type {kind})"),
    })
}

/// A message as `GET /channels/{id}/messages` returns it; `None` when it has no id or author.
pub fn message_from_api(value: &Value, names: &Names) -> Option<MessageView> {
    let author_id = id(&value["author"]["id"])?;
    let name = names
        .users
        .get(&author_id)
        .cloned()
        .or_else(|| text(&value["member"]["nick"]))
        .or_else(|| text(&value["author"]["global_name"]))
        .or_else(|| text(&value["author"]["username"]))
        .unwrap_or_else(|| author_id.to_string());
    let parse_time = |v: &Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let components = value["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row["components"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| match c["type"].as_u64() {
                    Some(2) => ComponentView::Button {
                        label: c["label"]
                            .as_str()
                            .or(c["emoji"]["name"].as_str())
                            .unwrap_or("")
                            .to_owned(),
                        url: text(&c["url"]),
                    },
                    _ => ComponentView::Select(c["placeholder"].as_str().unwrap_or("…").to_owned()),
                })
                .collect()
        })
        .collect();
    Some(MessageView {
        id: id(&value["id"])?,
        system: system_text(value["type"].as_u64().unwrap_or(0), &name),
        author: Author {
            id: author_id,
            name,
            bot: value["author"]["bot"].as_bool().unwrap_or(false),
            avatar: text(&value["author"]["avatar"]),
            avatar_local: None,
        },
        sent_at: parse_time(&value["timestamp"]).unwrap_or_default(),
        edited_at: parse_time(&value["edited_timestamp"]),
        deleted: false,
        content: value["content"].as_str().unwrap_or_default().to_owned(),
        embeds: embeds_from_api(&value["embeds"]),
        attachments: attachments_from_api(&value["attachments"]),
        components,
        reactions: value["reactions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let emoji = match (r["emoji"]["id"].as_str(), r["emoji"]["name"].as_str()) {
                    (Some(_), Some(name)) => format!(":{name}:"),
                    (_, Some(name)) => name.to_owned(),
                    _ => "?".to_owned(),
                };
                (emoji, r["count"].as_u64().unwrap_or(1))
            })
            .collect(),
        stickers: value["sticker_items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| text(&s["name"]))
            .collect(),
        reply_to: id(&value["message_reference"]["message_id"])
            .filter(|_| value["type"].as_u64() == Some(19)),
    })
}
