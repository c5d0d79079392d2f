//! The one interface the store's queries are written against, whichever database runs them.
//!
//! A query is SQL text with `?` placeholders, its parameters as [`Value`]s, and rows read back
//! as [`Value`]s ([`Row::get`] converts to the Rust type). [`super::duck`] and [`super::pg`]
//! implement [`Db`] for DuckDB and PostgreSQL. Where the two dialects differ, [`Dialect`] names
//! the fragment to use, so every query is written once.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;

/// A parameter or a column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer (any width).
    Int(i64),
    /// An unsigned 64-bit integer: a Discord id. PostgreSQL keeps its bits in a BIGINT.
    U64(u64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A moment (UTC).
    Time(DateTime<Utc>),
    /// A day.
    Date(NaiveDate),
}

impl Value {
    /// The kind of value, for error messages.
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::U64(_) => "an integer",
            Value::Real(_) => "a number",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::Time(_) => "a timestamp",
            Value::Date(_) => "a date",
        }
    }
}

/// A Rust value a parameter is made of (borrowed, as `params!` takes its arguments).
pub trait ToValue {
    /// The parameter.
    fn to_value(&self) -> Value;
}

macro_rules! to_value {
    ($($t:ty => |$v:ident| $make:expr),* $(,)?) => {
        $(impl ToValue for $t {
            fn to_value(&self) -> Value {
                let $v = self;
                $make
            }
        })*
    };
}

to_value! {
    bool => |b| Value::Bool(*b),
    i64 => |n| Value::Int(*n),
    i32 => |n| Value::Int(i64::from(*n)),
    u32 => |n| Value::Int(i64::from(*n)),
    u8 => |n| Value::Int(i64::from(*n)),
    u64 => |n| Value::U64(*n),
    f64 => |x| Value::Real(*x),
    str => |text| Value::Text(text.to_owned()),
    String => |text| Value::Text(text.clone()),
    [u8] => |bytes| Value::Bytes(bytes.to_vec()),
    Vec<u8> => |bytes| Value::Bytes(bytes.clone()),
    DateTime<Utc> => |at| Value::Time(*at),
    NaiveDate => |day| Value::Date(*day),
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// The parameters of a query: `params![a, b, c]` (borrowed, like DuckDB's own macro).
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::ToValue::to_value(&$value)),*] as &[$crate::store::sql::Value]
    };
}
pub(crate) use params;

/// A Rust type a column reads as.
pub trait FromValue: Sized {
    /// Converts `value`, or says why it cannot.
    fn from_value(value: Value) -> Result<Self, String>;
}

fn mismatch<T>(value: &Value, wanted: &str) -> Result<T, String> {
    Err(format!("expected {wanted}, found {}", value.kind()))
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Int(n) => Ok(n),
            Value::U64(n) => i64::try_from(n).map_err(|_| format!("{n} is out of range")),
            other => mismatch(&other, "an integer"),
        }
    }
}

impl FromValue for u64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::U64(n) => Ok(n),
            // PostgreSQL keeps a u64's bits in a BIGINT.
            Value::Int(n) => Ok(n as u64),
            other => mismatch(&other, "an id"),
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty),*) => {
        $(impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, String> {
                let wide = i64::from_value(value)?;
                <$t>::try_from(wide).map_err(|_| format!("{wide} is out of range"))
            }
        })*
    };
}

narrow_int!(i32, u32, u8);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Real(n) => Ok(n),
            Value::Int(n) => Ok(n as f64),
            other => mismatch(&other, "a number"),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Bool(b) => Ok(b),
            other => mismatch(&other, "a boolean"),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Text(text) => Ok(text),
            other => mismatch(&other, "text"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Bytes(bytes) => Ok(bytes),
            other => mismatch(&other, "bytes"),
        }
    }
}

impl FromValue for DateTime<Utc> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Time(at) => Ok(at),
            other => mismatch(&other, "a timestamp"),
        }
    }
}

impl FromValue for NaiveDate {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Date(day) => Ok(day),
            Value::Time(at) => Ok(at.date_naive()),
            other => mismatch(&other, "a date"),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One row of a result.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    /// Column `index` as a `T`.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T, StoreError> {
        let value = self
            .0
            .get(index)
            .cloned()
            .ok_or_else(|| StoreError::Query(format!("the result has no column {index}")))?;
        T::from_value(value).map_err(|why| StoreError::Query(format!("column {index}: {why}")))
    }
}

