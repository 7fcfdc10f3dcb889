//! A save refused with `412`: who saved what since this editor's version, and what to do:
//! take their version, or put this draft's changes on top of it (a three-way merge,
//! `state::merge`) and save that.

use std::sync::Arc;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::context::Session;
use crate::state::document::DocState;
use crate::state::history::{op_name, relative, show, touching};
use crate::state::values::display_stamp;

/// The panel's pseudo-pointer (see [`super::focus_pointer`]).
const CONFLICT: &str = "#conflict";

#[component]
pub fn ConflictPanel(
    /// The version the refused save was based on.
    base: u64,
    /// The store's version now, when it said.
    current: Option<u64>,
    /// The flag's (or segment's) pointer.
    prefix: String,
    on_reload: Callback<()>,
    /// The fields (pointers relative to the entry) that this draft and the current version
    /// both changed, where the draft's value would replace theirs.
    both_changed: Callback<Arc<DocState>, Vec<String>>,
    /// Put the draft's changes on top of the current version and save.
    on_overwrite: Callback<Arc<DocState>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let prefix = StoredValue::new(prefix);
    let details = LocalResource::new(move || {
        let api = session.api();
        async move {
            let theirs = Arc::new(api.document().await?);
            let now = theirs.version;
            let versions: Vec<_> = api
                .history(50, None)
                .await?
                .into_iter()
                .filter(|v| v.version > base && v.version <= now)
                .collect();
            let changes = match api.diff(base, now).await {
                Ok(diff) => touching(&diff.changes, &prefix.get_value()),
                Err(_) => Vec::new(),
            };
            Ok::<_, ApiError>((theirs, versions, changes))
        }
    });
    // It appears where the editor starts, often far above the Save that was refused: brought
    // into view with focus, so that the save does not look as if it did nothing.
    super::focus_pointer(CONFLICT.into());
    view! {
        <section
            class="conflict"
            role="alert"
            aria-labelledby="conflict-title"
            data-testid="conflict"
            data-pointer=CONFLICT
            tabindex="-1"
        >
            <h2 id="conflict-title">
                {match current {
                    Some(v) => format!("Someone saved version {v} while you were editing (you started from version {base})"),
                    None => format!("Someone saved a newer version while you were editing (you started from version {base})"),
                }}
            </h2>
            <Transition fallback=|| view! { <p class="loading">"Finding out who changed what…"</p> }>
                <ErrorBoundary fallback=|_| view! { <p class="muted">"The history could not be loaded."</p> }>
                    {move || Suspend::new(async move {
                        let (theirs, versions, changes) = details.await?;
                        let both = both_changed.run(theirs.clone());
                        Ok::<_, ApiError>(view! {
                            <ul class="versions">
                                {versions
                                    .into_iter()
                                    .map(|v| view! {
                                        <li data-version=v.version>
                                            <strong>{format!("Version {}", v.version)}</strong>
                                            {format!(" by {} at {}: {} ", v.actor, display_stamp(&v.at), v.action)}
                                            <span class="muted">{v.summary.clone()}</span>
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                            {if changes.is_empty() {
                                view! { <p>"They did not change this entry: saving yours keeps their other changes."</p> }.into_any()
                            } else {
                                let p = prefix.get_value();
                                view! {
                                    <p>"What they changed here:"</p>
                                    <table class="diff">
                                        <tbody>
                                            {changes
                                                .into_iter()
                                                .map(|c| view! {
                                                    <tr class=format!("op-{}", op_name(c.op))>
                                                        <td><code>{relative(&c.pointer, &p)}</code></td>
                                                        <td>{op_name(c.op)}</td>
                                                        <td class="before">{show(&c.before)}</td>
                                                        <td class="after">{show(&c.after)}</td>
                                                    </tr>
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                .into_any()
                            }}
                            {if both.is_empty() {
                                view! {
                                    <p data-testid="merge-note">
                                        "Saving yours applies only the fields you changed; everything else stays as they left it."
                                    </p>
                                }.into_any()
                            } else {
                                let fields = both
                                    .iter()
                                    .map(|f| if f.is_empty() { "the whole entry (they deleted it)".to_string() } else { relative(f, "") })
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                view! {
                                    <p class="warn" data-testid="merge-note">
                                        "You both changed " <strong>{fields}</strong>
                                        ": saving yours replaces their value there. Everything else you did not change stays as they left it."
                                    </p>
                                }.into_any()
                            }}
                            <div class="actions">
                                <button type="button" class="button primary" on:click=move |_| on_reload.run(())>
                                    "Reload their version (drop my changes)"
                                </button>
                                <button type="button" class="button danger" on:click=move |_| on_overwrite.run(theirs.clone())>
                                    "Save my changes on top of theirs"
                                </button>
                            </div>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
