//! Sign in: people with the single sign-on provider, when the worker has one; automation and
//! break-glass access with a named admin token (kept for this tab's session only).

use leptos::prelude::*;

use crate::api::{Api, ApiError};
use crate::context::{Credential, Session};

/// What a failed sign-in with the provider says: the worker sends the browser back to the app
/// with `?signin=refused|failed` (the reason itself is in the audit log, not the address).
pub fn sign_in_problem(search: &str) -> Option<&'static str> {
    let outcome = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("signin="))?;
    match outcome {
        "refused" => Some(
            "Your account is not allowed to use this project. Ask an administrator to add you.",
        ),
        "failed" => Some("Signing in with the provider did not complete. Try again."),
        _ => None,
    }
}

/// The app's address from its path on (with the route in the fragment, without any query),
/// for the provider to send the browser back to.
fn here() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let location = window().location();
        let path = location.pathname().unwrap_or_default();
        format!("{path}{}", location.hash().unwrap_or_default())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        String::new()
    }
}

/// The sign-in button of the provider, when single sign-on is configured, and why the last
/// attempt failed, if it did.
#[component]
fn SingleSignOn() -> impl IntoView {
    let sign_on = LocalResource::new(|| async { Api::cookie().sign_on().await.ok() });
    #[cfg(target_arch = "wasm32")]
    let problem = sign_in_problem(&window().location().search().unwrap_or_default());
    #[cfg(not(target_arch = "wasm32"))]
    let problem = sign_in_problem("");
    view! {
        {problem.map(|p| view! { <p class="form-error" role="alert" data-testid="signin-problem">{p}</p> })}
        {move || {
            sign_on.get().flatten().filter(|s| s.single_sign_on).map(|s| {
                let provider = s.provider.clone().unwrap_or_else(|| "single sign-on".into());
                view! {
                    <a class="button primary sso" href=s.login_href(&here())>
                        {format!("Sign in with {provider}")}
                    </a>
                    <p class="muted or">"Or, for automation and emergencies, with a named admin token:"</p>
                }
            })
        }}
    }
}

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
                Ok(identity) => session.sign_in(Credential::Token(t), identity),
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
                <SingleSignOn/>
                <p class="muted">
                    "A named admin token (for automation) is kept for this browser tab only."
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_sign_in_says_why() {
        assert!(sign_in_problem("?signin=refused").is_some_and(|p| p.contains("not allowed")));
        assert!(sign_in_problem("?x=1&signin=failed").is_some_and(|p| p.contains("Try again")));
        assert_eq!(sign_in_problem("?signin=other"), None);
        assert_eq!(sign_in_problem(""), None);
    }
}
