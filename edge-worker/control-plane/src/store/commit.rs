//! One accepted write, from plan to stored version: the core applies the edits, the store's
//! limits are checked, the snapshots it changes are built, and everything is stored at once.
//! Refused writes store nothing. No `await` anywhere: the Durable Object commits all of it
//! atomically, or none of it.

use burgee_api::{ApiError, Code, MAX_ENTRY_BYTES, MAX_FLAGS, MAX_SEGMENTS};
use burgee_core::edit::{Action, Applied, Edit, EntryChanges, Stamp, apply};
use burgee_core::model::Document;
use serde_json::json;

use super::answer::internal;
use super::rows::{Commit, Rows};
use super::sql::Sql;
use super::write::refusal;
use crate::publish::snapshots::{Publication, publication};

/// Who writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub actor: String,
    pub role: burgee_api::Role,
    /// Roles that differ by environment: a write that changes what an environment serves
    /// needs the editor role there.
    pub environments: burgee_api::EnvironmentRoles,
    /// Why they make this request, in their words (`X-Burgee-Reason`), kept with the version
    /// and its audit entry.
    pub reason: Option<String>,
}

impl Caller {
    /// `Err` naming the first environment `changes` touch where this caller may not edit.
    fn may_change<'e>(
        &self,
        mut environments: impl Iterator<Item = &'e str>,
    ) -> Result<(), ApiError> {
        if self.environments.is_empty() {
            return Ok(());
        }
        match environments
            .find(|e| !burgee_api::role_in(self.role, &self.environments, e).can_edit())
        {
            None => Ok(()),
            Some(environment) => Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "this changes what `{environment}` serves, and {} is a {} there",
                    self.actor,
                    burgee_api::role_in(self.role, &self.environments, environment).as_str()
                ),
            )),
        }
    }
}

/// The deployment's rules for writes.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Versions the history keeps.
    pub keep: u64,
    /// Where a change must say why.
    pub protected: super::protected::Protected,
}

impl From<u64> for Rules {
    fn from(keep: u64) -> Rules {
        Rules {
            keep,
            ..Rules::default()
        }
    }
}

/// A write that went through.
#[derive(Debug)]
pub struct Committed {
    /// The new version, or the current one when nothing changed.
    pub version: u64,
    pub document: Document,
    pub applied: Applied,
    /// What to publish (empty when nothing changed).
    pub publication: Publication,
}

/// Applies `edits` in order as one change; their audit entry is the last one's, with every
/// summary.
fn apply_all(
    document: &Document,
    edits: Vec<Edit>,
    stamp: Stamp<'_>,
) -> Result<(Document, Applied), ApiError> {
    let mut current = document.clone();
    let mut merged: Option<Applied> = None;
    for edit in edits {
        let (next, applied) = apply(&current, edit, stamp).map_err(refusal)?;
        current = next;
        merged = Some(match merged {
            None => applied,
            Some(mut m) => {
                m.changed |= applied.changed;
                m.created |= applied.created;
                m.summary = format!("{}; {}", m.summary, applied.summary);
                for f in applied.flags {
                    if !m.flags.contains(&f) {
                        m.flags.push(f);
                    }
                }
                m.action = applied.action;
                m.target = applied.target;
                m
            }
        });
    }
    let applied = merged.ok_or_else(|| ApiError::new(Code::InvalidBody, "nothing to do"))?;
    Ok((current, applied))
}

/// Refuses a document over the store's limits: too many flags or segments, or an entry too
/// large for one row.
fn check_limits(after: &Document, changes: &EntryChanges) -> Result<(), ApiError> {
    for (what, count, limit) in [
        ("flags", after.flags.len(), MAX_FLAGS),
        ("segments", after.segments.len(), MAX_SEGMENTS),
    ] {
        if count > limit {
            return Err(ApiError::new(
                Code::LimitExceeded,
                format!("a document holds at most {limit} {what}; this one would hold {count}"),
            )
            .with(json!({"what": what, "limit": limit, "count": count})));
        }
    }
    let too_large = |what: String, bytes: usize| {
        ApiError::new(
            Code::DocumentTooLarge,
            format!("{what} is {bytes} bytes of JSON; at most {MAX_ENTRY_BYTES} are stored"),
        )
        .with(json!({"entry": what, "bytes": bytes, "limit": MAX_ENTRY_BYTES}))
    };
    for key in &changes.flags {
        if let Some(flag) = after.flags.get(key) {
            let bytes = serde_json::to_vec(flag).map_err(internal)?.len();
            if bytes > MAX_ENTRY_BYTES {
                return Err(too_large(format!("flag `{key}`"), bytes));
            }
        }
    }
    for key in &changes.segments {
        if let Some(segment) = after.segments.get(key) {
            let bytes = serde_json::to_vec(segment).map_err(internal)?.len();
            if bytes > MAX_ENTRY_BYTES {
                return Err(too_large(format!("segment `{key}`"), bytes));
            }
        }
    }
    let top = after
        .extra
        .values()
        .map(|v| v.to_string().len())
        .sum::<usize>();
    if top > MAX_ENTRY_BYTES {
        return Err(too_large("the document's other fields".into(), top));
    }
    Ok(())
}

/// Applies, checks and stores one write on top of `(version, before)`.
pub fn commit<S: Sql>(
    rows: &Rows<'_, S>,
    (version, before): (u64, &Document),
    edits: Vec<Edit>,
    caller: &Caller,
    now_ms: i64,
    rules: &Rules,
) -> Result<Committed, ApiError> {
    let stamp = Stamp {
        actor: &caller.actor,
        now_ms,
    };
    let (mut after, mut applied) = apply_all(before, edits, stamp)?;
    if !applied.changed {
        applied
            .summary
            .push_str(" (it already was: nothing written)");
        return Ok(Committed {
            version,
            document: after,
            applied,
            publication: Publication::default(),
        });
    }
    let entries = EntryChanges::between(before, &after);
    check_limits(&after, &entries)?;
    let next = version + 1;
    let publication = publication(before, &after, next).map_err(|t| {
        ApiError::new(
            Code::DocumentTooLarge,
            format!(
                "the compiled snapshot `{}` would be {} bytes; at most {} are published",
                t.key,
                t.bytes,
                burgee_api::MAX_SNAPSHOT_BYTES
            ),
        )
    })?;
    let touched: Vec<&str> = publication
        .changes
        .iter()
        .filter(|c| !c.flags.is_empty())
        .map(|c| c.environment.as_str())
        .chain(publication.removed.iter().map(|k| k.environment.as_str()))
        .collect();
    caller.may_change(touched.iter().copied())?;
    if caller.reason.is_none()
        && let Some(environment) = touched.iter().find(|e| rules.protected.needs_reason(e))
    {
        return Err(ApiError::new(
            Code::ReasonRequired,
            format!(
                "`{environment}` is protected: say why in X-Burgee-Reason (the admin app asks for it)"
            ),
        ));
    }
    after.version = Some(next);
    let at = burgee_core::time::format_rfc3339(now_ms);
    rows.commit(&Commit {
        version: next,
        at: &at,
        actor: &caller.actor,
        applied: &applied,
        after: &after,
        entries: &entries,
        changes: &publication.changes,
        reason: caller.reason.as_deref().unwrap_or_default(),
        keep: rules.keep,
    })
    .map_err(internal)?;
    Ok(Committed {
        version: next,
        document: after,
        applied,
        publication,
    })
}

/// Whether a committed write created a flag or segment (the API answers `201`).
pub fn created(applied: &Applied) -> bool {
    applied.created && applied.action == Action::Create
}

#[cfg(test)]
mod tests;
