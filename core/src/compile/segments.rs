//! Segments compile before flags, because flags' `inSegment` clauses refer to them by index.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Compiler;
use super::graph::{components, heights};
use crate::MAX_DEPTH;
use crate::diagnostic::Code;
use crate::model::Op;
use crate::pointer::Path;
use crate::snapshot::{Lit, LitSet, SegmentEntry};

impl<'d> Compiler<'d> {
    #[inline(never)]
    pub(super) fn segments(&mut self) -> Vec<SegmentEntry> {
        let doc = self.doc;
        let keys = self.segment_keys.clone();
        let position = |k: &str| keys.binary_search(&k).ok();
        // Segment → segments its rules refer to, with where each reference sits.
        let mut references: Vec<Vec<(usize, usize, usize)>> = Vec::with_capacity(keys.len());
        for key in &keys {
            let mut refs = Vec::new();
            if let Some(segment) = doc.segments.get(*key) {
                for (r, rule) in segment.rules.iter().enumerate() {
                    for (c, clause) in rule.clauses.iter().enumerate() {
                        if clause.op == Op::InSegment {
                            for v in &clause.values {
                                if let Some(target) = v.as_str().and_then(position) {
                                    refs.push((target, r, c));
                                }
                            }
                        }
                    }
                }
            }
            references.push(refs);
        }
        let edges: Vec<Vec<usize>> = references
            .iter()
            .map(|refs| refs.iter().map(|&(t, _, _)| t).collect())
            .collect();
        let (cyclic, height) = heights(&edges);
        let components = components(&edges);
        let component_of = |v: usize| components.iter().position(|c| c.contains(&v));

        let root = Path::ROOT;
        let segments_at = root.key("segments");
        let mut out = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let at = segments_at.key(key);
            let Some(segment) = doc.segments.get(*key) else {
                out.push(SegmentEntry {
                    key: (*key).into(),
                    broken: true,
                    include: LitSet::default(),
                    exclude: LitSet::default(),
                    rules: Vec::new(),
                });
                continue;
            };
            let mut broken = None;
            self.check_key("segment key", key, &at);
            let rules_at = at.key("rules");
            if cyclic.get(i).copied().unwrap_or(false) {
                let mine = component_of(i);
                let refs = references.get(i).cloned().unwrap_or_default();
                let mut reported = BTreeSet::new();
                for (target, r, c) in refs {
                    if component_of(target) == mine && reported.insert((r, c)) {
                        let rule_at = rules_at.index(r);
                        let clauses_at = rule_at.key("clauses");
                        let target_key = keys.get(target).copied().unwrap_or("");
                        self.fatal(
                            &mut broken,
                            Code::SegmentCycle,
                            &clauses_at.index(c),
                            format!(
                                "segment `{target_key}` leads back to `{key}`: segments cannot contain themselves"
                            ),
                        );
                    }
                }
            } else if height.get(i).copied().unwrap_or(0) > MAX_DEPTH {
                self.fatal(
                    &mut broken,
                    Code::SegmentCycle,
                    &rules_at,
                    format!("segments nested in `{key}` go deeper than {MAX_DEPTH} levels"),
                );
            }
            let mut rules = Vec::with_capacity(segment.rules.len());
            for (r, rule) in segment.rules.iter().enumerate() {
                let rule_at = rules_at.index(r);
                rules.push(self.clauses(&rule.clauses, &rule_at, &mut broken));
            }
            let strings =
                |ids: &[String]| LitSet::from_lits(ids.iter().map(|s| Lit::Str(s.as_str().into())));
            out.push(SegmentEntry {
                key: (*key).into(),
                broken: broken.is_some(),
                include: strings(&segment.include),
                exclude: strings(&segment.exclude),
                rules,
            });
        }
        out
    }
}
