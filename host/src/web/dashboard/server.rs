//! The server's own settings, for holders of Manage Server: staff roles, ticket types, what the
//! panel and the welcome message say, and where tickets go. What is saved becomes the guild's
//! layer over its entry in `config.toml` (only the values that differ from the file), checked
//! exactly as the file is, in force for the next click, and recorded in the history.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use maud::{html, Markup};

use crate::config::{ClaimMode, Editable, GuildConfig, GuildLayer, TicketType, EDITABLE_TEXTS};
use crate::guild_settings::ChangeError;
use crate::locale::Catalogue;
use crate::rest::{ChannelInfo, ChannelKind};
use crate::store::{LayerChange, WebSession};

use super::pages::{layout, not_found};
use super::settings::{manager, manager_form, rolled_back, tabs};
use super::{page, secured, viewer, Dashboard};

/// One ticket type as the form shows it (text as typed, so a refused form comes back as sent).
#[derive(Clone, Debug, Default, PartialEq)]
struct TypeRow {
    id: String,
    label: String,
    emoji: String,
    description: String,
    category: String,
    staff_roles: Vec<u64>,
    cooldown_minutes: String,
    claim_mode: String,
}

/// What the form shows and sends.
#[derive(Clone, Debug, Default)]
struct Values {
    staff_roles: Vec<u64>,
    approver_roles: Vec<u64>,
    types: Vec<TypeRow>,
    texts: BTreeMap<String, String>,
    /// `panel_channel`, `log_channel`, `ticket_category`, as ids.
    channels: BTreeMap<&'static str, String>,
}

/// The welcome texts' variables, shown as written in a placeholder.
const VARIABLES: &[(&str, &str)] = &[
    ("number", "{ $number }"),
    ("type", "{ $type }"),
    ("opener", "{ $opener }"),
];

const CHANNEL_KEYS: [(&str, &str, ChannelKind); 3] = [
    ("panel_channel", "Panel channel", ChannelKind::Text),
    ("log_channel", "Log channel", ChannelKind::Text),
    ("ticket_category", "Ticket category", ChannelKind::Category),
];

fn minutes(duration: std::time::Duration) -> String {
    let minutes = duration.as_secs_f64() / 60.0;
    if minutes.fract() == 0.0 {
        format!("{minutes:.0}")
    } else {
        format!("{minutes}")
    }
}

fn row_of(kind: &TicketType) -> TypeRow {
    TypeRow {
        id: kind.id.clone(),
        label: kind.label.clone(),
        emoji: kind.emoji.clone().unwrap_or_default(),
        description: kind.description.clone().unwrap_or_default(),
        category: kind.category.map(|c| c.to_string()).unwrap_or_default(),
        staff_roles: kind.staff_roles.clone(),
        cooldown_minutes: kind.cooldown.map(minutes).unwrap_or_default(),
        claim_mode: kind
            .claim_mode
            .map(|m| m.name().to_owned())
            .unwrap_or_default(),
    }
}

impl Values {
    fn of(guild: &GuildConfig) -> Self {
        Values {
            staff_roles: guild.staff_roles.clone(),
            approver_roles: guild.approver_roles.clone(),
            types: guild.ticket_types.iter().map(row_of).collect(),
            texts: EDITABLE_TEXTS
                .iter()
                .filter_map(|k| guild.texts.get(*k).map(|t| (k.to_string(), t.clone())))
                .collect(),
            channels: BTreeMap::from([
                ("panel_channel", guild.panel_channel.to_string()),
                ("log_channel", guild.log_channel.to_string()),
                ("ticket_category", guild.ticket_category.to_string()),
            ]),
        }
    }

