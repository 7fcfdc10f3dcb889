//! What the flag editor and the segment editor have in common, seen from the draft: the one
//! lifecycle both run (`crate::editor`) asks its draft only what [`EditableDraft`] says, so the
//! two cannot drift apart in how they load, check, save or merge an entry. Both drafts
//! implement it below, side by side: that is all that differs between the two lifecycles.
//!
//! The functions here are that lifecycle's decisions, kept as plain functions so that they are
//! tested natively.

use std::collections::BTreeMap;

use burgee_api::Written;
use burgee_core::model::{Document, Flag, Kind, Segment};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::document::DocState;
use super::draft::FlagDraft;
use super::fields::{DUPLICATE_KEY, MISSING_KEY, Problem, Problems, flag_pointer, segment_pointer};
use super::merge::{Merged, three_way};
use super::route::Route;
use super::segment_draft::SegmentDraft;
use crate::api::{Api, ApiError};

/// The store's answer to a write.
pub type Stored = Result<Written, ApiError>;

/// A draft of one entry of the document (a flag, a segment) that an editor holds.
pub trait EditableDraft: Clone + PartialEq + Send + Sync + 'static {
    /// The wire model the draft becomes.
    type Entry: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// What the page calls one: `flag`, `segment`.
    const NOUN: &'static str;
    /// Pseudo-pointer of a new entry's key input (its problems have no place in the document
    /// yet).
    const KEY_FIELD: &'static str;
    /// The list the entry is in (where deleting it goes).
    const LIST: Route;

    /// This kind of entry in a document, by key.
    fn entries(document: &Document) -> &BTreeMap<String, Self::Entry>;
    /// The draft of a new entry in `doc`.
    fn blank(doc: &DocState) -> Self;
    /// The draft of `entry`, stored under `key` in `doc`.
    fn load(key: &str, entry: &Self::Entry, doc: &DocState) -> Self;
    /// The key as typed.
    fn key(&self) -> &str;
    /// The entry's own JSON Pointer.
    fn pointer_for(key: &str) -> String;
    /// The wire model, and the problems only the editor can see.
    fn build(&self) -> (Self::Entry, Problems);
    /// The core's problems with `entry`, stored under `key`, in `doc`.
    fn validate(doc: &DocState, key: &str, entry: &Self::Entry) -> Problems;
    /// The entry's page.
    fn route(key: String) -> Route;

    /// How a notice names the entry: `daily-planning`, `segment staff`.
    fn named(key: &str) -> String;
    /// What deleting the entry does, said before it is deleted.
    fn delete_warning(key: &str) -> String;
    /// What Save asks before it writes `entry` where `original` was (`None`: it just saves):
    /// the question's title and body.
    fn save_question(
        _doc: &DocState,
        _key: &str,
        _original: Option<&Self::Entry>,
        _entry: &Self::Entry,
    ) -> Option<(String, String)> {
        None
    }
    /// What saving `entry` where `original` was changes, in words (the core's).
    fn changes(original: Option<&Self::Entry>, entry: &Self::Entry) -> Vec<String>;
    /// Stores `entry` under `key` (`None` deletes it), based on `version`.
    fn write(
        api: Api,
        key: String,
        entry: Option<Self::Entry>,
        version: u64,
    ) -> impl Future<Output = Stored> + 'static;
}

/// The problems of a new entry's key: none typed (only once a save was `tried`: a blank form
/// is not wrong before anything is typed), or one that is taken.
pub fn key_problems<D: EditableDraft>(document: &Document, key: &str, tried: bool) -> Vec<Problem> {
    let noun = D::NOUN;
    if key.trim().is_empty() {
        if !tried {
            return Vec::new();
        }
        return vec![Problem::error(
            D::KEY_FIELD,
            MISSING_KEY,
            format!("a new {noun} needs a key"),
        )];
    }
    if !D::entries(document).contains_key(key) {
        return Vec::new();
    }
    vec![Problem::error(
        D::KEY_FIELD,
        DUPLICATE_KEY,
        format!("a {noun} called `{key}` exists already"),
    )]
}

/// How far an entry's editor has got: whether it is a new entry, and whether a save was tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub is_new: bool,
    pub tried: bool,
}

