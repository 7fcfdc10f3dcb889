//! Who uses whom in a document: prerequisites between flags, segments used by rules, and which
//! flags a change can make evaluate differently.
//!
//! The store refuses to delete what is still used, the change stream tells clients which flags
//! to re-evaluate, the admin app warns before a kill switch and keeps the prerequisite picker
//! acyclic: all of them ask these functions, so "which flags depend on this one" has one answer.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::model::{Clause, Document, Environment, Flag, Op, Segment};

/// Something that uses a segment in its rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SegmentUser {
    Flag(String),
    Segment(String),
}

impl core::fmt::Display for SegmentUser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SegmentUser::Flag(key) => write!(f, "flag `{key}`"),
            SegmentUser::Segment(key) => write!(f, "segment `{key}`"),
        }
    }
}

/// The segments a clause names (`inSegment` clauses only).
fn clause_segments(clause: &Clause) -> impl Iterator<Item = &str> {
    let segments = if clause.op == Op::InSegment {
        clause.values.as_slice()
    } else {
        &[]
    };
    segments.iter().filter_map(|v| v.as_str())
}

fn clauses_use(clauses: &[Clause], segment: &str) -> bool {
    clauses
        .iter()
        .any(|c| clause_segments(c).any(|s| s == segment))
}

/// The segments an environment's rules name, directly.
pub fn environment_segments(settings: &Environment) -> BTreeSet<&str> {
    settings
        .rules
        .iter()
        .flat_map(|r| r.clauses.iter().flat_map(clause_segments))
        .collect()
}

/// The segments a segment's rules name, directly.
pub fn segment_segments(segment: &Segment) -> BTreeSet<&str> {
    segment
        .rules
        .iter()
        .flat_map(|r| r.clauses.iter().flat_map(clause_segments))
        .collect()
}

impl Document {
    /// The flags that list `flag` as a prerequisite (directly), by key; never `flag` itself.
    pub fn dependents(&self, flag: &str) -> Vec<String> {
        self.flags
            .iter()
            .filter(|(key, f)| *key != flag && f.prerequisites.iter().any(|p| p.flag == flag))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The flags (in any environment) and other segments whose rules use `segment`.
    pub fn segment_users(&self, segment: &str) -> Vec<SegmentUser> {
        let mut users = Vec::new();
        for (key, flag) in &self.flags {
            let used = flag
                .environments
                .values()
                .any(|e| e.rules.iter().any(|r| clauses_use(&r.clauses, segment)));
            if used {
                users.push(SegmentUser::Flag(key.clone()));
            }
        }
        for (key, other) in &self.segments {
            if key != segment && other.rules.iter().any(|r| clauses_use(&r.clauses, segment)) {
                users.push(SegmentUser::Segment(key.clone()));
            }
        }
        users
    }

    /// The prerequisite graph of this document.
    pub fn prerequisites(&self) -> Prerequisites {
        Prerequisites::new(self)
    }
}

/// Edges `flag → the flags it requires`, for walking prerequisites both ways.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prerequisites {
    requires: BTreeMap<String, Vec<String>>,
}

impl Prerequisites {
    pub fn new(document: &Document) -> Prerequisites {
        let mut requires = BTreeMap::new();
        for (key, flag) in &document.flags {
            requires.insert(key.clone(), required(flag));
        }
        Prerequisites { requires }
    }

    /// The graph with one flag's prerequisites replaced (an editor's draft).
    pub fn with(mut self, key: &str, prerequisites: impl IntoIterator<Item = String>) -> Self {
        let mut to: Vec<String> = prerequisites.into_iter().collect();
        to.dedup();
        self.requires.insert(key.to_string(), to);
        self
    }

    /// The flags `key` requires directly.
    pub fn required_by(&self, key: &str) -> &[String] {
        self.requires.get(key).map_or(&[], Vec::as_slice)
    }

    /// The flags that list `key` directly.
    pub fn dependents(&self, key: &str) -> Vec<String> {
        self.requires
            .iter()
            .filter(|(from, to)| *from != key && to.iter().any(|t| t == key))
            .map(|(from, _)| from.clone())
            .collect()
    }

    /// Every flag that requires `key`, directly or through others.
    pub fn all_dependents(&self, key: &str) -> BTreeSet<String> {
        self.reach(key, |k| self.dependents(k))
    }

