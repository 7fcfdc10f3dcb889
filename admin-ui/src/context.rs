//! Handles shared through Leptos context (`provide_context` in [`crate::app`]): who is signed
//! in, the loaded document, notices, the confirmation dialog, and the list's filter (kept here
//! so it survives reloads of the document).

use std::sync::Arc;

use burgee_api::Identity;
use leptos::prelude::*;

use crate::api::{Api, ApiError};
use crate::state::catalog::Filter;
use crate::state::document::DocState;
use crate::state::route::Route;

const TOKEN_KEY: &str = "burgee-admin-token";

fn session_storage() -> Option<web_sys::Storage> {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()?.session_storage().ok()?
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// How the app proves who it is: a named token (kept for this tab's session only, in
/// `sessionStorage`), or the browser's session cookie (a person signed in with single
/// sign-on; the cookie is HttpOnly, so the app only ever learns that it works).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Token(String),
    Cookie,
}

/// The credential and who it is.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// `None`: signed out. Set before the identity while the app checks it.
    pub credential: RwSignal<Option<Credential>>,
    pub identity: RwSignal<Option<Identity>>,
}

impl Session {
    /// This tab's token if it has one; else the session cookie, to be checked, if the browser
    /// has one (a person who signed in with the provider comes back to the app with it).
    pub fn restore() -> Session {
        let token = session_storage()
            .and_then(|s| s.get_item(TOKEN_KEY).ok().flatten())
            .filter(|t| !t.is_empty());
        let credential = match token {
            Some(token) => Some(Credential::Token(token)),
            None => crate::api::may_have_session().then_some(Credential::Cookie),
        };
        Session {
            credential: RwSignal::new(credential),
            identity: RwSignal::new(None),
        }
    }

    pub fn sign_in(&self, credential: Credential, identity: Identity) {
        if let (Some(s), Credential::Token(token)) = (session_storage(), &credential) {
            let _ = s.set_item(TOKEN_KEY, token);
        }
        self.identity.set(Some(identity));
        // The same credential again (a reload confirming who it is): the document it already
        // fetched stays; setting it would fetch the document a second time.
        if self
            .credential
            .with_untracked(|c| c.as_ref() != Some(&credential))
        {
            self.credential.set(Some(credential));
        }
    }

    /// Forgets the token, or ends the session at the worker (its cookies cleared) first.
    pub fn sign_out(&self) {
        if self.by_cookie() {
            let session = *self;
            leptos::task::spawn_local(async move {
                // Signed out here whatever the answer: an expired session is gone anyway.
                let _ = Api::cookie().logout().await;
                session.forget();
            });
        } else {
            self.forget();
        }
    }

    /// Signed out in this tab (the cookie, if any, is left as it is).
    pub fn forget(&self) {
        if let Some(s) = session_storage() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        self.identity.try_set(None);
        self.credential.try_set(None);
    }

    /// Whether the app is signed in with the session cookie (not tracked).
    pub fn by_cookie(&self) -> bool {
        self.credential
            .with_untracked(|c| c == &Some(Credential::Cookie))
    }

    /// A client for the current credential (not tracked: for event handlers).
    pub fn api(&self) -> Api {
        self.credential.with_untracked(|c| match c {
            Some(Credential::Token(t)) => Api::new(t.clone()),
            _ => Api::cookie(),
        })
    }

    pub fn can_edit(&self) -> bool {
        self.identity
            .with(|i| i.as_ref().is_some_and(|i| i.role.can_edit()))
    }

    /// [`Session::can_edit`] without tracking: a page's role, fixed for as long as it is on
    /// screen (signing in again mounts every page anew). A page that tracked the identity
    /// would have its views re-run by a sign-out while the page is being torn down.
    pub fn can_edit_untracked(&self) -> bool {
        self.identity
            .with_untracked(|i| i.as_ref().is_some_and(|i| i.role.can_edit()))
    }

    pub fn can_admin(&self) -> bool {
        self.identity
            .with(|i| i.as_ref().is_some_and(|i| i.role.can_admin()))
    }
}

