//! Which context slots one flag's evaluation can read: its targets, rules and rollouts, the
//! segments those rules name (their include and exclude lists read the targeting key), and
//! its prerequisites, transitively. A binding that evaluates one flag for a context read just
//! for that call reads only these attributes; the others may be left missing.

use alloc::vec;
use alloc::vec::Vec;

use super::{Body, ClauseId, NOW, Serve, Snapshot, TARGETING_KEY, Test};

impl Snapshot {
    /// The slots flag `index` can read, ascending, without `$now` (not part of a context).
    /// Past the graph limits evaluation stops with an error anyway, so this walk stops there
    /// too, and says every slot (a safe answer).
    pub fn slots_read(&self, index: usize) -> Vec<u32> {
        Walk::new(self).slots(index)
    }
}

/// A bound on the entries one walk visits, far above any real document's.
const MAX_STEPS: usize = 100_000;

/// One walk per flag; its marks are stamped with the walk's number, so a manifest that walks
/// every flag reuses them without clearing (clearing per flag would cost flags² at load).
pub(super) struct Walk<'a> {
    snapshot: &'a Snapshot,
    stamp: u32,
    read: Vec<u32>,
    flags: Vec<u32>,
    segments: Vec<u32>,
    steps: usize,
}

impl<'a> Walk<'a> {
    pub(super) fn new(snapshot: &'a Snapshot) -> Walk<'a> {
        Walk {
            snapshot,
            stamp: 0,
            read: vec![0; snapshot.attributes.len()],
            flags: vec![0; snapshot.flags.len()],
            segments: vec![0; snapshot.segments.len()],
            steps: 0,
        }
    }

    /// The slots flag `index` can read ([`Snapshot::slots_read`]).
    pub(super) fn slots(&mut self, index: usize) -> Vec<u32> {
        self.stamp += 1;
        self.steps = 0;
        if !self.flag(index) {
            return (0..self.read.len() as u32).collect();
        }
        let stamp = self.stamp;
        (0..self.read.len() as u32)
            .filter(|&s| self.read.get(s as usize) == Some(&stamp))
            .collect()
    }
}

impl Walk<'_> {
    fn slot(&mut self, slot: u32) {
        if slot != NOW
            && let Some(r) = self.read.get_mut(slot as usize)
        {
            *r = self.stamp;
        }
    }

    /// False when the walk went past its bound.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS
    }

    fn serve(&mut self, serve: &Serve) {
        if let Serve::Rollout(r) = serve {
            self.slot(r.slot);
        }
    }

    fn flag(&mut self, index: usize) -> bool {
        match self.flags.get_mut(index) {
            Some(seen) if *seen != self.stamp => *seen = self.stamp,
            _ => return true,
        }
        let snapshot = self.snapshot;
        let Some(Body::Live(s)) = snapshot.flags.get(index).map(|f| &f.body) else {
            return true;
        };
        for t in &s.targets {
            self.slot(t.slot);
        }
        for rule in &s.rules {
            self.serve(&rule.serve);
            if !self.clauses(&rule.clauses) {
                return false;
            }
        }
        if let Some(serve) = &s.default {
            self.serve(serve);
        }
        for (_, serve) in &s.schedule {
            self.serve(serve);
        }
        s.prerequisites
            .iter()
            .all(|p| self.step() && self.flag(p.flag as usize))
    }

    fn clauses(&mut self, ids: &[ClauseId]) -> bool {
        let snapshot = self.snapshot;
        for &id in ids {
            if !self.step() {
                return false;
            }
            let Some(clause) = snapshot.clauses.get(id as usize) else {
                continue;
            };
            self.slot(clause.slot);
            if let Test::InSegment(segments) = &clause.test
                && !segments.iter().all(|&s| self.segment(s as usize))
            {
                return false;
            }
        }
        true
    }

    fn segment(&mut self, index: usize) -> bool {
        match self.segments.get_mut(index) {
            Some(seen) if *seen != self.stamp => *seen = self.stamp,
            _ => return true,
        }
        let snapshot = self.snapshot;
        let Some(segment) = snapshot.segments.get(index) else {
            return true;
        };
        self.slot(TARGETING_KEY);
        segment.rules.iter().all(|rule| self.clauses(rule))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::string::String;

    use crate::Attr;
    use crate::context::Context;

    /// Over the whole corpus: every flag evaluated with only the slots it reads (the others
    /// missing) answers as with the whole context, so a binding may read just those.
    #[test]
    fn a_flag_answers_the_same_from_the_slots_it_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let (mut checked, mut narrower) = (0, 0);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name: String = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name == "murmur3.json" || name == "validation.json" {
                continue;
            }
            let file: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let loaded = crate::load_value(file["document"].clone()).unwrap();
            for env in loaded.document.environments.clone() {
                let snapshot = loaded.compile(&env).snapshot;
                // One walker reused over every flag (as the manifest does) says what a
                // fresh walk says.
                let mut walk = super::Walk::new(&snapshot);
                for index in 0..snapshot.flags.len() {
                    assert_eq!(
                        walk.slots(index),
                        snapshot.slots_read(index),
                        "{name} {env}"
                    );
                }
                for case in file["cases"].as_array().unwrap() {
                    let whole = snapshot.context(&case["context"]);
                    for index in 0..snapshot.flags.len() {
                        let read = snapshot.slots_read(index);
                        if read.len() < snapshot.attributes.len() {
                            narrower += 1;
                        }
                        let slots = (0..snapshot.attributes.len() as u32)
                            .map(|s| {
                                if read.contains(&s) {
                                    whole.slot(s).clone()
                                } else {
                                    Attr::Missing
                                }
                            })
                            .collect();
                        let mut partial = Context::from_slots(&snapshot, slots);
                        partial.invalid = whole.invalid.clone();
                        for now in [0, 1_767_225_600_000, 1_900_000_000_000] {
                            assert_eq!(
                                snapshot.outcome(index, &partial, now, None),
                                snapshot.outcome(index, &whole, now, None),
                                "{name} {env} flag {index} slots {read:?}"
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(
            checked > 1000 && narrower > 100,
            "{checked} checked, {narrower} narrower"
        );
    }
}
