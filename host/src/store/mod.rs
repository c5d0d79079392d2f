//! Persistence: the only place that knows SQL.
//!
//! Two backends behind one handle: a DuckDB file (the embedded default, one process) and a
//! PostgreSQL server (many bot and web processes on one database). Every query is written once
//! against [`sql::Db`] ([`duck`] and [`pg`] run it), and [`schema`] applies the same versioned
//! migrations to both. [`Store::connect`] opens either and returns a cheap, cloneable handle;
//! queries run on dedicated threads ([`Store::call`]), so database work never blocks tokio's
//! workers. On DuckDB the web server reads on a second thread with its own connection
//! ([`Store::read`]); on PostgreSQL likewise one connection runs the lifecycle's work in
//! order, and a few more share the reads. A token that matches no
//! transcript is answered from an in-memory index without a query. The submodules add typed
//! queries per table.

mod announce;
mod blacklist;
mod choices;
mod close_requests;
pub mod copy;
mod dashboard;
mod database;
mod duck;
mod events;
mod feedback;
mod files;
mod layers;
mod messages;
mod notes;
mod panels;
mod pg;
mod plugins;
pub mod schema;
pub mod sql;
mod stats;
mod tickets;
mod transcripts;
mod uploads;

pub use transcripts::{read_legacy_transcripts, token_hash};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::oneshot;

pub use announce::Announcements;
pub use blacklist::{BlockEntry, BlockTarget};
pub use choices::{ChoiceChange, StoredChoice};
pub use close_requests::CloseRequest;
pub use dashboard::{DayCount, TicketFilter, TicketPage, TicketRow, TicketState, WebSession};
pub use database::Database;
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

use sql::Db;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open the database {location}: {reason}")]
    Open {
        /// The file or server (never with its password).
        location: String,
        /// Why (in the message, not as a source, so it is printed once).
        reason: String,
    },
    /// The database was written by a newer ticketbot; it is left untouched.
    #[error("the database {location} has schema version {found}, newer than this ticketbot knows ({supported}); upgrade ticketbot (the database was not changed)")]
    NewerSchema {
        /// The file or server.
        location: String,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A migration failed; it was rolled back.
    #[error("migration {version} of {location} failed and was rolled back: {reason}")]
    Migration {
        /// The file or server.
        location: String,
        /// The migration.
        version: i64,
        /// The database's reason.
        reason: String,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(String),
    /// The database server cannot be reached right now (the query was not run).
    #[error("the database server is unreachable: {0}")]
    Unavailable(String),
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

impl From<duckdb::Error> for StoreError {
    fn from(error: duckdb::Error) -> Self {
        Self::Query(error.to_string())
    }
}

/// A query job: given the connection (or why there is none), it runs and sends its answer.
type Job = Box<dyn FnOnce(Result<&mut dyn Db, StoreError>) + Send>;

/// Work for a database thread: a job given the connection, or the order to close it.
enum Work {
    Job(Job),
    Close(oneshot::Sender<()>),
}

/// Connections to PostgreSQL a process keeps for the web server's reads (each on its own
/// thread), beside the one the lifecycle's work runs on.
const POSTGRES_READERS: usize = 3;

/// A handle to the database threads. Clones share them.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Work>,
    reads: mpsc::Sender<Work>,
    database: Arc<Database>,
    tokens: Arc<transcripts::TokenIndex>,
    /// The settings changes this process recorded, which it need not follow.
    recorded_here: Arc<Mutex<layers::RecordedHere>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.database)
            .finish()
    }
}

impl Store {
    /// Opens (or creates) the DuckDB file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::connect(&Database::File(path.to_owned())).await
    }

    /// Opens `database` (a DuckDB file, or a PostgreSQL server) and brings its schema up to
    /// date.
    pub async fn connect(database: &Database) -> Result<Self, StoreError> {
        let (jobs, reads, tokens) = match database {
            Database::File(path) => open_file(path).await?,
            Database::Postgres(server) => open_server(server).await?,
        };
        if let Database::File(path) = database {
            make_private(path);
        }
        Ok(Self {
            jobs,
            reads,
            database: Arc::new(database.clone()),
            tokens: Arc::new(tokens),
            recorded_here: Arc::default(),
        })
    }

    /// The DuckDB file, when the store is one.
    pub fn path(&self) -> Option<&Path> {
        match &*self.database {
            Database::File(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }

    /// Runs `work` on a database connection and waits for its result.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run(&self.jobs, work).await
    }

    /// Runs a read-only `work` for the web server (on DuckDB, its own connection and thread,
    /// so a flood of page requests cannot hold up the bot's queries).
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run(&self.reads, work).await
    }

    /// Closes the database now (every handle then answers [`StoreError::Closed`]), so the
    /// same file can be opened again, e.g. by a restarted bot in the same process.
    pub async fn close(&self) {
        // The reader first: a DuckDB file is released when its last connection closes.
        for queue in [&self.reads, &self.jobs] {
            let (done, closed) = oneshot::channel();
            if queue.send(Work::Close(done)).is_ok() {
                let _ = closed.await;
            }
        }
    }
}

