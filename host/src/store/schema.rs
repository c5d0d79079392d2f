//! The schema as an ordered list of migrations, applied once each, in a transaction each.
//!
//! Never edit a released migration: add the next one. A database whose version is newer than
//! [`LATEST`] is refused before anything is written to it. The migrations are written in
//! DuckDB's types; [`for_postgres`] names PostgreSQL's for the same columns, so both backends
//! have the same tables.

use std::path::Path;

use chrono::Utc;

use super::database::Server;
use super::duck::DuckDb;
use super::pg::Postgres;
use super::sql::{params, Db};
use super::StoreError;

/// The migrations, in order; the version of each is its position plus one.
const MIGRATIONS: &[&str] = &[
    // 1: the original bot's data, made relational, plus an append-only event log.
    r#"
    CREATE TABLE panels (
        guild_id   UBIGINT PRIMARY KEY,
        channel_id UBIGINT NOT NULL,
        message_id UBIGINT NOT NULL,
        posted_by  UBIGINT NOT NULL,
        posted_at  TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE ticket_ids START 1;
    CREATE TABLE tickets (
        id                    BIGINT PRIMARY KEY DEFAULT nextval('ticket_ids'),
        guild_id              UBIGINT NOT NULL,
        number                INTEGER NOT NULL,
        type_id               VARCHAR NOT NULL,
        channel_id            UBIGINT,
        opener_id             UBIGINT NOT NULL,
        status                VARCHAR NOT NULL,
        claimed_by            UBIGINT,
        opened_at             TIMESTAMP NOT NULL,
        closed_at             TIMESTAMP,
        closed_by             UBIGINT,
        close_reason          VARCHAR,
        close_due_at          TIMESTAMP,
        welcome_message_id    UBIGINT,
        transcript_token      VARCHAR NOT NULL,
        UNIQUE (guild_id, number)
    );
    CREATE TABLE ticket_messages (
        ticket_id   BIGINT NOT NULL,
        message_id  UBIGINT NOT NULL,
        author_id   UBIGINT NOT NULL,
        author_name VARCHAR NOT NULL,
        author_bot  BOOLEAN NOT NULL,
        content     VARCHAR NOT NULL,
        attachments VARCHAR NOT NULL,
        embeds      VARCHAR NOT NULL,
        sent_at     TIMESTAMP NOT NULL,
        edited_at   TIMESTAMP,
        deleted     BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (ticket_id, message_id)
    );
    CREATE TABLE ticket_members (
        ticket_id BIGINT NOT NULL,
        user_id   UBIGINT NOT NULL,
        added_by  UBIGINT,
        added_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (ticket_id, user_id)
    );
    CREATE SEQUENCE note_ids START 1;
    CREATE TABLE notes (
        id         BIGINT PRIMARY KEY DEFAULT nextval('note_ids'),
        ticket_id  BIGINT NOT NULL,
        author_id  UBIGINT NOT NULL,
        body       VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE transcripts (
        token_hash BLOB PRIMARY KEY,
        ticket_id  BIGINT NOT NULL,
        encoding   VARCHAR NOT NULL,
        body       BLOB NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE plugin_kv (
        guild_id   UBIGINT NOT NULL,
        plugin     VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value      BLOB NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, plugin, key)
    );
    CREATE SEQUENCE event_ids START 1;
    CREATE TABLE events (
        id        BIGINT PRIMARY KEY DEFAULT nextval('event_ids'),
        happened_at TIMESTAMP NOT NULL,
        guild_id  UBIGINT,
        ticket_id BIGINT,
        actor_id  UBIGINT,
        kind      VARCHAR NOT NULL,
        data      VARCHAR NOT NULL
    );
    "#,
    // 2: what plugins leave behind: messages they posted (they may edit only those), timers
    // that survive restarts, and channels they created for a ticket.
    r#"
    CREATE TABLE plugin_messages (
        guild_id   UBIGINT NOT NULL,
        plugin     VARCHAR NOT NULL,
        channel_id UBIGINT NOT NULL,
        message_id UBIGINT NOT NULL,
        ticket_id  BIGINT,
        PRIMARY KEY (channel_id, message_id)
    );
    CREATE TABLE plugin_timers (
        guild_id  UBIGINT NOT NULL,
        plugin    VARCHAR NOT NULL,
        ticket_id BIGINT NOT NULL,
        key       VARCHAR NOT NULL,
        due_at    TIMESTAMP NOT NULL,
        payload   VARCHAR NOT NULL,
        PRIMARY KEY (guild_id, plugin, ticket_id, key)
    );
    CREATE TABLE plugin_channels (
        channel_id UBIGINT PRIMARY KEY,
        guild_id   UBIGINT NOT NULL,
        plugin     VARCHAR NOT NULL,
        ticket_id  BIGINT NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    "#,
    // 3: whole messages as Discord sent them (replies, components, stickers, reactions), and
    // attachment bytes kept by content hash so transcripts never lose their files.
    r#"
    ALTER TABLE ticket_messages ADD COLUMN raw VARCHAR;
    CREATE TABLE files (
        hash         VARCHAR PRIMARY KEY,
        content_type VARCHAR,
        size         BIGINT NOT NULL,
        body         BLOB NOT NULL,
        stored_at    TIMESTAMP NOT NULL
    );
    CREATE TABLE ticket_files (
        ticket_id BIGINT NOT NULL,
        url       VARCHAR NOT NULL,
        hash      VARCHAR NOT NULL,
        filename  VARCHAR NOT NULL,
        PRIMARY KEY (ticket_id, url)
    );
    "#,
    // 4: who acted as staff (held a staff role when they did), so statistics count staff only,
    // even offline where the roles of today are not known.
    r#"
    CREATE TABLE staff_seen (
        guild_id  UBIGINT NOT NULL,
        user_id   UBIGINT NOT NULL,
        last_seen TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, user_id)
    );
    "#,
    // 5: users and roles staff blocked from opening tickets.
    r#"
    CREATE TABLE blacklist (
        guild_id  UBIGINT NOT NULL,
        kind      VARCHAR NOT NULL,
        target_id UBIGINT NOT NULL,
        reason    VARCHAR,
        by_id     UBIGINT NOT NULL,
        blocked_at TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, kind, target_id)
    );
    "#,
    // 6: staff asking the opener whether a ticket may be closed.
    r#"
    CREATE TABLE close_requests (
        ticket_id  BIGINT PRIMARY KEY,
        by_id      UBIGINT NOT NULL,
        due_at     TIMESTAMP NOT NULL,
        channel_id UBIGINT NOT NULL,
        message_id UBIGINT NOT NULL
    );
    "#,
    // 7: transcripts imported from the original bot (untrusted HTML, served without script).
    r#"
    ALTER TABLE transcripts ADD COLUMN legacy BOOLEAN DEFAULT false;
    "#,
    // 8: a status label plugins set, and the answers to the opening questions (JSON).
    r#"
    ALTER TABLE tickets ADD COLUMN status_label VARCHAR;
    ALTER TABLE tickets ADD COLUMN answers VARCHAR;
    "#,
    // 9: openers' ratings of their tickets.
    r#"
    CREATE TABLE ticket_feedback (
        ticket_id BIGINT PRIMARY KEY,
        guild_id  UBIGINT NOT NULL,
        type_id   VARCHAR NOT NULL,
        staff_id  UBIGINT,
        stars     UTINYINT NOT NULL,
        comment   VARCHAR,
        rated_at  TIMESTAMP NOT NULL
    );
    "#,
    // 10: dashboard sign-ins, by the hash of their id.
    r#"
    CREATE TABLE web_sessions (
        id_hash    BLOB PRIMARY KEY,
        user_id    UBIGINT NOT NULL,
        user_name  VARCHAR NOT NULL,
        guilds     VARCHAR NOT NULL,
        csrf       VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL
    );
    "#,
    // 11: guilds' own choices for their plugins, and every change to them.
    r#"
    CREATE TABLE guild_plugin_choices (
        guild_id   UBIGINT NOT NULL,
        plugin     VARCHAR NOT NULL,
        choice     VARCHAR NOT NULL,
        updated_by UBIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, plugin)
    );
    CREATE SEQUENCE guild_change_ids START 1;
    CREATE TABLE guild_changes (
        id       BIGINT PRIMARY KEY DEFAULT nextval('guild_change_ids'),
        guild_id UBIGINT NOT NULL,
        plugin   VARCHAR NOT NULL,
        actor    UBIGINT NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        before_choice VARCHAR,
        after_choice  VARCHAR NOT NULL
    );
    "#,
    // 12: components guilds uploaded, kept once by hash, and which guild uses which.
    r#"
    CREATE TABLE plugin_blobs (
        hash  VARCHAR PRIMARY KEY,
        bytes BLOB NOT NULL
    );
    CREATE TABLE guild_uploads (
        guild_id    UBIGINT NOT NULL,
        plugin      VARCHAR NOT NULL,
        hash        VARCHAR NOT NULL,
        uploaded_by UBIGINT NOT NULL,
        uploaded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, plugin)
    );
    "#,
    // 13: a guild's own ticket types, texts, staff roles and channels (a TOML layer over its
    // entry in the config file), and the history of its changes.
    r#"
    CREATE TABLE guild_layers (
        guild_id   UBIGINT PRIMARY KEY,
        layer      VARCHAR NOT NULL,
        updated_by UBIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE guild_layer_change_ids START 1;
    CREATE TABLE guild_layer_changes (
        id         BIGINT PRIMARY KEY DEFAULT nextval('guild_layer_change_ids'),
        guild_id   UBIGINT NOT NULL,
        actor      UBIGINT NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        before_layer VARCHAR NOT NULL,
        after_layer  VARCHAR NOT NULL
    );
    "#,
];