    /// Every flag that requires one of `keys`, directly or through others, and is not one of
    /// them. One walk over a reverse index, so it is linear in the graph however many keys are
    /// asked about (an import asks about every flag).
    pub fn dependents_of_any<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> BTreeSet<String> {
        let mut listed_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, to) in &self.requires {
            for t in to.iter().filter(|t| *t != from) {
                listed_by.entry(t.as_str()).or_default().push(from.as_str());
            }
        }
        let start: BTreeSet<&str> = keys.into_iter().collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut work: Vec<&str> = start.iter().copied().collect();
        while let Some(k) = work.pop() {
            for &d in listed_by.get(k).map_or(&[][..], Vec::as_slice) {
                if !start.contains(d) && seen.insert(d) {
                    work.push(d);
                }
            }
        }
        seen.into_iter().map(String::from).collect()
    }

    /// Every flag `key` requires, directly or through others.
    pub fn all_prerequisites(&self, key: &str) -> BTreeSet<String> {
        self.reach(key, |k| self.required_by(k).to_vec())
    }

    fn reach(&self, key: &str, next: impl Fn(&str) -> Vec<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut work = vec![key.to_string()];
        while let Some(k) = work.pop() {
            for n in next(&k) {
                if n != key && seen.insert(n.clone()) {
                    work.push(n);
                }
            }
        }
        seen
    }

    /// A chain of prerequisites from `from` to `to` (both included), shortest first found.
    pub fn path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([from.to_string()]);
        let mut seen = BTreeSet::from([from.to_string()]);
        while let Some(k) = queue.pop_front() {
            if k == to {
                let mut path = vec![k.clone()];
                let mut at = k;
                while let Some(p) = previous.get(&at) {
                    path.push(p.clone());
                    at = p.clone();
                }
                path.reverse();
                return Some(path);
            }
            for next in self.required_by(&k) {
                if seen.insert(next.clone()) {
                    previous.insert(next.clone(), k.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        None
    }
}

fn required(flag: &Flag) -> Vec<String> {
    let mut to: Vec<String> = flag.prerequisites.iter().map(|p| p.flag.clone()).collect();
    to.dedup();
    to
}

/// What of a flag decides its evaluation in one environment: everything but the names,
/// descriptions, tags, metadata, stamps and other environments' settings.
fn evaluation_view<'f>(flag: &'f Flag, environment: &str) -> impl PartialEq + 'f {
    (
        &flag.kind,
        &flag.variants,
        &flag.prerequisites,
        flag.client_side,
        flag.is_archived(),
        flag.environments.get(environment),
    )
}

/// What of a segment decides membership: everything but its description.
fn membership_view(segment: &Segment) -> impl PartialEq + '_ {
    let rules: Vec<_> = segment.rules.iter().map(|r| &r.clauses).collect();
    (&segment.include, &segment.exclude, rules)
}

