//! One flag in the list.

use std::sync::Arc;

use leptos::prelude::*;

use super::kill_switch::KillSwitch;
use crate::state::catalog::Row;
use crate::state::route::Route;
use crate::state::usage::{LastEvaluated, ago};

#[component]
pub fn FlagRow(
    row: Row,
    envs: Arc<Vec<String>>,
    /// When each flag was last evaluated (`None` until the usage has come).
    last: RwSignal<Option<Arc<LastEvaluated>>>,
) -> impl IntoView {
    let href = Route::Flag(row.key.clone()).href();
    let updated = if row.updated_at.is_empty() {
        String::new()
    } else {
        crate::state::values::display_stamp(&row.updated_at)
    };
    view! {
        <tr data-key=row.key.clone()>
            <th scope="row" class="flag-cell">
                <a href=href class="flag-key">{row.key.clone()}</a>
                {(!row.name.is_empty()).then(|| view! { <span class="flag-name">{row.name.clone()}</span> })}
                {(!row.owner.is_empty()).then(|| view! { <span class="muted owner" data-testid="owner">{format!("owner: {}", row.owner)}</span> })}
                <span class="tags">
                    {row.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
                    {row.client_side.then(|| view! { <span class="tag client">"client-side"</span> })}
                </span>
            </th>
            <td class="narrow">{row.kind.clone()}</td>
            {envs
                .iter()
                .zip(row.statuses.iter().zip(row.served.iter()))
                .map(|(env, (status, served))| {
                    let (key, e) = (row.key.clone(), env.clone());
                    // `try_with`: a row on its way out during a reload reads nothing.
                    let evaluated = move || {
                        last.try_with(|l| {
                            l.as_ref()
                                .map(|l| ago(crate::now_ms(), l.get(&e, &key)))
                        })
                        .flatten()
                        .unwrap_or_default()
                    };
                    view! {
                        <td class="env-col">
                            <KillSwitch key=row.key.clone() env=env.clone() status=*status served=served.clone()/>
                            <span class="last-evaluated muted" data-env=env.clone() title="Last evaluated">
                                {evaluated}
                            </span>
                        </td>
                    }
                })
                .collect_view()}
            <td class="updated">
                <span>{updated}</span>
                {(!row.updated_by.is_empty()).then(|| view! { <span class="muted by">{row.updated_by.clone()}</span> })}
            </td>
        </tr>
    }
}
