//! An experiment's readout: does a variant convert better than the control, and how sure is it.
//!
//! The unit is the context. An arm's exposures are the unique contexts served its variant
//! (from the sketches), its conversions the unique contexts that tracked the measuring event
//! while served it; so a rate is a share of contexts, at most 1, and each context is one
//! Bernoulli trial, which is what a two-proportion test assumes. Counting evaluations instead
//! would weigh a user who reloads ten times ten times.
//!
//! The control is the environment's `offVariant` when it is an arm, else the first variant in
//! name order (the order variants have in snapshots). Each other arm gets the difference of
//! its rate to the control's with a 95 % confidence interval from the unpooled standard error
//! (√(p₁(1−p₁)/n₁ + p₀(1−p₀)/n₀)), and the two-sided p-value of the pooled z-test. The normal
//! approximation is only fair with enough trials, so an arm with fewer than
//! [`MIN_EXPOSURES`] exposures, or fewer than [`MIN_OUTCOMES`] conversions or non-conversions,
//! makes the comparison "too small": no interval is claimed.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// The fewest exposures an arm needs before it is compared.
pub const MIN_EXPOSURES: u64 = 100;
/// The fewest conversions, and non-conversions, an arm needs (n·p ≥ 10 and n·(1−p) ≥ 10).
pub const MIN_OUTCOMES: u64 = 10;
/// The two-sided 95 % quantile of the standard normal distribution.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// One variant's numbers, the readout's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arm {
    /// The variant served.
    pub variant: String,
    /// Unique contexts served it.
    pub exposures: u64,
    /// Unique contexts served it that tracked the event.
    pub conversions: u64,
}

impl Arm {
    fn rate(&self) -> f64 {
        if self.exposures == 0 {
            0.0
        } else {
            self.conversions.min(self.exposures) as f64 / self.exposures as f64
        }
    }

    fn large_enough(&self) -> bool {
        let conversions = self.conversions.min(self.exposures);
        self.exposures >= MIN_EXPOSURES
            && conversions >= MIN_OUTCOMES
            && self.exposures - conversions >= MIN_OUTCOMES
    }
}

/// How an arm compares with the control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// This arm or the control has too few contexts to say anything.
    TooSmall,
    /// The whole interval is above zero.
    Better,
    /// The whole interval is below zero.
    Worse,
    /// The interval contains zero.
    Inconclusive,
}

/// The difference of an arm's rate to the control's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// Rate minus the control's rate (0.03 is three percentage points).
    pub estimate: f64,
    /// The 95 % confidence interval's lower end ...
    pub low: f64,
    /// ... and its upper end.
    pub high: f64,
    /// The pooled two-proportion z-test's two-sided p-value.
    pub p_value: f64,
}

/// One arm of the readout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmReadout {
    /// The variant served.
    pub variant: String,
    /// Unique contexts served it.
    pub exposures: u64,
    /// Of those, how many converted (at most the exposures).
    pub conversions: u64,
    /// Conversions / exposures (0 without exposures).
    pub rate: f64,
    /// Whether this is the control arm.
    pub is_control: bool,
    /// Absent for the control, and when the sample is too small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
    /// Absent for the control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// The readout of every arm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Readout {
    /// The control's variant (`None` without arms).
    pub control: Option<String>,
    /// Every arm, the control included, in the order given.
    pub arms: Vec<ArmReadout>,
    /// Some arm is below the minimum: say so plainly.
    pub too_small: bool,
}

/// Compares every arm with the control (`off_variant` when it is an arm, else the first arm
/// by name).
pub fn readout(arms: &[Arm], off_variant: Option<&str>) -> Readout {
    let control = off_variant
        .and_then(|off| arms.iter().find(|a| a.variant == off))
        .or_else(|| arms.iter().min_by(|a, b| a.variant.cmp(&b.variant)));
    let mut out = Vec::with_capacity(arms.len());
    for arm in arms {
        let is_control = control.is_some_and(|c| c.variant == arm.variant);
        let (difference, verdict) = match control {
            Some(c) if !is_control => {
                if arm.large_enough() && c.large_enough() {
                    let d = compare(c, arm);
                    let verdict = if d.low > 0.0 {
                        Verdict::Better
                    } else if d.high < 0.0 {
                        Verdict::Worse
                    } else {
                        Verdict::Inconclusive
                    };
                    (Some(d), Some(verdict))
                } else {
                    (None, Some(Verdict::TooSmall))
                }
            }
            _ => (None, None),
        };
        out.push(ArmReadout {
            variant: arm.variant.clone(),
            exposures: arm.exposures,
            conversions: arm.conversions.min(arm.exposures),
            rate: arm.rate(),
            is_control,
            difference,
            verdict,
        });
    }
    Readout {
        control: control.map(|c| c.variant.clone()),
        too_small: arms.is_empty() || !arms.iter().all(Arm::large_enough),
        arms: out,
    }
}

