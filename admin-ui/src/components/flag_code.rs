//! "Use in code": snippets that read this flag with the npm package, through OpenFeature and
//! over REST, for the environment picked, each with a Copy button.

use std::sync::Arc;

use leptos::prelude::*;

use crate::state::document::DocState;
use crate::state::snippets::{Place, snippets};

/// The snippets of the saved flag `key` (as the store has it: the draft's unsaved kind would
/// give code for a flag that does not exist yet).
#[component]
pub fn FlagCode(key: String, doc: Arc<DocState>) -> impl IntoView {
    let Some(flag) = doc.document.flags.get(&key).cloned() else {
        return view! { <p class="muted">"Save the flag first: the code reads what the store has."</p> }
            .into_any();
    };
    let environments = doc.document.environments.clone();
    let first = environments
        .iter()
        .find(|e| crate::state::catalog::is_production(e))
        .or(environments.first())
        .cloned()
        .unwrap_or_default();
    let environment = RwSignal::new(first);
    let origin = origin();
    let shown = move || {
        let env = environment.get();
        let off = flag
            .environments
            .get(&env)
            .and_then(|s| s.off_variant.as_ref())
            .and_then(|v| flag.variants.get(v));
        let place = Place {
            origin: origin.clone(),
            environment: env,
        };
        snippets(&key, &flag.kind, off, &place)
            .into_iter()
            .map(|s| {
                let code = s.code.clone();
                view! {
                    <section class="snippet" data-testid="snippet">
                        <div class="snippet-head">
                            <h3>{s.title}</h3>
                            <button type="button" class="button small" on:click=move |_| copy(&code)>
                                {format!("Copy {}", s.title)}
                            </button>
                        </div>
                        <pre><code>{s.code}</code></pre>
                    </section>
                }
            })
            .collect_view()
    };
    view! {
        <div class="flag-code">
            <label for="code-environment">"Environment"</label>
            <select id="code-environment" on:change=move |ev| environment.set(event_target_value(&ev))>
                {environments
                    .into_iter()
                    .map(|e| {
                        let selected = e == environment.get_untracked();
                        view! { <option value=e.clone() selected=selected>{e.clone()}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="muted">
                "The default in each snippet is the flag's off value: what the code gets when the flag cannot be evaluated. "
                "The REST call needs an evaluation key when the deployment requires one."
            </p>
            {shown}
        </div>
    }
    .into_any()
}

/// Where the app is served from: the worker that evaluates too.
fn origin() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    String::new()
}

fn copy(text: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let clipboard = window().navigator().clipboard();
        let _ = clipboard.write_text(text);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = text;
}
