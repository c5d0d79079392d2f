//! The transcript page: typed templates (`maud`), so every piece of user data is escaped by
//! construction. One document with inline CSS and one small static script (local times,
//! search, theme), both allowed by hash in the Content-Security-Policy; nothing loads from
//! anywhere else, and no user data is ever inside the script.

use std::sync::LazyLock;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::highlight::highlight;
use super::markdown::{self, Block, Inline};
use super::model::{ComponentView, EmbedView, MessageView, Names};

/// A fact in the header (label, value).
pub struct Fact {
    /// Label.
    pub label: String,
    /// Value (plain text; mentions and times are not parsed here).
    pub value: String,
}

/// A note or a plugin record shown in the header.
pub struct HeaderNote {
    /// Who or what.
    pub title: String,
    /// When.
    pub at: Option<DateTime<Utc>>,
    /// Text (markdown).
    pub body: String,
}

/// Labels of the page itself, in the guild's language.
pub struct PageTexts {
    /// "Messages".
    pub messages: String,
    /// "Notes".
    pub notes: String,
    /// "No messages".
    pub empty: String,
    /// "Search".
    pub search: String,
    /// "(edited)".
    pub edited: String,
    /// "deleted".
    pub deleted: String,
    /// "Theme".
    pub theme: String,
}

/// Everything on the page, owned, so it can be rendered on another thread.
pub struct Page {
    /// The document title and heading.
    pub title: String,
    /// The guild's name.
    pub guild: String,
    /// Facts about the ticket.
    pub facts: Vec<Fact>,
    /// Staff notes and plugin records.
    pub notes: Vec<HeaderNote>,
    /// The messages, oldest first.
    pub messages: Vec<MessageView>,
    /// Names for mentions.
    pub names: Names,
    /// Labels.
    pub texts: PageTexts,
    /// The page's language tag.
    pub lang: String,
}

pub(super) const STYLE: &str = include_str!("page.css");
pub(super) const SCRIPT: &str = include_str!("page.js");

fn sha256_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The Content-Security-Policy for transcript pages: nothing remote, only this page's own
/// style and script (by hash), images only from the page itself (data:), no forms, no frames.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'self' data:; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox",
        sha256_source(STYLE),
        sha256_source(SCRIPT)
    )
});

