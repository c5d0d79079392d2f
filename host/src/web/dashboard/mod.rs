//! The dashboard: staff and players on the web, signed in with Discord.
//!
//! - `oauth`: the authorization code grant and the two reads it allows.
//! - `pages`: the pages (maud), no script.
//! - `charts`: the statistics as SVG.
//! - `settings`: self-service for holders of Manage Server (plugins, grants, settings, history).
//! - `server`: the server's own ticket types, texts, staff roles and channels (same holders).
//!
//! Who sees what is decided here, from the bot's own view of the guild (the member's roles as
//! Discord tells the bot, against the configured staff roles), never from what the browser
//! sends: a guild's staff see its tickets, transcripts and statistics; anyone else who is a
//! member sees only their own tickets; a guild the bot does not serve, or where the viewer is
//! not a member, is the same 404 as a page that does not exist. Sessions live in the store
//! (by the hash of their id) with an expiry; the cookie is HttpOnly, SameSite=Lax, and Secure
//! when the public URL is https; every form that changes something carries the session's CSRF
//! token.

mod charts;
pub mod oauth;
mod pages;
mod server;
mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::Markup;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::rest::DiscordApi;
use crate::store::{Store, WebSession};
use oauth::DiscordOAuth;
use pages::{ListQuery, Viewer};

/// The session cookie.
const SESSION_COOKIE: &str = "tb_session";
/// The cookie holding the OAuth2 `state` while the user is at Discord.
const STATE_COOKIE: &str = "tb_oauth_state";
/// How long a sign-in lasts.
const SESSION_DAYS: i64 = 7;
/// How long the bot's view of a member is reused.
const ACCESS_TTL: Duration = Duration::from_secs(60);
/// How long a guild's name is reused.
const NAME_TTL: Duration = Duration::from_secs(600);
/// Tickets per page.
const PAGE_SIZE: u64 = 50;

/// What the dashboard needs from the rest of the host.
pub struct DashboardDeps {
    /// The configuration in force (guilds, staff roles) and the guilds' own settings, which
    /// managers change here.
    pub settings: Arc<crate::guild_settings::GuildSettings>,
    /// The bot's REST view of Discord (members' roles, guild names).
    pub discord: Arc<dyn DiscordApi>,
    /// The OAuth2 client.
    pub oauth: DiscordOAuth,
    /// What transcript links are derived from.
    pub link_key: crate::transcript::token::LinkKey,
    /// The plugins, which guilds' own choices change live.
    pub plugins: Arc<crate::plugins::PluginHost>,
}

/// What a viewer may see in a guild.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Everything of the guild.
    Staff,
    /// Their own tickets.
    Player,
}

/// What the bot last saw of a (guild, user), and when.
type Seen = (Option<Access>, Instant);

struct Inner {
    store: Store,
    deps: DashboardDeps,
    secure: bool,
    access: Mutex<HashMap<(u64, u64), Seen>>,
    /// Whether a member manages a guild, as the bot last saw it, and when.
    manages: Mutex<HashMap<(u64, u64), (bool, Instant)>>,
    /// Guilds' names, as Discord last told them, and when.
    names: Mutex<HashMap<u64, (String, Instant)>>,
}

#[derive(Clone)]
struct Dashboard(Arc<Inner>);

