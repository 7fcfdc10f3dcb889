//! What the draft's tests share: the example document and the checks they run a draft through.

use burgee_core::model::Document;

use super::FlagDraft;
use crate::state::fields::{Problem, Problems};

pub use crate::state::fixtures::example;

const ENVS: &[&str] = &["development", "staging", "production"];

pub fn envs() -> Vec<String> {
    ENVS.iter().map(|s| s.to_string()).collect()
}

/// `checkout-button-color` from the example, and the example.
pub fn checkout() -> (Document, FlagDraft) {
    let doc = example();
    let key = "checkout-button-color";
    (
        doc.clone(),
        FlagDraft::from_flag(key, &doc.flags[key], &doc.environments),
    )
}

/// The errors the editor would show for `draft` in `doc`: the core's and its own.
pub fn errors(doc: &Document, draft: &FlagDraft) -> Vec<Problem> {
    let (flag, local) = draft.to_flag();
    let mut doc = doc.clone();
    doc.flags.insert(draft.key.clone(), flag);
    let mut all = Problems::from_diagnostics(&burgee_core::validate(&doc));
    all.extend(local.all().iter().cloned());
    all.all().iter().filter(|p| p.is_error()).cloned().collect()
}
