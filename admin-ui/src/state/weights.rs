//! Rollout weights that always add up.
//!
//! A rollout's weights are integers with a positive total (the core buckets into that total).
//! The editor keeps the total fixed while people move one weight: whatever that weight gains or
//! loses is taken from or given to the others in proportion to their size (largest remainder,
//! so the integers still add up exactly). A new rollout uses a total of 100, so weights read as
//! percentages; an imported one keeps its own total (10 000 for basis points, say).

/// The total a new rollout splits.
pub const DEFAULT_TOTAL: u64 = 100;

pub fn total(weights: &[u64]) -> u64 {
    weights.iter().sum()
}

/// `n` weights splitting `total` as evenly as integers can (earlier ones get the remainder).
pub fn even(n: usize, total: u64) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as u64;
    (0..n64)
        .map(|i| total / n64 + u64::from(i < total % n64))
        .collect()
}

/// Splits `amount` over `shares` in proportion to them (all zero: over the first entry).
fn apportion(shares: &[u64], amount: u64) -> Vec<u64> {
    let sum: u128 = shares.iter().map(|&s| u128::from(s)).sum();
    if shares.is_empty() {
        return Vec::new();
    }
    if sum == 0 {
        let mut out = vec![0; shares.len()];
        if let Some(first) = out.first_mut() {
            *first = amount;
        }
        return out;
    }
    let amount = u128::from(amount);
    let mut out: Vec<u64> = Vec::with_capacity(shares.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(shares.len());
    for (i, &s) in shares.iter().enumerate() {
        let exact = u128::from(s) * amount;
        out.push((exact / sum) as u64);
        remainders.push((exact % sum, i));
    }
    let given: u128 = out.iter().map(|&v| u128::from(v)).sum();
    let mut left = amount - given;
    // Largest remainder first; ties go to the earlier entry.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        if let Some(v) = out.get_mut(i) {
            *v += 1;
            left -= 1;
        }
    }
    out
}

/// Sets weight `index` to `value` (at most the total) and rebalances the others so the total
/// stays the same. With one weight nothing can move. An all-zero list gets [`DEFAULT_TOTAL`].
pub fn set(weights: &mut [u64], index: usize, value: u64) {
    let n = weights.len();
    if index >= n || n < 2 {
        return;
    }
    let mut sum = total(weights);
    if sum == 0 {
        sum = DEFAULT_TOTAL;
    }
    let value = value.min(sum);
    let others: Vec<usize> = (1..n).map(|k| (index + k) % n).collect();
    let shares: Vec<u64> = others
        .iter()
        .map(|&i| weights.get(i).copied().unwrap_or(0))
        .collect();
    let given = apportion(&shares, sum - value);
    for (&i, w) in others.iter().zip(given) {
        if let Some(slot) = weights.get_mut(i) {
            *slot = w;
        }
    }
    if let Some(slot) = weights.get_mut(index) {
        *slot = value;
    }
}

/// Removes weight `index`, giving its share to the others in proportion.
pub fn remove(weights: &mut Vec<u64>, index: usize) {
    if index >= weights.len() {
        return;
    }
    let freed = weights.remove(index);
    let given = apportion(weights, freed);
    for (w, g) in weights.iter_mut().zip(given) {
        *w += g;
    }
}

/// A weight as a percentage of the total, for labels: `25 %`, `33.3 %`, `0.05 %`.
pub fn percent(weight: u64, total: u64) -> String {
    if total == 0 {
        return "0 %".into();
    }
    let tenths_of_bp = (u128::from(weight) * 100_000 / u128::from(total)) as u64; // 0.001 %
    if tenths_of_bp.is_multiple_of(1000) {
        format!("{} %", tenths_of_bp / 1000)
    } else if tenths_of_bp.is_multiple_of(100) {
        format!("{}.{} %", tenths_of_bp / 1000, (tenths_of_bp % 1000) / 100)
    } else {
        format!("{:.2} %", tenths_of_bp as f64 / 1000.0)
    }
}

/// Where each segment of the split bar starts and how wide it is, in percent of the bar.
pub fn bar(weights: &[u64]) -> Vec<(f64, f64)> {
    let sum = total(weights);
    if sum == 0 {
        return weights.iter().map(|_| (0.0, 0.0)).collect();
    }
    let mut start = 0.0;
    weights
        .iter()
        .map(|&w| {
            let width = w as f64 * 100.0 / sum as f64;
            let seg = (start, width);
            start += width;
            seg
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_weights_mirror_each_other() {
        let mut w = vec![50, 50];
        set(&mut w, 0, 25);
        assert_eq!(w, vec![25, 75]);
        set(&mut w, 1, 120);
        assert_eq!(w, vec![0, 100], "clamped to the total");
    }

    #[test]
    fn others_move_in_proportion() {
        let mut w = vec![20, 40, 40];
        set(&mut w, 0, 60);
        assert_eq!(w, vec![60, 20, 20]);
        let mut w = vec![10, 0, 0];
        set(&mut w, 0, 4);
        assert_eq!(w, vec![4, 6, 0], "all others zero: the next one takes it");
        let mut w = vec![1, 1, 1];
        set(&mut w, 2, 0);
        assert_eq!(total(&w), 3);
    }

    #[test]
    fn a_basis_point_total_is_kept() {
        let mut w = vec![5000, 5000];
        set(&mut w, 1, 2500);
        assert_eq!(w, vec![7500, 2500]);
        assert_eq!(percent(2500, 10_000), "25 %");
        assert_eq!(percent(1, 3), "33.33 %");
        assert_eq!(percent(5, 10_000), "0.05 %");
        assert_eq!(percent(1, 8), "12.5 %");
    }

    #[test]
    fn removing_gives_the_share_away() {
        let mut w = vec![25, 25, 50];
        remove(&mut w, 2);
        assert_eq!(w, vec![50, 50]);
        let mut w = vec![100];
        remove(&mut w, 0);
        assert!(w.is_empty());
    }

    #[test]
    fn even_splits() {
        assert_eq!(even(3, 100), vec![34, 33, 33]);
        assert_eq!(even(0, 100), Vec::<u64>::new());
        assert_eq!(bar(&[25, 75]), vec![(0.0, 25.0), (25.0, 75.0)]);
    }

    proptest! {
        #[test]
        fn the_total_never_changes(
            start in proptest::collection::vec(0u64..1000, 2..6),
            moves in proptest::collection::vec((0usize..6, 0u64..2000), 1..20),
        ) {
            let mut w = start.clone();
            let before = if total(&w) == 0 { DEFAULT_TOTAL } else { total(&w) };
            for (i, v) in moves {
                let i = i % w.len();
                set(&mut w, i, v);
                prop_assert_eq!(total(&w), before);
                prop_assert_eq!(w[i], v.min(before));
            }
        }
    }
}