    /// The values a submitted form stands for.
    fn from_fields(fields: &[(String, String)]) -> Self {
        let ids = |name: &str| -> Vec<u64> {
            let mut out = Vec::new();
            for id in fields
                .iter()
                .filter(|(k, _)| k == name)
                .filter_map(|(_, v)| v.parse().ok())
            {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            out
        };
        let one = |name: &str| -> String {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.replace("\r\n", "\n").trim().to_owned())
                .unwrap_or_default()
        };
        let rows: BTreeSet<usize> = fields
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("t.")?.split_once('.')?.0.parse().ok())
            .collect();
        let types = rows
            .into_iter()
            .filter(|i| one(&format!("t.{i}.remove")) != "on")
            .map(|i| TypeRow {
                id: one(&format!("t.{i}.id")),
                label: one(&format!("t.{i}.label")),
                emoji: one(&format!("t.{i}.emoji")),
                description: one(&format!("t.{i}.description")),
                category: one(&format!("t.{i}.category")),
                staff_roles: ids(&format!("t.{i}.staff_role")),
                cooldown_minutes: one(&format!("t.{i}.cooldown_minutes")),
                claim_mode: one(&format!("t.{i}.claim_mode")),
            })
            // The empty row left for a new type.
            .filter(|row| !(row.id.is_empty() && row.label.is_empty()))
            .collect();
        Values {
            staff_roles: ids("staff_role"),
            approver_roles: ids("approver_role"),
            types,
            texts: EDITABLE_TEXTS
                .iter()
                .map(|k| (k.to_string(), one(&format!("text.{k}"))))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            channels: CHANNEL_KEYS
                .iter()
                .map(|(key, _, _)| (*key, one(key)))
                .collect(),
        }
    }
}

/// What the guild really has, to check the ids a form sends against.
struct Known<'a> {
    roles: &'a [(u64, String)],
    channels: &'a [ChannelInfo],
    /// What is in force now (an id already there, such as a role deleted since, may stay).
    now: &'a GuildConfig,
}

impl Known<'_> {
    fn role(&self, id: u64) -> bool {
        self.roles.iter().any(|(r, _)| *r == id)
            || self.now.staff_roles.contains(&id)
            || self.now.approver_roles.contains(&id)
            || self
                .now
                .ticket_types
                .iter()
                .any(|t| t.staff_roles.contains(&id))
    }

    fn channel(&self, id: u64, kind: ChannelKind) -> bool {
        self.channels.iter().any(|c| c.id == id && c.kind == kind)
            || [
                self.now.panel_channel,
                self.now.log_channel,
                self.now.ticket_category,
            ]
            .contains(&id)
            || self.now.ticket_types.iter().any(|t| t.category == Some(id))
    }
}

fn id_list(ids: &[u64]) -> toml::Value {
    toml::Value::Array(
        ids.iter()
            .map(|i| toml::Value::String(i.to_string()))
            .collect(),
    )
}

/// A ticket type row as the file writes it (what the file's checks read).
fn type_table(row: &TypeRow, problems: &mut Vec<String>, at: usize) -> toml::Value {
    let mut table = toml::Table::new();
    table.insert("id".into(), row.id.clone().into());
    table.insert("label".into(), row.label.clone().into());
    for (key, value) in [("emoji", &row.emoji), ("description", &row.description)] {
        if !value.is_empty() {
            table.insert(key.into(), value.clone().into());
        }
    }
    if !row.category.is_empty() {
        table.insert("category".into(), row.category.clone().into());
    }
    if !row.staff_roles.is_empty() {
        table.insert("staff_roles".into(), id_list(&row.staff_roles));
    }
    if !row.cooldown_minutes.is_empty() {
        match row.cooldown_minutes.replace(',', ".").parse::<f64>() {
            Ok(minutes) => {
                table.insert("cooldown_minutes".into(), minutes.into());
            }
            Err(_) => problems.push(format!(
                "ticket_type[{at}].cooldown_minutes: a number of minutes"
            )),
        }
    }
    if !row.claim_mode.is_empty() {
        table.insert("claim_mode".into(), row.claim_mode.clone().into());
    }
    toml::Value::Table(table)
}

