//! ticket-actions: one staff button that opens an ephemeral menu to *rename* the ticket (a form)
//! or *transfer* it to another of the guild's ticket categories (a select; the host resyncs the
//! channel's permissions). Discord's limit of two renames per ten minutes is answered by the
//! host with a clear message.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Categories tickets can be transferred to, in menu order.
    #[serde(default)]
    categories: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Category {
    /// The category's id (a number or a string of digits).
    id: Snowflake,
    /// What staff see in the menu.
    label: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Snowflake {
    Number(u64),
    Text(String),
}

impl Snowflake {
    fn get(&self) -> Option<u64> {
        match self {
            Snowflake::Number(n) => Some(*n),
            Snowflake::Text(t) => t.trim().parse().ok(),
        }
    }
}

const MENU: &str = "menu";
const TRANSFER: &str = "transfer";
const RENAME: &str = "rename";

struct TicketActions;

impl Guest for TicketActions {
    fn describe() -> Manifest {
        Manifest {
            id: "ticket-actions".into(),
            name: "Ticket actions".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            buttons: vec![ticket_button(
                "actions",
                "Ticket actions",
                Some("⚙️"),
                ButtonStyle::Secondary,
                Audience::Staff,
            )],
            capabilities: vec!["rename-channel".into(), "move-channel".into()],
            subscriptions: vec![],
        }
    }

    fn check_settings(settings: String) -> Vec<SettingProblem> {
        check_settings_with(&settings, |parsed: &Settings| {
            let mut problems = Vec::new();
            if parsed.categories.len() > 25 {
                problems.push(SettingProblem::new(
                    "categories",
                    "at most 25 (a Discord select's limit)",
                ));
            }
            for (i, category) in parsed.categories.iter().enumerate() {
                if category.id.get().is_none_or(|id| id == 0) {
                    problems.push(SettingProblem::new(
                        format!("categories[{i}].id"),
                        "must be a category id",
                    ));
                }
                if category.label.trim().is_empty() || category.label.chars().count() > 100 {
                    problems.push(SettingProblem::new(
                        format!("categories[{i}].label"),
                        "1 to 100 characters",
                    ));
                }
            }
            problems
        })
    }

    fn handle(ctx: Context, event: Event) -> Result<Outcome, String> {
        install_panic_hook();
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
                let Some(category) = settings
                    .categories
                    .iter()
                    .find(|c| c.id.get() == Some(chosen))
                else {
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
                .with(Effect::Post((Channel::Ticket, Message::text(done)))))
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
                    .with(Effect::Post((Channel::Ticket, Message::text(done)))))
            }
            _ => Ok(Outcome::nothing()),
        }
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
        .filter_map(|c| {
            Some(SelectOption {
                value: c.id.get()?.to_string(),
                label: c.label.clone(),
                description: None,
                emoji: None,
            })
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

export!(TicketActions);
