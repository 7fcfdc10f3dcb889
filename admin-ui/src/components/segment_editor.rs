//! A segment: who is always in, who is never in, and rules that make the rest members.

use std::sync::Arc;

use leptos::prelude::*;

use super::clause_editor::ClauseEditor;
use super::conflict_panel::ConflictPanel;
use super::field_problems::FieldProblems;
use super::new_entry_conflict::NewEntryConflict;
use super::problem_summary::ProblemSummary;
use super::rows::{Rows, indices};
use super::rule_head::RuleHead;
use super::write_flow::WriteFlow;
use super::{focus_first, focus_pointer};
use crate::context::{Confirm, Keep, Question, Session, Store, Unsaved};
use crate::state::document::DocState;
use crate::state::draft::{ClauseDraft, ClauseEdit, move_item};
use crate::state::fields::{Problem, Problems, pointer as join};
use crate::state::merge::three_way;
use crate::state::route::Route;
use crate::state::segment_draft::{SegmentDraft, SegmentRuleDraft};

const KEY_FIELD: &str = "#segment-key";

#[component]
pub fn SegmentEditor(doc: Arc<DocState>, key: Option<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let confirm = expect_context::<Confirm>();
    let keep = expect_context::<Keep>();

    let original = key
        .as_ref()
        .and_then(|k| doc.document.segments.get(k).cloned());
    if let (Some(k), None) = (&key, &original) {
        return view! {
            <section class="page">
                <h1>"No segment " <code>{k.clone()}</code></h1>
                <p><a href=Route::Segments.href()>"Back to the segments"</a></p>
            </section>
        }
        .into_any();
    }
    let is_new = original.is_none();
    let initial = match (&key, &original) {
        (Some(k), Some(s)) => SegmentDraft::from_segment(k, s),
        _ => SegmentDraft::new_segment(""),
    };
    let initial = StoredValue::new(initial);
    let original = StoredValue::new(original);
    let draft = RwSignal::new(initial.get_value());
    // Back from this segment's own save: scrolled and focused where it was.
    if let Some(k) = &key {
        keep.restore(&Route::Segment(k.clone()));
    }
    let flow = WriteFlow::new(doc.version);
    let WriteFlow {
        base_version,
        server_problems,
        conflict,
        saving,
        tried,
        ..
    } = flow;
    let docs = StoredValue::new(doc.clone());
    let can_edit = Signal::stored(session.can_edit_untracked());
    let ro = move || !can_edit.get();
    let users = StoredValue::new(
        key.as_ref()
            .map(|k| doc.segment_users(k))
            .unwrap_or_default(),
    );
    let segment_keys: Vec<String> = doc.document.segments.keys().cloned().collect();
    let segment_keys = StoredValue::new(segment_keys);

    let built = Memo::new(move |_| draft.with(SegmentDraft::to_segment));
    Effect::new(move |prev: Option<()>| {
        draft.track();
        if prev.is_some() {
            server_problems.set(Problems::default());
        }
    });
    let problems = Memo::new(move |_| {
        let key = draft.with(|d| d.key.clone());
        let mut p = Problems::default();
        if is_new {
            if key.trim().is_empty() {
                if tried.get() {
                    p.extend([Problem::error(
                        KEY_FIELD,
                        "missing-key",
                        "a new segment needs a key",
                    )]);
                }
            } else if docs.with_value(|d| d.document.segments.contains_key(&key)) {
                p.extend([Problem::error(
                    KEY_FIELD,
                    "duplicate-key",
                    format!("a segment called `{key}` exists already"),
                )]);
            }
        }
        if !key.trim().is_empty() {
            let segment = built.get();
            let mine = draft.with(|d| d.pointer());
            p.extend(
                docs.with_value(|d| d.validate_segment(&key, &segment))
                    .within(&mine)
                    .all()
                    .iter()
                    .cloned(),
            );
        }
        p.extend(server_problems.get().all().iter().cloned());
        p
    });
    let problems_signal: Signal<Problems> = problems.into();
    let dirty = Memo::new(move |_| {
        is_new || original.with_value(|o| built.with(|s| Some(s) != o.as_ref()))
    });
    // What leaving would lose: for a new one, anything typed at all.
    expect_context::<Unsaved>().track(move || {
        if is_new {
            draft
                .try_with(|d| initial.with_value(|i| d != i))
                .unwrap_or(false)
        } else {
            dirty.try_get().unwrap_or(false)
        }
    });

    let save = move || {
        let segment = built.get_untracked();
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let k = key.clone();
        keep.remember(Route::Segment(key.clone()), None);
        flow.save(
            problems.with_untracked(Problems::has_errors) || key.is_empty(),
            format!("segment {key}"),
            is_new.then_some(Route::Segment(key)),
            move |api, version| async move { api.put_segment(&k, &segment, version).await },
        );
    };
    // After a `412`: this draft's changes on top of the version the store has now, which
    // the editor then continues from (as the flag editor does).
    let merge_onto = move |theirs: &DocState| {
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let mine = built.get_untracked();
        original
            .with_value(|o| three_way(o.as_ref(), &mine, theirs.document.segments.get(&key)))
            .ok()
    };
    let rebase = move |theirs: Arc<DocState>| {
        let Some(merged) = merge_onto(&theirs) else {
            return;
        };
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let now = theirs.document.segments.get(&key).cloned();
        if let Some(segment) = &now {
            initial.set_value(SegmentDraft::from_segment(&key, segment));
        }
        original.set_value(now);
        draft.set(SegmentDraft::from_segment(&key, &merged.value));
        base_version.set(theirs.version);
        docs.set_value(theirs);
    };
    // A new segment's save met a newer version: as in the flag editor.
    let new_conflict = Callback::new(move |theirs: Arc<DocState>| {
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let taken = theirs.document.segments.contains_key(&key);
        let version = theirs.version;
        docs.set_value(theirs);
        flow.rebase_new(
            &format!("a segment called `{key}`"),
            taken,
            version,
            save,
            || {
                draft.update(|_| {});
                focus_pointer(KEY_FIELD.to_string());
            },
        );
    });
    let delete = move |_| {
        let key = draft.with_untracked(|d| d.key.clone());
        confirm.ask(Question {
            title: format!("Delete segment {key}?"),
            body: "Rules that use it would be left pointing at nothing, so the store refuses while any does.".into(),
            confirm: "Delete".into(),
            danger: true,
            on_confirm: Callback::new(move |_| {
                let key = key.clone();
                let k = key.clone();
                flow.delete(format!("segment {key}"), Route::Segments, move |api, version| async move {
                    api.delete_segment(&k, version).await
                });
            }),
        });
    };

    // The draft is one signal: views read their part through memos, so a keystroke re-runs
    // only what it changed (as the flag editor does, see `lens`).
    let base = Memo::new(move |_| draft.with(SegmentDraft::pointer));
    let at = move |tokens: &[&str]| base.with(|b| join(b, tokens));
    let list_field = move |id: &'static str,
                           label: &'static str,
                           token: &'static str,
                           get: fn(&SegmentDraft) -> String,
                           set: fn(&mut SegmentDraft, String)| {
        let pointer = Signal::derive(move || at(&[token]));
        let text = Memo::new(move |_| draft.with(get));
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <textarea id=id rows="3" spellcheck="false" readonly=ro data-pointer=move || pointer.get()
                    prop:value=move || text.get()
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))></textarea>
                <FieldProblems problems=problems_signal pointer under=true/>
            </div>
        }
    };
    let rules = Memo::new(move |_| draft.with(|d| d.rules.len()));
    let rules = move || rules.get();

    view! {
        <section class="page editor" aria-labelledby="segment-title">
            <div class="page-head sticky">
                <div>
                    <p class="crumbs"><a href=Route::Segments.href()>"Segments"</a> " / "</p>
                    <h1 id="segment-title" tabindex="-1">{key.clone().unwrap_or_else(|| "New segment".into())}</h1>
                </div>
                <div class="actions">
                    <Show when=move || can_edit.get() && !is_new>
                        <button type="button" class="button"
                            disabled=move || !users.with_value(Vec::is_empty)
                            title=move || users.with_value(|u| if u.is_empty() { String::new() } else { format!("Used by {}", u.join(", ")) })
                            on:click=delete>"Delete"</button>
                    </Show>
                    <Show when=move || can_edit.get()>
                        <button type="button" class="button" disabled=move || !dirty.try_get().unwrap_or(false) || flow.busy()
                            on:click=move |_| draft.set(initial.get_value())>"Discard changes"</button>
                        <button type="button" class="button primary" id="segment-save" data-testid="save" disabled=move || !dirty.try_get().unwrap_or(false) || flow.busy()
                            on:click=move |_| save()>
                            {move || if saving.try_get().unwrap_or(false) { "Saving…" } else if is_new { "Create segment" } else { "Save" }}
                        </button>
                    </Show>
                    <Show when=move || !can_edit.get()>
                        <span class="readonly-note">"Read only: your role is viewer"</span>
                    </Show>
                </div>
            </div>
            {move || conflict.try_get().flatten().map(|(base, current)| if is_new {
                view! { <NewEntryConflict on_current=new_conflict/> }.into_any()
            } else {
                view! {
                    <ConflictPanel base current prefix=draft.with_untracked(|d| d.pointer())
                        on_reload=Callback::new(move |_| { conflict.set(None); store.reload(); })
                        both_changed=Callback::new(move |theirs: Arc<DocState>| {
                            merge_onto(&theirs).map(|m| m.both_changed).unwrap_or_default()
                        })
                        on_overwrite=Callback::new(move |theirs: Arc<DocState>| { conflict.set(None); rebase(theirs); save(); })/>
                }.into_any()
            })}
            <ProblemSummary problems=problems_signal prefix=Signal::derive(move || base.get()) on_pick=Callback::new(focus_pointer)/>
            <section class="card">
                <Show when=move || is_new>
                    <div class="field">
                        <label for="segment-key">"Key"</label>
                        <input id="segment-key" type="text" spellcheck="false" data-pointer=KEY_FIELD
                            prop:value=move || draft.with(|d| d.key.clone())
                            on:input=move |ev| draft.update(|d| d.key = event_target_value(&ev))/>
                        <FieldProblems problems=problems_signal pointer=KEY_FIELD.to_string()/>
                        <FieldProblems problems=problems_signal pointer=Signal::derive(move || base.get())/>
                    </div>
                </Show>
                <div class="field">
                    <label for="segment-description">"Description"</label>
                    <input id="segment-description" type="text" readonly=ro
                        prop:value=move || draft.with(|d| d.description.clone())
                        on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))/>
                </div>
                <div class="grid two">
                    {list_field("segment-include", "Always in (targeting keys)", "include", |d| d.include.clone(), |d, v| d.include = v)}
                    {list_field("segment-exclude", "Never in (targeting keys, checked first)", "exclude", |d| d.exclude.clone(), |d, v| d.exclude = v)}
                </div>
                {move || {
                    let u = users.get_value();
                    (!u.is_empty()).then(|| view! { <p class="hint">{format!("Used by {}.", u.join(", "))}</p> })
                }}
            </section>
            <section class="card" aria-labelledby="segment-rules-title">
                <h2 id="segment-rules-title">"Rules"</h2>
                <p class="hint">"Anyone else is a member when all the conditions of any rule hold."</p>
                <ol class="rules">
                    <Rows keys=indices(rules) row=Callback::new(move |i: usize| {
                        let rule_pointer = Signal::derive(move || at(&["rules", &i.to_string()]));
                        let rule = Memo::new(move |_| draft.with(|d| d.rules.get(i).cloned()));
                        let clauses = move || rule.with(|r| r.as_ref().map(|r| r.clauses.len()).unwrap_or(0));
                        let id_input = format!("segment-rule-id-{i}");
                        view! {
                            <li class="rule card inner" data-pointer=move || rule_pointer.get()>
                                <RuleHead
                                    prefix="segment-rule"
                                    i
                                    title=format!("Rule {}", i + 1)
                                    count=Signal::derive(rules)
                                    readonly=Signal::derive(ro)
                                    on_move=Callback::new(move |delta: isize| draft.update(|d| { move_item(&mut d.rules, i, delta); }))
                                    on_remove=Callback::new(move |_| draft.update(|d| { if i < d.rules.len() { d.rules.remove(i); } }))
                                    after_last="segment-rules-add"
                                />
                                <div class="field">
                                    <label for=id_input.clone()>"Rule id"</label>
                                    <input id=id_input.clone() type="text" readonly=ro
                                        prop:value=move || rule.with(|r| r.as_ref().map(|r| r.id.clone()).unwrap_or_default())
                                        on:input=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(r) = d.rules.get_mut(i) { r.id = v }) }/>
                                </div>
                                <FieldProblems problems=problems_signal pointer=rule_pointer/>
                                <fieldset class="clauses">
                                    <legend>"All of these hold"</legend>
                                    <Rows keys=indices(clauses) row=Callback::new(move |j: usize| {
                                        let clause = Memo::new(move |_| rule.with(|r| r.as_ref().and_then(|r| r.clauses.get(j)).cloned()));
                                        let on_edit = Callback::new(move |ed: ClauseEdit| draft.update(|d| {
                                            if let Some(c) = d.rules.get_mut(i).and_then(|r| r.clauses.get_mut(j)) { c.apply(ed) }
                                        }));
                                        let on_remove = Callback::new(move |_| {
                                            draft.update(|d| {
                                                if let Some(r) = d.rules.get_mut(i) && j < r.clauses.len() { r.clauses.remove(j); }
                                            });
                                            focus_first(vec![format!("segment-rule-{i}-add-condition")]);
                                        });
                                        let pointer = Signal::derive(move || at(&["rules", &i.to_string(), "clauses", &j.to_string()]));
                                        let own = draft.with_untracked(|d| d.key.clone());
                                        let segments: Vec<String> = segment_keys.get_value().into_iter().filter(|k| *k != own).collect();
                                        let cycles: Vec<String> = docs.with_value(|d| d.segments_using(&own)).into_iter().collect();
                                        view! {
                                            <ClauseEditor id_prefix=format!("s{i}c{j}") clause on_edit on_remove pointer problems=problems_signal can_edit segments cycles/>
                                        }.into_any()
                                    })/>
                                    <Show when=move || can_edit.get()>
                                        <button type="button" class="button small" id=format!("segment-rule-{i}-add-condition")
                                            on:click=move |_| draft.update(|d| if let Some(r) = d.rules.get_mut(i) { r.clauses.push(ClauseDraft::new()) })>
                                            "Add condition"
                                        </button>
                                    </Show>
                                </fieldset>
                            </li>
                        }.into_any()
                    })/>
                </ol>
                <Show when=move || can_edit.get()>
                    <button type="button" class="button" id="segment-rules-add" on:click=move |_| draft.update(|d| d.rules.push(SegmentRuleDraft::new()))>"Add rule"</button>
                </Show>
            </section>
        </section>
    }
    .into_any()
}
