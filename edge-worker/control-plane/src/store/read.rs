//! The admin API's reads: the document and its entries, history, diffs, the audit log, the
//! publication state, validation and read-your-writes evaluation. Functions of the current
//! document and the store's rows, answered as [`Answer`]s.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use burgee_api::{
    ApiError, AuditBody, Code, DiffBody, DocumentBody, EvaluateBody, EvaluateRequest, HistoryBody,
    PublicationBody, Role, VersionDocument, body_limit,
};
use burgee_core::json::ResultFields;
use burgee_core::model::Document;
use burgee_core::{EvaluationResult, Snapshot};
use serde_json::{Value, json};

use super::answer::{Answer, internal, number, parse_body, version_param};
use super::rows::{AuditQuery, Rows};
use super::sql::Sql;
use super::write::not_kept;
use crate::publish::Publisher;

/// The largest integer SQLite parameters carry through JavaScript exactly (2^53 - 1).
const JS_SAFE_MAX: u64 = (1 << 53) - 1;

/// The document as JSON with its `version`.
fn versioned(version: u64, document: &Document) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(document).map_err(internal)?;
    if let Some(fields) = value.as_object_mut() {
        fields.insert("version".into(), json!(version));
    }
    Ok(value)
}

pub fn document(version: u64, document: &Document) -> Result<Answer, ApiError> {
    Ok(Answer::ok(&DocumentBody { version, document })?.at(version))
}

/// `GET /api/v1/export`: the document itself, as a download.
pub fn export(version: u64, document: &Document) -> Result<Answer, ApiError> {
    let disposition = format!("attachment; filename=\"burgee-v{version}.json\"");
    Ok(Answer::ok(&versioned(version, document)?)?
        .at(version)
        .header("Content-Disposition", disposition))
}

/// `GET /api/v1/flags` or `/segments`: every entry of the member.
pub fn entries(version: u64, document: &Document, segments: bool) -> Result<Answer, ApiError> {
    let body = if segments {
        json!({"version": version, "segments": document.segments})
    } else {
        json!({"version": version, "flags": document.flags})
    };
    Ok(Answer::ok(&body)?.at(version))
}

/// `GET /api/v1/flags/{key}` or `/segments/{key}`.
pub fn entry(
    version: u64,
    document: &Document,
    key: &str,
    segment: bool,
) -> Result<Answer, ApiError> {
    let body = if segment {
        let s = document.segments.get(key).ok_or_else(|| {
            ApiError::new(
                Code::SegmentNotFound,
                format!("segment `{key}` does not exist"),
            )
        })?;
        json!({"version": version, "segment": s})
    } else {
        let f = document.flags.get(key).ok_or_else(|| {
            ApiError::new(Code::FlagNotFound, format!("flag `{key}` does not exist"))
        })?;
        json!({"version": version, "flag": f})
    };
    Ok(Answer::ok(&body)?.at(version))
}

pub fn history<S: Sql>(rows: &Rows<'_, S>, query: &[(String, String)]) -> Result<Answer, ApiError> {
    let limit = number(query, "limit")?.unwrap_or(50).clamp(1, 500);
    let before = number(query, "before")?
        .unwrap_or(JS_SAFE_MAX)
        .min(JS_SAFE_MAX);
    let versions = rows.history(before, limit).map_err(internal)?;
    Answer::ok(&HistoryBody { versions })
}

/// `GET /api/v1/history/{version}`.
pub fn version<S: Sql>(rows: &Rows<'_, S>, text: &str, keep: u64) -> Result<Answer, ApiError> {
    let version = version_param(text)?;
    let entry = rows.version_entry(version).map_err(internal)?;
    let document = rows.document_at(version).map_err(internal)?;
    match (entry, document) {
        (Some(entry), Some(document)) => Answer::ok(&VersionDocument {
            entry,
            document: versioned(version, &document)?,
        }),
        _ => Err(not_kept(version, keep)),
    }
}

/// The document at `version` as JSON without its `version` field (`0`: the empty document).
fn document_json<S: Sql>(rows: &Rows<'_, S>, version: u64, keep: u64) -> Result<Value, ApiError> {
    let document = rows
        .document_at(version)
        .map_err(internal)?
        .ok_or_else(|| not_kept(version, keep))?;
    let mut value = serde_json::to_value(&document).map_err(internal)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("version");
    }
    Ok(value)
}

/// `GET /api/v1/diff?from=&to=`: what changed between two versions, by JSON Pointer.
pub fn diff<S: Sql>(
    rows: &Rows<'_, S>,
    current: u64,
    query: &[(String, String)],
    keep: u64,
) -> Result<Answer, ApiError> {
    let from = number(query, "from")?.unwrap_or(current.saturating_sub(1));
    let to = number(query, "to")?.unwrap_or(current);
    let changes = burgee_core::json::diff(
        &document_json(rows, from, keep)?,
        &document_json(rows, to, keep)?,
    );
    Answer::ok(&DiffBody { from, to, changes })
}