/// Everything shown about a draft, in this order: its key's problems (a new entry), the core's
/// validation in `doc`, the editor's own (`local`), and the store's answer to the last save.
pub fn problems<D: EditableDraft>(
    doc: &DocState,
    key: &str,
    (entry, local): &(D::Entry, Problems),
    server: &Problems,
    progress: Progress,
) -> Problems {
    let mut all = Problems::default();
    if progress.is_new {
        all.extend(key_problems::<D>(&doc.document, key, progress.tried));
    }
    if !key.trim().is_empty() {
        all.extend(D::validate(doc, key, entry).all().iter().cloned());
    }
    all.extend(local.all().iter().cloned());
    all.extend(server.all().iter().cloned());
    all
}

/// After a `412`: `mine` (the draft, started from `base`) on top of what `theirs` holds under
/// `key` now. `None` when the entries cannot be merged as JSON (never expected).
pub fn merge_onto<D: EditableDraft>(
    base: Option<&D::Entry>,
    mine: &D::Entry,
    theirs: &DocState,
    key: &str,
) -> Option<Merged<D::Entry>> {
    three_way(base, mine, D::entries(&theirs.document).get(key)).ok()
}

impl EditableDraft for FlagDraft {
    type Entry = Flag;
    const NOUN: &'static str = "flag";
    const KEY_FIELD: &'static str = "#key";
    const LIST: Route = Route::Flags;

    fn entries(document: &Document) -> &BTreeMap<String, Flag> {
        &document.flags
    }

    fn blank(doc: &DocState) -> FlagDraft {
        FlagDraft::new_flag("", Kind::Boolean, &doc.document.environments)
    }

    fn load(key: &str, entry: &Flag, doc: &DocState) -> FlagDraft {
        FlagDraft::from_flag(key, entry, &doc.document.environments)
    }

    fn key(&self) -> &str {
        &self.key
    }

    fn pointer_for(key: &str) -> String {
        flag_pointer(key)
    }

    fn build(&self) -> (Flag, Problems) {
        self.to_flag()
    }

    fn validate(doc: &DocState, key: &str, entry: &Flag) -> Problems {
        doc.validate_flag(key, entry)
    }

    fn route(key: String) -> Route {
        Route::Flag(key)
    }

    fn named(key: &str) -> String {
        key.to_string()
    }

    fn delete_warning(key: &str) -> String {
        format!(
            "{key} disappears from every environment; callers get their own defaults. History keeps the old versions."
        )
    }

    fn save_question(
        doc: &DocState,
        key: &str,
        original: Option<&Flag>,
        entry: &Flag,
    ) -> Option<(String, String)> {
        crate::state::graph::kill_switch_question(&doc.document, key, original?, entry)
    }

    fn changes(original: Option<&Flag>, entry: &Flag) -> Vec<String> {
        burgee_core::describe::flag_changes(original, Some(entry))
    }

    async fn write(api: Api, key: String, entry: Option<Flag>, version: u64) -> Stored {
        match entry {
            Some(flag) => api.put_flag(&key, &flag, version).await,
            None => api.delete_flag(&key, version).await,
        }
    }
}

impl EditableDraft for SegmentDraft {
    type Entry = Segment;
    const NOUN: &'static str = "segment";
    const KEY_FIELD: &'static str = "#segment-key";
    const LIST: Route = Route::Segments;

    fn entries(document: &Document) -> &BTreeMap<String, Segment> {
        &document.segments
    }

    fn blank(_: &DocState) -> SegmentDraft {
        SegmentDraft::new_segment("")
    }

    fn load(key: &str, entry: &Segment, _: &DocState) -> SegmentDraft {
        SegmentDraft::from_segment(key, entry)
    }

    fn key(&self) -> &str {
        &self.key
    }

    fn pointer_for(key: &str) -> String {
        segment_pointer(key)
    }

    fn build(&self) -> (Segment, Problems) {
        (self.to_segment(), Problems::default())
    }

    /// Only the problems inside the segment: a segment's problems never break a flag, and
    /// another entry's are not this editor's to fix.
    fn validate(doc: &DocState, key: &str, entry: &Segment) -> Problems {
        doc.validate_segment(key, entry)
            .within(&segment_pointer(key))
    }

    fn route(key: String) -> Route {
        Route::Segment(key)
    }

    fn named(key: &str) -> String {
        format!("segment {key}")
    }

    fn delete_warning(_: &str) -> String {
        "Rules that use it would be left pointing at nothing, so the store refuses while any does."
            .into()
    }

