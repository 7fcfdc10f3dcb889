//! The one SQL call the store makes, behind a trait: the Durable Object's SQLite on Cloudflare
//! and in workerd, a real SQLite (rusqlite) in native tests, so every query the store runs is
//! exercised natively by the same engine.

use serde_json::{Map, Value};

/// A bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Int(i64),
    Real(f64),
    Text(String),
    Null,
}

impl From<u64> for Param {
    /// Versions and ids stay far below 2^53 (JavaScript numbers carry them exactly).
    fn from(v: u64) -> Param {
        Param::Int(v.min(i64::MAX as u64) as i64)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.into())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(v)
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Param {
        v.map_or(Param::Null, Into::into)
    }
}

/// One result row, by column name.
pub type Row = Map<String, Value>;

/// Runs one statement and returns its rows (none for writes).
pub trait Sql {
    fn run(&self, query: &str, params: &[Param]) -> Result<Vec<Row>, String>;
}

/// A column as text.
pub fn text(row: &Row, column: &str) -> String {
    row.get(column)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A column as an unsigned integer (SQLite integers may come back as floats through JS).
pub fn int(row: &Row, column: &str) -> u64 {
    row.get(column)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(0)
}

/// A column as a float, `None` when NULL.
pub fn real(row: &Row, column: &str) -> Option<f64> {
    row.get(column).and_then(Value::as_f64)
}

/// The Durable Object's SQLite.
#[derive(Debug)]
pub struct DurableSql(pub worker::SqlStorage);

impl Sql for DurableSql {
    fn run(&self, query: &str, params: &[Param]) -> Result<Vec<Row>, String> {
        use worker::SqlStorageValue as V;
        let bound: Vec<V> = params
            .iter()
            .map(|p| match p {
                Param::Int(i) => V::Integer(*i),
                Param::Real(f) => V::Float(*f),
                Param::Text(t) => V::String(t.clone()),
                Param::Null => V::Null,
            })
            .collect();
        self.0
            .exec(query, bound)
            .and_then(|cursor| cursor.to_array::<Row>())
            .map_err(|e| format!("{query}: {e}"))
    }
}

#[cfg(test)]
pub mod native {
    //! rusqlite as [`Sql`], for tests.

    use super::*;

    impl Sql for rusqlite::Connection {
        fn run(&self, query: &str, params: &[Param]) -> Result<Vec<Row>, String> {
            let mut statement = self.prepare(query).map_err(|e| format!("{query}: {e}"))?;
            let names: Vec<String> = statement
                .column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            let bound: Vec<rusqlite::types::Value> = params
                .iter()
                .map(|p| match p {
                    Param::Int(i) => rusqlite::types::Value::Integer(*i),
                    Param::Real(f) => rusqlite::types::Value::Real(*f),
                    Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
                    Param::Null => rusqlite::types::Value::Null,
                })
                .collect();
            let mut rows = statement
                .query(rusqlite::params_from_iter(bound))
                .map_err(|e| format!("{query}: {e}"))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(|e| e.to_string())? {
                let mut map = Row::new();
                for (i, name) in names.iter().enumerate() {
                    let value = match row.get_ref(i).map_err(|e| e.to_string())? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                        rusqlite::types::ValueRef::Real(f) => Value::from(f),
                        rusqlite::types::ValueRef::Text(t) => {
                            Value::String(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(_) => Value::Null,
                    };
                    map.insert(name.clone(), value);
                }
                out.push(map);
            }
            Ok(out)
        }
    }

    /// A fresh in-memory database.
    pub fn memory() -> rusqlite::Connection {
        match rusqlite::Connection::open_in_memory() {
            Ok(c) => c,
            Err(e) => unreachable!("in-memory SQLite: {e}"),
        }
    }
}