pub type DocResult = Result<Arc<DocState>, ApiError>;

/// The project's document, loaded once and reloaded after every write.
#[derive(Clone, Copy)]
pub struct Store {
    pub doc: LocalResource<DocResult>,
    /// True while a reload is under way (the old document stays on screen meanwhile).
    pub pending: RwSignal<bool>,
}

impl Store {
    pub fn new(session: Session) -> Store {
        let doc = LocalResource::new(move || {
            let credential = session.credential.get();
            async move {
                match credential {
                    Some(Credential::Token(token)) => {
                        Api::new(token).document().await.map(Arc::new)
                    }
                    Some(Credential::Cookie) => Api::cookie().document().await.map(Arc::new),
                    None => Err(ApiError::Unauthenticated("sign in first".into())),
                }
            }
        });
        Store {
            doc,
            pending: RwSignal::new(false),
        }
    }

    pub fn reload(&self) {
        self.doc.refetch();
    }

    /// The loaded document, if any (not tracked).
    pub fn current(&self) -> Option<Arc<DocState>> {
        self.doc.get_untracked().and_then(|r: DocResult| r.ok())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub tone: Tone,
    pub text: String,
    /// A page the notice is about (`href`, label).
    pub link: Option<(String, String)>,
}

/// Short messages after actions ("Saved as version 12"), announced politely.
#[derive(Clone, Copy, Debug)]
pub struct Notices {
    pub list: RwSignal<Vec<Notice>>,
    next: RwSignal<u64>,
}

impl Notices {
    pub fn new() -> Notices {
        Notices {
            list: RwSignal::new(Vec::new()),
            next: RwSignal::new(1),
        }
    }

    /// Shows `text` for a few seconds (errors longer). The same message again replaces the
    /// one on screen instead of stacking a copy, and starts its time anew.
    pub fn push(&self, tone: Tone, text: impl Into<String>) {
        self.push_with_link(tone, text.into(), None);
    }

    /// A failed write's notice, starting with `prefix`; a write held as a change request is no
    /// failure: it says so, with a link to the request.
    pub fn failed(&self, prefix: &str, e: ApiError) {
        match e {
            ApiError::Held(ref body) => {
                let href = Route::Request(body.request.id).href();
                let label = format!("Open change request #{}", body.request.id);
                self.push_with_link(Tone::Info, e.to_string(), Some((href, label)));
            }
            e => self.push(Tone::Error, format!("{prefix}{e}")),
        }
    }

    fn push_with_link(&self, tone: Tone, text: String, link: Option<(String, String)>) {
        let id = self.next.get_untracked();
        self.next.set(id + 1);
        self.list.update(|l| {
            l.retain(|n| n.text != text);
            l.push(Notice {
                id,
                tone,
                text,
                link,
            });
            if l.len() > 4 {
                l.remove(0);
            }
        });
        let list = self.list;
        #[cfg(target_arch = "wasm32")]
        set_timeout(
            move || list.update(|l| l.retain(|n| n.id != id)),
            std::time::Duration::from_secs(if tone == Tone::Error { 12 } else { 6 }),
        );
        #[cfg(not(target_arch = "wasm32"))]
        let _ = list;
    }

    pub fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|n| n.id != id));
    }
}

impl Default for Notices {
    fn default() -> Self {
        Notices::new()
    }
}

/// A question the confirmation dialog is asking.
#[derive(Clone)]
pub struct Question {
    pub title: String,
    pub body: String,
    /// Shown as a list under the body (what a restore changes); mostly empty.
    pub list: Vec<String>,
    /// Asks why as well, into this (a restore or revert, which a protected environment refuses
    /// without a reason).
    pub reason: Option<RwSignal<String>>,
    /// The confirm button waits for a reason (an environment the write touches requires one).
    pub reason_required: bool,
    pub confirm: String,
    pub danger: bool,
    pub on_confirm: Callback<()>,
}

