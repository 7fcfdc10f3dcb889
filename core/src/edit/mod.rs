//! What each change does to a document, as typed operations.
//!
//! The control plane stores and orders writes, the admin app drafts them, a pipeline scripts
//! them; what a toggle, a target, a rollout share or "everything off" means is decided here,
//! once, on typed documents. An edit either applies whole or is refused with an [`EditError`]
//! that names what is missing or still in use; [`apply`] also refuses a result the validator
//! finds errors in, so no caller can store a document that does not compile.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::graph::SegmentUser;
use crate::model::{Document, Flag, Segment};

use entries::{
    applied, archive, delete_flag, delete_segment, on_off, patch_flag, patch_segment, put_applied,
    put_flag, touch, union_of_flag_keys,
};
use switches::{all_off, promote, restore_states, rollout, settings_mut, target};

/// Who makes a change, and when (epoch milliseconds): stamped on the flags it touches.
#[derive(Clone, Copy, Debug)]
pub struct Stamp<'a> {
    pub actor: &'a str,
    pub now_ms: i64,
}

/// One change to a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Replaces everything (`import`: audited as an import).
    ReplaceDocument {
        document: Box<Document>,
        import: bool,
    },
    /// Makes the document what it was at `version`.
    Restore {
        version: u64,
        document: Box<Document>,
    },
    /// Creates or replaces a flag.
    PutFlag {
        key: String,
        flag: Box<Flag>,
    },
    /// A JSON Merge Patch (RFC 7396) of an existing flag.
    PatchFlag {
        key: String,
        patch: Value,
    },
    DeleteFlag {
        key: String,
    },
    PutSegment {
        key: String,
        segment: Box<Segment>,
    },
    PatchSegment {
        key: String,
        patch: Value,
    },
    DeleteSegment {
        key: String,
    },
    /// The kill switch of one environment.
    Toggle {
        flag: String,
        environment: String,
        enabled: bool,
    },
    /// Serves a boolean flag's `enabled` variant to one id of `attribute` (`None`: the targeting
    /// key), taking it out of the other variant's target.
    Target {
        flag: String,
        environment: String,
        attribute: Option<String>,
        id: String,
        enabled: bool,
    },
    /// A boolean flag's default serve becomes a rollout giving its `true` variant `share`
    /// (in basis points, 0 to 10,000) and its `false` variant the rest. Users keep their buckets:
    /// the rollout's salt and bucketing attribute are kept.
    Rollout {
        flag: String,
        environment: String,
        share: u32,
    },
    /// Switches off every flag that is on in `environment`.
    AllOff {
        environment: String,
    },
    /// Switches back on the flags an [`Edit::AllOff`] at `version` switched off, where they are
    /// still off.
    RestoreStates {
        environment: String,
        version: u64,
        flags: Vec<String>,
    },
    /// Soft-deletes a flag: it leaves every snapshot but stays in the document. Refused while
    /// live flags require it, as deleting is.
    Archive {
        flag: String,
    },
    /// Brings an archived flag back; refused when the flag no longer validates (its
    /// prerequisites were archived or deleted meanwhile).
    Unarchive {
        flag: String,
    },
    /// Copies a flag's settings in environment `from` (kill switch, targets, rules, default,
    /// schedule) to environment `to`, replacing what `to` had.
    Promote {
        flag: String,
        from: String,
        to: String,
    },
}

/// What an edit is called in the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Replace,
    Patch,
    Delete,
    Toggle,
    Target,
    Rollout,
    Import,
    ReplaceDocument,
    Restore,
    AllOff,
    RestoreStates,
    Archive,
    Unarchive,
    Promote,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::Create,
        Action::Replace,
        Action::Patch,
        Action::Delete,
        Action::Toggle,
        Action::Target,
        Action::Rollout,
        Action::Import,
        Action::ReplaceDocument,
        Action::Restore,
        Action::AllOff,
        Action::RestoreStates,
        Action::Archive,
        Action::Unarchive,
        Action::Promote,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Replace => "replace",
            Action::Patch => "patch",
            Action::Delete => "delete",
            Action::Toggle => "toggle",
            Action::Target => "target",
            Action::Rollout => "rollout",
            Action::Import => "import",
            Action::ReplaceDocument => "replace-document",
            Action::Restore => "restore",
            Action::AllOff => "all-off",
            Action::RestoreStates => "restore-states",
            Action::Archive => "archive",
            Action::Unarchive => "unarchive",
            Action::Promote => "promote",
        }
    }
}

/// What an applied edit did, for the audit log and the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub action: Action,
    /// `flags/<key>`, `segments/<key>`, `environments/<env>` or `document`.
    pub target: String,
    /// The flags it concerns (the audit log's flag filter).
    pub flags: Vec<String>,
    pub summary: String,
    /// A flag or segment was created.
    pub created: bool,
    /// False when the document is unchanged (a switch set to the state it already had): the
    /// caller writes nothing.
    pub changed: bool,
}

/// Why an edit is refused.
#[derive(Clone, Debug, PartialEq)]
pub enum EditError {
    FlagNotFound(String),
    SegmentNotFound(String),
    EnvironmentNotFound(String),
    /// Other flags still require it.
    FlagInUse {
        flag: String,
        dependents: Vec<String>,
    },
    /// Flags or segments still use it.
    SegmentInUse {
        segment: String,
        users: Vec<SegmentUser>,
    },
    /// The operation needs a boolean flag.
    NotBoolean(String),
    /// The boolean flag has no variant with that value.
    NoVariantFor {
        flag: String,
        value: bool,
    },
    /// A share above 100 %.
    ShareOutOfRange(u32),
    /// The result has errors (or an entry does not read); nothing changes.
    Invalid(Vec<Diagnostic>),
}