/// The layer `values` stand for over `file` (the operator's entry for this guild): the parts
/// the guild may change, with only what differs from the file; the parts it may not are left
/// to the file. Ids that are not the guild's own are problems.
fn layer_of(
    values: &Values,
    file: &GuildConfig,
    current: &GuildLayer,
    known: &Known<'_>,
) -> (GuildLayer, Vec<String>) {
    let mut layer = current.clone();
    let mut problems = Vec::new();
    for part in Editable::ALL {
        if !file.self_service.contains(&part) {
            for key in part.keys() {
                layer.remove(*key);
            }
        }
    }
    let may = |part: Editable| file.self_service.contains(&part);
    if may(Editable::Staff) {
        for (key, ids, theirs) in [
            ("staff_roles", &values.staff_roles, &file.staff_roles),
            (
                "approver_roles",
                &values.approver_roles,
                &file.approver_roles,
            ),
        ] {
            for id in ids.iter().filter(|id| !known.role(**id)) {
                problems.push(format!("{key}: {id} is not a role of this server"));
            }
            if ids == theirs {
                layer.remove(key);
            } else {
                layer.insert(key.into(), id_list(ids));
            }
        }
    }
    if may(Editable::TicketTypes) {
        let mut tables = Vec::new();
        for (i, row) in values.types.iter().enumerate() {
            for id in row.staff_roles.iter().filter(|id| !known.role(**id)) {
                problems.push(format!(
                    "ticket_type[{i}].staff_roles: {id} is not a role of this server"
                ));
            }
            if let Ok(category) = row.category.parse::<u64>() {
                if !known.channel(category, ChannelKind::Category) {
                    problems.push(format!(
                        "ticket_type[{i}].category: {category} is not a category of this server"
                    ));
                }
            }
            tables.push(type_table(row, &mut problems, i));
        }
        let theirs: Vec<TypeRow> = file.ticket_types.iter().map(row_of).collect();
        if values.types == theirs {
            layer.remove("ticket_type");
        } else {
            layer.insert("ticket_type".into(), toml::Value::Array(tables));
        }
    }
    if may(Editable::Texts) {
        let mut texts = layer
            .get("texts")
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default();
        for key in EDITABLE_TEXTS {
            match values.texts.get(*key) {
                Some(text) if file.texts.get(*key) != Some(text) => {
                    texts.insert(key.to_string(), text.clone().into());
                }
                _ => {
                    texts.remove(*key);
                }
            }
        }
        if texts.is_empty() {
            layer.remove("texts");
        } else {
            layer.insert("texts".into(), toml::Value::Table(texts));
        }
    }
    if may(Editable::Channels) {
        for (key, _, kind) in CHANNEL_KEYS {
            let text = values.channels.get(key).cloned().unwrap_or_default();
            let theirs = match key {
                "panel_channel" => file.panel_channel,
                "log_channel" => file.log_channel,
                _ => file.ticket_category,
            };
            match text.parse::<u64>() {
                Ok(id) if id == theirs => {
                    layer.remove(key);
                }
                Ok(id) => {
                    if !known.channel(id, kind) {
                        problems.push(format!(
                            "{key}: {id} is not a fitting channel of this server"
                        ));
                    }
                    layer.insert(key.into(), text.into());
                }
                Err(_) => problems.push(format!("{key}: pick a channel")),
            }
        }
    }
    (layer, problems)
}

/// Whether `layer` holds any key of `part` (the guild's own, not the file's).
fn own(layer: &GuildLayer, part: Editable) -> bool {
    part.keys().iter().any(|k| layer.contains_key(*k))
}

/// The guild's roles (without @everyone, whose id is the guild's: everyone as staff would
/// open every ticket to everyone) and channels as Discord tells the bot (empty, logged, when
/// it cannot).
async fn roles_and_channels(d: &Dashboard, guild: u64) -> (Vec<(u64, String)>, Vec<ChannelInfo>) {
    let mut roles =
        d.0.deps
            .discord
            .guild_roles(guild)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, guild, "listing the guild's roles for its settings");
                Vec::new()
            });
    roles.retain(|(id, _)| *id != guild);
    let channels =
        d.0.deps
            .discord
            .guild_channels(guild)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, guild, "listing the guild's channels for its settings");
                Vec::new()
            });
    (roles, channels)
}

