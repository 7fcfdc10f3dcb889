//! The flag editor: details, variants and prerequisites, then one tab per environment, the
//! change preview and the audit log. Validation by the core runs on every change and shows at
//! each field; saving sends the flag with the version it was based on, and a `412` opens the
//! conflict panel.

use std::sync::Arc;

use burgee_core::model::{Flag, Kind};
use leptos::prelude::*;

use super::audit_log::AuditLog;
use super::change_preview::ChangePreview;
use super::conflict_panel::ConflictPanel;
use super::env_editor::EnvEditor;
use super::flag_details::FlagDetails;
use super::focus_pointer;
use super::new_entry_conflict::NewEntryConflict;
use super::prerequisites_editor::PrerequisitesEditor;
use super::problem_summary::ProblemSummary;
use super::variants_editor::VariantsEditor;
use super::write_flow::WriteFlow;
use crate::context::{Confirm, Keep, Nav, Question, Session, Store, Unsaved};
use crate::lens::FlagEdit;
use crate::state::catalog;
use crate::state::document::DocState;
use crate::state::draft::FlagDraft;
use crate::state::fields::{Problem, Problems, is_within, pointer};
use crate::state::graph::Graph;
use crate::state::merge::three_way;
use crate::state::route::Route;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tab {
    Settings,
    Env(String),
    Preview,
    Audit,
}

impl Tab {
    /// The tab's part of the address, after the flag's key (see `Route::part`).
    fn part(&self) -> Vec<&str> {
        match self {
            Tab::Settings => vec![],
            Tab::Env(e) => vec!["env", e],
            Tab::Preview => vec!["preview"],
            Tab::Audit => vec!["audit"],
        }
    }
}

/// Pseudo-pointer of the key input of a new flag (its problems have no place in the
/// document yet).
pub const KEY_FIELD: &str = "#key";

