//! "Evaluate as": a context (form or JSON) in, every flag's value, variant and reason out, for
//! one environment, computed here by the core; optionally checked against the store's own
//! evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use burgee_core::EvaluationResult;
use leptos::prelude::*;
use serde_json::Value;

use super::context_fields::context_fields;
use super::env_select::env_select;
use super::evaluate_results::evaluate_results;
use crate::context::{Notices, Session, Tone};
use crate::state::catalog::preferred_env;
use crate::state::document::DocState;
use crate::state::evaluate::{
    Field, FieldError, context_from_fields, differences, evaluate_all, fields_from_context,
};
use crate::state::json_errors::describe;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Form,
    Json,
}

#[component]
pub fn EvaluatePage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let notices = expect_context::<Notices>();
    let envs = doc.document.environments.clone();
    let env = RwSignal::new(preferred_env(&envs));
    let input = ContextInput::new();
    let server = RwSignal::new(None::<BTreeMap<String, EvaluationResult>>);
    let comparing = RwSignal::new(false);
    let docs = StoredValue::new(doc.clone());

    let context = input.context();
    let results = Memo::new(move |_| {
        let env = env.get();
        context.with(|c| match c {
            Ok(ctx) => docs.with_value(|d| evaluate_all(&d.document, &env, ctx, crate::now_ms())),
            Err(_) => BTreeMap::new(),
        })
    });
    // A new context or environment makes the store's answer stale.
    Effect::new(move |_| {
        context.track();
        env.track();
        server.set(None);
    });
    let switch_mode = move |m: Mode| {
        if let Err(message) = input.switch(m) {
            notices.push(Tone::Error, message);
        }
    };
    let compare = move |_| {
        let Ok(ctx) = context.get_untracked() else {
            return;
        };
        let api = session.api();
        let env = env.get_untracked();
        comparing.set(true);
        leptos::task::spawn_local(async move {
            match api.evaluate(&env, &ctx).await {
                Ok(e) => {
                    server.try_set(Some(e.results));
                }
                Err(e) => notices.push(Tone::Error, format!("The store could not evaluate: {e}")),
            }
            comparing.try_set(false);
        });
    };
    let diffs = Memo::new(move |_| {
        server.with(|s| s.as_ref().map(|s| results.with(|r| differences(r, s))))
    });
    let mode = input.mode;
    let json = input.json;

    view! {
        <section class="page evaluate-page">
            <div class="page-head"><h1>"Evaluate as"</h1></div>
            <p class="hint">
                "Every flag for one context, computed in this browser by the same core the edge runs, on the loaded version."
            </p>
            <div class="evaluate-layout">
                <div class="card">
                    <div class="grid two">
                        {env_select("eval-env", envs, env)}
                        <div class="field" role="radiogroup" aria-label="Context as">
                            <span class="label">"Context as"</span>
                            <div class="segmented">
                                <button type="button" aria-pressed=move || (mode.get() == Mode::Form).to_string() on:click=move |_| switch_mode(Mode::Form)>"Form"</button>
                                <button type="button" aria-pressed=move || (mode.get() == Mode::Json).to_string() on:click=move |_| switch_mode(Mode::Json)>"JSON"</button>
                            </div>
                        </div>
                    </div>
                    <Show when=move || mode.get() == Mode::Form>
                        {context_fields(input.targeting_key, input.fields, input.form)}
                    </Show>
                    <Show when=move || mode.get() == Mode::Json>
                        <div class="field">
                            <label for="eval-json">"Context (JSON)"</label>
                            <textarea id="eval-json" class="code" rows="10" spellcheck="false"
                                aria-invalid=move || context.with(|c| c.is_err()).to_string()
                                aria-describedby="eval-json-error"
                                prop:value=move || json.get() on:input=move |ev| json.set(event_target_value(&ev))></textarea>
                            <p class="form-error" id="eval-json-error" role="alert">{move || context.with(|c| c.clone().err())}</p>
                        </div>
                    </Show>
                    <div class="row">
                        <button type="button" class="button" disabled=move || comparing.get() || context.with(|c| c.is_err()) on:click=compare>
                            {move || if comparing.get() { "Asking the store…" } else { "Compare with the store" }}
                        </button>
                        <span class="muted" data-testid="compare-result">
                            {move || diffs.get().map(|d| {
                                if d.is_empty() { "The store agrees on every flag.".to_string() } else { format!("The store differs on {}: {}", d.len(), d.join(", ")) }
                            })}
                        </span>
                    </div>
                </div>
                {evaluate_results(results, diffs)}
            </div>
        </section>
    }
}

/// The context as typed: a form or JSON text, and which of the two is on screen.
#[derive(Clone, Copy, Debug)]
struct ContextInput {
    mode: RwSignal<Mode>,
    targeting_key: RwSignal<String>,
    fields: RwSignal<Vec<Field>>,
    json: RwSignal<String>,
    /// What the form describes.
    form: Memo<Result<Value, Vec<FieldError>>>,
}

impl ContextInput {
    fn new() -> ContextInput {
        let targeting_key = RwSignal::new("user-1".to_string());
        let fields = RwSignal::new(vec![Field::default()]);
        ContextInput {
            mode: RwSignal::new(Mode::Form),
            targeting_key,
            fields,
            json: RwSignal::new(String::from("{\n  \"targetingKey\": \"user-1\"\n}")),
            form: Memo::new(move |_| fields.with(|f| context_from_fields(&targeting_key.get(), f))),
        }
    }

    /// The context on screen, or what is wrong with it.
    fn context(self) -> Memo<Result<Value, String>> {
        Memo::new(move |_| match self.mode.get() {
            Mode::Form => self
                .form
                .get()
                .map_err(|_| "fix the attributes marked below".to_string()),
            Mode::Json => serde_json::from_str::<Value>(&self.json.get()).map_err(|e| describe(&e)),
        })
    }

    /// Shows the context as `m`, carrying it over; `Err` says why it stays as it is.
    fn switch(self, m: Mode) -> Result<(), &'static str> {
        if m == self.mode.get_untracked() {
            return Ok(());
        }
        match m {
            Mode::Json => {
                let Ok(ctx) = self.form.get_untracked() else {
                    return Err("Fix the attributes marked below first.");
                };
                self.json
                    .set(serde_json::to_string_pretty(&ctx).unwrap_or_default());
            }
            Mode::Form => match serde_json::from_str::<Value>(&self.json.get_untracked()) {
                Ok(ctx) if ctx.is_object() => {
                    let (k, mut f) = fields_from_context(&ctx);
                    if f.is_empty() {
                        f.push(Field::default());
                    }
                    self.targeting_key.set(k);
                    self.fields.set(f);
                }
                Ok(_) => {
                    return Err("The form holds a JSON object only: this context stays in JSON.");
                }
                // Not JSON (yet): the form keeps what it had.
                Err(_) => {}
            },
        }
        self.mode.set(m);
        Ok(())
    }
}
