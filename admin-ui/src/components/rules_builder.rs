//! Rules: conditions (all must hold) and what to serve, tried in order; add, remove, reorder.

use leptos::prelude::*;

use super::rows::{Rows, indices};
use super::rule_card::RuleCard;
use crate::lens::EnvLens;

#[component]
pub fn RulesBuilder(lens: EnvLens) -> impl IntoView {
    let edit = lens.edit;
    let count = lens.memo(|e| e.rules.len());
    let count = move || count.get().unwrap_or(0);
    let segments: Vec<String> = edit
        .doc
        .with_value(|d| d.document.segments.keys().cloned().collect());
    let segments = StoredValue::new(segments);

    view! {
        <section class="card" aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules"</h2>
            <p class="hint">"Tried in order after the targets; the first rule whose conditions all hold decides."</p>
            <Show when=move || { count() == 0 }>
                <p class="muted">"No rules."</p>
            </Show>
            <ol class="rules">
                <Rows keys=indices(count) row=Callback::new(move |i: usize| { view! { <RuleCard lens i segments/> }.into_any() })/>
            </ol>
            <Show when=move || edit.can_edit.get()>
                <button
                    type="button"
                    class="button"
                    id="rules-add"
                    on:click=move |_| {
                        let on = lens.on_variant();
                        lens.update(|e, _| e.add_rule(&on))
                    }
                >
                    "Add rule"
                </button>
            </Show>
        </section>
    }
}
