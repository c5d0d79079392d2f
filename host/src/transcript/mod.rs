//! Transcripts: a ticket's captured messages, facts and notes as one self-contained HTML page.
//!
//! `markdown` parses Discord's markdown, `highlight` colours code on the server, `model` is what
//! a page shows (from captured messages or Discord API JSON), `page` renders it with typed
//! templates. Pages are stored gzip-compressed and served as stored. A close renders through
//! [`render_bounded`]: off the async workers, with a time limit, falling back to the `plain`
//! page if the renderer fails, so a ticket always ends with its messages kept.

pub mod highlight;
pub mod markdown;
pub mod model;
pub mod page;
pub mod plain;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::locale::Texts;
use crate::store::{CapturedMessage, NoteRecord, TicketRecord};
use model::{Author, MessageView, Names};
use page::{Fact, HeaderNote, Page, PageTexts};

/// Everything a transcript shows.
pub struct TranscriptInput<'a> {
    /// The guild's name.
    pub guild_name: &'a str,
    /// The ticket type's label.
    pub type_label: &'a str,
    /// The ticket.
    pub ticket: &'a TicketRecord,
    /// When it ended (now, for a close in progress).
    pub closed_at: DateTime<Utc>,
    /// Staff notes.
    pub notes: &'a [NoteRecord],
    /// Captured messages, oldest first.
    pub messages: &'a [CapturedMessage],
    /// The guild's texts.
    pub texts: &'a Texts,
    /// The guild's language tag.
    pub lang: &'a str,
    /// Kept copies of attachments: original URL → content hash.
    pub files: &'a std::collections::HashMap<String, String>,
    /// The transcript's token (for links to kept files).
    pub token: &'a str,
    /// Names of the guild's roles and channels, for mentions (users come from the messages).
    pub names: &'a Names,
}

/// The page's labels in the guild's language.
fn page_texts(t: &Texts) -> PageTexts {
    PageTexts {
        messages: t.get("transcript-messages", &[]),
        notes: t.get("transcript-notes", &[]),
        empty: t.get("transcript-empty", &[]),
        search: t.get("transcript-search", &[]),
        edited: format!("({})", t.get("transcript-edited", &[])),
        deleted: format!("({})", t.get("transcript-deleted", &[])),
        theme: t.get("transcript-theme", &[]),
    }
}

/// A captured message as the page shows it.
fn captured_view(message: &CapturedMessage) -> MessageView {
    MessageView {
        id: message.message_id,
        author: Author {
            id: message.author_id,
            name: message.author_name.clone(),
            bot: message.author_bot,
            avatar: None,
            avatar_local: None,
        },
        sent_at: message.sent_at,
        edited_at: message.edited_at,
        deleted: message.deleted,
        content: message.content.clone(),
        embeds: model::embeds_from_api(&message.embeds),
        attachments: model::attachments_from_api(&message.attachments),
        components: Vec::new(),
        reactions: Vec::new(),
        stickers: Vec::new(),
        reply_to: None,
        system: None,
    }
}

/// Renders a ticket's page.
pub fn render(input: &TranscriptInput<'_>) -> String {
    page::render(&prepare(input))
}

/// Why the full renderer did not produce a ticket's page.
#[derive(Debug, thiserror::Error)]
pub enum RenderFailure {
    /// It panicked (a bug: the renderer is meant never to).
    #[error("the transcript renderer panicked: {0}")]
    Panicked(String),
    /// It ran past the limit.
    #[error("the transcript renderer took longer than {0:?}")]
    TimedOut(Duration),
}

/// A rendered page, and why it is the plain one if it is.
pub struct Rendered {
    /// The HTML.
    pub html: String,
    /// Set when the full renderer failed and `html` is the plain page.
    pub failure: Option<RenderFailure>,
}

