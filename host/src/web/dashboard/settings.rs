//! Self-service for holders of Manage Server: turn the plugins the operator makes available on
//! and off, grant them capabilities within the operator's ceiling, edit their settings in a
//! form generated from each plugin's schema (channels and roles picked from the guild's own),
//! see every change and roll one back. A change is checked exactly as `config.toml` is (the
//! same messages), applied live (the next click uses it) and recorded (who, when, before,
//! after).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use maud::{html, Markup};
use sha2::{Digest, Sha256};

use crate::capability::Capability;
use crate::plugins::choices::{explain, Choice};
use crate::plugins::contract::{self as c, SettingKind, ValueKind};
use crate::plugins::Entry;
use crate::store::WebSession;

use super::pages::{layout, not_found};
use super::{page, secured, viewer, Dashboard};

/// The signed-in session of someone who manages `guild` (as the bot sees them), or the answer
/// to give instead: the same 404 for anyone else.
pub(super) async fn manager(
    d: &Dashboard,
    jar: &CookieJar,
    guild: u64,
) -> Result<WebSession, Response> {
    let (session, _) = d.guard(jar, guild).await?;
    if !d.manages(guild, session.user_id).await {
        return Err(page(
            StatusCode::NOT_FOUND,
            not_found(Some(&viewer(&session))),
        ));
    }
    Ok(session)
}

/// The plugin `id` as the file (or an upload) makes it available in `guild`.
fn entry(d: &Dashboard, guild: u64, id: &str) -> Option<Entry> {
    d.0.deps
        .plugins
        .entries(guild)
        .into_iter()
        .find(|(e, _)| e.id == id)
}

async fn current(d: &Dashboard, guild: u64) -> HashMap<String, Choice> {
    crate::self_service::current(&d.0.store, &d.0.deps.plugins, guild).await
}

pub(super) fn tabs(guild: u64) -> Markup {
    html! {
        nav.tabs {
            a href=(format!("/dashboard/g/{guild}")) { "Tickets" }
            a href=(format!("/dashboard/g/{guild}/stats")) { "Statistics" }
            a href=(format!("/dashboard/g/{guild}/server")) { "Server" }
            a href=(format!("/dashboard/g/{guild}/plugins")) { "Plugins" }
            a href=(format!("/dashboard/g/{guild}/history")) { "History" }
        }
    }
}

