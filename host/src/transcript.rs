//! The transcript page of a ticket: one self-contained, escaped HTML document built from the
//! captured messages, the ticket's facts and its staff notes. Nothing in it loads from elsewhere.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::locale::Texts;
use crate::store::{CapturedMessage, NoteRecord, TicketRecord};

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
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;padding:24px}\
header{border-bottom:1px solid #4e5058;margin-bottom:16px}h1{font-size:20px;color:#f2f3f5}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dt{color:#b5bac1}\
.note{background:#3f4147;border-left:3px solid #f0b232;padding:6px 10px;margin:6px 0}\
.msg{padding:6px 0}.author{font-weight:600;color:#f2f3f5}.bot{font-size:11px;background:#5865f2;color:#fff;border-radius:3px;padding:0 4px;margin-left:4px}\
time{color:#949ba4;font-size:12px;margin-left:6px}.content{white-space:pre-wrap;overflow-wrap:anywhere}\
.deleted{opacity:.6}.tag{color:#949ba4;font-size:12px}.embed{border-left:4px solid #5865f2;background:#2b2d31;padding:6px 10px;margin-top:4px}\
a{color:#00a8fc}";

fn time(at: &DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        at.to_rfc3339(),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// Renders the page.
pub fn render(input: &TranscriptInput<'_>) -> String {
    let t = input.texts;
    let ticket = input.ticket;
    let names: HashMap<u64, &str> = input
        .messages
        .iter()
        .map(|m| (m.author_id, m.author_name.as_str()))
        .collect();
    let name = |id: u64| {
        names
            .get(&id)
            .map_or_else(|| id.to_string(), |n| format!("{} ({id})", n))
    };
    let title = t.get(
        "transcript-title",
        &[
            ("number", &ticket.number.to_string()),
            ("type", input.type_label),
        ],
    );
    let mut page = String::with_capacity(4096 + input.messages.len() * 256);
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{} · {}</title><style>{STYLE}</style></head><body><header><h1>{}</h1><dl>",
        escape(&title),
        escape(input.guild_name),
        escape(&title)
    );
    let mut fact = |label: &str, value: String| {
        let _ = write!(
            page,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&t.get(label, &[])),
            value
        );
    };
    fact("field-opened-by", escape(&name(ticket.opener_id)));
    fact("field-opened-at", time(&ticket.opened_at));
    fact("field-closed-at", time(&input.closed_at));
    fact(
        "field-closed-by",
        ticket
            .closed_by
            .map_or_else(|| escape(&t.get("nobody", &[])), |id| escape(&name(id))),
    );
    fact(
        "field-claimed-by",
        ticket
            .claimed_by
            .map_or_else(|| escape(&t.get("nobody", &[])), |id| escape(&name(id))),
    );
    if let Some(reason) = &ticket.close_reason {
        fact("field-reason", escape(reason));
    }
    page.push_str("</dl>");
    if !input.notes.is_empty() {
        let _ = write!(page, "<h2>{}</h2>", escape(&t.get("transcript-notes", &[])));
        for note in input.notes {
            let _ = write!(
                page,
                "<div class=\"note\"><span class=\"author\">{}</span>{}<div class=\"content\">{}</div></div>",
                escape(&name(note.author_id)),
                time(&note.created_at),
                escape(&note.body)
            );
        }
    }
    let _ = write!(
        page,
        "</header><main><h2>{}</h2>",
        escape(&t.get("transcript-messages", &[]))
    );
    if input.messages.is_empty() {
        let _ = write!(page, "<p>{}</p>", escape(&t.get("transcript-empty", &[])));
    }
    for message in input.messages {
        let class = if message.deleted {
            "msg deleted"
        } else {
            "msg"
        };
        let _ = write!(
            page,
            "<article class=\"{class}\" id=\"m{}\"><span class=\"author\">{}</span>",
            message.message_id,
            escape(&message.author_name)
        );
        if message.author_bot {
            page.push_str("<span class=\"bot\">BOT</span>");
        }
        page.push_str(&time(&message.sent_at));
        if message.deleted {
            let _ = write!(
                page,
                " <span class=\"tag\">({})</span>",
                escape(&t.get("transcript-deleted", &[]))
            );
        }
        let _ = write!(
            page,
            "<div class=\"content\">{}</div>",
            escape(&message.content)
        );
        for embed in message.embeds.as_array().into_iter().flatten() {
            let title = embed["title"].as_str().unwrap_or_default();
            let description = embed["description"].as_str().unwrap_or_default();
            let _ = write!(page, "<div class=\"embed\"><div class=\"author\">{}</div><div class=\"content\">{}</div>", escape(title), escape(description));
            for field in embed["fields"].as_array().into_iter().flatten() {
                let _ = write!(
                    page,
                    "<div><b>{}</b>: {}</div>",
                    escape(field["name"].as_str().unwrap_or_default()),
                    escape(field["value"].as_str().unwrap_or_default())
                );
            }
            page.push_str("</div>");
        }
        for attachment in message.attachments.as_array().into_iter().flatten() {
            let filename = attachment["filename"].as_str().unwrap_or("file");
            let url = attachment["url"].as_str().unwrap_or_default();
            let safe = url.starts_with("https://") || url.starts_with("http://");
            if safe {
                let _ = write!(
                    page,
                    "<div>📎 <a href=\"{}\" rel=\"noopener noreferrer\">{}</a></div>",
                    escape(url),
                    escape(filename)
                );
            } else {
                let _ = write!(page, "<div>📎 {}</div>", escape(filename));
            }
        }
        page.push_str("</article>");
    }
    page.push_str("</main></body></html>");
    page
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
        }];
        let page = render(&TranscriptInput {
            guild_name: "G",
            type_label: "Support",
            ticket: &ticket,
            closed_at: Utc::now(),
            notes: &[],
            messages: &messages,
            texts: &texts,
        });
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>done"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"));
        assert!(page.contains("Ticket #3 · Support"));
    }
}
