//! OAuth2 as Discord does it (authorization code grant), so a dashboard's sign-in runs against
//! the emulator: the authorize page where a test user consents, the token endpoint, and the
//! two user routes a `Bearer` token may call (`users/@me`, `users/@me/guilds`).
//!
//! The application is the bot's (client id = application id); its secret and the redirect
//! URIs it accepts are set by the test ([`crate::Emulator::oauth_client`]). Codes are single
//! use and bound to their redirect URI; tokens name one user and their scopes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::world::World;
use crate::Inner;

/// The registered OAuth2 application and what it handed out.
#[derive(Debug, Default)]
pub(crate) struct OAuth {
    /// The client secret, once the test set one.
    pub(crate) secret: Option<String>,
    /// The redirect URIs the application accepts.
    pub(crate) redirects: Vec<String>,
    /// Unused codes: code → (user, redirect URI, scopes).
    codes: HashMap<String, (u64, String, Vec<String>)>,
    /// Access tokens: token → (user, scopes).
    tokens: HashMap<String, (u64, Vec<String>)>,
}

/// What the authorize page is asked (Discord's query parameters).
#[derive(Deserialize)]
pub(crate) struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
}

/// What the consent form posts.
#[derive(Deserialize)]
pub(crate) struct Consent {
    client_id: String,
    scope: String,
    state: Option<String>,
    redirect_uri: String,
    user: u64,
}

fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Error</title><p id=\"error\">{}</p>",
            escape(message)
        )),
    )
        .into_response()
}

/// Checks the client and redirect URI as Discord does before showing the page.
fn check_client(inner: &Inner, client_id: &str, redirect_uri: &str) -> Result<(), &'static str> {
    let world = inner.world.lock().expect("world lock");
    if client_id != world.application_id.to_string() {
        return Err("Unknown application");
    }
    let oauth = inner.oauth.lock().expect("oauth lock");
    if !oauth.redirects.iter().any(|r| r == redirect_uri) {
        return Err("Invalid OAuth2 redirect_uri");
    }
    Ok(())
}

/// `GET /oauth2/authorize`: the consent page, one button per user who may sign in.
pub(crate) async fn authorize_page(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    if query.response_type.as_deref() != Some("code") {
        return bad_request("response_type must be code");
    }
    let (Some(client_id), Some(redirect_uri)) = (&query.client_id, &query.redirect_uri) else {
        return bad_request("client_id and redirect_uri are required");
    };
    if let Err(message) = check_client(&inner, client_id, redirect_uri) {
        return bad_request(message);
    }
    let scope = query.scope.clone().unwrap_or_default();
    let users: Vec<(u64, String)> = inner
        .world
        .lock()
        .expect("world lock")
        .users
        .values()
        .filter(|u| !u.bot)
        .map(|u| {
            (
                u.id,
                u.global_name.clone().unwrap_or_else(|| u.name.clone()),
            )
        })
        .collect();
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    let mut page = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize (emulated Discord)</title></head><body><h1>An application wants to access your account</h1>",
    );
    page.push_str(&format!(
        "<p id=\"scopes\">Scopes: {}</p><form method=\"post\" action=\"/oauth2/authorize\">",
        escape(&scope)
    ));
    page.push_str(&hidden("client_id", client_id));
    page.push_str(&hidden("redirect_uri", redirect_uri));
    page.push_str(&hidden("scope", &scope));
    if let Some(state) = &query.state {
        page.push_str(&hidden("state", state));
    }
    for (id, name) in users {
        page.push_str(&format!(
            "<p><button type=\"submit\" name=\"user\" value=\"{id}\" data-user=\"{id}\">Authorize as {}</button></p>",
            escape(&name)
        ));
    }
    page.push_str("</form></body></html>");
    Html(page).into_response()
}