/// The one confirmation dialog of the app.
#[derive(Clone, Copy)]
pub struct Confirm {
    pub question: RwSignal<Option<Question>>,
}

impl Confirm {
    pub fn ask(&self, question: Question) {
        self.question.set(Some(question));
    }
}

/// Whether the editor on screen holds edits that are not saved. While it does, leaving (a link,
/// Back, the top bar's Reload or Sign out, closing the tab) asks first; the app's own
/// navigation after a save or delete does not.
#[derive(Clone, Copy, Debug)]
pub struct Unsaved {
    pub edits: RwSignal<bool>,
}

impl Unsaved {
    /// Keeps [`Unsaved::edits`] in step with an editor's `changed` for as long as the editor
    /// is on screen.
    pub fn track(&self, changed: impl Fn() -> bool + Send + Sync + 'static) {
        let edits = self.edits;
        Effect::new(move |_| {
            let now = changed();
            if edits.get_untracked() != now {
                edits.set(now);
            }
        });
        on_cleanup(move || {
            edits.try_set(false);
        });
    }

    /// Runs `go` now if nothing is unsaved; otherwise asks first, and runs it (the edits
    /// dropped) only if the user agrees.
    pub fn leave(&self, confirm: Confirm, action: &str, go: impl Fn() + Send + Sync + 'static) {
        if !self.edits.get_untracked() {
            go();
            return;
        }
        let edits = self.edits;
        confirm.ask(Question {
            title: "Drop your unsaved changes?".into(),
            body: format!("You have changes that are not saved. {action} drops them."),
            confirm: "Drop changes".into(),
            list: Vec::new(),
            reason: None,
            reason_required: false,
            danger: true,
            on_confirm: Callback::new(move |_| {
                edits.set(false);
                go();
            }),
        });
    }
}

/// What an editor showed when its own save made the document reload: the reloaded editor is a
/// new page, and it comes back on the same tab, scrolled to the same place, with focus on the
/// same control, instead of at the top of its first tab.
#[derive(Clone, Copy, Debug)]
pub struct Keep {
    kept: RwSignal<Option<Kept>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub route: Route,
    /// The editor's own name for its tab.
    pub tab: Option<String>,
    scroll_y: f64,
    focus: Option<String>,
    at_ms: i64,
}

impl Keep {
    pub fn new() -> Keep {
        Keep {
            kept: RwSignal::new(None),
        }
    }

    /// Notes what is on screen now (called as a save starts).
    pub fn remember(&self, route: Route, tab: Option<String>) {
        #[cfg(target_arch = "wasm32")]
        let (scroll_y, focus) = (
            window().scroll_y().unwrap_or(0.0),
            document()
                .active_element()
                .map(|e| e.id())
                .filter(|id| !id.is_empty()),
        );
        #[cfg(not(target_arch = "wasm32"))]
        let (scroll_y, focus) = (0.0, None);
        self.kept.set(Some(Kept {
            route,
            tab,
            scroll_y,
            focus,
            at_ms: crate::now_ms(),
        }));
    }

    /// What was noted for `route` in the last few seconds, once; the scroll position and
    /// focus are put back after the page has rendered.
    pub fn restore(&self, route: &Route) -> Option<Kept> {
        let kept = self.kept.try_get_untracked().flatten()?;
        self.kept.set(None);
        if kept.route != *route || crate::now_ms() - kept.at_ms > 10_000 {
            return None;
        }
        #[cfg(target_arch = "wasm32")]
        {
            let (y, focus) = (kept.scroll_y, kept.focus.clone());
            request_animation_frame(move || {
                // The control, or (a Save button is disabled once saved) the editor's title.
                let ids = focus
                    .iter()
                    .map(String::as_str)
                    .chain(["editor-title", "segment-title"]);
                for id in ids {
                    if crate::components::focus_id(id) {
                        break;
                    }
                }
                window().scroll_to_with_x_and_y(0.0, y);
            });
        }
        Some(kept)
    }
}

