//! What the flag and segment editors do around a write: the version the draft is based on,
//! the store's problems with it, the `412` conflict, and the "saving" state. One place, so the
//! two editors cannot answer the same store response differently.

use leptos::prelude::*;

use crate::api::{ApiError, Written};
use crate::context::{Notices, Session, Tone};
use crate::state::fields::Problems;

/// The signals of one editor's writes (`Copy`: the editor's closures each hold one).
#[derive(Clone, Copy, Debug)]
pub struct WriteFlow {
    /// The document version the draft was loaded from: every write is based on it (`If-Match`).
    pub base_version: RwSignal<u64>,
    /// The store's `422` problems with the last save, shown at their fields until the next edit.
    pub server_problems: RwSignal<Problems>,
    /// `(based on, current)` after a `412`: the conflict panel is open.
    pub conflict: RwSignal<Option<(u64, Option<u64>)>>,
    pub saving: RwSignal<bool>,
    session: Session,
    notices: Notices,
}

impl WriteFlow {
    pub fn new(version: u64) -> WriteFlow {
        WriteFlow {
            base_version: RwSignal::new(version),
            server_problems: RwSignal::new(Problems::default()),
            conflict: RwSignal::new(None),
            saving: RwSignal::new(false),
            session: expect_context::<Session>(),
            notices: expect_context::<Notices>(),
        }
    }

    /// Whether a save is running (false once the editor is gone).
    pub fn busy(&self) -> bool {
        self.saving.try_get().unwrap_or(true)
    }

    /// Saves, unless the draft has errors: `write` gets the API and the base version; on
    /// success `done` gets the new version. A refusal is shown where it belongs.
    pub fn save<W, F>(self, has_errors: bool, write: W, done: impl FnOnce(Written) + 'static)
    where
        W: FnOnce(crate::api::Api, u64) -> F,
        F: Future<Output = Result<Written, ApiError>> + 'static,
    {
        if has_errors {
            self.notices
                .push(Tone::Error, "Fix the errors listed above before saving.");
            return;
        }
        let version = self.base_version.get_untracked();
        let request = write(self.session.api(), version);
        self.saving.set(true);
        leptos::task::spawn_local(async move {
            let result = request.await;
            if let Some(written) = self.settle(version, result, "") {
                done(written);
            }
            self.saving.try_set(false);
        });
    }

    /// Deletes: the same as [`WriteFlow::save`] without the draft's errors; `what` names the
    /// deleted thing in a failure ("daily-planning was not deleted: …").
    pub fn delete<W, F>(self, what: String, write: W, done: impl FnOnce(Written) + 'static)
    where
        W: FnOnce(crate::api::Api, u64) -> F,
        F: Future<Output = Result<Written, ApiError>> + 'static,
    {
        let version = self.base_version.get_untracked();
        let request = write(self.session.api(), version);
        leptos::task::spawn_local(async move {
            let prefix = format!("{what} was not deleted: ");
            if let Some(written) = self.settle(version, request.await, &prefix) {
                done(written);
            }
        });
    }

    /// The store's answer to a write based on `version`: `Some` when it was accepted;
    /// otherwise the conflict panel, the problems at their fields, the sign-in form (a token
    /// that is no longer valid) or a notice, prefixed by `prefix`.
    fn settle(
        self,
        version: u64,
        result: Result<Written, ApiError>,
        prefix: &str,
    ) -> Option<Written> {
        match result {
            Ok(written) => return Some(written),
            Err(ApiError::Conflict { current, .. }) => {
                self.conflict.try_set(Some((version, current)));
            }
            Err(ApiError::Invalid { problems, message }) => {
                self.notices.push(
                    Tone::Error,
                    format!("{prefix}The store refused the change: {message}"),
                );
                self.server_problems.try_set(Problems::new(problems));
            }
            Err(ApiError::Unauthenticated(_)) => self.session.sign_out(),
            Err(e) => self.notices.push(Tone::Error, format!("{prefix}{e}")),
        }
        None
    }
}
