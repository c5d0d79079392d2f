//! The web as a signed-in person uses it, without a browser: the dashboard's sign-in through
//! the emulator's OAuth2 consent page, by hand, keeping cookies.

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use crate::Harness;

/// A browser without a browser: follows the sign-in by hand, keeping cookies.
pub struct WebUser {
    /// The HTTP client (no redirects followed).
    pub http: reqwest::Client,
    base: String,
    /// The cookies kept, by name.
    pub cookies: HashMap<String, String>,
    /// Every Set-Cookie header seen, for checking their flags.
    pub set_cookies: Vec<String>,
}

impl WebUser {
    /// Someone signed out, on the server at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap().to_owned();
            let (pair, _) = text.split_once(';').unwrap_or((&text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(text);
        }
    }

    /// The Cookie header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// GET `path` (on the bot's server, or a full URL); status, Location and body.
    pub async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }

    /// POSTs `form` to `path`; status and body.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&response);
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// Signs in as `user` through the emulator's consent page.
    pub async fn sign_in(h: &Harness, user: u64) -> Self {
        let mut me = Self::new(&h.web_base());
        let (status, to_discord, _) = me.get("/dashboard/login").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            to_discord.starts_with(&h.emu.authorize_url()),
            "{to_discord}"
        );
        let (status, _, consent) = me.get(&to_discord).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            consent.contains(&format!("data-user=\"{user}\"")),
            "{consent}"
        );
        let query: HashMap<String, String> = url_query(&to_discord);
        assert_eq!(query["scope"], "identify guilds");
        let back = me
            .http
            .post(h.emu.authorize_url())
            .form(&[
                ("client_id", query["client_id"].as_str()),
                ("redirect_uri", query["redirect_uri"].as_str()),
                ("scope", query["scope"].as_str()),
                ("state", query["state"].as_str()),
                ("user", &user.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), StatusCode::SEE_OTHER);
        let callback = back.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(callback.starts_with(&format!("{}/dashboard/callback?code=", h.web_base())));
        let (status, home, _) = me.get(&callback).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
        assert_eq!(home, "/dashboard");
        assert!(me.cookies.contains_key("tb_session"));
        me
    }
}

fn url_query(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
