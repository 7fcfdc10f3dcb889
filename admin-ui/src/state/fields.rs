//! Problems (validation diagnostics) by JSON Pointer, so that each input can show the ones about
//! itself.
//!
//! The core's validator, the store's `422` answers and the editor's own parse errors all name
//! the field they are about with an RFC 6901 pointer into the whole document
//! (`/flags/a/environments/production/rules/0/clauses/1/values/2`). The editor builds the same
//! pointer for each of its inputs, so one lookup places every problem, whichever side found it.

use super::order::sort_with;
use burgee_core::{Code, Diagnostic};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The codes of problems only a draft can have, which no document can hold (so the core has no
/// code for them); every other problem carries a [`Code`] of the core.
pub const MISSING_KEY: &str = "missing-key";
pub const DUPLICATE_KEY: &str = "duplicate-key";
pub const DUPLICATE_VARIANT: &str = "duplicate-variant";

/// One diagnostic: from the core in the browser, from the store, or from the editor itself.
/// The code is kept as the text it arrives as (the store's diagnostics are JSON).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Problem {
    pub severity: Severity,
    pub code: String,
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn error(pointer: impl Into<String>, code: &str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            code: code.into(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether it is the core's diagnostic `code`.
    pub fn is(&self, code: Code) -> bool {
        self.code == code.as_str()
    }
}

impl From<&Diagnostic> for Problem {
    fn from(d: &Diagnostic) -> Problem {
        Problem {
            severity: if d.is_error() {
                Severity::Error
            } else {
                Severity::Warning
            },
            code: d.code.as_str().into(),
            pointer: d.pointer.clone(),
            message: d.message.clone(),
        }
    }
}

/// A set of problems, looked up by pointer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub fn new(list: Vec<Problem>) -> Problems {
        let mut problems = Problems { list: Vec::new() };
        problems.extend(list);
        problems
    }

    pub fn from_diagnostics<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Problems {
        Problems::new(diagnostics.into_iter().map(Problem::from).collect())
    }

    /// Adds problems, dropping exact duplicates (the core and the store may report the same).
    pub fn extend(&mut self, more: impl IntoIterator<Item = Problem>) {
        for p in more {
            if !self.list.contains(&p) {
                self.list.push(p);
            }
        }
    }

    pub fn all(&self) -> &[Problem] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Problem::is_error)
    }

    /// The problems about exactly this field, errors first.
    pub fn at(&self, pointer: &str) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .list
            .iter()
            .filter(|p| p.pointer == pointer)
            .cloned()
            .collect();
        sort_with(&mut out, |a, b| a.severity.cmp(&b.severity));
        out
    }

    /// The problems about this field or anything inside it.
    pub fn under<'a>(&'a self, pointer: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.list
            .iter()
            .filter(move |p| is_within(&p.pointer, pointer))
    }

    /// How many errors are about this field or anything inside it.
    pub fn errors_under(&self, pointer: &str) -> usize {
        self.under(pointer).filter(|p| p.is_error()).count()
    }

    /// Only the problems inside `pointer`.
    pub fn within(&self, pointer: &str) -> Problems {
        Problems {
            list: self.under(pointer).cloned().collect(),
        }
    }

    /// The problems inside the map at `members` (a flag's `variants`), with those about a
    /// member's name moved to its [`key_pointer`]: the core reports an `invalid-key` at the
    /// member itself, whose pointer is its value's input.
    pub fn keys_apart(&self, members: &str) -> Problems {
        let list = self
            .under(members)
            .map(|p| {
                let member = p
                    .pointer
                    .strip_prefix(members)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|token| !token.contains('/'));
                if member && p.is(Code::InvalidKey) {
                    Problem {
                        pointer: key_pointer(&p.pointer),
                        ..p.clone()
                    }
                } else {
                    p.clone()
                }
            })
            .collect();
        Problems { list }
    }
}