/// `GET /api/v1/audit?flag=&actor=&limit=&before=` (filtering by actor needs the admin role).
pub fn audit<S: Sql>(
    rows: &Rows<'_, S>,
    role: Role,
    query: &[(String, String)],
) -> Result<Answer, ApiError> {
    let param = |name| burgee_edge_shared::query::param(query, name);
    let actor = param("actor");
    if actor.is_some() && !role.can_admin() {
        return Err(ApiError::new(
            Code::Forbidden,
            "filtering the audit log by actor needs the admin role",
        ));
    }
    let q = AuditQuery {
        before: number(query, "before")?
            .unwrap_or(JS_SAFE_MAX)
            .min(JS_SAFE_MAX),
        limit: number(query, "limit")?.unwrap_or(100).clamp(1, 1000),
        flag: param("flag"),
        actor,
        environment: param("environment"),
        from: instant(param("from"), "from")?,
        to: instant(param("to"), "to")?,
    };
    let entries = rows.audit(&q).map_err(internal)?;
    Answer::ok(&AuditBody { entries })
}

/// An RFC 3339 bound of a filter, in the form the store writes `at` in (so text order is time
/// order).
fn instant(text: Option<&str>, name: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let ms = burgee_core::time::parse_rfc3339(text).ok_or_else(|| {
        ApiError::new(
            Code::InvalidParameter,
            format!("`{name}` must be an RFC 3339 time, not {text:?}"),
        )
    })?;
    Ok(Some(burgee_core::time::format_rfc3339(ms)))
}

/// `GET /api/v1/publication`: what every key must hold, what Workers KV holds, and the newest
/// publication problems.
pub fn publication<S: Sql>(
    rows: &Rows<'_, S>,
    version: u64,
    publisher: &Publisher,
) -> Result<Answer, ApiError> {
    let keys: BTreeMap<String, _> = publisher
        .keys()
        .map(|(k, _)| (k.clone(), publisher.publication(k)))
        .collect();
    let events = rows.publication_log(50).map_err(internal)?;
    Answer::ok(&PublicationBody {
        version,
        keys,
        events,
    })
}

/// `POST /api/v1/validate`: every diagnostic of a document; nothing is saved.
pub fn validate(body: &[u8]) -> Result<Answer, ApiError> {
    let document = parse_body(body, body_limit(burgee_api::RouteId::Validate))?;
    let diagnostics = match burgee_core::load_value(document) {
        Ok(loaded) => loaded.validate(),
        Err(d) => vec![d],
    };
    let valid = !diagnostics.iter().any(|d| d.is_error());
    Answer::ok(&json!({"valid": valid, "diagnostics": diagnostics}))
}

/// Compiled snapshots of the current version, by environment, for [`evaluate`].
pub type Compiled = HashMap<String, (u64, Rc<Snapshot>)>;

/// `POST /api/v1/evaluate`: every flag (or those asked for) as the store's current version
/// evaluates them, with no wait for publication.
pub fn evaluate(
    cache: &mut Compiled,
    version: u64,
    document: &Document,
    body: &[u8],
    now_ms: i64,
) -> Result<Answer, ApiError> {
    let value = parse_body(body, body_limit(burgee_api::RouteId::Evaluate))?;
    let request: EvaluateRequest = serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            Code::InvalidBody,
            format!("`environment` (a string) is required: {e}"),
        )
    })?;
    let environment = request.environment;
    if !document.environments.contains(&environment) {
        return Err(ApiError::new(
            Code::EnvironmentNotFound,
            format!("environment `{environment}` is not one of the document's environments"),
        ));
    }
    let snapshot = match cache.get(&environment).filter(|(v, _)| *v == version) {
        Some((_, s)) => s.clone(),
        None => {
            let mut snapshot = burgee_core::compile(document, &environment).snapshot;
            snapshot.set_version(version);
            let snapshot = Rc::new(snapshot);
            cache.insert(environment.clone(), (version, snapshot.clone()));
            snapshot
        }
    };
    let context = if request.context.is_null() {
        json!({})
    } else {
        request.context
    };
    let bound = snapshot.context(&context);
    let mut results = BTreeMap::new();
    let mut text = String::new();
    for (key, detail) in snapshot.evaluate_all(&bound, now_ms) {
        if request
            .flags
            .as_ref()
            .is_some_and(|only| !only.iter().any(|k| k == key))
        {
            continue;
        }
        text.clear();
        detail.write_json_with(&mut text, key, ResultFields::BARE, "null");
        let result: EvaluationResult = serde_json::from_str(&text).map_err(internal)?;
        results.insert(key.to_string(), result);
    }
    Answer::ok(&EvaluateBody {
        version,
        environment,
        results,
    })
}

#[cfg(test)]
mod tests;
