//! A flag's key (new flags only), name, description, tags, kind and client-side switch.

use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use crate::lens::FlagEdit;
use crate::state::draft::{FlagDraft, kinds};
use crate::state::editable::EditableDraft;

#[component]
pub fn FlagDetails(is_new: bool) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let text_field =
        move |id: &'static str,
              label: &'static str,
              token: &'static str,
              get: fn(&crate::state::draft::FlagDraft) -> String,
              set: fn(&mut crate::state::draft::FlagDraft, String)| {
            let pointer = Signal::derive(move || edit.at(&[token]));
            view! {
                <div class="field">
                    <label for=id>{label}</label>
                    <input
                        id=id
                        type="text"
                        data-pointer=move || pointer.get()
                        aria-describedby=move || field_id(&pointer.get())
                        aria-invalid=move || invalid(problems, &pointer.get(), false).to_string()
                        readonly=ro
                        prop:value=move || draft.with(get)
                        on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
                    />
                    <FieldProblems problems pointer/>
                </div>
            }
        };
    let key_pointer = Signal::derive(move || draft.with(|d| d.pointer()));
    let kind_pointer = Signal::derive(move || edit.at(&["kind"]));
    let kind_now = move || draft.with(|d| d.kind.as_str().to_string());
    const KEY_FIELD: &str = FlagDraft::KEY_FIELD;

    view! {
        <section class="card" aria-labelledby="details-title">
            <h2 id="details-title">"Details"</h2>
            <Show when=move || is_new>
                <div class="field">
                    <label for="flag-key">"Key"</label>
                    <input
                        id="flag-key"
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="new-checkout"
                        data-pointer=KEY_FIELD
                        aria-describedby=format!("{} {}", field_id(KEY_FIELD), "key-hint")
                        aria-invalid=move || {
                            (invalid(problems, KEY_FIELD, false) || invalid(problems, &key_pointer.get(), false)).to_string()
                        }
                        prop:value=move || draft.with(|d| d.key.clone())
                        on:input=move |ev| draft.update(|d| d.key = event_target_value(&ev))
                    />
                    <p class="hint" id="key-hint">
                        "Letters, digits, . _ and -; it cannot change later."
                    </p>
                    <FieldProblems problems pointer=KEY_FIELD.to_string()/>
                    <FieldProblems problems pointer=key_pointer/>
                </div>
            </Show>
            <div class="grid two">
                {text_field("flag-name", "Name", "name", |d| d.name.clone(), |d, v| d.name = v)}
                {text_field("flag-tags", "Tags (comma-separated)", "tags", |d| d.tags.clone(), |d, v| d.tags = v)}
            </div>
            <div class="field">
                <label for="flag-description">"Description"</label>
                <textarea
                    id="flag-description"
                    rows="2"
                    data-pointer=move || edit.at(&["description"])
                    readonly=ro
                    prop:value=move || draft.with(|d| d.description.clone())
                    on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))
                ></textarea>
            </div>
            <div class="grid two">
                <div class="field">
                    <label for="flag-kind">"Kind"</label>
                    <select
                        id="flag-kind"
                        data-pointer=move || kind_pointer.get()
                        disabled=ro
                        on:change=move |ev| {
                            let k = burgee_core::model::Kind::from_name(&event_target_value(&ev));
                            draft.update(|d| d.set_kind(k))
                        }
                    >
                        {kinds()
                            .into_iter()
                            .map(|k| {
                                let name = k.as_str().to_string();
                                let n2 = name.clone();
                                view! {
                                    <option value=name.clone() selected=move || kind_now() == n2>
                                        {name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <FieldProblems problems pointer=kind_pointer/>
                </div>
                <div class="field checkbox">
                    <input
                        id="flag-client-side"
                        type="checkbox"
                        data-pointer=move || edit.at(&["clientSide"])
                        disabled=ro
                        prop:checked=move || draft.with(|d| d.client_side)
                        on:change=move |ev| draft.update(|d| d.client_side = event_target_checked(&ev))
                    />
                    <label for="flag-client-side">
                        "Client-side: browsers may evaluate it (its rules ship in the public snapshot)"
                    </label>
                </div>
            </div>
        </section>
    }
}
