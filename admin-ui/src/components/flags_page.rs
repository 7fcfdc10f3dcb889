//! The flag list: search, filters, sort, counts by state, every environment's kill switch and
//! when the flag was last evaluated there (one usage request for the whole list), and the
//! archived flags apart.

use std::sync::Arc;

use leptos::prelude::*;

use super::archived_list::archived_list;
use super::flag_row::FlagRow;
use super::rows::Rows;
use super::status_counts::StatusCounts;
use crate::context::{ListPrefs, Nav, Session};
use crate::state::catalog::{self, Filter, Sort, Status};
use crate::state::document::DocState;
use crate::state::route::Route;
use crate::state::usage::LastEvaluated;

/// The days the list's usage request covers (last evaluations are kept whatever the range).
const USAGE_DAYS: u32 = 30;

#[component]
pub fn FlagsPage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let filter = expect_context::<ListPrefs>().filter;
    // The filter is in the address, so a filtered list can be shared and survives a reload: a
    // link's filter wins; otherwise the list keeps the one it had, and the address follows it.
    let hash = Nav::hash();
    if let Some((_, query)) = hash.split_once('?') {
        filter.set(Filter::parse(query));
    }
    Effect::new(move |_| {
        let query = filter.with(Filter::to_query);
        if matches!(Route::parse(&Nav::hash()), Route::Flags) {
            Nav::replace(&format!("#/flags{query}"));
        }
    });
    let envs: Arc<Vec<String>> = Arc::new(doc.document.environments.clone());
    let rows: Arc<Vec<catalog::Row>> = Arc::new(catalog::rows(&doc.document));
    let tags = catalog::tags(&doc.document);
    let counts = catalog::counts(&rows, &envs);
    let total = rows.len();
    let archived = catalog::archived(&doc.document);
    // Filled once the usage has come; the list is on screen meanwhile. Set with `try_set`:
    // the answer may come after this page has gone (a reload, a link).
    let last = RwSignal::new(None::<Arc<LastEvaluated>>);
    let api = session.api();
    leptos::task::spawn_local(async move {
        if let Ok(body) = api.usage(USAGE_DAYS).await {
            last.try_set(Some(Arc::new(LastEvaluated::new(&body))));
        }
    });

    let visible = Memo::new({
        let rows = rows.clone();
        let envs = envs.clone();
        move |_| filter.with(|f| catalog::apply(&rows, &envs, f))
    });

    view! {
        <section class="page flags-page">
            <div class="page-head">
                <h1>"Flags"</h1>
                <Show when=move || session.can_edit()>
                    <a class="button primary" href=Route::NewFlag.href()>"New flag"</a>
                </Show>
            </div>
            <StatusCounts counts total/>
            {flag_filters(filter, tags, envs.to_vec())}
            <p class="muted result-count" aria-live="polite" data-testid="result-count">
                {move || format!("{} of {} flags", visible.with(Vec::len), total)}
            </p>
            {flag_table(rows, envs, visible, last)}
            {archived_list(archived)}
        </section>
    }
}

/// The search box and the choices that narrow and order the list.
fn flag_filters(filter: RwSignal<Filter>, tags: Vec<String>, envs: Vec<String>) -> impl IntoView {
    let any = |label: &str| (String::new(), label.to_string());
    let named = |names: Vec<String>| names.into_iter().map(|n| (n.clone(), n));
    let tags = std::iter::once(any("Any tag")).chain(named(tags)).collect();
    let envs = std::iter::once(any("Any environment"))
        .chain(named(envs))
        .collect();
    let statuses = std::iter::once(any("Any status"))
        .chain(Status::ALL.map(|s| (s.as_str().to_string(), s.as_str().to_string())))
        .collect();
    let sorts = Sort::ALL
        .map(|s| (s.as_str().to_string(), s.as_str().to_string()))
        .to_vec();
    view! {
        <div class="toolbar" role="search">
            <div class="field grow">
                <label for="flag-search">"Search"</label>
                <input
                    id="flag-search"
                    type="search"
                    placeholder="key, name, description or tag"
                    autocomplete="off"
                    prop:value=move || filter.with(|f| f.query.clone())
                    on:input=move |ev| filter.update(|f| f.query = event_target_value(&ev))
                />
            </div>
            {filter_choice("flag-tag", "Tag", filter, tags, |f| f.tag.clone(), |f, v| f.tag = v)}
            {filter_choice(
                "flag-env",
                "Environment",
                filter,
                envs,
                |f| f.env.clone(),
                |f,
                v| f.env = v,
            )}
            {filter_choice(
                "flag-status",
                "Status",
                filter,
                statuses,
                |f| f.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                |f, v| f.status = Status::parse(&v),
            )}
            {filter_choice(
                "flag-sort",
                "Sort by",
                filter,
                sorts,
                |f| f.sort.as_str().to_string(),
                |f, v| f.sort = Sort::parse(&v),
            )}
        </div>
    }
}

/// One choice of a filter (this list's, or another list's): `options` are `(value, label)`;
/// `current` is the filter's value of it, `set` changes it.
pub(super) fn filter_choice<F: Send + Sync + 'static>(
    id: &'static str,
    label: &'static str,
    filter: RwSignal<F>,
    options: Vec<(String, String)>,
    current: fn(&F) -> String,
    set: fn(&mut F, String),
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| filter.update(|f| set(f, event_target_value(&ev)))>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let v = value.clone();
                        view! {
                            <option value=value selected=move || filter.with(|f| current(f) == v)>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// The flags that match, one row each, with a column per environment.
fn flag_table(
    rows: Arc<Vec<catalog::Row>>,
    envs: Arc<Vec<String>>,
    // The rows that match, in order (indices into `rows`).
    visible: Memo<Vec<usize>>,
    // When each flag was last evaluated, once the usage has come.
    last: RwSignal<Option<Arc<LastEvaluated>>>,
) -> impl IntoView {
    let total = rows.len();
    let header = envs
        .iter()
        .map(|e| view! { <th scope="col" class="env-col">{e.clone()}</th> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="flags" aria-label="Flags">
                <thead>
                    <tr>
                        <th scope="col">"Flag"</th>
                        <th scope="col" class="narrow">"Kind"</th>
                        {header}
                        <th scope="col" class="updated">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    <Rows keys=Signal::derive(move || visible.get()) row=Callback::new(move |i: usize| {
                            let row = rows.get(i).cloned();
                            let envs = envs.clone();
                            row.map(|row| view! { <FlagRow row envs last/> }).into_any()
                        })/>
                </tbody>
            </table>
            <Show when=move || visible.with(Vec::is_empty)>
                <p class="empty">
                    {if total == 0 { "No flags yet." } else { "No flag matches these filters." }}
                </p>
            </Show>
        </div>
    }
}
