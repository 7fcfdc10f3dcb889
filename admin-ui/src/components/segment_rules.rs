//! A segment's rules: anyone not listed is a member when all the conditions of any rule hold.

use leptos::prelude::*;

use super::clause_editor::ClauseEditor;
use super::field_problems::FieldProblems;
use super::focus_first;
use super::rows::{Rows, indices};
use super::rule_head::RuleHead;
use crate::editor::EditorLifecycle;
use crate::state::draft::{ClauseDraft, ClauseEdit, move_item, remove_item};
use crate::state::fields::pointer as join;
use crate::state::segment_draft::{SegmentDraft, SegmentRuleDraft};

pub fn segment_rules(life: EditorLifecycle<SegmentDraft>, base: Memo<String>) -> impl IntoView {
    let draft = life.draft;
    let rules = Memo::new(move |_| draft.with(|d| d.rules.len()));
    view! {
        <section class="card" aria-labelledby="segment-rules-title">
            <h2 id="segment-rules-title">"Rules"</h2>
            <p class="hint">"Anyone else is a member when all the conditions of any rule hold."</p>
            <ol class="rules">
                <Rows keys=indices(move || rules.get()) row=Callback::new(move |i: usize| {
                    view! { {segment_rule(life, base, i, rules)} }.into_any()
                })/>
            </ol>
            <Show when=move || life.can_edit.get()>
                <button type="button" class="button" id="segment-rules-add" on:click=move |_| draft.update(|d| d.rules.push(SegmentRuleDraft::new()))>"Add rule"</button>
            </Show>
        </section>
    }
}

fn segment_rule(
    life: EditorLifecycle<SegmentDraft>,
    base: Memo<String>,
    i: usize,
    count: Memo<usize>,
) -> impl IntoView {
    let draft = life.draft;
    let problems = life.problems;
    let can_edit = life.can_edit;
    let ro = move || !can_edit.get();
    let at = move |tokens: &[&str]| base.with(|b| join(b, tokens));
    let rule_pointer = Signal::derive(move || at(&["rules", &i.to_string()]));
    let rule = Memo::new(move |_| draft.with(|d| d.rules.get(i).cloned()));
    let clauses = move || rule.with(|r| r.as_ref().map(|r| r.clauses.len()).unwrap_or(0));
    let id_input = format!("segment-rule-id-{i}");
    let clause = move |j: usize| {
        let clause =
            Memo::new(move |_| rule.with(|r| r.as_ref().and_then(|r| r.clauses.get(j)).cloned()));
        let on_edit = Callback::new(move |ed: ClauseEdit| {
            draft.update(|d| {
                if let Some(c) = d.rules.get_mut(i).and_then(|r| r.clauses.get_mut(j)) {
                    c.apply(ed)
                }
            })
        });
        let on_remove = Callback::new(move |_| {
            draft.update(|d| {
                if let Some(r) = d.rules.get_mut(i) {
                    remove_item(&mut r.clauses, j);
                }
            });
            focus_first(vec![format!("segment-rule-{i}-add-condition")]);
        });
        let pointer =
            Signal::derive(move || at(&["rules", &i.to_string(), "clauses", &j.to_string()]));
        // What it may choose: the other segments, but none that uses this one (a cycle).
        let own = draft.with_untracked(|d| d.key.clone());
        let (segments, cycles) = life.doc.with_value(|d| {
            let others = d.document.segments.keys().filter(|k| **k != own).cloned();
            (
                others.collect::<Vec<_>>(),
                d.segments_using(&own).into_iter().collect::<Vec<_>>(),
            )
        });
        view! {
            <ClauseEditor id_prefix=format!("s{i}c{j}") clause on_edit on_remove pointer problems can_edit segments cycles/>
        }.into_any()
    };
    view! {
        <li class="rule card inner" data-pointer=move || rule_pointer.get()>
            <RuleHead
                prefix="segment-rule"
                i
                title=format!("Rule {}", i + 1)
                count
                readonly=Signal::derive(ro)
                on_move=Callback::new(move |delta: isize| draft.update(|d| { move_item(&mut d.rules, i, delta); }))
                on_remove=Callback::new(move |_| draft.update(|d| remove_item(&mut d.rules, i)))
                after_last="segment-rules-add"
            />
            <div class="field">
                <label for=id_input.clone()>"Rule id"</label>
                <input id=id_input.clone() type="text" readonly=ro
                    prop:value=move || rule.with(|r| r.as_ref().map(|r| r.id.clone()).unwrap_or_default())
                    on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(r) = d.rules.get_mut(i) { r.id = v }) }/>
            </div>
            <FieldProblems problems pointer=rule_pointer/>
            <fieldset class="clauses">
                <legend>"All of these hold"</legend>
                <Rows keys=indices(clauses) row=Callback::new(clause)/>
                <Show when=move || can_edit.get()>
                    <button type="button" class="button small" id=format!("segment-rule-{i}-add-condition")
                        on:click=move |_| draft.update(|d| if let Some(r) = d.rules.get_mut(i) { r.clauses.push(ClauseDraft::new()) })>
                        "Add condition"
                    </button>
                </Show>
            </fieldset>
        </li>
    }
}