struct FormPage<'a> {
    guild: u64,
    session: &'a WebSession,
    values: &'a Values,
    /// The file's entry for this guild (what the operator allows, and the defaults).
    file: &'a GuildConfig,
    /// What is in force now, for the preview and the texts' defaults.
    now: &'a GuildConfig,
    layer: &'a GuildLayer,
    roles: &'a [(u64, String)],
    channels: &'a [ChannelInfo],
    problems: &'a [String],
    saved: bool,
}

fn source_note(page: &FormPage<'_>, part: Editable) -> Markup {
    html! {
        @if !page.file.self_service.contains(&part) {
            p.muted.source { "The operator keeps these in config.toml." }
        } @else if own(page.layer, part) {
            p.muted.source { "This server's own (they win over config.toml). "
                button type="submit" name="reset" value=(part.name()) { "Use config.toml's" } }
        } @else {
            p.muted.source { "From config.toml (what you save becomes this server's own)." }
        }
    }
}

fn role_boxes(name: &str, roles: &[(u64, String)], chosen: &[u64], disabled: bool) -> Markup {
    let unknown: Vec<u64> = chosen
        .iter()
        .copied()
        .filter(|id| !roles.iter().any(|(r, _)| r == id))
        .collect();
    html! {
        span.choices {
            @for (id, role) in roles {
                label { input type="checkbox" name=(name) value=(id) checked[chosen.contains(id)] disabled[disabled]; " @" (role.trim_start_matches('@')) }
            }
            @for id in &unknown {
                label { input type="checkbox" name=(name) value=(id) checked disabled[disabled]; " " (id) " (not found)" }
            }
        }
    }
}

fn channel_select(
    name: &str,
    channels: &[ChannelInfo],
    kind: ChannelKind,
    current: &str,
    blank: Option<&str>,
    disabled: bool,
) -> Markup {
    let listed = channels
        .iter()
        .any(|c| c.kind == kind && c.id.to_string() == current);
    html! {
        select name=(name) disabled[disabled] {
            @if let Some(blank) = blank { option value="" { (blank) } }
            @if !current.is_empty() && !listed { option value=(current) selected { (current) " (not found)" } }
            @for c in channels.iter().filter(|c| c.kind == kind) {
                option value=(c.id) selected[c.id.to_string() == current] {
                    @if kind == ChannelKind::Category { (c.name) } @else { "#" (c.name) }
                }
            }
        }
    }
}

fn type_row(page: &FormPage<'_>, i: usize, row: &TypeRow, disabled: bool) -> Markup {
    let name = |field: &str| format!("t.{i}.{field}");
    html! {
        fieldset.type-row {
            legend { @if row.id.is_empty() { "New type" } @else { (row.id) } }
            label { "Id " input name=(name("id")) value=(row.id) maxlength="32" disabled[disabled]; }
            label { "Label " input name=(name("label")) value=(row.label) maxlength="100" disabled[disabled]; }
            label { "Emoji " input name=(name("emoji")) value=(row.emoji) size="6" disabled[disabled]; }
            label { "Description " input name=(name("description")) value=(row.description) maxlength="100" disabled[disabled]; }
            label { "Category " (channel_select(&name("category"), page.channels, ChannelKind::Category, &row.category, Some("(the ticket category)"), disabled)) }
            label { "Cooldown, minutes " input name=(name("cooldown_minutes")) value=(row.cooldown_minutes) size="6" disabled[disabled]; }
            label { "Claim mode "
                select name=(name("claim_mode")) disabled[disabled] {
                    option value="" { "(the server's)" }
                    @for mode in ClaimMode::ALL {
                        option value=(mode.name()) selected[row.claim_mode == mode.name()] { (mode.name()) }
                    }
                }
            }
            div { "Staff roles of this type, beside the server's: " (role_boxes(&name("staff_role"), page.roles, &row.staff_roles, disabled)) }
            @if !row.id.is_empty() {
                label { input type="checkbox" name=(name("remove")) value="on" disabled[disabled]; " Remove this type" }
            }
        }
    }
}

