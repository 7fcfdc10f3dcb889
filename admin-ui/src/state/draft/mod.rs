//! The flag editor's state: a flag as its inputs hold it.
//!
//! Inputs hold text (a variant's JSON, a clause's list of values, a schedule time), and text
//! that is half typed must survive until it is finished, so the draft keeps the text and builds
//! the wire model from it on demand ([`FlagDraft::to_flag`]). Every list in the draft has the
//! same order and indices as the model it becomes, so a JSON Pointer from the validator
//! (`…/rules/2/clauses/0/values/1`) names exactly one input. Anything the editor does not
//! show (timestamps, fields of a newer version) is carried over untouched.
//!
//! Variants are referred to by name all over a flag (off variants, targets, serves), so each
//! variant draft has a key, its identity for those references, which follows its typed name
//! only while that name is usable (see [`FlagDraft::rename_variant`]): a name typed on the way
//! to another, an empty one or one that collides is an error at the name's input, never a
//! silent re-pointing of references.
//!
//! One file per part of a flag, from the smallest up: a serve (one variant or a rollout), a
//! clause, targets and rules, the schedule, an environment, the variants, the flag.

use std::collections::BTreeMap;

mod clause;
mod environment;
mod flag;
mod lifecycle;
mod metadata;
mod rule;
mod schedule;
mod serve;
mod variants;

#[cfg(test)]
mod fixtures;

pub use clause::{ClauseDraft, ClauseEdit};
pub use environment::EnvDraft;
pub use flag::{FlagDraft, PrereqDraft, kinds};
pub use lifecycle::{LIFECYCLES, LifecycleDraft};
pub use metadata::{MetadataDraft, OWNER, TICKET, ticket_link};
pub use rule::{RuleDraft, TargetDraft};
pub use schedule::{RAMP_EVERY, RAMP_ON, RAMP_PERCENTS, RAMP_START, Ramp, RampForm, StepDraft};
pub use serve::{RolloutDraft, ServeDraft, ServeEdit, ServeMode, WeightDraft};
pub use variants::VariantDraft;

/// Moves element `i` by `delta` places (clamped); false when it cannot move.
pub fn move_item<T>(list: &mut [T], i: usize, delta: isize) -> bool {
    let Some(j) = i.checked_add_signed(delta) else {
        return false;
    };
    if i >= list.len() || j >= list.len() || i == j {
        return false;
    }
    if j < i {
        list[j..=i].rotate_right(1);
    } else {
        list[i..=j].rotate_left(1);
    }
    true
}

/// Removes element `i`, if there is one.
pub fn remove_item<T>(list: &mut Vec<T>, i: usize) {
    if i < list.len() {
        list.remove(i);
    }
}

/// Re-points one reference to a variant if that variant was renamed.
fn rename(reference: &mut String, renames: &BTreeMap<String, String>) {
    if let Some(to) = renames.get(reference.as_str()) {
        *reference = to.clone();
    }
}
