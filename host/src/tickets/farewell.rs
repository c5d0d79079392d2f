//! The messages a ticket's end sends, built from plain data like the welcome: the DM to the
//! opener (for a close) and the log channel's summary with the transcript attached.

use chrono::{DateTime, Utc};

use super::welcome::TICKET_COLOR;
use crate::locale::Texts;
use crate::store::{Answer, NoteRecord};
use crate::ui::{Embed, OutMessage};

/// How a ticket ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ending {
    /// Staff closed it.
    Closed,
    /// Its opener cancelled it.
    Cancelled,
    /// Its channel was deleted by hand.
    Orphaned,
}

/// What the end's messages say.
pub(super) struct Ended<'a> {
    pub ending: Ending,
    pub number: i32,
    pub type_label: &'a str,
    pub guild_name: &'a str,
    /// The transcript's link and token.
    pub link: &'a str,
    pub token: &'a str,
    pub opener: u64,
    /// Who closed it (none for an orphan).
    pub closed_by: Option<u64>,
    pub claimed_by: Option<u64>,
    pub opened_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub reason: Option<&'a str>,
    pub notes: &'a [NoteRecord],
    /// The answers to the opening questions.
    pub answers: &'a [Answer],
    /// Whether the DM reached the opener (closes only).
    pub dm_delivered: Option<bool>,
    /// Set when the transcript is the plain page.
    pub plain_notice: Option<&'a str>,
}

/// Most characters of the notes shown in the log (a field holds 1,024).
const NOTES_SHOWN: usize = 1000;

fn format_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

fn discord_time(at: DateTime<Utc>) -> String {
    format!("<t:{}:f>", at.timestamp())
}

fn who(texts: &Texts, id: Option<u64>) -> String {
    id.map_or_else(|| texts.get("nobody", &[]), |id| format!("<@{id}>"))
}

fn reason(texts: &Texts, ended: &Ended<'_>) -> String {
    ended
        .reason
        .map_or_else(|| texts.get("no-reason", &[]), str::to_owned)
}

/// The DM telling the opener their ticket was closed, with the transcript's link.
pub(super) fn close_dm(texts: &Texts, ended: &Ended<'_>) -> OutMessage {
    let number = ended.number.to_string();
    OutMessage::embed(
        Embed::new(
            texts.get("dm-closed-title", &[("number", &number)]),
            texts.get(
                "dm-closed-description",
                &[("guild", ended.guild_name), ("link", ended.link)],
            ),
        )
        .color(TICKET_COLOR)
        .field(
            texts.get("field-closed-by", &[]),
            who(texts, ended.closed_by),
            true,
        )
        .field(
            texts.get("field-closed-at", &[]),
            discord_time(ended.ended_at),
            true,
        )
        .field(texts.get("field-reason", &[]), reason(texts, ended), false),
    )
}

