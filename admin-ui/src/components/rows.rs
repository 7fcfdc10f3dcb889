//! One keyed list for every list of rows in the app (variants, targets, rules, clauses,
//! weights, steps, prerequisites, flags, context fields).
//!
//! A `<For>` is generic over its items, keys and children, so each one compiles into its own
//! copy of the keyed diff (about 5 KB of wasm each, measured). Rows here are keyed by a
//! `usize` (an index, or a row number) and their view is type-erased behind a [`Callback`],
//! so the whole app has one copy.

use leptos::prelude::*;

use super::focus_first;

/// Rows for `keys`, each drawn by `row`. A key that stays keeps its row (and the focus inside
/// it); a new key draws a new one.
#[component]
pub fn Rows(keys: Signal<Vec<usize>>, row: Callback<usize, AnyView>) -> impl IntoView {
    view! { <For each=move || keys.get() key=|k| *k children=move |k| row.run(k)/> }
}

/// A row's Remove button. The rows after it move up into its place, so focus goes to
/// `then_focus` (the list's Add control) rather than into another row.
pub fn remove_button(
    label: Signal<String>,
    disabled: Signal<bool>,
    then_focus: String,
    on_remove: Callback<()>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="button small"
            aria-label=move || label.get()
            disabled=move || disabled.get()
            on:click=move |_| {
                on_remove.run(());
                focus_first(vec![then_focus.clone()]);
            }
        >
            "Remove"
        </button>
    }
}

/// The keys `0..count()`: rows keyed by their index.
pub fn indices(count: impl Fn() -> usize + Send + Sync + 'static) -> Signal<Vec<usize>> {
    Signal::derive(move || (0..count()).collect())
}
