//! Conversions between serenity's types and the bot's own (`ui`, `event`).

use serenity::all::{
    ActionRowComponent, ButtonStyle as SButtonStyle, CommandDataOptionValue,
    ComponentInteractionDataKind, CreateActionRow, CreateAllowedMentions, CreateAttachment,
    CreateButton, CreateEmbed, CreateEmbedFooter, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    CreateModal, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
    EditInteractionResponse, EditMessage, InputTextStyle, Interaction as SInteraction, Member,
    Message, PartialMember, PermissionOverwrite, PermissionOverwriteType, Permissions,
    ReactionType, RoleId, User, UserId,
};

use crate::event::{
    Actor, AttachmentRef, ChatMessage, Interaction, InteractionKind, InteractionRef,
};
use crate::ui::limits::{cut, INPUT_PLACEHOLDER, MODAL_TITLE};
use crate::ui::{
    ButtonStyle, Component, Embed, OutMessage, Overwrite, OverwriteTarget, Pings, Reply,
};

fn emoji(text: &str) -> ReactionType {
    ReactionType::try_from(text).unwrap_or_else(|_| ReactionType::Unicode(text.to_owned()))
}

/// An embed builder.
pub fn embed(e: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new();
    if let Some(title) = &e.title {
        out = out.title(title);
    }
    if let Some(description) = &e.description {
        out = out.description(description);
    }
    if let Some(color) = e.color {
        out = out.color(color);
    }
    for (name, value, inline) in &e.fields {
        out = out.field(name, value, *inline);
    }
    if let Some(footer) = &e.footer {
        out = out.footer(CreateEmbedFooter::new(footer));
    }
    out
}

fn style(s: ButtonStyle) -> SButtonStyle {
    match s {
        ButtonStyle::Primary => SButtonStyle::Primary,
        ButtonStyle::Secondary => SButtonStyle::Secondary,
        ButtonStyle::Success => SButtonStyle::Success,
        ButtonStyle::Danger => SButtonStyle::Danger,
    }
}

/// Action rows.
pub fn rows(rows: &[Vec<Component>]) -> Vec<CreateActionRow> {
    rows.iter()
        .map(|row| {
            if let [Component::Select {
                custom_id,
                placeholder,
                options,
            }] = row.as_slice()
            {
                let options = options
                    .iter()
                    .map(|o| {
                        let mut option = CreateSelectMenuOption::new(&o.label, &o.value);
                        if let Some(d) = &o.description {
                            option = option.description(d);
                        }
                        if let Some(e) = &o.emoji {
                            option = option.emoji(emoji(e));
                        }
                        option
                    })
                    .collect();
                let menu =
                    CreateSelectMenu::new(custom_id, CreateSelectMenuKind::String { options })
                        .placeholder(placeholder);
                return CreateActionRow::SelectMenu(menu);
            }
            let buttons = row
                .iter()
                .filter_map(|c| match c {
                    Component::Button {
                        custom_id,
                        label,
                        emoji: e,
                        style: s,
                        disabled,
                    } => {
                        let mut button = CreateButton::new(custom_id)
                            .label(label)
                            .style(style(*s))
                            .disabled(*disabled);
                        if let Some(e) = e {
                            button = button.emoji(emoji(e));
                        }
                        Some(button)
                    }
                    Component::Link { label, url } => {
                        Some(CreateButton::new_link(url).label(label))
                    }
                    Component::Select { .. } => None,
                })
                .collect();
            CreateActionRow::Buttons(buttons)
        })
        .collect()
}

/// Whom a message may notify: exactly its [`Pings`]; never `@everyone`, `@here`, or the author
/// of a message replied to.
fn allowed_mentions(pings: &Pings) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .users(pings.users.iter().copied().map(UserId::new))
        .roles(pings.roles.iter().copied().map(RoleId::new))
        .replied_user(false)
}

/// A channel message builder (cut to Discord's limits, pinging only whom it says).
pub fn message(m: &OutMessage) -> CreateMessage {
    let m = m.fitted();
    let mut out = CreateMessage::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(&m.rows))
        .allowed_mentions(allowed_mentions(&m.pings))
        .add_files(
            m.files
                .iter()
                .map(|f| CreateAttachment::bytes(f.bytes.clone(), f.name.clone())),
        );
    if let Some(content) = &m.content {
        out = out.content(content);
    }
    out
}

fn response_message(m: &OutMessage) -> CreateInteractionResponseMessage {
    let m = m.fitted();
    let mut out = CreateInteractionResponseMessage::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(&m.rows))
        .allowed_mentions(allowed_mentions(&m.pings));
    if let Some(content) = &m.content {
        out = out.content(content);
    }
    out
}

