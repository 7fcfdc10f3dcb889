//! Individual targets: lists of users (targeting keys), orgs or any attribute's values that
//! get a variant before any rule is looked at.

use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use super::rows::{Rows, indices, remove_button};
use super::variant_field::variant_field;
use crate::lens::EnvLens;
use crate::state::draft::remove_item;

#[component]
pub fn TargetsEditor(lens: EnvLens) -> impl IntoView {
    let edit = lens.edit;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let count = lens.memo(|e| e.targets.len());
    let count = move || count.get().unwrap_or(0);

    view! {
        <section class="card" aria-labelledby="targets-title">
            <h2 id="targets-title">"Individual targets"</h2>
            <p class="hint">"Checked first: a context whose attribute is in a list gets that list's variant."</p>
            <Show when=move || { count() == 0 }>
                <p class="muted">"No targets."</p>
            </Show>
            <ol class="targets">
                <Rows keys=indices(count) row=Callback::new(move |i: usize| {
                        let pointer = Signal::derive(move || lens.at(&["targets", &i.to_string()]));
                        let values_pointer = Signal::derive(move || lens.at(&["targets", &i.to_string(), "values"]));
                        let variant_pointer = Signal::derive(move || lens.at(&["targets", &i.to_string(), "variant"]));
                        // This list (see `lens`: read when it changes, not on every keystroke).
                        let target = Memo::new(move |_| lens.with(|e| e.targets.get(i).cloned()).flatten());
                        let get = move |f: fn(&crate::state::draft::TargetDraft) -> String| {
                            target.with(|t| t.as_ref().map(f)).unwrap_or_default()
                        };
                        let attr_id = format!("target-attr-{i}");
                        let values_id = format!("target-values-{i}");
                        let variant_id = format!("target-variant-{i}");
                        let count_of = move || target.with(|t| t.as_ref().map(|t| t.count())).unwrap_or(0);
                        view! {
                            <li class="target-row card inner" data-pointer=move || pointer.get()>
                                <div class="grid three">
                                    <div class="field">
                                        <label for=attr_id.clone()>"Attribute"</label>
                                        <input
                                            id=attr_id.clone()
                                            type="text"
                                            list="attributes"
                                            placeholder="targetingKey"
                                            readonly=ro
                                            prop:value=move || get(|t| t.attribute.clone())
                                            on:input=move |ev| {
                                                let v = event_target_value(&ev);
                                                lens.update(|e, _| if let Some(t) = e.targets.get_mut(i) { t.attribute = v })
                                            }
                                        />
                                    </div>
                                    {variant_field(
                                        variant_id,
                                        "Serve",
                                        variant_pointer,
                                        Signal::derive(move || get(|t| t.variant.clone())),
                                        Callback::new(move |v| lens.update(|e, _| if let Some(t) = e.targets.get_mut(i) { t.variant = v })),
                                    )}
                                    <div class="field end">
                                        {remove_button(
                                            Signal::stored(format!("Remove target list {}", i + 1)),
                                            Signal::derive(ro),
                                            "targets-add".into(),
                                            Callback::new(move |_| lens.update(|e, _| remove_item(&mut e.targets, i))),
                                        )}
                                    </div>
                                </div>
                                <div class="field">
                                    <label for=values_id.clone()>
                                        {move || format!("Values ({}), comma or line separated", count_of())}
                                    </label>
                                    <textarea
                                        id=values_id.clone()
                                        rows="2"
                                        spellcheck="false"
                                        data-pointer=move || values_pointer.get()
                                        aria-describedby=move || field_id(&values_pointer.get())
                                        aria-invalid=move || invalid(problems, &values_pointer.get(), true).to_string()
                                        readonly=ro
                                        prop:value=move || get(|t| t.values.clone())
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            lens.update(|e, _| if let Some(t) = e.targets.get_mut(i) { t.values = v })
                                        }
                                    ></textarea>
                                    <FieldProblems problems pointer=values_pointer under=true/>
                                </div>
                                <FieldProblems problems pointer/>
                            </li>
                        }.into_any()
                    })/>
            </ol>
            <Show when=move || edit.can_edit.get()>
                <div class="row">
                    <button type="button" class="button" id="targets-add" on:click=move |_| { let v = lens.on_variant(); lens.update(|e, _| e.add_target("", &v)) }>
                        "Add users"
                    </button>
                    <button type="button" class="button" on:click=move |_| { let v = lens.on_variant(); lens.update(|e, _| e.add_target("orgId", &v)) }>
                        "Add orgs"
                    </button>
                </div>
            </Show>
        </section>
    }
}
