//! Handles onto one part of a draft held in a signal, so that nested editors read and change
//! their part without passing closures through every level.

use std::sync::Arc;

use leptos::prelude::*;

use crate::state::document::DocState;
use crate::state::draft::{EnvDraft, FlagDraft};
use crate::state::fields::{Problems, pointer};

/// What every part of the flag editor shares (provided by `FlagEditor`).
#[derive(Clone, Copy)]
pub struct FlagEdit {
    pub draft: RwSignal<FlagDraft>,
    pub problems: Signal<Problems>,
    pub can_edit: Signal<bool>,
    pub doc: StoredValue<Arc<DocState>>,
}

impl FlagEdit {
    /// A pointer into the flag being edited (tracked: a new flag's key may change).
    pub fn at(&self, tokens: &[&str]) -> String {
        self.draft.with(|d| d.at(tokens))
    }

    pub fn variants(&self) -> Vec<String> {
        self.draft.with(FlagDraft::variant_names)
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

    pub fn at(&self, tokens: &[&str]) -> String {
        let base = self.name.with_value(|n| self.edit.at(&["environments", n]));
        pointer(&base, tokens)
    }
}

crate::context::opaque_debug!(FlagEdit, EnvLens);
