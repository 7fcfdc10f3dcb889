//! ARCHITECTURE.md stays true: every workspace member has a paragraph in its code map, and the
//! evaluation reasons and error codes it names are the ones the core emits.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

const ARCHITECTURE: &str = include_str!("../../ARCHITECTURE.md");
const WORKSPACE: &str = include_str!("../../Cargo.toml");

#[test]
fn every_workspace_member_is_in_the_code_map() {
    let members_line = WORKSPACE
        .lines()
        .find(|l| l.starts_with("members"))
        .expect("a members line");
    let members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    assert!(members.len() >= 6, "{members:?}");
    for member in members {
        assert!(
            ARCHITECTURE.contains(&format!("### `{member}/`")),
            "ARCHITECTURE.md has no code-map entry `### `{member}/`` for workspace member {member}"
        );
    }
}

#[test]
fn reasons_and_error_codes_are_documented() {
    for name in [
        "STATIC",
        "DEFAULT",
        "TARGETING_MATCH",
        "SPLIT",
        "DISABLED",
        "PREREQUISITE_FAILED",
        "ERROR",
        "FLAG_NOT_FOUND",
        "TYPE_MISMATCH",
        "PARSE_ERROR",
        "TARGETING_KEY_MISSING",
        "INVALID_CONTEXT",
        "GENERAL",
    ] {
        assert!(
            ARCHITECTURE.contains(&format!("`{name}`")),
            "{name} is not in ARCHITECTURE.md"
        );
    }
    for code in burgee_core::Code::ALL {
        assert!(
            ARCHITECTURE.contains(&format!("`{}`", code.as_str())),
            "diagnostic code {} is not in ARCHITECTURE.md",
            code.as_str()
        );
    }
}
