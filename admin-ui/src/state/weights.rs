//! Rollout weights that always add up, edited as percentages.
//!
//! A rollout's weights are integers with a positive total (the core buckets into that total).
//! People type and drag whole percentages, never raw weights: a split of `1, 2` reads 33.33 % /
//! 66.67 %, and typing 50 means half. The editor keeps the total fixed while people move one
//! share: whatever it gains or loses is taken from or given to the others in proportion to
//! their size (largest remainder, so the integers still add up exactly).
//!
//! The scale (the total) is chosen when a split is first edited ([`edit_scale`]): a total that
//! is a multiple of 100 (100, 1 000, 10 000 for basis points…) already holds every whole
//! percentage exactly and is kept; any other total (`1, 2`; a split all at zero) is rescaled to
//! 100 if the split stays exact there, else to 10 000, the finest whole-percentage scale people
//! use, rounding by largest remainder. Until then an odd scale is shown as it is, and the saved
//! weights always sum to the scale.

use super::order::sort_with;

/// The total a new rollout splits.
pub const DEFAULT_TOTAL: u64 = 100;

/// The scale an odd split is rescaled to when it cannot be exact on [`DEFAULT_TOTAL`]: basis
/// points.
pub const FINE_TOTAL: u64 = 10_000;

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
    sort_with(&mut remainders, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
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

/// The total a split is edited on: its own when every whole percentage is a whole weight
/// there (a positive multiple of 100), else 100 when the split is exact on it, else 10 000.
pub fn edit_scale(weights: &[u64]) -> u64 {
    let sum = total(weights);
    if sum > 0 && sum.is_multiple_of(DEFAULT_TOTAL) {
        return sum;
    }
    let exact_on = |scale: u64| {
        weights
            .iter()
            .all(|&w| (u128::from(w) * u128::from(scale)).is_multiple_of(u128::from(sum)))
    };
    if sum == 0 || exact_on(DEFAULT_TOTAL) {
        DEFAULT_TOTAL
    } else {
        FINE_TOTAL
    }
}

/// Sets share `index` to `percent` % (at most 100), first moving the split to its
/// [`edit_scale`], and rebalances the others so the total stays that scale.
pub fn set_percent(weights: &mut [u64], index: usize, percent: u64) {
    if index >= weights.len() || weights.len() < 2 {
        return;
    }
    let scale = edit_scale(weights);
    rescale(weights, scale);
    set(weights, index, percent.min(100) * scale / 100);
}

/// Puts the weights on `scale` (evenly split when they are all zero), keeping their shares.
fn rescale(weights: &mut [u64], scale: u64) {
    if total(weights) != scale {
        let rescaled = if total(weights) == 0 {
            even(weights.len(), scale)
        } else {
            apportion(weights, scale)
        };
        weights.copy_from_slice(&rescaled);
    }
}

/// Reads a share typed as a percentage: a whole number from 0 to 100 (a trailing `%` is fine).
pub fn parse_percent(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    match number.parse::<u64>() {
        Ok(p) if p <= 100 => Ok(p),
        _ if t.is_empty() => Err("enter a whole percentage from 0 to 100".into()),
        _ => Err(format!("`{t}` is not a whole percentage from 0 to 100")),
    }
}

/// Reads a share typed as a percentage with at most two decimals (`33.33`, the precision the
/// editor shows), in hundredths of a percent (`3333`).
pub fn parse_share(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let hundredths = (digits(whole)
        && (fraction.is_empty() || (digits(fraction) && fraction.len() <= 2)))
        .then(|| {
            let f: u64 = format!("{fraction:0<2}").parse().ok()?;
            whole.parse::<u64>().ok()?.checked_mul(100)?.checked_add(f)
        })
        .flatten()
        .filter(|h| *h <= 10_000);
    match hundredths {
        Some(h) => Ok(h),
        None if t.is_empty() => Err("enter a percentage from 0 to 100".into()),
        None => Err(format!(
            "`{t}` is not a percentage from 0 to 100 (at most two decimals)"
        )),
    }
}

/// Sets share `index` to `hundredths` of a percent (at most 100 %), like [`set_percent`]; a
/// share with decimals moves the split to a scale that holds it exactly (10 000).
pub fn set_share(weights: &mut [u64], index: usize, hundredths: u64) {
    if hundredths.is_multiple_of(100) {
        set_percent(weights, index, hundredths / 100);
        return;
    }
    if index >= weights.len() || weights.len() < 2 {
        return;
    }
    let scale = edit_scale(weights);
    let scale = if scale.is_multiple_of(FINE_TOTAL) {
        scale
    } else {
        FINE_TOTAL
    };
    rescale(weights, scale);
    set(weights, index, hundredths.min(10_000) * scale / 10_000);
}

/// Reads a comma-separated list of percentages (`5, 25, 50, 100`).
pub fn parse_percents(text: &str) -> Result<Vec<u64>, String> {
    let tokens: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err("list the percentages, such as 5, 25, 50, 100".into());
    }
    tokens.into_iter().map(parse_percent).collect()
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
    format!("{} %", percent_number(weight, total))
}

