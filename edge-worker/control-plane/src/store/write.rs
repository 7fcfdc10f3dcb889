//! From a write request to the core's edits: reading the body, the parameters and the
//! environment, and turning the core's refusals into the API's errors. What the edits do is the
//! core's business ([`burgee_core::edit`]); this module only reads requests.

use burgee_api::{ApiError, Code, Route, RouteId, body_limit};
use burgee_core::edit::{Edit, EditError};
use burgee_core::graph::SegmentUser;
use burgee_core::model::Document;
use serde_json::{Value, json};

use super::answer::{parse_body, version_param};
use super::rows::{Rows, StoreResult};
use super::sql::Sql;

/// How a write is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `{version, summary}` (`201` when something was created).
    Written,
    /// The flag's settings in the environment (the `/feature-flags` shortcuts).
    Shortcut { flag: String, environment: String },
    /// The flags switched (all-off and its undo).
    Switched { environment: String },
}

/// A write, read: the edits to apply in one version, whether `If-Match` is required, and how
/// to answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub edits: Vec<Edit>,
    pub if_match: bool,
    pub reply: Reply,
    /// What the write is, when the edits alone would not say it (a revert).
    pub label: Option<String>,
}

/// What a write request carries besides its route.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    pub body: &'a [u8],
    pub query: &'a [(String, String)],
    /// `X-Burgee-Environment`.
    pub environment: Option<&'a str>,
    /// The deployment's default environment (`ENVIRONMENT_DEFAULT`).
    pub default_environment: &'a str,
    /// Versions the history keeps (for the message of a restore that reaches too far).
    pub keep: u64,
}

fn invalid_body(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::InvalidBody, message)
}

fn object(value: Value, what: &str) -> Result<Value, ApiError> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(invalid_body(format!("{what} must be a JSON object")))
    }
}

fn invalid(diagnostics: Vec<burgee_core::Diagnostic>) -> ApiError {
    refusal(EditError::Invalid(diagnostics))
}

/// The API error for an edit the core refuses.
pub fn refusal(e: EditError) -> ApiError {
    let message = e.message();
    match e {
        EditError::FlagNotFound(_) => ApiError::new(Code::FlagNotFound, message),
        EditError::SegmentNotFound(_) => ApiError::new(Code::SegmentNotFound, message),
        EditError::EnvironmentNotFound(_) => ApiError::new(Code::EnvironmentNotFound, message),
        EditError::FlagInUse { dependents, .. } => {
            ApiError::new(Code::FlagInUse, message).with(json!({ "dependents": dependents }))
        }
        EditError::SegmentInUse { users, .. } => {
            let used_by: Vec<String> = users.iter().map(SegmentUser::to_string).collect();
            ApiError::new(Code::SegmentInUse, message).with(json!({ "usedBy": used_by }))
        }
        EditError::NotBoolean(_) => ApiError::new(Code::NotABooleanFlag, message),
        EditError::NoVariantFor { .. } => ApiError::new(Code::NoSuchVariant, message),
        EditError::ShareOutOfRange(_) => ApiError::new(Code::InvalidBody, message),
        EditError::Invalid(diagnostics) => ApiError::new(Code::InvalidDocument, message)
            .with(json!({ "diagnostics": diagnostics })),
    }
}

/// A whole document from a body: every entry must read (a flag that does not is refused, not
/// dropped).
pub(super) fn document(value: Value) -> Result<Document, ApiError> {
    let value = object(value, "the document")?;
    let loaded = burgee_core::load_value(value).map_err(|d| invalid(vec![d]))?;
    if !loaded.is_clean() {
        return Err(invalid(loaded.diagnostics));
    }
    Ok(loaded.document)
}