impl EditError {
    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            EditError::FlagNotFound(k) => format!("flag `{k}` does not exist"),
            EditError::SegmentNotFound(k) => format!("segment `{k}` does not exist"),
            EditError::EnvironmentNotFound(e) => {
                format!("environment `{e}` is not one of the document's environments")
            }
            EditError::FlagInUse { flag, dependents } => format!(
                "`{flag}` is a prerequisite of {}; remove those first",
                dependents.join(", ")
            ),
            EditError::SegmentInUse { segment, users } => {
                let names: Vec<String> = users.iter().map(ToString::to_string).collect();
                format!(
                    "segment `{segment}` is used by {}; remove those uses first",
                    names.join(", ")
                )
            }
            EditError::NotBoolean(k) => {
                format!("`{k}` is not a boolean flag; target its variants in the admin API instead")
            }
            EditError::NoVariantFor { flag, value } => {
                format!("`{flag}` has no variant whose value is {value}")
            }
            EditError::ShareOutOfRange(bp) => {
                format!("a share is at most 100 % (10000 basis points), not {bp}")
            }
            EditError::Invalid(d) => {
                let errors = d.iter().filter(|d| d.is_error()).count();
                format!("the change leaves {errors} error(s) in the document; nothing was saved")
            }
        }
    }
}

/// Applies `edit` to `document` and checks the result. `Ok` carries the new document (unchanged
/// when [`Applied::changed`] is false); a refused edit leaves nothing behind.
pub fn apply(
    document: &Document,
    edit: Edit,
    stamp: Stamp<'_>,
) -> Result<(Document, Applied), EditError> {
    let mut doc = document.clone();
    let switch_only = switches_only(&edit);
    let mut applied = apply_in_place(&mut doc, edit, stamp)?;
    if !applied.changed {
        return Ok((document.clone(), applied));
    }
    // A switch set to the state it already has (an operator acting on a stale list, a retried
    // request) changes nothing, so nothing is written; other writes are versions even when
    // they repeat the current content.
    if switch_only && same_but_stamps(document, &doc) {
        applied.changed = false;
        return Ok((document.clone(), applied));
    }
    if !switch_only {
        let diagnostics = crate::validate(&doc);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(EditError::Invalid(diagnostics));
        }
    }
    Ok((doc, applied))
}

/// Edits that only switch `enabled`. They cannot make a valid document invalid (the store never
/// holds an invalid one), so the kill switch skips the whole-document validation, which grows
/// with the document.
fn switches_only(edit: &Edit) -> bool {
    matches!(
        edit,
        Edit::Toggle { .. } | Edit::AllOff { .. } | Edit::RestoreStates { .. }
    )
}

fn apply_in_place(doc: &mut Document, edit: Edit, stamp: Stamp<'_>) -> Result<Applied, EditError> {
    match edit {
        Edit::ReplaceDocument { document, import } => {
            let flags = union_of_flag_keys(doc, &document);
            let summary = format!(
                "{} the document: {} flags, {} segments",
                if import { "imported" } else { "replaced" },
                document.flags.len(),
                document.segments.len()
            );
            *doc = *document;
            doc.version = None;
            let action = if import {
                Action::Import
            } else {
                Action::ReplaceDocument
            };
            Ok(applied(action, "document", flags, summary))
        }
        Edit::Restore { version, document } => {
            let flags = union_of_flag_keys(doc, &document);
            *doc = *document;
            doc.version = None;
            let summary = format!("restored version {version}");
            Ok(applied(Action::Restore, "document", flags, summary))
        }
        Edit::PutFlag { key, flag } => Ok(put_flag(doc, key, *flag, stamp)),
        Edit::PatchFlag { key, patch } => patch_flag(doc, key, &patch, stamp),
        Edit::DeleteFlag { key } => delete_flag(doc, key),
        Edit::PutSegment { key, segment } => {
            let previous = doc.segments.insert(key.clone(), (*segment).clone());
            let lines = previous.as_ref().map_or_else(Vec::new, |p| {
                crate::describe::segment_changes(Some(p), Some(&segment))
            });
            let created = previous.is_none();
            Ok(put_applied(
                "segment",
                "segments",
                &key,
                created,
                Vec::new(),
                &lines,
            ))
        }
        Edit::PatchSegment { key, patch } => patch_segment(doc, key, &patch),
        Edit::DeleteSegment { key } => delete_segment(doc, key),
        Edit::Toggle {
            flag,
            environment,
            enabled,
        } => {
            settings_mut(doc, &flag, &environment)?.enabled = Some(enabled);
            touch(doc, &flag, stamp);
            let summary = format!("turned `{flag}` {} in {environment}", on_off(enabled));
            Ok(applied(
                Action::Toggle,
                &format!("flags/{flag}"),
                [flag],
                summary,
            ))
        }
        Edit::Target {
            flag,
            environment,
            attribute,
            id,
            enabled,
        } => target(doc, flag, environment, attribute, id, enabled, stamp),
        Edit::Rollout {
            flag,
            environment,
            share,
        } => rollout(doc, flag, environment, share, stamp),
        Edit::AllOff { environment } => all_off(doc, environment, stamp),
        Edit::RestoreStates {
            environment,
            version,
            flags,
        } => restore_states(doc, environment, version, flags, stamp),
        Edit::Archive { flag } => archive(doc, flag, true, stamp),
        Edit::Unarchive { flag } => archive(doc, flag, false, stamp),
        Edit::Promote { flag, from, to } => promote(doc, flag, from, to, stamp),
    }
}

mod changes;
mod entries;
mod switches;

pub use changes::{EntryChanges, same_but_stamps};
pub use switches::split_weights;

#[cfg(test)]
mod tests;