/// True when `pointer` is `prefix` or inside it (`/a/b` is within `/a`, `/ab` is not).
pub fn is_within(pointer: &str, prefix: &str) -> bool {
    match pointer.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Appends one escaped reference token (`~` → `~0`, `/` → `~1`): the core's, which its merge
/// names fields with.
pub use burgee_core::merge::push_token;

/// A pointer built from a base and tokens: `pointer("/flags/a", &["rules", "0"])`.
pub fn pointer(base: &str, tokens: &[&str]) -> String {
    let mut out = String::from(base);
    for t in tokens {
        push_token(&mut out, t);
    }
    out
}

/// The pseudo-pointer of the name of the member at `pointer` (a variant's name input): an RFC
/// 6901 pointer names a value, never the key that holds it, so the editor marks the key with a
/// `#key` suffix, which no valid key contains.
pub fn key_pointer(pointer: &str) -> String {
    format!("{pointer}#key")
}

/// The pointer of a flag: `/flags/<key>`.
pub fn flag_pointer(key: &str) -> String {
    pointer("", &["flags", key])
}

/// The pointer of a segment: `/segments/<key>`.
pub fn segment_pointer(key: &str) -> String {
    pointer("", &["segments", key])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pointer: &str, severity: Severity) -> Problem {
        Problem {
            severity,
            code: "x".into(),
            pointer: pointer.into(),
            message: format!("about {pointer}"),
        }
    }

    #[test]
    fn pointers_escape_their_tokens() {
        assert_eq!(
            pointer("", &["flags", "a/b~c", "rules"]),
            "/flags/a~1b~0c/rules"
        );
        assert_eq!(flag_pointer("x"), "/flags/x");
        assert_eq!(segment_pointer("s"), "/segments/s");
    }

    #[test]
    fn lookup_by_field_and_by_subtree() {
        let problems = Problems::new(vec![
            p("/flags/a/environments/production", Severity::Warning),
            p(
                "/flags/a/environments/production/offVariant",
                Severity::Error,
            ),
            p("/flags/ab/variants/on", Severity::Error),
            p("/flags/a/environments/production", Severity::Error),
        ]);
        let at = problems.at("/flags/a/environments/production");
        assert_eq!(at.len(), 2);
        assert_eq!(at[0].severity, Severity::Error, "errors come first");
        assert_eq!(problems.errors_under("/flags/a"), 2);
        assert_eq!(problems.errors_under("/flags/ab"), 1);
        assert_eq!(problems.within("/flags/a").all().len(), 3);
        assert!(problems.has_errors());
    }

    #[test]
    fn key_problems_move_to_the_key() {
        let mut bad_key = p("/flags/a/variants/x y", Severity::Error);
        bad_key.code = Code::InvalidKey.as_str().into();
        let mut nested = p("/flags/a/variants/x/deep", Severity::Error);
        nested.code = Code::InvalidKey.as_str().into();
        let problems = Problems::new(vec![
            bad_key,
            nested.clone(),
            p("/flags/a/variants/on", Severity::Error),
            p("/flags/a/variants", Severity::Error),
            p("/flags/a/kind", Severity::Error),
        ]);
        let apart = problems.keys_apart("/flags/a/variants");
        assert_eq!(
            key_pointer("/flags/a/variants/x y"),
            "/flags/a/variants/x y#key"
        );
        assert_eq!(apart.at("/flags/a/variants/x y#key").len(), 1);
        assert!(apart.at("/flags/a/variants/x y").is_empty());
        assert_eq!(apart.at("/flags/a/variants/on").len(), 1, "others stay");
        assert_eq!(apart.at("/flags/a/variants").len(), 1);
        assert_eq!(
            apart.at(&nested.pointer).len(),
            1,
            "only members' keys move"
        );
        assert!(apart.at("/flags/a/kind").is_empty(), "only inside the map");
    }

    #[test]
    fn duplicates_are_dropped() {
        let mut problems = Problems::new(vec![p("/a", Severity::Error)]);
        problems.extend(vec![p("/a", Severity::Error), p("/b", Severity::Warning)]);
        assert_eq!(problems.all().len(), 2);
    }

    #[test]
    fn store_diagnostics_deserialize() {
        let json = r#"[{"severity":"error","code":"unknown-variant","pointer":"/flags/a/environments/production/offVariant","message":"unknown variant `of`"}]"#;
        let list: Vec<Problem> = serde_json::from_str(json).unwrap();
        assert!(list[0].is(Code::UnknownVariant));
        assert!(list[0].is_error());
    }

    #[test]
    fn core_diagnostics_convert() {
        let loaded = burgee_core::load(
            r#"{"environments":["production"],"flags":{"a":{"kind":"boolean","variants":{"on":true},"environments":{"production":{"enabled":true,"offVariant":"of","defaultServe":{"variant":"on"}}}}}}"#,
        )
        .unwrap();
        let problems = Problems::from_diagnostics(&loaded.validate());
        let at = problems.at("/flags/a/environments/production/offVariant");
        assert_eq!(at.len(), 1);
        assert!(at[0].is(Code::UnknownVariant));
    }
}
