//! One accepted write, from plan to stored version: the core applies the edits, the store's
//! limits are checked, the snapshots it changes are built, and everything is stored at once.
//! Refused writes store nothing. No `await` anywhere: the Durable Object commits all of it
//! atomically, or none of it.

use burgee_api::{ApiError, Code, MAX_ENTRY_BYTES, MAX_FLAGS, MAX_SEGMENTS};
use burgee_core::edit::{Action, Applied, Edit, EntryChanges, Stamp, apply};
use burgee_core::model::Document;
use serde_json::json;

use super::answer::internal;
use super::policy::Policies;
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
    /// A token allowed to write without the approvals an environment requires (automation
    /// that is reviewed elsewhere); its writes say so in the audit log.
    pub bypass: bool,
}

impl Caller {
    /// `Err` naming the first environment `changes` touch where this caller may not edit.
    pub fn may_change<'e>(
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
    /// Where a change must say why, or wait for approvals.
    pub policies: Policies,
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

/// One write as the store takes it.
#[derive(Debug)]
pub struct Write<'a> {
    pub edits: Vec<Edit>,
    pub caller: &'a Caller,
    pub now_ms: i64,
    /// Says what the write is, before the core's summary ("reverted flag `x` to version 3").
    pub label: Option<String>,
    /// An approved change request being applied: its approvals were counted already.
    pub approved: bool,
    /// Held as a change request whatever the policies say (one asked for explicitly).
    pub hold: bool,
}

/// A write that needs approvals first: what it would make, not stored.
#[derive(Debug)]
pub struct Held {
    pub after: Document,
    pub summary: String,
    /// The environments whose service it changes.
    pub environments: Vec<String>,
    pub entries: EntryChanges,
}

/// What became of a write.
#[derive(Debug)]
pub enum Outcome {
    Committed(Committed),
    Held(Held),
}

/// Applies, checks and stores one write on top of `(version, before)`, with no approvals
/// asked (what the policies would hold back is refused): for tests and tools.
pub fn commit<S: Sql>(
    rows: &Rows<'_, S>,
    base: (u64, &Document),
    edits: Vec<Edit>,
    caller: &Caller,
    now_ms: i64,
    rules: &Rules,
) -> Result<Committed, ApiError> {
    let w = Write {
        edits,
        caller,
        now_ms,
        label: None,
        approved: false,
        hold: false,
    };
    match write(rows, base, w, rules)? {
        Outcome::Committed(c) => Ok(c),
        Outcome::Held(_) => Err(ApiError::new(
            Code::ApprovalsMissing,
            "this change needs approvals: make it a change request",
        )),
    }
}

/// Applies and checks one write on top of `(version, before)`; stores it unless an
/// environment it changes requires approvals, in which case it is held (not stored).
pub fn write<S: Sql>(
    rows: &Rows<'_, S>,
    (version, before): (u64, &Document),
    w: Write<'_>,
    rules: &Rules,
) -> Result<Outcome, ApiError> {
    let caller = w.caller;
    let stamp = Stamp {
        actor: &caller.actor,
        now_ms: w.now_ms,
    };
    let (mut after, mut applied) = apply_all(before, w.edits, stamp)?;
    if let Some(label) = &w.label {
        applied.summary = format!("{label} ({})", applied.summary);
    }
    if !applied.changed {
        applied
            .summary
            .push_str(" (it already was: nothing written)");
        return Ok(Outcome::Committed(Committed {
            version,
            document: after,
            applied,
            publication: Publication::default(),
        }));
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
    let mut touched: Vec<String> = publication
        .changes
        .iter()
        .filter(|c| !c.flags.is_empty())
        .map(|c| c.environment.clone())
        .chain(publication.removed.iter().map(|k| k.environment.clone()))
        .collect();
    touched.sort();
    touched.dedup();
    caller.may_change(touched.iter().map(String::as_str))?;
    if caller.reason.is_none()
        && let Some(environment) = touched.iter().find(|e| rules.policies.needs_reason(e))
    {
        return Err(ApiError::new(
            Code::ReasonRequired,
            format!(
                "`{environment}` is protected: say why in X-Burgee-Reason (the admin app asks for it)"
            ),
        ));
    }
    let gated: Vec<&str> = touched
        .iter()
        .map(String::as_str)
        .filter(|e| rules.policies.of(e).approvals > 0)
        .collect();
    let list = gated.join(", ");
    let held = if w.hold {
        true
    } else if w.approved || gated.is_empty() {
        false
    } else if caller.bypass {
        applied.summary = format!(
            "{} (approvals in {list} bypassed by {}'s token)",
            applied.summary, caller.actor
        );
        false
    } else if rules.policies.kill_switch_exempt(gated.iter().copied())
        && only_switched_off(before, &after, &entries)
    {
        applied.summary = format!(
            "{} (a kill switch: exempt from approval in {list})",
            applied.summary
        );
        false
    } else {
        true
    };
    if held {
        return Ok(Outcome::Held(Held {
            after,
            summary: applied.summary,
            environments: touched,
            entries,
        }));
    }
    after.version = Some(next);
    let at = burgee_core::time::format_rfc3339(w.now_ms);
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
    Ok(Outcome::Committed(Committed {
        version: next,
        document: after,
        applied,
        publication,
    }))
}

/// Whether the only change from `before` to `after` is flags switched off (the kill switch,
/// all-off): no segment, no environment list, no other field of a flag changed.
fn only_switched_off(before: &Document, after: &Document, entries: &EntryChanges) -> bool {
    if !entries.segments.is_empty() || entries.top {
        return false;
    }
    entries
        .flags
        .iter()
        .all(|key| match (before.flags.get(key), after.flags.get(key)) {
            (Some(b), Some(a)) => {
                let mut a = a.clone();
                a.updated_at.clone_from(&b.updated_at);
                a.updated_by.clone_from(&b.updated_by);
                for (environment, settings) in &mut a.environments {
                    let was = b.environments.get(environment);
                    if was.is_some_and(|w| w.is_enabled() && !settings.is_enabled()) {
                        settings.enabled = was.and_then(|w| w.enabled);
                    }
                }
                a == *b
            }
            _ => false,
        })
}

/// Whether a committed write created a flag or segment (the API answers `201`).
pub fn created(applied: &Applied) -> bool {
    applied.created && applied.action == Action::Create
}

#[cfg(test)]
mod tests;
