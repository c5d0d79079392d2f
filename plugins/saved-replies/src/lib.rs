//! saved-replies: the guild writes named replies (a title, the text, an optional colour) in
//! its settings; staff press *Saved reply*, pick one from a menu, and it is posted in the ticket
//! under the bot's name, saying which staff member sent it. `{opener}` in a reply mentions the
//! ticket's opener. Up to 25 (a Discord menu's limit).

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    replies: Vec<Saved>,
}

#[derive(Deserialize)]
struct Saved {
    name: String,
    text: String,
    color: i64,
}

const BUTTON: &str = "reply";
const MENU: &str = "menu";

struct SavedReplies;

impl Plugin for SavedReplies {
    fn manifest() -> Manifest {
        manifest("saved-replies", tr("Saved replies", "Respostas prontas"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    BUTTON,
                    tr("Saved reply", "Resposta pronta"),
                    ButtonStyle::Secondary,
                    Audience::Staff,
                )
                .emoji("💬"),
            )
            .setting(
                setting(
                    "replies",
                    table(
                        vec![
                            column("name", tr("Name", "Nome"), text_value(1, 100)),
                            column("text", tr("Text", "Texto"), text_value(1, 4000)),
                            column(
                                "color",
                                tr("Colour", "Cor"),
                                ValueKind::Integer(IntegerBounds {
                                    min: 0,
                                    max: 0xFF_FFFF,
                                }),
                            )
                            .default_json("5793266"),
                        ],
                        25,
                    ),
                    tr("Replies", "Respostas"),
                    tr(
                        "The replies staff pick from; {opener} mentions the ticket's opener.",
                        "As respostas que a equipe escolhe; {opener} menciona quem abriu o ticket.",
                    ),
                )
                .default_json("[]"),
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        if id != BUTTON {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let l = ctx.locale.as_str();
        if settings.replies.is_empty() {
            return Ok(Outcome::private(text(
                l,
                "This server has no saved replies yet (settings: replies).",
                "Este servidor ainda não tem respostas prontas (configuração: replies).",
            )));
        }
        let options = settings
            .replies
            .iter()
            .enumerate()
            .map(|(i, r)| SelectOption {
                value: i.to_string(),
                label: r.name.chars().take(100).collect(),
                description: Some(r.text.chars().take(100).collect()),
                emoji: None,
            })
            .collect();
        Ok(Outcome::reply(Reply::Message((
            Message {
                content: None,
                embeds: vec![],
                rows: vec![vec![Component::Select(Select {
                    custom_id: MENU.into(),
                    placeholder: text(l, "Choose a reply", "Escolha uma resposta"),
                    options,
                })]],
            },
            true,
        ))))
    }

    fn on_component(ctx: &Context, used: &ComponentUse) -> Result<Outcome, String> {
        if used.custom_id != MENU {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let user = ctx.user.as_ref().ok_or("needs a user")?;
        let l = ctx.locale.as_str();
        let Some(saved) = used
            .values
            .first()
            .and_then(|v| v.parse::<usize>().ok())
            .and_then(|i| settings.replies.get(i))
        else {
            return Ok(Outcome::private(text(
                l,
                "That reply is no longer saved.",
                "Essa resposta não está mais salva.",
            )));
        };
        let body = saved
            .text
            .replace("{opener}", &format!("<@{}>", ticket.opener));
        let mut embed = Embed::new(saved.name.clone(), body).color(saved.color as u32);
        embed.footer =
            Some(text(l, "sent by {who}", "enviada por {who}").replace("{who}", &user.name));
        // The text may mention the opener: the host lets a post ping the ticket's own people.
        let mut message = Message::embed(embed);
        if saved.text.contains("{opener}") {
            message.content = Some(format!("<@{}>", ticket.opener));
        }
        Ok(Outcome::reply(Reply::Update(Message::text(
            text(l, "Sent: {name}", "Enviada: {name}").replace("{name}", &saved.name),
        )))
        .with(Effect::Post(Post::in_ticket(message))))
    }
}

plugin!(SavedReplies);
