//! Schedule steps: from a time on, a step's serve replaces the default (e.g. 5 → 25 → 50 →
//! 100 % on given days). Times are entered and shown in UTC.

use burgee_core::time::{format_rfc3339, parse_rfc3339};
use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use super::rows::{Rows, indices, remove_button};
use super::serve_editor::ServeEditor;
use crate::lens::EnvLens;
use crate::state::draft::{
    RAMP_EVERY, RAMP_ON, RAMP_PERCENTS, RAMP_START, RampForm, ServeDraft, ServeEdit, remove_item,
};
use crate::state::fields::Problems;
use crate::state::values::{at_to_input, display_time, input_to_at, tomorrow_morning};

#[component]
pub fn ScheduleEditor(lens: EnvLens) -> impl IntoView {
    let edit = lens.edit;
    let count = lens.memo(|e| e.schedule.len());
    let count = move || count.get().unwrap_or(0);

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
                <Rows keys=indices(count) row=Callback::new(move |i: usize| view! { {schedule_step(
                    lens,
                    i,
                )} }.into_any())/>
            </ol>
            <Show when=move || edit.can_edit.get()>
                <div class="row">
                    <button
                        type="button"
                        class="button"
                        id="schedule-add"
                        on:click=move |_| {
                            lens.update(|e, vs| {
                                e.add_step(crate::now_ms(), vs.first().map(String::as_str).unwrap_or_default())
                            })
                        }
                    >
                        "Add step"
                    </button>
                </div>
                {ramp_helper(lens)}
            </Show>
        </section>
    }
}

/// Step `i`: when it starts, and what it serves from then on.
fn schedule_step(lens: EnvLens, i: usize) -> impl IntoView {
    let edit = lens.edit;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let variants: Signal<Vec<String>> = edit.variant_names.into();
    let step = Memo::new(move |_| lens.with(|e| e.schedule.get(i).cloned()).flatten());
    let at = move || {
        step.with(|s| s.as_ref().map(|s| s.at.clone()))
            .unwrap_or_default()
    };
    let at_pointer = Signal::derive(move || lens.at(&["schedule", &i.to_string(), "at"]));
    let step_pointer = Signal::derive(move || lens.at(&["schedule", &i.to_string()]));
    let serve_pointer =
        Signal::derive(move || lens.at(&["schedule", &i.to_string(), "defaultServe"]));
    let serve = Memo::new(move |_| {
        step.with(|s| s.as_ref().map(|s| s.serve.clone()))
            .unwrap_or_else(ServeDraft::none)
    });
    let on_serve = Callback::new(move |ed: ServeEdit| {
        lens.update(|e, vs| {
            if let Some(s) = e.schedule.get_mut(i) {
                s.serve.apply(ed, vs)
            }
        })
    });
    let at_id = format!("step-at-{i}");
    let when = move || {
        parse_rfc3339(&at())
            .map(|ms| {
                let state = if ms <= crate::now_ms() {
                    " (started)"
                } else {
                    ""
                };
                format!("{}{state}", display_time(ms))
            })
            .unwrap_or_default()
    };
    view! {
        <li class="step card inner" data-pointer=move || step_pointer.get()>
            <div class="rule-head">
                <h3>{move || format!("Step {}", i + 1)} " " <span class="muted">{when}</span></h3>
                {remove_button(
                    Signal::stored(format!("Remove step {}", i + 1)),
                    Signal::derive(ro),
                    "schedule-add".into(),
                    Callback::new(move |_| lens.update(|e, _| remove_item(&mut e.schedule, i))),
                )}
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
    }
}

/// The progressive-rollout helper: a form that replaces the schedule with one step per
/// percentage of the chosen variant. Its problems are its own, at its inputs.
fn ramp_helper(lens: EnvLens) -> impl IntoView {
    let variants: Signal<Vec<String>> = lens.edit.variant_names.into();
    let ramp = RwSignal::new(RampForm {
        start: at_to_input(&format_rfc3339(tomorrow_morning(crate::now_ms()))),
        every: "24".into(),
        percents: "5, 25, 50, 100".into(),
        on: lens.on_variant(),
    });
    let problems = RwSignal::new(Problems::default());
    let apply = move |_| match ramp.with_untracked(|f| f.parse(&variants.get_untracked())) {
        Ok(r) => {
            problems.set(Problems::default());
            lens.update(|e, _| e.ramp(r.start_ms, r.interval_ms, &r.percents, &r.on, &r.off));
        }
        Err(p) => problems.set(p),
    };
    let (on_described, on_invalid) = described(problems, RAMP_ON);
    // One input of the form (`kind` is its `type`): a time is read once it is complete
    // (`change`), the rest as typed.
    let input = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      pointer: &'static str,
                      get: fn(&RampForm) -> String,
                      set: fn(&mut RampForm, String)| {
        let (describedby, is_invalid) = described(problems, pointer);
        let on_change = kind == "datetime-local";
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type=kind
                    min=(kind == "number").then_some("1")
                    aria-describedby=describedby
                    aria-invalid=is_invalid
                    prop:value=move || ramp.with(get)
                    on:change=move |ev| if on_change { ramp.update(|f| set(f, event_target_value(&ev))) }
                    on:input=move |ev| if !on_change { ramp.update(|f| set(f, event_target_value(&ev))) }
                />
                <FieldProblems problems pointer=pointer.to_string()/>
            </div>
        }
    };
    view! {
        <details class="ramp">
            <summary>"Progressive rollout…"</summary>
            <p class="hint">"Replaces the schedule with one step per percentage of the chosen variant."</p>
            <div class="grid four">
                {input("ramp-start", "First step (UTC)", "datetime-local", RAMP_START,
                    |f| f.start.clone(), |f, v| f.start = v)}
                {input("ramp-every", "Hours between steps", "number", RAMP_EVERY,
                    |f| f.every.clone(), |f, v| f.every = v)}
                {input("ramp-steps", "Percentages", "text", RAMP_PERCENTS,
                    |f| f.percents.clone(), |f, v| f.percents = v)}
                <div class="field">
                    <label for="ramp-on">"Variant rolled out"</label>
                    <select
                        id="ramp-on"
                        aria-describedby=on_described
                        aria-invalid=on_invalid
                        on:change=move |ev| ramp.update(|f| f.on = event_target_value(&ev))
                    >
                        {move || {
                            variants
                                .get()
                                .into_iter()
                                .map(|v| {
                                    let chosen = ramp.with_untracked(|f| f.on == v);
                                    view! { <option value=v.clone() selected=chosen>{v.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                    <FieldProblems problems pointer=RAMP_ON.to_string()/>
                </div>
            </div>
            <button type="button" class="button" on:click=apply>"Make the steps"</button>
        </details>
    }
}

/// `aria-describedby` and `aria-invalid` of the ramp form's input at `pointer`.
fn described(
    problems: RwSignal<Problems>,
    pointer: &'static str,
) -> (impl Fn() -> String, impl Fn() -> String) {
    (
        move || field_id(pointer),
        move || invalid(problems.into(), pointer, false).to_string(),
    )
}
