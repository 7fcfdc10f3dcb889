//! Substring search over bytes, for the `contains` operator.
//!
//! `str::contains` would do, but its searcher handles an empty needle by slicing the haystack
//! at char boundaries, and a slice that can panic links the panic message's formatting (Debug
//! for `str`, Unicode printability tables) into every build: about 4 KB of the browser's
//! gzipped wasm. UTF-8 is self-synchronising, so a byte match of valid UTF-8 in valid UTF-8 is
//! a match of the text.
//!
//! The haystack comes from callers (a context), the needle from the flag document. The plain
//! scan is fastest for what contexts hold; it stops after a linear budget of byte comparisons
//! and hands over to Knuth–Morris–Pratt, so no haystack can make a search quadratic.

use alloc::vec::Vec;

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return false;
    }
    let mut budget = 4 * (h.len() + n.len());
    for start in 0..=h.len() - n.len() {
        let mut i = 0;
        while i < n.len() && h.get(start + i) == n.get(i) {
            i += 1;
        }
        if i == n.len() {
            return true;
        }
        budget = match budget.checked_sub(i + 1) {
            Some(left) => left,
            None => return kmp(h, n),
        };
    }
    false
}

/// Knuth–Morris–Pratt: at most `2 × haystack` comparisons after `2 × needle` for the table.
fn kmp(h: &[u8], n: &[u8]) -> bool {
    // `border[i]`: the length of the longest proper border of `n[..=i]`.
    let mut border: Vec<usize> = Vec::with_capacity(n.len());
    border.push(0);
    let mut k = 0;
    for &b in n.iter().skip(1) {
        while k > 0 && n.get(k) != Some(&b) {
            k = border.get(k - 1).copied().unwrap_or(0);
        }
        if n.get(k) == Some(&b) {
            k += 1;
        }
        border.push(k);
    }
    let mut matched = 0;
    for &b in h {
        while matched > 0 && n.get(matched) != Some(&b) {
            matched = border.get(matched - 1).copied().unwrap_or(0);
        }
        if n.get(matched) == Some(&b) {
            matched += 1;
        }
        if matched == n.len() {
            return true;
        }
    }
    n.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;

    /// Every pair of strings over a small alphabet up to a length, against `str::contains`,
    /// through both the scan and KMP.
    #[test]
    fn agrees_with_str_contains() {
        let alphabet = ["a", "b", "é"];
        let mut words = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = words
                .iter()
                .filter(|w| w.chars().count() == words.last().map_or(0, |l| l.chars().count()))
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        for h in &words {
            for n in words.iter().filter(|n| n.len() <= 4) {
                assert_eq!(contains(h, n), h.contains(n.as_str()), "{h:?} ∋ {n:?}");
                assert_eq!(kmp(h.as_bytes(), n.as_bytes()), h.contains(n.as_str()));
            }
        }
    }

    #[test]
    fn answers_past_the_scan_budget() {
        // The scan's worst case (every position matches all but the needle's last byte), so
        // the answer comes from KMP.
        let h = "a".repeat(200_000);
        let n = format!("{}b", "a".repeat(2_000));
        assert!(!contains(&h, &n));
        assert!(contains(&format!("{h}b"), &n));
    }
}
