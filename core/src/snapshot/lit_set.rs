//! The sets targets and `in` clauses test membership in: most lookups are misses, and a miss
//! must cost a few integer compares, even in a list of thousands of ids.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::hash::{Text, hash_str};

/// A literal in an `in` clause or a target list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
}

/// A set of literals. Strings are kept sorted by hash, hashes in their own dense array: a lookup
/// starts at the position the (uniform) hash predicts, compares integers in one or two cache
/// lines, and reads string bytes only on a hit. Target lists run to thousands of ids, so the
/// strings share one allocation (`text`, cut at `ends`) rather than one each: a snapshot
/// decodes (and is freed) in a fraction of the allocations.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LitSet {
    /// Two bits per member (sets of up to `FILTERED` members): most lookups are misses, and
    /// this answers nearly all of them with one predictable test instead of a search.
    pub(crate) filter: [u64; 4],
    pub(crate) hashes: Vec<u64>,
    /// The strings one after another, in set order; string `i` ends at byte `ends[i]`.
    pub(crate) text: Box<str>,
    pub(crate) ends: Vec<u32>,
    pub(crate) nums: Vec<f64>,
    pub(crate) bools: [bool; 2],
}

/// Sets larger than this skip the filter (it would be mostly ones).
const FILTERED: usize = 96;

/// The two filter bits of a hash, from bits the sorted order does not use first.
#[inline]
fn filter_bits(h: u64) -> [usize; 2] {
    [(h & 0xff) as usize, ((h >> 8) & 0xff) as usize]
}

impl LitSet {
    pub(crate) fn from_lits(lits: impl IntoIterator<Item = Lit>) -> Self {
        let mut set = LitSet::default();
        let mut strs: Vec<(u64, Box<str>)> = Vec::new();
        for lit in lits {
            match lit {
                Lit::Str(s) => strs.push((hash_str(&s), s)),
                Lit::Num(n) => set.nums.push(n),
                Lit::Bool(b) => {
                    if let Some(slot) = set.bools.get_mut(usize::from(b)) {
                        *slot = true;
                    }
                }
            }
        }
        strs.sort_unstable();
        strs.dedup();
        let mut text = alloc::string::String::new();
        for (h, s) in &strs {
            text.push_str(s);
            set.hashes.push(*h);
            set.ends.push(text.len() as u32);
        }
        set.text = text.into_boxed_str();
        set.filter = set.build_filter();
        set
    }

    /// The number of strings in the set.
    pub(crate) fn str_count(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th string, in set order.
    #[inline]
    pub(crate) fn str_at(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }

    #[inline]
    fn may_contain(&self, h: u64) -> bool {
        filter_bits(h).iter().all(|&bit| {
            self.filter
                .get(bit >> 6)
                .is_some_and(|word| word & (1 << (bit & 63)) != 0)
        })
    }

    /// A set from strings already in set order (sorted by hash, then text; no duplicates), as
    /// the binary format stores them, given as `text` cut at `ends`: no sorting at decode
    /// time. `None` if out of order, or if a cut is not at a character boundary. `hashes` is
    /// any vector to fill (its contents are dropped), so a decoder can lend one it is done with.
    pub(crate) fn from_sorted(
        text: Box<str>,
        ends: Vec<u32>,
        mut hashes: Vec<u64>,
        nums: Vec<f64>,
        bools: [bool; 2],
    ) -> Option<Self> {
        hashes.clear();
        let mut start = 0;
        let mut last: Option<(u64, &str)> = None;
        for &end in &ends {
            let s = text.get(start..end as usize)?;
            start = end as usize;
            let h = hash_str(s);
            if last.is_some_and(|before| before >= (h, s)) {
                return None;
            }
            last = Some((h, s));
            hashes.push(h);
        }
        if start != text.len() {
            return None;
        }
        let mut set = LitSet {
            filter: [u64::MAX; 4],
            hashes,
            text,
            ends,
            nums,
            bools,
        };
        set.filter = set.build_filter();
        Some(set)
    }

    fn build_filter(&self) -> [u64; 4] {
        if self.hashes.len() > FILTERED {
            return [u64::MAX; 4];
        }
        let mut filter = [0u64; 4];
        for &h in &self.hashes {
            for bit in filter_bits(h) {
                if let Some(word) = filter.get_mut(bit >> 6) {
                    *word |= 1 << (bit & 63);
                }
            }
        }
        filter
    }

    /// The first position whose hash is not below `h`.
    fn lower_bound(&self, h: u64) -> usize {
        let hashes = &self.hashes;
        let n = hashes.len();
        if n <= 8 {
            return hashes.iter().take_while(|&&x| x < h).count();
        }
        // Interpolate, then gallop towards the answer and finish with a binary search.
        let guess = ((u128::from(h) * n as u128) >> 64) as usize;
        let below = |i: usize| hashes.get(i).is_some_and(|&x| x < h);
        let (mut lo, mut hi) = if below(guess) {
            let mut step = 1;
            let mut lo = guess + 1;
            while lo + step <= n && below(lo + step - 1) {
                lo += step;
                step *= 2;
            }
            (lo, (lo + step).min(n))
        } else {
            let mut step = 1;
            let mut hi = guess;
            while hi >= step && !below(hi - step) {
                hi -= step;
                step *= 2;
            }
            (hi.saturating_sub(step), hi)
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[inline]
    pub(crate) fn contains_str(&self, s: &Text) -> bool {
        self.may_contain(s.hash()) && self.search(s)
    }

    #[inline(never)]
    fn search(&self, s: &Text) -> bool {
        let h = s.hash();
        let mut i = self.lower_bound(h);
        while self.hashes.get(i) == Some(&h) {
            if self.str_at(i) == Some(s.as_str()) {
                return true;
            }
            i += 1;
        }
        false
    }

    #[inline]
    pub(crate) fn contains_num(&self, n: f64) -> bool {
        self.nums.contains(&n)
    }

    pub(crate) fn contains_bool(&self, b: bool) -> bool {
        self.bools.get(usize::from(b)).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn lit_set_lookup_agrees_with_a_scan() {
        for n in [0usize, 1, 2, 7, 8, 9, 20, 100, 1000, 5000] {
            let members: Vec<alloc::string::String> = (0..n).map(|i| format!("user-{i}")).collect();
            let set = LitSet::from_lits(members.iter().map(|m| Lit::Str(m.as_str().into())));
            assert!(set.hashes.windows(2).all(|w| w[0] <= w[1]));
            for probe in 0..(n + 50) {
                let text = Text::new(&format!("user-{probe}"));
                assert_eq!(set.contains_str(&text), probe < n, "n={n} probe={probe}");
                let h = text.hash();
                let naive = set.hashes.iter().take_while(|&&x| x < h).count();
                assert_eq!(set.lower_bound(h), naive, "n={n} probe={probe}");
            }
            for h in [0u64, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
                let naive = set.hashes.iter().take_while(|&&x| x < h).count();
                assert_eq!(set.lower_bound(h), naive, "n={n} h={h}");
            }
        }
    }
}
