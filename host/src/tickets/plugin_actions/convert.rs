//! A plugin's answer and messages as the core's UI types: custom ids namespaced to the plugin
//! and ticket, and every part checked against Discord's limits.

use crate::plugins::contract as c;
use crate::tickets::plugin_ids::{PluginCustomId, PluginIdKind};
use crate::ui::{self, ButtonStyle, Component, OutMessage, Reply};

/// The core's style for a plugin's button style.
pub fn style(style: c::ButtonStyle) -> ButtonStyle {
    match style {
        c::ButtonStyle::Primary => ButtonStyle::Primary,
        c::ButtonStyle::Secondary => ButtonStyle::Secondary,
        c::ButtonStyle::Success => ButtonStyle::Success,
        c::ButtonStyle::Danger => ButtonStyle::Danger,
    }
}

/// The plugin's reply as the core's, with its custom ids namespaced; the error says what is
/// wrong with it.
pub fn to_reply(plugin: &str, ticket: i64, reply: c::Reply) -> Result<Reply, String> {
    Ok(match reply {
        c::Reply::Message((message, ephemeral)) => Reply::Message {
            message: to_message(plugin, ticket, message)?,
            ephemeral,
        },
        c::Reply::Update(message) => Reply::Update(to_message(plugin, ticket, message)?),
        c::Reply::Modal(modal) => {
            if modal.inputs.is_empty() || modal.inputs.len() > 5 {
                return Err("a modal has 1 to 5 inputs".into());
            }
            let custom_id = PluginCustomId {
                plugin: plugin.to_owned(),
                ticket,
                kind: PluginIdKind::Modal,
                suffix: modal.custom_id,
            }
            .render()?;
            Reply::Modal {
                custom_id,
                title: modal.title.chars().take(45).collect(),
                inputs: modal
                    .inputs
                    .into_iter()
                    .map(|input| ui::TextInput {
                        custom_id: input.id,
                        label: input.label.chars().take(45).collect(),
                        paragraph: input.paragraph,
                        required: input.required,
                        min_length: input.min_length.min(input.max_length.clamp(1, 4000)),
                        max_length: input.max_length.clamp(1, 4000),
                        placeholder: input.placeholder.filter(|p| !p.trim().is_empty()),
                    })
                    .collect(),
            }
        }
    })
}

/// A plugin's message as the core's, checked against Discord's limits.
pub fn to_message(plugin: &str, ticket: i64, message: c::Message) -> Result<OutMessage, String> {
    if message.rows.len() > 5 || message.embeds.len() > 10 {
        return Err("a message has at most 5 rows and 10 embeds".into());
    }
    let id = |suffix: String| {
        PluginCustomId {
            plugin: plugin.to_owned(),
            ticket,
            kind: PluginIdKind::Component,
            suffix,
        }
        .render()
    };
    let mut out = OutMessage {
        content: message.content.map(|c| c.chars().take(2000).collect()),
        embeds: message
            .embeds
            .into_iter()
            .map(|e| ui::Embed {
                title: e.title,
                description: e.description,
                color: e.color,
                fields: e
                    .fields
                    .into_iter()
                    .take(25)
                    .map(|f| (f.name, f.value, f.inline))
                    .collect(),
                footer: e.footer,
            })
            .collect(),
        rows: Vec::new(),
        files: Vec::new(),
        pings: ui::Pings::default(),
    };
    for row in message.rows {
        if row.is_empty() || row.len() > 5 {
            return Err("a row has 1 to 5 components".into());
        }
        let mut components = Vec::new();
        for component in row {
            components.push(match component {
                c::Component::Button(b) => Component::Button {
                    custom_id: id(b.custom_id)?,
                    label: b.label.chars().take(80).collect(),
                    emoji: b.emoji,
                    style: style(b.style),
                    disabled: b.disabled,
                },
                c::Component::Link((label, url)) => {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(format!("a link button needs an http(s) URL, not {url:?}"));
                    }
                    Component::Link { label, url }
                }
                c::Component::Select(s) => {
                    if s.options.is_empty() || s.options.len() > 25 {
                        return Err("a select has 1 to 25 options".into());
                    }
                    if s.options
                        .iter()
                        .any(|o| o.value.is_empty() || o.value.chars().count() > 100)
                    {
                        return Err("a select option's value has 1 to 100 characters".into());
                    }
                    Component::Select {
                        custom_id: id(s.custom_id)?,
                        placeholder: s.placeholder,
                        options: s
                            .options
                            .into_iter()
                            .map(|o| ui::SelectOption {
                                value: o.value,
                                label: o.label,
                                description: o.description,
                                emoji: o.emoji,
                            })
                            .collect(),
                    }
                }
            });
        }
        out.rows.push(components);
    }
    Ok(out)
}
