//! item-return: staff file a request to give a player back lost items (recipient's in-game id and
//! the items); it goes to the channel its `channel` setting names with Approve/Deny for the approver
//! roles. The decision removes the buttons and shows who decided and when. Requests live in the
//! plugin's storage, so the buttons keep working after a restart, and a second decision is
//! refused.

use serde::{Deserialize, Serialize};
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Longest in-game id accepted (digits).
    max_id_digits: usize,
    /// Most item lines in one request.
    max_item_lines: usize,
}

/// The setting naming the channel requests go to.
const CHANNEL: &str = "channel";

#[derive(Serialize, Deserialize)]
struct Request {
    ticket: i64,
    ticket_number: i32,
    recipient: String,
    items: String,
    requested_by: u64,
    requested_at_ms: u64,
    decision: Option<Decision>,
}

#[derive(Serialize, Deserialize)]
struct Decision {
    approved: bool,
    by: u64,
    at_ms: u64,
}

const FORM: &str = "form";
const PENDING: u32 = 0xF0B232;
const APPROVED: u32 = 0x2F9E44;
const DENIED: u32 = 0xE03131;

struct ItemReturn;

impl Plugin for ItemReturn {
    fn manifest() -> Manifest {
        manifest("item-return", tr("Item return", "Devolução"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    "item-return",
                    tr("Item return", "Devolução"),
                    ButtonStyle::Primary,
                    Audience::Staff,
                )
                .emoji("📦"),
            )
            // `notes` puts each request and decision in the ticket's record (the close log and
            // the transcript header).
            .capabilities(&["post-messages", "storage", "notes"])
            .setting(setting(
                CHANNEL,
                channel(),
                tr("Approval channel", "Canal de aprovação"),
                tr(
                    "Where requests are posted for the approvers.",
                    "Onde os pedidos são postados para os aprovadores.",
                ),
            ))
            .setting(
                setting(
                    "max_id_digits",
                    integer(1, 20),
                    tr("Longest in-game id", "Maior ID no jogo"),
                    tr(
                        "Digits an in-game id may have.",
                        "Quantos dígitos um ID no jogo pode ter.",
                    ),
                )
                .default_json("10"),
            )
            .setting(
                setting(
                    "max_item_lines",
                    integer(1, 100),
                    tr("Most item lines", "Máximo de linhas de itens"),
                    tr(
                        "Item lines one request may have.",
                        "Quantas linhas de itens um pedido pode ter.",
                    ),
                )
                .default_json("25"),
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        Ok(if id == "item-return" {
            form(&ctx.locale)
        } else {
            Outcome::nothing()
        })
    }

    fn on_modal(ctx: &Context, submit: &ModalSubmit) -> Result<Outcome, String> {
        if submit.custom_id != FORM {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        submitted(ctx, &settings, &submit.fields)
    }

    fn on_component(ctx: &Context, used: &ComponentUse) -> Result<Outcome, String> {
        decide(ctx, &used.custom_id)
    }
}

fn form(l: &str) -> Outcome {
    Outcome::reply(Reply::Modal(Modal {
        custom_id: FORM.into(),
        title: text(l, "Item return", "Devolução de itens"),
        inputs: vec![
            TextInput {
                id: "recipient".into(),
                label: text(l, "Recipient's in-game id", "ID do jogador no jogo"),
                paragraph: false,
                required: true,
                min_length: 1,
                max_length: 20,
                placeholder: Some("1234".into()),
            },
            TextInput {
                id: "items".into(),
                label: text(l, "Items (one per line)", "Itens (um por linha)"),
                paragraph: true,
                required: true,
                min_length: 1,
                max_length: 1000,
                placeholder: Some(text(
                    l,
                    "2x pistol ammo\n1x phone",
                    "2x munição de pistola\n1x celular",
                )),
            },
        ],
    }))
}

fn field<'a>(fields: &'a [Field], id: &str) -> &'a str {
    fields
        .iter()
        .find(|f| f.id == id)
        .map_or("", |f| f.value.trim())
}

