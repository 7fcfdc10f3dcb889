//! A segment: who is always in, who is never in, and rules that make the rest members. Saving,
//! conflicts and deleting are the editor lifecycle's (`crate::editor`).

use std::sync::Arc;

use leptos::prelude::*;

use super::editor_frame::{EditorFrame, missing_entry};
use super::field_problems::FieldProblems;
use super::focus_pointer;
use super::segment_rules::segment_rules;
use crate::editor::EditorLifecycle;
use crate::state::document::DocState;
use crate::state::editable::EditableDraft;
use crate::state::fields::pointer as join;
use crate::state::segment_draft::SegmentDraft;

#[component]
pub fn SegmentEditor(doc: Arc<DocState>, key: Option<String>) -> impl IntoView {
    let Some(life) = EditorLifecycle::<SegmentDraft>::new(doc.clone(), key.as_deref()) else {
        return missing_entry::<SegmentDraft>(key.unwrap_or_default(), "");
    };
    // Back from this segment's own save: scrolled and focused where it was.
    life.restore();
    let users = key
        .as_ref()
        .map(|k| doc.segment_users(k))
        .unwrap_or_default();
    // The draft is one signal: views read their part through memos, so a keystroke re-runs
    // only what it changed (as the flag editor does, see `lens`).
    let base = Memo::new(move |_| life.pointer());
    let used_by = (!users.is_empty()).then(|| format!("Used by {}", users.join(", ")));
    let delete = view! {
        <button type="button" class="button" disabled=used_by.is_some() title=used_by.clone().unwrap_or_default()
            on:click=move |_| life.delete()>"Delete"</button>
    }
    .into_any();

    view! {
        <EditorFrame life list="Segments" title_id="segment-title" save_id="segment-save" delete on_pick=Callback::new(focus_pointer)>
            {segment_fields(life, base, used_by)}
            {segment_rules(life, base)}
        </EditorFrame>
    }
    .into_any()
}

/// The key (a new segment), the description, and who is always in and never in.
fn segment_fields(
    life: EditorLifecycle<SegmentDraft>,
    base: Memo<String>,
    used_by: Option<String>,
) -> impl IntoView {
    let draft = life.draft;
    let problems = life.problems;
    let ro = move || !life.can_edit.get();
    const KEY_FIELD: &str = SegmentDraft::KEY_FIELD;
    let list_field = move |id: &'static str,
                           label: &'static str,
                           token: &'static str,
                           get: fn(&SegmentDraft) -> String,
                           set: fn(&mut SegmentDraft, String)| {
        let pointer = Signal::derive(move || base.with(|b| join(b, &[token])));
        let text = Memo::new(move |_| draft.with(get));
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <textarea id=id rows="3" spellcheck="false" readonly=ro data-pointer=move || pointer.get()
                    prop:value=move || text.get()
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))></textarea>
                <FieldProblems problems pointer under=true/>
            </div>
        }
    };
    view! {
        <section class="card">
            <Show when=move || life.is_new>
                <div class="field">
                    <label for="segment-key">"Key"</label>
                    <input id="segment-key" type="text" spellcheck="false" data-pointer=KEY_FIELD
                        prop:value=move || draft.with(|d| d.key.clone())
                        on:input=move |ev| draft.update(|d| d.key = event_target_value(&ev))/>
                    <FieldProblems problems pointer=KEY_FIELD.to_string()/>
                    <FieldProblems problems pointer=base/>
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
            {used_by.map(|u| view! { <p class="hint">{format!("{u}.")}</p> })}
        </section>
    }
}
