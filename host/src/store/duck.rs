//! [`Db`] on a DuckDB connection: the embedded default, one process on one file.

use duckdb::types::{ToSqlOutput, Value as Duck};
use duckdb::{Connection, ToSql};

use super::sql::{Db, Dialect, Row, Value};
use super::StoreError;

/// A DuckDB connection the store's queries run on.
pub(super) struct DuckDb(pub Connection);

impl ToSql for Value {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(Duck::Null),
            Value::Bool(b) => ToSqlOutput::Owned(Duck::Boolean(*b)),
            Value::Int(n) => ToSqlOutput::Owned(Duck::BigInt(*n)),
            Value::U64(n) => ToSqlOutput::Owned(Duck::UBigInt(*n)),
            Value::Real(x) => ToSqlOutput::Owned(Duck::Double(*x)),
            Value::Text(text) => ToSqlOutput::from(text.as_str()),
            Value::Bytes(bytes) => ToSqlOutput::from(bytes.as_slice()),
            Value::Time(at) => return at.to_sql(),
            Value::Date(day) => return day.to_sql(),
        })
    }
}

/// DuckDB's value as ours; an error for kinds the store never selects.
fn value(duck: Duck) -> Result<Value, StoreError> {
    Ok(match duck {
        Duck::Null => Value::Null,
        Duck::Boolean(b) => Value::Bool(b),
        Duck::TinyInt(n) => Value::Int(n.into()),
        Duck::SmallInt(n) => Value::Int(n.into()),
        Duck::Int(n) => Value::Int(n.into()),
        Duck::BigInt(n) => Value::Int(n),
        Duck::UTinyInt(n) => Value::Int(n.into()),
        Duck::USmallInt(n) => Value::Int(n.into()),
        Duck::UInt(n) => Value::Int(n.into()),
        Duck::UBigInt(n) => Value::U64(n),
        Duck::HugeInt(n) => Value::Int(
            i64::try_from(n).map_err(|_| StoreError::Query(format!("{n} is out of range")))?,
        ),
        Duck::Float(x) => Value::Real(x.into()),
        Duck::Double(x) => Value::Real(x),
        Duck::Decimal(d) => Value::Real(d.value() as f64 / 10f64.powi(i32::from(d.scale()))),
        Duck::Text(text) => Value::Text(text),
        Duck::Blob(bytes) => Value::Bytes(bytes),
        Duck::Timestamp(unit, n) => {
            let micros = unit.to_micros(n);
            Value::Time(
                chrono::DateTime::from_timestamp_micros(micros)
                    .ok_or_else(|| StoreError::Query(format!("timestamp {micros} µs")))?,
            )
        }
        Duck::Date32(days) => Value::Date(
            chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
                .ok_or_else(|| StoreError::Query(format!("date {days}")))?,
        ),
        other => {
            return Err(StoreError::Query(format!(
                "a column of a kind the store does not read: {other:?}"
            )))
        }
    })
}

impl Db for DuckDb {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let mut statement = self.0.prepare_cached(sql)?;
        Ok(statement.execute(duckdb::params_from_iter(params))?)
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.0.prepare_cached(sql)?;
        let mut rows = statement.query(duckdb::params_from_iter(params))?;
        let columns = rows.as_ref().map_or(0, |s| s.column_count());
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..columns)
                .map(|i| value(row.get::<_, Duck>(i)?))
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn lock(&mut self, _key: &str) -> Result<(), StoreError> {
        // One connection writes the file; its jobs run one after another.
        Ok(())
    }

    fn announce(&mut self, _topic: &str) -> Result<(), StoreError> {
        // One process has the file: nobody else to tell.
        Ok(())
    }
}
