//! Prerequisites as a graph: who requires whom.
//!
//! The picker offers only flags that keep the graph acyclic: a flag may not require itself or
//! any flag that already (transitively) requires it. It also shows, on a flag that others
//! require, who those dependents are, since switching it off switches them off too.

use std::collections::{BTreeMap, BTreeSet};

use burgee_core::model::Document;

/// Edges `flag → the flags it requires`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    requires: BTreeMap<String, Vec<String>>,
}

/// Whether a flag may be added as a prerequisite, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eligibility {
    Allowed,
    Itself,
    /// It requires this flag (perhaps through others): adding it would make a cycle. The path
    /// from the candidate back to this flag.
    Cycle(Vec<String>),
    AlreadyRequired,
    /// A client-side flag may only require client-side flags.
    ServerOnly,
}

impl Eligibility {
    pub fn reason(&self) -> Option<String> {
        match self {
            Eligibility::Allowed => None,
            Eligibility::Itself => Some("this flag".into()),
            Eligibility::Cycle(path) => Some(format!("would make a cycle: {}", path.join(" → "))),
            Eligibility::AlreadyRequired => Some("already a prerequisite".into()),
            Eligibility::ServerOnly => {
                Some("server-only: a client-side flag may only require client-side flags".into())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub eligibility: Eligibility,
}

impl Graph {
    pub fn new(document: &Document) -> Graph {
        // Inserted one by one, not `collect`ed: a map built from an iterator sorts it first,
        // with a sort compiled for this element type (see `state::order`).
        let mut requires = BTreeMap::new();
        for (key, flag) in &document.flags {
            let mut to: Vec<String> = flag.prerequisites.iter().map(|p| p.flag.clone()).collect();
            to.dedup();
            requires.insert(key.clone(), to);
        }
        Graph { requires }
    }

    /// The graph with one flag's prerequisites replaced (the editor's draft).
    pub fn with(mut self, key: &str, prerequisites: impl IntoIterator<Item = String>) -> Graph {
        self.requires
            .insert(key.to_string(), prerequisites.into_iter().collect());
        self
    }

    /// The flags that list `key` as a prerequisite, by key.
    pub fn dependents(&self, key: &str) -> Vec<String> {
        self.requires
            .iter()
            .filter(|(_, to)| to.iter().any(|t| t == key))
            .map(|(from, _)| from.clone())
            .collect()
    }

    /// Every flag that requires `key`, directly or through others.
    pub fn all_dependents(&self, key: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut work = vec![key.to_string()];
        while let Some(k) = work.pop() {
            for d in self.dependents(&k) {
                if d != key && seen.insert(d.clone()) {
                    work.push(d);
                }
            }
        }
        seen
    }

    /// Every flag `key` requires, directly or through others.
    pub fn all_prerequisites(&self, key: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut work = vec![key.to_string()];
        while let Some(k) = work.pop() {
            for p in self.requires.get(&k).into_iter().flatten() {
                if p != key && seen.insert(p.clone()) {
                    work.push(p.clone());
                }
            }
        }
        seen
    }

    /// A chain of prerequisites from `from` to `to` (both included), if there is one.
    fn path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from.to_string()]);
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
            for p in self.requires.get(&k).into_iter().flatten() {
                if seen.insert(p.clone()) {
                    previous.insert(p.clone(), k.clone());
                    queue.push_back(p.clone());
                }
            }
        }
        None
    }

    /// Could `key` (client-side or not) require `candidate`?
    pub fn eligibility(
        &self,
        document: &Document,
        key: &str,
        client_side: bool,
        candidate: &str,
    ) -> Eligibility {
        if candidate == key {
            return Eligibility::Itself;
        }
        if self
            .requires
            .get(key)
            .is_some_and(|to| to.iter().any(|t| t == candidate))
        {
            return Eligibility::AlreadyRequired;
        }
        if let Some(path) = self.path(candidate, key) {
            return Eligibility::Cycle(path);
        }
        let candidate_client_side = document
            .flags
            .get(candidate)
            .is_some_and(|f| f.is_client_side());
        if client_side && !candidate_client_side {
            return Eligibility::ServerOnly;
        }
        Eligibility::Allowed
    }

    /// Every other flag of the document, with whether `key` may require it.
    pub fn candidates(&self, document: &Document, key: &str, client_side: bool) -> Vec<Candidate> {
        document
            .flags
            .keys()
            .filter(|k| k.as_str() != key)
            .map(|k| Candidate {
                key: k.clone(),
                eligibility: self.eligibility(document, key, client_side, k),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        // c requires b, b requires a; d stands alone and is client-side.
        let text = r#"{"environments":["p"],"flags":{
            "a":{"kind":"boolean","variants":{"on":true}},
            "b":{"kind":"boolean","variants":{"on":true},"prerequisites":[{"flag":"a","variant":"on"}]},
            "c":{"kind":"boolean","variants":{"on":true},"prerequisites":[{"flag":"b","variant":"on"}]},
            "d":{"kind":"boolean","clientSide":true,"variants":{"on":true}}
        }}"#;
        burgee_core::load(text).unwrap().document
    }

    #[test]
    fn dependents_direct_and_transitive() {
        let d = doc();
        let g = Graph::new(&d);
        assert_eq!(g.dependents("a"), vec!["b".to_string()]);
        assert_eq!(
            g.all_dependents("a").into_iter().collect::<Vec<_>>(),
            vec!["b", "c"]
        );
        assert_eq!(
            g.all_prerequisites("c").into_iter().collect::<Vec<_>>(),
            vec!["a", "b"]
        );
    }

    #[test]
    fn the_picker_cannot_make_a_cycle() {
        let d = doc();
        let g = Graph::new(&d);
        assert_eq!(
            g.eligibility(&d, "a", false, "c"),
            Eligibility::Cycle(vec!["c".into(), "b".into(), "a".into()])
        );
        assert_eq!(g.eligibility(&d, "a", false, "a"), Eligibility::Itself);
        assert_eq!(
            g.eligibility(&d, "c", false, "b"),
            Eligibility::AlreadyRequired
        );
        assert_eq!(g.eligibility(&d, "c", false, "a"), Eligibility::Allowed);
        assert_eq!(g.eligibility(&d, "d", true, "a"), Eligibility::ServerOnly);
        assert_eq!(g.eligibility(&d, "a", false, "d"), Eligibility::Allowed);
        let allowed: Vec<String> = g
            .candidates(&d, "a", false)
            .into_iter()
            .filter(|c| c.eligibility == Eligibility::Allowed)
            .map(|c| c.key)
            .collect();
        assert_eq!(allowed, vec!["d".to_string()]);
    }

    #[test]
    fn the_draft_replaces_the_saved_edges() {
        let d = doc();
        // In the draft, b no longer requires a: now a may require c.
        let g = Graph::new(&d).with("b", Vec::new());
        assert_eq!(g.eligibility(&d, "a", false, "c"), Eligibility::Allowed);
        assert!(
            Eligibility::Cycle(vec!["c".into(), "a".into()])
                .reason()
                .unwrap()
                .contains("c → a")
        );
    }
}
