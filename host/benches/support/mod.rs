//! What several bench binaries do alike: start the real `ticketbot` binary against the
//! emulator, add players to a guild, and have staff post the panel.
//!
//! Each bench is its own crate and uses part of this, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use ticketbot::demo::DemoWorld;
use ticketbot_emulator::Emulator;

/// How long a bench waits for one step before giving up.
pub const WAIT: Duration = Duration::from_secs(60);

/// A `ticketbot run` child process. Dropping it (also when a bench step panics) kills it, so
/// no bot outlives its bench.
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