/// Renders `page` on a blocking thread within `limit`; if the renderer panics or is too slow,
/// the plain page (with `plain_notice` at the top) is returned instead. `inject_panic` makes
/// the renderer panic, for the tests of this path.
pub async fn render_bounded(
    page: Page,
    limit: Duration,
    plain_notice: &str,
    inject_panic: bool,
) -> Rendered {
    let page = Arc::new(page);
    let shared = page.clone();
    let task = tokio::task::spawn_blocking(move || {
        if inject_panic {
            panic!("renderer fault injected by a test");
        }
        page::render(&shared)
    });
    let failure = match tokio::time::timeout(limit, task).await {
        Ok(Ok(html)) => {
            return Rendered {
                html,
                failure: None,
            }
        }
        Ok(Err(join)) => {
            let message = match join.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into()),
                Err(join) => join.to_string(),
            };
            RenderFailure::Panicked(message)
        }
        // The thread finishes on its own; its page is dropped.
        Err(_) => RenderFailure::TimedOut(limit),
    };
    Rendered {
        html: plain::render(&page, plain_notice),
        failure: Some(failure),
    }
}

/// Everything a ticket's page shows, resolved from the store's records and the guild's texts.
pub fn prepare(input: &TranscriptInput<'_>) -> Page {
    let t = input.texts;
    let ticket = input.ticket;
    // Names for mentions: the guild's roles and channels, every author, and every user a
    // message mentioned.
    let mut names = input.names.clone();
    for message in input.messages {
        names
            .users
            .insert(message.author_id, message.author_name.clone());
        for user in message
            .raw
            .as_ref()
            .and_then(|r| r["mentions"].as_array())
            .into_iter()
            .flatten()
        {
            let id = user["id"].as_str().and_then(|i| i.parse().ok());
            let name = user["global_name"].as_str().or(user["username"].as_str());
            if let (Some(id), Some(name)) = (id, name) {
                names.users.entry(id).or_insert_with(|| name.to_owned());
            }
        }
    }
    let messages: Vec<MessageView> = input
        .messages
        .iter()
        .map(|m| {
            match m
                .raw
                .as_ref()
                .and_then(|raw| model::message_from_api(raw, &names))
            {
                Some(mut view) => {
                    view.author.name = m.author_name.clone();
                    view.deleted = m.deleted;
                    view.edited_at = m.edited_at.or(view.edited_at);
                    view
                }
                None => captured_view(m),
            }
        })
        .map(|mut view| {
            if let Some(avatar) = &view.author.avatar {
                let key = format!("avatar:{}:{avatar}", view.author.id);
                view.author.avatar_local = input
                    .files
                    .get(&key)
                    .map(|hash| format!("/api/ticket/{}/files/{hash}", input.token));
            }
            for file in &mut view.attachments {
                let kept = file.url.as_ref().and_then(|url| input.files.get(url));
                file.local = kept.map(|hash| format!("/api/ticket/{}/files/{hash}", input.token));
            }
            view
        })
        .collect();
    let who = |id: Option<u64>| match id {
        Some(id) => names
            .users
            .get(&id)
            .map_or_else(|| id.to_string(), |n| format!("{n} ({id})")),
        None => t.get("nobody", &[]),
    };
    let when = |at: DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let minutes = (input.closed_at - ticket.opened_at).num_minutes().max(0);
    let mut facts = vec![
        Fact {
            label: t.get("field-opened-by", &[]),
            value: who(Some(ticket.opener_id)),
        },
        Fact {
            label: t.get("field-opened-at", &[]),
            value: when(ticket.opened_at),
        },
        Fact {
            label: t.get("field-closed-at", &[]),
            value: when(input.closed_at),
        },
        Fact {
            label: t.get("field-duration", &[]),
            value: format!("{}h {:02}m", minutes / 60, minutes % 60),
        },
        Fact {
            label: t.get("field-closed-by", &[]),
            value: who(ticket.closed_by),
        },
        Fact {
            label: t.get("field-claimed-by", &[]),
            value: who(ticket.claimed_by),
        },
    ];
    if let Some(reason) = &ticket.close_reason {
        facts.push(Fact {
            label: t.get("field-reason", &[]),
            value: reason.clone(),
        });
    }
    if let Some(label) = &ticket.status_label {
        facts.push(Fact {
            label: t.get("welcome-field-status", &[]),
            value: label.clone(),
        });
    }
    for answer in &ticket.answers {
        facts.push(Fact {
            label: answer.label.clone(),
            value: answer.value.clone(),
        });
    }
    let notes = input
        .notes
        .iter()
        .map(|n| HeaderNote {
            title: who(Some(n.author_id)),
            at: Some(n.created_at),
            body: n.body.clone(),
        })
        .collect();
    let title = t.get(
        "transcript-title",
        &[
            ("number", &ticket.number.to_string()),
            ("type", input.type_label),
        ],
    );
    Page {
        title,
        guild: input.guild_name.to_owned(),
        facts,
        notes,
        messages,
        names,
        texts: page_texts(t),
        lang: input.lang.to_owned(),
    }
}

