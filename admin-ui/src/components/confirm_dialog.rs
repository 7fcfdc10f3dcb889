//! The app's one confirmation dialog (a modal `<dialog>`: focus stays inside, Escape cancels).

use leptos::prelude::*;

use crate::context::Confirm;

#[component]
pub fn ConfirmDialog() -> impl IntoView {
    let confirm = expect_context::<Confirm>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let cancel_button = NodeRef::<leptos::html::Button>::new();

    Effect::new(move |_| {
        let open = confirm.question.with(Option::is_some);
        if let Some(d) = dialog.get() {
            if open && !d.open() {
                let _ = d.show_modal();
                if let Some(b) = cancel_button.get() {
                    let _ = b.focus();
                }
            } else if !open && d.open() {
                d.close();
            }
        }
    });

    let close = move || confirm.question.set(None);
    let accept = move || {
        if let Some(q) = confirm.question.get_untracked() {
            confirm.question.set(None);
            q.on_confirm.run(());
        }
    };
    let text = move |f: fn(&crate::context::Question) -> String| {
        confirm
            .question
            .with(|q| q.as_ref().map(f).unwrap_or_default())
    };
    // A required reason not yet typed: the confirm button waits for it.
    let waiting = move || {
        confirm.question.with(|q| {
            q.as_ref().is_some_and(|q| {
                q.reason_required && q.reason.is_some_and(|r| r.with(|r| r.trim().is_empty()))
            })
        })
    };
    let required = move || {
        confirm
            .question
            .with(|q| q.as_ref().is_some_and(|q| q.reason_required))
    };
    let danger = move || {
        confirm
            .question
            .with(|q| q.as_ref().is_some_and(|q| q.danger))
    };

    view! {
        <dialog
            node_ref=dialog
            class="confirm"
            aria-labelledby="confirm-title"
            aria-describedby="confirm-body"
            on:close=move |_| close()
        >
            <h2 id="confirm-title">{move || text(|q| q.title.clone())}</h2>
            <p id="confirm-body">{move || text(|q| q.body.clone())}</p>
            {move || {
                let list = confirm.question.with(|q| q.as_ref().map(|q| q.list.clone()).unwrap_or_default());
                (!list.is_empty()).then(|| view! {
                    <ul class="confirm-list" data-testid="confirm-list">
                        {list.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                    </ul>
                })
            }}
            {move || confirm.question.with(|q| q.as_ref().and_then(|q| q.reason)).map(|reason| view! {
                <label for="confirm-reason">{move || if required() { "Reason (required)" } else { "Reason" }}</label>
                <input
                    id="confirm-reason"
                    data-testid="confirm-reason"
                    required=required
                    aria-required=move || required().to_string()
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            })}
            <div class="actions">
                <button type="button" class="button" node_ref=cancel_button on:click=move |_| close()>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class=move || if danger() { "button danger" } else { "button primary" }
                    disabled=waiting
                    on:click=move |_| accept()
                >
                    {move || text(|q| q.confirm.clone())}
                </button>
            </div>
        </dialog>
    }
}
