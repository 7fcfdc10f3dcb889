//! The app's domain state: plain structs with methods, no Leptos, tested natively.
//!
//! Components hold these in signals and call their methods; everything that decides what the
//! app shows or sends lives here (and, for anything about flags, in burgee-core).

pub mod audit;
pub mod catalog;
pub mod chart;
pub mod document;
pub mod draft;
pub mod editable;
pub mod evaluate;
pub mod fields;
pub mod graph;
pub mod history;
pub mod json_errors;
pub mod merge;
pub mod order;
pub mod preview;
pub mod readout;
pub mod review;
pub mod route;
pub mod segment_draft;
pub mod served;
pub mod snippets;
pub mod usage;
pub mod values;
pub mod weights;

/// What the tests of several modules share.
#[cfg(test)]
pub(crate) mod fixtures {
    use burgee_core::model::Document;

    /// The example document (`examples/tasks-app.json`).
    pub fn example() -> Document {
        burgee_core::load(include_str!("../../../examples/tasks-app.json"))
            .unwrap()
            .document
    }
}
