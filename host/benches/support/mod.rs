//! What several bench binaries do alike: start the real `ticketbot` binary against the
//! emulator, add players to a guild, and have staff post the panel.
//!
//! Each bench is its own crate and uses part of this, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use ticketbot::demo::DemoWorld;
use ticketbot::tickets::router::CustomId;
use ticketbot_emulator::{Emulator, InteractionHandle};

/// How long a bench waits for one step before giving up.
pub const WAIT: Duration = Duration::from_secs(60);

/// A `ticketbot` child process (`run`, or `serve` for a transcript replica). Dropping it (also
/// when a bench step panics) kills it, so no process outlives its bench.
pub struct Bot(Child);

impl Bot {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL, as a crash would, and reap the process.
    pub fn kill(&mut self) {
        self.0.kill().expect("killing our own child");
        self.0.wait().expect("reaping our own child");
    }

    /// SIGINT, as Ctrl-C would, and wait for the clean shutdown.
    pub fn stop(mut self) {
        // SAFETY: sending a signal to our own child, which has not been reaped yet.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGINT) };
        self.0.wait().expect("waiting for our own child");
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `ticketbot run --config config` as a child process talking to `emulator`, logging
/// at `log` level.
pub fn spawn_bot(config: &Path, emulator: &Emulator, log: &str) -> Bot {
    Bot(Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["run", "--config"])
        .arg(config)
        .env("DISCORD_TOKEN", emulator.token())
        .env("DISCORD_API_BASE", emulator.api_base())
        .env("RUST_LOG", log)
        .spawn()
        .expect("the ticketbot binary starts"))
}

/// Starts `ticketbot run --config config --shard-total total --shards shard` as a child
/// process talking to `emulator`: one of several processes sharing a PostgreSQL database.
pub fn spawn_shard(config: &Path, emulator: &Emulator, shard: u32, total: u32, log: &str) -> Bot {
    Bot(Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["run", "--config"])
        .arg(config)
        .args([
            "--shard-total",
            &total.to_string(),
            "--shards",
            &shard.to_string(),
        ])
        .env("DISCORD_TOKEN", emulator.token())
        .env("DISCORD_API_BASE", emulator.api_base())
        .env("RUST_LOG", log)
        .spawn()
        .expect("the ticketbot binary starts"))
}

/// Starts `ticketbot serve --config config`: a transcript server only, as the replicas beside
/// the bot processes run.
pub fn spawn_serve(config: &Path, log: &str) -> Bot {
    Bot(Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", log)
        .spawn()
        .expect("the ticketbot binary starts"))
}

/// Waits until the web server at `address` answers `/healthz`.
pub async fn healthy(client: &reqwest::Client, address: std::net::SocketAddr) {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        let answer = client.get(format!("http://{address}/healthz")).send().await;
        if answer.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the web server at {address} did not come up within {WAIT:?}");
}

/// Waits (up to `patience`) until the web server at `address` serves the transcript `token`
/// with `text` in it; whether it did.
pub async fn served(
    client: &reqwest::Client,
    address: std::net::SocketAddr,
    token: &str,
    text: &str,
    patience: Duration,
) -> bool {
    let deadline = std::time::Instant::now() + patience;
    while std::time::Instant::now() < deadline {
        let answer = client
            .get(format!("http://{address}/api/ticket/{token}"))
            .send()
            .await;
        if let Ok(response) = answer {
            if response.status() == 200 && response.text().await.is_ok_and(|b| b.contains(text)) {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// A free loopback address for a web server to listen on.
pub fn free_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// Waits until a bot (re)started after this call has identified on the gateway.
pub async fn identified(emulator: &Emulator, before: u64) {
    emulator
        .wait_for_identify(before + 1, WAIT)
        .await
        .expect("the bot identifies");
}

/// `count` new members of `world`'s guild named `{prefix}{i}`.
pub fn players(emulator: &Emulator, world: &DemoWorld, prefix: &str, count: usize) -> Vec<u64> {
    (0..count)
        .map(|i| {
            let user = emulator.create_user(&format!("{prefix}{i}"));
            emulator.add_member(world.guild, user, &[]);
            user
        })
        .collect()
}

/// Staff type `!setup_tickets` in `world`'s panel channel; the panel message's id.
pub async fn post_panel(emulator: &Emulator, world: &DemoWorld) -> u64 {
    let from = emulator.log_position();
    emulator
        .user(world.staff)
        .say(world.panel_channel, "!setup_tickets")
        .expect("staff can post in the panel channel");
    let channel = world.panel_channel.to_string();
    let panel = emulator
        .wait_for_after(from, WAIT, "the panel", |r| {
            r.is("POST", "/channels/*/messages")
                && r.path.contains(&channel)
                && !r.response["components"]
                    .as_array()
                    .is_none_or(Vec::is_empty)
        })
        .await
        .expect("the bot posts the panel");
    panel.response["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the panel has an id")
}

/// `player` presses the panel's button and chooses the support type; the choice's handle.
pub async fn choose_support(emulator: &Emulator, player: u64, panel: u64) -> InteractionHandle {
    let actor = emulator.user(player);
    let menu = actor
        .click(panel, &CustomId::OpenPanel.to_string())
        .expect("the panel has its button")
        .message(WAIT)
        .await
        .expect("the bot answers the panel");
    let menu_id: u64 = menu["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the menu has an id");
    actor
        .choose(menu_id, &CustomId::ChooseType.to_string(), &["support"])
        .expect("the menu offers the support type")
}

/// The ticket channel a player's "ticket created" answer links to.
pub fn linked_channel(answer: &serde_json::Value) -> Option<u64> {
    answer["components"][0]["components"][0]["url"]
        .as_str()?
        .rsplit('/')
        .next()?
        .parse()
        .ok()
}

/// Staff press Close on the welcome of the ticket in `channel` and give `reason`; returns
/// the ticket's id once the close is announced (from then on it is recorded and completes).
pub async fn close_ticket(
    emulator: &Emulator,
    world: &DemoWorld,
    channel: u64,
    reason: &str,
) -> i64 {
    let welcome = emulator
        .wait_world(WAIT, "the welcome", |w| {
            w.messages
                .values()
                .find(|m| m.channel_id == channel && !m.components.is_empty())
                .map(|m| m.id)
        })
        .await
        .expect("the welcome is posted");
    let close = emulator.world(|w| {
        w.messages[&welcome]
            .components
            .iter()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
            .find(|id| id.starts_with("tb:close:"))
            .expect("the welcome has a close button")
    });
    let ticket = close
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the close button names its ticket");
    let staff = emulator.user(world.staff);
    let form = staff.click(welcome, &close).expect("staff may press Close");
    form.response(WAIT).await.expect("the close form opens");
    staff
        .submit_modal(&form, &[("reason", reason)])
        .expect("the close form takes a reason")
        .response(WAIT)
        .await
        .expect("the close is announced");
    ticket
}