/// The flags whose evaluation in `environment` may differ between two versions of a document:
/// added or removed, their own evaluation-relevant fields or that environment's settings
/// changed, a segment their rules use changed (directly or through segments that use it), or a
/// flag they require changed (transitively). Sorted by key.
pub fn changed_flags(before: &Document, after: &Document, environment: &str) -> Vec<String> {
    let mut changed_segments: BTreeSet<&str> = before
        .segments
        .keys()
        .chain(after.segments.keys())
        .map(String::as_str)
        .filter(|k| {
            before.segments.get(*k).map(membership_view)
                != after.segments.get(*k).map(membership_view)
        })
        .collect();
    // Segments that use a changed segment change too.
    loop {
        let more: Vec<&str> = after
            .segments
            .iter()
            .filter(|(k, _)| !changed_segments.contains(k.as_str()))
            .filter(|(_, s)| {
                segment_segments(s)
                    .iter()
                    .any(|u| changed_segments.contains(u))
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        changed_segments.extend(more);
    }
    let mut changed: BTreeSet<String> = before
        .flags
        .keys()
        .chain(after.flags.keys())
        .filter(|k| {
            let (a, b) = (before.flags.get(*k), after.flags.get(*k));
            let differs = a.map(|f| evaluation_view(f, environment))
                != b.map(|f| evaluation_view(f, environment));
            let uses_changed = b
                .and_then(|f| f.environments.get(environment))
                .is_some_and(|e| {
                    environment_segments(e)
                        .iter()
                        .any(|s| changed_segments.contains(s))
                });
            differs || uses_changed
        })
        .cloned()
        .collect();
    // Flags that require a changed flag change too, transitively.
    let dependents =
        Prerequisites::new(after).dependents_of_any(changed.iter().map(String::as_str));
    changed.extend(dependents);
    changed.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        crate::load(include_str!("../../examples/tasks-app.json"))
            .map(|l| l.document)
            .unwrap_or_default()
    }

    #[test]
    fn dependents_and_segment_users() {
        let d = doc();
        let deps = d.dependents("enhanced-task-metadata");
        assert!(deps.contains(&"daily-planning".to_string()), "{deps:?}");
        assert!(d.dependents("checkout-button-color").is_empty());
        let users = d.segment_users("beta-testers");
        assert!(!users.is_empty());
        assert!(d.segment_users("no-such-segment").is_empty());
    }

    #[test]
    fn walks_prerequisites_both_ways() {
        let mut d = Document::default();
        for (k, req) in [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec![]),
            ("x", vec![]),
        ] {
            let mut f = Flag::default();
            for r in req {
                f.prerequisites.push(crate::model::Prerequisite {
                    flag: r.into(),
                    variant: "on".into(),
                    ..Default::default()
                });
            }
            d.flags.insert(k.into(), f);
        }
        let g = d.prerequisites();
        assert_eq!(
            g.all_dependents("c").into_iter().collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            g.all_prerequisites("a").into_iter().collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(
            g.path("a", "c"),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(g.path("c", "a"), None);
        assert_eq!(
            g.dependents_of_any(["c", "x"])
                .into_iter()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            g.dependents_of_any(["b", "c"])
                .into_iter()
                .collect::<Vec<_>>(),
            ["a"],
            "keys asked about are not their own dependents"
        );
        let g = g.with("c", ["a".to_string()]);
        assert!(g.path("c", "c").is_some_and(|p| p.len() == 1));
        assert!(g.all_dependents("a").contains("c"));
        // In a cycle every member depends on every other; one walk finds them all.
        for key in ["a", "b", "c"] {
            let mut union = g.all_dependents(key);
            union.remove(key);
            assert_eq!(g.dependents_of_any([key]), union, "{key}");
        }
    }

    #[test]
    fn changes_reach_dependents_and_segment_users_only() {
        let a = doc();
        let mut b = a.clone();
        if let Some(e) = b
            .flags
            .get_mut("enhanced-task-metadata")
            .and_then(|f| f.environments.get_mut("production"))
        {
            e.enabled = Some(!e.is_enabled());
        }
        let changed = changed_flags(&a, &b, "production");
        assert!(changed.contains(&"enhanced-task-metadata".to_string()));
        assert!(
            changed.contains(&"daily-planning".to_string()),
            "{changed:?}"
        );
        assert!(changed_flags(&a, &b, "staging").is_empty());
        let mut c = a.clone();
        if let Some(f) = c.flags.get_mut("outbound_calling") {
            f.description = Some("words only".into());
            f.updated_by = Some("someone".into());
        }
        assert!(changed_flags(&a, &c, "production").is_empty());
        let mut s = a.clone();
        if let Some(seg) = s.segments.get_mut("beta-testers") {
            seg.include.push("new-member".into());
        }
        let by_segment = changed_flags(&a, &s, "production");
        let users: Vec<String> = a
            .segment_users("beta-testers")
            .into_iter()
            .filter_map(|u| match u {
                SegmentUser::Flag(k) => Some(k),
                SegmentUser::Segment(_) => None,
            })
            .filter(|k| {
                a.flags[k]
                    .environments
                    .get("production")
                    .is_some_and(|e| environment_segments(e).contains("beta-testers"))
            })
            .collect();
        assert!(!users.is_empty());
        for u in &users {
            assert!(
                by_segment.contains(u),
                "{u} uses the segment: {by_segment:?}"
            );
        }
        assert!(
            !by_segment.contains(&"checkout-button-color".to_string()),
            "{by_segment:?}"
        );
    }
}