fn form(page: &FormPage<'_>) -> Markup {
    let locked = |part: Editable| !page.file.self_service.contains(&part);
    let defaults = Catalogue::builtin(page.now.locale);
    let texts = crate::locale::texts_for(page.now.locale, &page.now.texts);
    let guild = page.guild;
    let body = html! {
        h1 { "Server settings" }
        (tabs(guild))
        p.muted { "Who is staff, which ticket types the panel offers, what the panel and a ticket's first message say, and where tickets go. Changes apply to the next click; every change is in the history." }
        @if page.saved { p id="saved" { "Saved. The next click uses it." } }
        @if !page.problems.is_empty() {
            div id="problems" {
                p { "Not saved:" }
                ul { @for p in page.problems { li { (p) } } }
            }
        }
        form method="post" action=(format!("/dashboard/g/{guild}/server")) id="server" {
            input type="hidden" name="csrf" value=(page.session.csrf);
            h2 { "Staff" }
            (source_note(page, Editable::Staff))
            p { strong { "Staff roles" } br; "They see every ticket, claim and close them. " (role_boxes("staff_role", page.roles, &page.values.staff_roles, locked(Editable::Staff))) }
            p { strong { "Approver roles" } br; "They approve item returns. " (role_boxes("approver_role", page.roles, &page.values.approver_roles, locked(Editable::Staff))) }
            h2 { "Ticket types" }
            (source_note(page, Editable::TicketTypes))
            @for (i, row) in page.values.types.iter().enumerate() {
                (type_row(page, i, row, locked(Editable::TicketTypes)))
            }
            @if !locked(Editable::TicketTypes) && page.values.types.len() < 25 {
                (type_row(page, page.values.types.len(), &TypeRow::default(), false))
            }
            h2 { "Texts" }
            (source_note(page, Editable::Texts))
            p.muted { "Left empty, a text is the bot's own (shown greyed). Discord markdown works; " code { "{ $number }" } ", " code { "{ $type }" } " and " code { "{ $opener }" } " work in the welcome texts." }
            @for key in EDITABLE_TEXTS {
                p { label { strong { (key) } br;
                    textarea name=(format!("text.{key}")) rows="2" placeholder=(defaults.get(key, VARIABLES)) disabled[locked(Editable::Texts)] {
                        (page.values.texts.get(*key).map(String::as_str).unwrap_or_default())
                    }
                } }
            }
            h2 { "Channels" }
            (source_note(page, Editable::Channels))
            @for (key, label, kind) in CHANNEL_KEYS {
                p { label { strong { (label) } " "
                    (channel_select(key, page.channels, kind, page.values.channels.get(key).map(String::as_str).unwrap_or_default(), None, locked(Editable::Channels)))
                } }
            }
            button type="submit" id="save" { "Save" }
        }
        h2 { "The panel now" }
        div.preview id="panel-preview" {
            p { strong { (texts.get("panel-title", &[])) } }
            p { (texts.get("panel-description", &[])) }
            p { span.button { "🎫 " (texts.get("panel-open-button", &[])) } }
            ul { @for kind in &page.now.ticket_types {
                li { @if let Some(emoji) = &kind.emoji { (emoji) " " } (kind.label)
                    @if let Some(d) = &kind.description { " " span.muted { "· " (d) } } }
            } }
        }
    };
    layout("Server settings", Some(&viewer(page.session)), body)
}

/// Renders the form for `values` with the guild's state.
async fn render(
    d: &Dashboard,
    guild: u64,
    session: &WebSession,
    values: Option<&Values>,
    problems: &[String],
    saved: bool,
) -> Option<Markup> {
    let now_all = d.config();
    let now = now_all.guild(guild)?;
    let file_all = d.0.deps.settings.file();
    let file = file_all.guild(guild)?;
    let layer = d.0.deps.settings.layer(guild).await;
    let (roles, channels) = roles_and_channels(d, guild).await;
    let shown = values.cloned().unwrap_or_else(|| Values::of(now));
    Some(form(&FormPage {
        guild,
        session,
        values: &shown,
        file,
        now,
        layer: &layer,
        roles: &roles,
        channels: &channels,
        problems,
        saved,
    }))
}

