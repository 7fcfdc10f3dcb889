//! The root: shared context, sign-in, and the router (routes are URL fragments, see
//! [`Route`]).

use std::sync::Arc;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::{
    attribute_list::AttributeList, confirm_dialog::ConfirmDialog, evaluate_page::EvaluatePage,
    flag_editor::FlagEditor, flags_page::FlagsPage, history_page::HistoryPage, login::Login,
    notices::NoticeList, segment_editor::SegmentEditor, segments_page::SegmentsPage, shell::Shell,
    stale_page::StalePage,
};
use crate::context::{Confirm, Keep, ListPrefs, Nav, Notices, Session, Store, Unsaved};
use crate::state::audit::AuditQuery;
use crate::state::catalog::Filter;
use crate::state::document::DocState;
use crate::state::review::RequestQuery;
use crate::state::route::Route;

fn current_route() -> Route {
    Route::parse(&Nav::hash())
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::restore();
    let store = Store::new(session);
    let nav = Nav {
        route: RwSignal::new(current_route()),
    };
    provide_context(session);
    provide_context(store);
    provide_context(nav);
    provide_context(Notices::new());
    let confirm = Confirm {
        question: RwSignal::new(None),
    };
    provide_context(confirm);
    provide_context(ListPrefs {
        filter: RwSignal::new(Filter::default()),
    });
    let unsaved = Unsaved {
        edits: RwSignal::new(false),
    };
    provide_context(unsaved);
    provide_context(Keep::new());

    #[cfg(target_arch = "wasm32")]
    {
        // Where in the tab's history the app is (see `Nav::entry`), and, while the app steps
        // back to where it was before asking, how many entries back the user had gone.
        let at = StoredValue::new(Nav::entry().unwrap_or(0));
        if Nav::entry().is_none() {
            Nav::number_entry(0);
        }
        let undoing = StoredValue::new(None::<i32>);
        // A link, Back or Forward. The app's own `Nav::go` sets the route before the event
        // arrives, so only the user's navigation is checked for unsaved edits.
        let hash = window_event_listener_untyped("hashchange", move |ev| {
            // A new entry (a link, `Nav::go`) comes after the one it left; Back and Forward
            // land on an entry that has its number already.
            let from = at.get_value();
            let to = Nav::entry().unwrap_or_else(|| {
                Nav::number_entry(from + 1);
                from + 1
            });
            at.set_value(to);
            if let Some(back) = undoing.get_value() {
                // Back where it was: now ask (a Back pressed meanwhile is asked about after).
                undoing.set_value(None);
                unsaved.leave(confirm, "Leaving this page", move || Nav::traverse(-back));
                return;
            }
            let next = current_route();
            let here = nav.route.get_untracked();
            if here == next {
                return;
            }
            if !unsaved.edits.get_untracked() {
                nav.route.set(next);
                return;
            }
            // The page on screen is still `here`. Before we ask, the address and the history go
            // back to it exactly: the move is undone (Forward keeps where the user was going),
            // and leaving makes the same move again, so Back and Forward behave as if nothing
            // had been asked.
            let back = from - to;
            if back != 0 {
                undoing.set_value(Some(back));
                Nav::traverse(back);
            } else {
                // Landed on an entry with this one's number (never expected): ask in place.
                let old = js_sys::Reflect::get(&ev, &"oldURL".into())
                    .ok()
                    .and_then(|u| u.as_string())
                    .unwrap_or_else(|| here.href());
                Nav::replace(&old);
                unsaved.leave(confirm, "Leaving this page", move || nav.go(&next));
            }
        });
        // Closing the tab or reloading the page: the browser's own question.
        let unload = window_event_listener_untyped("beforeunload", move |ev| {
            if unsaved.edits.get_untracked() {
                ev.prevent_default();
                let _ = js_sys::Reflect::set(&ev, &"returnValue".into(), &"unsaved".into());
            }
        });
        on_cleanup(move || {
            hash.remove();
            unload.remove();
        });
    }

    // A token from this tab's session, or else the browser's session cookie: find out who it
    // is (or forget it).
    if let Some(credential) = session.credential.get_untracked() {
        let api = session.api();
        leptos::task::spawn_local(async move {
            match api.whoami().await {
                Ok(identity) => session.sign_in(credential, identity),
                Err(ApiError::Unauthenticated(_)) => session.forget(),
                Err(_) => {} // offline: the page shows the load error and a retry
            }
        });
    }

    // A token revoked, or a session expired, while signed in: back to the sign-in page.
    Effect::new(move |_| {
        if let Some(Err(ApiError::Unauthenticated(_))) = store.doc.get()
            && session.credential.with_untracked(Option::is_some)
            && session.identity.get_untracked().is_some()
        {
            session.forget();
        }
    });

    let signed_in = move || session.identity.with(Option::is_some);
    let restoring = move || session.credential.with(Option::is_some) && !signed_in();

    view! {
        <Show
            when=signed_in
            fallback=move || {
                view! {
                    <Show when=restoring fallback=|| view! { <Login/> }>
                        <div class="boot" role="status">"Signing in…"</div>
                    </Show>
                }
            }
        >
            <Shell>
                <Routed/>
            </Shell>
        </Show>
        <ConfirmDialog/>
        <NoticeList/>
    }
}

