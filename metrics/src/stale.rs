//! Which flags are ready to be cleaned up, and why, with the time as an input.
//!
//! Three rules, each giving its numbers so the admin app can say why:
//! - not evaluated in any environment for `unused_days` (a flag created that long ago and
//!   never evaluated counts too);
//! - one variant served to every evaluation in an environment for the last
//!   `single_variant_days` (the rollout is over: the flag can become code);
//! - a temporary flag (release, experiment, operational) older than its expected lifetime.
//!   Permission flags have none, so they are never stale for their age.
//!
//! Archived flags are not listed: they are already cleaned up. The rules only judge days the
//! metrics saw: before `counting_since_ms` nothing was counted, so "not evaluated" and "one
//! variant" wait until counting has run for the whole period.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::DAY_MS;

/// The default of both periods, in days.
pub const DEFAULT_DAYS: u32 = 30;

/// The periods the rules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Days without an evaluation that make a flag unused.
    pub unused_days: u32,
    /// Days of serving one variant only that make a flag done.
    pub single_variant_days: u32,
    /// When counting began (epoch milliseconds); `None`: long enough ago.
    pub counting_since_ms: Option<i64>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            unused_days: DEFAULT_DAYS,
            single_variant_days: DEFAULT_DAYS,
            counting_since_ms: None,
        }
    }
}

/// What the rules need to know of one flag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flag<'a> {
    /// The flag's key.
    pub key: &'a str,
    /// `createdAt`, epoch milliseconds.
    pub created_ms: Option<i64>,
    /// Archived flags are never listed.
    pub archived: bool,
    /// The expected lifetime (`Flag::expected_lifetime_days` of the core's model): `None` for
    /// permanent flags.
    pub lifetime_days: Option<u64>,
    /// Its evaluations in each environment.
    pub environments: Vec<Usage<'a>>,
}

/// One environment's evaluations of a flag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage<'a> {
    /// The environment's name.
    pub environment: &'a str,
    /// When it was last evaluated there (`Series::last_evaluated`).
    pub last_evaluated_ms: Option<i64>,
    /// Evaluations over the last `single_variant_days`, and the part of them by variant.
    pub evaluations: u64,
    /// `(variant, evaluations)` over the same days.
    pub variants: Vec<(&'a str, u64)>,
}

/// Why a flag is stale, with the numbers the variant's doc names.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "rule"
)]
pub enum Reason {
    /// No environment evaluated it for `days` days; `last_evaluated_ms` is `None` when never.
    NotEvaluated {
        days: u32,
        last_evaluated_ms: Option<i64>,
    },
    /// `environment` served `variant` to all its `evaluations` for `days` days.
    OneVariant {
        environment: String,
        variant: String,
        days: u32,
        evaluations: u64,
    },
    /// A temporary flag `age_days` old, expected to live `lifetime_days`.
    PastLifetime { lifetime_days: u64, age_days: u64 },
}

/// A stale flag and every rule it meets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stale {
    /// The flag's key.
    pub flag: String,
    /// Every rule it meets.
    pub reasons: Vec<Reason>,
}

fn days_ms(days: u64) -> i64 {
    i64::try_from(days)
        .unwrap_or(i64::MAX / DAY_MS)
        .saturating_mul(DAY_MS)
}