/// `GET /dashboard/g/{guild}/server`.
pub(super) async fn edit(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let session = match manager(&d, &jar, guild).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match render(&d, guild, &session, None, &[], query.contains_key("saved")).await {
        Some(markup) => page(StatusCode::OK, markup),
        None => page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session)))),
    }
}

async fn change(
    d: &Dashboard,
    guild: u64,
    actor: u64,
    layer: GuildLayer,
) -> Result<(), Vec<String>> {
    d.0.deps
        .settings
        .change(guild, actor, layer)
        .await
        .map_err(|error| match error {
            ChangeError::Refused(problems) => problems,
            other => vec![other.to_string()],
        })
}

/// `POST /dashboard/g/{guild}/server`: the form, or one part back to the file's values.
pub(super) async fn save(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
    body: Bytes,
) -> Response {
    let (session, fields) = match manager_form(&d, &jar, guild, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let (now_all, file_all) = (d.config(), d.0.deps.settings.file());
    let (Some(now), Some(file)) = (now_all.guild(guild), file_all.guild(guild)) else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let current = d.0.deps.settings.layer(guild).await;
    let reset = fields
        .iter()
        .find(|(k, _)| k == "reset")
        .and_then(|(_, v)| Editable::parse(v));
    let values = Values::from_fields(&fields);
    let (layer, mut problems) = match reset {
        Some(part) => {
            let mut layer = current;
            for key in part.keys() {
                layer.remove(*key);
            }
            (layer, Vec::new())
        }
        None => {
            let (roles, channels) = roles_and_channels(&d, guild).await;
            let known = Known {
                roles: &roles,
                channels: &channels,
                now,
            };
            layer_of(&values, file, &current, &known)
        }
    };
    if problems.is_empty() {
        match change(&d, guild, session.user_id, layer).await {
            Ok(()) => {
                return secured(
                    Redirect::to(&format!("/dashboard/g/{guild}/server?saved")).into_response(),
                )
            }
            Err(found) => problems = found,
        }
    }
    match render(&d, guild, &session, Some(&values), &problems, false).await {
        Some(markup) => page(StatusCode::UNPROCESSABLE_ENTITY, markup),
        None => page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session)))),
    }
}

/// The keys a change touched, for the history.
pub(super) fn touched(change: &LayerChange) -> String {
    let before: GuildLayer = change.before.parse().unwrap_or_default();
    let after: GuildLayer = change.after.parse().unwrap_or_default();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let changed: Vec<&str> = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(String::as_str)
        .collect();
    if changed.is_empty() {
        "nothing".into()
    } else {
        changed.join(", ")
    }
}

/// The history's part about server settings: each change with what it touched, before and
/// after as the TOML the file would hold, and a rollback.
pub(super) fn history_table(guild: u64, session: &WebSession, changes: &[LayerChange]) -> Markup {
    let shown = |layer: &str| {
        if layer.trim().is_empty() {
            "(everything from config.toml)".to_owned()
        } else {
            layer.to_owned()
        }
    };
    html! {
        h2 { "Server settings" }
        table id="server-history" {
            thead { tr { th { "When" } th { "Who" } th { "Changed" } th { "Before" } th { "After" } th {} } }
            tbody { @for change in changes {
                tr {
                    td data-label="When" { (change.at.format("%Y-%m-%d %H:%M UTC")) }
                    td data-label="Who" { (change.actor) }
                    td data-label="Changed" { (touched(change)) }
                    td data-label="Before" { details { summary { "TOML" } pre { (shown(&change.before)) } } }
                    td data-label="After" { details { summary { "TOML" } pre { (shown(&change.after)) } } }
                    td {
                        form method="post" action=(format!("/dashboard/g/{guild}/history/server/{}/rollback", change.id)) {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button type="submit" class="rollback" { "Roll back" }
                        }
                    }
                }
            } }
        }
    }
}

