//! A field of one line of text: its label, the input, and what the caller puts under it (its
//! problems, a hint). The inputs that need more (`aria-invalid` from their problems, a key's
//! hint) are written out where they are.

use leptos::prelude::*;

#[component]
pub fn TextField(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(optional, into)] readonly: Signal<bool>,
    /// The `<datalist>` it suggests from (`attributes`).
    #[prop(optional)]
    list: Option<&'static str>,
    #[prop(optional, into)] placeholder: MaybeProp<String>,
    /// Names and keys, not words: no spelling marks.
    #[prop(optional)]
    no_spellcheck: bool,
    /// The field it edits, for the problem list's links.
    #[prop(optional, into)]
    pointer: MaybeProp<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                list=list
                spellcheck=no_spellcheck.then_some("false")
                placeholder=move || placeholder.get()
                data-pointer=move || pointer.get()
                readonly=move || readonly.get()
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
            {children.map(|c| c())}
        </div>
    }
}