/// The newest schema version this build knows.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The database's schema version (0 for a new one).
pub fn version(db: &mut dyn Db) -> Result<i64, StoreError> {
    let exists: i64 = db.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'",
        &[],
        |row| row.get(0),
    )?;
    if exists == 0 {
        return Ok(0);
    }
    db.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        &[],
        |row| row.get(0),
    )
}

/// `ddl` in PostgreSQL's types: ids (unsigned in DuckDB) keep their bits in BIGINT, bytes are
/// BYTEA, moments TIMESTAMPTZ.
pub fn for_postgres(ddl: &str) -> String {
    let mut out = String::with_capacity(ddl.len() + 64);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "UBIGINT" => "BIGINT",
            "UTINYINT" => "SMALLINT",
            "BLOB" => "BYTEA",
            "TIMESTAMP" => "TIMESTAMPTZ",
            other => other,
        });
        word.clear();
    };
    for c in ddl.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Opens the DuckDB file at `path` and applies the missing migrations.
pub(super) fn open_file(path: &Path) -> Result<DuckDb, StoreError> {
    let location = path.display().to_string();
    let connection = duckdb::Connection::open(path).map_err(|reason| StoreError::Open {
        location: location.clone(),
        reason: format!("{reason} (is it a DuckDB file, and is no other ticketbot using it?)"),
    })?;
    let mut db = DuckDb(connection);
    migrate(&mut db, &location)?;
    Ok(db)
}

