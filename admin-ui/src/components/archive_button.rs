//! Archiving a flag from its page, and restoring it. An archived flag stays in the document
//! (its settings, its history) but leaves every snapshot, so the edge answers as if it did not
//! exist; the store refuses while a live flag requires it, and its refusal is what the notice
//! says. Asked first, naming the flags that require it.

use leptos::prelude::*;

use crate::context::{Confirm, Question};
use crate::editor::EditorLifecycle;
use crate::state::draft::FlagDraft;
use crate::state::route::Route;

/// The Archive button of a live flag, or Restore for an archived one.
pub fn archive_button(
    life: EditorLifecycle<FlagDraft>,
    archived: bool,
    dependents: Vec<String>,
) -> impl IntoView {
    let confirm = expect_context::<Confirm>();
    let key = life.key();
    let click = move |_| {
        let k = key.clone();
        if archived {
            let failed = format!("{k} was not restored: ");
            let done =
                move |w: &burgee_api::Written| format!("Restored {k} (version {})", w.version);
            let k = key.clone();
            life.flow
                .act(failed, done, None, move |api, version| async move {
                    api.archive(&k, false, version).await
                });
            return;
        }
        let body = if dependents.is_empty() {
            format!(
                "{k} leaves every snapshot: clients get their default value, as for a flag that does not exist. It stays in the document and can be restored from the list's Archived section."
            )
        } else {
            format!(
                "Required by {}: the store refuses to archive a flag that live flags require. Otherwise {k} leaves every snapshot and can be restored later.",
                dependents.join(", ")
            )
        };
        confirm.ask(Question {
            title: format!("Archive {k}?"),
            body,
            confirm: "Archive".into(),
            list: Vec::new(),
            reason: None,
            danger: true,
            on_confirm: Callback::new(move |_| {
                let failed = format!("{k} was not archived: ");
                let name = k.clone();
                let done = move |w: &burgee_api::Written| {
                    format!("Archived {name} (version {})", w.version)
                };
                let k = k.clone();
                life.flow.act(
                    failed,
                    done,
                    Some(Route::Flags),
                    move |api, version| async move { api.archive(&k, true, version).await },
                );
            }),
        });
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
