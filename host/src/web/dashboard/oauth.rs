//! Signing in with Discord: the authorization code grant (`identify guilds`) through the
//! `oauth2` crate, its requests sent with our `reqwest` client; then who the user is and which
//! guilds they are in. The user's access token is used for those two reads and dropped.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use crate::config::DashboardSettings;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// An endpoint URL is not valid.
    #[error("invalid OAuth2 URL: {0}")]
    Url(String),
    /// Discord refused the code or could not be reached.
    #[error("Discord did not exchange the code: {0}")]
    Exchange(String),
    /// Reading the user or their guilds failed.
    #[error("Discord did not answer {what}: {message}")]
    Read {
        /// What was read.
        what: &'static str,
        /// Why.
        message: String,
    },
}

/// Who signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// Their Discord id.
    pub id: u64,
    /// Their display name.
    pub name: String,
    /// The guilds they are in.
    pub guilds: Vec<u64>,
}

/// The dashboard's OAuth2 client for Discord (or an emulator at another base).
pub struct DiscordOAuth {
    client: Client,
    api: String,
    http: reqwest::Client,
}

impl DiscordOAuth {
    /// A client for `settings`, sending users back to `redirect`; `discord_base` is
    /// `https://discord.com` or an emulator's base.
    pub fn new(
        settings: &DashboardSettings,
        discord_base: &str,
        redirect: &str,
    ) -> Result<Self, OAuthError> {
        let base = discord_base.trim_end_matches('/');
        let url = |e: oauth2::url::ParseError| OAuthError::Url(e.to_string());
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose().to_owned(),
            ))
            .set_auth_uri(AuthUrl::new(format!("{base}/oauth2/authorize")).map_err(url)?)
            .set_token_uri(TokenUrl::new(format!("{base}/api/v10/oauth2/token")).map_err(url)?)
            .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(url)?);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| OAuthError::Url(e.to_string()))?;
        Ok(Self {
            client,
            api: format!("{base}/api/v10"),
            http,
        })
    }

    /// Where to send the browser, and the `state` it must come back with.
    pub fn authorize_url(&self) -> (String, String) {
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("identify".into()))
            .add_scope(Scope::new("guilds".into()))
            .url();
        (url.to_string(), state.secret().clone())
    }

    /// Exchanges `code` and reads who signed in and their guilds.
    pub async fn sign_in(&self, code: &str) -> Result<SignedIn, OAuthError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&Sender(self.http.clone()))
            .await
            .map_err(|e| OAuthError::Exchange(describe(&e)))?;
        let bearer = token.access_token().secret().clone();
        #[derive(Deserialize)]
        struct Me {
            id: String,
            username: String,
            global_name: Option<String>,
        }
        #[derive(Deserialize)]
        struct PartialGuild {
            id: String,
        }
        let me: Me = self.read(&bearer, "users/@me", "who signed in").await?;
        let guilds: Vec<PartialGuild> = self
            .read(&bearer, "users/@me/guilds", "the user's guilds")
            .await?;
        Ok(SignedIn {
            id: me.id.parse().map_err(|_| OAuthError::Read {
                what: "who signed in",
                message: "not a user id".into(),
            })?,
            name: me.global_name.unwrap_or(me.username),
            guilds: guilds.iter().filter_map(|g| g.id.parse().ok()).collect(),
        })
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        bearer: &str,
        path: &str,
        what: &'static str,
    ) -> Result<T, OAuthError> {
        let failed = |message: String| OAuthError::Read { what, message };
        let response = self
            .http
            .get(format!("{}/{path}", self.api))
            .bearer_auth(bearer)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("status {}", response.status())));
        }
        response
            .json()
            .await
            .map_err(|e| failed(e.without_url().to_string()))
    }
}

/// The `oauth2` crate's requests, sent with our HTTP client.
struct Sender(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Sender {
    type Error = SendError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, SendError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(self.0.clone(), request))
    }
}

/// One OAuth2 request through `http`.
async fn send(
    http: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, SendError> {
    {
        let (parts, body) = request.into_parts();
        let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
            .map_err(|e| SendError(e.to_string()))?;
        let mut outgoing = http.request(method, parts.uri.to_string()).body(body);
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
        let response = outgoing
            .send()
            .await
            .map_err(|e| SendError(e.without_url().to_string()))?;
        let mut answer = oauth2::http::Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            answer = answer.header(name.as_str(), value.as_bytes());
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError(e.without_url().to_string()))?;
        answer
            .body(body.to_vec())
            .map_err(|e| SendError(e.to_string()))
    }
}

/// A failed OAuth2 request.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(String);

/// The exchange's error without anything secret (the request, which carries the code and the
/// client secret, is never printed).
fn describe<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
