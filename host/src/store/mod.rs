//! Persistence in one DuckDB file: the only place that knows SQL.
//!
//! [`Store::open`] opens the file on a dedicated thread, applies the versioned migrations in
//! [`schema`], and returns a cheap, cloneable handle. The lifecycle's queries run on that
//! thread ([`Store::call`]), so DuckDB work never blocks tokio's workers. The web server reads
//! on a second thread with its own connection ([`Store::read`]), so a flood of page requests
//! cannot hold up the bot's queries, and a token that matches no transcript is answered from
//! an in-memory index without touching DuckDB. The submodules add typed queries per table.

mod blacklist;
mod choices;
mod close_requests;
mod dashboard;
mod events;
mod feedback;
mod files;
mod layers;
mod messages;
mod notes;
mod panels;
mod plugins;
pub mod schema;
mod stats;
mod tickets;
mod transcripts;
mod uploads;

pub use transcripts::{read_legacy_transcripts, token_hash};

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

pub use blacklist::{BlockEntry, BlockTarget};
pub use choices::{ChoiceChange, StoredChoice};
pub use close_requests::CloseRequest;
pub use dashboard::{DayCount, TicketFilter, TicketPage, TicketRow, TicketState, WebSession};
pub use events::EventRecord;
pub use feedback::FeedbackRecord;
pub use files::StoredFile;
pub use layers::LayerChange;
pub use messages::CapturedMessage;
pub use notes::NoteRecord;
pub use panels::PanelRecord;
pub use plugins::{PluginChannel, PluginTimer};
pub use stats::{GuildStats, StaffStats, TypeStats};
pub use tickets::{Answer, NewTicket, Reservation, TicketRecord, TicketStatus};
pub use transcripts::StoredTranscript;
pub use uploads::UploadedPlugin;

use duckdb::Connection;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened as a DuckDB database.
    #[error("cannot open the database {path}: {reason} (is it a DuckDB file, and is no other ticketbot using it?)")]
    Open {
        /// The file.
        path: PathBuf,
        /// DuckDB's reason (in the message, not as a source, so it is printed once).
        reason: duckdb::Error,
    },
    /// The file was written by a newer ticketbot; it is left untouched.
    #[error("the database {path} has schema version {found}, newer than this ticketbot knows ({supported}); upgrade ticketbot (the file was not changed)")]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A migration failed; it was rolled back.
    #[error("migration {version} of {path} failed and was rolled back: {reason}")]
    Migration {
        /// The file.
        path: PathBuf,
        /// The migration.
        version: i64,
        /// DuckDB's reason.
        reason: duckdb::Error,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(duckdb::Error),
    /// The database thread could not be started.
    #[error("cannot start the database thread: {0}")]
    Thread(std::io::Error),
    /// The store was closed.
    #[error("the database is closed")]
    Closed,
    /// A write would pass a bound (a plugin's storage or timers).
    #[error("{0}")]
    Full(String),
    /// A file that should be the original bot's database is not.
    #[error("{0} is not the original bot's database: it has no table ticket_html(token, html_content); nothing was imported and the file was not changed")]
    NotLegacy(PathBuf),
}

// By hand rather than `#[from]`, which would also make DuckDB's error the source and print it
// twice in a chain.
impl From<duckdb::Error> for StoreError {
    fn from(error: duckdb::Error) -> Self {
        Self::Query(error)
    }
}

type Job = Box<dyn FnOnce(&mut Option<Connection>) + Send>;

/// A handle to the database threads. Clones share them.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    reads: mpsc::Sender<Job>,
    path: Arc<PathBuf>,
    tokens: Arc<transcripts::TokenIndex>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let (reads, read_receiver) = mpsc::channel::<Job>();
        let (ready, opened) = oneshot::channel();
        let file = path.to_owned();
        std::thread::Builder::new()
            .name("duckdb".into())
            .spawn(move || {
                let opened = schema::open(&file).and_then(|connection| {
                    let reader = connection.try_clone().map_err(StoreError::Query)?;
                    let tokens = transcripts::TokenIndex::load(&connection)?;
                    Ok((connection, reader, tokens))
                });
                let (connection, reader, tokens) = match opened {
                    Ok(opened) => opened,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                let started = std::thread::Builder::new()
                    .name("duckdb-read".into())
                    .spawn(move || serve(Some(reader), read_receiver));
                if let Err(error) = started {
                    let _ = ready.send(Err(StoreError::Thread(error)));
                    return;
                }
                let _ = ready.send(Ok(tokens));
                serve(Some(connection), receiver);
            })
            .map_err(StoreError::Thread)?;
        let tokens = opened.await.map_err(|_| StoreError::Closed)??;
        make_private(path);
        Ok(Self {
            jobs,
            reads,
            path: Arc::new(path.to_owned()),
            tokens: Arc::new(tokens),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the database thread and waits for its result.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run(&self.jobs, work).await
    }

    /// Runs a read-only `work` on the web server's own connection and thread.
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run(&self.reads, work).await
    }

    /// Closes the file now (every handle then answers [`StoreError::Closed`]), so the same file
    /// can be opened again, e.g. by a restarted bot in the same process.
    pub async fn close(&self) {
        // The reader first: the file is released when its last connection closes.
        for queue in [&self.reads, &self.jobs] {
            let (done, closed) = oneshot::channel();
            let job: Job = Box::new(move |connection: &mut Option<Connection>| {
                if let Some(connection) = connection.take() {
                    if let Err((_, error)) = connection.close() {
                        tracing::warn!(%error, "closing the database");
                    }
                }
                let _ = done.send(());
            });
            if queue.send(job).is_ok() {
                let _ = closed.await;
            }
        }
    }
}

/// Makes the database file and its write-ahead log readable by this user only: they hold every
/// ticket's messages. (`ticketbot` also sets an owner-only umask, so files DuckDB creates later
/// start private.)
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let wal = PathBuf::from(format!("{}.wal", path.display()));
        for file in [path.to_owned(), wal] {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                let private = std::fs::Permissions::from_mode(0o600);
                if let Err(error) = std::fs::set_permissions(&file, private) {
                    tracing::warn!(file = %file.display(), %error, "could not make the database file private");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Runs jobs on `connection` until every sender is dropped (a closed store keeps answering
/// [`StoreError::Closed`]).
fn serve(mut connection: Option<Connection>, jobs: mpsc::Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        job(&mut connection);
    }
}

/// Sends `work` to a database thread and waits for its result.
async fn run<T: Send + 'static>(
    queue: &mpsc::Sender<Job>,
    work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (reply, result) = oneshot::channel();
    let job: Job = Box::new(move |connection: &mut Option<Connection>| {
        let outcome = match connection {
            Some(connection) => work(connection),
            None => Err(StoreError::Closed),
        };
        let _ = reply.send(outcome);
    });
    queue.send(job).map_err(|_| StoreError::Closed)?;
    result.await.map_err(|_| StoreError::Closed)?
}
