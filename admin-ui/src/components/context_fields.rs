//! "Evaluate as", the context as a form: the targeting key, then one row per attribute with
//! its name, type and value. A row whose value does not read as its type says why beside it.

use leptos::prelude::*;
use serde_json::Value;

use super::focus_first;
use super::rows::{Rows, indices};
use crate::state::draft::remove_item;
use crate::state::evaluate::{Field, FieldError, FieldKind};

pub fn context_fields(
    targeting_key: RwSignal<String>,
    fields: RwSignal<Vec<Field>>,
    // The context the form describes, or every row's problem.
    form: Memo<Result<Value, Vec<FieldError>>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="eval-key">"Targeting key"</label>
            <input id="eval-key" type="text" spellcheck="false" prop:value=move || targeting_key.get() on:input=move |ev| targeting_key.set(event_target_value(&ev))/>
        </div>
        <fieldset class="attributes">
            <legend>"Attributes"</legend>
            <Rows keys=indices(move || fields.with(Vec::len)) row=Callback::new(move |i: usize| {
                view! { {attribute_row(i, fields, form)} }.into_any()
            })/>
            <button type="button" class="button small" id="eval-add" on:click=move |_| fields.update(|f| f.push(Field::default()))>"Add attribute"</button>
        </fieldset>
    }
}

/// Attribute `i`: its name, type, value, and its problem.
fn attribute_row(
    i: usize,
    fields: RwSignal<Vec<Field>>,
    form: Memo<Result<Value, Vec<FieldError>>>,
) -> impl IntoView {
    let name_id = format!("eval-attr-{i}");
    let kind_id = format!("eval-kind-{i}");
    let value_id = format!("eval-value-{i}");
    let error_id = format!("eval-error-{i}");
    let row_error = Signal::derive(move || {
        form.with(|r| match r {
            Err(errors) => errors
                .iter()
                .find(|e| e.row == i)
                .map(|e| e.message.clone()),
            Ok(_) => None,
        })
    });
    let kind =
        Signal::derive(move || fields.with(|f| f.get(i).map(|x| x.kind).unwrap_or_default()));
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
                    <option value=k.as_str() selected=move || kind.get() == k>{k.as_str()}</option>
                }).collect_view()}
            </select>
            <label class="sr-only" for=value_id.clone()>{format!("Attribute {} value", i + 1)}</label>
            {attribute_value(i, fields, kind, value_id, error_id.clone(), row_error)}
            <button type="button" class="button small" aria-label=format!("Remove attribute {}", i + 1)
                on:click=move |_| { fields.update(|f| remove_item(f, i)); focus_first(vec!["eval-add".into()]); }>"×"</button>
            <p class="form-error attr-error" id=error_id>{move || row_error.get()}</p>
        </div>
    }
}

/// Attribute `i`'s value: true or false chosen, anything else typed. Only a change of type
/// swaps the control (typing must keep the input).
fn attribute_value(
    i: usize,
    fields: RwSignal<Vec<Field>>,
    kind: Signal<FieldKind>,
    id: String,
    error_id: String,
    row_error: Signal<Option<String>>,
) -> impl IntoView {
    let set = move |v: String| {
        fields.update(|f| {
            if let Some(x) = f.get_mut(i) {
                x.value = v
            }
        })
    };
    let value = move || fields.with(|f| f.get(i).map(|x| x.value.clone()).unwrap_or_default());
    let boolean = Memo::new(move |_| kind.get() == FieldKind::Boolean);
    move || {
        if boolean.get() {
            view! {
            <select id=id.clone() on:change=move |ev| set(event_target_value(&ev))>
                <option value="true" selected=move || value().trim() == "true">"true"</option>
                <option value="false" selected=move || value().trim() == "false">"false"</option>
            </select>
        }.into_any()
        } else {
            view! {
                <input id=id.clone() type="text" spellcheck="false"
                    placeholder=move || match kind.get() {
                        FieldKind::Number => "42",
                        FieldKind::Json => "[\"a\", \"b\"]",
                        _ => "value",
                    }
                    aria-invalid=move || row_error.with(Option::is_some).to_string()
                    aria-describedby=error_id.clone()
                    prop:value=value
                    on:input=move |ev| set(event_target_value(&ev))/>
            }
            .into_any()
        }
    }
}
