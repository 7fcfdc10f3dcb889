//! A flag's lifecycle, expected lifetime and experiment events: what the stale-flags page and
//! the experiment readout read.

use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use crate::lens::FlagEdit;
use crate::state::draft::{LIFECYCLES, LifecycleDraft};

#[component]
pub fn LifecycleFields() -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let life = Memo::new(move |_| draft.with(|d| d.life.clone()));
    let set =
        move |f: fn(&mut LifecycleDraft, String), v: String| draft.update(|d| f(&mut d.life, v));
    let days_pointer = Signal::derive(move || edit.at(&["expectedLifetimeDays"]));
    let events_pointer = Signal::derive(move || edit.at(&["experiment", "events"]));
    let lifetime_hint = move || match life.with(LifecycleDraft::default_lifetime) {
        Some(d) => format!("Empty: {d} days, this lifecycle's default."),
        None => "Permission flags are permanent: no lifetime.".to_string(),
    };
    view! {
        <section class="card" aria-labelledby="lifecycle-title">
            <h2 id="lifecycle-title">"Lifecycle"</h2>
            <div class="grid three">
                <div class="field">
                    <label for="flag-lifecycle">"Lifecycle"</label>
                    <select
                        id="flag-lifecycle"
                        data-pointer=move || edit.at(&["lifecycle"])
                        disabled=ro
                        on:change=move |ev| set(|l, v| l.lifecycle = v, event_target_value(&ev))
                    >
                        <option value="" selected=move || life.with(|l| l.lifecycle.is_empty())>
                            "release (not written)"
                        </option>
                        {LIFECYCLES
                            .iter()
                            .map(|name| {
                                view! {
                                    <option value=*name selected=move || life.with(|l| l.lifecycle == *name)>
                                        {*name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="flag-lifetime">"Expected lifetime (days)"</label>
                    <input
                        id="flag-lifetime"
                        type="text"
                        inputmode="numeric"
                        data-pointer=move || days_pointer.get()
                        aria-describedby=move || format!("{} lifetime-hint", field_id(&days_pointer.get()))
                        aria-invalid=move || invalid(problems, &days_pointer.get(), false).to_string()
                        readonly=ro
                        prop:value=move || life.with(|l| l.lifetime_days.clone())
                        on:input=move |ev| set(|l, v| l.lifetime_days = v, event_target_value(&ev))
                    />
                    <p class="hint" id="lifetime-hint">{lifetime_hint}</p>
                    <FieldProblems problems pointer=days_pointer/>
                </div>
                <div class="field">
                    <label for="flag-events">"Experiment events (comma-separated)"</label>
                    <input
                        id="flag-events"
                        type="text"
                        spellcheck="false"
                        placeholder="purchase, signup"
                        data-pointer=move || events_pointer.get()
                        aria-describedby=move || field_id(&events_pointer.get())
                        aria-invalid=move || invalid(problems, &events_pointer.get(), true).to_string()
                        readonly=ro
                        prop:value=move || life.with(|l| l.events.clone())
                        on:input=move |ev| set(|l, v| l.events = v, event_target_value(&ev))
                    />
                    <FieldProblems problems pointer=events_pointer/>
                </div>
            </div>
        </section>
    }
}