/// The dashboard's routes, under `/dashboard`.
pub fn router(store: Store, public_url: &str, deps: DashboardDeps) -> Router {
    let state = Dashboard(Arc::new(Inner {
        store,
        deps,
        secure: public_url.starts_with("https://"),
        access: Mutex::default(),
        manages: Mutex::default(),
        names: Mutex::default(),
    }));
    Router::new()
        .route("/dashboard", get(home))
        .route("/dashboard/", get(home))
        .route("/dashboard/style.css", get(style))
        .route("/dashboard/icon.svg", get(icon))
        .route("/dashboard/login", get(login))
        .route("/dashboard/callback", get(callback))
        .route("/dashboard/logout", post(logout))
        .route("/dashboard/g/{guild}", get(tickets))
        .route("/dashboard/g/{guild}/stats", get(stats))
        .route("/dashboard/g/{guild}/stats.csv", get(stats_csv))
        .route("/dashboard/g/{guild}/charts/{chart}", get(chart))
        .route("/dashboard/g/{guild}/plugins", get(settings::list))
        .route(
            "/dashboard/g/{guild}/plugins/upload",
            post(settings::upload).layer(axum::extract::DefaultBodyLimit::max(
                settings::UPLOAD_BODY_LIMIT,
            )),
        )
        .route(
            "/dashboard/g/{guild}/plugins/{plugin}",
            get(settings::edit).post(settings::save),
        )
        .route(
            "/dashboard/g/{guild}/server",
            get(server::edit).post(server::save),
        )
        .route("/dashboard/g/{guild}/history", get(settings::history))
        .route(
            "/dashboard/g/{guild}/history/server/{change}/rollback",
            post(server::rollback),
        )
        .route(
            "/dashboard/g/{guild}/history/{change}/rollback",
            post(settings::rollback),
        )
        .with_state(state)
}

/// Security headers on every dashboard answer.
fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CACHE_CONTROL, "no-store");
    set(header::X_FRAME_OPTIONS, "DENY");
    response
}

fn page(status: StatusCode, markup: Markup) -> Response {
    secured((status, Html(markup.into_string())).into_response())
}

fn hash(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

fn random_hex() -> String {
    format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    )
}

impl Dashboard {
    /// The configuration in force.
    fn config(&self) -> Arc<Config> {
        self.0.deps.settings.config()
    }

    fn cookie(
        &self,
        name: &'static str,
        value: String,
        max_age: time::Duration,
    ) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.0.secure)
            .path("/dashboard")
            .max_age(max_age)
            .build()
    }

    /// The signed-in session the cookie names, if any.
    async fn session(&self, jar: &CookieJar) -> Option<(Vec<u8>, WebSession)> {
        let id = jar.get(SESSION_COOKIE)?.value().to_owned();
        let id_hash = hash(&id);
        match self.0.store.session(id_hash.clone()).await {
            Ok(found) => found.map(|s| (id_hash, s)),
            Err(error) => {
                tracing::warn!(%error, "reading a dashboard session");
                None
            }
        }
    }

    /// What `user` may see in `guild`, from the bot's view of them (reused for a minute).
    async fn access(&self, guild: u64, user: u64) -> Option<Access> {
        let all = self.config();
        let config = all.guild(guild)?;
        if let Some((access, at)) = self
            .0
            .access
            .lock()
            .expect("access lock")
            .get(&(guild, user))
        {
            if at.elapsed() < ACCESS_TTL {
                return *access;
            }
        }
        let roles = match self.0.deps.discord.member_roles(guild, user).await {
            Ok(roles) => roles,
            Err(error) => {
                tracing::warn!(%error, guild, "reading a member's roles for the dashboard");
                return None;
            }
        };
        let access = roles.map(|roles| {
            let staff = config.is_staff(&roles)
                || config
                    .ticket_types
                    .iter()
                    .any(|t| roles.iter().any(|r| t.staff_roles.contains(r)));
            if staff {
                Access::Staff
            } else {
                Access::Player
            }
        });
        self.0
            .access
            .lock()
            .expect("access lock")
            .insert((guild, user), (access, Instant::now()));
        access
    }

    async fn guild_name(&self, guild: u64) -> String {
        if let Some((name, at)) = self.0.names.lock().expect("names lock").get(&guild) {
            if at.elapsed() < NAME_TTL {
                return name.clone();
            }
        }
        if let Ok(name) = self.0.deps.discord.guild_name(guild).await {
            self.0
                .names
                .lock()
                .expect("names lock")
                .insert(guild, (name.clone(), Instant::now()));
            return name;
        }
        self.config()
            .guild(guild)
            .and_then(|g| g.name.clone())
            .unwrap_or_else(|| guild.to_string())
    }

    /// Whether `user` manages `guild` (its owner, Administrator or Manage Server), from the
    /// bot's view, reused for a minute like the access decision.
    async fn manages(&self, guild: u64, user: u64) -> bool {
        if let Some((manages, at)) = self
            .0
            .manages
            .lock()
            .expect("manages lock")
            .get(&(guild, user))
        {
            if at.elapsed() < ACCESS_TTL {
                return *manages;
            }
        }
        let manages = match self.0.deps.discord.member_manages_guild(guild, user).await {
            Ok(manages) => manages,
            Err(error) => {
                tracing::warn!(%error, guild, "reading whether a member manages the guild");
                return false;
            }
        };
        self.0
            .manages
            .lock()
            .expect("manages lock")
            .insert((guild, user), (manages, Instant::now()));
        manages
    }

    /// The session and the viewer's access to `guild`, or the answer to give instead.
    async fn guard(&self, jar: &CookieJar, guild: u64) -> Result<(WebSession, Access), Response> {
        let Some((_, session)) = self.session(jar).await else {
            return Err(page(StatusCode::FORBIDDEN, pages::needs_sign_in()));
        };
        match self.access(guild, session.user_id).await {
            Some(access) => Ok((session, access)),
            None => Err(page(
                StatusCode::NOT_FOUND,
                pages::not_found(Some(&viewer(&session))),
            )),
        }
    }
}

