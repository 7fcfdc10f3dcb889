//! What an editor does around a write: the version the draft is based on, the store's problems
//! with it, the `412` conflict, and the "saving" state. Not generic over the draft, so the app
//! has one copy of it, and the two editors cannot answer the same store response differently.

use leptos::prelude::*;

use burgee_api::{Code, Written};

use crate::api::{Api, ApiError};
use crate::context::{Nav, Notices, Session, Store, Tone};
use crate::state::fields::Problems;
use crate::state::route::Route;

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
    /// Whether a save was tried: problems a blank form has from the start (a new flag's
    /// missing key) show only from then on, not before the user has typed anything.
    pub tried: RwSignal<bool>,
    /// The review before a save: what it changes, in words (`None`: no review is open).
    pub review: RwSignal<Option<Vec<String>>>,
    /// Why, as typed in the review; sent with the save.
    pub reason: RwSignal<String>,
    /// The store's refusal of a save without a reason (a protected environment), shown at it.
    pub reason_problem: RwSignal<Option<String>>,
    session: Session,
    notices: Notices,
    nav: Nav,
    store: Store,
}

impl WriteFlow {
    pub fn new(version: u64) -> WriteFlow {
        WriteFlow {
            base_version: RwSignal::new(version),
            server_problems: RwSignal::new(Problems::default()),
            conflict: RwSignal::new(None),
            saving: RwSignal::new(false),
            tried: RwSignal::new(false),
            review: RwSignal::new(None),
            reason: RwSignal::new(String::new()),
            reason_problem: RwSignal::new(None),
            session: expect_context::<Session>(),
            notices: expect_context::<Notices>(),
            nav: expect_context::<Nav>(),
            store: expect_context::<Store>(),
        }
    }

    /// Whether the buttons that write wait: a save is running (or the editor is gone).
    pub fn busy(&self) -> bool {
        self.saving.try_get().unwrap_or(true)
    }

    /// Saves `what` ("daily-planning", "segment staff"), unless the draft has errors: `write`
    /// gets the API and the base version. Once the store has it: a notice with the new
    /// version, the page of a new thing (`created`), and the document reloaded. A refusal is
    /// shown where it belongs.
    pub fn save<W, F>(self, has_errors: bool, what: String, created: Option<Route>, write: W)
    where
        W: FnOnce(Api, u64) -> F,
        F: Future<Output = Result<Written, ApiError>> + 'static,
    {
        self.tried.set(true);
        if has_errors {
            self.notices
                .push(Tone::Error, "Fix the errors listed above before saving.");
            return;
        }
        self.reason_problem.set(None);
        let version = self.base_version.get_untracked();
        let api = self.session.api().with_reason(&self.reason.get_untracked());
        let request = write(api, version);
        self.saving.set(true);
        leptos::task::spawn_local(async move {
            let result = request.await;
            if let Err(ApiError::Other {
                code: Code::ReasonRequired,
                message,
                ..
            }) = &result
            {
                self.reason_problem.try_set(Some(message.clone()));
            } else {
                self.review.try_set(None);
                if let Some(w) = self.settle(version, result, "") {
                    self.reason.try_set(String::new());
                    let message = format!("Saved {what} as version {}", w.version);
                    self.done(message, created.as_ref());
                }
            }
            self.saving.try_set(false);
        });
    }

    /// Opens the review of a save that changes what `lines` say.
    pub fn open_review(self, lines: Vec<String>) {
        self.reason_problem.set(None);
        self.review.set(Some(lines));
    }

    /// A new flag's or segment's save met a newer version (`version`): the draft is now based on
    /// it, and saves again (`retry`), unless someone created the same key meanwhile (`taken`):
    /// then a notice names `what` ("a flag called `x`") and `rekey` points at the key field.
    pub fn rebase_new(
        self,
        what: &str,
        taken: bool,
        version: u64,
        retry: impl FnOnce(),
        rekey: impl FnOnce(),
    ) {
        self.conflict.set(None);
        self.base_version.set(version);
        if taken {
            self.notices.push(
                Tone::Error,
                format!("Someone created {what} meanwhile: choose another key, or open theirs from the list."),
            );
            rekey();
        } else {
            retry();
        }
    }

    /// Deletes `what`, then goes to `after` (the list it was in). A failure names it
    /// ("daily-planning was not deleted: …").
    pub fn delete<W, F>(self, what: String, after: Route, write: W)
    where
        W: FnOnce(Api, u64) -> F,
        F: Future<Output = Result<Written, ApiError>> + 'static,
    {
        let failed = format!("{what} was not deleted: ");
        let done = move |w: &Written| format!("Deleted {what} (version {})", w.version);
        self.act(failed, done, Some(after), write);
    }

    /// A write that is no save (delete, archive, restore): `write` gets the API and the base
    /// version; once the store has it, the notice `done` words, the page `after` (if any) and
    /// the document reloaded. A failure is a notice starting with `failed`.
    pub fn act<W, F>(
        self,
        failed: String,
        done: impl FnOnce(&Written) -> String + 'static,
        after: Option<Route>,
        write: W,
    ) where
        W: FnOnce(Api, u64) -> F,
        F: Future<Output = Result<Written, ApiError>> + 'static,
    {
        let version = self.base_version.get_untracked();
        let request = write(self.session.api(), version);
        leptos::task::spawn_local(async move {
            if let Some(w) = self.settle(version, request.await, &failed) {
                self.done(done(&w), after.as_ref());
            }
        });
    }

    fn done(self, message: String, go: Option<&Route>) {
        self.notices.push(Tone::Success, message);
        if let Some(route) = go {
            self.nav.go(route);
        }
        self.store.reload();
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
            Err(e) => self.notices.failed(prefix, e),
        }
        None
    }
}
