//! Writing whole flags and segments: create, replace, merge-patch, delete, and the stamps the
//! store puts on flags.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use super::{Action, Applied, EditError, Stamp};
use crate::describe::{flag_changes, segment_changes};
use crate::diagnostic::Diagnostic;
use crate::json::merge_patch;
use crate::load::{read_flag, read_segment};
use crate::model::{Document, Flag};

pub(super) fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}

pub(super) fn applied(
    action: Action,
    target: &str,
    flags: impl IntoIterator<Item = String>,
    summary: String,
) -> Applied {
    Applied {
        action,
        target: target.into(),
        flags: flags.into_iter().collect(),
        summary,
        created: false,
        changed: true,
    }
}

/// `flags` is the flag's own key, empty for a segment. `lines` say what changed
/// ([`crate::describe`]), empty for a new entry.
pub(super) fn put_applied(
    noun: &str,
    member: &str,
    key: &str,
    created: bool,
    flags: Vec<String>,
    lines: &[String],
) -> Applied {
    Applied {
        action: if created {
            Action::Create
        } else {
            Action::Replace
        },
        target: format!("{member}/{key}"),
        flags,
        summary: if created {
            format!("created {noun} `{key}`")
        } else {
            updated(noun, key, lines, "saved unchanged")
        },
        created,
        changed: true,
    }
}

/// How many lines of what changed a summary carries before "and N more".
const SUMMARY_LINES: usize = 3;

/// `updated flag `x`: production: kill switch on → off`; `otherwise` when nothing but the
/// stamps changed.
fn updated(noun: &str, key: &str, lines: &[String], otherwise: &str) -> String {
    if lines.is_empty() {
        return format!("{otherwise} {noun} `{key}`");
    }
    let words = crate::describe::summarize(lines, SUMMARY_LINES);
    format!("updated {noun} `{key}`: {words}")
}

/// What a patch that changed nothing wrote: `patched (description, tags) of`.
fn unchanged_by(fields: &[String]) -> String {
    format!("patched ({}) of", fields.join(", "))
}

pub(super) fn union_of_flag_keys(a: &Document, b: &Document) -> Vec<String> {
    let keys: BTreeSet<&String> = a.flags.keys().chain(b.flags.keys()).collect();
    keys.into_iter().cloned().collect()
}

/// Keeps `createdAt`/`createdBy` from `previous` (or sets them for a new flag) and sets
/// `updatedAt`/`updatedBy`: stamps are the store's, never the client's. The archive state is
/// kept too (a new flag starts live): only [`archive`] changes it, so a replace or a patch
/// can neither archive a flag past the dependents check nor restore one unaudited.
pub(super) fn stamp_flag(flag: &mut Flag, previous: Option<&Flag>, stamp: Stamp<'_>) {
    let now = crate::time::format_rfc3339(stamp.now_ms);
    match previous {
        Some(old) => {
            flag.created_at.clone_from(&old.created_at);
            flag.created_by.clone_from(&old.created_by);
            flag.archived = old.archived;
            flag.archived_at.clone_from(&old.archived_at);
            flag.archived_by.clone_from(&old.archived_by);
        }
        None => {
            flag.created_at = Some(now.clone());
            flag.created_by = Some(stamp.actor.into());
            flag.archived = None;
            flag.archived_at = None;
            flag.archived_by = None;
        }
    }
    flag.updated_at = Some(now);
    flag.updated_by = Some(stamp.actor.into());
}

pub(super) fn touch(doc: &mut Document, key: &str, stamp: Stamp<'_>) {
    if let Some(flag) = doc.flags.get_mut(key) {
        flag.updated_at = Some(crate::time::format_rfc3339(stamp.now_ms));
        flag.updated_by = Some(stamp.actor.into());
    }
}

pub(super) fn put_flag(
    doc: &mut Document,
    key: String,
    mut flag: Flag,
    stamp: Stamp<'_>,
) -> Applied {
    let previous = doc.flags.get(&key);
    stamp_flag(&mut flag, previous, stamp);
    let created = previous.is_none();
    let lines = previous.map_or_else(Vec::new, |p| flag_changes(Some(p), Some(&flag)));
    doc.flags.insert(key.clone(), flag);
    put_applied(
        "flag",
        "flags",
        &key,
        created,
        alloc::vec![key.clone()],
        &lines,
    )
}

