//! Comparing documents: what a write really changed, and which rows a store must rewrite.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{Document, Flag, Segment};

/// Everything of a document but its flags' contents.
type Top<'d> = (
    &'d Option<String>,
    &'d Vec<String>,
    &'d BTreeMap<String, Segment>,
    &'d crate::model::Extra,
    Vec<&'d String>,
);

/// Whether two documents differ in nothing but the stamps a write puts on flags
/// (`updatedAt`, `updatedBy`).
pub fn same_but_stamps(a: &Document, b: &Document) -> bool {
    if a.flags.len() != b.flags.len() {
        return false;
    }
    let unstamped = |f: &Flag| {
        let mut f = f.clone();
        f.updated_at = None;
        f.updated_by = None;
        f
    };
    fn top(d: &Document) -> Top<'_> {
        (
            &d.schema,
            &d.environments,
            &d.segments,
            &d.extra,
            d.flags.keys().collect(),
        )
    }
    top(a) == top(b)
        && a.flags.iter().all(|(k, f)| {
            b.flags
                .get(k)
                .is_some_and(|g| f == g || unstamped(f) == unstamped(g))
        })
}

/// The flags and segments whose stored form differs between two documents, and whether the
/// rest (environments, `$schema`, unknown top-level fields) does: what a store that keeps one
/// row per entry must write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryChanges {
    pub flags: Vec<String>,
    pub segments: Vec<String>,
    pub top: bool,
}

impl EntryChanges {
    pub fn between(before: &Document, after: &Document) -> EntryChanges {
        fn keys<T: PartialEq>(a: &BTreeMap<String, T>, b: &BTreeMap<String, T>) -> Vec<String> {
            let all: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            all.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .cloned()
                .collect()
        }
        EntryChanges {
            flags: keys(&before.flags, &after.flags),
            segments: keys(&before.segments, &after.segments),
            top: (&before.schema, &before.environments, &before.extra)
                != (&after.schema, &after.environments, &after.extra),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.segments.is_empty() && !self.top
    }
}
