//! One condition: attribute, operator, values (typed by the operator), negate. Shared by flag
//! rules and segment rules.

use burgee_core::model::Op;
use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use crate::state::draft::{ClauseDraft, ClauseEdit};
use crate::state::fields::{Problems, pointer as join};
use crate::state::values::{ValueKind, op_label, value_kind, values_hint};

#[component]
pub fn ClauseEditor(
    id_prefix: String,
    #[prop(into)] clause: Signal<Option<ClauseDraft>>,
    on_edit: Callback<ClauseEdit>,
    on_remove: Callback<()>,
    #[prop(into)] pointer: Signal<String>,
    #[prop(into)] problems: Signal<Problems>,
    #[prop(into)] can_edit: Signal<bool>,
    /// The document's segment keys, for `inSegment`.
    segments: Vec<String>,
    /// Segments that cannot be chosen here (they use the segment being edited: a cycle).
    #[prop(optional)]
    cycles: Vec<String>,
) -> impl IntoView {
    let cycles = StoredValue::new(cycles);
    let ro = move || !can_edit.get();
    let get =
        move |f: fn(&ClauseDraft) -> String| clause.with(|c| c.as_ref().map(f)).unwrap_or_default();
    // Each operator's `<option>` reads it: a memo, so they run when the operator changes.
    let op = Memo::new(move |_| {
        clause
            .with(|c| c.as_ref().map(|c| c.op.clone()))
            .unwrap_or_default()
    });
    let kind = Memo::new(move |_| value_kind(&op.get()));
    let kind = move || kind.get();
    let attr_pointer = Signal::derive(move || join(&pointer.get(), &["attribute"]));
    let op_pointer = Signal::derive(move || join(&pointer.get(), &["op"]));
    let values_pointer = Signal::derive(move || join(&pointer.get(), &["values"]));
    let attr_id = format!("{id_prefix}-attr");
    let op_id = format!("{id_prefix}-op");
    let values_id = format!("{id_prefix}-values");
    let negate_id = format!("{id_prefix}-negate");
    let prefix = StoredValue::new(id_prefix);
    let segments = StoredValue::new(segments);

    view! {
        <div class="clause" data-pointer=move || pointer.get()>
            <div class="clause-fields">
                <Show when=move || kind() != ValueKind::Segment>
                    <div class="field">
                        <label for=attr_id.clone()>"Attribute"</label>
                        <input
                            id=attr_id.clone()
                            type="text"
                            list="attributes"
                            spellcheck="false"
                            placeholder="plan, org.id, …"
                            data-pointer=move || attr_pointer.get()
                            aria-describedby=move || field_id(&pointer.get())
                            aria-invalid=move || invalid(problems, &pointer.get(), false).to_string()
                            readonly=ro
                            prop:value=move || get(|c| c.attribute.clone())
                            on:input=move |ev| on_edit.run(ClauseEdit::Attribute(event_target_value(&ev)))
                        />
                    </div>
                </Show>
                {op_choice(op_id, op, on_edit, op_pointer, problems, can_edit)}
                <Show when=move || !matches!(kind(), ValueKind::None | ValueKind::Segment)>
                    <div class="field grow">
                        <label for=values_id.clone()>"Values"</label>
                        <input
                            id=values_id.clone()
                            type="text"
                            spellcheck="false"
                            placeholder=move || values_hint(kind())
                            data-pointer=move || values_pointer.get()
                            aria-describedby=move || format!("{} {}-hint", field_id(&values_pointer.get()), prefix.get_value())
                            aria-invalid=move || invalid(problems, &values_pointer.get(), true).to_string()
                            readonly=ro
                            prop:value=move || get(|c| c.values.clone())
                            on:input=move |ev| on_edit.run(ClauseEdit::Values(event_target_value(&ev)))
                        />
                        <span class="sr-only" id=move || format!("{}-hint", prefix.get_value())>{move || values_hint(kind())}</span>
                    </div>
                </Show>
                <Show when=move || kind() == ValueKind::Segment>
                    {segment_choice(
                        clause,
                        on_edit,
                        values_pointer,
                        can_edit,
                        prefix,
                        segments,
                        cycles,
                    )}
                </Show>
                <div class="field checkbox">
                    <input
                        id=negate_id.clone()
                        type="checkbox"
                        disabled=ro
                        prop:checked=move || clause.with(|c| c.as_ref().is_some_and(|c| c.negate))
                        on:change=move |ev| on_edit.run(ClauseEdit::Negate(event_target_checked(&ev)))
                    />
                    <label for=negate_id.clone()>"not"</label>
                </div>
                <div class="field end">
                    <button
                        type="button"
                        class="button small"
                        aria-label="Remove condition"
                        disabled=ro
                        on:click=move |_| on_remove.run(())
                    >
                        "×"
                    </button>
                </div>
            </div>
            <FieldProblems problems pointer/>
            <FieldProblems problems pointer=attr_pointer/>
            <FieldProblems problems pointer=values_pointer under=true/>
        </div>
    }
}

