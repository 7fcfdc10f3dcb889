//! Handles onto one part of a draft held in a signal, so that nested editors read and change
//! their part without passing closures through every level.
//!
//! The draft is one signal, so everything that reads it directly runs again on every keystroke
//! anywhere in the flag. Editors therefore read their part through a [`Memo`] ([`EnvLens::memo`],
//! [`FlagEdit::base`], [`FlagEdit::variant_names`]): the memo runs again (a cheap clone), but
//! what reads it runs only when that part changed. On a flag of 30 rules and a 2,000-id target
//! list this took a keystroke from about 75 ms to about 20 ms to the painted frame, of which
//! about 16 ms is the wait for the frame itself (the perf browser test prints both).

use std::sync::Arc;

use leptos::prelude::*;

use crate::state::document::DocState;
use crate::state::draft::{EnvDraft, FlagDraft};
use crate::state::fields::{Problems, flag_pointer, pointer};

/// What every part of the flag editor shares (provided by `FlagEditor`).
#[derive(Clone, Copy)]
pub struct FlagEdit {
    pub draft: RwSignal<FlagDraft>,
    pub problems: Signal<Problems>,
    pub can_edit: Signal<bool>,
    pub doc: StoredValue<Arc<DocState>>,
    /// The flag's key (changes only when a new flag's key does).
    pub key: Memo<String>,
    /// The flag's own pointer.
    pub base: Memo<String>,
    /// The variants' names (changes only when they do).
    pub variant_names: Memo<Vec<String>>,
}

impl FlagEdit {
    pub fn new(
        draft: RwSignal<FlagDraft>,
        problems: Signal<Problems>,
        can_edit: Signal<bool>,
        doc: StoredValue<Arc<DocState>>,
    ) -> FlagEdit {
        let key = Memo::new(move |_| draft.with(|d| d.key.clone()));
        FlagEdit {
            key,
            draft,
            problems,
            can_edit,
            doc,
            base: Memo::new(move |_| key.with(|k| flag_pointer(k))),
            variant_names: Memo::new(move |_| draft.with(FlagDraft::variant_names)),
        }
    }

    /// A pointer into the flag being edited (tracked: a new flag's key may change).
    pub fn at(&self, tokens: &[&str]) -> String {
        self.base.with(|b| pointer(b, tokens))
    }

    pub fn variants(&self) -> Vec<String> {
        self.variant_names.get()
    }

    pub fn env(&self, name: String) -> EnvLens {
        EnvLens {
            edit: *self,
            name: StoredValue::new(name),
        }
    }
}

/// One environment of the flag being edited.
#[derive(Clone, Copy)]
pub struct EnvLens {
    pub edit: FlagEdit,
    pub name: StoredValue<String>,
}

impl EnvLens {
    pub fn name(&self) -> String {
        self.name.get_value()
    }

    /// Reads the environment (tracked).
    pub fn with<R>(&self, f: impl FnOnce(&EnvDraft) -> R) -> Option<R> {
        self.name
            .with_value(|n| self.edit.draft.with(|d| d.env(n).map(f)))
    }

    /// A part of the environment, read by what depends on that part only.
    pub fn memo<T>(&self, f: impl Fn(&EnvDraft) -> T + Send + Sync + 'static) -> Memo<Option<T>>
    where
        T: PartialEq + Send + Sync + 'static,
    {
        let lens = *self;
        Memo::new(move |_| lens.with(&f))
    }

    /// Changes the environment; `f` also gets the flag's variant names.
    pub fn update(&self, f: impl FnOnce(&mut EnvDraft, &[String])) {
        self.name.with_value(|n| {
            self.edit.draft.update(|d| {
                let variants = d.variant_names();
                if let Some(env) = d.env_mut(n) {
                    f(env, &variants);
                }
            })
        })
    }

    /// The variant that turns the flag on in this environment ([`FlagDraft::on_variant`]; not
    /// tracked: for handlers and defaults).
    pub fn on_variant(&self) -> String {
        self.name.with_value(|n| {
            self.edit.draft.with_untracked(|d| {
                let off = d.env(n).map(|e| e.off_variant.clone()).unwrap_or_default();
                d.on_variant(&off)
            })
        })
    }

    pub fn at(&self, tokens: &[&str]) -> String {
        let base = self.name.with_value(|n| self.edit.at(&["environments", n]));
        pointer(&base, tokens)
    }
}

crate::context::opaque_debug!(FlagEdit, EnvLens);
