//! Conversions between a plugin's contract version and the newest one: what the host sends is
//! narrowed (`*_down`), what the plugin returns is widened (`*_up`). Every 0.1 value has a 0.2
//! equivalent; a 0.2 event a 0.1 plugin cannot receive is never sent to it (it could not have
//! subscribed to it).

use super::untranslated;
use super::v0_1 as old;

/// The setting key under which a 0.1 plugin's "item-return" channel is found: the guild's
/// `item_return_channel` (0.2 plugins name their channels in their own settings).
pub const LEGACY_ITEM_RETURN_CHANNEL: &str = "item_return_channel";

/// A 0.1 manifest in 0.2 terms: texts untranslated, no settings schema, no questions.
pub fn manifest_up(m: old::Manifest) -> super::Manifest {
    super::Manifest {
        id: m.id,
        name: untranslated(m.name),
        version: m.version,
        buttons: m
            .buttons
            .into_iter()
            .map(|b| super::TicketButton {
                id: b.id,
                label: untranslated(b.label),
                emoji: b.emoji,
                style: style_up(b.style),
                audience: match b.audience {
                    old::Audience::Opener => super::Audience::Opener,
                    old::Audience::Staff => super::Audience::Staff,
                    old::Audience::Participants => super::Audience::Participants,
                    old::Audience::Anyone => super::Audience::Anyone,
                },
            })
            .collect(),
        capabilities: m.capabilities,
        subscriptions: m
            .subscriptions
            .into_iter()
            .map(|s| match s {
                old::Subscription::VoiceState => super::Subscription::VoiceState,
                old::Subscription::TicketClosed => super::Subscription::TicketClosed,
            })
            .collect(),
        settings: Vec::new(),
        questions: Vec::new(),
    }
}

fn style_up(s: old::ButtonStyle) -> super::ButtonStyle {
    match s {
        old::ButtonStyle::Primary => super::ButtonStyle::Primary,
        old::ButtonStyle::Secondary => super::ButtonStyle::Secondary,
        old::ButtonStyle::Success => super::ButtonStyle::Success,
        old::ButtonStyle::Danger => super::ButtonStyle::Danger,
    }
}

/// A 0.1 setting problem.
pub fn problem_up(p: old::SettingProblem) -> super::SettingProblem {
    super::SettingProblem {
        key: p.key,
        message: p.message,
    }
}

/// A 0.1 log level.
pub fn level_up(l: old::LogLevel) -> super::LogLevel {
    match l {
        old::LogLevel::Debug => super::LogLevel::Debug,
        old::LogLevel::Info => super::LogLevel::Info,
        old::LogLevel::Warn => super::LogLevel::Warn,
        old::LogLevel::Error => super::LogLevel::Error,
    }
}

/// A host error for a 0.1 plugin.
pub fn host_error_down(e: super::HostError) -> old::HostError {
    match e {
        super::HostError::NotGranted(c) => old::HostError::NotGranted(c),
        super::HostError::Failed(m) => old::HostError::Failed(m),
    }
}

/// The context for a 0.1 plugin.
pub fn context_down(c: &super::Context) -> old::Context {
    old::Context {
        guild_id: c.guild_id,
        locale: c.locale.clone(),
        ticket: c.ticket.as_ref().map(|t| old::Ticket {
            id: t.id,
            number: t.number,
            type_id: t.type_id.clone(),
            channel_id: t.channel_id,
            opener: t.opener,
            claimer: t.claimer,
            members: t.members.clone(),
        }),
        user: c.user.as_ref().map(|u| old::User {
            id: u.id,
            name: u.name.clone(),
            roles: u.roles.clone(),
            is_staff: u.is_staff,
            is_approver: u.is_approver,
        }),
        settings: c.settings.clone(),
        now_ms: c.now_ms,
    }
}

/// The event for a 0.1 plugin, or none when 0.1 has no such event.
pub fn event_down(e: &super::Event) -> Option<old::Event> {
    Some(match e {
        super::Event::Button(id) => old::Event::Button(id.clone()),
        super::Event::Component(u) => old::Event::Component(old::ComponentUse {
            custom_id: u.custom_id.clone(),
            values: u.values.clone(),
            channel_id: u.channel_id,
            message_id: u.message_id,
        }),
        super::Event::Modal(m) => old::Event::Modal(old::ModalSubmit {
            custom_id: m.custom_id.clone(),
            fields: m
                .fields
                .iter()
                .map(|f| old::Field {
                    id: f.id.clone(),
                    value: f.value.clone(),
                })
                .collect(),
        }),
        super::Event::Timer(t) => old::Event::Timer(old::TimerFired {
            key: t.key.clone(),
            payload: t.payload.clone(),
        }),
        super::Event::Voice(v) => old::Event::Voice(old::VoiceChange {
            user: v.user,
            joined: v.joined,
            left: v.left,
            occupants: v.occupants,
        }),
        super::Event::TicketClosed => old::Event::TicketClosed,
        super::Event::TicketOpened(_)
        | super::Event::MessagePosted(_)
        | super::Event::ClaimChanged(_)
        | super::Event::MemberLeft(_) => return None,
    })
}

