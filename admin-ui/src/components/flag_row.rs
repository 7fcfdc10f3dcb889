//! One flag in the list.

use std::sync::Arc;

use leptos::prelude::*;

use super::kill_switch::KillSwitch;
use crate::state::catalog::Row;
use crate::state::route::Route;

#[component]
pub fn FlagRow(row: Row, envs: Arc<Vec<String>>, version: u64) -> impl IntoView {
    let href = Route::Flag(row.key.clone()).href();
    let updated = if row.updated_at.is_empty() {
        String::new()
    } else {
        crate::state::values::display_stamp(&row.updated_at)
    };
    let _ = version;
    view! {
        <tr data-key=row.key.clone()>
            <th scope="row" class="flag-cell">
                <a href=href class="flag-key">{row.key.clone()}</a>
                {(!row.name.is_empty()).then(|| view! { <span class="flag-name">{row.name.clone()}</span> })}
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
                    view! {
                        <td class="env-col">
                            <KillSwitch key=row.key.clone() env=env.clone() status=*status served=served.clone()/>
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
