//! The bot's log, as an operator reads it: lines about a ticket carry its guild and ticket id
//! (from the event itself or from the span of the interaction that caused it), and the bot
//! token appears nowhere.
//!
//! One test in its own binary, because it installs the process-wide log subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use ticketbot_e2e::{custom_ids, id_of, Harness, WAIT};

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The first line containing every one of `parts`.
    fn line_with(&self, parts: &[&str]) -> Option<String> {
        self.lines()
            .into_iter()
            .find(|line| parts.iter().all(|p| line.contains(p)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_name_guild_and_ticket_and_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info,serenity=warn,tracing::span=warn")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let h = Harness::start_with("en", |w| {
        w.close_delay_seconds = 0;
        let path = ticketbot_test_guests::path("faulty");
        w.plugins.push(format!(
            "[[guild.plugin]]\nid = \"faulty\"\npath = {:?}\ncapabilities = [\"dm\"]\n",
            path.display().to_string()
        ));
    })
    .await;
    let guild = format!("guild={}", h.world.guild);
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.expect("a ticket").id;
    let ticket_field = format!("ticket={ticket}");

    // A plugin that traps: the warning carries the interaction's guild, user and ticket.
    let trap = custom_ids(&welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("pl:faulty:") && id.ends_with(":b:trap"))
        .expect("the faulty plugin's trap button");
    h.emu
        .user(h.world.player)
        .click(id_of(&welcome), &trap)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    h.close_by_staff(channel, &welcome, "done").await;

    let failed = ticketbot_e2e::eventually("the plugin failure is logged", || {
        captured.line_with(&["plugin event failed"])
    })
    .await;
    let player = format!("user={}", h.world.player);
    for part in [guild.as_str(), ticket_field.as_str(), player.as_str()] {
        assert!(failed.contains(part), "{part} missing in: {failed}");
    }
    assert!(failed.contains("WARN"), "{failed}");

    // Lifecycle events are logged with their guild and ticket.
    for event in ["ticket.opened", "ticket.closing", "ticket.closed"] {
        let line = ticketbot_e2e::eventually(event, || {
            captured.line_with(&["ticket event", &format!("event=\"{event}\"")])
        })
        .await;
        assert!(
            line.contains(&guild) && line.contains(&ticket_field),
            "{event}: {line}"
        );
    }

    let token = h.emu.token().to_owned();
    h.finish().await;
    let all = captured.lines();
    assert!(all.len() > 10, "too little was logged: {all:?}");
    assert!(
        !all.iter().any(|line| line.contains(&token)),
        "the token reached the log"
    );
}