/// Why an offline render failed.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// The input is not a JSON array of messages.
    #[error("the input must be a JSON array of Discord message objects: {0}")]
    NotMessages(String),
}

/// Renders messages as Discord's API returns them (any order; sorted by time and id) with
/// optional names for mentions; for channels exported elsewhere and for benchmarks.
pub fn render_offline(
    messages: &serde_json::Value,
    names: &Names,
    title: &str,
    texts: &Texts,
    lang: &str,
) -> Result<String, OfflineError> {
    let list = messages
        .as_array()
        .ok_or_else(|| OfflineError::NotMessages(format!("found {}", kind(messages))))?;
    let mut views: Vec<MessageView> = list
        .iter()
        .filter_map(|m| model::message_from_api(m, names))
        .collect();
    views.sort_by_key(|m| (m.sent_at, m.id));
    let mut facts = Vec::new();
    if let (Some(first), Some(last)) = (views.first(), views.last()) {
        facts.push(Fact {
            label: t_or(texts, "field-opened-at"),
            value: first.sent_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
        facts.push(Fact {
            label: t_or(texts, "field-closed-at"),
            value: last.sent_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
    }
    facts.push(Fact {
        label: t_or(texts, "transcript-messages"),
        value: views.len().to_string(),
    });
    Ok(page::render(&Page {
        title: title.to_owned(),
        guild: String::new(),
        facts,
        notes: Vec::new(),
        messages: views,
        names: names.clone(),
        texts: page_texts(texts),
        lang: lang.to_owned(),
    }))
}

fn t_or(texts: &Texts, key: &str) -> String {
    texts.get(key, &[])
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Null => "null",
        _ => "something else",
    }
}

/// Compresses a page for storage (gzip): served as stored to clients that accept gzip.
pub fn compress(page: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, page.as_bytes()).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// Decompresses a stored page for clients that do not accept gzip.
pub fn decompress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::{texts_for, Locale};
    use crate::store::TicketStatus;

    #[test]
    fn escapes_everything_users_wrote() {
        let texts = texts_for(Locale::En, &Default::default());
        let ticket = TicketRecord {
            id: 1,
            guild_id: 1,
            number: 3,
            type_id: "support".into(),
            channel_id: Some(9),
            opener_id: 5,
            status: TicketStatus::Closed,
            claimed_by: None,
            opened_at: Utc::now(),
            closed_at: None,
            closed_by: Some(6),
            close_reason: Some("<b>done</b>".into()),
            close_due_at: None,
            welcome_message_id: None,
            transcript_token: "t".into(),
            status_label: Some("<i>waiting</i>".into()),
            answers: vec![crate::store::Answer {
                plugin: "p".into(),
                question: "q".into(),
                label: "<u>Your id</u>".into(),
                value: "<script>x</script>".into(),
            }],
        };
        let messages = vec![CapturedMessage {
            message_id: 1,
            author_id: 5,
            author_name: "<script>alert(1)</script>".into(),
            author_bot: false,
            content: "<img src=x onerror=alert(1)> & \"quotes\"".into(),
            attachments: serde_json::json!([{"filename": "a\".png", "url": "javascript:alert(1)"}]),
            embeds: serde_json::json!([]),
            sent_at: Utc::now(),
            edited_at: None,
            deleted: false,
            raw: None,
        }];
        let page = render(&TranscriptInput {
            guild_name: "G",
            type_label: "Support",
            ticket: &ticket,
            closed_at: Utc::now(),
            notes: &[],
            messages: &messages,
            texts: &texts,
            lang: "en",
            files: &Default::default(),
            token: "t",
            names: &Names::default(),
        });
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>done"), "{page}");
        assert!(
            !page.contains("<i>waiting") && page.contains("&lt;i&gt;waiting"),
            "{page}"
        );
        assert!(
            !page.contains("<u>Your id") && !page.contains("<script>x"),
            "{page}"
        );
        assert!(!page.contains("javascript:"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"));
        assert!(page.contains("Ticket #3 · Support"));
    }
}
