//! The audit log: who did what, when, in which version, and why. A flag's Audit tab shows the
//! entries about that flag; the audit page shows the store's whole log, filtered. Both are the
//! same table, paged the same way.

use burgee_api::AuditEntry;
use leptos::prelude::*;

use super::error_line::error_line;
use crate::api::ApiError;
use crate::context::Session;
use crate::state::audit::AuditQuery;
use crate::state::route::Route;
use crate::state::values::display_stamp;

const PAGE: u32 = 50;

/// One flag's audit log (its editor's Audit tab).
#[component]
pub fn AuditLog(key: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit log"</h2>
            <AuditEntries query=AuditQuery::of_flag(&key) targets=false/>
        </section>
    }
}

/// The entries `query` keeps, newest first, [`PAGE`] at a time ("Older entries"); `targets`
/// adds a column naming what each entry changed (a flag, a segment, an environment).
#[component]
pub fn AuditEntries(query: AuditQuery, targets: bool) -> impl IntoView {
    let session = expect_context::<Session>();
    let query = StoredValue::new(query);
    let more = RwSignal::new(Vec::<AuditEntry>::new());
    let exhausted = RwSignal::new(false);
    let first = LocalResource::new(move || {
        let api = session.api();
        let query = query.get_value();
        async move { api.audit(&query, PAGE, None).await }
    });
    let load_more = move |_| {
        let api = session.api();
        let query = query.get_value();
        let cursor = more.with_untracked(|m| m.last().map(|e| e.id)).or_else(|| {
            first
                .get_untracked()
                .and_then(|r| r.ok())
                .and_then(|e| e.last().map(|e| e.id))
        });
        leptos::task::spawn_local(async move {
            if let Ok(entries) = api.audit(&query, PAGE, cursor).await {
                exhausted.try_set(entries.len() < PAGE as usize);
                more.try_update(|m| m.extend(entries));
            }
        });
    };
    let row = move |e: AuditEntry| {
        view! {
            <tr data-action=e.action.clone() data-actor=e.actor.clone() data-target=e.target.clone()>
                <td>{display_stamp(&e.at)}</td>
                <td>{e.actor.clone()}</td>
                <td><span class="tag">{e.action.clone()}</span></td>
                {targets.then(|| view! { <td>{target_link(&e.target)}</td> })}
                <td>{summary_cell(e.summary.clone(), e.reason.clone())}</td>
                <td class="num">{e.version}</td>
            </tr>
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading the audit log…"</p> }>
            <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                {move || Suspend::new(async move {
                    let entries = first.await?;
                    let short = entries.len() < PAGE as usize;
                    let none = entries.is_empty();
                    Ok::<_, ApiError>(view! {
                        <div class="table-wrap">
                            <table class="audit" data-testid="audit">
                                <thead>
                                    <tr>
                                        <th scope="col">"When"</th>
                                        <th scope="col">"Who"</th>
                                        <th scope="col">"Action"</th>
                                        {targets.then(|| view! { <th scope="col">"What"</th> })}
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
                        {none.then(|| view! { <p class="muted" data-testid="no-audit">"No audit entries match."</p> })}
                        <Show when=move || !short && !exhausted.get()>
                            <button type="button" class="button" on:click=load_more>"Older entries"</button>
                        </Show>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// What an entry changed (`flags/<key>`, `segments/<key>`, `environments/<env>`, `document`),
/// linked to its page when it has one.
fn target_link(target: &str) -> impl IntoView + use<> {
    let route = match target.split_once('/') {
        Some(("flags", key)) => Some(Route::Flag(key.to_string())),
        Some(("segments", key)) => Some(Route::Segment(key.to_string())),
        _ => None,
    };
    let text = target.to_string();
    match route {
        Some(route) => view! { <a href=route.href()>{text}</a> }.into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    }
}

/// What a change did (the core's words) and, when its author said, why.
pub fn summary_cell(summary: String, reason: Option<String>) -> impl IntoView {
    view! {
        {summary}
        {reason.map(|r| view! { <p class="reason" data-testid="reason">"Why: " {r}</p> })}
    }
}