/// The difference of `arm` to `control`; both have exposures (checked by the caller).
fn compare(control: &Arm, arm: &Arm) -> Difference {
    let (n0, n1) = (control.exposures as f64, arm.exposures as f64);
    let (p0, p1) = (control.rate(), arm.rate());
    let estimate = p1 - p0;
    let se = libm::sqrt(p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0);
    let pooled = (p1 * n1 + p0 * n0) / (n1 + n0);
    let se_pooled = libm::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n0));
    let p_value = if se_pooled > 0.0 {
        libm::erfc((estimate / se_pooled).abs() / core::f64::consts::SQRT_2)
    } else {
        1.0
    };
    Difference {
        estimate,
        low: estimate - Z_95 * se,
        high: estimate + Z_95 * se,
        p_value,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::vec;

    fn arm(variant: &str, exposures: u64, conversions: u64) -> Arm {
        Arm {
            variant: variant.into(),
            exposures,
            conversions,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_better_arm_matches_the_hand_computed_interval() {
        // 10 % against 13 % of 1,000: SE = √(0.13·0.87/1000 + 0.1·0.9/1000) = 0.0142513,
        // interval 0.03 ± 1.96·SE; pooled p = 0.115, z = 2.10274, p-value 0.0354885.
        let r = readout(&[arm("off", 1000, 100), arm("on", 1000, 130)], Some("off"));
        assert_eq!(r.control.as_deref(), Some("off"));
        assert!(!r.too_small);
        let on = &r.arms[1];
        assert!(close(on.rate, 0.13));
        let d = on.difference.unwrap();
        assert!(close(d.estimate, 0.03));
        assert!(close(d.low, 0.002_067_934_439_376), "{d:?}");
        assert!(close(d.high, 0.057_932_065_560_624), "{d:?}");
        assert!((d.p_value - 0.035_488_450_466).abs() < 1e-9, "{d:?}");
        assert_eq!(on.verdict, Some(Verdict::Better));
        assert!(r.arms[0].is_control && r.arms[0].verdict.is_none());
    }

    #[test]
    fn an_interval_across_zero_is_inconclusive() {
        // 15 % against 13.5 % of 2,000: interval −0.015 ± 0.0216607, p-value 0.1747942.
        let r = readout(&[arm("a", 2000, 300), arm("b", 2000, 270)], None);
        assert_eq!(r.control.as_deref(), Some("a"));
        let d = r.arms[1].difference.unwrap();
        assert!(close(d.low, -0.036_660_705_822_122), "{d:?}");
        assert!(close(d.high, 0.006_660_705_822_122), "{d:?}");
        assert!((d.p_value - 0.174_794_201_848).abs() < 1e-9, "{d:?}");
        assert_eq!(r.arms[1].verdict, Some(Verdict::Inconclusive));
        let worse = readout(&[arm("off", 1000, 130), arm("on", 1000, 100)], Some("off"));
        assert_eq!(worse.arms[1].verdict, Some(Verdict::Worse));
    }

    #[test]
    fn small_samples_say_so_plainly() {
        for arms in [
            vec![arm("off", 99, 20), arm("on", 1000, 100)],
            vec![arm("off", 1000, 9), arm("on", 1000, 100)],
            vec![arm("off", 1000, 995), arm("on", 1000, 100)],
            vec![arm("off", 1000, 100), arm("on", 0, 0)],
        ] {
            let r = readout(&arms, Some("off"));
            assert!(r.too_small, "{arms:?}");
            assert_eq!(r.arms[1].verdict, Some(Verdict::TooSmall));
            assert!(r.arms[1].difference.is_none());
        }
        let empty = readout(&[], None);
        assert!(empty.too_small && empty.control.is_none());
        // More conversions than exposures (attributed counts) are capped.
        let r = readout(&[arm("off", 10, 50)], None);
        assert_eq!((r.arms[0].conversions, r.arms[0].rate), (10, 1.0));
    }
}
