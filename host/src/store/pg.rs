//! [`Db`] on a PostgreSQL connection: many processes, one database.
//!
//! The store's queries are written with `?` placeholders; [`numbered`] turns them into
//! PostgreSQL's `$1, $2, …` once per statement, and each connection keeps its prepared
//! statements. Ids are kept as BIGINT (a Discord id's bits), moments as TIMESTAMPTZ.

use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, Statement};
use sha2::{Digest, Sha256};

use super::sql::{Db, Dialect, Row, Value};
use super::StoreError;

/// At most this many prepared statements per connection (the dashboard's pages make a few
/// shapes each; past the cap the cache starts over).
const STATEMENT_CACHE: usize = 512;

/// A PostgreSQL connection the store's queries run on.
pub(super) struct Postgres {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Postgres {
    /// Wraps a connected client (its session set to UTC).
    pub(super) fn new(mut client: Client) -> Result<Self, StoreError> {
        client.batch_execute("SET TIME ZONE 'UTC'").map_err(query)?;
        Ok(Self {
            client,
            statements: HashMap::new(),
        })
    }

    /// Whether the connection is gone (the server restarted, the network dropped).
    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Subscribes this connection to `topic`'s announcements (`LISTEN`). `topic` is one of
    /// ours, a plain identifier.
    pub(super) fn listen(&mut self, topic: &str) -> Result<(), StoreError> {
        self.client
            .batch_execute(&format!("LISTEN {topic}"))
            .map_err(query)
    }

    /// Waits up to `wait` for an announcement on a topic this connection listens to; whether
    /// one came. An error when the connection is lost.
    pub(super) fn announcement(&mut self, wait: std::time::Duration) -> Result<bool, StoreError> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let heard = self
            .client
            .notifications()
            .timeout_iter(wait)
            .next()
            .map_err(query)?;
        if heard.is_none() && self.client.is_closed() {
            return Err(StoreError::Query("the connection is closed".into()));
        }
        Ok(heard.is_some())
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare(&numbered(sql))
            .map_err(|e| StoreError::Query(format!("{} (in: {sql})", describe(&e))))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// PostgreSQL's message for `error` (the server's own words when it sent some).
pub(super) fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            // The client's own words are general ("error performing TLS handshake"); the
            // causes say what went wrong (an unknown issuer, a refused connection).
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(error);
            while let Some(inner) = cause {
                text.push_str(": ");
                text.push_str(&inner.to_string());
                cause = inner.source();
            }
            text
        }
    }
}

fn query(error: postgres::Error) -> StoreError {
    StoreError::Query(describe(&error))
}

/// `sql` with each `?` outside quotes numbered as PostgreSQL wants it (`$1`, `$2`, …).
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut n = 0;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn out_of_range(n: i64, ty: &Type) -> Box<dyn Error + Sync + Send> {
    format!("{n} does not fit a {ty} parameter").into()
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Int(_) | Value::U64(_) => {
                let n = match self {
                    Value::U64(n) => *n as i64,
                    Value::Int(n) => *n,
                    _ => unreachable!("matched above"),
                };
                match *ty {
                    Type::INT2 => i16::try_from(n)
                        .map_err(|_| out_of_range(n, ty))?
                        .to_sql(ty, out),
                    Type::INT4 => i32::try_from(n)
                        .map_err(|_| out_of_range(n, ty))?
                        .to_sql(ty, out),
                    Type::FLOAT8 => (n as f64).to_sql(ty, out),
                    Type::FLOAT4 => (n as f32).to_sql(ty, out),
                    _ => n.to_sql(ty, out),
                }
            }
            Value::Real(x) if *ty == Type::FLOAT4 => (*x as f32).to_sql(ty, out),
            Value::Real(x) => x.to_sql(ty, out),
            Value::Text(text) => {
                if !<&str as ToSql>::accepts(ty) {
                    return Err(format!("text given for a {ty} parameter").into());
                }
                text.as_str().to_sql(ty, out)
            }
            Value::Bytes(bytes) => bytes.as_slice().to_sql(ty, out),
            Value::Time(at) if *ty == Type::TIMESTAMP => at.naive_utc().to_sql(ty, out),
            Value::Time(at) => at.to_sql(ty, out),
            Value::Date(day) => day.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Column `i` of `row` as our value.
fn column(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(Value::Bool),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map(|n| Value::Int(n.into())),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map(|n| Value::Int(n.into())),
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map(|x| Value::Real(x.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Value::Real),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes),
        Type::TIMESTAMPTZ => row
            .try_get::<_, Option<chrono::DateTime<chrono::Utc>>>(i)?
            .map(Value::Time),
        Type::TIMESTAMP => row
            .try_get::<_, Option<chrono::NaiveDateTime>>(i)?
            .map(|at| Value::Time(at.and_utc())),
        Type::DATE => row
            .try_get::<_, Option<chrono::NaiveDate>>(i)?
            .map(Value::Date),
        // Text, and anything else PostgreSQL can send as text.
        _ => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
    }
    .unwrap_or(Value::Null))
}

impl Db for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let changed = self
            .client
            .execute(&statement, &params)
            .map_err(|e| StoreError::Query(format!("{} (in: {sql})", describe(&e))))?;
        Ok(changed as usize)
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self
            .client
            .query(&statement, &params)
            .map_err(|e| StoreError::Query(format!("{} (in: {sql})", describe(&e))))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| column(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(|e| StoreError::Query(format!("{} (in: {sql})", describe(&e))))
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(query)
    }

    fn lock(&mut self, key: &str) -> Result<(), StoreError> {
        let digest = Sha256::digest(key.as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        self.execute(
            "SELECT pg_advisory_xact_lock(?)",
            &[Value::Int(i64::from_le_bytes(bytes))],
        )?;
        Ok(())
    }

    fn announce(&mut self, topic: &str) -> Result<(), StoreError> {
        self.execute("SELECT pg_notify(?, '')", &[Value::Text(topic.to_owned())])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?) AND c = 'it''s?'"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3) AND c = 'it''s?'"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
        assert_eq!(numbered("é = ? ã"), "é = $1 ã");
    }
}