impl Default for Keep {
    fn default() -> Self {
        Keep::new()
    }
}

/// The current route and how to go elsewhere.
#[derive(Clone, Copy, Debug)]
pub struct Nav {
    pub route: RwSignal<Route>,
}

impl Nav {
    pub fn go(&self, route: &Route) {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = window()
                .location()
                .set_hash(route.href().trim_start_matches('#'));
        }
        self.route.set(route.clone());
    }

    /// The address and the route become `route` in place: no new history entry, and no new
    /// page (the route is updated without notifying), so a list whose filter lives in the
    /// address keeps its focus while the address follows it.
    pub fn follow(&self, route: Route) {
        Nav::replace(&route.href());
        self.route.update_untracked(|r| *r = route);
    }

    /// Changes the address without a `hashchange` event or a new history entry (`href` is a
    /// fragment such as `#/flags/x/preview`, or a whole URL). The entry keeps its number.
    pub fn replace(href: &str) {
        #[cfg(target_arch = "wasm32")]
        if let Ok(history) = window().history() {
            let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
            let _ = history.replace_state_with_url(&state, "", Some(href));
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = href;
    }

    /// The current history entry's number, if the app has given it one. Entries are numbered
    /// in the order the tab went through them (kept in the entry's state, so they survive a
    /// reload), which tells a `hashchange` from Back, Forward or a new entry apart, and how far
    /// it went.
    pub fn entry() -> Option<i32> {
        #[cfg(target_arch = "wasm32")]
        {
            let state = window().history().ok()?.state().ok()?;
            let n = js_sys::Reflect::get(&state, &ENTRY.into()).ok()?.as_f64()?;
            Some(n as i32)
        }
        #[cfg(not(target_arch = "wasm32"))]
        None
    }

    /// Numbers the current history entry.
    pub fn number_entry(n: i32) {
        #[cfg(target_arch = "wasm32")]
        if let Ok(history) = window().history() {
            let state = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&state, &ENTRY.into(), &n.into());
            let _ = history.replace_state(&state, "");
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = n;
    }

    /// Moves `delta` entries through the tab's history (negative: back), as Back and Forward do.
    pub fn traverse(delta: i32) {
        #[cfg(target_arch = "wasm32")]
        if let Ok(history) = window().history() {
            let _ = history.go_with_delta(delta);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = delta;
    }

    /// The address's fragment now (`#/flags/x`), empty outside the browser.
    pub fn hash() -> String {
        #[cfg(target_arch = "wasm32")]
        {
            location_hash().unwrap_or_default()
        }
        #[cfg(not(target_arch = "wasm32"))]
        String::new()
    }
}

/// The key of a history entry's number in its state (see [`Nav::entry`]).
#[cfg(target_arch = "wasm32")]
const ENTRY: &str = "burgeeEntry";

/// The flag list's filter, kept across reloads and navigation.
#[derive(Clone, Copy, Debug)]
pub struct ListPrefs {
    pub filter: RwSignal<Filter>,
}

macro_rules! opaque_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).finish_non_exhaustive()
            }
        }
    )*};
}
pub(crate) use opaque_debug;

opaque_debug!(Store, Question, Confirm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_notice_again_replaces_the_one_on_screen() {
        let owner = Owner::new();
        owner.with(|| {
            let notices = Notices::new();
            notices.push(Tone::Error, "Fix the errors listed above before saving.");
            notices.push(Tone::Success, "Saved a as version 2");
            notices.push(Tone::Error, "Fix the errors listed above before saving.");
            let texts = notices
                .list
                .with(|l| l.iter().map(|n| n.text.clone()).collect::<Vec<_>>());
            assert_eq!(
                texts,
                [
                    "Saved a as version 2",
                    "Fix the errors listed above before saving."
                ]
            );
            for i in 0..6 {
                notices.push(Tone::Info, format!("n{i}"));
            }
            assert_eq!(notices.list.with(Vec::len), 4, "at most four at once");
        });
    }
}