/// The page for the current route, once the document is loaded. The document is awaited
/// under `<Transition>`, so a reload keeps the page on screen until the new version is in.
#[component]
fn Routed() -> impl IntoView {
    let store = expect_context::<Store>();
    let nav = expect_context::<Nav>();
    let page = move || {
        let route = nav.route.get();
        Suspend::new(async move {
            let doc = store.doc.await?;
            let page = page_for(route, doc.clone()).await?;
            Ok::<_, ApiError>(view! {
                <AttributeList doc/>
                {page}
            })
        })
    };
    view! {
        <Transition
            fallback=|| view! { <div class="loading" role="status" aria-live="polite">"Loading the document…"</div> }
            set_pending=store.pending.write_only()
        >
            <ErrorBoundary fallback=|errors| {
                view! { <LoadError errors/> }
            }>{page}</ErrorBoundary>
        </Transition>
    }
}

/// The pages that load on first use: each `wasm_split` function below ends up in its own wasm
/// module (cut out by `wasm-split-cli` in `cargo xtask`, see xtask/src/admin_ui.rs), fetched
/// the first time its page opens. What every visit needs, the shell, sign-in, the flag list and
/// its kill switches, stays in the main module. A module that fails to load is an error of the
/// page (`fallible`), shown with a retry, never a trap; natively these are plain calls.
///
/// The macro writes the `extern "C"` glue that the split links through, hence the `allow`.
#[allow(unsafe_code, improper_ctypes, improper_ctypes_definitions)]
mod lazy {
    use super::*;

    #[leptos::wasm_split::wasm_split(flag_editor, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn flag_editor(doc: Arc<DocState>, key: Option<String>) -> Result<AnyView, ApiError> {
        Ok(view! { <FlagEditor doc key/> }.into_any())
    }

    #[leptos::wasm_split::wasm_split(segment_editor, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn segment_editor(doc: Arc<DocState>, key: Option<String>) -> Result<AnyView, ApiError> {
        Ok(view! { <SegmentEditor doc key/> }.into_any())
    }

    #[leptos::wasm_split::wasm_split(evaluate, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn evaluate(doc: Arc<DocState>) -> Result<AnyView, ApiError> {
        Ok(view! { <EvaluatePage doc/> }.into_any())
    }

    #[leptos::wasm_split::wasm_split(history, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn history(doc: Arc<DocState>) -> Result<AnyView, ApiError> {
        Ok(view! { <HistoryPage doc/> }.into_any())
    }

    /// The change requests (`id: None`: the list, filtered by `query`) and one request.
    #[leptos::wasm_split::wasm_split(requests, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn requests(
        doc: Arc<DocState>,
        id: Option<u64>,
        query: RequestQuery,
    ) -> Result<AnyView, ApiError> {
        use crate::components::{request_page::RequestPage, requests_page::RequestsPage};
        Ok(match id {
            Some(id) => view! { <RequestPage doc id/> }.into_any(),
            None => view! { <RequestsPage doc query/> }.into_any(),
        })
    }

    /// The store's audit log, filtered by `query`.
    #[leptos::wasm_split::wasm_split(audit, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn audit(doc: Arc<DocState>, query: AuditQuery) -> Result<AnyView, ApiError> {
        use crate::components::audit_page::AuditPage;
        Ok(view! { <AuditPage doc query/> }.into_any())
    }

    #[leptos::wasm_split::wasm_split(stale, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn stale(doc: Arc<DocState>) -> Result<AnyView, ApiError> {
        Ok(view! { <StalePage doc/> }.into_any())
    }
}

async fn page_for(route: Route, doc: Arc<DocState>) -> Result<AnyView, ApiError> {
    Ok(match route {
        Route::Flags => view! { <FlagsPage doc/> }.into_any(),
        Route::NewFlag => lazy::flag_editor(doc, None).await?,
        Route::Flag(key) => lazy::flag_editor(doc, Some(key)).await?,
        Route::Segments => view! { <SegmentsPage doc/> }.into_any(),
        Route::NewSegment => lazy::segment_editor(doc, None).await?,
        Route::Segment(key) => lazy::segment_editor(doc, Some(key)).await?,
        Route::Evaluate => lazy::evaluate(doc).await?,
        Route::History => lazy::history(doc).await?,
        Route::Stale => lazy::stale(doc).await?,
        Route::Requests(query) => lazy::requests(doc, None, query).await?,
        Route::Request(id) => lazy::requests(doc, Some(id), RequestQuery::default()).await?,
        Route::Audit(query) => lazy::audit(doc, query).await?,
        Route::NotFound(path) => view! {
            <section class="page">
                <h1>"Not found"</h1>
                <p>"Nothing lives at " <code>{path}</code> ". " <a href="#/flags">"Back to the flags"</a></p>
            </section>
        }
        .into_any(),
    })
}

#[component]
fn LoadError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <section class="page load-error" role="alert">
            <h1>"This page could not be loaded"</h1>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
            <button class="button" on:click=move |_| store.reload()>"Try again"</button>
        </section>
    }
}
