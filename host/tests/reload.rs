//! `ticketbot reload` and SIGHUP on the real binary (against the emulator): a file with a typo
//! is refused with its file and line, by the command before any signal and by the bot if it
//! gets one anyway, and the bot keeps running on what it had; a good file is put in force
//! without a restart; the pid file the command reads goes with the bot.

#![cfg(unix)]

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// The bot, killed if the test ends early.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a log line containing `text`; all lines seen so far.
fn wait_for(lines: &Receiver<String>, seen: &mut Vec<String>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|l| l.contains(text)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no {text:?} in the log:\n{}", seen.join("\n")),
        }
    }
}

fn reload_command(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["reload", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typo_is_refused_and_a_good_file_is_put_in_force_without_a_restart() {
    let emulator = ticketbot_emulator::Emulator::start().await.unwrap();
    let world = ticketbot::demo::DemoWorld::create(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("bot.duckdb");
    let listen: std::net::SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = dir.path().join("config.toml");
    let good = world.config_toml(&database, listen, "en");
    std::fs::write(&config, &good).unwrap();
    let bot = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["run", "--config"])
        .arg(&config)
        .env("DISCORD_TOKEN", emulator.token())
        .env("DISCORD_API_BASE", emulator.api_base())
        .env("RUST_LOG", "info,serenity=warn")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut bot = Killed(bot);
    let bot = &mut bot.0;
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = std::io::BufReader::new(bot.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, "running; press Ctrl-C to stop");
    let pid_file = database.with_extension("pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        bot.id().to_string()
    );

    // A typo: the command refuses to send it, naming the line.
    let typo = good.replacen("panel_channel", "panel_chanel", 1);
    let line = typo
        .lines()
        .position(|l| l.starts_with("panel_chanel"))
        .unwrap()
        + 1;
    std::fs::write(&config, &typo).unwrap();
    let out = reload_command(&config);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("{}:{line}:", config.display())),
        "{said}"
    );
    assert!(
        said.contains("the running bot keeps its configuration"),
        "{said}"
    );
    // Signalled anyway, the bot refuses it the same way and keeps running.
    // SAFETY: kill with the pid of the child we spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(bot.id() as i32, libc::SIGHUP) }, 0);
    wait_for(&lines, &mut seen, &format!("{}:{line}:", config.display()));
    assert!(
        seen.iter()
            .any(|l| l.contains("the running configuration stays")),
        "{}",
        seen.join("\n")
    );
    assert!(bot.try_wait().unwrap().is_none(), "still running");

    // A good file (here the one it started with, with its texts changed): put in force, no
    // restart.
    std::fs::write(
        &config,
        format!("{good}\n[guild.texts]\nwelcome-description = \"Hi {{ $opener }}!\"\n"),
    )
    .unwrap();
    let out = reload_command(&config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("asked the running bot"));
    wait_for(&lines, &mut seen, "config reloaded");
    assert_eq!(
        emulator.gateway_stats().identifies,
        1,
        "the gateway was not dropped"
    );

    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(bot.id() as i32, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = bot.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    assert!(!pid_file.exists(), "the pid file goes with the bot");
}
