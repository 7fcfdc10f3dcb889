//! The flag list's Archived section: archived flags are out of the list (and of every
//! snapshot) but not gone; each can be opened or restored from here (with a reason where an
//! environment requires one).

use leptos::prelude::*;

use super::reason_question::ask_why;
use crate::api::ApiError;
use crate::context::{Confirm, Notices, Question, Session, Store, Tone};
use crate::state::route::Route;
use crate::state::values::display_stamp;

/// `archived`: each archived flag's key and when it was archived.
pub fn archived_list(archived: Vec<(String, String)>) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let notices = expect_context::<Notices>();
    let count = archived.len();
    let confirm = expect_context::<Confirm>();
    let restore = move |key: String| {
        let Some(doc) = store.current() else {
            return;
        };
        let (version, environments) = (doc.version, doc.document.environments.clone());
        let k = key.clone();
        ask_why(confirm, session.api(), environments, false, move |reason| {
            Question {
                title: format!("Restore {k}?"),
                body: format!(
                    "{k} is served again in every environment, as it was before it was archived."
                ),
                confirm: "Restore".into(),
                list: Vec::new(),
                reason: None,
                reason_required: false,
                danger: false,
                on_confirm: Callback::new(move |_| {
                    let api = session.api().with_reason(&reason.get_untracked());
                    let key = key.clone();
                    leptos::task::spawn_local(async move {
                        match api.archive(&key, false, version).await {
                            Ok(w) => {
                                notices.push(
                                    Tone::Success,
                                    format!("Restored {key} (version {})", w.version),
                                );
                                store.reload();
                            }
                            Err(ApiError::Unauthenticated(_)) => session.sign_out(),
                            Err(e) => notices.failed(&format!("{key} was not restored: "), e),
                        }
                    });
                }),
            }
        });
    };
    let items = archived
        .into_iter()
        .map(|(key, at)| {
            let k = key.clone();
            let when = if at.is_empty() {
                String::new()
            } else {
                format!("archived {}", display_stamp(&at))
            };
            view! {
                <li data-key=key.clone()>
                    <a href=Route::Flag(key.clone()).href() class="flag-key">{key.clone()}</a>
                    <span class="muted">{when}</span>
                    <Show when=move || session.can_edit()>
                        <button
                            type="button"
                            class="button small"
                            aria-label=format!("Restore {k}")
                            on:click={
                                let k = k.clone();
                                move |_| restore(k.clone())
                            }
                        >
                            "Restore"
                        </button>
                    </Show>
                </li>
            }
        })
        .collect_view();
    (count > 0).then(|| {
        view! {
            <details class="archived" data-testid="archived">
                <summary>{format!("Archived ({count})")}</summary>
                <ul>{items}</ul>
            </details>
        }
    })
}
