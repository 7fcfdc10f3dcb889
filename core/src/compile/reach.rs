//! How much of the document one flag reaches: its prerequisites, theirs, and every segment
//! their rules and those segments' rules name. Evaluation decides each of these once, in a
//! table sized for [`MAX_GRAPH`] of them (see `eval::seen`), so that even a graph with many
//! paths through few nodes costs its size. A flag that reaches more is an error here, and
//! evaluation never meets one.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::Compiler;
use crate::MAX_GRAPH;
use crate::diagnostic::Code;
use crate::pointer::Path;
use crate::snapshot::{Body, FlagEntry, SegmentEntry, Test};

#[derive(Clone, Copy)]
enum Node {
    Flag(usize),
    Segment(usize),
}

impl Compiler<'_> {
    /// Breaks every flag that reaches more than [`MAX_GRAPH`] segments and prerequisites.
    #[inline(never)]
    pub(super) fn bound_reach(&mut self, flags: &mut [FlagEntry], segments: &[SegmentEntry]) {
        let mut too_large = Vec::new();
        // Which root last counted a node, so no set is cleared between roots.
        let mut flag_seen = vec![usize::MAX; flags.len()];
        let mut segment_seen = vec![usize::MAX; segments.len()];
        for root in 0..flags.len() {
            let mut count = 0;
            let mut stack = vec![Node::Flag(root)];
            while let Some(node) = stack.pop() {
                let mut visit = |next: Node| {
                    let seen = match next {
                        Node::Flag(i) => flag_seen.get_mut(i),
                        Node::Segment(i) => segment_seen.get_mut(i),
                    };
                    if let Some(seen) = seen
                        && *seen != root
                    {
                        *seen = root;
                        count += 1;
                        stack.push(next);
                    }
                };
                let rules: Vec<&[u32]> = match node {
                    Node::Flag(i) => match flags.get(i).map(|f| &f.body) {
                        Some(Body::Live(settings)) => {
                            for p in &settings.prerequisites {
                                visit(Node::Flag(p.flag as usize));
                            }
                            settings
                                .rules
                                .iter()
                                .map(|r| r.clauses.as_slice())
                                .collect()
                        }
                        _ => Vec::new(),
                    },
                    Node::Segment(i) => segments
                        .get(i)
                        .map(|s| s.rules.iter().map(Vec::as_slice).collect())
                        .unwrap_or_default(),
                };
                for &id in rules.iter().copied().flatten() {
                    if let Some(Test::InSegment(named)) =
                        self.clauses.get(id as usize).map(|c| &c.test)
                    {
                        for &s in named {
                            visit(Node::Segment(s as usize));
                        }
                    }
                }
                if count > MAX_GRAPH {
                    too_large.push(root);
                    break;
                }
            }
        }
        let flags_at = Path::ROOT.key("flags");
        for root in too_large {
            let Some(flag) = flags.get_mut(root) else {
                continue;
            };
            let key = flag.key.clone();
            let mut why = None;
            self.fatal(
                &mut why,
                Code::GraphTooLarge,
                &flags_at.key(&key),
                format!(
                    "`{key}` reaches more than {MAX_GRAPH} segments and prerequisites (through its own and theirs); split what it checks into fewer, larger segments"
                ),
            );
            if let Some(why) = why {
                flag.body = Body::Broken(why.into());
            }
        }
    }
}
