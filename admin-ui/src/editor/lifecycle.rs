//! The lifecycle of one editor page, whatever it edits: the entry and the document it was
//! loaded from, the draft, whether it holds unsaved edits, its problems, and what Save,
//! Discard, Delete and the answers to a `412` do to it.

use std::sync::Arc;

use leptos::prelude::*;

use super::write_flow::WriteFlow;
use crate::components::focus_pointer;
use crate::components::reason_question::ask_why;
use crate::context::{Confirm, Keep, Kept, Question, Session, Store, Unsaved};
use crate::state::document::DocState;
use crate::state::editable::{self, EditableDraft, Progress};
use crate::state::fields::Problems;
use crate::state::merge::Merged;

/// One editor's state and what it does (`Copy`: the editor's closures each hold one).
pub struct EditorLifecycle<D: EditableDraft> {
    /// The draft, one signal (editors read their part of it through memos, see `lens`).
    pub draft: RwSignal<D>,
    /// The document the draft is based on and validated against (their version after a
    /// `412` that the draft was put on top of).
    pub doc: StoredValue<Arc<DocState>>,
    /// Every problem shown: see [`editable::problems`].
    pub problems: Memo<Problems>,
    /// Whether the draft differs from the stored entry (a new entry always does).
    pub dirty: Memo<bool>,
    pub is_new: bool,
    /// The role's right to edit, fixed while the page is on screen.
    pub can_edit: Signal<bool>,
    pub flow: WriteFlow,
    /// The model built from the draft, and the editor's own problems with it.
    built: Memo<(D::Entry, Problems)>,
    /// What Discard goes back to.
    initial: StoredValue<D>,
    /// The stored entry the draft started from (`None`: a new one), the base of a merge.
    original: StoredValue<Option<D::Entry>>,
    /// The editor's own name for what it shows (a tab), kept across its own save.
    place: StoredValue<Option<Callback<(), String>>>,
    keep: Keep,
    confirm: Confirm,
    session: Session,
    store: Store,
}

impl<D: EditableDraft> Clone for EditorLifecycle<D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D: EditableDraft> Copy for EditorLifecycle<D> {}

impl<D: EditableDraft> EditorLifecycle<D> {
    /// The editor of the entry `key` in `doc` (a new one without a key); `None` when `doc`
    /// has no such entry.
    pub fn new(doc: Arc<DocState>, key: Option<&str>) -> Option<EditorLifecycle<D>> {
        let original = match key {
            Some(k) => Some(D::entries(&doc.document).get(k)?.clone()),
            None => None,
        };
        let is_new = original.is_none();
        let initial = match (key, &original) {
            (Some(k), Some(entry)) => D::load(k, entry, &doc),
            _ => D::blank(&doc),
        };
        let draft = RwSignal::new(initial.clone());
        let flow = WriteFlow::new(doc.version);
        let doc = StoredValue::new(doc);
        let built = Memo::new(move |_| draft.with(D::build));
        // A change makes the store's last answer stale.
        Effect::new(move |prev: Option<()>| {
            draft.track();
            if prev.is_some() {
                flow.server_problems.set(Problems::default());
                // The review words the draft it was opened for.
                flow.review.set(None);
            }
        });
        let problems = Memo::new(move |_| {
            let key = draft.with(|d| d.key().to_string());
            let progress = Progress {
                is_new,
                tried: flow.tried.get(),
            };
            let server = flow.server_problems.get();
            built.with(|b| {
                doc.with_value(|d| editable::problems::<D>(d, &key, b, &server, progress))
            })
        });
        let original = StoredValue::new(original);
        let dirty = Memo::new(move |_| {
            is_new || original.with_value(|o| built.with(|(e, _)| Some(e) != o.as_ref()))
        });
        let initial = StoredValue::new(initial);
        // What leaving would lose: for a new one, anything typed at all.
        expect_context::<Unsaved>().track(move || {
            if is_new {
                draft
                    .try_with(|d| initial.with_value(|i| d != i))
                    .unwrap_or(false)
            } else {
                dirty.try_get().unwrap_or(false)
            }
        });
        Some(EditorLifecycle {
            draft,
            doc,
            problems,
            dirty,
            is_new,
            can_edit: Signal::stored(expect_context::<Session>().can_edit_untracked()),
            flow,
            built,
            initial,
            original,
            place: StoredValue::new(None),
            keep: expect_context::<Keep>(),
            confirm: expect_context::<Confirm>(),
            session: expect_context::<Session>(),
            store: expect_context::<Store>(),
        })
    }

    /// The key as typed, trimmed (not tracked).
    pub fn key(&self) -> String {
        self.draft.with_untracked(|d| d.key().trim().to_string())
    }

    /// The entry's pointer (tracked: a new entry's key may change).
    pub fn pointer(&self) -> String {
        self.draft.with(|d| D::pointer_for(d.key()))
    }

    /// Names what the editor shows (its tab), so that its own save comes back to it.
    pub fn name_place(&self, place: Callback<(), String>) {
        self.place.set_value(Some(place));
    }

    /// Back from this entry's own save: what the editor showed then (see [`Keep`]), whose
    /// scroll position and focus come back after the page has rendered.
    pub fn restore(&self) -> Option<Kept> {
        if self.is_new {
            return None;
        }
        self.keep.restore(&D::route(self.key()))
    }

    /// Saves the draft, based on the version it was loaded from; a new entry's page follows.
    /// Saving a new entry navigates to it: the page is replaced while this one's view can still
    /// be notified (the document reload under `<Transition>`), so the views read the editor's
    /// own signals with `try_get` (a disposed signal would abort the app).
    pub fn save(self) {
        self.save_after(false);
    }

