//! Prerequisites: flags that must serve a variant first. The picker offers only flags that keep
//! the graph free of cycles (and says why the others are not offered); the flags that require
//! this one are listed too.

use leptos::prelude::*;

use super::field_problems::FieldProblems;
use super::rows::{Rows, indices, remove_button};
use crate::lens::FlagEdit;
use crate::state::draft::remove_item;
use crate::state::graph::{Candidate, Eligibility, candidates};
use crate::state::route::Route;

#[component]
pub fn PrerequisitesEditor() -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let doc = edit.doc;
    let count = move || draft.with(|d| d.prerequisites.len());

    // The graph with this draft's edges, so that a cycle through unsaved changes is seen too.
    let graph = Memo::new(move |_| {
        let (key, keys) = draft.with(|d| (d.key.clone(), d.prerequisite_keys()));
        doc.with_value(|doc| doc.document.prerequisites().with(&key, keys))
    });
    let offered = Memo::new(move |_| {
        let (key, client_side) = draft.with(|d| (d.key.clone(), d.client_side));
        graph.with(|g| doc.with_value(|doc| candidates(g, &doc.document, &key, client_side)))
    });
    let dependents = Memo::new(move |_| {
        let key = draft.with(|d| d.key.clone());
        graph.with(|g| g.dependents(&key))
    });

    view! {
        <section class="card" aria-labelledby="prereq-title">
            <h2 id="prereq-title">"Prerequisites"</h2>
            <p class="hint">
                "This flag is on for a context only if each of these flags serves the given variant to it."
            </p>
            <Show when=move || { count() == 0 }>
                <p class="muted">"None."</p>
            </Show>
            <ul class="prereqs">
                <Rows keys=indices(count) row=Callback::new(move |i: usize| view! { {prerequisite_row(
                    i,
                )} }.into_any())/>
            </ul>
            <Show when=move || edit.can_edit.get()>
                {add_prerequisite(offered)}
            </Show>
            {required_by(dependents)}
        </section>
    }
}

/// The variants of flag `flag` in the loaded document.
fn variants_of(edit: FlagEdit, flag: &str) -> Vec<String> {
    edit.doc.with_value(|d| {
        d.document
            .flags
            .get(flag)
            .map(|f| f.variants.keys().cloned().collect())
            .unwrap_or_default()
    })
}

/// Prerequisite `i`: the flag, the variant it must serve, and a way to remove it.
fn prerequisite_row(i: usize) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let flag = move || {
        draft.with(|d| {
            d.prerequisites
                .get(i)
                .map(|p| p.flag.clone())
                .unwrap_or_default()
        })
    };
    let variant = move || {
        draft.with(|d| {
            d.prerequisites
                .get(i)
                .map(|p| p.variant.clone())
                .unwrap_or_default()
        })
    };
    let pointer = Signal::derive(move || edit.at(&["prerequisites", &i.to_string()]));
    let select_id = format!("prereq-variant-{i}");
    view! {
        <li class="prereq-row" data-pointer=move || pointer.get() data-prereq=flag>
            <a href=move || Route::Flag(flag()).href()>{flag}</a>
            <label for=select_id.clone()>"must serve"</label>
            <select
                id=select_id.clone()
                disabled=ro
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(|d| if let Some(p) = d.prerequisites.get_mut(i) { p.variant = v })
                }
            >
                {move || {
                    variants_of(edit, &flag())
                        .into_iter()
                        .map(|v| {
                            let v2 = v.clone();
                            view! { <option value=v.clone() selected=move || variant() == v2>{v.clone()}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {remove_button(
                Signal::derive(move || format!("Remove prerequisite {}", flag())),
                Signal::derive(ro),
                "prereq-flag".into(),
                Callback::new(move |_| draft.update(|d| remove_item(&mut d.prerequisites, i))),
            )}
            <FieldProblems problems pointer under=true/>
        </li>
    }
}

/// Choosing a flag (only those that keep the graph free of cycles can be chosen) and a
/// variant of it, and adding them.
fn add_prerequisite(candidates: Memo<Vec<Candidate>>) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let pick_flag = RwSignal::new(String::new());
    let pick_variant = RwSignal::new(String::new());
    let add = move |_| {
        let flag = pick_flag.get_untracked();
        if flag.is_empty() {
            return;
        }
        let allowed = candidates.with_untracked(|c| {
            c.iter()
                .any(|x| x.key == flag && x.eligibility == Eligibility::Allowed)
        });
        if !allowed {
            return;
        }
        let mut variant = pick_variant.get_untracked();
        if variant.is_empty() {
            variant = variants_of(edit, &flag)
                .first()
                .cloned()
                .unwrap_or_default();
        }
        edit.draft.update(|d| d.add_prerequisite(&flag, &variant));
        pick_flag.set(String::new());
        pick_variant.set(String::new());
    };
    let option = move |c: Candidate| {
        let why = c.eligibility.reason();
        let label = match &why {
            Some(r) => format!("{} — {}", c.key, r),
            None => c.key.clone(),
        };
        let key = c.key.clone();
        view! {
            <option
                value=c.key.clone()
                disabled=why.is_some()
                selected=move || pick_flag.with(|p| *p == key)
            >
                {label}
            </option>
        }
    };
    view! {
        <div class="inline-form">
            <div class="field">
                <label for="prereq-flag">"Add a prerequisite"</label>
                <select
                    id="prereq-flag"
                    on:change=move |ev| {
                        pick_flag.set(event_target_value(&ev));
                        pick_variant.set(String::new());
                    }
                >
                    <option value="" selected=move || pick_flag.with(String::is_empty)>"Choose a flag…"</option>
                    {move || candidates.get().into_iter().map(option).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="prereq-variant">"Variant"</label>
                <select id="prereq-variant" on:change=move |ev| pick_variant.set(event_target_value(&ev))>
                    {move || {
                        variants_of(edit, &pick_flag.get())
                            .into_iter()
                            .map(|v| view! { <option value=v.clone()>{v.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <button
                type="button"
                class="button"
                disabled=move || pick_flag.with(String::is_empty)
                on:click=add
            >
                "Add"
            </button>
        </div>
    }
}

/// The flags that require this one.
fn required_by(dependents: Memo<Vec<String>>) -> impl IntoView {
    view! {
        <div class="dependents" data-testid="dependents">
            <h3>"Required by"</h3>
            {move || {
                let deps = dependents.get();
                if deps.is_empty() {
                    view! { <p class="muted">"No flag requires this one."</p> }.into_any()
                } else {
                    view! {
                        <p class="hint">"Turning this flag off (or changing its variants) affects these flags too:"</p>
                        <ul class="chips">
                            {deps
                                .into_iter()
                                .map(|k| view! { <li><a class="tag" href=Route::Flag(k.clone()).href()>{k.clone()}</a></li> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}