#[component]
pub fn FlagEditor(doc: Arc<DocState>, key: Option<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let confirm = expect_context::<Confirm>();
    let keep = expect_context::<Keep>();

    let envs = doc.document.environments.clone();
    let original: Option<Flag> = key
        .as_ref()
        .and_then(|k| doc.document.flags.get(k).cloned());
    if let (Some(k), None) = (&key, &original) {
        return view! {
            <section class="page">
                <h1>"No flag " <code>{k.clone()}</code></h1>
                <p>
                    "It may have been deleted or renamed. "
                    <a href=Route::Flags.href()>"Back to the flags"</a>
                </p>
            </section>
        }
        .into_any();
    }
    let is_new = original.is_none();
    let initial = match (&key, &original) {
        (Some(k), Some(f)) => FlagDraft::from_flag(k, f, &envs),
        _ => FlagDraft::new_flag("", Kind::Boolean, &envs),
    };
    let initial = StoredValue::new(initial);
    let original = StoredValue::new(original);
    let draft = RwSignal::new(initial.get_value());
    let flow = WriteFlow::new(doc.version);
    let WriteFlow {
        base_version,
        server_problems,
        conflict,
        saving,
        tried,
        ..
    } = flow;
    let tab = RwSignal::new(Tab::Settings);
    // The tabs in order, for the keyboard (a WAI-ARIA tab list: the arrows move between tabs,
    // Home and End go to the ends, and only the selected tab is in the Tab order).
    let env_tabs = envs
        .iter()
        .chain(
            initial
                .with_value(|d| {
                    d.environments
                        .iter()
                        .map(|e| e.name.clone())
                        .collect::<Vec<_>>()
                })
                .iter()
                .filter(|e| !envs.contains(e)),
        )
        .cloned()
        .collect::<Vec<String>>();
    let order = StoredValue::new(
        std::iter::once(Tab::Settings)
            .chain(env_tabs.iter().cloned().map(Tab::Env))
            .chain(std::iter::once(Tab::Preview))
            .chain((!is_new).then_some(Tab::Audit))
            .collect::<Vec<Tab>>(),
    );
    let tab_id = move |t: &Tab| {
        let n = order.with_value(|o| o.iter().position(|x| x == t).unwrap_or(0));
        format!("editor-tab-{n}")
    };
    let docs = StoredValue::new(doc.clone());

    let built = Memo::new(move |_| draft.with(FlagDraft::to_flag));
    // A change makes the store's last answer stale.
    Effect::new(move |prev: Option<()>| {
        draft.track();
        if prev.is_some() {
            server_problems.set(Problems::default());
        }
    });
    let problems = Memo::new(move |_| {
        let (flag, local) = built.get();
        let key = draft.with(|d| d.key.clone());
        let mut p = Problems::default();
        if is_new {
            let taken = docs.with_value(|d| d.document.flags.contains_key(&key));
            if key.trim().is_empty() {
                if tried.get() {
                    p.extend([Problem::error(
                        KEY_FIELD,
                        "missing-key",
                        "a new flag needs a key",
                    )]);
                }
            } else if taken {
                p.extend([Problem::error(
                    KEY_FIELD,
                    "duplicate-key",
                    format!("a flag called `{key}` exists already"),
                )]);
            }
        }
        if !key.trim().is_empty() {
            p.extend(
                docs.with_value(|d| d.validate_flag(&key, &flag))
                    .all()
                    .iter()
                    .cloned(),
            );
        }
        p.extend(local.all().iter().cloned());
        p.extend(server_problems.get().all().iter().cloned());
        p
    });
    let dirty = Memo::new(move |_| {
        is_new || original.with_value(|o| built.with(|(f, _)| Some(f) != o.as_ref()))
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
    let can_edit = Signal::stored(session.can_edit_untracked());
    let edit = FlagEdit::new(draft, problems.into(), can_edit, docs);
    provide_context(edit);

    // Saving a new flag navigates to it: the page is replaced while this one's view can still
    // be notified (the document reload under `<Transition>`), so the view's closures read the
    // editor's own signals with `try_get` (a disposed signal would abort the app).
    let save = move || {
        let (flag, _) = built.get_untracked();
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let k = key.clone();
        // The saved flag's page comes back on this tab, here (see `Keep`).
        keep.remember(
            Route::Flag(key.clone()),
            Some(tab.with_untracked(|t| tab_id(t))),
        );
        flow.save(
            problems.with_untracked(Problems::has_errors) || key.is_empty(),
            key.clone(),
            is_new.then_some(Route::Flag(key)),
            move |api, version| async move { api.put_flag(&k, &flag, version).await },
        );
    };

    // After a `412`: this draft's changes on top of the version the store has now.
    let merge_onto = move |theirs: &DocState| {
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let (mine, _) = built.get_untracked();
        original
            .with_value(|o| three_way(o.as_ref(), &mine, theirs.document.flags.get(&key)))
            .ok()
    };
    // The editor continues from their version: it is what the draft is now based on,
    // validated against and discarded back to.
    let rebase = move |theirs: Arc<DocState>| {
        let Some(merged) = merge_onto(&theirs) else {
            return;
        };
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let envs = &theirs.document.environments;
        let now = theirs.document.flags.get(&key).cloned();
        if let Some(flag) = &now {
            initial.set_value(FlagDraft::from_flag(&key, flag, envs));
        }
        original.set_value(now);
        draft.set(FlagDraft::from_flag(&key, &merged.value, envs));
        base_version.set(theirs.version);
        docs.set_value(theirs);
    };

    // A new flag's save met a newer version: its base becomes that version; it saves again,
    // unless the key was taken meanwhile (the key field then says so).
    let new_conflict = Callback::new(move |theirs: Arc<DocState>| {
        let key = draft.with_untracked(|d| d.key.trim().to_string());
        let taken = theirs.document.flags.contains_key(&key);
        let version = theirs.version;
        docs.set_value(theirs);
        flow.rebase_new(
            &format!("a flag called `{key}`"),
            taken,
            version,
            save,
            || {
                // The problems read the document (not a signal): recompute them.
                draft.update(|_| {});
                focus_pointer(KEY_FIELD.to_string());
            },
        );
    });

    let dependents = StoredValue::new(match &key {
        Some(k) => Graph::new(&doc.document).dependents(k),
        None => Vec::new(),
    });
    let delete = move |_| {
        let key = draft.with_untracked(|d| d.key.clone());
        confirm.ask(Question {
            title: format!("Delete {key}?"),
            body: format!(
                "{key} disappears from every environment; callers get their own defaults. History keeps the old versions."
            ),
            confirm: "Delete".into(),
            danger: true,
            on_confirm: Callback::new(move |_| {
                let key = key.clone();
                let k = key.clone();
                flow.delete(key, Route::Flags, move |api, version| async move {
                    api.delete_flag(&k, version).await
                });
            }),
        });
    };

    let pick = Callback::new(move |p: String| {
        let flag = draft.with_untracked(|d| d.pointer());
        let envs_base = pointer(&flag, &["environments"]);
        let env = p
            .strip_prefix(&envs_base)
            .and_then(|rest| rest.split('/').nth(1))
            .map(String::from);
        match env {
            Some(e) if is_within(&p, &pointer(&envs_base, &[&e])) => tab.set(Tab::Env(e)),
            _ => tab.set(Tab::Settings),
        }
        focus_pointer(p);
    });

    let title = {
        let key = key.clone();
        move || match &key {
            Some(k) => k.clone(),
            None => "New flag".into(),
        }
    };
    // The tab an address names (`#/flags/x/env/production`): Settings when it names none, or one
    // this flag has not got.
    let tab_in = move |hash: &str| -> Tab {
        let part = Route::part(hash).unwrap_or_default();
        order
            .with_value(|o| o.iter().find(|t| t.part() == part).cloned())
            .unwrap_or(Tab::Settings)
    };
    // Back from this flag's own save: the tab it was on (scroll and focus follow).
    if let Some(k) = &key
        && let Some(kept) = keep.restore(&Route::Flag(k.clone()))
        && let Some(t) = order.with_value(|o| {
            o.iter()
                .find(|t| kept.tab.as_deref() == Some(tab_id(t).as_str()))
                .cloned()
        })
    {
        tab.set(t);
    } else {
        // A link to a tab (`#/flags/x/env/production`).
        tab.set(tab_in(&Nav::hash()));
    }
    // The tab on screen is in the address (replaced, not a new history entry: Back leaves the
    // flag), so a reload or a shared link opens it again.
    if let Some(k) = key.clone() {
        let route = Route::Flag(k);
        #[cfg(target_arch = "wasm32")]
        {
            // The address changed to another tab of this flag (typed, or Back within it).
            let route = route.clone();
            let listener = window_event_listener_untyped("hashchange", move |_| {
                let hash = Nav::hash();
                let t = tab_in(&hash);
                if Route::parse(&hash) == route && tab.with_untracked(|x| *x != t) {
                    tab.set(t);
                }
            });
            on_cleanup(move || listener.remove());
        }
        Effect::new(move |_| {
            let href = tab.with(|t| route.href_with(&t.part()));
            if Route::parse(&Nav::hash()) == route {
                Nav::replace(&href);
            }
        });
    }
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = order.with_value(Vec::len);
        let here = order.with_value(|o| tab.with_untracked(|t| o.iter().position(|x| x == t)));
        let next = match (ev.key().as_str(), here) {
            ("ArrowRight", Some(i)) => (i + 1) % n,
            ("ArrowLeft", Some(i)) => (i + n - 1) % n,
            ("Home", _) => 0,
            ("End", _) => n.saturating_sub(1),
            _ => return,
        };
        ev.prevent_default();
        if let Some(t) = order.with_value(|o| o.get(next).cloned()) {
            tab.set(t);
            // The tab buttons stay where they are: focus moves at once.
            super::focus_id(&format!("editor-tab-{next}"));
        }
    };
    let tab_button = move |t: Tab, label: String, badge: Signal<usize>, env: Option<String>| {
        let t2 = t.clone();
        let t3 = t.clone();
        let t4 = t.clone();
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                id=tab_id(&t)
                aria-selected=move || (tab.with(|x| *x == t2)).to_string()
                tabindex=move || if tab.with(|x| *x == t4) { "0" } else { "-1" }
                data-env=env
                on:click=move |_| tab.set(t3.clone())
            >
                {label}
                <Show when=move || { badge.get() > 0 }>
                    <span class="badge error" aria-label="errors">{move || badge.get()}</span>
                </Show>
            </button>
        }
    };
    let settings_badge = Signal::derive(move || {
        let envs_p = edit.at(&["environments"]);
        problems.with(|p| {
            p.all()
                .iter()
                .filter(|x| x.is_error() && !is_within(&x.pointer, &envs_p))
                .count()
        })
    });
    let env_tabs_view = env_tabs
        .iter()
        .map(|e| {
            let e2 = e.clone();
            let badge = Signal::derive(move || {
                let p = edit.at(&["environments", &e2]);
                problems.with(|all| all.errors_under(&p))
            });
            let label = if catalog::is_production(e) {
                format!("{e} ⚑")
            } else {
                e.clone()
            };
            tab_button(Tab::Env(e.clone()), label, badge, Some(e.clone()))
        })
        .collect_view();
    let none = Signal::derive(|| 0usize);
    let summary_prefix: Signal<String> = edit.base.into();

    view! {
        <section class="page editor" aria-labelledby="editor-title">
            <div class="page-head sticky">
                <div>
                    <p class="crumbs"><a href=Route::Flags.href()>"Flags"</a> " / "</p>
                    <h1 id="editor-title" tabindex="-1">{title}</h1>
                </div>
                <div class="actions">
                    <span class="dirty" aria-live="polite">
                        {move || if dirty.try_get().unwrap_or(false) && !is_new { "Unsaved changes" } else { "" }}
                    </span>
                    <Show when=move || can_edit.get() && !is_new>
                        // Why Delete is off, in words everyone gets (not only a mouse's tooltip).
                        <Show when=move || !dependents.with_value(Vec::is_empty)>
                            <span class="muted delete-note" id="delete-note">
                                {move || dependents.with_value(|d| format!("Required by {}: it cannot be deleted", d.join(", ")))}
                            </span>
                        </Show>
                        <button
                            type="button"
                            class="button"
                            disabled=move || !dependents.with_value(Vec::is_empty)
                            aria-describedby=move || (!dependents.with_value(Vec::is_empty)).then_some("delete-note")
                            on:click=delete
                        >
                            "Delete"
                        </button>
                    </Show>
                    <Show when=move || can_edit.get()>
                        <button
                            type="button"
                            class="button"
                            disabled=move || !dirty.try_get().unwrap_or(false) || flow.busy()
                            on:click=move |_| {
                                draft.set(initial.get_value());
                                server_problems.set(Problems::default());
                            }
                        >
                            "Discard changes"
                        </button>
                        <button
                            type="button"
                            class="button primary"
                            id="editor-save"
                            data-testid="save"
                            disabled=move || !dirty.try_get().unwrap_or(false) || flow.busy()
                            on:click=move |_| save()
                        >
                            {move || if saving.try_get().unwrap_or(false) { "Saving…" } else if is_new { "Create flag" } else { "Save" }}
                        </button>
                    </Show>
                    <Show when=move || !can_edit.get()>
                        <span class="readonly-note">"Read only: your role is viewer"</span>
                    </Show>
                </div>
            </div>
            {move || {
                conflict
                    .try_get()
                    .flatten()
                    .map(|(base, current)| {
                        if is_new {
                            return view! { <NewEntryConflict on_current=new_conflict/> }.into_any();
                        }
                        let prefix = draft.with_untracked(|d| d.pointer());
                        view! {
                            <ConflictPanel
                                base
                                current
                                prefix
                                on_reload=Callback::new(move |_| {
                                    conflict.set(None);
                                    store.reload();
                                })
                                both_changed=Callback::new(move |theirs: Arc<DocState>| {
                                    merge_onto(&theirs).map(|m| m.both_changed).unwrap_or_default()
                                })
                                on_overwrite=Callback::new(move |theirs: Arc<DocState>| {
                                    conflict.set(None);
                                    rebase(theirs);
                                    save();
                                })
                            />
                        }
                        .into_any()
                    })
            }}
            <ProblemSummary problems=problems prefix=summary_prefix on_pick=pick/>
            <div class="tabs" role="tablist" aria-label="Parts of the flag" on:keydown=on_tab_key>
                {tab_button(Tab::Settings, "Settings".into(), settings_badge, None)}
                {env_tabs_view}
                {tab_button(Tab::Preview, "Preview change".into(), none, None)}
                {(!is_new).then(|| tab_button(Tab::Audit, "Audit log".into(), none, None))}
            </div>
            <div class="tab-panel" role="tabpanel" aria-labelledby=move || tab.with(|t| tab_id(t))>
                {move || match tab.get() {
                    Tab::Settings => view! {
                        <FlagDetails is_new/>
                        <VariantsEditor/>
                        <PrerequisitesEditor/>
                    }.into_any(),
                    Tab::Env(e) => view! { <EnvEditor env=e/> }.into_any(),
                    Tab::Preview => view! { <ChangePreview/> }.into_any(),
                    Tab::Audit => {
                        let key = draft.with_untracked(|d| d.key.clone());
                        view! { <AuditLog key/> }.into_any()
                    }
                }}
            </div>
        </section>
    }
    .into_any()
}
