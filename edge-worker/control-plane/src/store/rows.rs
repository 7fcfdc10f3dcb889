//! How the store keeps the document, its history and its audit log in SQLite.
//!
//! One row per flag, per segment and for the rest of the document (`top`: environments,
//! `$schema`, unknown fields), each valid for a range of versions (`since` ≤ v < `until`; an
//! open `until` is the current document). A write inserts rows only for the entries it changed
//! and closes their previous rows, so a kill switch writes one small row whatever the size of
//! the document, no row comes near SQLite's 2 MB limit, and any version the history keeps is
//! one query away. Everything a write stores goes in with no `await` in between, which a
//! Durable Object commits atomically.

use std::collections::BTreeMap;

use burgee_api::{AuditEntry, VersionEntry};
use burgee_core::edit::{Applied, EntryChanges};
use burgee_core::model::Document;
use burgee_edge_shared::beacon::ChangeEntry;
use serde_json::Value;

use super::sql::{Param, Row, Sql, int, real, text};

/// An error of the storage layer (the caller answers `500 internal` and logs it).
pub type StoreResult<T> = Result<T, String>;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER, body TEXT NOT NULL, PRIMARY KEY (kind, key, since))",
    "CREATE INDEX IF NOT EXISTS entries_until ON entries (until)",
    "CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, summary TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, version INTEGER NOT NULL, summary TEXT NOT NULL, flags TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS changes (version INTEGER NOT NULL, environment TEXT NOT NULL, flags TEXT NOT NULL, PRIMARY KEY (version, environment))",
    "CREATE TABLE IF NOT EXISTS publication (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, published INTEGER NOT NULL, revision_at REAL NOT NULL, hash TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, failing_since REAL, last_write_at REAL, behind_since REAL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS publication_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key TEXT NOT NULL, revision INTEGER NOT NULL, message TEXT NOT NULL)",
];

/// How many versions of change log and publication events are kept.
const LOG_KEEP: u64 = 1000;

/// What a store row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Flag,
    Segment,
    Top,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Flag => "flag",
            Kind::Segment => "segment",
            Kind::Top => "top",
        }
    }
}

/// Everything one accepted write stores.
#[derive(Debug)]
pub struct Commit<'a> {
    pub version: u64,
    /// RFC 3339.
    pub at: &'a str,
    pub actor: &'a str,
    pub applied: &'a Applied,
    pub after: &'a Document,
    pub entries: &'a EntryChanges,
    pub changes: &'a [ChangeEntry],
    /// Why, in the author's words (empty: none given).
    pub reason: &'a str,
    /// Versions the history keeps.
    pub keep: u64,
}

/// A filter of the audit log.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery<'a> {
    pub before: u64,
    pub limit: u64,
    pub flag: Option<&'a str>,
    pub actor: Option<&'a str>,
}

/// One key's publication state, as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredKey {
    pub revision: u64,
    pub published: u64,
    pub revision_at: f64,
    /// Epoch ms of the first commit KV lacks (`None`: caught up).
    pub behind_since: Option<f64>,
    pub hash: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<f64>,
    pub last_write_at: Option<f64>,
}

/// The store's rows, over any [`Sql`].
#[derive(Debug)]
pub struct Rows<'s, S: Sql> {
    sql: &'s S,
}

/// The body of the `top` row: the document without flags and segments.
fn top_body(document: &Document) -> StoreResult<String> {
    let top = Document {
        schema: document.schema.clone(),
        environments: document.environments.clone(),
        extra: document.extra.clone(),
        ..Document::default()
    };
    let mut value = serde_json::to_value(&top).map_err(|e| e.to_string())?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("flags");
        fields.remove("segments");
    }
    Ok(value.to_string())
}

/// The stored JSON of one entry (flag or segment), `None` when it is absent.
fn entry_body<T: serde::Serialize>(entry: Option<&T>) -> StoreResult<Option<String>> {
    entry
        .map(|e| serde_json::to_string(e).map_err(|e| e.to_string()))
        .transpose()
}