/// A 0.1 outcome in 0.2 terms.
pub fn outcome_up(o: old::Outcome) -> super::Outcome {
    super::Outcome {
        reply: o.reply.map(|r| match r {
            old::Reply::Message((m, ephemeral)) => {
                super::Reply::Message((message_up(m), ephemeral))
            }
            old::Reply::Update(m) => super::Reply::Update(message_up(m)),
            old::Reply::Modal(m) => super::Reply::Modal(super::Modal {
                custom_id: m.custom_id,
                title: m.title,
                inputs: m
                    .inputs
                    .into_iter()
                    .map(|i| super::TextInput {
                        id: i.id,
                        label: i.label,
                        paragraph: i.paragraph,
                        required: i.required,
                        min_length: i.min_length,
                        max_length: i.max_length,
                        placeholder: i.placeholder,
                    })
                    .collect(),
            }),
        }),
        effects: o.effects.into_iter().map(effect_up).collect(),
    }
}

fn effect_up(e: old::Effect) -> super::Effect {
    match e {
        old::Effect::Post((channel, message)) => super::Effect::Post(super::Post {
            channel: match channel {
                old::Channel::Ticket => super::Channel::Ticket,
                old::Channel::Log => super::Channel::Log,
                old::Channel::ItemReturn => {
                    super::Channel::Setting(LEGACY_ITEM_RETURN_CHANNEL.to_owned())
                }
            },
            message: message_up(message),
            mention: Vec::new(),
        }),
        old::Effect::Edit((channel, id, message)) => {
            super::Effect::Edit((channel, id, message_up(message)))
        }
        old::Effect::SendDm(dm) => super::Effect::SendDm(super::Dm {
            user: dm.user,
            message: message_up(dm.message),
            on_failure: dm.on_failure,
        }),
        old::Effect::Rename(name) => super::Effect::Rename(name),
        old::Effect::MoveTo(category) => super::Effect::MoveTo(category),
        old::Effect::CreateVoice(v) => super::Effect::CreateVoice(v),
        old::Effect::DeleteVoice(c) => super::Effect::DeleteVoice(c),
        old::Effect::AddNote(n) => super::Effect::AddNote(n),
        old::Effect::Schedule(t) => super::Effect::Schedule(super::Timer {
            key: t.key,
            delay_ms: t.delay_ms,
            payload: t.payload,
        }),
        old::Effect::CancelTimer(k) => super::Effect::CancelTimer(k),
        old::Effect::Store(kv) => super::Effect::Store(kv),
        old::Effect::Forget(k) => super::Effect::Forget(k),
    }
}

fn message_up(m: old::Message) -> super::Message {
    super::Message {
        content: m.content,
        embeds: m
            .embeds
            .into_iter()
            .map(|e| super::Embed {
                title: e.title,
                description: e.description,
                color: e.color,
                fields: e
                    .fields
                    .into_iter()
                    .map(|f| super::EmbedField {
                        name: f.name,
                        value: f.value,
                        inline: f.inline,
                    })
                    .collect(),
                footer: e.footer,
            })
            .collect(),
        rows: m
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(component_up).collect())
            .collect(),
    }
}

fn component_up(c: old::Component) -> super::Component {
    match c {
        old::Component::Button(b) => super::Component::Button(super::Button {
            custom_id: b.custom_id,
            label: b.label,
            emoji: b.emoji,
            style: style_up(b.style),
            disabled: b.disabled,
        }),
        old::Component::Link(l) => super::Component::Link(l),
        old::Component::Select(s) => super::Component::Select(super::Select {
            custom_id: s.custom_id,
            placeholder: s.placeholder,
            options: s
                .options
                .into_iter()
                .map(|o| super::SelectOption {
                    value: o.value,
                    label: o.label,
                    description: o.description,
                    emoji: o.emoji,
                })
                .collect(),
        }),
    }
}
