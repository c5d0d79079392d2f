//! ticket-actions: one staff button that opens an ephemeral menu to *rename* the ticket (a form)
//! or *transfer* it to another of the guild's ticket categories (a select; the host resyncs the
//! channel's permissions). Discord's limit of two renames per ten minutes is answered by the
//! host with a clear message.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Categories tickets can be transferred to, in menu order.
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct Category {
    /// The category's id.
    id: u64,
    /// What staff see in the menu.
    label: String,
}

const MENU: &str = "menu";
const TRANSFER: &str = "transfer";
const RENAME: &str = "rename";

struct TicketActions;

impl Plugin for TicketActions {
    fn manifest() -> Manifest {
        let categories = SettingKind::Table((
            vec![
                Column {
                    key: "id".into(),
                    label: tr("Category", "Categoria"),
                    kind: ValueKind::Category,
                    default: None,
                },
                Column {
                    key: "label".into(),
                    label: tr("Shown as", "Nome no menu"),
                    kind: ValueKind::Text(TextBounds {
                        min_length: 1,
                        max_length: 100,
                    }),
                    default: None,
                },
            ],
            // A Discord select holds 25 options.
            25,
        ));
        manifest("ticket-actions", tr("Ticket actions", "Ações Ticket"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    "actions",
                    tr("Ticket actions", "Ações Ticket"),
                    ButtonStyle::Secondary,
                    Audience::Staff,
                )
                .emoji("⚙️"),
            )
            .capabilities(&["rename-channel", "move-channel"])
            .setting(
                setting(
                    "categories",
                    categories,
                    tr("Transfer categories", "Categorias de transferência"),
                    tr(
                        "The categories staff can transfer a ticket to, in menu order.",
                        "As categorias para onde a equipe pode transferir um ticket, na ordem do menu.",
                    ),
                )
                .default_json("[]"),
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        respond(ctx, &Event::Button(id.to_owned()))
    }

    fn on_component(ctx: &Context, used: &ComponentUse) -> Result<Outcome, String> {
        respond(ctx, &Event::Component(used.clone()))
    }

    fn on_modal(ctx: &Context, submit: &ModalSubmit) -> Result<Outcome, String> {
        respond(ctx, &Event::Modal(submit.clone()))
    }
}

/// What staff asked for with `event`.
fn respond(ctx: &Context, event: &Event) -> Result<Outcome, String> {
    let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
    let l = ctx.locale.as_str();
    let user = ctx.user.as_ref().ok_or("ticket actions need a user")?;
    if !user.is_staff {
        return Ok(Outcome::private(text(
            l,
            "Only staff can do that.",
            "Apenas a equipe pode fazer isso.",
        )));
    }
    match event {
        Event::Button(_) => Ok(menu(l, &settings)),
        Event::Component(used) if used.custom_id == MENU => {
            match used.values.first().map(String::as_str) {
                Some(RENAME) => Ok(rename_form(l)),
                Some(TRANSFER) => Ok(transfer_menu(l, &settings)),
                _ => Ok(Outcome::nothing()),
            }
        }
        Event::Component(used) if used.custom_id == TRANSFER => {
            let chosen = used
                .values
                .first()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or("no category chosen")?;
            let Some(category) = settings.categories.iter().find(|c| c.id == chosen) else {
                return Ok(Outcome::private(text(
                    l,
                    "That category is no longer offered.",
                    "Essa categoria não é mais oferecida.",
                )));
            };
            let done = text(
                l,
                "🗂️ Ticket transferred to **{c}** by <@{u}>.",
                "🗂️ Ticket transferido para **{c}** por <@{u}>.",
            )
            .replace("{c}", &category.label)
            .replace("{u}", &user.id.to_string());
            Ok(Outcome::reply(Reply::Update(Message::text(
                text(l, "Transferred to {c}.", "Transferido para {c}.")
                    .replace("{c}", &category.label),
            )))
            .with(Effect::MoveTo(chosen))
            .with(Effect::Post(Post::in_ticket(Message::text(done)))))
        }
        Event::Modal(submit) if submit.custom_id == RENAME => {
            let name = submit
                .fields
                .iter()
                .find(|f| f.id == "name")
                .map_or("", |f| f.value.trim());
            if !name.chars().any(char::is_alphanumeric) {
                return Ok(Outcome::private(text(
                    l,
                    "The new name needs a letter or a digit.",
                    "O novo nome precisa de uma letra ou um número.",
                )));
            }
            let done = text(
                l,
                "✏️ Ticket renamed to **{n}** by <@{u}>.",
                "✏️ Ticket renomeado para **{n}** por <@{u}>.",
            )
            .replace("{n}", name)
            .replace("{u}", &user.id.to_string());
            Ok(Outcome::private(text(l, "Renamed.", "Renomeado."))
                .with(Effect::Rename(name.to_owned()))
                .with(Effect::Post(Post::in_ticket(Message::text(done)))))
        }
        _ => Ok(Outcome::nothing()),
    }
}

fn menu(l: &str, settings: &Settings) -> Outcome {
    let mut options = vec![SelectOption {
        value: RENAME.into(),
        label: text(l, "Rename the ticket", "Renomear o ticket"),
        description: Some(text(
            l,
            "Discord allows 2 renames per 10 minutes",
            "O Discord permite 2 renomeações a cada 10 minutos",
        )),
        emoji: Some("✏️".into()),
    }];
    if !settings.categories.is_empty() {
        options.push(SelectOption {
            value: TRANSFER.into(),
            label: text(
                l,
                "Transfer to another category",
                "Transferir para outra categoria",
            ),
            description: None,
            emoji: Some("🗂️".into()),
        });
    }
    let select = Select {
        custom_id: MENU.into(),
        placeholder: text(l, "Choose an action", "Escolha uma ação"),
        options,
    };
    Outcome::reply(Reply::Message((
        Message {
            content: None,
            embeds: vec![],
            rows: vec![vec![Component::Select(select)]],
        },
        true,
    )))
}

fn rename_form(l: &str) -> Outcome {
    Outcome::reply(Reply::Modal(Modal {
        custom_id: RENAME.into(),
        title: text(l, "Rename the ticket", "Renomear o ticket"),
        inputs: vec![TextInput {
            id: "name".into(),
            label: text(l, "New name", "Novo nome"),
            paragraph: false,
            required: true,
            min_length: 1,
            max_length: 90,
            placeholder: Some("ticket-car-robbery".into()),
        }],
    }))
}

fn transfer_menu(l: &str, settings: &Settings) -> Outcome {
    let options = settings
        .categories
        .iter()
        .map(|c| SelectOption {
            value: c.id.to_string(),
            label: c.label.clone(),
            description: None,
            emoji: None,
        })
        .collect();
    let select = Select {
        custom_id: TRANSFER.into(),
        placeholder: text(l, "Choose the category", "Escolha a categoria"),
        options,
    };
    Outcome::reply(Reply::Update(Message {
        content: None,
        embeds: vec![],
        rows: vec![vec![Component::Select(select)]],
    }))
}

plugin!(TicketActions);
