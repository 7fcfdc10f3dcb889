//! The audit log of one flag: who did what, when, in which version.

use burgee_api::AuditEntry;
use leptos::prelude::*;

use super::error_line::error_line;
use crate::api::ApiError;
use crate::context::Session;
use crate::state::values::display_stamp;

const PAGE: u32 = 50;

#[component]
pub fn AuditLog(key: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let key = StoredValue::new(key);
    let more = RwSignal::new(Vec::<AuditEntry>::new());
    let exhausted = RwSignal::new(false);
    let first = LocalResource::new(move || {
        let api = session.api();
        let key = key.get_value();
        async move { api.audit(Some(&key), PAGE, None).await }
    });
    let load_more = move |_| {
        let api = session.api();
        let key = key.get_value();
        let cursor = more.with_untracked(|m| m.last().map(|e| e.id)).or_else(|| {
            first
                .get_untracked()
                .and_then(|r| r.ok())
                .and_then(|e| e.last().map(|e| e.id))
        });
        leptos::task::spawn_local(async move {
            if let Ok(entries) = api.audit(Some(&key), PAGE, cursor).await {
                exhausted.try_set(entries.len() < PAGE as usize);
                more.try_update(|m| m.extend(entries));
            }
        });
    };
    let row = |e: AuditEntry| {
        view! {
            <tr data-action=e.action.clone()>
                <td>{display_stamp(&e.at)}</td>
                <td>{e.actor.clone()}</td>
                <td><span class="tag">{e.action.clone()}</span></td>
                <td>{summary_cell(e.summary.clone(), e.reason.clone())}</td>
                <td class="num">{e.version}</td>
            </tr>
        }
    };
    view! {
        <section class="card" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the audit log…"</p> }>
                <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                    {move || Suspend::new(async move {
                        let entries = first.await?;
                        let short = entries.len() < PAGE as usize;
                        Ok::<_, ApiError>(view! {
                            <div class="table-wrap">
                                <table class="audit" data-testid="audit">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Summary"</th>
                                            <th scope="col" class="num">"Version"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries.into_iter().map(row).collect_view()}
                                        {move || more.get().into_iter().map(row).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Show when=move || !short && !exhausted.get()>
                                <button type="button" class="button" on:click=load_more>"Older entries"</button>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// What a change did (the core's words) and, when its author said, why.
pub fn summary_cell(summary: String, reason: Option<String>) -> impl IntoView {
    view! {
        {summary}
        {reason.map(|r| view! { <p class="reason" data-testid="reason">"Why: " {r}</p> })}
    }
}