    fn changes(original: Option<&Segment>, entry: &Segment) -> Vec<String> {
        burgee_core::describe::segment_changes(original, Some(entry))
    }

    async fn write(api: Api, key: String, entry: Option<Segment>, version: u64) -> Stored {
        match entry {
            Some(segment) => api.put_segment(&key, &segment, version).await,
            None => api.delete_segment(&key, version).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::example;
    use burgee_core::Code;

    fn example_state() -> DocState {
        DocState {
            version: 7,
            document: example(),
        }
    }

    #[test]
    fn a_new_key_is_missing_only_once_a_save_was_tried_and_never_taken() {
        let doc = example();
        assert!(key_problems::<FlagDraft>(&doc, " ", false).is_empty());
        let missing = key_problems::<FlagDraft>(&doc, " ", true);
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].pointer.as_str(), missing[0].message.as_str()),
            ("#key", "a new flag needs a key")
        );
        let taken = key_problems::<FlagDraft>(&doc, "daily-planning", false);
        assert_eq!(
            taken[0].message,
            "a flag called `daily-planning` exists already"
        );
        assert!(key_problems::<FlagDraft>(&doc, "something-new", true).is_empty());
        let segment = key_problems::<SegmentDraft>(&doc, "beta-testers", false);
        assert_eq!(
            (segment[0].pointer.as_str(), segment[0].message.as_str()),
            (
                "#segment-key",
                "a segment called `beta-testers` exists already"
            )
        );
        assert_eq!(
            key_problems::<SegmentDraft>(&doc, "", true)[0].message,
            "a new segment needs a key"
        );
    }

    #[test]
    fn problems_come_key_first_then_the_core_then_the_editor_then_the_store() {
        let doc = example_state();
        let mut draft = FlagDraft::blank(&doc);
        draft.key = "daily-planning".into();
        draft.variants[0].text = "maybe".into();
        let built = draft.build();
        let server = Problems::new(vec![Problem::error("/flags/x", "store", "refused")]);
        let new = Progress {
            is_new: true,
            tried: false,
        };
        let all = problems::<FlagDraft>(&doc, &draft.key, &built, &server, new);
        let codes: Vec<&str> = all.all().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes.first(), Some(&DUPLICATE_KEY));
        assert_eq!(codes.last(), Some(&"store"));
        assert!(codes.contains(&Code::InvalidValue.as_str()), "{codes:?}");
        // A stored entry's key is not checked; a blank key validates nothing.
        let stored = Progress {
            is_new: false,
            tried: true,
        };
        let none = Problems::default();
        let (flag, _) = built;
        let valid = (flag, none.clone());
        let found = problems::<FlagDraft>(&doc, "daily-planning", &valid, &none, stored);
        assert!(found.all().iter().all(|p| p.code != DUPLICATE_KEY));
        assert!(problems::<FlagDraft>(&doc, "", &valid, &none, new).is_empty());
    }

    #[test]
    fn segments_are_checked_only_inside_themselves() {
        let doc = example_state();
        let key = "beta-testers";
        let draft = SegmentDraft::load(key, &doc.document.segments[key], &doc);
        let (segment, local) = draft.build();
        assert!(local.is_empty());
        let mut broken = segment.clone();
        broken.rules.push(
            serde_json::from_value(serde_json::json!({
                "clauses": [{"op": "inSegment", "values": ["nowhere"]}]
            }))
            .unwrap(),
        );
        let found = SegmentDraft::validate(&doc, key, &broken);
        assert!(!found.is_empty());
        assert!(
            found
                .all()
                .iter()
                .all(|p| p.pointer.starts_with("/segments/beta-testers"))
        );
    }

    #[test]
    fn a_draft_merges_onto_their_version_field_by_field() {
        let doc = example_state();
        let key = "daily-planning";
        let base: Flag = doc.document.flags[key].clone();
        let mut draft = FlagDraft::load(key, &base, &doc);
        draft.description = "mine".into();
        let (mine, _) = draft.build();
        let mut theirs = doc.clone();
        let flag = theirs.document.flags.get_mut(key).unwrap();
        flag.name = Some("theirs".into());
        let merged = merge_onto::<FlagDraft>(Some(&base), &mine, &theirs, key).unwrap();
        assert_eq!(merged.value.name.as_deref(), Some("theirs"));
        assert_eq!(merged.value.description.as_deref(), Some("mine"));
        assert!(merged.both_changed.is_empty());
    }
}
