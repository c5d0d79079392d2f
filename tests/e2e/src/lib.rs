//! The end-to-end harness: the emulator, the demo community, a DuckDB file in a temporary
//! folder, and the real bot (`ticketbot::app`) started, stopped and restarted on it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ticketbot::app::{self, Mode, Running};
use ticketbot::config::Config;
use ticketbot::demo::{self, DemoWorld};
use ticketbot_emulator::{Emulator, LoggedRequest};

/// How long any one expected thing may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// One emulated Discord with the demo community and the bot.
pub struct Harness {
    /// The emulated Discord.
    pub emu: Emulator,
    /// Ids of the community.
    pub world: DemoWorld,
    /// Holds the database file.
    pub dir: tempfile::TempDir,
    locale: String,
    bot: Option<Running>,
}

impl Harness {
    /// Starts the emulator and the bot (pt-BR) and waits for READY.
    pub async fn start() -> Self {
        Self::start_in("pt-BR").await
    }

    /// Same, with the guild speaking `locale`.
    pub async fn start_in(locale: &str) -> Self {
        let emu = Emulator::start().await.expect("emulator starts");
        let world = DemoWorld::create(&emu);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut harness = Self {
            emu,
            world,
            dir,
            locale: locale.to_owned(),
            bot: None,
        };
        harness.boot().await;
        harness
    }

    /// The config the bot runs with.
    pub fn config(&self) -> Config {
        self.world.config(
            &self.dir.path().join("ticketbot.duckdb"),
            "127.0.0.1:0".parse().unwrap(),
            &self.locale,
        )
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
            .unwrap_or_else(|e| panic!("{e}"));
        request.response
    }

    /// Stops the bot and checks that every payload it sent was one Discord would accept.
    pub async fn finish(mut self) {
        self.stop().await;
        let errors = self.emu.model_errors();
        assert!(
            errors.is_empty(),
            "payloads Discord would refuse:\n{}",
            errors.join("\n")
        );
    }
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

/// Whether a message has text content containing `text`.
pub fn says(message: &Value, text: &str) -> bool {
    message["content"]
        .as_str()
        .is_some_and(|c| c.contains(text))
}
