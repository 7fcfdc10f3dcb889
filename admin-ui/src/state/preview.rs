//! The change preview lives in the core (`burgee_core::preview`), shared with `burgee push`, so
//! that the review before a save and a pipeline's push count the same contexts the same way.
//! The app only words a pasted line's JSON error its own way.

pub use burgee_core::preview::{DEFAULT_LABEL, Preview, Transition, Versions, sample_for};
use serde_json::Value;

use super::json_errors::describe;

/// Reads contexts pasted as JSON lines (blank lines ignored).
pub fn parse_json_lines(text: &str) -> Result<Vec<Value>, String> {
    burgee_core::preview::parse_json_lines(text, &describe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_line_numbers() {
        let err = parse_json_lines("{}\n{oops").unwrap_err();
        assert!(err.starts_with("line 2: not valid JSON: "), "{err}");
    }
}