fn viewer(session: &WebSession) -> Viewer<'_> {
    Viewer {
        name: &session.user_name,
        csrf: &session.csrf,
    }
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        include_str!("style.css"),
    )
        .into_response()
}

/// The tab's icon: a ticket.
async fn icon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><path fill=\"#3d7fe0\" d=\"M1 4h14v3a1 1 0 0 0 0 2v3H1V9a1 1 0 0 0 0-2z\"/></svg>",
    )
        .into_response()
}

async fn home(State(d): State<Dashboard>, jar: CookieJar) -> Response {
    let Some((_, session)) = d.session(&jar).await else {
        return page(StatusCode::OK, pages::sign_in());
    };
    let mut links = Vec::new();
    let all = d.config();
    for guild in &all.guilds {
        // Only guilds Discord listed for them at sign-in and the bot sees them in.
        if !session.guilds.contains(&guild.id) {
            continue;
        }
        if let Some(access) = d.access(guild.id, session.user_id).await {
            let manages = d.manages(guild.id, session.user_id).await;
            links.push(pages::GuildLink {
                id: guild.id,
                name: d.guild_name(guild.id).await,
                staff: access == Access::Staff,
                manages,
            });
        }
    }
    page(StatusCode::OK, pages::guilds(&viewer(&session), &links))
}