/// The log channel's summary of the end, with the transcript page attached.
pub(super) fn close_log(texts: &Texts, ended: &Ended<'_>, page: Vec<u8>) -> OutMessage {
    let number = ended.number.to_string();
    let title_key = match ended.ending {
        Ending::Closed => "log-closed-title",
        Ending::Cancelled => "log-cancelled-title",
        Ending::Orphaned => "log-orphaned-title",
    };
    let notes = if ended.notes.is_empty() {
        texts.get("nobody", &[])
    } else {
        let text = ended
            .notes
            .iter()
            .map(|n| format!("• <@{}>: {}", n.author_id, n.body))
            .collect::<Vec<_>>()
            .join("\n");
        crate::ui::limits::cut(&text, NOTES_SHOWN)
    };
    let mut embed = Embed {
        title: Some(texts.get(title_key, &[("number", &number)])),
        ..Embed::default()
    }
    .color(TICKET_COLOR)
    .field(
        texts.get("field-identifier", &[]),
        format!("#{number}"),
        true,
    )
    .field(texts.get("field-type", &[]), ended.type_label, true)
    .field(texts.get("field-transcript", &[]), ended.link, false)
    .field(
        texts.get("field-token", &[]),
        format!("`{}`", ended.token),
        false,
    )
    .field(
        texts.get("field-opened-by", &[]),
        who(texts, Some(ended.opener)),
        true,
    )
    .field(
        texts.get("field-closed-by", &[]),
        who(texts, ended.closed_by),
        true,
    )
    .field(
        texts.get("field-claimed-by", &[]),
        who(texts, ended.claimed_by),
        true,
    )
    .field(
        texts.get("field-opened-at", &[]),
        discord_time(ended.opened_at),
        true,
    )
    .field(
        texts.get("field-closed-at", &[]),
        discord_time(ended.ended_at),
        true,
    )
    .field(
        texts.get("field-duration", &[]),
        format_duration((ended.ended_at - ended.opened_at).num_seconds().max(0)),
        true,
    );
    if ended.ending == Ending::Closed {
        embed = embed.field(texts.get("field-reason", &[]), reason(texts, ended), false);
    }
    embed = embed.field(texts.get("field-notes", &[]), notes, false);
    for answer in ended.answers.iter().take(5) {
        let value: String = answer.value.chars().take(1024).collect();
        embed = embed.field(answer.label.clone(), value, false);
    }
    if let Some(delivered) = ended.dm_delivered {
        let key = if delivered {
            "dm-delivered"
        } else {
            "dm-refused"
        };
        embed = embed.field(texts.get("field-dm", &[]), texts.get(key, &[]), false);
    }
    if let Some(notice) = ended.plain_notice {
        embed = embed.field(texts.get("field-transcript-plain", &[]), notice, false);
    }
    OutMessage::embed(embed).file(format!("transcript-{number}.html"), page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::{texts_for, Locale};

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(5), "5s");
        assert_eq!(format_duration(65), "1m 5s");
        assert_eq!(format_duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(format_duration(2 * 86_400 + 3600), "2d 1h 0m");
    }

    fn ended<'a>(ending: Ending, notes: &'a [NoteRecord]) -> Ended<'a> {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Ended {
            ending,
            number: 7,
            type_label: "Suporte",
            guild_name: "Cidade",
            link: "https://t.example/api/ticket/abc",
            token: "abc",
            opener: 5,
            closed_by: Some(6),
            claimed_by: None,
            opened_at: at,
            ended_at: at + chrono::Duration::seconds(3725),
            reason: Some("resolvido"),
            notes,
            answers: &[],
            dm_delivered: Some(false),
            plain_notice: None,
        }
    }

    #[test]
    fn the_close_log_and_dm_in_pt_br() {
        let texts = texts_for(Locale::PtBr, &Default::default());
        let long = NoteRecord {
            author_id: 6,
            body: "x".repeat(3000),
            created_at: Utc::now(),
        };
        let notes = [long];
        let log = close_log(&texts, &ended(Ending::Closed, &notes), b"<html>".to_vec());
        let embed = &log.embeds[0];
        let field = |name: &str| {
            embed
                .fields
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, v, _)| v.clone())
        };
        assert_eq!(field("Identificador").as_deref(), Some("#7"));
        assert_eq!(field("Duração").as_deref(), Some("1h 2m"));
        assert_eq!(field("Motivo").as_deref(), Some("resolvido"));
        assert_eq!(field("Notas").unwrap().chars().count(), NOTES_SHOWN);
        assert!(field("DM para quem abriu").is_some());
        assert_eq!(log.files[0].name, "transcript-7.html");
        // A cancel has no reason field; the DM goes only with a close.
        let cancelled = close_log(&texts, &ended(Ending::Cancelled, &[]), Vec::new());
        assert!(cancelled.embeds[0]
            .fields
            .iter()
            .all(|(n, _, _)| n != "Motivo"));
        let dm = close_dm(&texts, &ended(Ending::Closed, &[]));
        assert!(dm.embeds[0]
            .description
            .as_deref()
            .unwrap()
            .contains("https://t.example/api/ticket/abc"));
    }
}
