//! How a trial tells what happened: messages, answers and effects in words, as they would
//! reach Discord.

use crate::plugins::contract as c;

use super::world::{person_by_id, TICKET_CHANNEL};

/// Someone by name, when they are in the cast.
pub fn who(id: u64) -> String {
    person_by_id(id).map_or_else(
        || format!("<@{id}>"),
        |p| format!("{} ({})", p.name, p.role),
    )
}

/// A channel by name.
pub fn channel(id: u64) -> String {
    if id == TICKET_CHANNEL {
        "the ticket's channel".into()
    } else {
        format!("channel {id}")
    }
}

/// A message in one line: its text, embeds and components.
pub fn message(m: &c::Message) -> String {
    let mut parts = Vec::new();
    if let Some(content) = &m.content {
        parts.push(format!("{content:?}"));
    }
    for embed in &m.embeds {
        let mut text = String::from("[embed");
        if let Some(title) = &embed.title {
            text.push_str(&format!(" {title:?}"));
        }
        if let Some(description) = &embed.description {
            text.push_str(&format!(": {description:?}"));
        }
        for field in &embed.fields {
            text.push_str(&format!("; {}: {}", field.name, field.value));
        }
        if let Some(footer) = &embed.footer {
            text.push_str(&format!("; footer {footer:?}"));
        }
        text.push(']');
        parts.push(text);
    }
    for row in &m.rows {
        let items: Vec<String> = row
            .iter()
            .map(|component| match component {
                c::Component::Button(b) => format!(
                    "button {:?} → {}{}",
                    b.label,
                    b.custom_id,
                    if b.disabled { " (disabled)" } else { "" }
                ),
                c::Component::Link((label, url)) => format!("link {label:?} → {url}"),
                c::Component::Select(s) => format!(
                    "select {} ({})",
                    s.custom_id,
                    s.options
                        .iter()
                        .map(|o| o.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect();
        parts.push(format!("[{}]", items.join(" | ")));
    }
    if parts.is_empty() {
        "(an empty message)".into()
    } else {
        parts.join(" ")
    }
}

/// The text of a message expectations look into: its content and its embeds' words.
pub fn searchable(m: &c::Message) -> String {
    let mut text = m.content.clone().unwrap_or_default();
    for embed in &m.embeds {
        for part in [&embed.title, &embed.description, &embed.footer]
            .into_iter()
            .flatten()
        {
            text.push('\n');
            text.push_str(part);
        }
        for field in &embed.fields {
            text.push('\n');
            text.push_str(&field.name);
            text.push('\n');
            text.push_str(&field.value);
        }
    }
    text
}

/// The answer to the user, in words.
pub fn reply(reply: &c::Reply) -> String {
    match reply {
        c::Reply::Message((m, true)) => format!("answers privately: {}", message(m)),
        c::Reply::Message((m, false)) => format!("answers in the channel: {}", message(m)),
        c::Reply::Update(m) => format!("replaces the message the component is on: {}", message(m)),
        c::Reply::Modal(form) => format!(
            "opens the form {:?} ({}): {}",
            form.title,
            form.custom_id,
            form.inputs
                .iter()
                .map(|i| format!(
                    "{} {:?}{}",
                    i.id,
                    i.label,
                    if i.required { "" } else { " (optional)" }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Where a post goes, in words.
pub fn post_target(target: &c::Channel) -> String {
    match target {
        c::Channel::Ticket => "the ticket's channel".into(),
        c::Channel::Log => "the guild's log channel".into(),
        c::Channel::Setting(key) => format!("the channel setting {key:?} names"),
    }
}

/// A timer's delay in words.
pub fn delay(ms: u64) -> String {
    match ms {
        ms if ms % 86_400_000 == 0 && ms > 0 => format!("{} d", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 && ms > 0 => format!("{} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 && ms > 0 => format!("{} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_one_line() {
        let m = c::Message {
            content: Some("You rolled 4".into()),
            embeds: Vec::new(),
            rows: vec![vec![c::Component::Button(c::Button {
                custom_id: "again".into(),
                label: "Again".into(),
                emoji: None,
                style: c::ButtonStyle::Primary,
                disabled: false,
            })]],
        };
        assert_eq!(message(&m), "\"You rolled 4\" [button \"Again\" → again]");
        assert_eq!(delay(90_000), "90 s");
        assert_eq!(delay(300_000), "5 min");
        assert_eq!(delay(1500), "1500 ms");
    }
}