    /// Save, with its review unless the changes were `reviewed` already (the conflict panel's
    /// "on top of theirs" after a review).
    fn save_after(self, reviewed: bool) {
        let (entry, _) = self.built.get_untracked();
        let key = self.key();
        // Where the page is now, not where the review (which takes the focus) brings it.
        let place = self.place.get_value().map(|p| p.run(()));
        self.keep.remember(D::route(key.clone()), place);
        let question = self.original.with_value(|o| {
            self.doc
                .with_value(|d| D::save_question(d, &key, o.as_ref(), &entry))
        });
        let has_errors = self.problems.with_untracked(Problems::has_errors) || key.is_empty();
        // An entry with errors is not written anyway: its problems are shown first.
        if has_errors {
            return self.write(entry);
        }
        match question {
            Some((title, body)) => self.confirm.ask(Question {
                title,
                body,
                confirm: "Save".into(),
                list: Vec::new(),
                reason: None,
                reason_required: false,
                danger: true,
                on_confirm: Callback::new(move |_| self.review(&entry, reviewed)),
            }),
            None => self.review(&entry, reviewed),
        }
    }

    /// Before it writes, a save shows what it changes (see `components::review`).
    fn review(self, entry: &D::Entry, reviewed: bool) {
        if reviewed {
            return self.write(entry.clone());
        }
        let lines = self.original.with_value(|o| D::changes(o.as_ref(), entry));
        self.flow.open_review(lines);
    }

    /// The review accepted: writes the draft as it is now, with the reason typed.
    pub fn confirm_review(self) {
        let (entry, _) = self.built.get_untracked();
        self.write(entry);
    }

    fn write(self, entry: D::Entry) {
        let key = self.key();
        let has_errors = self.problems.with_untracked(Problems::has_errors) || key.is_empty();
        let k = key.clone();
        self.flow.save(
            has_errors,
            D::named(&key),
            self.is_new.then(|| D::route(key)),
            move |api, version| D::write(api, k, Some(entry), version),
        );
    }

    /// Back to the entry as loaded.
    pub fn discard(self) {
        self.draft.set(self.initial.get_value());
        self.flow.server_problems.set(Problems::default());
    }

    /// Asks, with a reason (see `components::reason_question`), then deletes the entry and goes
    /// to its list.
    pub fn delete(self) {
        let key = self.key();
        let flow = self.flow;
        let environments = self.doc.with_value(|d| d.document.environments.clone());
        let api = self.session.api();
        ask_why(self.confirm, api, environments, true, move |reason| {
            Question {
                title: format!("Delete {}?", D::named(&key)),
                body: D::delete_warning(&key),
                confirm: "Delete".into(),
                list: Vec::new(),
                reason: None,
                reason_required: false,
                danger: true,
                on_confirm: Callback::new(move |_| {
                    let (k, why) = (key.clone(), reason.get_untracked());
                    flow.delete(D::named(&key), D::LIST, move |api, version| {
                        D::write(api.with_reason(&why), k, None, version)
                    });
                }),
            }
        });
    }

    /// After a `412`: this draft's changes on top of the version the store has now.
    pub fn merge_onto(self, theirs: &DocState) -> Option<Merged<D::Entry>> {
        let (mine, _) = self.built.get_untracked();
        self.original
            .with_value(|o| editable::merge_onto::<D>(o.as_ref(), &mine, theirs, &self.key()))
    }

    /// After a `412`, "reload their version": the document reloads, and this page with it.
    pub fn reload(self) {
        self.flow.conflict.set(None);
        self.store.reload();
    }

    /// After a `412`, "save my changes on top of theirs".
    pub fn overwrite(self, theirs: Arc<DocState>) {
        self.flow.conflict.set(None);
        self.rebase(theirs);
        self.save_after(true);
    }

    /// The editor continues from their version: it is what the draft is now based on,
    /// validated against and discarded back to.
    fn rebase(self, theirs: Arc<DocState>) {
        let Some(merged) = self.merge_onto(&theirs) else {
            return;
        };
        let key = self.key();
        let now = D::entries(&theirs.document).get(&key).cloned();
        if let Some(entry) = &now {
            self.initial.set_value(D::load(&key, entry, &theirs));
        }
        self.original.set_value(now);
        self.draft.set(D::load(&key, &merged.value, &theirs));
        self.flow.base_version.set(theirs.version);
        self.doc.set_value(theirs);
    }

    /// A new entry's save met a newer version (`theirs`): its base becomes that version; it
    /// saves again, unless the key was taken meanwhile (the key field then says so).
    pub fn rebase_new(self, theirs: Arc<DocState>) {
        let key = self.key();
        let taken = D::entries(&theirs.document).contains_key(&key);
        let version = theirs.version;
        self.doc.set_value(theirs);
        let draft = self.draft;
        self.flow.rebase_new(
            &format!("a {} called `{key}`", D::NOUN),
            taken,
            version,
            // Reviewed already: it writes at once.
            || self.confirm_review(),
            || {
                // The problems read the document (not a signal): recompute them.
                draft.update(|_| {});
                focus_pointer(D::KEY_FIELD.to_string());
            },
        );
    }
}

impl<D: EditableDraft> std::fmt::Debug for EditorLifecycle<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditorLifecycle")
            .field("noun", &D::NOUN)
            .field("is_new", &self.is_new)
            .finish_non_exhaustive()
    }
}
