//! The flag editor: details, lifecycle, variants and prerequisites, then one tab per
//! environment, the change preview, the flag's metrics and the audit log. Validation by the
//! core runs on every change and shows at each field; saving, conflicts, deleting and
//! archiving are the editor lifecycle's (`crate::editor`).

use std::sync::Arc;

use leptos::prelude::*;

use super::archive_button::{archive_button, archived_note};
use super::audit_log::AuditLog;
use super::change_preview::ChangePreview;
use super::editor_frame::{EditorFrame, missing_entry};
use super::env_compare::EnvCompare;
use super::env_editor::EnvEditor;
use super::flag_code::FlagCode;
use super::flag_details::FlagDetails;
use super::flag_metrics::FlagMetrics;
use super::flag_tabs::{Tab, Tabs, tab_list};
use super::focus_pointer;
use super::lifecycle_fields::LifecycleFields;
use super::metadata_fields::MetadataFields;
use super::prerequisites_editor::PrerequisitesEditor;
use super::variants_editor::VariantsEditor;
use crate::context::Nav;
use crate::editor::EditorLifecycle;
use crate::lens::FlagEdit;
use crate::state::document::DocState;
use crate::state::draft::FlagDraft;
use crate::state::route::Route;

#[component]
pub fn FlagEditor(doc: Arc<DocState>, key: Option<String>) -> impl IntoView {
    let Some(life) = EditorLifecycle::<FlagDraft>::new(doc.clone(), key.as_deref()) else {
        let hint = "It may have been deleted or renamed. ";
        return missing_entry::<FlagDraft>(key.unwrap_or_default(), hint);
    };
    let is_new = life.is_new;
    let edit = FlagEdit::new(life.draft, life.problems.into(), life.can_edit, life.doc);
    provide_context(edit);

    let envs = life
        .draft
        .with_untracked(|d| d.environments.iter().map(|e| e.name.clone()).collect());
    let tabs = Tabs::new(envs, is_new);
    // The saved flag's page comes back on the same tab (see `Keep`).
    life.name_place(Callback::new(move |_| tabs.selected_id()));
    let kept = life
        .restore()
        .and_then(|k| k.tab)
        .and_then(|id| tabs.with_id(&id));
    // Else a link to a tab (`#/flags/x/env/production`).
    tabs.selected
        .set(kept.unwrap_or_else(|| tabs.named(&Nav::hash())));
    if let Some(k) = key.clone() {
        tabs.follow_address(Route::Flag(k));
    }
    let pick = Callback::new(move |p: String| {
        tabs.show_field(&life.draft.with_untracked(|d| d.pointer()), &p);
        focus_pointer(p);
    });
    let dependents = match &key {
        Some(k) => doc.document.dependents(k),
        None => Vec::new(),
    };
    let saved = key.as_ref().and_then(|k| doc.document.flags.get(k));
    let archived = saved.is_some_and(|f| f.is_archived());
    let note = saved
        .filter(|f| f.is_archived())
        .map(|f| archived_note(f.archived_at.clone(), f.archived_by.clone()));
    let delete = view! {
        {archive_button(life, archived, dependents.clone())}
        {delete_flag(life, dependents)}
    }
    .into_any();

    view! {
        <EditorFrame life list="Flags" title_id="editor-title" save_id="editor-save" unsaved_note=true delete on_pick=pick impact=ViewFn::from(|| view! { <ChangePreview/> })>
            {note}
            {tab_list(tabs, is_new)}
            <div class="tab-panel" role="tabpanel" aria-labelledby=move || tabs.selected.with(|t| tabs.id(t))>
                {move || match tabs.selected.get() {
                    Tab::Settings => view! {
                        <FlagDetails is_new/>
                        <MetadataFields/>
                        <LifecycleFields/>
                        <VariantsEditor/>
                        <PrerequisitesEditor/>
                    }.into_any(),
                    Tab::Env(e) => view! { <EnvEditor env=e/> }.into_any(),
                    Tab::Preview => view! { <ChangePreview/> }.into_any(),
                    Tab::Compare => view! { <EnvCompare key=life.key() doc=doc.clone()/> }.into_any(),
                    Tab::Metrics => view! { <FlagMetrics key=life.key()/> }.into_any(),
                    Tab::Audit => view! { <AuditLog key=life.key()/> }.into_any(),
                    Tab::Code => view! { <FlagCode key=life.key() doc=doc.clone()/> }.into_any(),
                }}
            </div>
        </EditorFrame>
    }
    .into_any()
}

/// Delete, off while other flags require this one, which a note beside it says in words
/// everyone gets (not only a mouse's tooltip).
fn delete_flag(life: EditorLifecycle<FlagDraft>, dependents: Vec<String>) -> impl IntoView {
    let blocked = !dependents.is_empty();
    view! {
        {blocked.then(|| view! {
            <span class="muted delete-note" id="delete-note">
                {format!("Required by {}: it cannot be deleted", dependents.join(", "))}
            </span>
        })}
        <button
            type="button"
            class="button"
            disabled=blocked
            aria-describedby=blocked.then_some("delete-note")
            on:click=move |_| life.delete()
        >
            "Delete"
        </button>
    }
}
