//! How change requests and their reviews are kept in SQLite. A request stores only the entries
//! it changes (each flag or segment as it should become, or `null` for a deletion), not a whole
//! document, so it stays far below a row's size limit and rebases entry by entry.

use std::collections::BTreeMap;

use burgee_api::{ChangeRequest, RequestStatus, Review};
use burgee_core::model::{Document, Flag, Segment};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::rows::{Rows, StoreResult};
use crate::store::sql::{Row, Sql, int, text};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS change_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, author TEXT NOT NULL, base_version INTEGER NOT NULL, status TEXT NOT NULL, summary TEXT NOT NULL, reason TEXT NOT NULL, environments TEXT NOT NULL, flags TEXT NOT NULL, segments TEXT NOT NULL, changes TEXT NOT NULL, round INTEGER NOT NULL DEFAULT 0, applied_version INTEGER)",
    "CREATE TABLE IF NOT EXISTS change_reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, request INTEGER NOT NULL, round INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, verdict TEXT NOT NULL, comment TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS change_reviews_request ON change_reviews (request)",
];

/// The entries a request changes, as they should become (`None`: deleted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    #[serde(default)]
    pub flags: BTreeMap<String, Option<Flag>>,
    #[serde(default)]
    pub segments: BTreeMap<String, Option<Segment>>,
    /// The rest of the document (environments, unknown fields), when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Value>,
}

/// A request as stored, with what the API does not show.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub request: ChangeRequest,
    pub changes: Changes,
    /// Approvals and rejections count from the latest round (a rebase starts a new one).
    pub round: u64,
}

/// A filter of the list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<RequestStatus>,
    pub author: Option<String>,
    pub flag: Option<String>,
    pub environment: Option<String>,
    pub limit: u64,
}

pub fn ensure<S: Sql>(rows: &Rows<'_, S>) -> StoreResult<()> {
    for statement in SCHEMA {
        rows.run(statement, &[])?;
    }
    Ok(())
}

fn list_of(row: &Row, column: &str) -> Vec<String> {
    serde_json::from_str(&text(row, column)).unwrap_or_default()
}

fn json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

fn stored(rows: &Rows<'_, impl Sql>, row: &Row, with_changes: bool) -> StoreResult<Stored> {
    let id = int(row, "id");
    let round = int(row, "round");
    let reviews = rows
        .run(
            "SELECT at, actor, verdict, comment FROM change_reviews WHERE request = ? AND round = ? ORDER BY id",
            &[id.into(), round.into()],
        )?
        .iter()
        .map(|r| Review {
            actor: text(r, "actor"),
            verdict: text(r, "verdict"),
            comment: text(r, "comment"),
            at: text(r, "at"),
        })
        .collect();
    let changes: Changes = if with_changes {
        serde_json::from_str(&text(row, "changes")).map_err(|e| format!("request {id}: {e}"))?
    } else {
        Changes::default()
    };
    let applied = row.get("applied_version").filter(|v| !v.is_null());
    Ok(Stored {
        request: ChangeRequest {
            id,
            status: RequestStatus::parse(&text(row, "status")).unwrap_or(RequestStatus::Open),
            author: text(row, "author"),
            created_at: text(row, "created_at"),
            base_version: int(row, "base_version"),
            summary: text(row, "summary"),
            reason: Some(text(row, "reason")).filter(|r| !r.is_empty()),
            environments: list_of(row, "environments"),
            flags: list_of(row, "flags"),
            segments: list_of(row, "segments"),
            approvals_required: 0,
            reviews,
            applied_version: applied.map(|_| int(row, "applied_version")),
            document: None,
        },
        changes,
        round,
    })
}

/// Stores a new request (its `id` is ignored) and returns its id.
pub fn insert<S: Sql>(
    rows: &Rows<'_, S>,
    r: &ChangeRequest,
    changes: &Changes,
) -> StoreResult<u64> {
    let found = rows.run(
        "INSERT INTO change_requests (created_at, author, base_version, status, summary, reason, environments, flags, segments, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            r.created_at.as_str().into(),
            r.author.as_str().into(),
            r.base_version.into(),
            r.status.as_str().into(),
            r.summary.as_str().into(),
            r.reason.clone().unwrap_or_default().into(),
            json(&r.environments)?.into(),
            json(&r.flags)?.into(),
            json(&r.segments)?.into(),
            json(changes)?.into(),
        ],
    )?;
    Ok(found.first().map_or(0, |row| int(row, "id")))
}

pub fn get<S: Sql>(rows: &Rows<'_, S>, id: u64) -> StoreResult<Option<Stored>> {
    let found = rows.run("SELECT * FROM change_requests WHERE id = ?", &[id.into()])?;
    found.first().map(|row| stored(rows, row, true)).transpose()
}

/// Requests, newest first.
pub fn list<S: Sql>(rows: &Rows<'_, S>, f: &Filter) -> StoreResult<Vec<ChangeRequest>> {
    let found = rows.run(
        "SELECT id, created_at, author, base_version, status, summary, reason, environments, flags, segments, round, applied_version FROM change_requests WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR author = ?2) ORDER BY id DESC LIMIT 1000",
        &[
            f.status.map(RequestStatus::as_str).into(),
            f.author.as_deref().into(),
        ],
    )?;
    let mut out = Vec::new();
    for row in &found {
        let s = stored(rows, row, false)?;
        let r = s.request;
        let flag_ok = f.flag.as_ref().is_none_or(|k| r.flags.contains(k));
        let env_ok = f
            .environment
            .as_ref()
            .is_none_or(|e| r.environments.contains(e));
        if flag_ok && env_ok {
            out.push(r);
        }
        if out.len() as u64 >= f.limit {
            break;
        }
    }
    Ok(out)
}

pub fn review<S: Sql>(rows: &Rows<'_, S>, s: &Stored, r: &Review) -> StoreResult<()> {
    rows.run(
        "INSERT INTO change_reviews (request, round, at, actor, verdict, comment) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            s.request.id.into(),
            s.round.into(),
            r.at.as_str().into(),
            r.actor.as_str().into(),
            r.verdict.as_str().into(),
            r.comment.as_str().into(),
        ],
    )
    .map(drop)
}

pub fn set_status<S: Sql>(
    rows: &Rows<'_, S>,
    id: u64,
    status: RequestStatus,
    applied_version: Option<u64>,
) -> StoreResult<()> {
    rows.run(
        "UPDATE change_requests SET status = ?, applied_version = ? WHERE id = ?",
        &[status.as_str().into(), applied_version.into(), id.into()],
    )
    .map(drop)
}

/// A rebase: the request now stands on `base_version` with `changes`, and its reviews start
/// again.
pub fn rebase<S: Sql>(
    rows: &Rows<'_, S>,
    id: u64,
    base_version: u64,
    changes: &Changes,
) -> StoreResult<()> {
    rows.run(
        "UPDATE change_requests SET base_version = ?, changes = ?, round = round + 1 WHERE id = ?",
        &[base_version.into(), json(changes)?.into(), id.into()],
    )
    .map(drop)
}

/// The rest of a document (everything but flags and segments) as JSON.
pub fn top_of(document: &Document) -> Value {
    let mut value = serde_json::to_value(document).unwrap_or(Value::Null);
    if let Some(fields) = value.as_object_mut() {
        fields.remove("flags");
        fields.remove("segments");
        fields.remove("version");
    }
    value
}
