//! What an editor page is around its own fields, the same for flags and segments: the head
//! (crumbs, title, Delete, Discard, Save), the `412` answers and the list of every problem.
//! The editor passes its lifecycle ([`EditorLifecycle`]), its Delete button and its fields.

use std::sync::Arc;

use leptos::prelude::*;

use super::conflict_panel::ConflictPanel;
use super::new_entry_conflict::NewEntryConflict;
use super::problem_summary::ProblemSummary;
use super::review::review;
use crate::editor::EditorLifecycle;
use crate::state::document::DocState;
use crate::state::editable::EditableDraft;

#[component]
pub fn EditorFrame<D: EditableDraft>(
    life: EditorLifecycle<D>,
    /// The list the crumbs lead back to: `Flags`.
    list: &'static str,
    /// The heading's id: it labels the page, and a save that reloads it focuses it.
    title_id: &'static str,
    save_id: &'static str,
    /// Whether the head says so while the draft holds unsaved changes.
    #[prop(optional)]
    unsaved_note: bool,
    /// The Delete button (and why it is off, if it is): shown on a stored entry, to editors.
    delete: AnyView,
    /// Shows the field of a problem picked in the list of problems.
    on_pick: Callback<String>,
    /// The impact preview the review before a save shows (a flag's).
    #[prop(optional)]
    impact: Option<ViewFn>,
    children: Children,
) -> impl IntoView {
    let title = if life.is_new {
        format!("New {}", D::NOUN)
    } else {
        life.key()
    };
    let prefix = Memo::new(move |_| life.pointer());
    view! {
        <section class="page editor" aria-labelledby=title_id>
            <div class="page-head sticky">
                <div>
                    <p class="crumbs"><a href=D::LIST.href()>{list}</a> " / "</p>
                    <h1 id=title_id tabindex="-1">{title}</h1>
                </div>
                {editor_actions(life, save_id, unsaved_note, delete)}
            </div>
            {review(life, impact)}
            {editor_conflict(life)}
            <ProblemSummary problems=life.problems prefix on_pick/>
            {children()}
        </section>
    }
}

/// The head's buttons (a viewer gets a note instead).
fn editor_actions<D: EditableDraft>(
    life: EditorLifecycle<D>,
    save_id: &'static str,
    unsaved_note: bool,
    delete: AnyView,
) -> impl IntoView {
    let is_new = life.is_new;
    let can_edit = life.can_edit;
    let dirty = move || life.dirty.try_get().unwrap_or(false);
    let create = format!("Create {}", D::NOUN);
    view! {
        <div class="actions">
            {unsaved_note.then(|| view! {
                <span class="dirty" aria-live="polite">
                    {move || if dirty() && !is_new { "Unsaved changes" } else { "" }}
                </span>
            })}
            {(can_edit.get_untracked() && !is_new).then_some(delete)}
            <Show when=move || can_edit.get()>
                <button
                    type="button"
                    class="button"
                    disabled=move || !dirty() || life.flow.busy()
                    on:click=move |_| life.discard()
                >
                    "Discard changes"
                </button>
                <button
                    type="button"
                    class="button primary"
                    id=save_id
                    data-testid="save"
                    disabled=move || !dirty() || life.flow.busy()
                    on:click=move |_| life.save()
                >
                    {
                        let create = create.clone();
                        move || {
                            if life.flow.saving.try_get().unwrap_or(false) {
                                "Saving…".to_string()
                            } else if is_new {
                                create.clone()
                            } else {
                                "Save".to_string()
                            }
                        }
                    }
                </button>
            </Show>
            <Show when=move || !can_edit.get()>
                <span class="readonly-note">"Read only: your role is viewer"</span>
            </Show>
        </div>
    }
}

/// After a `412`: a new entry checks the store's version and saves again; a stored one shows
/// what changed and asks what to do.
fn editor_conflict<D: EditableDraft>(life: EditorLifecycle<D>) -> impl IntoView {
    move || {
        let (base, current) = life.flow.conflict.try_get().flatten()?;
        if life.is_new {
            let on_current = Callback::new(move |theirs: Arc<DocState>| life.rebase_new(theirs));
            return Some(view! { <NewEntryConflict on_current/> }.into_any());
        }
        let prefix = life.draft.with_untracked(|d| D::pointer_for(d.key()));
        Some(
            view! {
                <ConflictPanel
                    base
                    current
                    prefix
                    on_reload=Callback::new(move |_| life.reload())
                    both_changed=Callback::new(move |theirs: Arc<DocState>| {
                        life.merge_onto(&theirs).map(|m| m.both_changed).unwrap_or_default()
                    })
                    on_overwrite=Callback::new(move |theirs: Arc<DocState>| life.overwrite(theirs))
                />
            }
            .into_any(),
        )
    }
}

/// The page for an address that names an entry the document has not got; `hint` comes before
/// the way back.
pub fn missing_entry<D: EditableDraft>(key: String, hint: &'static str) -> AnyView {
    view! {
        <section class="page">
            <h1>{format!("No {} ", D::NOUN)} <code>{key}</code></h1>
            <p>
                {hint}
                <a href=D::LIST.href()>{format!("Back to the {}s", D::NOUN)}</a>
            </p>
        </section>
    }
    .into_any()
}
