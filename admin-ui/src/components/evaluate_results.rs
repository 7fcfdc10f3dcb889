//! "Evaluate as", the answer: every flag's value, variant and reason for the context, those
//! the store answered differently marked, filtered by key.

use std::collections::BTreeMap;

use burgee_core::EvaluationResult;
use leptos::prelude::*;

use crate::state::route::Route;
use crate::state::values::short_json;

pub fn evaluate_results(
    results: Memo<BTreeMap<String, EvaluationResult>>,
    // The flags the store answered differently, once it was asked.
    diffs: Memo<Option<Vec<String>>>,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let rows = move || {
        let f = filter.get().to_lowercase();
        let different = diffs.get().unwrap_or_default();
        results
            .get()
            .into_iter()
            .filter(|(k, _)| f.is_empty() || k.to_lowercase().contains(&f))
            .map(|(k, r)| {
                let differs = different.contains(&k);
                result_row(k, r, differs)
            })
            .collect_view()
    };
    view! {
        <div class="card">
            <div class="field">
                <label for="eval-filter">"Filter results"</label>
                <input id="eval-filter" type="search" prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
            </div>
            <div class="table-wrap">
                <table class="results" data-testid="results">
                    <thead>
                        <tr>
                            <th scope="col">"Flag"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">"Variant"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col">"Detail"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
}

/// One flag's answer.
fn result_row(key: String, r: EvaluationResult, differs: bool) -> impl IntoView {
    let detail = [
        r.rule_id.as_ref().map(|x| format!("rule {x}")),
        r.prerequisite.as_ref().map(|x| format!("prerequisite {x}")),
        r.error_code
            .as_ref()
            .map(|x| format!("{x}: {}", r.error_message.clone().unwrap_or_default())),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    view! {
        <tr data-flag=key.clone() data-reason=r.reason.clone() data-variant=r.variant.clone().unwrap_or_default() class:differs=differs>
            <th scope="row"><a href=Route::Flag(key.clone()).href()>{key.clone()}</a></th>
            <td><code>{short_json(&r.value, 60)}</code></td>
            <td>{r.variant.clone().unwrap_or_else(|| "—".into())}</td>
            <td><span class=format!("reason reason-{}", r.reason.to_lowercase())>{r.reason.clone()}</span></td>
            <td>{detail}</td>
        </tr>
    }
}