fn enabled(body: &Value, message: &str) -> Result<bool, ApiError> {
    body.get("enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| invalid_body(message))
}

/// The percentage `field` of a shortcut, in basis points: 0 to 100 with at most two decimals.
fn share(body: &Value, field: &str) -> Result<Option<u32>, ApiError> {
    let Some(value) = body.get(field) else {
        return Ok(None);
    };
    let percent = value.as_f64().filter(|p| (0.0..=100.0).contains(p));
    let basis = percent.map(|p| (p * 100.0).round());
    match (percent, basis) {
        (Some(p), Some(b)) if (p * 100.0 - b).abs() < 1e-6 => Ok(Some(b as u32)),
        _ => Err(invalid_body(format!(
            "`{field}` must be a number from 0 to 100 with at most two decimals"
        ))),
    }
}

/// The environment of a shortcut: `?env=`, else `X-Burgee-Environment`, else the default.
fn shortcut_environment(r: &Request<'_>) -> String {
    burgee_edge_shared::query::param(r.query, "env")
        .or(r.environment)
        .unwrap_or(r.default_environment)
        .to_string()
}

/// Reads a write request. `None` for a route that is not a write.
pub fn plan<S: Sql>(
    route: &Route,
    r: &Request<'_>,
    rows: &Rows<'_, S>,
) -> Option<Result<Plan, ApiError>> {
    let id = route.id;
    if !id.writes() || id == RouteId::Faults {
        return None;
    }
    Some(read_plan(route, r, rows))
}

fn read_plan<S: Sql>(route: &Route, r: &Request<'_>, rows: &Rows<'_, S>) -> Result<Plan, ApiError> {
    let key = route.param().to_string();
    let body = || parse_body(r.body, body_limit(route.id));
    let written = |edits: Vec<Edit>| Plan {
        edits,
        if_match: true,
        reply: Reply::Written,
        label: None,
    };
    let plan = match route.id {
        RouteId::ReplaceDocument | RouteId::Import => written(vec![Edit::ReplaceDocument {
            document: Box::new(document(body()?)?),
            import: route.id == RouteId::Import,
        }]),
        RouteId::PutFlag => {
            let value = object(body()?, "a flag")?;
            let flag = burgee_core::read_flag(&key, value).map_err(|d| invalid(vec![d]))?;
            written(vec![Edit::PutFlag {
                key,
                flag: Box::new(flag),
            }])
        }
        RouteId::PutSegment => {
            let value = object(body()?, "a segment")?;
            let segment = burgee_core::read_segment(&key, value).map_err(|d| invalid(vec![d]))?;
            written(vec![Edit::PutSegment {
                key,
                segment: Box::new(segment),
            }])
        }
        RouteId::PatchFlag => written(vec![Edit::PatchFlag {
            key,
            patch: object(body()?, "a merge patch")?,
        }]),
        RouteId::PatchSegment => written(vec![Edit::PatchSegment {
            key,
            patch: object(body()?, "a merge patch")?,
        }]),
        RouteId::DeleteFlag => written(vec![Edit::DeleteFlag { key }]),
        RouteId::ArchiveFlag => written(vec![Edit::Archive { flag: key }]),
        RouteId::UnarchiveFlag => written(vec![Edit::Unarchive { flag: key }]),
        RouteId::DeleteSegment => written(vec![Edit::DeleteSegment { key }]),
        RouteId::Toggle => {
            let b = body()?;
            let environment = b
                .get("environment")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid_body("`environment` (a string) is required"))?
                .to_string();
            let enabled = enabled(&b, "`enabled` (true or false) is required")?;
            written(vec![Edit::Toggle {
                flag: key,
                environment,
                enabled,
            }])
        }
        RouteId::Restore => {
            let version = version_param(&key)?;
            let document = rows.document_at(version).map_err(super::answer::internal)?;
            let document = document.ok_or_else(|| not_kept(version, r.keep))?;
            written(vec![Edit::Restore {
                version,
                document: Box::new(document),
            }])
        }
        RouteId::RevertFlag | RouteId::RevertSegment => {
            revert(route.id == RouteId::RevertFlag, key, &body()?, rows, r)?
        }
        RouteId::ShortcutToggle => shortcut_toggle(key, &body()?, r)?,
        RouteId::ShortcutRollout => {
            let share = share(&body()?, "percentage")?
                .ok_or_else(|| invalid_body("send {\"percentage\": 0 to 100}"))?;
            let environment = shortcut_environment(r);
            let edit = Edit::Rollout {
                flag: key.clone(),
                environment: environment.clone(),
                share,
            };
            shortcut(key, environment, edit)
        }
        RouteId::PromoteFlag => promote(key, &body()?)?,
        RouteId::ShortcutUser | RouteId::ShortcutOrg => {
            let b = body()?;
            let environment = shortcut_environment(r);
            let attribute = (route.id == RouteId::ShortcutOrg).then(|| "orgId".to_string());
            Plan {
                edits: vec![Edit::Target {
                    flag: key.clone(),
                    environment: environment.clone(),
                    attribute,
                    id: route.params.get(1).cloned().unwrap_or_default(),
                    enabled: enabled(&b, "send {\"enabled\": true | false}")?,
                }],
                if_match: false,
                reply: Reply::Shortcut {
                    flag: key,
                    environment,
                },
                label: None,
            }
        }
        RouteId::AllOff => switched(key.clone(), Edit::AllOff { environment: key }),
        RouteId::UndoAllOff => {
            let found = rows
                .undoable_all_off(&key)
                .map_err(super::answer::internal)?;
            let (version, flags) = found.ok_or_else(|| {
                ApiError::new(
                    Code::NothingToUndo,
                    format!("no all-off of `{key}` is waiting to be undone"),
                )
            })?;
            let edit = Edit::RestoreStates {
                environment: key.clone(),
                version,
                flags,
            };
            switched(key, edit)
        }
        _ => return Err(ApiError::new(Code::NotFound, "not a write")),
    };
    Ok(plan)
}

