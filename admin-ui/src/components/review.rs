//! The step between Save and the write: what the save changes, in the core's words (the same
//! the history and the audit log use afterwards), the flag's impact preview, and why. A
//! protected environment's change needs the why: the store refuses it without one, and the
//! refusal is shown here, at the reason, so that the person types one and saves again.

use leptos::prelude::*;

use crate::editor::EditorLifecycle;
use crate::state::editable::EditableDraft;

/// The review of `life`'s save, while one is open; `impact` is the impact preview (a flag's).
pub fn review<D: EditableDraft>(life: EditorLifecycle<D>, impact: Option<ViewFn>) -> impl IntoView {
    let flow = life.flow;
    let reason = NodeRef::<leptos::html::Textarea>::new();
    // Opened: the reason takes the focus, which brings the review into view.
    Effect::new(move |_| {
        if flow.review.with(Option::is_some)
            && let Some(r) = reason.get()
        {
            let _ = r.focus();
        }
    });
    move || {
        let lines = flow.review.try_get().flatten()?;
        let impact = impact.clone();
        let empty = lines.is_empty();
        Some(view! {
            <section class="review panel" aria-labelledby="review-title" data-testid="review">
                <h2 id="review-title">"Review the changes"</h2>
                <ul class="review-lines">
                    {lines.into_iter().map(|l| view! { <li data-testid="review-line">{l}</li> }).collect_view()}
                </ul>
                {empty.then(|| view! { <p class="muted">"Nothing changes but the time it was saved."</p> })}
                {impact.map(|i| view! {
                    <details class="review-impact" open>
                        <summary>"Impact preview"</summary>
                        {i.run()}
                    </details>
                })}
                <label for="review-reason">"Reason"</label>
                <textarea
                    id="review-reason"
                    data-testid="review-reason"
                    rows="2"
                    node_ref=reason
                    aria-describedby="review-reason-note"
                    prop:value=move || flow.reason.get()
                    on:input=move |ev| flow.reason.set(event_target_value(&ev))
                ></textarea>
                <p class="muted" id="review-reason-note">
                    "Kept with the version in the history and audit log; required for protected environments."
                </p>
                <p class="form-error" role="alert" data-testid="review-reason-problem">
                    {move || flow.reason_problem.get()}
                </p>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| flow.review.set(None)>
                        "Back to editing"
                    </button>
                    <button
                        type="button"
                        class="button primary"
                        data-testid="review-confirm"
                        disabled=move || flow.busy()
                        on:click=move |_| life.confirm_review()
                    >
                        {move || if flow.saving.try_get().unwrap_or(false) { "Saving…" } else { "Save these changes" }}
                    </button>
                </div>
            </section>
        })
    }
}
