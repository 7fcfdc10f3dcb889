//! Sign in with an admin token (kept for this tab's session only).

use leptos::prelude::*;

use crate::api::{Api, ApiError};
use crate::context::Session;

#[component]
pub fn Login() -> impl IntoView {
    let session = expect_context::<Session>();
    let token = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = token.get_untracked().trim().to_string();
        if t.is_empty() {
            error.set(Some("Enter your admin token.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match Api::new(t.clone()).whoami().await {
                Ok(identity) => session.sign_in(t, identity),
                Err(ApiError::Unauthenticated(_)) => {
                    error.try_set(Some("This token is not valid for this project.".into()));
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <main class="login" id="main">
            <form class="card" on:submit=submit aria-labelledby="login-title">
                <h1 id="login-title">"Burgee admin"</h1>
                <p class="muted">
                    "Sign in with an admin token. It is kept for this browser tab only."
                </p>
                <label for="token">"Admin token"</label>
                <input
                    id="token"
                    name="token"
                    type="password"
                    autocomplete="current-password"
                    autofocus
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby="login-error"
                    prop:value=move || token.get()
                    on:input=move |ev| token.set(event_target_value(&ev))
                />
                <p class="form-error" id="login-error" role="alert">
                    {move || error.get()}
                </p>
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