/// A builder replacing an interaction's first answer.
pub fn edit_response(m: &OutMessage) -> EditInteractionResponse {
    let m = m.fitted();
    let mut out = EditInteractionResponse::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(&m.rows))
        .allowed_mentions(allowed_mentions(&m.pings));
    if let Some(content) = &m.content {
        out = out.content(content);
    }
    out
}

/// A follow-up message builder.
pub fn followup(m: &OutMessage, ephemeral: bool) -> CreateInteractionResponseFollowup {
    let m = m.fitted();
    let mut out = CreateInteractionResponseFollowup::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(&m.rows))
        .allowed_mentions(allowed_mentions(&m.pings))
        .ephemeral(ephemeral);
    if let Some(content) = &m.content {
        out = out.content(content);
    }
    out
}

/// A builder replacing a message's content, embeds and components.
pub fn edit_message(m: &OutMessage) -> EditMessage {
    let m = m.fitted();
    let mut out = EditMessage::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .components(rows(&m.rows))
        .allowed_mentions(allowed_mentions(&m.pings));
    if let Some(content) = &m.content {
        out = out.content(content);
    }
    out
}

/// An interaction response builder.
pub fn response(reply: &Reply) -> CreateInteractionResponse {
    match reply {
        Reply::Message { message, ephemeral } => {
            CreateInteractionResponse::Message(response_message(message).ephemeral(*ephemeral))
        }
        Reply::Update(message) => {
            CreateInteractionResponse::UpdateMessage(response_message(message))
        }
        Reply::Modal {
            custom_id,
            title,
            inputs,
        } => {
            let rows = inputs
                .iter()
                .map(|input| {
                    let style = if input.paragraph {
                        InputTextStyle::Paragraph
                    } else {
                        InputTextStyle::Short
                    };
                    let mut field = CreateInputText::new(
                        style,
                        cut(&input.label, MODAL_TITLE),
                        &input.custom_id,
                    )
                    .required(input.required)
                    .max_length(input.max_length);
                    if input.min_length > 0 {
                        field = field.min_length(input.min_length);
                    }
                    if let Some(placeholder) = &input.placeholder {
                        field = field.placeholder(cut(placeholder, INPUT_PLACEHOLDER));
                    }
                    CreateActionRow::InputText(field)
                })
                .collect();
            CreateInteractionResponse::Modal(
                CreateModal::new(custom_id, cut(title, MODAL_TITLE)).components(rows),
            )
        }
        Reply::Defer { ephemeral } => CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(*ephemeral),
        ),
        Reply::Acknowledge => CreateInteractionResponse::Acknowledge,
    }
}

fn display_name(user: &User, nick: Option<&str>) -> String {
    nick.map(str::to_owned).unwrap_or_else(|| {
        user.global_name
            .clone()
            .unwrap_or_else(|| user.name.clone())
    })
}

fn actor_from_member(user: &User, member: Option<&Member>) -> Actor {
    Actor {
        id: user.id.get(),
        name: display_name(user, member.and_then(|m| m.nick.as_deref())),
        roles: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
    }
}

fn actor_from_partial(user: &User, member: Option<&PartialMember>) -> Actor {
    Actor {
        id: user.id.get(),
        name: display_name(user, member.and_then(|m| m.nick.as_deref())),
        roles: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
    }
}

/// A chat message in the bot's terms.
pub fn chat_message(m: &Message) -> ChatMessage {
    ChatMessage {
        id: m.id.get(),
        guild_id: m.guild_id.map(|g| g.get()),
        channel_id: m.channel_id.get(),
        author: actor_from_partial(&m.author, m.member.as_deref()),
        content: m.content.clone(),
        mentions: m.mentions.iter().map(|u| u.id.get()).collect(),
        from_bot: m.author.bot,
        sent_at: chrono::DateTime::from_timestamp(m.timestamp.unix_timestamp(), 0)
            .unwrap_or_else(chrono::Utc::now),
        attachments: m
            .attachments
            .iter()
            .map(|a| AttachmentRef {
                filename: a.filename.clone(),
                url: a.url.clone(),
                size: u64::from(a.size),
                content_type: a.content_type.clone(),
            })
            .collect(),
        embeds: serde_json::to_value(&m.embeds).unwrap_or_default(),
        raw: serde_json::to_value(m).unwrap_or_default(),
    }
}

