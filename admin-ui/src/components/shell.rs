//! The frame around every page: navigation, the document's version, who is signed in.

use burgee_api::VersionEntry;
use leptos::prelude::*;

use crate::context::{Confirm, Credential, Nav, Session, Store, Unsaved};
use crate::state::route::Route;
use crate::state::values::display_stamp;

/// How often an open app asks whether someone saved a newer version.
#[cfg(target_arch = "wasm32")]
const NEWER_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let nav = expect_context::<Nav>();
    let unsaved = expect_context::<Unsaved>();
    let confirm = expect_context::<Confirm>();

    let link = move |route: Route, label: &'static str| {
        let section = route.section();
        let href = route.href();
        view! {
            <a
                href=href
                class="nav-link"
                aria-current=move || {
                    (nav.route.with(|r| r.section()) == section).then_some("page")
                }
            >
                {label}
            </a>
        }
    };
    let version = move || {
        store
            .doc
            .get()
            .and_then(|r| r.ok())
            .map(|d| format!("version {}", d.version))
            .unwrap_or_default()
    };
    // Someone else saved since this document was loaded: said at the top of every page, with a
    // way to load it (which asks first while an editor has unsaved edits). Asked every few
    // seconds while the tab is visible: the newest history entry is one small read.
    let newer = RwSignal::new(None::<VersionEntry>);
    #[cfg(target_arch = "wasm32")]
    {
        let poll = move || {
            if document().hidden() {
                return;
            }
            let Some(loaded) = store.current().map(|d| d.version) else {
                return;
            };
            let api = session.api();
            leptos::task::spawn_local(async move {
                if let Ok(list) = api.history(1, None).await {
                    let latest = list.into_iter().next().filter(|v| v.version > loaded);
                    newer.try_set(latest);
                }
            });
        };
        if let Ok(handle) = set_interval_with_handle(poll, NEWER_EVERY) {
            on_cleanup(move || handle.clear());
        }
    }
    // A document loaded since then is at least as new.
    Effect::new(move |_| {
        if let Some(Ok(d)) = store.doc.get()
            && newer.with_untracked(|n| n.as_ref().is_some_and(|n| n.version <= d.version))
        {
            newer.set(None);
        }
    });
    let who = move || {
        session
            .identity
            .get()
            .map(|i| (i.name.clone(), i.role.as_str()))
            .unwrap_or_default()
    };

    view! {
        // Not a `#main` link: fragments are routes here.
        <button type="button" class="skip" on:click=move |_| super::focus_pointer("#main".into())>
            "Skip to content"
        </button>
        <header class="topbar">
            <a class="brand" href="#/flags">"Burgee"</a>
            <nav aria-label="Sections">
                {link(Route::Flags, "Flags")}
                {link(Route::Segments, "Segments")}
                {link(Route::Evaluate, "Evaluate as")}
                {link(Route::History, "History")}
                {link(Route::Stale, "Stale")}
                {link(Route::Requests(Default::default()), "Requests")}
                {link(Route::Audit(Default::default()), "Audit")}
            </nav>
            <div class="session">
                <span class="version" data-testid="doc-version">
                    {version}
                    <span class="spinner" aria-hidden="true" class:on=move || store.pending.get()></span>
                </span>
                <button type="button" class="button small" on:click=move |_| unsaved.leave(confirm, "Reloading", move || store.reload()) title="Load the latest version">
                    "Reload"
                </button>
                <span class="who" data-testid="who">
                    {move || who().0} " " <span class="role">{move || who().1}</span>
                    // Named tokens are for automation: say so, so nobody takes one for a person.
                    {move || {
                        session
                            .credential
                            .with(|c| matches!(c, Some(Credential::Token(_))))
                            .then(|| view! { " " <span class="muted" title="Signed in with a named admin token">"(token)"</span> })
                    }}
                </span>
                <button type="button" class="button small" on:click=move |_| unsaved.leave(confirm, "Signing out", move || session.sign_out())>
                    "Sign out"
                </button>
            </div>
        </header>
        {move || {
            newer.get().map(|v| {
                view! {
                    <div class="newer" role="status" data-testid="newer">
                        <span>
                            {format!("Version {} was saved by {} at {}", v.version, v.actor, display_stamp(&v.at))}
                            <span class="muted">{format!(" ({})", v.summary)}</span>
                        </span>
                        <button
                            type="button"
                            class="button small primary"
                            on:click=move |_| unsaved.leave(confirm, "Loading it", move || store.reload())
                        >
                            "Load it"
                        </button>
                    </div>
                }
            })
        }}
        <main id="main" tabindex="-1" data-pointer="#main">{children()}</main>
    }
}
