//! The metrics store's rows: the rollup of every batch ([`Series`]) kept as SQLite rows, one
//! per [`RowKey`], so a restart loads exactly what was counted. Plain functions over [`Sql`],
//! tested natively with a real SQLite.

use burgee_metrics::batch::Batch;
use burgee_metrics::series::{RowKey, RowValue, Series};

use crate::store::sql::{Param, Sql, text};

const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS metric_rows (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/// Creates the table if needed and loads every row into a [`Series`].
pub fn load<S: Sql>(sql: &S) -> Result<Series, String> {
    sql.run(SCHEMA, &[])?;
    let mut series = Series::new();
    for row in sql.run("SELECT key, value FROM metric_rows", &[])? {
        let key: RowKey = serde_json::from_str(&text(&row, "key")).map_err(|e| e.to_string())?;
        let value: RowValue =
            serde_json::from_str(&text(&row, "value")).map_err(|e| e.to_string())?;
        series.load(key, value);
    }
    Ok(series)
}

/// Adds `batch` (already validated) to `series` and writes the rows it changed; returns how
/// many.
pub fn add<S: Sql>(
    sql: &S,
    series: &mut Series,
    batch: &Batch,
    now_ms: i64,
) -> Result<usize, String> {
    let changed = series.add(batch, now_ms);
    for key in &changed {
        let Some(value) = series.row(key) else {
            continue;
        };
        let key = serde_json::to_string(key).map_err(|e| e.to_string())?;
        let value = serde_json::to_string(&value).map_err(|e| e.to_string())?;
        sql.run(
            "INSERT INTO metric_rows (key, value) VALUES (?, ?) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[Param::Text(key), Param::Text(value)],
        )?;
    }
    Ok(changed.len())
}

/// Drops what is past its retention, from `series` and from the rows.
pub fn prune<S: Sql>(sql: &S, series: &mut Series, now_ms: i64) -> Result<usize, String> {
    let gone = series.prune(now_ms);
    for key in &gone {
        let key = serde_json::to_string(key).map_err(|e| e.to_string())?;
        sql.run("DELETE FROM metric_rows WHERE key = ?", &[Param::Text(key)])?;
    }
    Ok(gone.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use burgee_core::Reason;
    use burgee_metrics::ContextHasher;
    use burgee_metrics::counts::Aggregator;

    const NOW: i64 = 1_796_000_000_000;

    fn batch(users: usize) -> Batch {
        let hasher = ContextHasher::new(*b"0123456789abcdef");
        let mut counts = Aggregator::new(NOW - 10_000);
        for i in 0..users {
            let variant = if i % 4 == 0 { "on" } else { "off" };
            let user = format!("user-{i}");
            counts.record(
                "production",
                "checkout",
                Some(variant),
                Reason::Split,
                Some(hasher.hash(&user)),
            );
        }
        counts.drain(NOW)
    }

    #[test]
    fn what_is_added_survives_a_reload_exactly_and_holds_no_user() {
        let sql = rusqlite::Connection::open_in_memory().unwrap();
        let mut series = load(&sql).unwrap();
        assert!(add(&sql, &mut series, &batch(400), NOW).unwrap() > 0);
        let hour = |s: &Series| {
            s.query(
                "production",
                "checkout",
                NOW - 3_600_000,
                NOW + 60_000,
                60,
                NOW,
            )
        };
        let before = hour(&series);
        assert_eq!(before.totals.evaluations, 400);
        assert_eq!(before.totals.variants["on"], 100);
        assert_eq!(hour(&load(&sql).unwrap()), before);
        let stored: Vec<String> = sql
            .run("SELECT key || value AS row FROM metric_rows", &[])
            .unwrap()
            .iter()
            .map(|r| text(r, "row"))
            .collect();
        assert!(!stored.is_empty());
        assert!(
            stored.iter().all(|r| !r.contains("user-")),
            "a user id was stored"
        );
    }

    #[test]
    fn pruning_removes_rows_past_retention() {
        let sql = rusqlite::Connection::open_in_memory().unwrap();
        let mut series = load(&sql).unwrap();
        add(&sql, &mut series, &batch(10), NOW).unwrap();
        let count = |sql: &rusqlite::Connection| {
            sql.run("SELECT COUNT(*) AS n FROM metric_rows", &[])
                .unwrap()[0]["n"]
                .as_u64()
                .unwrap()
        };
        let rows = count(&sql);
        let far = NOW + 100 * 86_400_000;
        assert!(prune(&sql, &mut series, far).unwrap() > 0);
        assert!(count(&sql) < rows);
        assert_eq!(
            load(&sql)
                .unwrap()
                .query(
                    "production",
                    "checkout",
                    NOW - 60_000,
                    NOW + 60_000,
                    60,
                    far
                )
                .totals
                .evaluations,
            0
        );
    }
}