/// `POST …/{key}/revert`: the flag (`flag`) or segment `key` as it was in the body's version
/// (deleted when it did not exist then).
fn revert<S: Sql>(
    flag: bool,
    key: String,
    body: &Value,
    rows: &Rows<'_, S>,
    r: &Request<'_>,
) -> Result<Plan, ApiError> {
    let version = body
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid_body("send {\"version\": N}, the version to go back to"))?;
    let then = rows.document_at(version).map_err(super::answer::internal)?;
    let then = then.ok_or_else(|| not_kept(version, r.keep))?;
    let edit = match (flag, then.flags.get(&key), then.segments.get(&key)) {
        (true, Some(f), _) => Edit::PutFlag {
            key: key.clone(),
            flag: Box::new(f.clone()),
        },
        (true, None, _) => Edit::DeleteFlag { key: key.clone() },
        (false, _, Some(s)) => Edit::PutSegment {
            key: key.clone(),
            segment: Box::new(s.clone()),
        },
        (false, _, None) => Edit::DeleteSegment { key: key.clone() },
    };
    let what = if flag { "flag" } else { "segment" };
    Ok(Plan {
        edits: vec![edit],
        if_match: true,
        reply: Reply::Written,
        label: Some(format!("reverted {what} `{key}` to version {version}")),
    })
}

/// `POST /api/v1/flags/{key}/promote`: `{"from", "to"}`.
fn promote(key: String, body: &Value) -> Result<Plan, ApiError> {
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                invalid_body("send {\"from\": \"<environment>\", \"to\": \"<environment>\"}")
            })
    };
    let (from, to) = (text("from")?, text("to")?);
    if from == to {
        return Err(invalid_body(format!(
            "`from` and `to` are both `{to}`: promote copies one environment's settings to another"
        )));
    }
    let edit = Edit::Promote {
        flag: key.clone(),
        from,
        to: to.clone(),
    };
    Ok(shortcut(key, to, edit))
}

/// A write without `If-Match` (applied to whatever the current version is), answered with the
/// flag's settings in `environment`.
fn shortcut(flag: String, environment: String, edit: Edit) -> Plan {
    Plan {
        edits: vec![edit],
        if_match: false,
        reply: Reply::Shortcut { flag, environment },
        label: None,
    }
}

fn switched(environment: String, edit: Edit) -> Plan {
    Plan {
        edits: vec![edit],
        if_match: false,
        reply: Reply::Switched { environment },
        label: None,
    }
}

/// `PUT /feature-flags/{key}`: the kill switch, and optionally a rollout share, in one version.
fn shortcut_toggle(key: String, body: &Value, r: &Request<'_>) -> Result<Plan, ApiError> {
    let enabled = enabled(body, "send {\"enabled\": true | false}")?;
    let environment = shortcut_environment(r);
    let mut edits = Vec::new();
    if let Some(share) = share(body, "rolloutPercentage")? {
        edits.push(Edit::Rollout {
            flag: key.clone(),
            environment: environment.clone(),
            share,
        });
    }
    edits.push(Edit::Toggle {
        flag: key.clone(),
        environment: environment.clone(),
        enabled,
    });
    Ok(Plan {
        edits,
        if_match: false,
        reply: Reply::Shortcut {
            flag: key,
            environment,
        },
        label: None,
    })
}

/// `404` for a version the history does not keep.
pub fn not_kept(version: u64, keep: u64) -> ApiError {
    ApiError::new(
        Code::VersionNotFound,
        format!("version {version} is not in the history (it keeps the last {keep})"),
    )
}

/// Whether the store's rows could be read at all (for callers that only need to know).
pub fn ok_or_internal<T>(r: StoreResult<T>) -> Result<T, ApiError> {
    r.map_err(super::answer::internal)
}

#[cfg(test)]
mod tests;
