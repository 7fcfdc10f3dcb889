//! The flag list: search, filters, sort, counts by state, and every environment's kill switch.

use std::sync::Arc;

use leptos::prelude::*;

use super::flag_row::FlagRow;
use super::rows::Rows;
use super::status_counts::StatusCounts;
use crate::context::{ListPrefs, Session};
use crate::state::catalog::{self, Sort, Status};
use crate::state::document::DocState;
use crate::state::route::Route;

#[component]
pub fn FlagsPage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let filter = expect_context::<ListPrefs>().filter;
    let envs: Arc<Vec<String>> = Arc::new(doc.document.environments.clone());
    let rows: Arc<Vec<catalog::Row>> = Arc::new(catalog::rows(&doc.document));
    let tags = catalog::tags(&doc.document);
    let counts = catalog::counts(&rows, &envs);
    let total = rows.len();

    let visible = Memo::new({
        let rows = rows.clone();
        let envs = envs.clone();
        move |_| filter.with(|f| catalog::apply(&rows, &envs, f))
    });

    let env_options = envs.clone();
    let header_envs = envs.clone();
    let row_envs = envs.clone();
    let version = doc.version;

    view! {
        <section class="page flags-page">
            <div class="page-head">
                <h1>"Flags"</h1>
                <Show when=move || session.can_edit()>
                    <a class="button primary" href=Route::NewFlag.href()>"New flag"</a>
                </Show>
            </div>
            <StatusCounts counts total/>
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
                <div class="field">
                    <label for="flag-tag">"Tag"</label>
                    <select
                        id="flag-tag"
                        on:change=move |ev| filter.update(|f| f.tag = event_target_value(&ev))
                    >
                        <option value="" selected=move || filter.with(|f| f.tag.is_empty())>
                            "Any tag"
                        </option>
                        {tags
                            .into_iter()
                            .map(|t| {
                                let t2 = t.clone();
                                view! {
                                    <option
                                        value=t.clone()
                                        selected=move || filter.with(|f| f.tag == t2)
                                    >
                                        {t.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="flag-env">"Environment"</label>
                    <select
                        id="flag-env"
                        on:change=move |ev| filter.update(|f| f.env = event_target_value(&ev))
                    >
                        <option value="" selected=move || filter.with(|f| f.env.is_empty())>
                            "Any environment"
                        </option>
                        {env_options
                            .iter()
                            .map(|e| {
                                let e2 = e.clone();
                                view! {
                                    <option value=e.clone() selected=move || filter.with(|f| f.env == e2)>
                                        {e.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="flag-status">"Status"</label>
                    <select
                        id="flag-status"
                        on:change=move |ev| {
                            filter.update(|f| f.status = Status::parse(&event_target_value(&ev)))
                        }
                    >
                        <option value="" selected=move || filter.with(|f| f.status.is_none())>
                            "Any status"
                        </option>
                        {Status::ALL
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option
                                        value=s.as_str()
                                        selected=move || filter.with(|f| f.status == Some(s))
                                    >
                                        {s.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="flag-sort">"Sort by"</label>
                    <select
                        id="flag-sort"
                        on:change=move |ev| filter.update(|f| f.sort = Sort::parse(&event_target_value(&ev)))
                    >
                        {Sort::ALL
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option value=s.as_str() selected=move || filter.with(|f| f.sort == s)>
                                        {s.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <p class="muted result-count" aria-live="polite" data-testid="result-count">
                {move || format!("{} of {} flags", visible.with(Vec::len), total)}
            </p>
            <div class="table-wrap">
                <table class="flags" aria-label="Flags">
                    <thead>
                        <tr>
                            <th scope="col">"Flag"</th>
                            <th scope="col" class="narrow">"Kind"</th>
                            {header_envs
                                .iter()
                                .map(|e| view! { <th scope="col" class="env-col">{e.clone()}</th> })
                                .collect_view()}
                            <th scope="col" class="updated">"Updated"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <Rows keys=Signal::derive(move || visible.get()) row=Callback::new(move |i: usize| {
                                let row = rows.get(i).cloned();
                                let envs = row_envs.clone();
                                row.map(|row| view! { <FlagRow row envs version/> }).into_any()
                            })/>
                    </tbody>
                </table>
                <Show when=move || visible.with(Vec::is_empty)>
                    <p class="empty">
                        {if total == 0 { "No flags yet." } else { "No flag matches these filters." }}
                    </p>
                </Show>
            </div>
        </section>
    }
}