/// The patched entry, read back as the loader would (a wrong-typed field is a diagnostic at its
/// pointer), and the names of the fields the patch sets.
pub(super) fn patched<T: serde::Serialize>(
    previous: &T,
    patch: &Value,
    read: impl FnOnce(Value) -> Result<T, Diagnostic>,
) -> Result<(T, Vec<String>), EditError> {
    let mut value = serde_json::to_value(previous).unwrap_or(Value::Null);
    merge_patch(&mut value, patch);
    let fields = patch
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let entry = read(value).map_err(|d| EditError::Invalid(alloc::vec![d]))?;
    Ok((entry, fields))
}

pub(super) fn patch_flag(
    doc: &mut Document,
    key: String,
    patch: &Value,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    let previous = doc
        .flags
        .get(&key)
        .ok_or_else(|| EditError::FlagNotFound(key.clone()))?;
    let (mut flag, fields) = patched(previous, patch, |v| read_flag(&key, v))?;
    stamp_flag(&mut flag, Some(previous), stamp);
    let lines = flag_changes(Some(previous), Some(&flag));
    doc.flags.insert(key.clone(), flag);
    let summary = updated("flag", &key, &lines, &unchanged_by(&fields));
    Ok(applied(
        Action::Patch,
        &format!("flags/{key}"),
        [key],
        summary,
    ))
}

pub(super) fn patch_segment(
    doc: &mut Document,
    key: String,
    patch: &Value,
) -> Result<Applied, EditError> {
    let previous = doc
        .segments
        .get(&key)
        .ok_or_else(|| EditError::SegmentNotFound(key.clone()))?;
    let (segment, fields) = patched(previous, patch, |v| read_segment(&key, v))?;
    let lines = segment_changes(Some(previous), Some(&segment));
    doc.segments.insert(key.clone(), segment);
    let summary = updated("segment", &key, &lines, &unchanged_by(&fields));
    Ok(applied(
        Action::Patch,
        &format!("segments/{key}"),
        [],
        summary,
    ))
}

pub(super) fn delete_flag(doc: &mut Document, key: String) -> Result<Applied, EditError> {
    if !doc.flags.contains_key(&key) {
        return Err(EditError::FlagNotFound(key));
    }
    let dependents = doc.dependents(&key);
    if !dependents.is_empty() {
        return Err(EditError::FlagInUse {
            flag: key,
            dependents,
        });
    }
    doc.flags.remove(&key);
    let summary = format!("deleted flag `{key}`");
    Ok(applied(
        Action::Delete,
        &format!("flags/{key}"),
        [key],
        summary,
    ))
}

/// Archives (`archived`) or restores a flag, stamping who did it. Archiving an archived flag, or
/// restoring a live one, changes nothing. Live flags that require the flag refuse its archiving;
/// archived ones do not, since they are in no snapshot either.
pub(super) fn archive(
    doc: &mut Document,
    key: String,
    archived: bool,
    stamp: Stamp<'_>,
) -> Result<Applied, EditError> {
    let flag = doc
        .flags
        .get(&key)
        .ok_or_else(|| EditError::FlagNotFound(key.clone()))?;
    let (action, verb) = if archived {
        (Action::Archive, "archived")
    } else {
        (Action::Unarchive, "restored archived")
    };
    let summary = format!("{verb} flag `{key}`");
    let target = format!("flags/{key}");
    if flag.is_archived() == archived {
        let mut unchanged = applied(action, &target, [key], summary);
        unchanged.changed = false;
        return Ok(unchanged);
    }
    if archived {
        let dependents: Vec<String> = doc
            .dependents(&key)
            .into_iter()
            .filter(|d| doc.flags.get(d).is_some_and(|f| !f.is_archived()))
            .collect();
        if !dependents.is_empty() {
            return Err(EditError::FlagInUse {
                flag: key,
                dependents,
            });
        }
    }
    touch(doc, &key, stamp);
    if let Some(flag) = doc.flags.get_mut(&key) {
        if archived {
            flag.archived = Some(true);
            flag.archived_at.clone_from(&flag.updated_at);
            flag.archived_by = Some(stamp.actor.into());
        } else {
            flag.archived = None;
            flag.archived_at = None;
            flag.archived_by = None;
        }
    }
    Ok(applied(action, &target, [key], summary))
}

pub(super) fn delete_segment(doc: &mut Document, key: String) -> Result<Applied, EditError> {
    if !doc.segments.contains_key(&key) {
        return Err(EditError::SegmentNotFound(key));
    }
    let users = doc.segment_users(&key);
    if !users.is_empty() {
        return Err(EditError::SegmentInUse {
            segment: key,
            users,
        });
    }
    doc.segments.remove(&key);
    let summary = format!("deleted segment `{key}`");
    Ok(applied(
        Action::Delete,
        &format!("segments/{key}"),
        [],
        summary,
    ))
}