/// A weight as a percentage of the total, as a number for inputs: `25`, `33.3`, `33.33`.
pub fn percent_number(weight: u64, total: u64) -> String {
    if total == 0 {
        return "0".into();
    }
    let tenths_of_bp = (u128::from(weight) * 100_000 / u128::from(total)) as u64; // 0.001 %
    if tenths_of_bp.is_multiple_of(1000) {
        format!("{}", tenths_of_bp / 1000)
    } else if tenths_of_bp.is_multiple_of(100) {
        format!("{}.{}", tenths_of_bp / 1000, (tenths_of_bp % 1000) / 100)
    } else {
        format!("{:.2}", tenths_of_bp as f64 / 1000.0)
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

    #[test]
    fn percentages_on_an_odd_scale_rescale_it() {
        // 1 : 2 reads 33.33 % / 66.67 %; 50 % of a is half, on basis points.
        let mut w = vec![1, 2];
        assert_eq!(percent_number(1, 3), "33.33");
        assert_eq!(percent_number(2, 3), "66.67");
        set_percent(&mut w, 0, 50);
        assert_eq!(w, vec![5000, 5000]);
        // 0 / 0 / 5000 keeps its total (a multiple of 100): 10 % is 500.
        let mut w = vec![0, 0, 5000];
        set_percent(&mut w, 0, 10);
        assert_eq!(w, vec![500, 0, 4500]);
        assert_eq!(percent(500, 5000), "10 %");
        // 1 : 3 is exact on 100.
        let mut w = vec![1, 3];
        set_percent(&mut w, 1, 70);
        assert_eq!(w, vec![30, 70]);
        // 1 : 1 : 1 rounds the others by largest remainder.
        let mut w = vec![1, 1, 1];
        set_percent(&mut w, 2, 40);
        assert_eq!(w, vec![3000, 3000, 4000]);
        // All zero: even on 100 first.
        let mut w = vec![0, 0];
        set_percent(&mut w, 1, 30);
        assert_eq!(w, vec![70, 30]);
        // Basis points stay basis points.
        let mut w = vec![5, 9995];
        set_percent(&mut w, 1, 90);
        assert_eq!(w, vec![1000, 9000]);
        // One share cannot move.
        let mut w = vec![3];
        set_percent(&mut w, 0, 50);
        assert_eq!(w, vec![3]);
    }

    #[test]
    fn scales() {
        assert_eq!(edit_scale(&[25, 75]), 100);
        assert_eq!(edit_scale(&[0, 0, 5000]), 5000);
        assert_eq!(edit_scale(&[1, 3]), 100);
        assert_eq!(edit_scale(&[1, 7]), FINE_TOTAL, "12.5 % needs basis points");
        assert_eq!(edit_scale(&[1, 2]), FINE_TOTAL, "thirds are never exact");
        assert_eq!(edit_scale(&[0, 0]), 100);
        assert_eq!(edit_scale(&[]), 100);
    }

    #[test]
    fn typed_percentages() {
        assert_eq!(parse_percent("25"), Ok(25));
        assert_eq!(parse_percent(" 100 % "), Ok(100));
        assert_eq!(parse_percent("0"), Ok(0));
        for bad in ["33.3", "-5", "150", "abc", "1e2"] {
            assert_eq!(
                parse_percent(bad),
                Err(format!("`{bad}` is not a whole percentage from 0 to 100")),
            );
        }
        assert_eq!(
            parse_percent(" "),
            Err("enter a whole percentage from 0 to 100".into())
        );
        assert_eq!(parse_percents("5, 25,50 ,100%"), Ok(vec![5, 25, 50, 100]));
        assert_eq!(parse_share("33.33"), Ok(3333));
        assert_eq!(parse_share("33.3 %"), Ok(3330));
        assert_eq!(parse_share("100"), Ok(10_000));
        assert_eq!(parse_share("0.05"), Ok(5));
        for bad in ["33.333", "100.01", "-5", "1e2", ".5", "", "x"] {
            assert!(parse_share(bad).is_err(), "{bad}");
        }
        // 1 : 2 shows 33.33 / 66.67; typing 33.33 back keeps it, on basis points.
        let mut w = vec![1, 2];
        set_share(&mut w, 0, 3333);
        assert_eq!(w, vec![3333, 6667]);
        let mut w = vec![50, 50];
        set_share(&mut w, 0, 1250);
        assert_eq!(w, vec![1250, 8750]);
        assert_eq!(
            parse_percents("5, 150"),
            Err("`150` is not a whole percentage from 0 to 100".into())
        );
        assert!(parse_percents(" , ").is_err());
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

        #[test]
        fn a_typed_percentage_is_what_the_share_becomes(
            start in proptest::collection::vec(0u64..20_000, 2..6),
            moves in proptest::collection::vec((0usize..6, 0u64..=100), 1..10),
        ) {
            let mut w = start.clone();
            for (i, p) in moves {
                let i = i % w.len();
                set_percent(&mut w, i, p);
                let sum = total(&w);
                prop_assert!(sum > 0 && sum.is_multiple_of(100), "{w:?}");
                prop_assert_eq!(u128::from(w[i]) * 100, u128::from(p) * u128::from(sum));
                prop_assert_eq!(percent_number(w[i], sum), p.to_string());
            }
        }
    }
}