/// The operator, by its label and its name in the document; one this app does not know stays
/// shown as it is.
fn op_choice(
    id: String,
    op: Memo<Op>,
    on_edit: Callback<ClauseEdit>,
    pointer: Signal<String>,
    problems: Signal<Problems>,
    can_edit: Signal<bool>,
) -> impl IntoView {
    let op = move || op.get();
    view! {
        <div class="field">
            <label for=id.clone()>"Operator"</label>
            <select
                id=id.clone()
                data-pointer=move || pointer.get()
                disabled=move || !can_edit.get()
                on:change=move |ev| on_edit.run(ClauseEdit::Op(Op::from_name(&event_target_value(&ev))))
            >
                {Op::NAMES
                    .iter()
                    .map(|name| {
                        let o = Op::from_name(name);
                        let label = format!("{} ({name})", op_label(&o));
                        let o2 = o.clone();
                        view! { <option value=*name selected=move || op() == o2>{label}</option> }
                    })
                    .collect_view()}
                {move || match op() {
                    Op::Unknown(name) => Some(view! { <option value=name.clone() selected=true>{format!("unknown: {name}")}</option> }),
                    _ => None,
                }}
            </select>
            <FieldProblems problems pointer/>
        </div>
    }
}

/// The segments of an `inSegment` clause, one checkbox each. One already chosen stays
/// removable; otherwise a segment that would make a cycle cannot be chosen, and says so.
fn segment_choice(
    clause: Signal<Option<ClauseDraft>>,
    on_edit: Callback<ClauseEdit>,
    // The clause's `values`.
    pointer: Signal<String>,
    can_edit: Signal<bool>,
    prefix: StoredValue<String>,
    segments: StoredValue<Vec<String>>,
    cycles: StoredValue<Vec<String>>,
) -> impl IntoView {
    let ro = move || !can_edit.get();
    view! {
        <fieldset class="field grow segments-pick" data-pointer=move || pointer.get()>
            <legend>"Segments"</legend>
            {move || {
                let chosen = clause.with(|c| c.as_ref().map(ClauseDraft::segments)).unwrap_or_default();
                let mut all = segments.get_value();
                for c in &chosen {
                    if !all.contains(c) {
                        all.push(c.clone());
                    }
                }
                if all.is_empty() {
                    return view! { <p class="muted">"No segments yet."</p> }.into_any();
                }
                all.into_iter()
                    .map(|s| {
                        let id = format!("{}-seg-{s}", prefix.get_value());
                        let checked = chosen.contains(&s);
                        // Already chosen stays removable; otherwise a cycle is refused here.
                        let cycle = !checked && cycles.with_value(|c| c.contains(&s));
                        let s2 = s.clone();
                        view! {
                            <span class="check">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    disabled=move || ro() || cycle
                                    prop:checked=checked
                                    on:change=move |_| on_edit.run(ClauseEdit::ToggleSegment(s2.clone()))
                                />
                                <label for=id>
                                    {s.clone()}
                                    {cycle.then(|| view! { <span class="muted">" (uses this segment: a cycle)"</span> })}
                                </label>
                            </span>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </fieldset>
    }
}
