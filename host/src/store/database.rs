//! Where the store keeps its data: a DuckDB file or a PostgreSQL server.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

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
        let (transport, for_client) = transport(text)?;
        let config: postgres::Config = for_client
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
            for_client,
            password,
            transport,
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
            .for_client
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
        // The same transport as the server's URL asks for.
        if let Some((_, query)) = server.url.split_once('?') {
            url.push('?');
            url.push_str(query);
        }
        Ok(Database::Postgres(Server {
            for_client: transport(&url).map_err(StoreError::Unavailable)?.1,
            url,
            password: server.password,
            transport: server.transport,
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
    /// As the config gives it.
    url: String,
    /// What the client library reads: the URL without the keys [`transport`] takes out.
    for_client: String,
    password: Option<String>,
    transport: Transport,
}

/// How the connection to the server travels.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transport {
    /// Plain TCP: a loopback or private network (no `sslmode`, or `sslmode=disable`).
    Plain,
    /// TLS (`sslmode=require` or `verify-full`), the server's certificate verified for the
    /// URL's host against the public roots, or against the certificates in `ca`
    /// (`sslrootcert=`) only.
    Tls { ca: Option<PathBuf> },
}

/// The transport the URL's query asks for, and the URL as the client library takes it:
/// `sslrootcert` removed (the library does not know it), `sslmode` as it understands it.
/// libpq's modes that encrypt without checking whom they talk to (`allow`, `prefer`,
/// `verify-ca`) are refused: a database link is either plain on a private network or
/// verified.
fn transport(url: &str) -> Result<(Transport, String), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((Transport::Plain, url.to_owned()));
    };
    let mut mode = None;
    let mut ca = None;
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => ca = Some(PathBuf::from(&*value)),
            _ => {
                kept.append_pair(&key, &value);
            }
        }
    }
    let transport = match mode.as_deref() {
        None | Some("disable") if ca.is_none() => Transport::Plain,
        None | Some("disable") => {
            return Err("sslrootcert needs sslmode=require (or verify-full)".into())
        }
        Some("require" | "verify-full") => {
            if let Some(ca) = &ca {
                std::fs::metadata(ca)
                    .map_err(|e| format!("sslrootcert {}: {e}", ca.display()))?;
            }
            Transport::Tls { ca }
        }
        Some(other) => {
            return Err(format!(
                "sslmode={other} is not supported: use require (TLS, the server's certificate verified) or disable (plain, on a private network)"
            ))
        }
    };
    kept.append_pair(
        "sslmode",
        match transport {
            Transport::Plain => "disable",
            Transport::Tls { .. } => "require",
        },
    );
    Ok((transport, format!("{base}?{}", kept.finish())))
}

/// The TLS set-up for `ca` (or the public roots): rustls on ring, certificates verified.
fn tls(ca: Option<&std::path::Path>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(file) => {
            let certificates: Vec<CertificateDer> = CertificateDer::pem_file_iter(file)
                .and_then(|found| found.collect::<Result<_, _>>())
                .map_err(|e| format!("sslrootcert {}: {e}", file.display()))?;
            let (added, _) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {}: no certificate in it",
                    file.display()
                ));
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
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
            .for_client
            .parse()
            .map_err(|e: postgres::Error| unreachable(e.to_string()))?;
        if let Some(password) = &self.password {
            config.password(password);
        }
        config.application_name("ticketbot");
        let client = match &self.transport {
            Transport::Plain => config.connect(postgres::NoTls),
            Transport::Tls { ca } => config.connect(tls(ca.as_deref()).map_err(unreachable)?),
        }
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
        assert!(Database::parse("postgres://u@db/x?nonsense=1").is_err());
        assert!(Database::parse("  ").is_err());
    }

    #[test]
    fn the_url_says_whether_the_link_is_encrypted() {
        let server = |url: &str| match Database::parse(url) {
            Ok(Database::Postgres(server)) => server,
            other => panic!("{url}: {other:?}"),
        };
        let plain = server("postgres://u@db/x");
        assert_eq!(plain.transport, Transport::Plain);
        assert_eq!(plain.for_client, "postgres://u@db/x");
        let off = server("postgres://u@db/x?sslmode=disable&application_name=a");
        assert_eq!(off.transport, Transport::Plain);
        assert_eq!(
            off.for_client,
            "postgres://u@db/x?application_name=a&sslmode=disable"
        );
        let public = server("postgres://u@db.example.org/x?sslmode=require");
        assert_eq!(public.transport, Transport::Tls { ca: None });
        assert_eq!(
            public.for_client,
            "postgres://u@db.example.org/x?sslmode=require"
        );
        assert_eq!(
            server("postgres://u@db/x?sslmode=verify-full").transport,
            Transport::Tls { ca: None }
        );
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca cert.pem");
        std::fs::write(&ca, "not yet read").unwrap();
        let private = server(&format!(
            "postgres://u@10.0.0.5/x?sslmode=require&sslrootcert={}",
            url::form_urlencoded::byte_serialize(ca.to_str().unwrap().as_bytes())
                .collect::<String>()
        ));
        assert_eq!(private.transport, Transport::Tls { ca: Some(ca) });
        assert_eq!(
            private.for_client,
            "postgres://u@10.0.0.5/x?sslmode=require"
        );
        // Encryption that does not check whom it talks to, or a CA for a plain link: refused.
        for refused in ["prefer", "allow", "verify-ca"] {
            let problem =
                Database::parse(&format!("postgres://u@db/x?sslmode={refused}")).unwrap_err();
            assert!(problem.contains("require"), "{problem}");
        }
        assert!(Database::parse("postgres://u@db/x?sslrootcert=/etc/ca.pem")
            .unwrap_err()
            .contains("sslmode=require"));
        assert!(
            Database::parse("postgres://u@db/x?sslmode=require&sslrootcert=/no/such/ca.pem")
                .unwrap_err()
                .contains("/no/such/ca.pem")
        );
    }

    #[test]
    fn a_certificate_file_without_certificates_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "-----BEGIN NONSENSE-----\n").unwrap();
        let problem = tls(Some(&ca)).err().expect("no certificate to trust");
        assert!(problem.contains("ca.pem"), "{problem}");
        assert!(tls(None).is_ok(), "the public roots");
    }
}