/// `POST /oauth2/authorize`: the user consented; back to the application with a code.
pub(crate) async fn authorize(
    State(inner): State<Arc<Inner>>,
    Form(consent): Form<Consent>,
) -> Response {
    if let Err(message) = check_client(&inner, &consent.client_id, &consent.redirect_uri) {
        return bad_request(message);
    }
    if !inner
        .world
        .lock()
        .expect("world lock")
        .users
        .contains_key(&consent.user)
    {
        return bad_request("Unknown user");
    }
    let code = random_token();
    let scopes = consent
        .scope
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    inner.oauth.lock().expect("oauth lock").codes.insert(
        code.clone(),
        (consent.user, consent.redirect_uri.clone(), scopes),
    );
    let mut target = format!(
        "{}{}code={code}",
        consent.redirect_uri,
        if consent.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        }
    );
    if let Some(state) = &consent.state {
        target.push_str("&state=");
        target.extend(form_urlencoded::byte_serialize(state.as_bytes()));
    }
    Redirect::to(&target).into_response()
}

/// What the token endpoint is posted.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({"error": error}))).into_response()
}

/// `POST /api/v10/oauth2/token`: a code for an access token (client authenticated by HTTP
/// Basic or in the body, as Discord accepts both).
pub(crate) async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Form(request): Form<TokenRequest>,
) -> Response {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
        })
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let (client_id, secret) = match (basic, &request.client_id, &request.client_secret) {
        (Some((id, secret)), _, _) => (id, secret),
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"),
    };
    let application = inner.world.lock().expect("world lock").application_id;
    let mut oauth = inner.oauth.lock().expect("oauth lock");
    if client_id != application.to_string() || oauth.secret.as_deref() != Some(secret.as_str()) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if request.grant_type != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let Some((user, redirect, scopes)) = request
        .code
        .as_ref()
        .and_then(|code| oauth.codes.remove(code))
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if request.redirect_uri.as_deref() != Some(redirect.as_str()) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let access = random_token();
    let scope = scopes.join(" ");
    oauth.tokens.insert(access.clone(), (user, scopes));
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 604800,
        "refresh_token": random_token(),
        "scope": scope,
    }))
    .into_response()
}

/// A request under `/api/v10` with a `Bearer` token: only the user routes a token's scopes
/// allow.
pub(crate) fn bearer(inner: &Inner, method: &str, path: &str, token: &str) -> Response {
    let Some((user, scopes)) = inner
        .oauth
        .lock()
        .expect("oauth lock")
        .tokens
        .get(token)
        .cloned()
    else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "401: Unauthorized", "code": 0})),
        )
            .into_response();
    };
    let allowed = |scope: &str| scopes.iter().any(|s| s == scope);
    let world = inner.world.lock().expect("world lock");
    match (method, path) {
        ("GET", "/users/@me") if allowed("identify") => {
            axum::Json(crate::world::user_json_by_id(&world, user)).into_response()
        }
        ("GET", "/users/@me/guilds") if allowed("guilds") => {
            axum::Json(guilds_of(&world, user)).into_response()
        }
        _ => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"message": "Missing Access", "code": 50001})),
        )
            .into_response(),
    }
}

/// The partial guilds of `user`, as `GET /users/@me/guilds` lists them.
fn guilds_of(world: &World, user: u64) -> Value {
    let guilds: Vec<Value> = world
        .guilds
        .values()
        .filter_map(|g| {
            let member = g.members.get(&user)?;
            let owner = g.owner_id == user;
            let permissions = if owner {
                u64::MAX >> 14
            } else {
                g.roles
                    .iter()
                    .filter(|r| r.id == g.id || member.roles.contains(&r.id))
                    .fold(0, |p, r| p | r.permissions)
            };
            Some(json!({
                "id": g.id.to_string(),
                "name": g.name,
                "icon": null,
                "banner": null,
                "owner": owner,
                "permissions": permissions.to_string(),
                "features": [],
            }))
        })
        .collect();
    Value::Array(guilds)
}
