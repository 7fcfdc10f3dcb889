//! Prerequisites and nested segments form graphs; a cycle in either would make evaluation loop,
//! and a chain deeper than `MAX_DEPTH` would stop it short. Both are found here, once per
//! compilation, so evaluation can trust every chain it follows to end.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::{Compiler, list};
use crate::MAX_DEPTH;
use crate::diagnostic::Code;
use crate::pointer::Path;

/// Strongly connected components (Tarjan, iterative so that long chains cannot overflow a
/// wasm stack). Components come out in reverse topological order: every component is emitted
/// after all the components it reaches.
pub(super) fn components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index.get(root).copied() != Some(usize::MAX) {
            continue;
        }
        // (node, position in its edge list)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0
                && let (Some(i), Some(l), Some(s)) =
                    (index.get_mut(v), low.get_mut(v), on_stack.get_mut(v))
                && *i == usize::MAX
            {
                *i = next;
                *l = next;
                *s = true;
                next += 1;
                stack.push(v);
            }
            let out_edges = edges.get(v).map_or(&[][..], Vec::as_slice);
            if let Some(&w) = out_edges.get(*pos) {
                *pos += 1;
                let w_index = index.get(w).copied().unwrap_or(0);
                if w_index == usize::MAX {
                    work.push((w, 0));
                } else if on_stack.get(w).copied().unwrap_or(false) {
                    let lw = low.get(v).copied().unwrap_or(0).min(w_index);
                    if let Some(l) = low.get_mut(v) {
                        *l = lw;
                    }
                }
                continue;
            }
            work.pop();
            let lv = low.get(v).copied().unwrap_or(0);
            if let Some(&(parent, _)) = work.last() {
                let lp = low.get(parent).copied().unwrap_or(0).min(lv);
                if let Some(l) = low.get_mut(parent) {
                    *l = lp;
                }
            }
            if Some(lv) == index.get(v).copied() {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    if let Some(s) = on_stack.get_mut(w) {
                        *s = false;
                    }
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// For each node: `None` when it sits on a cycle, else the length of the longest chain of
/// edges from it (ignoring edges into cycles).
pub(super) fn heights(edges: &[Vec<usize>]) -> (Vec<bool>, Vec<usize>) {
    let n = edges.len();
    let mut cyclic = vec![false; n];
    let mut height = vec![0usize; n];
    for component in components(edges) {
        let is_cycle = component.len() > 1
            || component
                .first()
                .is_some_and(|&v| edges.get(v).is_some_and(|e| e.contains(&v)));
        for &v in &component {
            if is_cycle {
                if let Some(c) = cyclic.get_mut(v) {
                    *c = true;
                }
                continue;
            }
            let h = edges
                .get(v)
                .map(|e| {
                    e.iter()
                        .filter(|&&w| !cyclic.get(w).copied().unwrap_or(true))
                        .map(|&w| height.get(w).copied().unwrap_or(0) + 1)
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            if let Some(slot) = height.get_mut(v) {
                *slot = h;
            }
        }
    }
    (cyclic, height)
}

impl<'d> Compiler<'d> {
    /// Cycles and depth of prerequisite chains: flag index → why it is broken.
    #[inline(never)]
    pub(super) fn prerequisite_graph(&mut self) -> BTreeMap<usize, String> {
        let doc = self.doc;
        let keys = self.flag_keys.clone();
        let position = |k: &str| keys.binary_search(&k).ok();
        let edges: Vec<Vec<usize>> = keys
            .iter()
            .map(|k| {
                doc.flags.get(*k).map_or_else(Vec::new, |f| {
                    f.prerequisites
                        .iter()
                        .filter_map(|p| position(&p.flag))
                        .collect()
                })
            })
            .collect();
        let (cyclic, height) = heights(&edges);
        let components = components(&edges);
        let component_of = |v: usize| components.iter().position(|c| c.contains(&v));
        let mut broken = BTreeMap::new();
        let root = Path::ROOT;
        let flags_at = root.key("flags");
        for (i, key) in keys.iter().enumerate() {
            let Some(flag) = doc.flags.get(*key) else {
                continue;
            };
            let at = flags_at.key(key);
            let prerequisites_at = at.key("prerequisites");
            let mut why = None;
            if cyclic.get(i).copied().unwrap_or(false) {
                let mine = component_of(i);
                let mut members: Vec<&str> = mine
                    .and_then(|c| components.get(c))
                    .map(|c| c.iter().filter_map(|&v| keys.get(v).copied()).collect())
                    .unwrap_or_default();
                members.sort_unstable();
                for (j, p) in flag.prerequisites.iter().enumerate() {
                    let Some(target) = position(&p.flag) else {
                        continue;
                    };
                    if component_of(target) == mine {
                        self.fatal(
                            &mut why,
                            Code::PrerequisiteCycle,
                            &prerequisites_at.index(j),
                            format!(
                                "prerequisite `{}` leads back to `{key}`: the flags {} require each other in a cycle",
                                p.flag,
                                list(members.iter())
                            ),
                        );
                    }
                }
            } else if height.get(i).copied().unwrap_or(0) > MAX_DEPTH {
                self.fatal(
                    &mut why,
                    Code::PrerequisiteTooDeep,
                    &prerequisites_at,
                    format!(
                        "prerequisites of `{key}` chain {} flags deep; at most {MAX_DEPTH} are evaluated",
                        height.get(i).copied().unwrap_or(0)
                    ),
                );
            }
            if let Some(why) = why {
                broken.insert(i, why);
            }
        }
        broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_and_heights() {
        // 0 → 1 → 2, 3 ⇄ 4, 5 → 5, 6 → 3
        let edges = vec![vec![1], vec![2], vec![], vec![4], vec![3], vec![5], vec![3]];
        let (cyclic, height) = heights(&edges);
        assert_eq!(cyclic, vec![false, false, false, true, true, true, false]);
        assert_eq!(height[0], 2);
        assert_eq!(height[1], 1);
        assert_eq!(height[2], 0);
        assert_eq!(height[6], 0);
    }
}
