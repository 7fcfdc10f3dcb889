//! What went wrong loading a part of a page, in one line, where that part would be (an
//! `<ErrorBoundary>`'s fallback).

use leptos::prelude::*;

pub fn error_line(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">
            {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
        </p>
    }
}
