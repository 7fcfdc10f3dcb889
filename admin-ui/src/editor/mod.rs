//! The one lifecycle of the flag editor and the segment editor. Both load an entry and the
//! document it is in, hold a draft, track unsaved edits, validate with the core, save with
//! `If-Match`, answer a `412` (a three-way merge, or a new entry's retry), delete, and come back
//! to the same place after their own save; all of that is written once here, generic over the
//! draft ([`crate::state::editable::EditableDraft`]), and the shared view of it is
//! `components::editor_frame`. Each editor adds only what is its own.

mod lifecycle;
mod write_flow;

pub use lifecycle::EditorLifecycle;
pub use write_flow::WriteFlow;