fn submitted(ctx: &Context, settings: &Settings, fields: &[Field]) -> Result<Outcome, String> {
    let l = ctx.locale.as_str();
    let ticket = ctx.ticket.as_ref().ok_or("an item return needs a ticket")?;
    let user = ctx.user.as_ref().ok_or("an item return needs a user")?;
    let recipient = field(fields, "recipient");
    let items: Vec<&str> = field(fields, "items")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut problems = Vec::new();
    if recipient.is_empty()
        || recipient.len() > settings.max_id_digits
        || !recipient.chars().all(|c| c.is_ascii_digit())
    {
        problems.push(
            text(
                l,
                "the in-game id must be 1 to {n} digits",
                "o ID no jogo deve ter de 1 a {n} dígitos",
            )
            .replace("{n}", &settings.max_id_digits.to_string()),
        );
    }
    if items.is_empty() || items.len() > settings.max_item_lines {
        problems.push(
            text(
                l,
                "list 1 to {n} items, one per line",
                "liste de 1 a {n} itens, um por linha",
            )
            .replace("{n}", &settings.max_item_lines.to_string()),
        );
    }
    if !problems.is_empty() {
        // The form is gone once submitted: give the text back so nothing typed is lost.
        return Ok(Outcome::private(format!(
            "{} {}.\n{}\n```\n{}\n{}\n```",
            text(l, "The request was not sent:", "O pedido não foi enviado:"),
            problems.join("; "),
            text(
                l,
                "What you typed, to copy into a new request:",
                "O que você digitou, para copiar num novo pedido:"
            ),
            recipient.replace('`', "'"),
            field(fields, "items").replace('`', "'"),
        )));
    }
    let number = host::get("next")
        .map_err(|e| format!("{e:?}"))?
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1);
    let request = Request {
        ticket: ticket.id,
        ticket_number: ticket.number,
        recipient: recipient.to_owned(),
        items: items.join("\n"),
        requested_by: user.id,
        requested_at_ms: ctx.now_ms,
        decision: None,
    };
    let stored = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let approval = Message::embed(request_embed(l, number, &request)).row(vec![
        Component::button(
            format!("approve:{number}"),
            text(l, "Approve", "Aprovar"),
            ButtonStyle::Success,
        ),
        Component::button(
            format!("deny:{number}"),
            text(l, "Deny", "Negar"),
            ButtonStyle::Danger,
        ),
    ]);
    let note = Message::text(
        text(
            l,
            "📦 Item return #{n} for in-game id {id} was sent for approval.",
            "📦 Devolução #{n} para o ID {id} foi enviada para aprovação.",
        )
        .replace("{n}", &number.to_string())
        .replace("{id}", recipient),
    );
    Ok(Outcome::private(
        text(
            l,
            "Item return #{n} sent for approval.",
            "Devolução #{n} enviada para aprovação.",
        )
        .replace("{n}", &number.to_string()),
    )
    .with(Effect::Store(("next".into(), (number + 1).to_string())))
    .with(Effect::Store((format!("request:{number}"), stored)))
    .with(Effect::Post(Post::in_setting(CHANNEL, approval)))
    .with(Effect::Post(Post::in_ticket(note)))
    .with(Effect::AddNote(
        text(
            l,
            "📦 Item return #{n} requested for in-game id {id}: {items}",
            "📦 Devolução #{n} pedida para o ID {id}: {items}",
        )
        .replace("{n}", &number.to_string())
        .replace("{id}", recipient)
        .replace("{items}", &items.join(", ")),
    )))
}

fn request_embed(l: &str, number: u64, request: &Request) -> Embed {
    let mut embed = Embed::new(
        text(l, "📦 Item return #{n}", "📦 Devolução de itens #{n}")
            .replace("{n}", &number.to_string()),
        request
            .items
            .lines()
            .map(|i| format!("• {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .field(
        text(l, "Recipient (in-game id)", "Destinatário (ID no jogo)"),
        request.recipient.clone(),
        true,
    )
    .field(
        text(l, "Ticket", "Ticket"),
        format!("#{}", request.ticket_number),
        true,
    )
    .field(
        text(l, "Requested by", "Pedido por"),
        format!("<@{}>", request.requested_by),
        true,
    );
    match &request.decision {
        None => embed.color(PENDING),
        Some(decision) => {
            let (word, color) = if decision.approved {
                (text(l, "✅ Approved", "✅ Aprovada"), APPROVED)
            } else {
                (text(l, "❌ Denied", "❌ Negada"), DENIED)
            };
            embed = embed.field(
                text(l, "Decision", "Decisão"),
                format!(
                    "{word} — <@{}> <t:{}:f>",
                    decision.by,
                    decision.at_ms / 1000
                ),
                false,
            );
            embed.color(color)
        }
    }
}

fn decide(ctx: &Context, custom_id: &str) -> Result<Outcome, String> {
    let l = ctx.locale.as_str();
    let user = ctx.user.as_ref().ok_or("a decision needs a user")?;
    let Some((verb, number)) = custom_id.split_once(':') else {
        return Ok(Outcome::nothing());
    };
    let approved = match verb {
        "approve" => true,
        "deny" => false,
        _ => return Ok(Outcome::nothing()),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("bad request number {number:?}"))?;
    if !user.is_approver {
        return Ok(Outcome::private(text(
            l,
            "Only approvers can decide item returns.",
            "Apenas aprovadores podem decidir devoluções.",
        )));
    }
    let key = format!("request:{number}");
    let stored = host::get(&key)
        .map_err(|e| format!("{e:?}"))?
        .ok_or_else(|| format!("item return #{number} is not stored"))?;
    let mut request: Request = serde_json::from_str(&stored).map_err(|e| e.to_string())?;
    if let Some(decision) = &request.decision {
        let word = if decision.approved {
            text(l, "approved", "aprovada")
        } else {
            text(l, "denied", "negada")
        };
        return Ok(Outcome::private(
            text(
                l,
                "Item return #{n} was already {word} by <@{by}>.",
                "A devolução #{n} já foi {word} por <@{by}>.",
            )
            .replace("{n}", &number.to_string())
            .replace("{word}", &word)
            .replace("{by}", &decision.by.to_string()),
        ));
    }
    request.decision = Some(Decision {
        approved,
        by: user.id,
        at_ms: ctx.now_ms,
    });
    let stored = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let word = if approved {
        text(l, "approved", "aprovada")
    } else {
        text(l, "denied", "negada")
    };
    let note = Message::text(
        text(
            l,
            "📦 Item return #{n} was {word} by <@{by}>.",
            "📦 A devolução #{n} foi {word} por <@{by}>.",
        )
        .replace("{n}", &number.to_string())
        .replace("{word}", &word)
        .replace("{by}", &user.id.to_string()),
    );
    Ok(Outcome::reply(Reply::Update(Message::embed(request_embed(
        l, number, &request,
    ))))
    .with(Effect::Store((key, stored)))
    .with(Effect::Post(Post::in_ticket(note)))
    .with(Effect::AddNote(
        text(
            l,
            "📦 Item return #{n} {word} by {who}",
            "📦 Devolução #{n} {word} por {who}",
        )
        .replace("{n}", &number.to_string())
        .replace("{word}", &word)
        .replace("{who}", &user.name),
    )))
}

plugin!(ItemReturn);
