//! The frame around every page: navigation, the document's version, who is signed in.

use leptos::prelude::*;

use crate::context::{Confirm, Nav, Session, Store, Unsaved};
use crate::state::route::Route;

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
                </span>
                <button type="button" class="button small" on:click=move |_| unsaved.leave(confirm, "Signing out", move || session.sign_out())>
                    "Sign out"
                </button>
            </div>
        </header>
        <main id="main" tabindex="-1" data-pointer="#main">{children()}</main>
    }
}