async fn login(State(d): State<Dashboard>, jar: CookieJar) -> Response {
    let (url, state) = d.0.deps.oauth.authorize_url();
    let jar = jar.add(d.cookie(STATE_COOKIE, state, time::Duration::minutes(10)));
    secured((jar, Redirect::to(&url)).into_response())
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let expected = jar.get(STATE_COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(Cookie::build(STATE_COOKIE).path("/dashboard").build());
    let refused = |jar: CookieJar| {
        secured(
            (
                StatusCode::BAD_REQUEST,
                jar,
                Html(pages::needs_sign_in().into_string()),
            )
                .into_response(),
        )
    };
    if query.error.is_some() {
        return refused(jar);
    }
    let (Some(code), Some(state), Some(expected)) = (query.code, query.state, expected) else {
        return refused(jar);
    };
    let matches = Sha256::digest(state.as_bytes()) == Sha256::digest(expected.as_bytes());
    if !matches {
        tracing::warn!("dashboard sign-in with a state that does not match its cookie");
        return refused(jar);
    }
    let signed_in = match d.0.deps.oauth.sign_in(&code).await {
        Ok(user) => user,
        Err(error) => {
            tracing::warn!(%error, "dashboard sign-in failed");
            return refused(jar);
        }
    };
    let id = random_hex();
    let session = WebSession {
        user_id: signed_in.id,
        user_name: signed_in.name,
        guilds: signed_in.guilds,
        csrf: random_hex(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(SESSION_DAYS),
    };
    if let Err(error) = d.0.store.create_session(hash(&id), session).await {
        tracing::warn!(%error, "storing a dashboard session");
        return refused(jar);
    }
    tracing::info!(user = signed_in.id, "signed in to the dashboard");
    let jar = jar.add(d.cookie(SESSION_COOKIE, id, time::Duration::days(SESSION_DAYS)));
    secured((jar, Redirect::to("/dashboard")).into_response())
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some((id_hash, session)) = d.session(&jar).await else {
        return secured(Redirect::to("/dashboard").into_response());
    };
    if Sha256::digest(form.csrf.as_bytes()) != Sha256::digest(session.csrf.as_bytes()) {
        return page(
            StatusCode::FORBIDDEN,
            pages::not_found(Some(&viewer(&session))),
        );
    }
    if let Err(error) = d.0.store.delete_session(id_hash).await {
        tracing::warn!(%error, "ending a dashboard session");
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/dashboard").build());
    secured((jar, Redirect::to("/dashboard")).into_response())
}

/// An opener or claimer filter: a user id, or users whose captured name contains the text.
async fn people(d: &Dashboard, guild: u64, text: &str) -> Option<Vec<u64>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(id) = text.parse::<u64>() {
        return Some(vec![id]);
    }
    match d.0.store.users_named(guild, text.to_owned()).await {
        Ok(ids) => Some(ids),
        Err(error) => {
            // Matching nobody is the honest answer when the names cannot be read.
            tracing::warn!(%error, guild, "looking up people by name for the dashboard");
            Some(Vec::new())
        }
    }
}

async fn tickets(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path(guild): Path<u64>,
    Query(query): Query<ListQuery>,
) -> Response {
    let (session, access) = match d.guard(&jar, guild).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let staff = access == Access::Staff;
    let mut filter = query.filter();
    // A player's list is their own tickets, whatever the query says.
    let mut openers = if staff {
        people(&d, guild, &query.opener).await
    } else {
        Some(vec![session.user_id])
    };
    let claimers = if staff {
        people(&d, guild, &query.claimer).await
    } else {
        None
    };
    // A name matching several people lists each one's tickets in turn would need OR filters;
    // the first match is taken and the form shows the name as typed.
    filter.opener = match openers.as_mut() {
        Some(ids) if ids.is_empty() => Some(0),
        Some(ids) => Some(ids[0]),
        None => None,
    };
    filter.claimer = match claimers {
        Some(ids) if ids.is_empty() => Some(0),
        Some(ids) => Some(ids[0]),
        None => None,
    };
    let page_number = query.page.unwrap_or(1).max(1);
    let found =
        d.0.store
            .dashboard_tickets(guild, filter, (page_number - 1) * PAGE_SIZE, PAGE_SIZE)
            .await;
    let mut found = match found {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, guild, "listing tickets for the dashboard");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::not_found(Some(&viewer(&session))),
            );
        }
    };
    // Links carry the derived token (an imported ticket keeps the one it came with).
    for row in &mut found.rows {
        if row.transcript.as_deref() == Some("") {
            row.transcript = Some(d.0.deps.link_key.token(row.id));
        }
    }
    let mut ids: Vec<u64> = found
        .rows
        .iter()
        .flat_map(|r| std::iter::once(r.opener).chain(r.claimer))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    // Without names the rows show ids, which is still right.
    let names: HashMap<u64, String> = match d.0.store.user_names(guild, ids).await {
        Ok(names) => names.into_iter().collect(),
        Err(error) => {
            tracing::warn!(%error, guild, "reading people's names for the dashboard");
            HashMap::new()
        }
    };
    let all = d.config();
    let Some(config) = all.guild(guild) else {
        // A reload may have taken the guild away since access was checked.
        return page(
            StatusCode::NOT_FOUND,
            pages::not_found(Some(&viewer(&session))),
        );
    };
    let pages_count = found.total.div_ceil(PAGE_SIZE);
    let ratings = found.rows.iter().any(|r| r.stars.is_some());
    let guild_name = d.guild_name(guild).await;
    let list = pages::TicketList {
        guild,
        guild_name: &guild_name,
        staff,
        types: config
            .ticket_types
            .iter()
            .map(|t| (t.id.clone(), t.label.clone()))
            .collect(),
        query: &query,
        page: found,
        names: &names,
        page_number,
        pages: pages_count,
        ratings,
    };
    page(StatusCode::OK, pages::tickets(&viewer(&session), &list))
}

