//! The change requests, filtered by status, flag, environment and author. The filter lives in
//! the address (`#/requests?status=open&flag=x`), so a filtered list can be shared and survives
//! a reload; each environment's review policy heads the page.

use std::sync::Arc;

use burgee_api::{ChangeRequest, RequestStatus};
use leptos::prelude::*;

use super::environment_policies::EnvironmentPolicies;
use super::error_line::error_line;
use super::flags_page::filter_choice;
use crate::api::ApiError;
use crate::context::{Nav, Session};
use crate::state::document::DocState;
use crate::state::review::{RequestQuery, approvals_words};
use crate::state::route::Route;
use crate::state::values::display_stamp;

#[component]
pub fn RequestsPage(doc: Arc<DocState>, query: RequestQuery) -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let filter = RwSignal::new(query);
    // The address follows the filter, in place.
    Effect::new(move |_| nav.follow(Route::Requests(filter.get())));
    let list = LocalResource::new(move || {
        let api = session.api();
        let query = filter.get();
        async move { api.change_requests(&query).await }
    });
    let environments = doc.document.environments.clone();
    view! {
        <section class="page requests-page">
            <div class="page-head">
                <h1>"Change requests"</h1>
            </div>
            <EnvironmentPolicies environments=environments.clone()/>
            <h2>"Requests"</h2>
            {filters(filter, environments)}
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the requests…"</p> }>
                <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                    {move || Suspend::new(async move {
                        let requests = list.await?;
                        Ok::<_, ApiError>(table(requests))
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The filter's controls: lists change at once, typed names when they are complete (Enter or
/// leaving the field).
fn filters(filter: RwSignal<RequestQuery>, environments: Vec<String>) -> impl IntoView {
    let statuses = [
        ("", "Any"),
        ("open", "Open"),
        ("rejected", "Rejected"),
        ("applied", "Applied"),
    ]
    .map(|(v, l)| (v.to_string(), l.to_string()))
    .to_vec();
    let environments = std::iter::once((String::new(), "Any".to_string()))
        .chain(environments.into_iter().map(|e| (e.clone(), e)))
        .collect();
    view! {
        <form class="toolbar" role="search" aria-label="Filter the requests" on:submit=|ev| ev.prevent_default()>
            {filter_choice(
                "requests-status",
                "Status",
                filter,
                statuses,
                |f| f.status.map(RequestStatus::as_str).unwrap_or_default().to_string(),
                |f, v| f.status = RequestStatus::parse(&v),
            )}
            {typed(("requests-flag", "Flag", "search"), filter, |f| f.flag.clone(), |f, v| f.flag = v)}
            {filter_choice(
                "requests-environment",
                "Environment",
                filter,
                environments,
                |f| f.environment.clone(),
                |f, v| f.environment = v,
            )}
            {typed(("requests-author", "Author", "search"), filter, |f| f.author.clone(), |f, v| f.author = v)}
        </form>
    }
}

/// A value typed into a filter (this list's, or another list's), applied when complete; `kind`
/// is the input's type (`search`, `datetime-local`).
pub(super) fn typed<F: Send + Sync + 'static>(
    (id, label, kind): (&'static str, &'static str, &'static str),
    filter: RwSignal<F>,
    current: fn(&F) -> String,
    set: fn(&mut F, String),
) -> impl IntoView {
    view! {
        <div class="field grow">
            <label for=id>{label}</label>
            <input
                id=id
                type=kind
                prop:value=move || filter.with(current)
                on:change=move |ev| {
                    let value = event_target_value(&ev).trim().to_string();
                    filter.update(|f| set(f, value));
                }
            />
        </div>
    }
}

fn table(requests: Vec<ChangeRequest>) -> impl IntoView {
    if requests.is_empty() {
        return view! { <p class="muted" data-testid="no-requests">"No change requests match."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="requests" data-testid="requests">
                <thead>
                    <tr>
                        <th scope="col" class="num">"Request"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Summary"</th>
                        <th scope="col">"Environments"</th>
                        <th scope="col">"Author"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Approvals"</th>
                    </tr>
                </thead>
                <tbody>
                    {requests.into_iter().map(|r| view! {
                        <tr data-id=r.id data-status=r.status.as_str()>
                            <td class="num"><a href=Route::Request(r.id).href()>{format!("#{}", r.id)}</a></td>
                            <td><span class=format!("tag request-{}", r.status.as_str())>{r.status.as_str()}</span></td>
                            <td>{r.summary.clone()}</td>
                            <td>{r.environments.join(", ")}</td>
                            <td>{r.author.clone()}</td>
                            <td>{display_stamp(&r.created_at)}</td>
                            <td>{approvals_words(&r)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
