//! feedback: when a ticket is closed, its opener gets a DM with one to five stars, and then,
//! if the guild wants, a button for a comment. One rating per ticket; the host keeps it and
//! shows the averages per staff member (the claimer, else the one who closed it) and per ticket
//! type in `/stats` and `ticketbot stats`. A DM the opener does not accept is logged by the
//! host, never retried.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Offer a comment after the stars.
    comments: bool,
}

const STARS: &str = "stars-";
const COMMENT: &str = "comment";
const COMMENT_FORM: &str = "comment-form";

fn rated_key(ticket: i64) -> String {
    format!("rated:{ticket}")
}

struct FeedbackPlugin;

impl Plugin for FeedbackPlugin {
    fn manifest() -> Manifest {
        manifest("feedback", tr("Feedback", "Avaliação"))
            .version(env!("CARGO_PKG_VERSION"))
            .capabilities(&["dm", "storage", "feedback"])
            .subscribe(&[Subscription::TicketClosed])
            .setting(
                setting(
                    "comments",
                    boolean(),
                    tr("Ask for a comment", "Pedir um comentário"),
                    tr(
                        "After the stars, offer the opener a form for a few words.",
                        "Depois das estrelas, oferecer a quem abriu um formulário para algumas palavras.",
                    ),
                )
                .default_json("true"),
            )
    }

    fn on_ticket_closed(ctx: &Context) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        // Only a ticket staff closed is rated; a cancelled one had no support to rate.
        if ticket.status != TicketStatus::Closed || ticket.closed_by == Some(ticket.opener) {
            return Ok(Outcome::nothing());
        }
        let l = ctx.locale.as_str();
        let stars = (1..=5)
            .map(|n| {
                Component::Button(Button {
                    custom_id: format!("{STARS}{n}"),
                    label: n.to_string(),
                    emoji: Some("⭐".into()),
                    style: ButtonStyle::Secondary,
                    disabled: false,
                })
            })
            .collect();
        let ask = Message::embed(
            Embed::new(
                text(l, "How was your support?", "Como foi o seu atendimento?"),
                text(
                    l,
                    "Your ticket #{n} was closed. Rate it from 1 to 5 stars:",
                    "Seu ticket #{n} foi fechado. Dê de 1 a 5 estrelas:",
                )
                .replace("{n}", &ticket.number.to_string()),
            )
            .color(0xF0B232),
        )
        .row(stars);
        Ok(Outcome::nothing().with(Effect::SendDm(Dm {
            user: ticket.opener,
            message: ask,
            on_failure: None,
        })))
    }

    fn on_component(ctx: &Context, used: &ComponentUse) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let l = ctx.locale.as_str();
        if used.custom_id == COMMENT {
            return Ok(Outcome::reply(Reply::Modal(Modal {
                custom_id: COMMENT_FORM.into(),
                title: text(l, "Your comment", "Seu comentário"),
                inputs: vec![TextInput {
                    id: COMMENT.into(),
                    label: text(l, "What should we know?", "O que devemos saber?"),
                    paragraph: true,
                    required: true,
                    min_length: 1,
                    max_length: 1000,
                    placeholder: None,
                }],
            })));
        }
        let Some(stars) = used
            .custom_id
            .strip_prefix(STARS)
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=5).contains(n))
        else {
            return Ok(Outcome::nothing());
        };
        if stored(&rated_key(ticket.id))?.is_some() {
            return Ok(Outcome::private(text(
                l,
                "This ticket was already rated. Thank you!",
                "Este ticket já foi avaliado. Obrigado!",
            )));
        }
        let mut thanks = Message::text(
            text(
                l,
                "Thank you! You gave ticket #{n} {stars}.",
                "Obrigado! Você deu {stars} ao ticket #{n}.",
            )
            .replace("{n}", &ticket.number.to_string())
            .replace("{stars}", &"⭐".repeat(usize::from(stars))),
        );
        if settings.comments {
            thanks = thanks.row(vec![Component::button(
                COMMENT,
                text(l, "Add a comment", "Adicionar um comentário"),
                ButtonStyle::Primary,
            )]);
        }
        Ok(Outcome::reply(Reply::Update(thanks))
            .with(Effect::Store((rated_key(ticket.id), stars.to_string())))
            .with(Effect::RecordFeedback(Feedback {
                stars,
                comment: None,
            })))
    }

    fn on_modal(ctx: &Context, submit: &ModalSubmit) -> Result<Outcome, String> {
        if submit.custom_id != COMMENT_FORM {
            return Ok(Outcome::nothing());
        }
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let l = ctx.locale.as_str();
        let Some(stars) = stored(&rated_key(ticket.id))?.and_then(|s| s.parse::<u8>().ok()) else {
            return Ok(Outcome::private(text(
                l,
                "Give the stars first.",
                "Dê as estrelas primeiro.",
            )));
        };
        let comment = submit
            .fields
            .iter()
            .find(|f| f.id == COMMENT)
            .map(|f| f.value.trim().to_owned())
            .filter(|c| !c.is_empty());
        Ok(Outcome::reply(Reply::Update(Message::text(text(
            l,
            "Thank you for your comment!",
            "Obrigado pelo seu comentário!",
        ))))
        .with(Effect::RecordFeedback(Feedback { stars, comment })))
    }
}

plugin!(FeedbackPlugin);