/// `GET /dashboard/g/{guild}/plugins`: what is available, on or off.
pub(super) async fn list(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
) -> Response {
    let session = match manager(&d, &jar, guild).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let choices = current(&d, guild).await;
    let all = d.config();
    let config = all.guild(guild);
    let locale = config.map_or("en", |g| g.locale.tag());
    let uploads = config.and_then(|g| g.uploads.clone());
    let entries = d.0.deps.plugins.entries(guild);
    let body = html! {
        h1 { "Plugins" }
        (tabs(guild))
        p.muted { "The plugins this bot's operator makes available here. Changes apply to the next click; every change is in the history." }
        @if let Some(ceiling) = &uploads {
            form method="post" action=(format!("/dashboard/g/{guild}/plugins/upload")) enctype="multipart/form-data" id="upload" {
                input type="hidden" name="csrf" value=(session.csrf);
                label { "Upload a plugin of your own (.wasm, at most " (ceiling.max_bytes / 1024) " KiB) "
                    input type="file" name="component" accept=".wasm"; }
                " "
                button type="submit" { "Upload" }
            }
        }
        h2 { "A ticket's plugin buttons now" }
        p id="preview" {
            @let enabled = d.0.deps.plugins.enabled(guild);
            @if enabled.iter().all(|p| p.instance.manifest().buttons.is_empty()) { span.muted { "none" } }
            @for plugin in &enabled {
                @for button in &plugin.instance.manifest().buttons {
                    span.button { @if let Some(emoji) = &button.emoji { (emoji) " " } (plugin.label(button)) }
                    " "
                }
            }
        }
        table id="plugins" {
            thead { tr { th { "Plugin" } th { "State" } th { "Granted" } th {} } }
            tbody {
                @for (entry, instance) in &entries {
                    @let choice = &choices[&entry.id];
                    tr {
                        td data-label="Plugin" {
                            (c::pick(&instance.manifest().name, locale)) " " span.muted { "(" (entry.id) ")" }
                            @if matches!(entry.source, crate::config::PluginSource::Uploaded(_)) { " " span.muted { "uploaded" } }
                        }
                        td data-label="State" { @if choice.enabled { "on" } @else { "off" } }
                        td data-label="Granted" { (choice.capabilities.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")) }
                        td { a href=(format!("/dashboard/g/{guild}/plugins/{}", entry.id)) { "Edit" } }
                    }
                }
            }
        }
    };
    page(
        StatusCode::OK,
        layout("Plugins", Some(&viewer(&session)), body),
    )
}

/// A setting's current value as a form shows it.
fn shown(value: Option<&toml::Value>) -> String {
    match value {
        None => String::new(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The form for one plugin, with `problems` from a refused save and `values` as typed.
#[allow(clippy::too_many_arguments)]
async fn form(
    d: &Dashboard,
    guild: u64,
    session: &WebSession,
    entry: &Entry,
    choice: &Choice,
    problems: &[String],
    saved: bool,
) -> Markup {
    let (config, instance) = entry;
    let manifest = instance.manifest();
    let all = d.config();
    let locale = all.guild(guild).map_or("en", |g| g.locale.tag());
    // Without them the pickers offer only the default; the owner can still save the rest.
    let channels =
        d.0.deps
            .discord
            .guild_channels(guild)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, guild, "listing the guild's channels for a settings form");
                Vec::new()
            });
    let roles =
        d.0.deps
            .discord
            .guild_roles(guild)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, guild, "listing the guild's roles for a settings form");
                Vec::new()
            });
    let grantable: Vec<Capability> = config
        .capabilities
        .iter()
        .copied()
        .filter(|c| manifest.capabilities.iter().any(|m| m == c.name()))
        .collect();
    let select = |name: String, current: String, options: Vec<(String, String)>| {
        html! {
            select name=(name) {
                option value="" { "(default)" }
                @for (value, label) in &options {
                    option value=(value) selected[*value == current] { (label) }
                }
            }
        }
    };
    let field = |key: &str, kind: &SettingKind| -> Markup {
        let current = shown(choice.settings.get(key));
        let name = format!("s.{key}");
        match kind {
            SettingKind::Single(ValueKind::Boolean) => select(
                name,
                current,
                vec![("true".into(), "yes".into()), ("false".into(), "no".into())],
            ),
            SettingKind::Single(ValueKind::Channel | ValueKind::Category) => select(
                name,
                current,
                channels
                    .iter()
                    .map(|ch| (ch.id.to_string(), format!("#{}", ch.name)))
                    .collect(),
            ),
            SettingKind::Single(ValueKind::Role) => select(
                name,
                current,
                roles
                    .iter()
                    .map(|(id, n)| (id.to_string(), format!("@{}", n.trim_start_matches('@'))))
                    .collect(),
            ),
            SettingKind::Single(ValueKind::Choice(words)) => select(
                name,
                current,
                words.iter().map(|w| (w.clone(), w.clone())).collect(),
            ),
            SettingKind::Single(_) => html! { input name=(name) value=(current); },
            SettingKind::Many(_) | SettingKind::Table(_) => html! {
                textarea name=(format!("t.{key}")) rows="5" { (current) }
            },
        }
    };
    let body = html! {
        h1 { (c::pick(&manifest.name, locale)) }
        (tabs(guild))
        @if saved { p id="saved" { "Saved. The next click uses it." } }
        @if !problems.is_empty() {
            div id="problems" {
                p { "Not saved:" }
                ul { @for p in problems { li { (p) } } }
            }
        }
        form method="post" action=(format!("/dashboard/g/{guild}/plugins/{}", config.id)) {
            input type="hidden" name="csrf" value=(session.csrf);
            p { label { input type="checkbox" name="enabled" value="on" checked[choice.enabled]; " On in this guild" } }
            h2 { "Capabilities" }
            @if grantable.is_empty() { p.muted { "It needs none." } }
            @for cap in &grantable {
                p { label {
                    input type="checkbox" name="cap" value=(cap.name()) checked[choice.capabilities.contains(cap)];
                    " " code { (cap.name()) } ": " (explain(*cap))
                } }
            }
            h2 { "Settings" }
            @for setting in &manifest.settings {
                p { label {
                    strong { (c::pick(&setting.label, locale)) } " " span.muted { "(" (setting.key) ")" }
                    br;
                    (field(&setting.key, &setting.kind))
                    br;
                    span.muted { (c::pick(&setting.help, locale)) }
                } }
            }
            button type="submit" id="save" { "Save" }
        }
    };
    layout("Plugin settings", Some(&viewer(session)), body)
}