/// `POST /dashboard/g/{guild}/history/server/{id}/rollback`: back to that change's `before`.
pub(super) async fn rollback(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path((guild, id)): Path<(u64, i64)>,
    body: Bytes,
) -> Response {
    let (session, _) = match manager_form(&d, &jar, guild, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Ok(Some(found)) = d.0.store.layer_change(guild, id).await else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    // A `before` that no longer reads is said, not replaced by the file's values.
    let outcome = match found.before.parse::<GuildLayer>() {
        Ok(target) => change(&d, guild, session.user_id, target).await,
        Err(error) => Err(vec![format!(
            "the settings before this change cannot be read ({error}); nothing changed"
        )]),
    };
    rolled_back(guild, &session, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path as FilePath;

    const FILE: &str = r#"
[[guild]]
id = 1
panel_channel = 10
log_channel = 11
ticket_category = 12
staff_roles = [100]

[[guild.ticket_type]]
id = "support"
label = "Support"
"#;

    fn guild() -> GuildConfig {
        crate::config::Config::parse(FilePath::new("c.toml"), FILE.into())
            .expect("valid")
            .guilds
            .remove(0)
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_unchanged_form_leaves_everything_to_the_file() {
        let file = guild();
        let values = Values::from_fields(&fields(&[
            ("staff_role", "100"),
            ("approver_role", "100"),
            ("t.0.id", "support"),
            ("t.0.label", "Support"),
            ("t.1.id", ""),
            ("t.1.label", ""),
            ("text.panel-title", ""),
            ("panel_channel", "10"),
            ("log_channel", "11"),
            ("ticket_category", "12"),
        ]));
        let known = Known {
            roles: &[],
            channels: &[],
            now: &file,
        };
        let (layer, problems) = layer_of(&values, &file, &GuildLayer::new(), &known);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(layer.is_empty(), "{layer:?}");
    }

    #[test]
    fn changes_become_the_layer_and_foreign_ids_are_refused() {
        let file = guild();
        let roles = [(100, "Staff".to_owned()), (200, "Mods".to_owned())];
        let values = Values::from_fields(&fields(&[
            ("staff_role", "100"),
            ("staff_role", "200"),
            ("approver_role", "999"),
            ("t.0.id", "support"),
            ("t.0.label", "Support"),
            ("t.0.remove", "on"),
            ("t.1.id", "ban"),
            ("t.1.label", "Recurso de banimento"),
            ("t.1.cooldown_minutes", "1,5"),
            ("text.panel-title", "Suporte\r\n"),
            ("panel_channel", "10"),
            ("log_channel", "11"),
            ("ticket_category", "12"),
        ]));
        let known = Known {
            roles: &roles,
            channels: &[],
            now: &file,
        };
        let (layer, problems) = layer_of(&values, &file, &GuildLayer::new(), &known);
        assert_eq!(
            problems,
            vec!["approver_roles: 999 is not a role of this server"]
        );
        assert_eq!(layer["staff_roles"], id_list(&[100, 200]));
        let types = layer["ticket_type"].as_array().unwrap();
        assert_eq!(types.len(), 1);
        assert_eq!(types[0]["id"].as_str(), Some("ban"));
        assert_eq!(types[0]["cooldown_minutes"].as_float(), Some(1.5));
        assert_eq!(layer["texts"]["panel-title"].as_str(), Some("Suporte"));
        assert!(!layer.contains_key("panel_channel"));
    }

    #[test]
    fn parts_the_operator_keeps_are_never_in_the_layer() {
        let mut file = guild();
        file.self_service = vec![Editable::Texts];
        let values = Values::from_fields(&fields(&[("staff_role", "5")]));
        let known = Known {
            roles: &[],
            channels: &[],
            now: &file,
        };
        let stale: GuildLayer = "staff_roles = [\"7\"]".parse().unwrap();
        let (layer, problems) = layer_of(&values, &file, &stale, &known);
        assert!(problems.is_empty());
        assert!(layer.is_empty(), "{layer:?}");
    }
}
