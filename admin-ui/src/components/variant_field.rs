//! A field choosing one of the flag's variants (a serve's, a target list's), with its problems.

use leptos::prelude::*;

use super::field_problems::FieldProblems;
use super::variant_options;
use crate::lens::FlagEdit;

pub fn variant_field(
    id: String,
    label: &'static str,
    pointer: Signal<String>,
    // The variant chosen now.
    current: Signal<String>,
    on_change: Callback<String>,
) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select
                id=id
                data-pointer=move || pointer.get()
                disabled=move || !edit.can_edit.get()
                on:change=move |ev| on_change.run(event_target_value(&ev))
            >
                {move || variant_options(edit.variants(), current.get())}
            </select>
            <FieldProblems problems=edit.problems pointer/>
        </div>
    }
}
