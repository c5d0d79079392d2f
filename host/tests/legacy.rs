//! Moving from the original bot: `ticketbot import-legacy` on a DuckDB file made the way the
//! original makes it, run twice, on a damaged file and on another database; then the imported
//! pages served at their old links under the policy for untrusted HTML.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PAGE_A: &str = "<html><body><div style=\"color:red\">Ticket de joao</div><script>alert(1)</script></body></html>";
const PAGE_B: &str = "<html><body><p>Devolução aprovada</p></body></html>";
const TOKEN_A: &str = "7f9c2ba4-e88f-4a6b-9a3b-1f2d3c4b5a69";
const TOKEN_B: &str = "0b1e7c32-55aa-4c1e-8d3e-9a8b7c6d5e4f";

/// The original bot's database: the table it creates and reads (`SELECT html_content FROM
/// ticket_html WHERE token = ?`), with two pages.
fn original_database(path: &Path) {
    let db = duckdb::Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS ticket_html (token VARCHAR PRIMARY KEY, html_content VARCHAR, created_at TIMESTAMP DEFAULT current_timestamp);",
    )
    .unwrap();
    for (token, html) in [(TOKEN_A, PAGE_A), (TOKEN_B, PAGE_B)] {
        db.execute(
            "INSERT INTO ticket_html (token, html_content) VALUES (?, ?)",
            duckdb::params![token, html],
        )
        .unwrap();
    }
}

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        format!(
            "database = \"bot.duckdb\"\n[web]\nlisten = \"127.0.0.1:{port}\"\n\
             [[guild]]\nid = 10\npanel_channel = 11\nlog_channel = 12\nticket_category = 13\nstaff_roles = [14]\n\
             [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Suporte\"\n"
        ),
    )
    .unwrap();
    file
}

fn import(config: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["import-legacy", "--config"])
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn old_links_keep_working_and_bad_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = config(dir.path(), port);
    let original = dir.path().join("tickets.duckdb");
    original_database(&original);
    let panel = dir.path().join("panel.json");
    std::fs::write(
        &panel,
        r#"{"panel_message_id": "990001", "channel_id": 11}"#,
    )
    .unwrap();
    let original_path = original.display().to_string();
    let panel_path = panel.display().to_string();
    let args = [
        "--duckdb",
        &original_path,
        "--panel-json",
        &panel_path,
        "--guild",
        "10",
    ];

    let (ok, out, err) = import(&config, &args);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("2 transcript(s) in") && out.contains("2 imported, 0 already here"),
        "{out}"
    );
    assert!(
        out.contains("the panel message 990001 now opens tickets for guild 10"),
        "{out}"
    );
    // Twice: nothing new.
    let (ok, out, err) = import(&config, &args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("0 imported, 2 already here"), "{out}");

    // A damaged file and another database are refused, and left exactly as they were.
    let damaged = dir.path().join("damaged.duckdb");
    std::fs::write(&damaged, b"DUCK\x00\x01not really a database at all").unwrap();
    let other = dir.path().join("other.duckdb");
    duckdb::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE tickets (id INTEGER);")
        .unwrap();
    for (file, says) in [
        (&damaged, "cannot open"),
        (&other, "is not the original bot's database"),
    ] {
        let before = std::fs::read(file).unwrap();
        let path = file.display().to_string();
        let (ok, out, err) = import(&config, &["--duckdb", &path, "--guild", "10"]);
        assert!(!ok, "{out}");
        assert!(err.contains(says), "{err}");
        assert_eq!(
            std::fs::read(file).unwrap(),
            before,
            "{} changed",
            file.display()
        );
    }

    // Served at the old path, as stored, with no script allowed to run.
    let mut server = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["serve", "--config"])
        .arg(&config)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, csp, body) = runtime.block_on(async {
        let response = reqwest::get(format!("http://127.0.0.1:{port}/api/ticket/{TOKEN_A}"))
            .await
            .unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        (
            response.status().as_u16(),
            csp,
            response.text().await.unwrap(),
        )
    });
    let miss = runtime.block_on(async {
        reqwest::get(format!(
            "http://127.0.0.1:{port}/api/ticket/{}",
            TOKEN_A.replace('7', "8")
        ))
        .await
        .unwrap()
        .status()
        .as_u16()
    });
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(status, 200);
    assert_eq!(body, PAGE_A);
    assert!(
        csp.contains("sandbox") && !csp.contains("allow-scripts"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "no script source: {csp}");
    assert_eq!(miss, 404);
}
