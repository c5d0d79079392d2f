//! A tour of contract 0.2 for the host's end-to-end tests: it subscribes to every new event
//! (and writes what it heard into its storage, where a test reads it), has a button per new
//! effect, asks an opening question for `support` tickets, sends a DM with a button, and
//! makes an HTTP request to the URL in its settings. The tests grant it some capabilities and
//! not others, to see both the effect and the refusal.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Where the `http` button sends its GET.
    url: String,
    /// The label `status` sets.
    status: String,
}

/// (button, who may press it).
const BUTTONS: &[(&str, Audience)] = &[
    ("close", Audience::Staff),
    ("ask", Audience::Staff),
    ("add", Audience::Staff),
    ("remove", Audience::Staff),
    ("status", Audience::Staff),
    ("ping", Audience::Staff),
    ("dm", Audience::Staff),
    ("http", Audience::Anyone),
];

struct Tour;

impl Plugin for Tour {
    fn manifest() -> Manifest {
        BUTTONS
            .iter()
            .fold(
                manifest("tour", tr("Tour", "Passeio")).version(env!("CARGO_PKG_VERSION")),
                |m, (id, audience)| {
                    m.button(ticket_button(
                        id,
                        tr(id, id),
                        ButtonStyle::Secondary,
                        *audience,
                    ))
                },
            )
            .capabilities(&[
                "storage",
                "dm",
                "read-messages",
                "close-tickets",
                "manage-members",
                "ticket-status",
                "mention-users",
                "http",
            ])
            .subscribe(&[
                Subscription::TicketOpened,
                Subscription::TicketMessages,
                Subscription::Claims,
                Subscription::MembersLeft,
                Subscription::TicketClosed,
            ])
            .setting(
                setting(
                    "url",
                    text_setting(0, 300),
                    tr("URL", "URL"),
                    tr("Where the http button goes.", "Para onde o botão http vai."),
                )
                .default_json("\"\""),
            )
            .setting(
                setting(
                    "status",
                    text_setting(1, 32),
                    tr("Status", "Status"),
                    tr(
                        "The label the status button sets.",
                        "O rótulo do botão status.",
                    ),
                )
                .default_localized(tr("\"Waiting\"", "\"Aguardando jogador\"")),
            )
            .questions(
                &["support"],
                vec![question(
                    "game-id",
                    tr("Your in-game id", "Seu ID no jogo"),
                    false,
                    10,
                )
                .placeholder(tr("e.g. 4711", "ex.: 4711"))],
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let l = ctx.locale.as_str();
        let outcome = match id {
            "close" => {
                Outcome::private("closing").with(Effect::CloseTicket("tour closed it".into()))
            }
            "ask" => Outcome::private("asked").with(Effect::RequestClose),
            "add" | "remove" => Outcome::reply(Reply::Modal(Modal {
                custom_id: id.into(),
                title: text(l, "Who?", "Quem?"),
                inputs: vec![TextInput {
                    id: "user".into(),
                    label: text(l, "User id", "ID do usuário"),
                    paragraph: false,
                    required: true,
                    min_length: 1,
                    max_length: 20,
                    placeholder: None,
                }],
            })),
            "status" => Outcome::private("status set").with(Effect::SetStatus(settings.status)),
            "ping" => {
                let guest = stored("guest")?.and_then(|g| g.parse().ok()).unwrap_or(0);
                Outcome::private("pinged").with(Effect::Post(Post {
                    channel: Channel::Ticket,
                    message: Message::text(format!("<@{guest}>, look at this")),
                    mention: vec![guest],
                }))
            }
            "dm" => Outcome::private("sent").with(Effect::SendDm(Dm {
                user: ticket.opener,
                message: Message::text(text(l, "How did we do?", "Como fomos?")).row(vec![
                    Component::button("rate-5", "⭐⭐⭐⭐⭐", ButtonStyle::Success),
                ]),
                on_failure: None,
            })),
            "http" => {
                let answer = host::http(&HttpRequest {
                    method: "GET".into(),
                    url: settings.url,
                    headers: vec![],
                    body: None,
                });
                match answer {
                    Ok(response) => Outcome::private(format!(
                        "HTTP {}: {}",
                        response.status,
                        response.body.chars().take(200).collect::<String>()
                    )),
                    Err(HostError::Failed(why)) => Outcome::private(format!("refused: {why}")),
                    Err(HostError::NotGranted(c)) => Outcome::private(format!("not granted: {c}")),
                }
            }
            _ => Outcome::nothing(),
        };
        Ok(outcome)
    }

    fn on_modal(_ctx: &Context, submit: &ModalSubmit) -> Result<Outcome, String> {
        let user: u64 = submit
            .fields
            .iter()
            .find(|f| f.id == "user")
            .and_then(|f| f.value.trim().parse().ok())
            .ok_or("not a user id")?;
        Ok(match submit.custom_id.as_str() {
            "add" => Outcome::private("adding")
                .with(Effect::AddMember(user))
                .with(Effect::Store(("guest".into(), user.to_string()))),
            "remove" => Outcome::private("removing").with(Effect::RemoveMember(user)),
            _ => Outcome::nothing(),
        })
    }

    fn on_component(ctx: &Context, used: &ComponentUse) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().map_or(0, |t| t.id);
        let who = ctx.user.as_ref().map_or(0, |u| u.id);
        Ok(
            Outcome::private(text(&ctx.locale, "Thanks!", "Obrigado!")).with(Effect::Store((
                format!("rated:{ticket}"),
                format!("{} by {who} in dm={}", used.custom_id, used.in_dm),
            ))),
        )
    }

    fn on_ticket_opened(ctx: &Context, answers: &[Field]) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let heard: Vec<String> = answers
            .iter()
            .map(|a| format!("{}={}", a.id, a.value))
            .collect();
        Ok(heard_that(ticket.id, "opened", heard.join(";")))
    }

    fn on_message(ctx: &Context, message: &PostedMessage) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        Ok(heard_that(
            ticket.id,
            "message",
            format!(
                "{} staff={} files={}: {}",
                message.author, message.by_staff, message.attachments, message.text
            ),
        ))
    }

    fn on_claim(ctx: &Context, change: &ClaimChange) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        Ok(heard_that(
            ticket.id,
            "claim",
            format!("{:?}->{:?} by {}", change.before, change.after, change.by),
        ))
    }

    fn on_member_left(ctx: &Context, user: u64) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        Ok(heard_that(ticket.id, "left", user.to_string()))
    }

    fn on_ticket_closed(ctx: &Context) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        Ok(heard_that(ticket.id, "closed", "yes".into()))
    }
}

/// Keeps what the plugin heard under `<what>:<ticket>` for the test to read.
fn heard_that(ticket: i64, what: &str, value: String) -> Outcome {
    Outcome::nothing().with(Effect::Store((format!("{what}:{ticket}"), value)))
}

plugin!(Tour);
