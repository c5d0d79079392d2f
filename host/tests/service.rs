//! Running as a service: the systemd unit in `deploy/` is valid (checked by systemd itself
//! where it is installed), and the real binary stops cleanly on SIGTERM, as systemd and Docker
//! stop services.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_systemd_unit_verifies() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed here; the unit is not checked");
        return;
    }
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/ticketbot.service"),
    )
    .unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/ticketbot run"));
    // Verified against the binary this build made (systemd checks that it exists).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ticketbot.service");
    std::fs::write(
        &file,
        unit.replace("/usr/local/bin/ticketbot", env!("CARGO_BIN_EXE_ticketbot")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
}

/// Starts `ticketbot serve` on a fresh database; returns it and its stderr lines as they come.
#[cfg(unix)]
fn serve(dir: &Path) -> (std::process::Child, std::sync::mpsc::Receiver<String>, u16) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("database = \"t.duckdb\"\n[web]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, lines, port)
}

/// Sends SIGTERM and waits for the exit; returns the status and the rest of the log.
#[cfg(unix)]
fn terminate(
    mut child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
) -> (std::process::ExitStatus, String) {
    // SAFETY: kill with a pid we spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let log: Vec<String> = lines.iter().collect();
    (status, log.join("\n"))
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_binary_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (child, lines, port) = serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, log) = terminate(child, lines);
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("stopped"), "{log}");
}

/// A SIGTERM while the bot is still starting (here: as soon as it logs its first line, while
/// it migrates the database) is a graceful stop too, not the default action that ends the
/// process on the spot.
#[cfg(unix)]
#[test]
fn sigterm_during_start_up_stops_the_binary_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (child, lines, _) = serve(dir.path());
    let first = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a first log line");
    let (status, log) = terminate(child, lines);
    assert!(status.success(), "{status:?}\n{first}\n{log}");
    assert!(log.contains("stopped"), "{first}\n{log}");
}

/// A process running only some of the shards is refused on DuckDB (the other processes could
/// not open the same file), and a malformed layout is refused with what was wrong; both
/// before anything starts.
#[test]
fn run_refuses_a_shard_subset_on_duckdb_and_a_bad_layout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "database = \"t.duckdb\"\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .arg("run")
            .args(args)
            .env("DISCORD_TOKEN", "not-used")
            .output()
            .unwrap()
    };
    let out = run(&["--shard-total", "2", "--shards", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("a DuckDB file opens in one process only"),
        "{stderr}"
    );
    for (args, says) in [
        (
            &["--shard-total", "two"][..],
            "--shard-total: \"two\" is not a number",
        ),
        (
            &["--shard-total", "2", "--shards", "1-2"][..],
            "--shards: \"1-2\" is not a shard",
        ),
        (&["--shards", "0-1"][..], "--shards needs --shard-total"),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
