//! Archiving a flag from its page, and restoring it. An archived flag stays in the document
//! (its settings, its history) but leaves every snapshot, so the edge answers as if it did not
//! exist; the store refuses while a live flag requires it, and its refusal is what the notice
//! says. Asked first, naming the flags that require it, and why.

use leptos::prelude::*;

use super::reason_question::ask_why;
use crate::api::Api;
use crate::context::{Confirm, Question, Session};
use crate::editor::EditorLifecycle;
use crate::state::draft::FlagDraft;
use crate::state::route::Route;

/// The Archive button of a live flag, or Restore for an archived one. Both change what every
/// environment serves, so both ask why (see `reason_question`).
pub fn archive_button(
    life: EditorLifecycle<FlagDraft>,
    archived: bool,
    dependents: Vec<String>,
) -> impl IntoView {
    let confirm = expect_context::<Confirm>();
    let session = expect_context::<Session>();
    let key = life.key();
    let click = move |_| {
        let k = key.clone();
        let environments = life.doc.with_value(|d| d.document.environments.clone());
        let body = if archived {
            format!("{k} is served again in every environment, as it was before it was archived.")
        } else if dependents.is_empty() {
            format!(
                "{k} leaves every snapshot: clients get their default value, as for a flag that does not exist. It stays in the document and can be restored from the list's Archived section."
            )
        } else {
            format!(
                "Required by {}: the store refuses to archive a flag that live flags require. Otherwise {k} leaves every snapshot and can be restored later.",
                dependents.join(", ")
            )
        };
        let (verb, done_verb) = if archived {
            ("Restore", "Restored")
        } else {
            ("Archive", "Archived")
        };
        ask_why(
            confirm,
            session.api(),
            environments,
            !archived,
            move |reason| Question {
                title: format!("{verb} {k}?"),
                body,
                confirm: verb.into(),
                list: Vec::new(),
                reason: None,
                reason_required: false,
                danger: !archived,
                on_confirm: Callback::new(move |_| {
                    let failed = format!("{k} was not {}: ", done_verb.to_lowercase());
                    let name = k.clone();
                    let done = move |w: &burgee_api::Written| {
                        format!("{done_verb} {name} (version {})", w.version)
                    };
                    let (k, why) = (k.clone(), reason.get_untracked());
                    let write = move |api: Api, version| async move {
                        api.with_reason(&why).archive(&k, !archived, version).await
                    };
                    let after = (!archived).then_some(Route::Flags);
                    life.flow.act(failed, done, after, write);
                }),
            },
        );
    };
    view! {
        <button type="button" class="button" data-testid="archive" on:click=click>
            {if archived { "Restore" } else { "Archive" }}
        </button>
    }
}

/// The note at the top of an archived flag's page.
pub fn archived_note(archived_at: Option<String>, archived_by: Option<String>) -> impl IntoView {
    let when = archived_at
        .map(|a| format!(" on {}", crate::state::values::display_stamp(&a)))
        .unwrap_or_default();
    let who = archived_by.map(|b| format!(" by {b}")).unwrap_or_default();
    view! {
        <p class="note warn" role="status" data-testid="archived-note">
            {format!("Archived{when}{who}: this flag is in no snapshot. Restore it to serve it again.")}
        </p>
    }
}