/// The stale flags among `flags` at `now_ms`, in the order given.
pub fn stale<'a>(
    flags: impl IntoIterator<Item = &'a Flag<'a>>,
    rules: Rules,
    now_ms: i64,
) -> Vec<Stale> {
    // Counting must have covered the whole period for the usage rules to judge.
    let covered = |days: u32| {
        rules
            .counting_since_ms
            .is_none_or(|since| since <= now_ms - days_ms(u64::from(days)))
    };
    let mut out = Vec::new();
    for flag in flags.into_iter().filter(|f| !f.archived) {
        let mut reasons = Vec::new();
        let unused_cutoff = now_ms - days_ms(u64::from(rules.unused_days));
        let last = flag
            .environments
            .iter()
            .filter_map(|u| u.last_evaluated_ms)
            .max();
        let old_enough = flag.created_ms.is_none_or(|c| c <= unused_cutoff);
        if covered(rules.unused_days) && old_enough && last.is_none_or(|l| l < unused_cutoff) {
            reasons.push(Reason::NotEvaluated {
                days: rules.unused_days,
                last_evaluated_ms: last,
            });
        }
        let single_cutoff = now_ms - days_ms(u64::from(rules.single_variant_days));
        if covered(rules.single_variant_days) && flag.created_ms.is_none_or(|c| c <= single_cutoff)
        {
            for usage in &flag.environments {
                let served: Vec<_> = usage.variants.iter().filter(|(_, n)| *n > 0).collect();
                if let [(variant, n)] = served.as_slice()
                    && *n == usage.evaluations
                    && usage.evaluations > 0
                {
                    reasons.push(Reason::OneVariant {
                        environment: usage.environment.into(),
                        variant: (*variant).into(),
                        days: rules.single_variant_days,
                        evaluations: usage.evaluations,
                    });
                }
            }
        }
        if let (Some(lifetime_days), Some(created)) = (flag.lifetime_days, flag.created_ms) {
            let age_days = u64::try_from((now_ms - created).max(0) / DAY_MS).unwrap_or(0);
            if now_ms - created > days_ms(lifetime_days) {
                reasons.push(Reason::PastLifetime {
                    lifetime_days,
                    age_days,
                });
            }
        }
        if !reasons.is_empty() {
            out.push(Stale {
                flag: flag.key.into(),
                reasons,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::vec;

    const NOW: i64 = 1_796_115_600_000;
    const DAY: i64 = DAY_MS;

    fn flag(key: &str, created_days_ago: i64) -> Flag<'_> {
        Flag {
            key,
            created_ms: Some(NOW - created_days_ago * DAY),
            lifetime_days: None,
            ..Flag::default()
        }
    }

    fn used<'a>(last_days_ago: i64, variants: Vec<(&'a str, u64)>) -> Usage<'a> {
        Usage {
            environment: "production",
            last_evaluated_ms: Some(NOW - last_days_ago * DAY),
            evaluations: variants.iter().map(|(_, n)| n).sum(),
            variants,
        }
    }

    fn reasons(f: &Flag<'_>, rules: Rules) -> Vec<Reason> {
        stale([f], rules, NOW)
            .pop()
            .map(|s| s.reasons)
            .unwrap_or_default()
    }

    #[test]
    fn not_evaluated_for_n_days() {
        let mut f = flag("a", 100);
        f.environments = vec![used(31, vec![("on", 5), ("off", 5)])];
        assert_eq!(
            reasons(&f, Rules::default()),
            [Reason::NotEvaluated {
                days: 30,
                last_evaluated_ms: Some(NOW - 31 * DAY)
            }]
        );
        f.environments = vec![used(29, vec![("on", 5), ("off", 5)])];
        assert!(reasons(&f, Rules::default()).is_empty());
        // Configurable: 7 days.
        let week = Rules {
            unused_days: 7,
            ..Rules::default()
        };
        assert_eq!(reasons(&f, week).len(), 1);
        // Never evaluated: stale once it is 30 days old, not before.
        let never = flag("b", 31);
        assert_eq!(
            reasons(&never, Rules::default()),
            [Reason::NotEvaluated {
                days: 30,
                last_evaluated_ms: None
            }]
        );
        assert!(reasons(&flag("c", 29), Rules::default()).is_empty());
        // Nothing is judged before counting has run for the period.
        let recent = Rules {
            counting_since_ms: Some(NOW - 10 * DAY),
            ..Rules::default()
        };
        assert!(reasons(&never, recent).is_empty());
    }

    #[test]
    fn one_variant_for_n_days() {
        let mut f = flag("a", 100);
        f.environments = vec![
            used(0, vec![("on", 1200), ("off", 0)]),
            Usage {
                environment: "staging",
                ..used(0, vec![("on", 3), ("off", 1)])
            },
        ];
        assert_eq!(
            reasons(&f, Rules::default()),
            [Reason::OneVariant {
                environment: "production".into(),
                variant: "on".into(),
                days: 30,
                evaluations: 1200
            }]
        );
        // Errors (the caller's default) are evaluations no variant served: not 100 %.
        f.environments[0].evaluations += 1;
        assert!(reasons(&f, Rules::default()).is_empty());
        // A flag younger than the period has not served one variant for the period.
        let mut young = flag("y", 10);
        young.environments = vec![used(0, vec![("on", 10)])];
        assert!(reasons(&young, Rules::default()).is_empty());
    }

    #[test]
    fn temporary_flags_past_their_lifetime_and_never_permission_flags() {
        let mut f = flag("a", 41);
        f.environments = vec![used(0, vec![("on", 1), ("off", 1)])];
        f.lifetime_days = Some(40);
        assert_eq!(
            reasons(&f, Rules::default()),
            [Reason::PastLifetime {
                lifetime_days: 40,
                age_days: 41
            }]
        );
        f.lifetime_days = Some(50);
        assert!(reasons(&f, Rules::default()).is_empty());
        // A permission flag has no lifetime (the core answers `None`).
        f.lifetime_days = None;
        f.created_ms = Some(NOW - 4000 * DAY);
        assert!(reasons(&f, Rules::default()).is_empty());
    }

    #[test]
    fn archived_flags_are_not_listed_and_reasons_serialize_with_their_numbers() {
        let mut f = flag("a", 400);
        f.lifetime_days = Some(7);
        let listed = stale([&f], Rules::default(), NOW);
        assert_eq!(listed[0].reasons.len(), 2);
        let json = serde_json::to_value(&listed[0]).unwrap();
        assert_eq!(json["reasons"][1]["rule"], "pastLifetime");
        assert_eq!(json["reasons"][1]["ageDays"], 400);
        f.archived = true;
        assert!(stale([&f], Rules::default(), NOW).is_empty());
    }
}
