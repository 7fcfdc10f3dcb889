//! One environment of a flag: its switch, the variant served while off, targets, rules, the
//! default serve and the schedule.

use leptos::prelude::*;

use super::field_problems::FieldProblems;
use super::rules_builder::RulesBuilder;
use super::schedule_editor::ScheduleEditor;
use super::serve_editor::ServeEditor;
use super::targets_editor::TargetsEditor;
use super::variant_options;
use crate::lens::FlagEdit;
use crate::state::catalog::is_production;
use crate::state::draft::{ServeDraft, ServeEdit};

#[component]
pub fn EnvEditor(env: String) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let lens = edit.env(env.clone());
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let env_pointer = Signal::derive(move || lens.at(&[]));
    let off_pointer = Signal::derive(move || lens.at(&["offVariant"]));
    let enabled = lens.memo(|e| e.enabled);
    let enabled = move || enabled.get().unwrap_or(false);
    let present = lens.memo(|e| e.present);
    let present = move || present.get().unwrap_or(false);
    let off_variant = lens.memo(|e| e.off_variant.clone());

    let default_serve = Memo::new(move |_| {
        lens.with(|e| e.default_serve.clone())
            .unwrap_or_else(ServeDraft::none)
    });
    let on_default =
        Callback::new(move |ed: ServeEdit| lens.update(|e, vs| e.default_serve.apply(ed, vs)));
    let variants: Signal<Vec<String>> = edit.variant_names.into();
    let default_pointer = Signal::derive(move || lens.at(&["defaultServe"]));
    let production = is_production(&env);

    view! {
        <div class="env-editor" data-env=env.clone()>
            <section class="card" aria-labelledby="env-state-title">
                <h2 id="env-state-title">
                    {format!("{env}: on or off")}
                    {production.then(|| view! { <span class="tag warn">"production"</span> })}
                </h2>
                <FieldProblems problems pointer=env_pointer/>
                <Show when=move || !present()>
                    <p class="hint">"This flag has no settings here yet: it is off. Any change adds them."</p>
                </Show>
                <div class="grid two">
                    <div class="field checkbox">
                        <input
                            id="env-enabled"
                            type="checkbox"
                            role="switch"
                            data-pointer=move || lens.at(&["enabled"])
                            disabled=ro
                            prop:checked=enabled
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                lens.update(|e, _| e.set_enabled(on))
                            }
                        />
                        <label for="env-enabled">
                            "Enabled (the kill switch): when off, everyone gets the off variant"
                        </label>
                    </div>
                    <div class="field">
                        <label for="env-off">"Off variant"</label>
                        <select
                            id="env-off"
                            data-pointer=move || off_pointer.get()
                            disabled=ro
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                lens.update(|e, _| e.off_variant = v)
                            }
                        >
                            <option value="" selected=move || off_variant.with(|v| v.as_ref().is_none_or(String::is_empty))>
                                "(none: callers get their default)"
                            </option>
                            {move || variant_options(variants.get(), off_variant.get().unwrap_or_default())}
                        </select>
                        <FieldProblems problems pointer=off_pointer/>
                    </div>
                </div>
            </section>
            <TargetsEditor lens/>
            <RulesBuilder lens/>
            <section class="card" aria-labelledby="default-title">
                <h2 id="default-title">"Everyone else"</h2>
                <p class="hint">"Served when no target or rule matches (and no schedule step is active)."</p>
                <ServeEditor
                    id_prefix="default".to_string()
                    serve=default_serve
                    on_edit=on_default
                    variants
                    pointer=default_pointer
                    allow_none=true
                />
            </section>
            <ScheduleEditor lens/>
        </div>
    }
}
