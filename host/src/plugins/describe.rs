//! A plugin described from its manifest alone, as Markdown: its buttons, capabilities, events
//! and settings (kind, bounds, default, help), in one language. `ticketbot plugins` prints it,
//! so an operator reads what a component asks for before granting it, and the README's tables
//! come from the plugins themselves.

use std::fmt::Write;

use super::contract::{pick, Audience, Manifest, SettingKind, Subscription, ValueKind, Version};

fn audience(a: Audience) -> &'static str {
    match a {
        Audience::Opener => "the opener",
        Audience::Staff => "staff",
        Audience::Participants => "participants",
        Audience::Anyone => "anyone",
    }
}

fn subscription(s: Subscription) -> &'static str {
    match s {
        Subscription::VoiceState => "voice changes in its channels",
        Subscription::TicketClosed => "ticket closed",
        Subscription::TicketOpened => "ticket opened",
        Subscription::TicketMessages => "messages in tickets",
        Subscription::Claims => "claims",
        Subscription::MembersLeft => "members leaving",
    }
}

/// `manifest` (of a plugin built against `version`) as Markdown in `locale`.
pub fn markdown(manifest: &Manifest, version: Version, locale: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} (`{}` {}, contract {})\n",
        pick(&manifest.name, locale),
        manifest.id,
        if manifest.version.is_empty() {
            "-"
        } else {
            &manifest.version
        },
        version.tag()
    );
    if !manifest.buttons.is_empty() {
        let buttons: Vec<String> = manifest
            .buttons
            .iter()
            .map(|b| {
                format!(
                    "{}*{}* (`{}`, {})",
                    b.emoji
                        .as_deref()
                        .map(|e| format!("{e} "))
                        .unwrap_or_default(),
                    pick(&b.label, locale),
                    b.id,
                    audience(b.audience)
                )
            })
            .collect();
        let _ = writeln!(out, "Buttons: {}\n", buttons.join(", "));
    }
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let _ = writeln!(
        out,
        "Capabilities: {}\n",
        list(
            manifest
                .capabilities
                .iter()
                .map(|c| format!("`{c}`"))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "Events: {}\n",
        list(
            manifest
                .subscriptions
                .iter()
                .map(|s| subscription(*s).to_owned())
                .collect()
        )
    );
    if !manifest.settings.is_empty() {
        let _ = writeln!(
            out,
            "| Setting | Kind | Default | What it does |\n|---|---|---|---|"
        );
        for s in &manifest.settings {
            let default = pick(&s.default, locale);
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                s.key,
                kind(&s.kind, locale),
                if default.is_empty() {
                    "required".to_owned()
                } else {
                    format!("`{default}`")
                },
                pick(&s.help, locale).replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    for form in &manifest.questions {
        let types = if form.ticket_types.is_empty() {
            "every ticket type".to_owned()
        } else {
            form.ticket_types.join(", ")
        };
        let questions: Vec<String> = form
            .questions
            .iter()
            .map(|q| format!("\"{}\"", pick(&q.label, locale)))
            .collect();
        let _ = writeln!(
            out,
            "Asks when a ticket opens ({types}): {}\n",
            questions.join(", ")
        );
    }
    out
}

fn value(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Text(b) => format!("text ({}-{} characters)", b.min_length, b.max_length),
        ValueKind::Integer(b) => format!("integer {}-{}", b.min, b.max),
        ValueKind::Boolean => "true or false".into(),
        ValueKind::Duration(b) => format!("duration {}-{} s (`90`, `\"5m\"`)", b.min, b.max),
        ValueKind::Channel => "channel id".into(),
        ValueKind::Category => "category id".into(),
        ValueKind::Role => "role id".into(),
        ValueKind::Choice(words) => format!("one of {}", words.join(", ")),
    }
}

fn kind(kind: &SettingKind, locale: &str) -> String {
    match kind {
        SettingKind::Single(k) => value(k),
        SettingKind::Many((k, max)) => format!("list of up to {max}: {}", value(k)),
        SettingKind::Table((columns, max)) => {
            let columns: Vec<String> = columns
                .iter()
                .map(|c| {
                    format!(
                        "`{}` ({}: {})",
                        c.key,
                        pick(&c.label, locale),
                        value(&c.kind)
                    )
                })
                .collect();
            format!("up to {max} rows of {}", columns.join(", "))
        }
    }
}
