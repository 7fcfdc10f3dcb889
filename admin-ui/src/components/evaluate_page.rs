//! "Evaluate as": a context (form or JSON) in, every flag's value, variant and reason out, for
//! one environment, computed here by the core; optionally checked against the store's own
//! evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;

use super::focus_first;
use super::rows::{Rows, indices};
use crate::context::{Notices, Session, Tone};
use crate::state::catalog::is_production;
use crate::state::document::DocState;
use crate::state::evaluate::{
    Field, FieldKind, Outcome, context_from_fields, differences, evaluate_all, fields_from_context,
};
use crate::state::json_errors::describe;
use crate::state::route::Route;
use crate::state::values::short_json;

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
    let first = envs
        .iter()
        .find(|e| is_production(e))
        .or(envs.first())
        .cloned()
        .unwrap_or_default();
    let env = RwSignal::new(first);
    let mode = RwSignal::new(Mode::Form);
    let targeting_key = RwSignal::new("user-1".to_string());
    let fields = RwSignal::new(vec![Field::default()]);
    let json = RwSignal::new(String::from("{\n  \"targetingKey\": \"user-1\"\n}"));
    let filter = RwSignal::new(String::new());
    let server = RwSignal::new(None::<BTreeMap<String, Outcome>>);
    let comparing = RwSignal::new(false);
    let docs = StoredValue::new(doc.clone());

    let form = Memo::new(move |_| fields.with(|f| context_from_fields(&targeting_key.get(), f)));
    let row_error = move |i: usize| {
        form.with(|r| match r {
            Err(errors) => errors
                .iter()
                .find(|e| e.row == i)
                .map(|e| e.message.clone()),
            Ok(_) => None,
        })
    };
    let context = Memo::new(move |_| -> Result<Value, String> {
        match mode.get() {
            Mode::Form => form
                .get()
                .map_err(|_| "fix the attributes marked below".to_string()),
            Mode::Json => serde_json::from_str::<Value>(&json.get()).map_err(|e| describe(&e)),
        }
    });
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
        if m == mode.get_untracked() {
            return;
        }
        match m {
            Mode::Json => {
                let Ok(ctx) = form.get_untracked() else {
                    notices.push(Tone::Error, "Fix the attributes marked below first.");
                    return;
                };
                json.set(serde_json::to_string_pretty(&ctx).unwrap_or_default());
            }
            Mode::Form => match serde_json::from_str::<Value>(&json.get_untracked()) {
                Ok(ctx) if ctx.is_object() => {
                    let (k, mut f) = fields_from_context(&ctx);
                    if f.is_empty() {
                        f.push(Field::default());
                    }
                    targeting_key.set(k);
                    fields.set(f);
                }
                Ok(_) => {
                    notices.push(
                        Tone::Error,
                        "The form holds a JSON object only: this context stays in JSON.",
                    );
                    return;
                }
                // Not JSON (yet): the form keeps what it had.
                Err(_) => {}
            },
        }
        mode.set(m);
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

    view! {
        <section class="page evaluate-page">
            <div class="page-head"><h1>"Evaluate as"</h1></div>
            <p class="hint">
                "Every flag for one context, computed in this browser by the same core the edge runs, on the loaded version."
            </p>
            <div class="evaluate-layout">
                <div class="card">
                    <div class="grid two">
                        <div class="field">
                            <label for="eval-env">"Environment"</label>
                            <select id="eval-env" on:change=move |ev| env.set(event_target_value(&ev))>
                                {envs
                                    .iter()
                                    .map(|e| {
                                        let e2 = e.clone();
                                        view! { <option value=e.clone() selected=move || env.with(|x| *x == e2)>{e.clone()}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <div class="field" role="radiogroup" aria-label="Context as">
                            <span class="label">"Context as"</span>
                            <div class="segmented">
                                <button type="button" aria-pressed=move || (mode.get() == Mode::Form).to_string() on:click=move |_| switch_mode(Mode::Form)>"Form"</button>
                                <button type="button" aria-pressed=move || (mode.get() == Mode::Json).to_string() on:click=move |_| switch_mode(Mode::Json)>"JSON"</button>
                            </div>
                        </div>
                    </div>
                    <Show when=move || mode.get() == Mode::Form>
                        <div class="field">
                            <label for="eval-key">"Targeting key"</label>
                            <input id="eval-key" type="text" spellcheck="false" prop:value=move || targeting_key.get() on:input=move |ev| targeting_key.set(event_target_value(&ev))/>
                        </div>
                        <fieldset class="attributes">
                            <legend>"Attributes"</legend>
                            <Rows keys=indices(move || fields.with(Vec::len)) row=Callback::new(move |i: usize| {
                                    let name_id = format!("eval-attr-{i}");
                                    let kind_id = format!("eval-kind-{i}");
                                    let value_id = format!("eval-value-{i}");
                                    let error_id = format!("eval-error-{i}");
                                    let kind = move || fields.with(|f| f.get(i).map(|x| x.kind).unwrap_or_default());
                                    view! {
                                        <div class="attr-row">
                                            <label class="sr-only" for=name_id.clone()>{format!("Attribute {} name", i + 1)}</label>
                                            <input id=name_id.clone() type="text" list="attributes" placeholder="attribute" spellcheck="false"
                                                prop:value=move || fields.with(|f| f.get(i).map(|x| x.name.clone()).unwrap_or_default())
                                                on:input=move |ev| { let v = event_target_value(&ev); fields.update(|f| if let Some(x) = f.get_mut(i) { x.name = v }) }/>
                                            <label class="sr-only" for=kind_id.clone()>{format!("Attribute {} type", i + 1)}</label>
                                            <select id=kind_id.clone()
                                                on:change=move |ev| {
                                                    let k = FieldKind::parse(&event_target_value(&ev));
                                                    fields.update(|f| if let Some(x) = f.get_mut(i) {
                                                        x.kind = k;
                                                        // true/false is chosen, not typed.
                                                        if k == FieldKind::Boolean && x.value.trim() != "false" {
                                                            x.value = "true".into();
                                                        }
                                                    })
                                                }>
                                                {FieldKind::ALL.into_iter().map(|k| view! {
                                                    <option value=k.as_str() selected=move || kind() == k>{k.as_str()}</option>
                                                }).collect_view()}
                                            </select>
                                            <label class="sr-only" for=value_id.clone()>{format!("Attribute {} value", i + 1)}</label>
                                            {
                                                let value_id = value_id.clone();
                                                let error_id = error_id.clone();
                                                let set = move |v: String| fields.update(|f| if let Some(x) = f.get_mut(i) { x.value = v });
                                                let value = move || fields.with(|f| f.get(i).map(|x| x.value.clone()).unwrap_or_default());
                                                // Only a change of type swaps the control (typing must keep the input).
                                                let boolean = Memo::new(move |_| kind() == FieldKind::Boolean);
                                                move || if boolean.get() {
                                                    view! {
                                                        <select id=value_id.clone() on:change=move |ev| set(event_target_value(&ev))>
                                                            <option value="true" selected=move || value().trim() == "true">"true"</option>
                                                            <option value="false" selected=move || value().trim() == "false">"false"</option>
                                                        </select>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <input id=value_id.clone() type="text" spellcheck="false"
                                                            placeholder=move || match kind() {
                                                                FieldKind::Number => "42",
                                                                FieldKind::Json => "[\"a\", \"b\"]",
                                                                _ => "value",
                                                            }
                                                            aria-invalid=move || row_error(i).is_some().to_string()
                                                            aria-describedby=error_id.clone()
                                                            prop:value=value
                                                            on:input=move |ev| set(event_target_value(&ev))/>
                                                    }.into_any()
                                                }
                                            }
                                            <button type="button" class="button small" aria-label=format!("Remove attribute {}", i + 1)
                                                on:click=move |_| { fields.update(|f| { if i < f.len() { f.remove(i); } }); focus_first(vec!["eval-add".into()]); }>"×"</button>
                                            <p class="form-error attr-error" id=error_id>{move || row_error(i)}</p>
                                        </div>
                                    }.into_any()
                                })/>
                            <button type="button" class="button small" id="eval-add" on:click=move |_| fields.update(|f| f.push(Field::default()))>"Add attribute"</button>
                        </fieldset>
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
                <div class="card">
                    <div class="field">
                        <label for="eval-filter">"Filter results"</label>
                        <input id="eval-filter" type="search" prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
                    </div>
                    <div class="table-wrap">
                        <table class="results" data-testid="results">
                            <thead>
                                <tr>
                                    <th scope="col">"Flag"</th>
                                    <th scope="col">"Value"</th>
                                    <th scope="col">"Variant"</th>
                                    <th scope="col">"Reason"</th>
                                    <th scope="col">"Detail"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    let f = filter.get().to_lowercase();
                                    let different = diffs.get().unwrap_or_default();
                                    results
                                        .get()
                                        .into_iter()
                                        .filter(|(k, _)| f.is_empty() || k.to_lowercase().contains(&f))
                                        .map(|(k, r)| {
                                            let detail = [
                                                r.rule_id.as_ref().map(|x| format!("rule {x}")),
                                                r.prerequisite.as_ref().map(|x| format!("prerequisite {x}")),
                                                r.error_code.as_ref().map(|x| format!("{x}: {}", r.error_message.clone().unwrap_or_default())),
                                            ]
                                            .into_iter()
                                            .flatten()
                                            .collect::<Vec<_>>()
                                            .join("; ");
                                            let differs = different.contains(&k);
                                            view! {
                                                <tr data-flag=k.clone() data-reason=r.reason.clone() data-variant=r.variant.clone().unwrap_or_default() class:differs=differs>
                                                    <th scope="row"><a href=Route::Flag(k.clone()).href()>{k.clone()}</a></th>
                                                    <td><code>{short_json(&r.value, 60)}</code></td>
                                                    <td>{r.variant.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td><span class=format!("reason reason-{}", r.reason.to_lowercase())>{r.reason.clone()}</span></td>
                                                    <td>{detail}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                    </div>
                </div>
            </div>
        </section>
    }
}
