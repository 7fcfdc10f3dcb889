//! A new flag's (or segment's) save that met a newer version (`412`). A new entry has nothing
//! to merge: the editor takes the store's current version as its base and saves again, unless
//! someone created the same key meanwhile, which the key field then says.

use std::sync::Arc;

use leptos::prelude::*;

use crate::context::{Notices, Session, Tone};
use crate::state::document::DocState;

#[component]
pub fn NewEntryConflict(
    /// Gets the store's current document.
    on_current: Callback<Arc<DocState>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let notices = expect_context::<Notices>();
    let api = session.api();
    leptos::task::spawn_local(async move {
        match api.document().await {
            // The editor may be gone by now (the user left): then there is nothing to do.
            Ok(doc) => {
                on_current.try_run(Arc::new(doc));
            }
            Err(e) => notices.push(
                Tone::Error,
                format!("Someone saved meanwhile, and their version could not be loaded: {e}"),
            ),
        }
    });
    view! {
        <p class="loading" role="status">"Someone saved meanwhile: checking their version…"</p>
    }
}
