//! A save refused with `412`: who saved what since this editor's version, and what to do.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::context::Session;
use crate::state::history::{relative, show, touching};
use crate::state::values::display_stamp;

#[component]
pub fn ConflictPanel(
    /// The version the refused save was based on.
    base: u64,
    /// The store's version now, when it said.
    current: Option<u64>,
    /// The flag's (or segment's) pointer.
    prefix: String,
    on_reload: Callback<()>,
    /// Save this draft over the newer version.
    on_overwrite: Callback<u64>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let prefix = StoredValue::new(prefix);
    let details = LocalResource::new(move || {
        let api = session.api();
        async move {
            let versions: Vec<_> = api
                .history(50, None)
                .await?
                .into_iter()
                .filter(|v| v.version > base)
                .collect();
            let now = current
                .or_else(|| versions.first().map(|v| v.version))
                .unwrap_or(base);
            let changes = match api.diff(base, now).await {
                Ok(diff) => touching(&diff.changes, &prefix.get_value()),
                Err(_) => Vec::new(),
            };
            Ok::<_, ApiError>((now, versions, changes))
        }
    });
    view! {
        <section class="conflict" role="alert" aria-labelledby="conflict-title" data-testid="conflict">
            <h2 id="conflict-title">
                {match current {
                    Some(v) => format!("Someone saved version {v} while you were editing (you started from version {base})"),
                    None => format!("Someone saved a newer version while you were editing (you started from version {base})"),
                }}
            </h2>
            <Transition fallback=|| view! { <p class="loading">"Finding out who changed what…"</p> }>
                <ErrorBoundary fallback=|_| view! { <p class="muted">"The history could not be loaded."</p> }>
                    {move || Suspend::new(async move {
                        let (now, versions, changes) = details.await?;
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
                                view! { <p>"They did not change this entry; saving over their version keeps their other changes."</p> }.into_any()
                            } else {
                                let p = prefix.get_value();
                                view! {
                                    <p>"What they changed here:"</p>
                                    <table class="diff">
                                        <tbody>
                                            {changes
                                                .into_iter()
                                                .map(|c| view! {
                                                    <tr class=format!("op-{}", c.op)>
                                                        <td><code>{relative(&c.pointer, &p)}</code></td>
                                                        <td>{c.op.clone()}</td>
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
                            <div class="actions">
                                <button type="button" class="button primary" on:click=move |_| on_reload.run(())>
                                    "Reload their version (drop my changes)"
                                </button>
                                <button type="button" class="button danger" on:click=move |_| on_overwrite.run(now)>
                                    "Save mine over theirs"
                                </button>
                            </div>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
