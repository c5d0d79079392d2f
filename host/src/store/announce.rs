//! Telling the other processes on a shared database that something changed, so they need not
//! wait for their next look: PostgreSQL's `NOTIFY`, sent by the changing transaction and
//! delivered when it commits, heard on a connection of its own (`LISTEN`). A DuckDB file has
//! one process, so there is nobody to tell.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use super::database::Server;
use super::{Database, Store};

/// The topic of the guilds' own settings and plugin choices ([`Store::record_layer`],
/// [`Store::record_choice`]).
pub(super) const SETTINGS: &str = "ticketbot_settings";

/// How long the listener waits for an announcement before checking whether it is still wanted.
const LISTEN_ROUND: Duration = Duration::from_secs(1);

/// How long the listener waits before connecting again after losing the server.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

/// Announcements of a topic, heard by a listener thread that lives as long as this handle.
#[derive(Debug)]
pub struct Announcements {
    wake: Arc<Notify>,
}

impl Announcements {
    /// Waits for the next announcement, or for the listener to (re)connect (announcements made
    /// while it was not listening are lost, so the caller should look then too). One made while
    /// nobody waited is kept for the next call.
    pub async fn heard(&self) {
        self.wake.notified().await;
    }
}

impl Store {
    /// Announcements of committed changes to the guilds' own settings or plugin choices, by
    /// any process on the database; `None` on a DuckDB file (one process, nothing to hear).
    pub fn settings_announcements(&self) -> Option<Announcements> {
        let Database::Postgres(server) = &*self.database else {
            return None;
        };
        let wake = Arc::new(Notify::new());
        let (server, listener) = (server.clone(), Arc::downgrade(&wake));
        let started = std::thread::Builder::new()
            .name("postgres-listen".into())
            .spawn(move || listen(&server, SETTINGS, &listener));
        if let Err(error) = started {
            tracing::warn!(%error, "could not start listening for settings changes");
            return None;
        }
        Some(Announcements { wake })
    }
}

/// Listens to `topic` on its own connection, waking `wake` on each announcement, until `wake`
/// is dropped; connects again when the connection is lost.
fn listen(server: &Server, topic: &str, wake: &Weak<Notify>) {
    while wake.strong_count() > 0 {
        let listening = server.connect().and_then(|mut connection| {
            connection.listen(topic)?;
            Ok(connection)
        });
        let mut connection = match listening {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, topic, "could not listen for changes; trying again");
                std::thread::sleep(RECONNECT_AFTER);
                continue;
            }
        };
        // Whatever was announced before this connection listened is looked for now.
        let Some(waiting) = wake.upgrade() else {
            return;
        };
        waiting.notify_one();
        drop(waiting);
        loop {
            match connection.announcement(LISTEN_ROUND) {
                Ok(true) => match wake.upgrade() {
                    Some(waiting) => waiting.notify_one(),
                    None => return,
                },
                Ok(false) if wake.strong_count() == 0 => return,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, topic, "lost the connection listening for changes");
                    std::thread::sleep(RECONNECT_AFTER);
                    break;
                }
            }
        }
    }
}