/// Builds a document from its rows: JSON text read by the core's fast loader.
fn assemble(rows: &[Row]) -> StoreResult<Document> {
    let mut top: serde_json::Map<String, Value> = serde_json::Map::new();
    let mut flags = String::new();
    let mut segments = String::new();
    for row in rows {
        let body = text(row, "body");
        let key = serde_json::to_string(&text(row, "key")).map_err(|e| e.to_string())?;
        let list = match text(row, "kind").as_str() {
            "flag" => &mut flags,
            "segment" => &mut segments,
            _ => {
                if let Ok(Value::Object(fields)) = serde_json::from_str(&body) {
                    top = fields;
                }
                continue;
            }
        };
        if !list.is_empty() {
            list.push(',');
        }
        list.push_str(&key);
        list.push(':');
        list.push_str(&body);
    }
    let mut out = format!("{{\"flags\":{{{flags}}},\"segments\":{{{segments}}}");
    for (k, v) in top {
        if k == "flags" || k == "segments" {
            continue;
        }
        out.push(',');
        out.push_str(&serde_json::to_string(&k).map_err(|e| e.to_string())?);
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    if rows.is_empty() {
        return Ok(empty_document());
    }
    burgee_core::load(&out)
        .map(|loaded| loaded.document)
        .map_err(|d| format!("a stored document does not load: {}", d.message))
}

/// The document before the first write.
pub fn empty_document() -> Document {
    Document::default()
}

fn version_entry(row: &Row) -> VersionEntry {
    VersionEntry {
        version: int(row, "version"),
        at: text(row, "at"),
        actor: text(row, "actor"),
        action: text(row, "action"),
        summary: text(row, "summary"),
        reason: reason(row),
    }
}

/// A row's reason, `None` when it has none.
fn reason(row: &Row) -> Option<String> {
    Some(text(row, "reason")).filter(|r| !r.is_empty())
}

impl<'s, S: Sql> Rows<'s, S> {
    pub fn new(sql: &'s S) -> Self {
        Rows { sql }
    }

    pub(super) fn run(&self, query: &str, params: &[Param]) -> StoreResult<Vec<Row>> {
        self.sql.run(query, params)
    }

    /// Creates the tables, migrating a store of the first layout (one whole document per
    /// version) on the way.
    pub fn ensure_schema(&self) -> StoreResult<()> {
        let old_layout = self
            .run("PRAGMA table_info(versions)", &[])?
            .iter()
            .any(|r| text(r, "name") == "document");
        if old_layout {
            self.run("ALTER TABLE versions RENAME TO versions_v1", &[])?;
        }
        for statement in SCHEMA {
            self.run(statement, &[])?;
        }
        // Stores made before writes had a reason get the column, empty for the old rows.
        for table in ["versions", "audit"] {
            let has_reason = self
                .run(&format!("PRAGMA table_info({table})"), &[])?
                .iter()
                .any(|r| text(r, "name") == "reason");
            if !has_reason {
                self.run(
                    &format!("ALTER TABLE {table} ADD COLUMN reason TEXT NOT NULL DEFAULT ''"),
                    &[],
                )?;
            }
        }
        if old_layout {
            self.migrate_v1()?;
        }
        Ok(())
    }

    /// Rewrites every version of the first layout as entry rows, then drops the old table.
    fn migrate_v1(&self) -> StoreResult<()> {
        let old = self.run(
            "SELECT version, at, actor, action, summary, document FROM versions_v1 ORDER BY version",
            &[],
        )?;
        let mut previous = empty_document();
        for row in &old {
            let version = int(row, "version");
            let document = burgee_core::load(&text(row, "document"))
                .map(|l| l.document)
                .map_err(|d| format!("version {version} does not load: {}", d.message))?;
            let changes = EntryChanges::between(&previous, &document);
            self.write_entries(version, &document, &changes)?;
            self.run(
                "INSERT INTO versions (version, at, actor, action, summary) VALUES (?, ?, ?, ?, ?)",
                &[
                    version.into(),
                    text(row, "at").into(),
                    text(row, "actor").into(),
                    text(row, "action").into(),
                    text(row, "summary").into(),
                ],
            )?;
            previous = document;
        }
        self.run("DROP TABLE versions_v1", &[])?;
        // What the first layout recorded of publication is rebuilt: every key is published
        // again once.
        self.run(
            "DELETE FROM meta WHERE key IN ('published', 'environments')",
            &[],
        )?;
        Ok(())
    }

    /// The newest version and its document (`0` and an empty document before any write).
    pub fn current(&self) -> StoreResult<(u64, Document)> {
        let version = self
            .run("SELECT MAX(version) AS v FROM versions", &[])?
            .first()
            .map_or(0, |r| int(r, "v"));
        let rows = self.run(
            "SELECT kind, key, body FROM entries WHERE until IS NULL",
            &[],
        )?;
        let mut document = assemble(&rows)?;
        // The stored document carries its version, as every answer shows it.
        document.version = (version > 0).then_some(version);
        Ok((version, document))
    }

    /// The document as it was at `version`; `None` when the history no longer keeps it.
    pub fn document_at(&self, version: u64) -> StoreResult<Option<Document>> {
        if version == 0 {
            return Ok(Some(empty_document()));
        }
        if self.version_entry(version)?.is_none() {
            return Ok(None);
        }
        let rows = self.run(
            "SELECT kind, key, body FROM entries WHERE since <= ? AND (until IS NULL OR until > ?)",
            &[version.into(), version.into()],
        )?;
        assemble(&rows).map(Some)
    }

    pub fn version_entry(&self, version: u64) -> StoreResult<Option<VersionEntry>> {
        Ok(self
            .run(
                "SELECT version, at, actor, action, summary, reason FROM versions WHERE version = ?",
                &[version.into()],
            )?
            .first()
            .map(version_entry))
    }

    /// Versions before `before`, newest first.
    pub fn history(&self, before: u64, limit: u64) -> StoreResult<Vec<VersionEntry>> {
        Ok(self
            .run(
                "SELECT version, at, actor, action, summary, reason FROM versions WHERE version < ? ORDER BY version DESC LIMIT ?",
                &[before.into(), limit.into()],
            )?
            .iter()
            .map(version_entry)
            .collect())
    }

    /// Closes the changed entries' current rows at `version` and inserts their new ones.
    fn write_entries(
        &self,
        version: u64,
        after: &Document,
        changes: &EntryChanges,
    ) -> StoreResult<()> {
        let mut rows: Vec<(Kind, &str, Option<String>)> = Vec::new();
        for key in &changes.flags {
            rows.push((Kind::Flag, key, entry_body(after.flags.get(key))?));
        }
        for key in &changes.segments {
            rows.push((Kind::Segment, key, entry_body(after.segments.get(key))?));
        }
        if changes.top {
            rows.push((Kind::Top, "", Some(top_body(after)?)));
        }
        for (kind, key, body) in rows {
            self.run(
                "UPDATE entries SET until = ? WHERE kind = ? AND key = ? AND until IS NULL",
                &[version.into(), kind.as_str().into(), key.into()],
            )?;
            if let Some(body) = body {
                self.run(
                    "INSERT INTO entries (kind, key, since, until, body) VALUES (?, ?, ?, NULL, ?)",
                    &[
                        kind.as_str().into(),
                        key.into(),
                        version.into(),
                        body.into(),
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// An audit entry that is no write (a failed sign-in): concerns no flag.
    pub fn audit_event(
        &self,
        at: &str,
        actor: &str,
        action: &str,
        target: &str,
        version: u64,
        summary: &str,
    ) -> StoreResult<()> {
        self.run(
            "INSERT INTO audit (at, actor, action, target, version, summary, flags) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                at.into(),
                actor.into(),
                action.into(),
                target.into(),
                version.into(),
                summary.into(),
                "[]".into(),
            ],
        )
        .map(|_| ())
    }

    /// Stores one accepted write: its version, the changed entries, the audit entry and the
    /// change log; trims what the history no longer keeps.
    pub fn commit(&self, c: &Commit<'_>) -> StoreResult<()> {
        self.run(
            "INSERT INTO versions (version, at, actor, action, summary, reason) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                c.version.into(),
                c.at.into(),
                c.actor.into(),
                c.applied.action.as_str().into(),
                c.applied.summary.as_str().into(),
                c.reason.into(),
            ],
        )?;
        self.write_entries(c.version, c.after, c.entries)?;
        let flags = serde_json::to_string(&c.applied.flags).map_err(|e| e.to_string())?;
        self.run(
            "INSERT INTO audit (at, actor, action, target, version, summary, flags, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                c.at.into(),
                c.actor.into(),
                c.applied.action.as_str().into(),
                c.applied.target.as_str().into(),
                c.version.into(),
                c.applied.summary.as_str().into(),
                flags.into(),
                c.reason.into(),
            ],
        )?;
        for change in c.changes {
            let flags = serde_json::to_string(&change.flags).map_err(|e| e.to_string())?;
            self.run(
                "INSERT OR REPLACE INTO changes (version, environment, flags) VALUES (?, ?, ?)",
                &[
                    change.version.into(),
                    change.environment.as_str().into(),
                    flags.into(),
                ],
            )?;
        }
        if c.version > c.keep {
            let oldest = c.version - c.keep + 1;
            self.run(
                "DELETE FROM entries WHERE until IS NOT NULL AND until <= ?",
                &[oldest.into()],
            )?;
            self.run("DELETE FROM versions WHERE version < ?", &[oldest.into()])?;
        }
        if c.version > LOG_KEEP {
            let oldest = c.version - LOG_KEEP;
            self.run("DELETE FROM changes WHERE version <= ?", &[oldest.into()])?;
        }
        Ok(())
    }

    /// The change log after `since`, in version order.
    pub fn changes_since(&self, since: u64) -> StoreResult<Vec<ChangeEntry>> {
        Ok(self
            .run(
                "SELECT version, environment, flags FROM changes WHERE version > ? ORDER BY version, environment",
                &[since.into()],
            )?
            .iter()
            .map(|r| ChangeEntry {
                version: int(r, "version"),
                environment: text(r, "environment"),
                flags: serde_json::from_str(&text(r, "flags")).unwrap_or_default(),
            })
            .collect())
    }

    /// Audit entries matching `q`, newest first.
    pub fn audit(&self, q: &AuditQuery<'_>) -> StoreResult<Vec<AuditEntry>> {
        let mut query = String::from(
            "SELECT id, at, actor, action, target, version, summary, flags, reason FROM audit WHERE id < ?",
        );
        let mut params = vec![Param::from(q.before)];
        if let Some(flag) = q.flag {
            query.push_str(
                " AND EXISTS (SELECT 1 FROM json_each(audit.flags) WHERE json_each.value = ?)",
            );
            params.push(flag.into());
        }
        if let Some(actor) = q.actor {
            query.push_str(" AND actor = ?");
            params.push(actor.into());
        }
        query.push_str(" ORDER BY id DESC LIMIT ?");
        params.push(q.limit.into());
        Ok(self
            .run(&query, &params)?
            .iter()
            .map(|r| AuditEntry {
                id: int(r, "id"),
                at: text(r, "at"),
                actor: text(r, "actor"),
                action: text(r, "action"),
                target: text(r, "target"),
                version: int(r, "version"),
                summary: text(r, "summary"),
                flags: serde_json::from_str(&text(r, "flags")).unwrap_or_default(),
                reason: reason(r),
            })
            .collect())
    }

    /// The newest all-off of `environment` that has not been undone: its version and the flags
    /// it switched off.
    pub fn undoable_all_off(&self, environment: &str) -> StoreResult<Option<(u64, Vec<String>)>> {
        let target = format!("environments/{environment}");
        let newest = self.run(
            "SELECT action, version, flags FROM audit WHERE target = ? AND action IN ('all-off', 'restore-states') ORDER BY id DESC LIMIT 1",
            &[target.into()],
        )?;
        Ok(newest
            .first()
            .filter(|r| text(r, "action") == "all-off")
            .map(|r| {
                (
                    int(r, "version"),
                    serde_json::from_str(&text(r, "flags")).unwrap_or_default(),
                )
            }))
    }

    /// A small named value the store keeps (its project, its relays).
    pub fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .run("SELECT value FROM meta WHERE key = ?", &[key.into()])?
            .first()
            .map(|r| text(r, "value")))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        self.run(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            &[key.into(), value.into()],
        )
        .map(drop)
    }

    /// Every key's publication state.
    pub fn publication(&self) -> StoreResult<BTreeMap<String, StoredKey>> {
        Ok(self
            .run("SELECT * FROM publication", &[])?
            .iter()
            .map(|r| {
                (
                    text(r, "key"),
                    StoredKey {
                        revision: int(r, "revision"),
                        published: int(r, "published"),
                        revision_at: real(r, "revision_at").unwrap_or(0.0),
                        behind_since: real(r, "behind_since"),
                        hash: text(r, "hash"),
                        attempts: int(r, "attempts") as u32,
                        last_error: r
                            .get("last_error")
                            .and_then(Value::as_str)
                            .map(String::from),
                        failing_since: real(r, "failing_since"),
                        last_write_at: real(r, "last_write_at"),
                    },
                )
            })
            .collect())
    }

    pub fn save_key(&self, key: &str, k: &StoredKey) -> StoreResult<()> {
        self.run(
            "INSERT OR REPLACE INTO publication (key, revision, published, revision_at, hash, attempts, last_error, failing_since, last_write_at, behind_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                key.into(),
                k.revision.into(),
                k.published.into(),
                k.revision_at.into(),
                k.hash.as_str().into(),
                u64::from(k.attempts).into(),
                k.last_error.clone().into(),
                k.failing_since.into(),
                k.last_write_at.into(),
                k.behind_since.into(),
            ],
        )
        .map(drop)
    }

    pub fn forget_key(&self, key: &str) -> StoreResult<()> {
        self.run("DELETE FROM publication WHERE key = ?", &[key.into()])
            .map(drop)
    }

    /// Logs a publication problem (kept for the last [`LOG_KEEP`] events).
    pub fn log_publication(
        &self,
        at: &str,
        key: &str,
        revision: u64,
        message: &str,
    ) -> StoreResult<()> {
        self.run(
            "INSERT INTO publication_log (at, key, revision, message) VALUES (?, ?, ?, ?)",
            &[at.into(), key.into(), revision.into(), message.into()],
        )?;
        self.run(
            "DELETE FROM publication_log WHERE id <= (SELECT MAX(id) FROM publication_log) - ?",
            &[LOG_KEEP.into()],
        )
        .map(drop)
    }

    /// The newest publication problems, newest first.
    pub fn publication_log(&self, limit: u64) -> StoreResult<Vec<burgee_api::PublicationEvent>> {
        Ok(self
            .run(
                "SELECT at, key, revision, message FROM publication_log ORDER BY id DESC LIMIT ?",
                &[limit.into()],
            )?
            .iter()
            .map(|r| burgee_api::PublicationEvent {
                at: text(r, "at"),
                key: text(r, "key"),
                revision: int(r, "revision"),
                message: text(r, "message"),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
