//! Where the store keeps its data: a DuckDB file or a PostgreSQL server.

use std::fmt;
use std::path::PathBuf;

use super::{pg, StoreError};

/// The environment variable holding the PostgreSQL password (never the config file).
pub const PASSWORD_VARIABLE: &str = "TICKETBOT_DATABASE_PASSWORD";

/// The environment variable naming a PostgreSQL server the tests and benchmarks run on
/// (unset: DuckDB files).
pub const TEST_SERVER_VARIABLE: &str = "TICKETBOT_TEST_POSTGRES";

/// Where the store keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A DuckDB file: the embedded default, for one process.
    File(PathBuf),
    /// A PostgreSQL server, for many processes.
    Postgres(Server),
}

impl Database {
    /// Reads the config's `database` value: a `postgres://` URL, or else a file path (as
    /// given; the caller resolves it). The URL may not carry a password: it comes from
    /// [`PASSWORD_VARIABLE`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            if text.is_empty() {
                return Err("must name a file or a postgres:// URL".into());
            }
            return Ok(Database::File(PathBuf::from(text)));
        }
        let config: postgres::Config = text
            .parse()
            .map_err(|e| format!("not a PostgreSQL URL: {e}"))?;
        if config.get_password().is_some() {
            return Err(format!(
                "put the password in the environment variable {PASSWORD_VARIABLE}, not in the file"
            ));
        }
        if config.get_hosts().is_empty() {
            return Err("the URL names no host (postgres://user@host:port/database)".into());
        }
        let password = std::env::var(PASSWORD_VARIABLE)
            .ok()
            .filter(|p| !p.is_empty());
        Ok(Database::Postgres(Server {
            url: text.to_owned(),
            password,
        }))
    }

    /// A new, empty database for a test or a benchmark: a DuckDB file in `dir`, or, when the
    /// environment variable [`TEST_SERVER_VARIABLE`] names a PostgreSQL server
    /// (`postgres://user@host:port`), a new database of its own there. The same suite thus
    /// runs on either backend.
    pub fn scratch(dir: &std::path::Path) -> Result<Self, StoreError> {
        let Some(url) = std::env::var(TEST_SERVER_VARIABLE)
            .ok()
            .filter(|u| !u.trim().is_empty())
        else {
            return Ok(Database::File(dir.join("ticketbot.duckdb")));
        };
        let Ok(Database::Postgres(server)) = Database::parse(&url) else {
            return Err(StoreError::Unavailable(format!(
                "{TEST_SERVER_VARIABLE} must be a postgres:// URL without a password"
            )));
        };
        let name = format!("ticketbot_test_{}", uuid::Uuid::now_v7().simple());
        // On a thread of its own: the blocking client cannot run on an async runtime's thread.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut admin = server.connect()?;
                    super::sql::Db::batch(&mut admin, &format!("CREATE DATABASE {name}"))
                })
                .join()
                .unwrap_or(Err(StoreError::Closed))
        })?;
        let mut config: postgres::Config = server
            .url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Unavailable(e.to_string()))?;
        config.dbname(&name);
        let mut url = String::from("postgres://");
        if let Some(user) = config.get_user() {
            url.push_str(user);
            url.push('@');
        }
        match (config.get_hosts().first(), config.get_ports().first()) {
            (Some(postgres::config::Host::Tcp(host)), port) => {
                url.push_str(host);
                if let Some(port) = port {
                    url.push_str(&format!(":{port}"));
                }
            }
            _ => {
                return Err(StoreError::Unavailable(format!(
                    "{TEST_SERVER_VARIABLE} must name a TCP host"
                )))
            }
        }
        url.push('/');
        url.push_str(&name);
        Ok(Database::Postgres(Server {
            url,
            password: server.password,
        }))
    }

    /// Whether several processes may share it (PostgreSQL; a DuckDB file has one owner).
    pub fn is_shared(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::File(path) => write!(f, "{}", path.display()),
            Database::Postgres(server) => write!(f, "{}", server.url),
        }
    }
}

/// A PostgreSQL server and database, with the password from the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Server {
    url: String,
    password: Option<String>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl Server {
    /// The URL (it never holds the password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection, its session in UTC.
    pub(super) fn connect(&self) -> Result<pg::Postgres, StoreError> {
        let unreachable =
            |reason: String| StoreError::Unavailable(format!("{}: {reason}", self.url));
        let mut config: postgres::Config = self
            .url
            .parse()
            .map_err(|e: postgres::Error| unreachable(e.to_string()))?;
        if let Some(password) = &self.password {
            config.password(password);
        }
        config.application_name("ticketbot");
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| unreachable(pg::describe(&e)))?;
        pg::Postgres::new(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_servers_are_told_apart() {
        assert_eq!(
            Database::parse("bot.duckdb"),
            Ok(Database::File("bot.duckdb".into()))
        );
        let Ok(Database::Postgres(server)) =
            Database::parse("postgres://ticketbot@127.0.0.1:5432/tickets")
        else {
            panic!("a server");
        };
        assert_eq!(server.url(), "postgres://ticketbot@127.0.0.1:5432/tickets");
        assert!(Database::parse("postgres://u:hunter2@db/x")
            .unwrap_err()
            .contains(PASSWORD_VARIABLE));
        assert!(Database::parse("postgres://").is_err());
        assert!(Database::parse("  ").is_err());
    }
}
