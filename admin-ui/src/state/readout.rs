//! An experiment's readout (`GET /api/v1/metrics/readout`) as the table shows it: rates as
//! percentages, the difference to the control in percentage points with its 95 % interval,
//! and the verdict in words. The arithmetic is burgee-metrics' (`readout`); only the words are
//! the app's.

use burgee_metrics::readout::{ArmReadout, MIN_EXPOSURES, MIN_OUTCOMES, Readout, Verdict};

use super::chart::thousands;

/// What the page says instead of comparing when some arm is below the minimum.
pub fn too_small_note() -> String {
    format!(
        "Too few users to compare yet: need {MIN_EXPOSURES} exposures and {MIN_OUTCOMES} conversions per variant."
    )
}

/// `0.1234` → `12.3 %`.
pub fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

/// A difference of rates in percentage points, signed: `0.03` → `+3.0 pp`, `-0.001` →
/// `−0.1 pp` (a true minus sign).
pub fn points(diff: f64) -> String {
    let pp = diff * 100.0;
    // What rounds to zero is shown without a sign.
    if pp.abs() < 0.05 {
        return "0.0 pp".into();
    }
    let sign = if pp > 0.0 { "+" } else { "\u{2212}" };
    format!("{sign}{:.1} pp", pp.abs())
}

pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Better => "better than the control",
        Verdict::Worse => "worse than the control",
        Verdict::Inconclusive => "no clear difference",
        Verdict::TooSmall => "too few users to compare",
    }
}

/// One row of the table, every cell as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub variant: String,
    pub is_control: bool,
    pub exposures: String,
    pub conversions: String,
    pub rate: String,
    /// `+3.0 pp`, or `control` / `—`.
    pub difference: String,
    /// `−0.1 pp to +6.1 pp`, or `—`.
    pub interval: String,
    pub verdict: String,
}

impl Row {
    pub fn new(arm: &ArmReadout) -> Row {
        let none = || "\u{2014}".to_string();
        let (difference, interval) = match &arm.difference {
            Some(d) => (
                points(d.estimate),
                format!("{} to {}", points(d.low), points(d.high)),
            ),
            None if arm.is_control => ("control".into(), none()),
            None => (none(), none()),
        };
        Row {
            variant: arm.variant.clone(),
            is_control: arm.is_control,
            exposures: thousands(arm.exposures),
            conversions: thousands(arm.conversions),
            rate: percent(arm.rate),
            difference,
            interval,
            verdict: match arm.verdict {
                Some(v) => verdict_text(v).into(),
                None if arm.is_control => "control".into(),
                None => none(),
            },
        }
    }
}

pub fn rows(readout: &Readout) -> Vec<Row> {
    readout.arms.iter().map(Row::new).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use burgee_metrics::readout::{Arm, readout};

    fn arm(variant: &str, exposures: u64, conversions: u64) -> Arm {
        Arm {
            variant: variant.into(),
            exposures,
            conversions,
        }
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(percent(0.1234), "12.3 %");
        assert_eq!(percent(0.0), "0.0 %");
        assert_eq!(points(0.03), "+3.0 pp");
        assert_eq!(points(-0.0012), "\u{2212}0.1 pp");
        assert_eq!(points(0.0001), "0.0 pp");
        assert_eq!(
            too_small_note(),
            "Too few users to compare yet: need 100 exposures and 10 conversions per variant."
        );
    }

    #[test]
    fn a_compared_readout() {
        // 100 of 1,000 against 130 of 1,000: +3 points, interval 0.2 to 5.8.
        let r = readout(&[arm("off", 1000, 100), arm("on", 1000, 130)], Some("off"));
        let rows = rows(&r);
        assert_eq!(
            rows[0],
            Row {
                variant: "off".into(),
                is_control: true,
                exposures: "1,000".into(),
                conversions: "100".into(),
                rate: "10.0 %".into(),
                difference: "control".into(),
                interval: "\u{2014}".into(),
                verdict: "control".into(),
            }
        );
        assert_eq!(rows[1].rate, "13.0 %");
        assert_eq!(rows[1].difference, "+3.0 pp");
        assert_eq!(rows[1].interval, "+0.2 pp to +5.8 pp");
        assert_eq!(rows[1].verdict, "better than the control");
    }

    #[test]
    fn a_readout_too_small_to_compare() {
        let r = readout(&[arm("off", 40, 3), arm("on", 35, 9)], Some("off"));
        assert!(r.too_small);
        let rows = rows(&r);
        assert_eq!(rows[1].difference, "\u{2014}");
        assert_eq!(rows[1].verdict, "too few users to compare");
        assert_eq!(rows[1].rate, "25.7 %");
    }
}
