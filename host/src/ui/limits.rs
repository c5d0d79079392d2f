//! Discord's limits on a message, and cutting a message to fit them. Texts are cut on
//! character boundaries and end with "…" so a reader sees that something was left out; what
//! cannot be cut (more rows or options than allowed) is dropped from the end.
//!
//! The numbers are Discord's (API reference: message, embed and component limits).

use super::{Component, Embed, OutMessage};

/// Characters of a message's text.
pub const CONTENT: usize = 2000;
/// Embeds per message.
pub const EMBEDS: usize = 10;
/// Characters of an embed title.
pub const TITLE: usize = 256;
/// Characters of an embed description.
pub const DESCRIPTION: usize = 4096;
/// Fields per embed.
pub const FIELDS: usize = 25;
/// Characters of a field name.
pub const FIELD_NAME: usize = 256;
/// Characters of a field value.
pub const FIELD_VALUE: usize = 1024;
/// Characters of an embed footer.
pub const FOOTER: usize = 2048;
/// Characters of all embeds of a message together.
pub const EMBED_TOTAL: usize = 6000;
/// Action rows per message.
pub const ROWS: usize = 5;
/// Buttons per row.
pub const BUTTONS_PER_ROW: usize = 5;
/// Characters of a button label.
pub const BUTTON_LABEL: usize = 80;
/// Options of a select menu.
pub const SELECT_OPTIONS: usize = 25;
/// Characters of an option's label, value and description.
pub const OPTION_TEXT: usize = 100;
/// Characters of a select menu's placeholder.
pub const PLACEHOLDER: usize = 150;
/// Characters of a modal's title and of a text input's label.
pub const MODAL_TITLE: usize = 45;
/// Characters of a text input's placeholder.
pub const INPUT_PLACEHOLDER: usize = 100;

/// `text` cut to `max` characters, ending with "…" when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A field name or value: Discord refuses empty ones, so an empty one becomes a dash.
fn field_text(text: &str, max: usize) -> String {
    if text.trim().is_empty() {
        "-".to_owned()
    } else {
        cut(text, max)
    }
}

fn embed_size(e: &Embed) -> usize {
    let len = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
    len(&e.title)
        + len(&e.description)
        + len(&e.footer)
        + e.fields
            .iter()
            .map(|(n, v, _)| n.chars().count() + v.chars().count())
            .sum::<usize>()
}

fn fit_embed(e: &Embed) -> Embed {
    Embed {
        title: e.title.as_deref().map(|t| cut(t, TITLE)),
        description: e.description.as_deref().map(|d| cut(d, DESCRIPTION)),
        color: e.color,
        fields: e
            .fields
            .iter()
            .take(FIELDS)
            .map(|(n, v, inline)| {
                (
                    field_text(n, FIELD_NAME),
                    field_text(v, FIELD_VALUE),
                    *inline,
                )
            })
            .collect(),
        footer: e.footer.as_deref().map(|f| cut(f, FOOTER)),
    }
}

/// `message` within every limit above.
pub fn fit(message: &OutMessage) -> OutMessage {
    let mut embeds: Vec<Embed> = message.embeds.iter().take(EMBEDS).map(fit_embed).collect();
    // All embeds together: shorten descriptions from the last embed back, then drop fields
    // from the end, then whole embeds from the end.
    let total = |embeds: &[Embed]| embeds.iter().map(embed_size).sum::<usize>();
    for i in (0..embeds.len()).rev() {
        let over = total(&embeds).saturating_sub(EMBED_TOTAL);
        if over == 0 {
            break;
        }
        if let Some(d) = &embeds[i].description {
            let keep = d.chars().count().saturating_sub(over + 1);
            embeds[i].description = Some(cut(d, keep.max(1)));
        }
    }
    while total(&embeds) > EMBED_TOTAL {
        match embeds.last_mut() {
            Some(last) if !last.fields.is_empty() => {
                last.fields.pop();
            }
            Some(_) => {
                embeds.pop();
            }
            None => break,
        }
    }
    let rows = message
        .rows
        .iter()
        .take(ROWS)
        .map(|row| {
            row.iter()
                .take(BUTTONS_PER_ROW)
                .map(|component| match component {
                    Component::Button {
                        custom_id,
                        label,
                        emoji,
                        style,
                        disabled,
                    } => Component::Button {
                        custom_id: custom_id.clone(),
                        label: cut(label, BUTTON_LABEL),
                        emoji: emoji.clone(),
                        style: *style,
                        disabled: *disabled,
                    },
                    Component::Link { label, url } => Component::Link {
                        label: cut(label, BUTTON_LABEL),
                        url: url.clone(),
                    },
                    Component::Select {
                        custom_id,
                        placeholder,
                        options,
                    } => Component::Select {
                        custom_id: custom_id.clone(),
                        placeholder: cut(placeholder, PLACEHOLDER),
                        options: options
                            .iter()
                            .take(SELECT_OPTIONS)
                            .map(|o| super::SelectOption {
                                value: o.value.clone(),
                                label: cut(&o.label, OPTION_TEXT),
                                description: o.description.as_deref().map(|d| cut(d, OPTION_TEXT)),
                                emoji: o.emoji.clone(),
                            })
                            .collect(),
                    },
                })
                .collect()
        })
        .collect();
    OutMessage {
        content: message.content.as_deref().map(|c| cut(c, CONTENT)),
        embeds,
        rows,
        files: message.files.clone(),
        pings: message.pings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_past_every_limit_fits() {
        let long = "é".repeat(10_000);
        let mut embed = Embed::new(long.clone(), long.clone());
        for _ in 0..30 {
            embed = embed.field(long.clone(), "", false);
        }
        embed.footer = Some(long.clone());
        let message = OutMessage {
            content: Some(long.clone()),
            embeds: vec![embed; 12],
            ..OutMessage::default()
        };
        let fitted = fit(&message);
        assert_eq!(fitted.content.as_ref().unwrap().chars().count(), CONTENT);
        assert!(fitted.content.as_ref().unwrap().ends_with('…'));
        assert!(fitted.embeds.len() <= EMBEDS);
        let total: usize = fitted.embeds.iter().map(embed_size).sum();
        assert!(total <= EMBED_TOTAL, "{total}");
        for e in &fitted.embeds {
            assert!(e.title.as_ref().unwrap().chars().count() <= TITLE);
            assert!(e.fields.len() <= FIELDS);
            assert!(e.fields.iter().all(|(n, v, _)| !n.is_empty() && v == "-"));
        }
        // A message within the limits is left as it is.
        let small = OutMessage::embed(Embed::new("t", "d").field("n", "v", true));
        assert_eq!(fit(&small), small);
    }
}