/// `GET /dashboard/g/{guild}/plugins/{id}`.
pub(super) async fn edit(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path((guild, id)): Path<(u64, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match manager(&d, &jar, guild).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some(entry) = entry(&d, guild, &id) else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let choices = current(&d, guild).await;
    let saved = query.contains_key("saved");
    let markup = form(&d, guild, &session, &entry, &choices[&id], &[], saved).await;
    page(StatusCode::OK, markup)
}

/// The form's fields, by name (a name may repeat, as the capabilities do).
fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A manager's form submission: the session and the fields, once the CSRF token matched; or
/// the answer to give instead.
pub(super) async fn manager_form(
    d: &Dashboard,
    jar: &CookieJar,
    guild: u64,
    body: &[u8],
) -> Result<(WebSession, Vec<(String, String)>), Response> {
    let session = manager(d, jar, guild).await?;
    let fields = fields(body);
    if !csrf_ok(&session, &fields) {
        return Err(page(
            StatusCode::FORBIDDEN,
            not_found(Some(&viewer(&session))),
        ));
    }
    Ok((session, fields))
}

fn csrf_ok(session: &WebSession, fields: &[(String, String)]) -> bool {
    fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .is_some_and(|(_, v)| {
            Sha256::digest(v.as_bytes()) == Sha256::digest(session.csrf.as_bytes())
        })
}

/// The choice a submitted form stands for, and the problems reading it (a table that is not
/// TOML).
fn choice_from(entry: &Entry, fields: &[(String, String)]) -> (Choice, Vec<String>) {
    let (config, instance) = entry;
    let manifest = instance.manifest();
    let mut problems = Vec::new();
    let mut settings = toml::Table::new();
    // Labels are settings too (`label.<button>`), kept as they were in the file.
    if let Some(labels) = config.settings.get(crate::plugins::settings::LABELS) {
        settings.insert(crate::plugins::settings::LABELS.into(), labels.clone());
    }
    for setting in &manifest.settings {
        let single = fields
            .iter()
            .find(|(k, _)| *k == format!("s.{}", setting.key))
            .map(|(_, v)| v.trim());
        let table = fields
            .iter()
            .find(|(k, _)| *k == format!("t.{}", setting.key))
            .map(|(_, v)| v.trim());
        let value = match (&setting.kind, single, table) {
            (SettingKind::Single(kind), Some(text), _) if !text.is_empty() => Some(match kind {
                ValueKind::Boolean => toml::Value::Boolean(text == "true"),
                ValueKind::Integer(_)
                | ValueKind::Channel
                | ValueKind::Category
                | ValueKind::Role => text
                    .parse::<i64>()
                    .map_or_else(|_| toml::Value::String(text.into()), toml::Value::Integer),
                ValueKind::Duration(_) => text
                    .parse::<i64>()
                    .map_or_else(|_| toml::Value::String(text.into()), toml::Value::Integer),
                _ => toml::Value::String(text.into()),
            }),
            (SettingKind::Many(_) | SettingKind::Table(_), _, Some(text)) if !text.is_empty() => {
                match format!("v = {text}").parse::<toml::Table>() {
                    Ok(mut parsed) => parsed.remove("v"),
                    Err(e) => {
                        problems.push(format!("settings.{}: not TOML ({e})", setting.key));
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(value) = value {
            settings.insert(setting.key.clone(), value);
        }
    }
    let mut capabilities = Vec::new();
    for (_, name) in fields.iter().filter(|(k, _)| k == "cap") {
        match Capability::parse(name) {
            Some(c) if !capabilities.contains(&c) => capabilities.push(c),
            Some(_) => {}
            None => problems.push(format!("unknown capability {name:?}")),
        }
    }
    let choice = Choice {
        plugin: config.id.clone(),
        enabled: fields.iter().any(|(k, v)| k == "enabled" && v == "on"),
        capabilities,
        settings,
    };
    (choice, problems)
}

async fn change(d: &Dashboard, guild: u64, actor: u64, choice: &Choice) -> Result<(), Vec<String>> {
    crate::self_service::change(&d.0.store, &d.0.deps.plugins, guild, actor, choice).await
}

/// `POST /dashboard/g/{guild}/plugins/{id}`.
pub(super) async fn save(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path((guild, id)): Path<(u64, String)>,
    body: Bytes,
) -> Response {
    let (session, fields) = match manager_form(&d, &jar, guild, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(entry) = entry(&d, guild, &id) else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let (choice, mut problems) = choice_from(&entry, &fields);
    if problems.is_empty() {
        match change(&d, guild, session.user_id, &choice).await {
            Ok(()) => {
                return secured(
                    Redirect::to(&format!("/dashboard/g/{guild}/plugins/{id}?saved"))
                        .into_response(),
                )
            }
            Err(found) => problems = found,
        }
    }
    let markup = form(&d, guild, &session, &entry, &choice, &problems, false).await;
    page(StatusCode::UNPROCESSABLE_ENTITY, markup)
}

fn summary(choice: &Choice) -> String {
    format!(
        "{}; grants: {}; settings: {}",
        if choice.enabled { "on" } else { "off" },
        if choice.capabilities.is_empty() {
            "none".into()
        } else {
            choice
                .capabilities
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        },
        toml::to_string(&choice.settings)
            .unwrap_or_default()
            .trim()
            .replace('\n', "; ")
    )
}

/// `GET /dashboard/g/{guild}/history`: every change, newest first, each with a rollback.
pub(super) async fn history(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
) -> Response {
    let session = match manager(&d, &jar, guild).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let read = tokio::try_join!(
        d.0.store.choice_history(guild, 200),
        d.0.store.layer_history(guild, 200)
    );
    let (changes, server) = match read {
        Ok(both) => both,
        Err(error) => {
            tracing::warn!(%error, guild, "reading the guild's history");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                not_found(Some(&viewer(&session))),
            );
        }
    };
    let describe = |stored: &crate::store::StoredChoice| {
        Choice::from_stored(stored).map_or_else(|e| e, |c| summary(&c))
    };
    let body = html! {
        h1 { "History" }
        (tabs(guild))
        (super::server::history_table(guild, &session, &server))
        h2 { "Plugins" }
        table id="history" {
            thead { tr { th { "When" } th { "Who" } th { "Plugin" } th { "Before" } th { "After" } th {} } }
            tbody { @for change in &changes {
                tr {
                    td data-label="When" { (change.at.format("%Y-%m-%d %H:%M UTC")) }
                    td data-label="Who" { (change.actor) }
                    td data-label="Plugin" { (change.plugin) }
                    td data-label="Before" { @if let Some(b) = &change.before { (describe(b)) } @else { "the config file's default" } }
                    td data-label="After" { (describe(&change.after)) }
                    td {
                        form method="post" action=(format!("/dashboard/g/{guild}/history/{}/rollback", change.id)) {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button type="submit" class="rollback" { "Roll back" }
                        }
                    }
                }
            } }
        }
    };
    page(
        StatusCode::OK,
        layout("History", Some(&viewer(&session)), body),
    )
}

/// `POST /dashboard/g/{guild}/history/{id}/rollback`: back to that change's `before`.
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
    let Ok(Some(found)) = d.0.store.choice_change(guild, id).await else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let Some((entry, _)) = entry(&d, guild, &found.plugin) else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let target = match &found.before {
        Some(before) => Choice::from_stored(before).unwrap_or_else(|_| Choice::default_of(&entry)),
        None => Choice::default_of(&entry),
    };
    let outcome = change(&d, guild, session.user_id, &target).await;
    rolled_back(guild, &session, outcome)
}

/// The answer to a rollback: back to the history, or what kept it from happening.
pub(super) fn rolled_back(
    guild: u64,
    session: &WebSession,
    outcome: Result<(), Vec<String>>,
) -> Response {
    match outcome {
        Ok(()) => secured(Redirect::to(&format!("/dashboard/g/{guild}/history")).into_response()),
        Err(problems) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout(
                "History",
                Some(&viewer(session)),
                html! { h1 { "Not rolled back" } ul { @for p in &problems { li { (p) } } } },
            ),
        ),
    }
}

/// The largest upload request the server reads (the biggest component a guild may be allowed,
/// plus the form around it).
pub(super) const UPLOAD_BODY_LIMIT: usize = 16 * 1024 * 1024 + 64 * 1024;

/// `POST /dashboard/g/{guild}/plugins/upload`: a component of the guild's own, checked before
/// anything of it runs beyond describing itself (size, component, contract, imports,
/// manifest), kept by its hash, available here only and off until turned on.
pub(super) async fn upload(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
    mut form: axum::extract::Multipart,
) -> Response {
    let session = match manager(&d, &jar, guild).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some(ceiling) = d.config().guild(guild).and_then(|g| g.uploads.clone()) else {
        return page(StatusCode::NOT_FOUND, not_found(Some(&viewer(&session))));
    };
    let mut csrf = None;
    let mut bytes = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("component") => bytes = field.bytes().await.ok(),
            _ => {}
        }
    }
    let fields = vec![("csrf".to_owned(), csrf.unwrap_or_default())];
    if !csrf_ok(&session, &fields) {
        return page(StatusCode::FORBIDDEN, not_found(Some(&viewer(&session))));
    }
    let refused = |problems: Vec<String>| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout(
                "Upload",
                Some(&viewer(&session)),
                html! {
                    h1 { "Not uploaded" }
                    (tabs(guild))
                    div id="problems" { ul { @for p in &problems { li { (p) } } } }
                },
            ),
        )
    };
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return refused(vec!["choose a .wasm file".into()]);
    };
    let plugins = d.0.deps.plugins.clone();
    let cache = crate::plugins::ComponentCache::new(Some(d.config().plugin_cache.clone()));
    let kept = bytes.to_vec();
    // Until it is kept, so putting the recorded uploads in force cannot bring back the old one.
    let choosing = d.0.deps.plugins.choosing().await;
    // Compiling takes a while: off the async workers.
    let added =
        tokio::task::spawn_blocking(move || plugins.add_upload(guild, &kept, &cache, &ceiling))
            .await
            .unwrap_or_else(|e| Err(vec![format!("checking the component failed: {e}")]));
    let (id, hash) = match added {
        Ok(added) => added,
        Err(problems) => return refused(problems),
    };
    let upload = crate::store::UploadedPlugin {
        plugin: id.clone(),
        hash,
        bytes: bytes.to_vec(),
    };
    if let Err(error) = d.0.store.save_upload(guild, session.user_id, upload).await {
        tracing::error!(%error, guild, "keeping an uploaded plugin");
        return refused(vec!["the component could not be kept; try again".into()]);
    }
    drop(choosing);
    // The history shows the upload as a change to the plugin's (new) default: off.
    if let Some((entry, _)) =
        d.0.deps
            .plugins
            .entries(guild)
            .into_iter()
            .find(|(e, _)| e.id == id)
    {
        let _ = change(&d, guild, session.user_id, &Choice::default_of(&entry)).await;
    }
    tracing::info!(guild, plugin = %id, "a guild uploaded a plugin");
    secured(Redirect::to(&format!("/dashboard/g/{guild}/plugins/{id}")).into_response())
}
