//! The document as loaded from the store, and what the editors ask of it: validation of a
//! draft in the context of everything else, and who uses what.

use std::collections::BTreeSet;

use burgee_core::graph::SegmentUser;
use burgee_core::model::{Document, Flag, Segment};

use super::fields::Problems;

/// One version of the project's document (`GET /api/v1/document`).
#[derive(Clone, Debug, PartialEq)]
pub struct DocState {
    pub version: u64,
    pub document: Document,
}

impl DocState {
    /// The document with one flag replaced (or added).
    pub fn with_flag(&self, key: &str, flag: Flag) -> Document {
        let mut document = self.document.clone();
        document.flags.insert(key.to_string(), flag);
        document
    }

    pub fn with_segment(&self, key: &str, segment: Segment) -> Document {
        let mut document = self.document.clone();
        document.segments.insert(key.to_string(), segment);
        document
    }

    /// Just what validating one flag needs: the flag, every flag that requires it (their
    /// prerequisite checks see the draft), and everything those require, plus all segments.
    /// Validating 500 flags on every keystroke would be wasted work; the store validates the
    /// whole document when it saves.
    pub fn scope_for_flag(&self, key: &str, flag: &Flag) -> Document {
        let graph = self
            .document
            .prerequisites()
            .with(key, flag.prerequisites.iter().map(|p| p.flag.clone()));
        let mut keep: BTreeSet<String> = graph.all_dependents(key);
        keep.insert(key.to_string());
        let mut more = BTreeSet::new();
        for k in &keep {
            more.extend(graph.all_prerequisites(k));
        }
        keep.extend(more);
        let mut document = Document {
            flags: Default::default(),
            ..self.document.clone()
        };
        for k in keep {
            if k == key {
                document.flags.insert(k, flag.clone());
            } else if let Some(f) = self.document.flags.get(&k) {
                document.flags.insert(k, f.clone());
            }
        }
        document
    }

    /// The core's diagnostics for a flag draft, with pointers into the whole document.
    pub fn validate_flag(&self, key: &str, flag: &Flag) -> Problems {
        Problems::from_diagnostics(&burgee_core::validate(&self.scope_for_flag(key, flag)))
    }

    /// The core's diagnostics for a segment draft (segments only: a segment's problems never
    /// break a flag).
    pub fn validate_segment(&self, key: &str, segment: &Segment) -> Problems {
        let mut document = Document {
            flags: Default::default(),
            ..self.document.clone()
        };
        document.segments.insert(key.to_string(), segment.clone());
        Problems::from_diagnostics(&burgee_core::validate(&document))
    }

    /// Flags and segments whose rules use segment `key` (the core's answer), for people:
    /// `flag x`, `segment y`.
    pub fn segment_users(&self, key: &str) -> Vec<String> {
        let named = |user| match user {
            SegmentUser::Flag(k) => format!("flag {k}"),
            SegmentUser::Segment(k) => format!("segment {k}"),
        };
        self.document
            .segment_users(key)
            .into_iter()
            .map(named)
            .collect()
    }

    /// Segments that use segment `key`, directly or through other segments: choosing one of
    /// them inside `key` would make a cycle.
    pub fn segments_using(&self, key: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut todo = vec![key.to_string()];
        while let Some(target) = todo.pop() {
            for user in self.document.segment_users(&target) {
                if let SegmentUser::Segment(k) = user
                    && found.insert(k.clone())
                {
                    todo.push(k);
                }
            }
        }
        found.remove(key);
        found
    }

    /// Every attribute any clause or target of the document reads, for suggestions.
    pub fn attributes(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        out.insert("targetingKey".to_string());
        for flag in self.document.flags.values() {
            for env in flag.environments.values() {
                for t in &env.targets {
                    out.insert(t.attribute.clone().unwrap_or_else(|| "targetingKey".into()));
                }
                for r in &env.rules {
                    for c in &r.clauses {
                        if let Some(a) = &c.attribute {
                            out.insert(a.clone());
                        }
                    }
                }
            }
        }
        for segment in self.document.segments.values() {
            for r in &segment.rules {
                for c in &r.clauses {
                    if let Some(a) = &c.attribute {
                        out.insert(a.clone());
                    }
                }
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> DocState {
        let text = include_str!("../../../examples/tasks-app.json");
        DocState {
            version: 3,
            document: burgee_core::load(text).unwrap().document,
        }
    }

    #[test]
    fn the_scope_holds_dependents_and_their_prerequisites() {
        let state = example();
        let key = "enhanced-task-metadata";
        let flag = state.document.flags[key].clone();
        let scope = state.scope_for_flag(key, &flag);
        assert!(scope.flags.contains_key("daily-planning"), "a dependent");
        assert!(scope.flags.len() < state.document.flags.len());
        assert!(
            state
                .validate_flag(key, &flag)
                .all()
                .iter()
                .all(|p| !p.is_error())
        );
    }

    #[test]
    fn dependents_see_a_removed_variant() {
        let state = example();
        let key = "enhanced-task-metadata";
        let mut flag = state.document.flags[key].clone();
        flag.variants.remove("on");
        for env in flag.environments.values_mut() {
            env.rules.clear();
            env.default_serve = Some(burgee_core::model::Serve::variant("off"));
        }
        let problems = state.validate_flag(key, &flag);
        assert!(
            problems
                .all()
                .iter()
                .any(|p| p.is_error()
                    && p.pointer.starts_with("/flags/daily-planning/prerequisites")),
            "{problems:?}"
        );
    }

    #[test]
    fn segments_using_a_segment_directly_or_not() {
        let doc: Document = serde_json::from_value(serde_json::json!({
            "environments": ["p"], "flags": {},
            "segments": {
                "a": {},
                "b": {"rules": [{"clauses": [{"op": "inSegment", "values": ["a"]}]}]},
                "c": {"rules": [{"clauses": [{"op": "inSegment", "values": ["b"]}]}]},
                "d": {}
            }
        }))
        .unwrap();
        let state = DocState {
            version: 1,
            document: doc,
        };
        let using: Vec<String> = state.segments_using("a").into_iter().collect();
        assert_eq!(using, ["b", "c"]);
        assert!(state.segments_using("d").is_empty());
    }

    #[test]
    fn segment_users_and_attributes() {
        let state = example();
        let users = state.segment_users("beta-testers");
        assert!(users.iter().any(|u| u.starts_with("flag ")), "{users:?}");
        let core = state.document.segment_users("beta-testers");
        assert_eq!(users.len(), core.len());
        let attributes = state.attributes();
        assert!(attributes.contains(&"targetingKey".to_string()));
        assert!(attributes.len() > 1);
    }
}