/// Image types shown inline (from this server's own copy); anything else is a download link.
pub const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Video types played inline (from this server's own copy).
pub const INLINE_VIDEOS: &[&str] = &["video/mp4", "video/webm"];

/// Messages of one author within this many seconds are grouped under one header.
const GROUP_SECONDS: i64 = 7 * 60;

/// Renders the page.
pub fn render(page: &Page) -> String {
    // Where each message is, for replies (a lookup per reply, not a scan).
    let index: std::collections::HashMap<u64, usize> = page
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    let doc = html! {
        (DOCTYPE)
        html lang=(page.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                // No favicon request: the browser would otherwise ask the server for one.
                link rel="icon" href="data:,";
                title { (page.title) " · " (page.guild) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    div.bar {
                        h1 { (page.title) }
                        div.tools {
                            input #search type="search" placeholder=(page.texts.search) aria-label=(page.texts.search);
                            span #hits {}
                            button #theme type="button" title=(page.texts.theme) { "◐" }
                        }
                    }
                    p.guild { (page.guild) }
                    dl {
                        @for fact in &page.facts {
                            dt { (fact.label) }
                            dd { (fact.value) }
                        }
                    }
                    @if !page.notes.is_empty() {
                        h2 { (page.texts.notes) }
                        @for note in &page.notes {
                            div.note {
                                span.author { (note.title) }
                                @if let Some(at) = &note.at { (time(at, 'f')) }
                                div.content { (blocks(&markdown::parse(&note.body), &page.names)) }
                            }
                        }
                    }
                }
                main #messages {
                    h2 { (page.texts.messages) }
                    @if page.messages.is_empty() { p { (page.texts.empty) } }
                    @for (i, message) in page.messages.iter().enumerate() {
                        (message_markup(page, &index, message, i.checked_sub(1).map(|p| &page.messages[p])))
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    doc.into_string()
}

fn grouped(message: &MessageView, previous: Option<&MessageView>) -> bool {
    previous.is_some_and(|p| {
        p.author.id == message.author.id
            && p.system.is_none()
            && message.system.is_none()
            && message.reply_to.is_none()
            && (message.sent_at - p.sent_at).num_seconds() < GROUP_SECONDS
    })
}

fn initials(name: &str) -> String {
    name.chars()
        .find(|c| c.is_alphanumeric())
        .map_or('?', |c| c.to_ascii_uppercase())
        .to_string()
}

/// A stable colour (one of twelve) per user for the avatar circle. Classes, not style
/// attributes: the CSP allows no inline style.
fn hue(id: u64) -> u64 {
    ((id >> 22) ^ id) % 12
}

/// Embed side colours the page can show: Discord's palette. An embed's colour is shown as the
/// nearest of these (the CSP allows no inline style, so no arbitrary colour).
const EMBED_COLOURS: &[u32] = &[
    0x5865F2, 0x57F287, 0xFEE75C, 0xED4245, 0xEB459E, 0xE67E22, 0x1ABC9C, 0x3498DB, 0x9B59B6,
    0xF1C40F, 0x95A5A6, 0x2B2D31, 0xFFFFFF, 0x2F9E44, 0xF0B232, 0xE03131,
];

fn nearest_colour(colour: u32) -> usize {
    let channels = |c: u32| {
        [
            (c >> 16) as i64 & 255,
            (c >> 8) as i64 & 255,
            c as i64 & 255,
        ]
    };
    let wanted = channels(colour);
    (0..EMBED_COLOURS.len())
        .min_by_key(|i| {
            let have = channels(EMBED_COLOURS[*i]);
            (0..3).map(|k| (have[k] - wanted[k]).pow(2)).sum::<i64>()
        })
        .unwrap_or(0)
}

fn message_markup(
    page: &Page,
    index: &std::collections::HashMap<u64, usize>,
    m: &MessageView,
    previous: Option<&MessageView>,
) -> Markup {
    let continued = grouped(m, previous);
    let anchor = format!("m{}", m.id);
    let class = match (continued, m.deleted, m.system.is_some()) {
        (_, _, true) => "msg system",
        (true, true, _) => "msg cont deleted",
        (true, false, _) => "msg cont",
        (false, true, _) => "msg deleted",
        (false, false, _) => "msg",
    };
    html! {
        article id=(anchor) class=(class) {
            @if let Some(system) = &m.system {
                span.sys { "→ " (system) } (time(&m.sent_at, 'f'))
            } @else {
                @if let Some(reply) = m.reply_to {
                    a.reply href=(format!("#m{reply}")) { "↪ " (reply_excerpt(page, index, reply)) }
                }
                @if !continued {
                    div.head {
                        @match &m.author.avatar_local {
                            Some(local) => img.avatar src=(local) alt="" aria-hidden="true";,
                            None => span class=(format!("avatar h{}", hue(m.author.id))) aria-hidden="true" { (initials(&m.author.name)) },
                        }
                        span.author { (m.author.name) }
                        @if m.author.bot { span.badge { "BOT" } }
                        (time(&m.sent_at, 'f'))
                        a.anchor href=(format!("#m{}", m.id)) { "#" }
                    }
                }
                div.body {
                    div.content { (blocks(&markdown::parse(&m.content), &page.names)) }
                    @if m.edited_at.is_some() { span.tag { (page.texts.edited) } }
                    @if m.deleted { span.tag.del { (page.texts.deleted) } }
                    @for embed in &m.embeds { (embed_markup(embed, &page.names)) }
                    @for file in &m.attachments {
                        @let kind = file.content_type.as_deref().unwrap_or("");
                        @let image = INLINE_IMAGES.contains(&kind);
                        @let video = INLINE_VIDEOS.contains(&kind);
                        @match (&file.local, image, video) {
                            (Some(local), true, _) => a.image href=(local) target="_blank" rel="noopener noreferrer" {
                                img src=(local) alt=(file.filename) loading="lazy";
                            },
                            (Some(local), _, true) => div.video {
                                video src=(local) controls preload="metadata" {}
                                div { (file.filename) span.size { " " (size(file.size)) } }
                            },
                            _ => div.file {
                                span { "📎 " }
                                @match file.local.as_deref().or(file.url.as_deref().filter(|u| markdown::is_web_url(u))) {
                                    Some(url) => a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (file.filename) },
                                    None => span { (file.filename) },
                                }
                                span.size { " " (size(file.size)) }
                            },
                        }
                    }
                    @for sticker in &m.stickers { div.sticker { "🏷 " (sticker) } }
                    @for row in &m.components {
                        div.row {
                            @for component in row {
                                @match component {
                                    ComponentView::Button { label, url: Some(url) } if markdown::is_web_url(url) => {
                                        a.button href=(url) rel="noopener noreferrer nofollow" target="_blank" { (label) " ↗" }
                                    }
                                    ComponentView::Button { label, .. } => span.button { (label) },
                                    ComponentView::Select(placeholder) => span.select { (placeholder) " ▾" },
                                }
                            }
                        }
                    }
                    @if !m.reactions.is_empty() {
                        div.reactions {
                            @for (emoji, count) in &m.reactions { span.reaction { (emoji) " " (count) } }
                        }
                    }
                }
            }
        }
    }
}

fn reply_excerpt(page: &Page, index: &std::collections::HashMap<u64, usize>, id: u64) -> String {
    match index.get(&id).map(|i| &page.messages[*i]) {
        Some(m) => {
            let excerpt: String = m.content.chars().take(80).collect();
            format!("{}: {excerpt}", m.author.name)
        }
        None => "…".into(),
    }
}

pub(super) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn embed_markup(embed: &EmbedView, names: &Names) -> Markup {
    let colour = embed.color.map_or(0, nearest_colour);
    html! {
        div class=(format!("embed e{colour}")) {
            @if let Some(author) = &embed.author { div.eauthor { (author) } }
            @if let Some(title) = &embed.title {
                div.etitle {
                    @match embed.url.as_deref().filter(|u| markdown::is_web_url(u)) {
                        Some(url) => a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (inlines(&markdown::parse_inline(title), names)) },
                        None => (inlines(&markdown::parse_inline(title), names)),
                    }
                }
            }
            @if let Some(description) = &embed.description {
                div.edesc { (blocks(&markdown::parse(description), names)) }
            }
            @if !embed.fields.is_empty() {
                div.fields {
                    @for (name, value, inline) in &embed.fields {
                        div class=(if *inline { "field inline" } else { "field" }) {
                            div.fname { (inlines(&markdown::parse_inline(name), names)) }
                            div.fvalue { (blocks(&markdown::parse(value), names)) }
                        }
                    }
                }
            }
            @if let Some(footer) = &embed.footer { div.efooter { (footer) } }
        }
    }
}

/// Renders parsed blocks.
pub fn blocks(blocks: &[Block], names: &Names) -> Markup {
    html! {
        @for block in blocks {
            @match block {
                Block::Paragraph(content) => p { (inlines(content, names)) },
                Block::Heading(1, content) => h3.md { (inlines(content, names)) },
                Block::Heading(2, content) => h4.md { (inlines(content, names)) },
                Block::Heading(_, content) => h5.md { (inlines(content, names)) },
                Block::Subtext(content) => p.subtext { (inlines(content, names)) },
                Block::Quote(inner) => blockquote { (self::blocks(inner, names)) },
                Block::Code { lang, code } => pre {
                    code data-lang=[lang.as_deref()] {
                        @for (token, text) in highlight(lang.as_deref(), code) {
                            @match token.class() {
                                Some(class) => span class=(class) { (text) },
                                None => (text),
                            }
                        }
                    }
                },
                Block::List { ordered: true, start, items } => ol start=(start) {
                    @for item in items { li { (self::blocks(item, names)) } }
                },
                Block::List { items, .. } => ul {
                    @for item in items { li { (self::blocks(item, names)) } }
                },
            }
        }
    }
}

/// Renders parsed inline content.
pub fn inlines(content: &[Inline], names: &Names) -> Markup {
    html! {
        @for inline in content {
            @match inline {
                Inline::Text(text) => (text),
                Inline::Break => br;,
                Inline::Bold(inner) => strong { (inlines(inner, names)) },
                Inline::Italic(inner) => em { (inlines(inner, names)) },
                Inline::Underline(inner) => u { (inlines(inner, names)) },
                Inline::Strike(inner) => s { (inlines(inner, names)) },
                Inline::Spoiler(inner) => span.spoiler tabindex="0" { (inlines(inner, names)) },
                Inline::Code(code) => code { (code) },
                Inline::Link { label, url } => a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (inlines(label, names)) },
                Inline::User(id) => span.mention { "@" (names.users.get(id).cloned().unwrap_or_else(|| id.to_string())) },
                Inline::Role(id) => span.mention { "@" (names.roles.get(id).cloned().unwrap_or_else(|| format!("role {id}"))) },
                Inline::Channel(id) => span.mention { "#" (names.channels.get(id).cloned().unwrap_or_else(|| id.to_string())) },
                Inline::MassMention(word) => span.mention { (word) },
                Inline::Emoji { name, .. } => span.emoji title=(format!(":{name}:")) { ":" (name) ":" },
                Inline::Timestamp { unix, style } => @match Utc.timestamp_opt(*unix, 0).single() {
                    Some(at) => (time(&at, *style)),
                    None => (unix),
                },
            }
        }
    }
}

/// A time in UTC on the server; the page's script shows it in the reader's zone.
pub(super) fn time(at: &DateTime<Utc>, style: char) -> Markup {
    let shown = match style {
        't' => at.format("%H:%M UTC").to_string(),
        'T' => at.format("%H:%M:%S UTC").to_string(),
        'd' => at.format("%Y-%m-%d").to_string(),
        'D' => at.format("%d %B %Y").to_string(),
        'F' => at.format("%A, %d %B %Y %H:%M UTC").to_string(),
        'R' => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        _ => at.format("%d %B %Y %H:%M UTC").to_string(),
    };
    html! { time datetime=(at.to_rfc3339()) data-style=(style.to_string()) { (shown) } }
}
