//! The segments: reusable audiences that rules refer to.

use std::sync::Arc;

use leptos::prelude::*;

use crate::context::Session;
use crate::state::document::DocState;
use crate::state::route::Route;

#[component]
pub fn SegmentsPage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let rows: Vec<_> = doc
        .document
        .segments
        .iter()
        .map(|(k, s)| {
            (
                k.clone(),
                s.description.clone().unwrap_or_default(),
                s.include.len(),
                s.exclude.len(),
                s.rules.len(),
                doc.segment_users(k),
            )
        })
        .collect();
    let empty = rows.is_empty();
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Segments"</h1>
                <Show when=move || session.can_edit()>
                    <a class="button primary" href=Route::NewSegment.href()>"New segment"</a>
                </Show>
            </div>
            {empty.then(|| view! { <p class="empty">"No segments yet."</p> })}
            <div class="table-wrap">
                <table class="segments" aria-label="Segments">
                    <thead>
                        <tr>
                            <th scope="col">"Segment"</th>
                            <th scope="col" class="num">"Included"</th>
                            <th scope="col" class="num">"Excluded"</th>
                            <th scope="col" class="num">"Rules"</th>
                            <th scope="col">"Used by"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|(k, d, inc, exc, rules, users)| view! {
                                <tr data-key=k.clone()>
                                    <th scope="row">
                                        <a href=Route::Segment(k.clone()).href()>{k.clone()}</a>
                                        <span class="flag-name">{d}</span>
                                    </th>
                                    <td class="num">{inc}</td>
                                    <td class="num">{exc}</td>
                                    <td class="num">{rules}</td>
                                    <td>{users.join(", ")}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
