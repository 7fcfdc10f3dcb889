//! The documents stay true: every workspace member has a paragraph in ARCHITECTURE.md's code
//! map; docs/semantics.md names every reason, error code and diagnostic code the core emits,
//! and the corpus cases it cites exist and cover the whole corpus.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use burgee_core::{Code, ErrorCode, Reason};
use serde_json::Value;

const ARCHITECTURE: &str = include_str!("../../ARCHITECTURE.md");
const SEMANTICS: &str = include_str!("../../docs/semantics.md");
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
    let reasons = Reason::ALL.map(Reason::as_str);
    let errors = ErrorCode::ALL.map(ErrorCode::as_str);
    for name in reasons.into_iter().chain(errors) {
        assert!(
            SEMANTICS.contains(&format!("`{name}`")),
            "{name} is not in docs/semantics.md"
        );
    }
    for code in Code::ALL {
        assert!(
            SEMANTICS.contains(&format!("`{}`", code.as_str())),
            "diagnostic code {} is not in docs/semantics.md",
            code.as_str()
        );
    }
}

/// Every case id of the corpus (evaluation cases, distributions, hashes, buckets, validation).
fn corpus_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for (name, text) in burgee_tests::FILES {
        let file: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for list in ["cases", "distributions", "hashes", "buckets"] {
            for item in file[list].as_array().into_iter().flatten() {
                if let Some(id) = item["id"].as_str() {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// Whether `id` matches `pattern`, where `*` stands for any run of characters.
fn matches(pattern: &str, id: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The code spans of docs/semantics.md that name corpus cases: dotted words whose first part
/// is the first part of some case id.
fn cited(ids: &[String]) -> BTreeSet<String> {
    let prefixes: BTreeSet<&str> = ids.iter().filter_map(|id| id.split('.').next()).collect();
    SEMANTICS
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            span.contains('.')
                && span
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_' | '$'))
                && span
                    .split('.')
                    .next()
                    .is_some_and(|first| prefixes.contains(first))
        })
        .map(String::from)
        .collect()
}

#[test]
fn the_corpus_cases_cited_exist_and_cover_the_corpus() {
    let ids = corpus_ids();
    assert!(ids.len() > 600, "only {} corpus ids", ids.len());
    let patterns = cited(&ids);
    assert!(patterns.len() > 100, "only {} citations", patterns.len());
    let unknown: Vec<&String> = patterns
        .iter()
        .filter(|p| !ids.iter().any(|id| matches(p, id)))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/semantics.md cites corpus cases that do not exist: {unknown:?}"
    );
    let uncited: Vec<&String> = ids
        .iter()
        .filter(|id| !patterns.iter().any(|p| matches(p, id)))
        .collect();
    assert!(
        uncited.is_empty(),
        "docs/semantics.md names no rule for these corpus cases: {uncited:?}"
    );
}

#[test]
fn patterns_match_as_globs() {
    assert!(matches("rollout.*", "rollout.sticky.on.plain"));
    assert!(matches("op.in.dotted-*", "op.in.dotted-path-nested"));
    assert!(matches("flag.unknown*", "flag.unknown"));
    assert!(matches("flag.unknown*", "flag.unknown.case-sensitive"));
    assert!(matches("type.absent-means-any", "type.absent-means-any"));
    assert!(!matches("type.absent", "type.absent-means-any"));
    assert!(!matches("op.in.*", "op.inSegment.excluded"));
    assert!(matches("a*b*c", "a-x-b-y-c"));
    assert!(!matches("a*b*c", "a-x-c"));
}
