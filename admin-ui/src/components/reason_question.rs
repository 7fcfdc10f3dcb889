//! The confirmation of a write that is no save (archive, restore, delete) asks why, as the
//! review before a save does: an environment whose policy (or the deployment) requires a
//! reason refuses the write without one. The question opens once the environments the write
//! touches have been asked, so the reason is marked required (and the confirm button waits for
//! it) before anyone meets the refusal.

use leptos::prelude::*;

use crate::api::Api;
use crate::context::{Confirm, Question};

/// Asks the question `ask` builds from the reason's signal (its `on_confirm` reads it), with a
/// reason field that is required when one of `environments` requires a reason, which its body
/// then names. Unless `always`, a write that needs no reason is done without asking (restoring
/// an archived flag, which was never asked about).
pub fn ask_why(
    confirm: Confirm,
    api: Api,
    environments: Vec<String>,
    always: bool,
    ask: impl FnOnce(RwSignal<String>) -> Question + 'static,
) {
    leptos::task::spawn_local(async move {
        let needing = api.needing_reason(&environments).await;
        let reason = RwSignal::new(String::new());
        let mut question = ask(reason);
        if needing.is_empty() && !always {
            return question.on_confirm.run(());
        }
        if !needing.is_empty() {
            question.body = format!(
                "{} A reason is required in {}.",
                question.body,
                needing.join(", ")
            );
        }
        question.reason = Some(reason);
        question.reason_required = !needing.is_empty();
        confirm.ask(question);
    });
}