/// Connects to `server` and applies the missing migrations (one process at a time).
pub(super) fn open_server(server: &Server) -> Result<Postgres, StoreError> {
    let mut db = server.connect().map_err(|error| StoreError::Open {
        location: server.url().to_owned(),
        reason: match error {
            // Its reason starts with the URL, which the message names already.
            StoreError::Unavailable(reason) => reason
                .strip_prefix(&format!("{}: ", server.url()))
                .map_or(reason.clone(), str::to_owned),
            other => other.to_string(),
        },
    })?;
    migrate(&mut db, server.url())?;
    Ok(db)
}

/// Applies the migrations `db` lacks, each in its own transaction. Processes starting together
/// on one server take turns: each migration is applied under a lock, after reading the version
/// again.
fn migrate(db: &mut dyn Db, location: &str) -> Result<(), StoreError> {
    let open_error = |error: StoreError| StoreError::Open {
        location: location.to_owned(),
        reason: error.to_string(),
    };
    let found = version(db).map_err(open_error)?;
    if found > LATEST {
        return Err(StoreError::NewerSchema {
            location: location.to_owned(),
            found,
            supported: LATEST,
        });
    }
    let dialect = db.dialect();
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let failed = |error: StoreError| StoreError::Migration {
            location: location.to_owned(),
            version,
            reason: match error {
                StoreError::Query(reason) => reason,
                other => other.to_string(),
            },
        };
        let applied = db
            .transaction(|tx| {
                tx.lock("ticketbot schema migrations")?;
                tx.batch(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)",
                )?;
                if self::version(tx)? >= version {
                    return Ok(false);
                }
                match dialect {
                    super::sql::Dialect::DuckDb => tx.batch(sql)?,
                    super::sql::Dialect::Postgres => tx.batch(&for_postgres(sql))?,
                }
                tx.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)",
                    params![version, Utc::now()],
                )?;
                Ok(true)
            })
            .map_err(failed)?;
        if applied {
            tracing::info!(version, database = location, "database migrated");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_its_own_types() {
        assert_eq!(
            for_postgres(
                "a UBIGINT, b BLOB, c TIMESTAMP NOT NULL, d UTINYINT, TIMESTAMP_x VARCHAR"
            ),
            "a BIGINT, b BYTEA, c TIMESTAMPTZ NOT NULL, d SMALLINT, TIMESTAMP_x VARCHAR"
        );
    }
}
