//! The end-to-end harness: the emulator, the demo community, a DuckDB file in a temporary
//! folder, and the real bot (`ticketbot::app`) started, stopped and restarted on it.

pub mod web;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ticketbot::app::{self, Mode, Running};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot::store::TicketRecord;
use ticketbot_emulator::{Emulator, LoggedRequest};

/// How long any one expected thing may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// The bearer token the bot's `/metrics` answers to in tests.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

/// Poke made available to the guild but off (`enabled = false`), for the self-service tests.
pub const POKE_AVAILABLE_OFF: &str = "[[guild.plugin]]\nid = \"poke\"\nbuiltin = \"poke\"\nenabled = false\ncapabilities = [\"dm\", \"storage\"]\n";

/// `world`'s plugins with poke available but off instead of on.
pub fn with_poke_available_off(world: &mut DemoWorld) {
    world.plugins.retain(|p| !p.contains("id = \"poke\""));
    world.plugins.push(POKE_AVAILABLE_OFF.into());
}

/// `user` runs `/<command> <sub>` with `options` in the log channel; the private answer's text.
pub async fn slash_answer(
    h: &Harness,
    user: u64,
    command: &str,
    sub: &str,
    options: Value,
) -> String {
    let answer = h
        .emu
        .user(user)
        .slash(
            h.world.log_channel,
            command,
            serde_json::json!([{"name": sub, "type": 1, "options": options}]),
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    answer["data"]["content"].as_str().unwrap().to_owned()
}

/// The dashboard's OAuth2 client secret in tests.
pub const DASHBOARD_SECRET: &str = "dashboard-secret-for-tests";

/// One emulated Discord with the demo community and the bot.
pub struct Harness {
    /// The emulated Discord.
    pub emu: Emulator,
    /// Ids of the community.
    pub world: DemoWorld,
    /// Holds the database file (and the link key).
    pub dir: tempfile::TempDir,
    /// The database: a file in `dir`, or a database of its own on the PostgreSQL server
    /// `TICKETBOT_TEST_POSTGRES` names.
    pub database: ticketbot::store::Database,
    locale: String,
    bot: Option<Running>,
    /// With the dashboard on: the web server's fixed address (its public URL must be known
    /// before it listens, for the OAuth2 redirect).
    dashboard: Option<std::net::SocketAddr>,
    /// Changes to the config beyond the demo world's (web limits, for example).
    adjust_config: fn(&mut Config),
}

impl Harness {
    /// Starts the emulator and the bot (pt-BR) and waits for READY.
    pub async fn start() -> Self {
        Self::start_in("pt-BR").await
    }

    /// Same, with the guild speaking `locale`.
    pub async fn start_in(locale: &str) -> Self {
        Self::start_with(locale, |_| {}).await
    }

    /// Same, after `adjust` changed the community's settings (e.g. the close delay).
    pub async fn start_with(locale: &str, adjust: impl FnOnce(&mut DemoWorld)) -> Self {
        Self::start_full(locale, adjust, |_| {}).await
    }

    /// Same, with `adjust_world` applied to the community and `adjust_config` to the bot's
    /// config (web limits, for example).
    pub async fn start_configured(
        locale: &str,
        adjust_world: impl FnOnce(&mut DemoWorld),
        adjust_config: fn(&mut Config),
    ) -> Self {
        Self::start_full(locale, adjust_world, adjust_config).await
    }

    async fn start_full(
        locale: &str,
        adjust_world: impl FnOnce(&mut DemoWorld),
        adjust_config: fn(&mut Config),
    ) -> Self {
        // `RUST_LOG=ticketbot=debug cargo test ...` shows the bot's log beside a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let emu = Emulator::start().await.expect("emulator starts");
        let mut world = DemoWorld::create(&emu);
        // Compiled plugins are shared by every test of this build (cranelift is slow unoptimised).
        world.plugin_cache = Some(std::env::temp_dir().join("ticketbot-test-plugin-cache"));
        adjust_world(&mut world);
        let dir = tempfile::tempdir().expect("temp dir");
        let database = ticketbot::store::Database::scratch(dir.path()).expect("a test database");
        let mut harness = Self {
            emu,
            world,
            dir,
            database,
            locale: locale.to_owned(),
            bot: None,
            adjust_config,
            dashboard: None,
        };
        harness.boot().await;
        harness
    }

    /// Same as [`Harness::start_with`], with the dashboard on: the emulator's OAuth2 client is
    /// configured and the web server listens on a fixed free port.
    pub async fn start_with_dashboard(locale: &str, adjust: impl FnOnce(&mut DemoWorld)) -> Self {
        let mut harness = Self::start_with(locale, adjust).await;
        harness.stop().await;
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        harness.dashboard = Some(free.local_addr().expect("its address"));
        drop(free);
        harness.boot().await;
        harness
    }

    /// The web server's base URL, with the dashboard on.
    pub fn web_base(&self) -> String {
        format!("http://{}", self.bot().web_addr())
    }

    /// The config the bot runs with.
    pub fn config(&self) -> Config {
        let mut config = self.world.config(
            &self.dir.path().join("ticketbot.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            &self.locale,
        );
        config.database = self.database.clone();
        config.web.metrics_token = Some(ticketbot::config::Secret::new(METRICS_TOKEN));
        if let Some(addr) = self.dashboard {
            let base = format!("http://{addr}");
            config.web.listen = addr;
            config.web.public_url = base.clone();
            let client = self
                .emu
                .oauth_client(DASHBOARD_SECRET, &format!("{base}/dashboard/callback"));
            config.web.dashboard = Some(ticketbot::config::DashboardSettings {
                client_id: client.to_string(),
                client_secret: ticketbot::config::Secret::new(DASHBOARD_SECRET),
            });
        }
        (self.adjust_config)(&mut config);
        config
    }

    /// Starts the bot (again) and waits until it is READY.
    pub async fn boot(&mut self) {
        assert!(self.bot.is_none(), "the bot is already running");
        let running = app::start(
            Arc::new(self.config()),
            Mode::Full(demo::settings(&self.emu)),
        )
        .await
        .expect("bot starts");
        let ready = tokio::time::timeout(WAIT, running.ready())
            .await
            .expect("READY in time")
            .expect("bot mode");
        assert!(ready.guilds.contains(&self.world.guild));
        self.bot = Some(running);
    }

    /// Stops the bot (gateway, web server, database) as a shutdown would.
    pub async fn stop(&mut self) {
        if let Some(running) = self.bot.take() {
            running.stop().await;
        }
    }

    /// Stops and starts the bot on the same database file.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.boot().await;
    }

    /// The running bot.
    pub fn bot(&self) -> &Running {
        self.bot.as_ref().expect("the bot is running")
    }

    /// Waits for the bot's next request at or after `from` matching `method` and `pattern`.
    pub async fn request_after(&self, from: usize, method: &str, pattern: &str) -> LoggedRequest {
        self.emu
            .wait_for_after(from, WAIT, &format!("{method} {pattern}"), |r| {
                r.is(method, pattern)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Staff close the ticket in `channel` (its welcome message `welcome`) with `reason`, and
    /// the ticket once the database says it is closed (with `close_delay_seconds = 0`, at once).
    pub async fn close_by_staff(
        &self,
        channel: u64,
        welcome: &Value,
        reason: &str,
    ) -> TicketRecord {
        let staff = self.emu.user(self.world.staff);
        let close = custom_ids(welcome)
            .concat()
            .into_iter()
            .find(|id| id.starts_with("tb:close:"))
            .expect("a close button");
        let form = staff.click(id_of(welcome), &close).unwrap();
        form.response(WAIT).await.unwrap();
        staff
            .submit_modal(&form, &[("reason", reason)])
            .unwrap()
            .response(WAIT)
            .await
            .unwrap();
        self.wait_ticket(channel, "closed", |t| {
            t.status == ticketbot::store::TicketStatus::Closed
        })
        .await
    }

    /// The transcript token of `ticket` (derived by the bot; never stored).
    pub fn token(&self, ticket: &TicketRecord) -> String {
        self.bot()
            .tickets()
            .expect("the bot runs")
            .transcript_token(ticket)
    }

    /// The bot's requests from log position `from` on, one line each, for failure messages.
    pub fn requests_since(&self, from: usize) -> String {
        self.emu
            .requests()
            .iter()
            .skip(from)
            .map(|r| format!("  {} {} -> {} {}", r.method, r.path, r.status, r.response))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits for the first message the bot posted in `channel` at or after log position `from`.
    pub async fn message_after(&self, from: usize, channel: u64) -> Value {
        self.message_where(from, channel, |_| true).await
    }

    /// Waits for a message the bot posted (successfully) in `channel` at or after log position
    /// `from` that `matches`.
    pub async fn message_where(
        &self,
        from: usize,
        channel: u64,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let path = format!("/channels/{channel}/messages");
        let request = self
            .emu
            .wait_for_after(from, WAIT, &format!("a message in {channel}"), |r| {
                r.method == "POST"
                    && r.path.ends_with(&path)
                    && r.status < 300
                    && matches(&r.response)
            })
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{e}; the bot's requests since:\n{}",
                    self.requests_since(from)
                )
            });
        request.response
    }

    /// Staff post the panel; returns its message id.
    pub async fn post_panel(&self) -> u64 {
        if let Ok(Some(panel)) = self.bot().store().panel(self.world.guild).await {
            return panel.message_id;
        }
        let from = self.emu.log_position();
        self.emu
            .user(self.world.staff)
            .say(self.world.panel_channel, "!setup_tickets")
            .unwrap();
        let panel = self
            .message_where(from, self.world.panel_channel, |m| {
                !custom_ids(m).is_empty()
            })
            .await;
        // The confirmation follows the stored row; wait for it so the next call sees the panel.
        self.message_where(from, self.world.panel_channel, |m| custom_ids(m).is_empty())
            .await;
        id_of(&panel)
    }

    /// `user` presses the panel's button; returns the menu of ticket types the bot answers.
    pub async fn type_menu(&self, user: u64) -> Value {
        let panel = self.post_panel().await;
        self.emu
            .user(user)
            .click(panel, "tb:open")
            .unwrap()
            .message(WAIT)
            .await
            .unwrap()
    }

    /// Waits until the bot has handled the user message `message` in `ticket`: captured, and
    /// nothing left in flight (so a test may then say what did not happen).
    pub async fn message_handled(&self, ticket: i64, message: u64) {
        eventually("the message handled", || {
            let captured = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(self.bot().store().captured_messages(ticket))
            })
            .unwrap()
            .iter()
            .any(|m| m.message_id == message);
            (captured && self.bot().tickets().unwrap().work_in_flight() == 0).then_some(())
        })
        .await;
    }

    /// `user` presses the panel's button and chooses `type_id`; returns the bot's final
    /// ephemeral answer to the choice.
    pub async fn choose_type(&self, user: u64, type_id: &str) -> Value {
        let panel = self.post_panel().await;
        let actor = self.emu.user(user);
        let menu = actor
            .click(panel, "tb:open")
            .unwrap()
            .message(WAIT)
            .await
            .unwrap();
        let choice = actor.choose(id_of(&menu), "tb:type", &[type_id]).unwrap();
        choice.message(WAIT).await.unwrap()
    }

    /// `user` opens a ticket of `type_id`; returns its channel and welcome message.
    pub async fn open_ticket(&self, user: u64, type_id: &str) -> (u64, Value) {
        let answer = self.choose_type(user, type_id).await;
        let url = answer["components"][0]["components"][0]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no link in {answer}"));
        let channel: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let welcome = eventually("the welcome message", || {
            self.emu
                .messages_in(channel)
                .into_iter()
                .find(|m| !custom_ids(m).is_empty())
        })
        .await;
        (channel, welcome)
    }

    /// The ticket whose channel is (or was) `channel`.
    pub async fn ticket_in(&self, channel: u64) -> Option<TicketRecord> {
        let all = self
            .bot()
            .store()
            .tickets_of_guild(self.world.guild)
            .await
            .expect("read tickets");
        all.into_iter().find(|t| t.channel_id == Some(channel))
    }

    /// Waits until the ticket of `channel` satisfies `check`.
    pub async fn wait_ticket(
        &self,
        channel: u64,
        what: &str,
        check: impl Fn(&TicketRecord) -> bool,
    ) -> TicketRecord {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let found = self.ticket_in(channel).await;
            if let Some(ticket) = found.filter(|t| check(t)) {
                return ticket;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the ticket to be {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// GETs a path of the bot's web server: (status, body).
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("http://{}{path}", self.bot().web_addr()))
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Stops the bot and checks that every payload it sent was one Discord would accept, and
    /// that every message it sent said whom it may ping.
    pub async fn finish(mut self) {
        self.stop().await;
        let errors = self.emu.model_errors();
        assert!(
            errors.is_empty(),
            "payloads Discord would refuse:\n{}",
            errors.join("\n")
        );
        let unguarded: Vec<String> = self
            .emu
            .requests()
            .iter()
            .filter(|r| {
                let payload = if r.path.ends_with("/callback") {
                    &r.body["data"]
                } else {
                    &r.body
                };
                sends_message(r) && payload.get("allowed_mentions").is_none()
            })
            .map(|r| format!("  {} {} {}", r.method, r.path, r.body))
            .collect();
        assert!(
            unguarded.is_empty(),
            "messages sent without allowed_mentions:\n{}",
            unguarded.join("\n")
        );
    }
}

/// Whether `request` is the bot sending or replacing a message (which must then say whom it
/// may ping).
pub fn sends_message(request: &LoggedRequest) -> bool {
    let callback_with_message = request.is("POST", "/interactions/*/*/callback")
        && matches!(request.body["type"].as_u64(), Some(4 | 7));
    request.is("POST", "/channels/*/messages")
        || request.is("PATCH", "/channels/*/messages/*")
        || request.is("POST", "/webhooks/*/*")
        || request.is("PATCH", "/webhooks/*/*/messages/*")
        || callback_with_message
}

/// The custom_ids of a message's components, row by row.
pub fn custom_ids(message: &Value) -> Vec<Vec<String>> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row["components"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    c["custom_id"]
                        .as_str()
                        .or(c["url"].as_str())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

/// A message's id as a number.
pub fn id_of(message: &Value) -> u64 {
    message["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("message id")
}

/// Polls `check` until it gives something, for state outside the emulator (the bot's cache).
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The text of the bot's answer to an interaction: its first response's, or, after a defer,
/// the message the deferred answer became.
pub async fn answer_text(handle: &ticketbot_emulator::InteractionHandle) -> String {
    let first = handle.response(WAIT).await.expect("an answer");
    let text = if first["type"] == 5 {
        handle.message(WAIT).await.expect("the deferred answer")["content"].clone()
    } else {
        first["data"]["content"].clone()
    };
    text.as_str().unwrap_or_default().to_owned()
}

/// Whether a message has text content containing `text`.
pub fn says(message: &Value, text: &str) -> bool {
    message["content"]
        .as_str()
        .is_some_and(|c| c.contains(text))
}