/// The SQL dialect a database speaks, where DuckDB's and PostgreSQL's differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB.
    DuckDb,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The median of `expr` (a double) over a group.
    pub fn median(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("median({expr})"),
            Dialect::Postgres => format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr})"),
        }
    }

    /// The seconds from timestamp `from` to timestamp `to`, as a double.
    pub fn seconds_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(epoch({to}) - epoch({from}))"),
            Dialect::Postgres => format!("extract(epoch FROM ({to}) - ({from}))::FLOAT8"),
        }
    }

    /// The `value` of the group's row with the least `key`.
    pub fn arg_min(self, value: &str, key: &str) -> String {
        match self {
            Dialect::DuckDb => format!("arg_min({value}, {key})"),
            Dialect::Postgres => format!("(array_agg({value} ORDER BY {key}))[1]"),
        }
    }

    /// The `value` of the group's row with the greatest `key`.
    pub fn arg_max(self, value: &str, key: &str) -> String {
        match self {
            Dialect::DuckDb => format!("arg_max({value}, {key})"),
            Dialect::Postgres => format!("(array_agg({value} ORDER BY {key} DESC))[1]"),
        }
    }
}

/// An `INSERT` of `columns` into `table` that replaces the row with the same `key` columns
/// (both dialects speak `ON CONFLICT … DO UPDATE`).
pub fn upsert(table: &str, columns: &[&str], key: &[&str]) -> String {
    let marks = vec!["?"; columns.len()].join(", ");
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let action = if updates.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {table} ({}) VALUES ({marks}) ON CONFLICT ({}) DO {action}",
        columns.join(", "),
        key.join(", ")
    )
}

/// A connection to either database. Statements run one at a time; [`transaction`] groups them.
pub trait Db {
    /// Which dialect it speaks.
    fn dialect(&self) -> Dialect;
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError>;
    /// Runs a query; returns its rows.
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs statements without parameters (a migration, `BEGIN`, `COMMIT`).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Within a transaction: waits until no other transaction, in any process, holds `key`,
    /// and holds it until this one ends. (DuckDB has one writer, so there it is free.)
    fn lock(&mut self, key: &str) -> Result<(), StoreError>;
    /// Within a transaction: once it commits, the processes listening to `topic` hear of it
    /// ([`super::Announcements`]). (A DuckDB file has one process, so there it is nothing.)
    fn announce(&mut self, topic: &str) -> Result<(), StoreError>;
}

impl dyn Db + '_ {
    /// The first row of a query, read by `read`; an error when there is none.
    pub fn query_row<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, params, read)?
            .ok_or_else(|| StoreError::Query(format!("the query returned no row: {sql}")))
    }

    /// The first row of a query, if any, read by `read`.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.rows(sql, params)?.first().map(read).transpose()
    }

    /// Every row of a query, each read by `read`.
    pub fn query_map<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        read: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql, params)?.iter().map(read).collect()
    }

    /// Runs `work` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.batch("BEGIN TRANSACTION")?;
        match work(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = self.batch("ROLLBACK") {
                    tracing::warn!(%rollback, "rolling back a failed transaction");
                }
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_replace_the_other_columns() {
        assert_eq!(
            upsert(
                "panels",
                &["guild_id", "channel_id", "message_id"],
                &["guild_id"]
            ),
            "INSERT INTO panels (guild_id, channel_id, message_id) VALUES (?, ?, ?) \
             ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, \
             message_id = excluded.message_id"
        );
        assert!(upsert("t", &["a"], &["a"]).ends_with("DO NOTHING"));
    }

    #[test]
    fn ids_keep_their_bits_as_signed_integers() {
        let id = u64::MAX - 5;
        assert_eq!(u64::from_value(Value::Int(id as i64)), Ok(id));
        assert_eq!(
            u8::from_value(Value::Int(300)),
            Err("300 is out of range".into())
        );
        assert_eq!(
            Option::<String>::from_value(Value::Null),
            Ok(None),
            "NULL reads as None"
        );
        assert!(String::from_value(Value::Int(1)).is_err());
    }
}
