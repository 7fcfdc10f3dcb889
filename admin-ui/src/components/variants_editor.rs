//! Typed variants: a name and a value of the flag's kind, checked as you type. A name and its
//! value are separate fields with their own problems: a name's at its `#key` pseudo-pointer,
//! a value's at the variant (see `state::fields::key_pointer`).

use burgee_core::model::Kind;
use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use super::rows::{Rows, indices, remove_button};
use crate::lens::FlagEdit;
use crate::state::fields::{Problems, key_pointer};

#[component]
pub fn VariantsEditor() -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let ro = move || !edit.can_edit.get();
    let count = move || draft.with(|d| d.variants.len());
    let list_pointer = Signal::derive(move || edit.at(&["variants"]));
    // Names apart from values, and other flags' broken requirements at the name they require.
    let problems: Signal<Problems> = Memo::new(move |_| {
        edit.problems.with(|all| {
            draft.with(|d| {
                edit.doc
                    .with_value(|doc| d.variant_problems(&doc.document, all))
            })
        })
    })
    .into();

    view! {
        <section class="card" aria-labelledby="variants-title">
            <h2 id="variants-title">"Variants"</h2>
            <p class="hint">
                {move || match draft.with(|d| d.kind.clone()) {
                    Kind::Boolean => "Values are true or false.",
                    Kind::String => "Values are text, used as typed.",
                    Kind::Number => "Values are numbers.",
                    _ => "Values are JSON (objects, arrays, anything).",
                }}
            </p>
            <FieldProblems problems pointer=list_pointer/>
            <ol class="variants">
                <Rows keys=indices(count) row=Callback::new(move |i: usize| {
                        let name_of = move || draft.with(|d| d.variants.get(i).map(|v| v.name.clone()).unwrap_or_default());
                        let pointer = Signal::derive(move || draft.with(|d| d.variant_pointer(i)));
                        let name_pointer = Signal::derive(move || key_pointer(&pointer.get()));
                        let name_id = format!("variant-name-{i}");
                        let value_id = format!("variant-value-{i}");
                        let kind = move || draft.with(|d| d.kind.clone());
                        let text = move || draft.with(|d| d.variants.get(i).map(|v| v.text.clone()).unwrap_or_default());
                        let set_text = move |v: String| draft.update(|d| if let Some(x) = d.variants.get_mut(i) { x.text = v });
                        let described = move || field_id(&pointer.get());
                        let value_invalid = move || invalid(problems, &pointer.get(), false).to_string();
                        view! {
                            <li class="variant-row" data-variant=name_of>
                                <div class="field">
                                    <label for=name_id.clone()>"Name"</label>
                                    <input
                                        id=name_id.clone()
                                        type="text"
                                        spellcheck="false"
                                        readonly=ro
                                        data-pointer=move || name_pointer.get()
                                        aria-describedby=move || field_id(&name_pointer.get())
                                        aria-invalid=move || invalid(problems, &name_pointer.get(), false).to_string()
                                        prop:value=name_of
                                        on:input=move |ev| draft.update(|d| d.rename_variant(i, &event_target_value(&ev)))
                                    />
                                </div>
                                <div class="field grow">
                                    <label for=value_id.clone()>"Value"</label>
                                    {move || match kind() {
                                        Kind::Boolean => view! {
                                            <select
                                                id=value_id.clone()
                                                disabled=ro
                                                data-pointer=move || pointer.get()
                                                aria-describedby=described
                                                aria-invalid=value_invalid
                                                on:change=move |ev| set_text(event_target_value(&ev))
                                            >
                                                // A value that is neither (it came from another kind) shows as it is.
                                                {move || {
                                                    let t = text();
                                                    let other = !matches!(t.trim(), "true" | "false");
                                                    other.then(|| view! {
                                                        <option value="" disabled=true prop:selected=true>{format!("{t} — choose true or false")}</option>
                                                    })
                                                }}
                                                <option value="true" prop:selected=move || text().trim() == "true">"true"</option>
                                                <option value="false" prop:selected=move || text().trim() == "false">"false"</option>
                                            </select>
                                        }.into_any(),
                                        Kind::Json | Kind::Unknown(_) => view! {
                                            <textarea
                                                id=value_id.clone()
                                                rows="2"
                                                class="code"
                                                spellcheck="false"
                                                readonly=ro
                                                data-pointer=move || pointer.get()
                                                aria-describedby=described
                                                aria-invalid=value_invalid
                                                prop:value=text
                                                on:input=move |ev| set_text(event_target_value(&ev))
                                            ></textarea>
                                        }.into_any(),
                                        _ => view! {
                                            <input
                                                id=value_id.clone()
                                                type="text"
                                                spellcheck="false"
                                                readonly=ro
                                                data-pointer=move || pointer.get()
                                                aria-describedby=described
                                                aria-invalid=value_invalid
                                                prop:value=text
                                                on:input=move |ev| set_text(event_target_value(&ev))
                                            />
                                        }.into_any(),
                                    }}
                                </div>
                                {remove_button(
                                    Signal::derive(move || format!("Remove variant {}", name_of())),
                                    Signal::derive(move || ro() || count() <= 1),
                                    "variants-add".into(),
                                    Callback::new(move |_| draft.update(|d| d.remove_variant(i))),
                                )}
                                <FieldProblems problems pointer=name_pointer/>
                                <FieldProblems problems pointer/>
                            </li>
                        }.into_any()
                    })/>
            </ol>
            <Show when=move || edit.can_edit.get()>
                <button type="button" class="button" id="variants-add" on:click=move |_| { draft.update(|d| { d.add_variant(); }); }>
                    "Add variant"
                </button>
            </Show>
        </section>
    }
}
