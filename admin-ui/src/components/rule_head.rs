//! A rule's heading and its place in the list: move up, move down, remove. Rows are keyed by
//! position, so after a move or a removal the focused button would belong to another rule;
//! focus follows the rule that moved instead (or lands on the heading of what took the removed
//! rule's place), so a second key press never moves or removes the wrong rule.

use leptos::prelude::*;

use super::focus_first;

#[component]
pub fn RuleHead(
    /// Ids of this list's controls start with it (`rule` gives `rule-2-up`).
    prefix: &'static str,
    i: usize,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] count: Signal<usize>,
    #[prop(into)] readonly: Signal<bool>,
    /// Moves the rule by -1 or +1.
    on_move: Callback<isize>,
    on_remove: Callback<()>,
    /// Where focus goes when the last rule is removed (the list's "Add" button, say).
    after_last: &'static str,
) -> impl IntoView {
    let id = move |n: usize, what: &str| format!("{prefix}-{n}-{what}");
    let shift = move |delta: isize| {
        on_move.run(delta);
        let j = i.saturating_add_signed(delta);
        let (same, other) = if delta < 0 {
            ("up", "down")
        } else {
            ("down", "up")
        };
        focus_first(vec![id(j, same), id(j, other), id(j, "title")]);
    };
    let remove = move || {
        on_remove.run(());
        let mut ids = vec![id(i, "title")];
        if i > 0 {
            ids.push(id(i - 1, "title"));
        }
        ids.push(after_last.to_string());
        focus_first(ids);
    };
    // Up (-1) or down (+1): off at that end of the list.
    let move_button = move |delta: isize, way: &str, arrow: &'static str| {
        let at_end = move || {
            if delta < 0 {
                i == 0
            } else {
                i + 1 >= count.get()
            }
        };
        view! {
            <button
                type="button"
                class="button small"
                id=id(i, way)
                aria-label=format!("Move rule {} {way}", i + 1)
                disabled=move || readonly.get() || at_end()
                on:click=move |_| shift(delta)
            >
                {arrow}
            </button>
        }
    };
    view! {
        <div class="rule-head">
            <h3 id=id(i, "title") tabindex="-1">{move || title.get()}</h3>
            <div class="row">
                {move_button(-1, "up", "↑")}
                {move_button(1, "down", "↓")}
                <button
                    type="button"
                    class="button small"
                    id=id(i, "remove")
                    aria-label=format!("Remove rule {}", i + 1)
                    disabled=move || readonly.get()
                    on:click=move |_| remove()
                >
                    "Remove"
                </button>
            </div>
        </div>
    }
}