/// An interaction in the bot's terms; `None` for kinds the bot does not use (autocomplete, ping).
pub fn interaction(i: &SInteraction) -> Option<Interaction> {
    match i {
        SInteraction::Component(c) => {
            let kind = match &c.data.kind {
                ComponentInteractionDataKind::Button => InteractionKind::Button {
                    custom_id: c.data.custom_id.clone(),
                },
                ComponentInteractionDataKind::StringSelect { values } => InteractionKind::Select {
                    custom_id: c.data.custom_id.clone(),
                    values: values.clone(),
                },
                _ => InteractionKind::Select {
                    custom_id: c.data.custom_id.clone(),
                    values: vec![],
                },
            };
            Some(Interaction {
                handle: InteractionRef {
                    id: c.id.get(),
                    token: c.token.clone(),
                },
                guild_id: c.guild_id.map(|g| g.get()),
                channel_id: c.channel_id.get(),
                user: actor_from_member(&c.user, c.member.as_ref()),
                kind,
                message_id: Some(c.message.id.get()),
            })
        }
        SInteraction::Modal(m) => {
            let fields = m
                .data
                .components
                .iter()
                .flat_map(|row| row.components.iter())
                .filter_map(|c| match c {
                    ActionRowComponent::InputText(input) => Some((
                        input.custom_id.clone(),
                        input.value.clone().unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect();
            Some(Interaction {
                handle: InteractionRef {
                    id: m.id.get(),
                    token: m.token.clone(),
                },
                guild_id: m.guild_id.map(|g| g.get()),
                channel_id: m.channel_id.get(),
                user: actor_from_member(&m.user, m.member.as_ref()),
                kind: InteractionKind::Modal {
                    custom_id: m.data.custom_id.clone(),
                    fields,
                },
                message_id: m.message.as_ref().map(|msg| msg.id.get()),
            })
        }
        SInteraction::Command(c) => {
            let value = |v: &CommandDataOptionValue| match v {
                CommandDataOptionValue::String(s) => s.clone(),
                CommandDataOptionValue::Integer(n) => n.to_string(),
                CommandDataOptionValue::Boolean(b) => b.to_string(),
                CommandDataOptionValue::User(u) => u.get().to_string(),
                CommandDataOptionValue::Channel(ch) => ch.get().to_string(),
                CommandDataOptionValue::Role(r) => r.get().to_string(),
                other => format!("{other:?}"),
            };
            // A subcommand's options are its own; a command's are at the top.
            let (subcommand, options) = match c.data.options.first().map(|o| (&o.name, &o.value)) {
                Some((name, CommandDataOptionValue::SubCommand(inner))) => (
                    Some(name.clone()),
                    inner
                        .iter()
                        .map(|o| (o.name.clone(), value(&o.value)))
                        .collect(),
                ),
                _ => (
                    None,
                    c.data
                        .options
                        .iter()
                        .map(|o| (o.name.clone(), value(&o.value)))
                        .collect(),
                ),
            };
            let target_user = c.data.target_id.map(|t| t.get());
            Some(Interaction {
                handle: InteractionRef {
                    id: c.id.get(),
                    token: c.token.clone(),
                },
                guild_id: c.guild_id.map(|g| g.get()),
                channel_id: c.channel_id.get(),
                user: actor_from_member(&c.user, c.member.as_deref()),
                kind: InteractionKind::Command {
                    name: c.data.name.clone(),
                    subcommand,
                    options,
                    target_user,
                },
                message_id: None,
            })
        }
        _ => None,
    }
}

/// A permission overwrite builder.
pub fn overwrite(o: &Overwrite) -> PermissionOverwrite {
    let kind = match o.target {
        OverwriteTarget::Role(id) => PermissionOverwriteType::Role(RoleId::new(id)),
        OverwriteTarget::Member(id) => PermissionOverwriteType::Member(UserId::new(id)),
    };
    PermissionOverwrite {
        allow: Permissions::from_bits_truncate(o.allow),
        deny: Permissions::from_bits_truncate(o.deny),
        kind,
    }
}

/// A permission overwrite in the bot's terms (`None` for kinds it does not know).
pub fn overwrite_from(o: &PermissionOverwrite) -> Option<Overwrite> {
    let target = match o.kind {
        PermissionOverwriteType::Role(id) => OverwriteTarget::Role(id.get()),
        PermissionOverwriteType::Member(id) => OverwriteTarget::Member(id.get()),
        _ => return None,
    };
    Some(Overwrite {
        target,
        allow: o.allow.bits(),
        deny: o.deny.bits(),
    })
}