/// The statistics of `guild` for its staff, or the answer to give instead.
async fn staff_report(
    d: &Dashboard,
    jar: &CookieJar,
    guild: u64,
) -> Result<(WebSession, crate::stats::Report), Response> {
    let (session, access) = d.guard(jar, guild).await?;
    if access != Access::Staff {
        return Err(page(
            StatusCode::NOT_FOUND,
            pages::not_found(Some(&viewer(&session))),
        ));
    }
    match crate::stats::report(&d.0.store, guild, None).await {
        Ok(report) => Ok((session, report)),
        Err(error) => {
            tracing::warn!(%error, guild, "statistics for the dashboard");
            Err(page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::not_found(Some(&viewer(&session))),
            ))
        }
    }
}

/// Days the charts cover.
const CHART_DAYS: u32 = 30;

async fn stats(State(d): State<Dashboard>, jar: CookieJar, Path(guild): Path<u64>) -> Response {
    let (session, report) = match staff_report(&d, &jar, guild).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let days = match d.0.store.daily_counts(guild, CHART_DAYS).await {
        Ok(days) => days,
        Err(error) => {
            tracing::warn!(%error, guild, "per-day counts for the dashboard");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::not_found(Some(&viewer(&session))),
            );
        }
    };
    let name = d.guild_name(guild).await;
    page(
        StatusCode::OK,
        pages::stats(&viewer(&session), guild, &name, &report, &days),
    )
}

async fn stats_csv(State(d): State<Dashboard>, jar: CookieJar, Path(guild): Path<u64>) -> Response {
    let (_, report) = match staff_report(&d, &jar, guild).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let mut csv = Vec::new();
    if let Err(error) = crate::stats::write_csv(std::slice::from_ref(&report), &mut csv) {
        tracing::warn!(%error, "writing the statistics CSV");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    secured(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"tickets-{guild}.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
    )
}

async fn chart(
    State(d): State<Dashboard>,
    jar: CookieJar,
    Path((guild, chart)): Path<(u64, String)>,
) -> Response {
    let (_, report) = match staff_report(&d, &jar, guild).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let drawn = match chart.as_str() {
        "daily.svg" => match d.0.store.daily_counts(guild, CHART_DAYS).await {
            Ok(days) => charts::daily(&days, "opened", "closed"),
            Err(error) => {
                tracing::warn!(%error, guild, "per-day counts for a chart");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
        "first-response-staff.svg" => charts::bars(
            &report
                .tickets
                .staff
                .iter()
                .filter_map(|s| {
                    Some((
                        s.name.clone().unwrap_or_else(|| s.user_id.to_string()),
                        s.median_first_response_min?,
                    ))
                })
                .collect::<Vec<_>>(),
            "min",
        ),
        "resolution-type.svg" => charts::bars(
            &report
                .tickets
                .types
                .iter()
                .filter_map(|t| Some((t.type_id.clone(), t.median_resolution_min?)))
                .collect::<Vec<_>>(),
            "min",
        ),
        "item-returns.svg" => {
            let r = report.item_returns;
            charts::bars(
                &[
                    ("approved".into(), r.approved as f64),
                    ("denied".into(), r.denied as f64),
                    ("pending".into(), r.pending as f64),
                ],
                "",
            )
        }
        _ => return page(StatusCode::NOT_FOUND, pages::not_found(None)),
    };
    match drawn {
        Ok(svg) => secured(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()),
        Err(error) => {
            tracing::warn!(%error, "drawing a dashboard chart");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
