//! Schedule steps: from a time on, a step's serve replaces the default (e.g. 5 → 25 → 50 →
//! 100 % on given days). Times are entered and shown in UTC.

use leptos::prelude::*;

use super::field_problems::FieldProblems;
use super::rows::{Rows, indices};
use super::serve_editor::ServeEditor;
use crate::lens::EnvLens;
use crate::state::draft::{ServeDraft, ServeEdit, StepDraft};
use crate::state::values::{at_to_input, display_time, input_to_at, rfc3339};

const DAY_MS: i64 = 86_400_000;

#[component]
pub fn ScheduleEditor(lens: EnvLens) -> impl IntoView {
    let edit = lens.edit;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let count = move || lens.with(|e| e.schedule.len()).unwrap_or(0);
    let variants = Signal::derive(move || edit.variants());

    // The progressive-rollout helper.
    let tomorrow = (crate::now_ms() / DAY_MS + 1) * DAY_MS + 9 * 3_600_000;
    let ramp_start = RwSignal::new(at_to_input(&rfc3339(tomorrow)));
    let ramp_every = RwSignal::new("24".to_string());
    let ramp_steps = RwSignal::new("5, 25, 50, 100".to_string());
    let ramp_on = RwSignal::new(String::new());
    let ramp_error = RwSignal::new(None::<String>);
    let apply_ramp = move |_| {
        let start = burgee_core::time::parse_rfc3339(&input_to_at(&ramp_start.get_untracked()));
        let hours = ramp_every
            .get_untracked()
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|h| *h > 0.0);
        let percents: Result<Vec<u64>, _> = ramp_steps
            .get_untracked()
            .split(',')
            .map(|p| p.trim().trim_end_matches('%').trim().parse::<u64>())
            .collect();
        let names = variants.get_untracked();
        let on = Some(ramp_on.get_untracked())
            .filter(|v| !v.is_empty())
            .or_else(|| names.first().cloned());
        let off = names.iter().find(|v| Some(*v) != on.as_ref()).cloned();
        match (start, hours, percents, on, off) {
            (None, ..) => ramp_error.set(Some("Choose when the first step starts.".into())),
            (_, None, ..) => {
                ramp_error.set(Some("The interval is a positive number of hours.".into()))
            }
            (_, _, Err(_), ..) => ramp_error.set(Some(
                "Steps are percentages, such as 5, 25, 50, 100.".into(),
            )),
            (_, _, _, _, None) | (_, _, _, None, _) => {
                ramp_error.set(Some("A rollout needs two variants.".into()))
            }
            (Some(start), Some(hours), Ok(percents), Some(on), Some(off)) => {
                ramp_error.set(None);
                let every = (hours * 3_600_000.0) as i64;
                lens.update(|e, _| e.ramp(start, every, &percents, &on, &off));
            }
        }
    };

    view! {
        <section class="card" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Schedule"</h2>
            <p class="hint">
                "From each step's time on (UTC), its serve replaces “Everyone else”. The latest step that has started wins."
            </p>
            <Show when=move || { count() == 0 }>
                <p class="muted">"No scheduled steps."</p>
            </Show>
            <ol class="steps">
                <Rows keys=indices(count) row=Callback::new(move |i: usize| {
                        let at = move || lens.with(|e| e.schedule.get(i).map(|s| s.at.clone())).flatten().unwrap_or_default();
                        let at_pointer = Signal::derive(move || lens.at(&["schedule", &i.to_string(), "at"]));
                        let step_pointer = Signal::derive(move || lens.at(&["schedule", &i.to_string()]));
                        let serve_pointer = Signal::derive(move || lens.at(&["schedule", &i.to_string(), "defaultServe"]));
                        let serve = Signal::derive(move || {
                            lens.with(|e| e.schedule.get(i).map(|s| s.serve.clone())).flatten().unwrap_or_else(ServeDraft::none)
                        });
                        let on_serve = Callback::new(move |ed: ServeEdit| {
                            lens.update(|e, vs| if let Some(s) = e.schedule.get_mut(i) { s.serve.apply(ed, vs) })
                        });
                        let at_id = format!("step-at-{i}");
                        let when = move || {
                            burgee_core::time::parse_rfc3339(&at())
                                .map(|ms| {
                                    let state = if ms <= crate::now_ms() { " (started)" } else { "" };
                                    format!("{}{state}", display_time(ms))
                                })
                                .unwrap_or_default()
                        };
                        view! {
                            <li class="step card inner" data-pointer=move || step_pointer.get()>
                                <div class="rule-head">
                                    <h3>{move || format!("Step {}", i + 1)} " " <span class="muted">{when}</span></h3>
                                    <button
                                        type="button"
                                        class="button small"
                                        aria-label=format!("Remove step {}", i + 1)
                                        disabled=ro
                                        on:click=move |_| lens.update(|e, _| { if i < e.schedule.len() { e.schedule.remove(i); } })
                                    >
                                        "Remove"
                                    </button>
                                </div>
                                <div class="field">
                                    <label for=at_id.clone()>"From (UTC)"</label>
                                    <input
                                        id=at_id.clone()
                                        type="datetime-local"
                                        step="1"
                                        data-pointer=move || at_pointer.get()
                                        readonly=ro
                                        prop:value=move || at_to_input(&at())
                                        on:change=move |ev| {
                                            let v = input_to_at(&event_target_value(&ev));
                                            lens.update(|e, _| if let Some(s) = e.schedule.get_mut(i) { s.at = v })
                                        }
                                    />
                                    <FieldProblems problems pointer=at_pointer/>
                                </div>
                                <ServeEditor
                                    id_prefix=format!("step-{i}")
                                    serve
                                    on_edit=on_serve
                                    variants
                                    pointer=serve_pointer
                                    allow_none=false
                                />
                                <FieldProblems problems pointer=step_pointer/>
                            </li>
                        }.into_any()
                    })/>
            </ol>
            <Show when=move || edit.can_edit.get()>
                <div class="row">
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| {
                            lens.update(|e, vs| {
                                let at = rfc3339(tomorrow);
                                let v = vs.first().cloned().unwrap_or_default();
                                e.schedule.push(StepDraft::new(at, ServeDraft::variant(&v)))
                            })
                        }
                    >
                        "Add step"
                    </button>
                </div>
                <details class="ramp">
                    <summary>"Progressive rollout…"</summary>
                    <p class="hint">"Replaces the schedule with one step per percentage of the chosen variant."</p>
                    <div class="grid four">
                        <div class="field">
                            <label for="ramp-start">"First step (UTC)"</label>
                            <input
                                id="ramp-start"
                                type="datetime-local"
                                prop:value=move || ramp_start.get()
                                on:change=move |ev| ramp_start.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="field">
                            <label for="ramp-every">"Hours between steps"</label>
                            <input
                                id="ramp-every"
                                type="number"
                                min="1"
                                prop:value=move || ramp_every.get()
                                on:input=move |ev| ramp_every.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="field">
                            <label for="ramp-steps">"Percentages"</label>
                            <input
                                id="ramp-steps"
                                type="text"
                                prop:value=move || ramp_steps.get()
                                on:input=move |ev| ramp_steps.set(event_target_value(&ev))
                            />
                        </div>
                        <div class="field">
                            <label for="ramp-on">"Variant rolled out"</label>
                            <select id="ramp-on" on:change=move |ev| ramp_on.set(event_target_value(&ev))>
                                {move || {
                                    variants
                                        .get()
                                        .into_iter()
                                        .map(|v| view! { <option value=v.clone()>{v.clone()}</option> })
                                        .collect_view()
                                }}
                            </select>
                        </div>
                    </div>
                    <p class="form-error" role="alert">{move || ramp_error.get()}</p>
                    <button type="button" class="button" on:click=apply_ramp>"Make the steps"</button>
                </details>
            </Show>
        </section>
    }
}
