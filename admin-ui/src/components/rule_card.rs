//! One rule of the rules builder: its id, conditions, what it serves, and its place.

use leptos::prelude::*;

use super::clause_editor::ClauseEditor;
use super::field_problems::FieldProblems;
use super::focus_first;
use super::rows::{Rows, indices};
use super::rule_head::RuleHead;
use super::serve_editor::ServeEditor;
use crate::lens::EnvLens;
use crate::state::draft::{ClauseDraft, ClauseEdit, ServeDraft, ServeEdit, move_item, remove_item};

#[component]
pub fn RuleCard(lens: EnvLens, i: usize, segments: StoredValue<Vec<String>>) -> impl IntoView {
    let edit = lens.edit;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let count = lens.memo(|e| e.rules.len());
    let count = move || count.get().unwrap_or(0);
    // This rule (see `lens`: what reads it runs when it changes, not on every keystroke).
    let rule = Memo::new(move |_| lens.with(|e| e.rules.get(i).cloned()).flatten());
    let rule_pointer = Signal::derive(move || lens.at(&["rules", &i.to_string()]));
    let id_pointer = Signal::derive(move || lens.at(&["rules", &i.to_string(), "id"]));
    let get = move |f: fn(&crate::state::draft::RuleDraft) -> String| {
        rule.with(|r| r.as_ref().map(f)).unwrap_or_default()
    };
    let clauses = move || {
        rule.with(|r| r.as_ref().map(|r| r.clauses.len()))
            .unwrap_or(0)
    };
    let serve = Memo::new(move |_| rule.with(|r| r.as_ref().map(|r| r.serve.clone())));
    let on_serve = Callback::new(move |ed: ServeEdit| {
        lens.update(|e, vs| {
            if let Some(r) = e.rules.get_mut(i) {
                r.serve.apply(ed, vs)
            }
        })
    });
    let serve_pointer = Signal::derive(move || lens.at(&["rules", &i.to_string(), "serve"]));
    let variants: Signal<Vec<String>> = edit.variant_names.into();
    let id_input = format!("rule-id-{i}");
    let desc_input = format!("rule-desc-{i}");
    let title = move || {
        let id = get(|r| r.id.clone());
        if id.is_empty() {
            format!("Rule {}", i + 1)
        } else {
            format!("Rule {}: {id}", i + 1)
        }
    };

    view! {
        <li class="rule card inner" data-pointer=move || rule_pointer.get() data-rule=i>
            <RuleHead
                prefix="rule"
                i
                title=Signal::derive(title)
                count=Signal::derive(count)
                readonly=Signal::derive(ro)
                on_move=Callback::new(move |delta: isize| lens.update(|e, _| { move_item(&mut e.rules, i, delta); }))
                on_remove=Callback::new(move |_| lens.update(|e, _| remove_item(&mut e.rules, i)))
                after_last="rules-add"
            />
            <FieldProblems problems pointer=rule_pointer/>
            <div class="grid two">
                <div class="field">
                    <label for=id_input.clone()>"Rule id (reported as ruleId)"</label>
                    <input
                        id=id_input.clone()
                        type="text"
                        spellcheck="false"
                        data-pointer=move || id_pointer.get()
                        readonly=ro
                        prop:value=move || get(|r| r.id.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            lens.update(|e, _| if let Some(r) = e.rules.get_mut(i) { r.id = v })
                        }
                    />
                    <FieldProblems problems pointer=id_pointer/>
                </div>
                <div class="field">
                    <label for=desc_input.clone()>"Description"</label>
                    <input
                        id=desc_input.clone()
                        type="text"
                        readonly=ro
                        prop:value=move || get(|r| r.description.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            lens.update(|e, _| if let Some(r) = e.rules.get_mut(i) { r.description = v })
                        }
                    />
                </div>
            </div>
            <fieldset class="clauses">
                <legend>"If all of these hold"</legend>
                <Show when=move || { clauses() == 0 }>
                    <p class="muted">"No conditions: this rule matches everyone."</p>
                </Show>
                <Rows keys=indices(clauses) row=Callback::new(move |j: usize| {
                        let clause = Memo::new(move |_| {
                            rule.with(|r| r.as_ref().and_then(|r| r.clauses.get(j)).cloned())
                        });
                        let on_edit = Callback::new(move |ed: ClauseEdit| {
                            lens.update(|e, _| {
                                if let Some(c) = e.rules.get_mut(i).and_then(|r| r.clauses.get_mut(j)) {
                                    c.apply(ed)
                                }
                            })
                        });
                        let on_remove = Callback::new(move |_| {
                            lens.update(|e, _| {
                                if let Some(r) = e.rules.get_mut(i) {
                                    remove_item(&mut r.clauses, j);
                                }
                            });
                            focus_first(vec![format!("rule-{i}-add-condition")]);
                        });
                        let pointer = Signal::derive(move || lens.at(&["rules", &i.to_string(), "clauses", &j.to_string()]));
                        view! {
                            <ClauseEditor
                                id_prefix=format!("r{i}c{j}")
                                clause
                                on_edit
                                on_remove
                                pointer
                                problems
                                can_edit=edit.can_edit
                                segments=segments.get_value()
                            />
                        }.into_any()
                    })/>
                <Show when=move || edit.can_edit.get()>
                    <button
                        type="button"
                        class="button small"
                        id=format!("rule-{i}-add-condition")
                        on:click=move |_| lens.update(|e, _| if let Some(r) = e.rules.get_mut(i) { r.clauses.push(ClauseDraft::new()) })
                    >
                        "Add condition"
                    </button>
                </Show>
            </fieldset>
            <div class="serve-block">
                <h4>"Then serve"</h4>
                <ServeEditor
                    id_prefix=format!("rule-{i}")
                    serve=Signal::derive(move || serve.get().unwrap_or_else(ServeDraft::none))
                    on_edit=on_serve
                    variants
                    pointer=serve_pointer
                    allow_none=false
                />
            </div>
        </li>
    }
}
