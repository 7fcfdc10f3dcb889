//! Before saving: how many contexts would get a different variant, and from what to what,
//! evaluated by the core over generated or pasted contexts.

use leptos::prelude::*;

use super::env_select::env_select;
use super::transition_chart::TransitionChart;
use super::transition_chart::pct;
use crate::lens::FlagEdit;
use crate::state::catalog::preferred_env;
use crate::state::preview::{Preview, Versions, parse_json_lines, sample_for};
use crate::state::values::display_time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Generated,
    Pasted,
}

/// The preview at the time of each later scheduled step.
type Steps = Vec<(i64, Preview)>;

/// What each later step of the schedule will serve, and to how many it is a change.
fn scheduled_steps(steps: Steps) -> Option<impl IntoView> {
    (!steps.is_empty()).then(|| {
        view! {
            <div class="preview-steps" data-testid="preview-steps">
                <h3>"As the scheduled steps start"</h3>
                <ol>
                    {steps
                        .into_iter()
                        .map(|(at, p)| {
                            let serves = p
                                .after
                                .iter()
                                .map(|(v, n)| format!("{v} {}", pct(*n, p.total)))
                                .collect::<Vec<_>>()
                                .join(", ");
                            view! {
                                <li data-testid="preview-step" data-changed=p.changed>
                                    <strong>{display_time(at)}</strong>
                                    {format!(": {} of {} would change; serves {serves}", p.changed, p.total)}
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </div>
        }
    })
}

#[component]
pub fn ChangePreview() -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let envs: Vec<String> = edit.doc.with_value(|d| d.document.environments.clone());
    let env = RwSignal::new(preferred_env(&envs));
    let source = RwSignal::new(Source::Generated);
    let size = RwSignal::new("1000".to_string());
    let pasted = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<(Preview, Steps), String>>);

    let run = move |_| {
        let (flag, _) = edit.draft.with_untracked(|d| d.to_flag());
        let key = edit.draft.with_untracked(|d| d.key.clone());
        let env = env.get_untracked();
        let outcome = edit.doc.with_value(|doc| {
            let old = &doc.document;
            let new = doc.with_flag(&key, flag);
            let contexts = match source.get_untracked() {
                Source::Generated => {
                    let text = size.get_untracked();
                    match text.trim().parse::<usize>() {
                        Ok(n @ 1..=100_000) => Ok(sample_for(old, &new, &key, &env, n)),
                        _ => Err(format!(
                            "How many: `{}` is not a whole number from 1 to 100000.",
                            text.trim()
                        )),
                    }
                }
                Source::Pasted => parse_json_lines(&pasted.get_untracked()).and_then(|c| {
                    if c.is_empty() {
                        Err("Paste at least one context (one JSON object per line).".into())
                    } else {
                        Ok(c)
                    }
                }),
            };
            contexts.map(|c| Versions::new(old, &new, &key, &env).over_time(&c, crate::now_ms()))
        });
        result.set(Some(outcome));
    };
    let radio = move |id: &'static str, of: Source, label: &'static str| {
        view! {
            <span class="radio">
                <input
                    type="radio"
                    id=id
                    name="preview-source"
                    prop:checked=move || source.get() == of
                    on:change=move |_| source.set(of)
                />
                <label for=id>{label}</label>
            </span>
        }
    };

    view! {
        <section class="card" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview the change"</h2>
            <p class="hint">
                "Evaluates the saved version and your edited version with the same core the edge runs, over the same contexts, and counts who would get a different variant."
            </p>
            <div class="grid three">
                {env_select("preview-env", envs, env)}
                <fieldset class="field">
                    <legend>"Contexts"</legend>
                    {radio("preview-generated", Source::Generated, "Generated from what the rules read")}
                    {radio("preview-pasted", Source::Pasted, "Pasted (JSON lines)")}
                </fieldset>
                <Show when=move || source.get() == Source::Generated>
                    <div class="field">
                        <label for="preview-size">"How many"</label>
                        <input
                            id="preview-size"
                            type="number"
                            min="1"
                            max="100000"
                            prop:value=move || size.get()
                            on:input=move |ev| size.set(event_target_value(&ev))
                        />
                    </div>
                </Show>
            </div>
            <Show when=move || source.get() == Source::Pasted>
                <div class="field">
                    <label for="preview-contexts">"Contexts, one JSON object per line"</label>
                    <textarea
                        id="preview-contexts"
                        class="code"
                        rows="6"
                        spellcheck="false"
                        placeholder=r#"{"targetingKey":"user-1","plan":"pro"}"#
                        prop:value=move || pasted.get()
                        on:input=move |ev| pasted.set(event_target_value(&ev))
                    ></textarea>
                </div>
            </Show>
            <button type="button" class="button primary" data-testid="run-preview" on:click=run>
                "Run preview"
            </button>
            {move || match result.get() {
                None => view! { <p class="muted">"No preview yet."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
                Some(Ok((p, steps))) => view! {
                    <TransitionChart preview=p/>
                    {scheduled_steps(steps)}
                }
                .into_any(),
            }}
        </section>
    }
}