type Queues = (
    mpsc::Sender<Work>,
    mpsc::Sender<Work>,
    transcripts::TokenIndex,
);

/// Opens a DuckDB file on a writer thread and a reader thread.
async fn open_file(path: &Path) -> Result<Queues, StoreError> {
    let (jobs, receiver) = mpsc::channel::<Work>();
    let (reads, read_receiver) = mpsc::channel::<Work>();
    let (ready, opened) = oneshot::channel();
    let file = path.to_owned();
    std::thread::Builder::new()
        .name("duckdb".into())
        .spawn(move || {
            let opened = schema::open_file(&file).and_then(|mut connection| {
                let reader = connection.0.try_clone()?;
                let tokens = transcripts::TokenIndex::load(&mut connection, false)?;
                Ok((connection, duck::DuckDb(reader), tokens))
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
                .spawn(move || serve_file(reader, read_receiver));
            if let Err(error) = started {
                let _ = ready.send(Err(StoreError::Thread(error)));
                return;
            }
            let _ = ready.send(Ok(tokens));
            serve_file(connection, receiver);
        })
        .map_err(StoreError::Thread)?;
    let tokens = opened.await.map_err(|_| StoreError::Closed)??;
    Ok((jobs, reads, tokens))
}

/// Runs jobs on a DuckDB connection until every sender is dropped (a closed store keeps
/// answering [`StoreError::Closed`]).
fn serve_file(connection: duck::DuckDb, jobs: mpsc::Receiver<Work>) {
    let mut connection = Some(connection);
    while let Ok(work) = jobs.recv() {
        match work {
            Work::Job(job) => match connection.as_mut() {
                Some(connection) => job(Ok(connection)),
                None => job(Err(StoreError::Closed)),
            },
            Work::Close(done) => {
                if let Some(connection) = connection.take() {
                    if let Err((_, error)) = connection.0.close() {
                        tracing::warn!(%error, "closing the database");
                    }
                }
                let _ = done.send(());
            }
        }
    }
}

/// Connects to a PostgreSQL server, migrates it, and starts the connection threads: one for
/// the lifecycle's work ([`Store::call`]), which so runs in the order it was asked for, as on
/// DuckDB (a plugin's message is remembered before a click on it is looked up), and a few
/// sharing the web server's reads ([`Store::read`]).
async fn open_server(server: &database::Server) -> Result<Queues, StoreError> {
    let first = server.clone();
    let (connection, tokens) = tokio::task::spawn_blocking(move || {
        let mut connection = schema::open_server(&first)?;
        let tokens = transcripts::TokenIndex::load(&mut connection, true)?;
        Ok::<_, StoreError>((connection, tokens))
    })
    .await
    .map_err(|_| StoreError::Closed)??;
    let closed = Arc::new(AtomicBool::new(false));
    let mut first = Some(connection);
    let mut queue = |name: &str, threads: usize| -> Result<mpsc::Sender<Work>, StoreError> {
        let (sender, receiver) = mpsc::channel::<Work>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let (server, receiver, closed) = (server.clone(), receiver.clone(), closed.clone());
            let connection = first.take();
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || serve_server(&server, connection, &receiver, &closed))
                .map_err(StoreError::Thread)?;
        }
        Ok(sender)
    };
    let jobs = queue("postgres", 1)?;
    let reads = queue("postgres-read", POSTGRES_READERS)?;
    Ok((jobs, reads, tokens))
}

/// Runs jobs from the shared queue on this thread's PostgreSQL connection, connecting again
/// when the server dropped it. Stops when every sender is dropped.
fn serve_server(
    server: &database::Server,
    mut connection: Option<pg::Postgres>,
    queue: &Mutex<mpsc::Receiver<Work>>,
    closed: &AtomicBool,
) {
    loop {
        let work = {
            // A poisoned lock only means another thread panicked while waiting: the queue is intact.
            let queue = queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.recv()
        };
        let Ok(work) = work else { return };
        match work {
            Work::Close(done) => {
                closed.store(true, Ordering::SeqCst);
                connection = None;
                let _ = done.send(());
            }
            Work::Job(job) => {
                if closed.load(Ordering::SeqCst) {
                    connection = None;
                    job(Err(StoreError::Closed));
                    continue;
                }
                if connection.as_ref().is_none_or(|c| c.is_closed()) {
                    connection = None;
                    match server.connect() {
                        Ok(fresh) => connection = Some(fresh),
                        Err(error) => {
                            job(Err(error));
                            continue;
                        }
                    }
                }
                if let Some(connection) = connection.as_mut() {
                    job(Ok(connection));
                }
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

/// Sends `work` to a database thread and waits for its result.
async fn run<T: Send + 'static>(
    queue: &mpsc::Sender<Work>,
    work: impl FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (reply, result) = oneshot::channel();
    let job = Work::Job(Box::new(
        move |connection: Result<&mut dyn Db, StoreError>| {
            let _ = reply.send(connection.and_then(work));
        },
    ));
    queue.send(job).map_err(|_| StoreError::Closed)?;
    result.await.map_err(|_| StoreError::Closed)?
}
