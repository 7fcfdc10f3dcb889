//! What `GET /api/v1/metrics/usage` tells the list and the stale-flags page: when each flag
//! was last evaluated in each environment, and which flags are ready to be cleaned up. The
//! rules are burgee-metrics' (`stale::stale`), so the page and any other reader of the usage
//! judge a flag alike; here they are only fed the document and the usage, and their reasons
//! put in words.

use std::collections::HashMap;

use burgee_api::UsageBody;
use burgee_core::model::Document;
use burgee_core::time::parse_rfc3339;
use burgee_metrics::stale::{self, Reason, Rules, Stale};

use super::chart::thousands;
use super::values::display_time;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How long ago `at_ms` was, as people say it: "just now", "3 min ago", "5 h ago",
/// "12 days ago"; "never" without a time.
pub fn ago(now_ms: i64, at_ms: Option<i64>) -> String {
    let Some(at) = at_ms else {
        return "never".into();
    };
    let gone = (now_ms - at).max(0);
    if gone < MINUTE_MS {
        "just now".into()
    } else if gone < HOUR_MS {
        format!("{} min ago", gone / MINUTE_MS)
    } else if gone < 2 * DAY_MS {
        format!("{} h ago", gone / HOUR_MS)
    } else {
        format!("{} days ago", gone / DAY_MS)
    }
}

/// When each flag was last evaluated, by (environment, flag).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LastEvaluated(HashMap<(String, String), i64>);

impl LastEvaluated {
    pub fn new(body: &UsageBody) -> LastEvaluated {
        LastEvaluated(
            body.flags
                .iter()
                .filter_map(|u| {
                    let at = parse_rfc3339(u.last_evaluated_at.as_deref()?)?;
                    Some(((u.environment.clone(), u.flag.clone()), at))
                })
                .collect(),
        )
    }

    pub fn get(&self, environment: &str, flag: &str) -> Option<i64> {
        self.0
            .get(&(environment.to_string(), flag.to_string()))
            .copied()
    }
}

/// The stale flags of `doc` at `now_ms`, judged over `unused_days` and `single_variant_days`
/// from `usage` (asked over `single_variant_days`), from the time the store began counting.
pub fn stale_flags(
    doc: &Document,
    usage: &UsageBody,
    unused_days: u32,
    single_variant_days: u32,
    now_ms: i64,
) -> Vec<Stale> {
    let flags: Vec<stale::Flag<'_>> = doc
        .flags
        .iter()
        .map(|(key, flag)| stale::Flag {
            key,
            created_ms: flag.created_at.as_deref().and_then(parse_rfc3339),
            archived: flag.is_archived(),
            lifetime_days: flag.expected_lifetime_days(),
            environments: usage
                .flags
                .iter()
                .filter(|u| u.flag == *key)
                .map(|u| stale::Usage {
                    environment: &u.environment,
                    last_evaluated_ms: u.last_evaluated_at.as_deref().and_then(parse_rfc3339),
                    evaluations: u.evaluations,
                    variants: u.variants.iter().map(|(v, n)| (v.as_str(), *n)).collect(),
                })
                .collect(),
        })
        .collect();
    let rules = Rules {
        unused_days,
        single_variant_days,
        counting_since_ms: usage.counting_since.as_deref().and_then(parse_rfc3339),
    };
    stale::stale(&flags, rules, now_ms)
}

fn days(n: u64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{} days", thousands(n))
    }
}

/// A reason, in words.
pub fn reason_text(reason: &Reason, now_ms: i64) -> String {
    match reason {
        Reason::NotEvaluated {
            days: d,
            last_evaluated_ms: None,
        } => format!(
            "Not evaluated in any environment for {}: never evaluated",
            days(u64::from(*d))
        ),
        Reason::NotEvaluated {
            days: d,
            last_evaluated_ms: Some(at),
        } => format!(
            "Not evaluated in any environment for {}: last evaluated {} ({})",
            days(u64::from(*d)),
            ago(now_ms, Some(*at)),
            display_time(*at)
        ),
        Reason::OneVariant {
            environment,
            variant,
            days: d,
            evaluations,
        } => format!(
            "Served one variant to 100 % for {} in {environment}: \"{variant}\" to all {} evaluations",
            days(u64::from(*d)),
            thousands(*evaluations)
        ),
        Reason::PastLifetime {
            lifetime_days,
            age_days,
        } => format!(
            "A temporary flag past its expected lifetime: {} old, expected to live {}",
            days(*age_days),
            days(*lifetime_days)
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use burgee_api::UsageEntry;
    use std::collections::BTreeMap;

    const NOW: i64 = 1_796_115_600_000; // 2026-12-01T09:00:00Z

    #[test]
    fn how_long_ago() {
        assert_eq!(ago(NOW, None), "never");
        assert_eq!(ago(NOW, Some(NOW - 20_000)), "just now");
        assert_eq!(ago(NOW, Some(NOW + 5_000)), "just now");
        assert_eq!(ago(NOW, Some(NOW - 3 * MINUTE_MS - 1)), "3 min ago");
        assert_eq!(ago(NOW, Some(NOW - 5 * HOUR_MS)), "5 h ago");
        assert_eq!(ago(NOW, Some(NOW - 47 * HOUR_MS)), "47 h ago");
        assert_eq!(ago(NOW, Some(NOW - 12 * DAY_MS)), "12 days ago");
    }

    fn usage(counting_since: Option<&str>, flags: Vec<UsageEntry>) -> UsageBody {
        UsageBody {
            now: "2026-12-01T09:00:00Z".into(),
            days: 30,
            counting_since: counting_since.map(String::from),
            flags,
        }
    }

    fn entry(flag: &str, last: &str, variants: &[(&str, u64)]) -> UsageEntry {
        UsageEntry {
            environment: "production".into(),
            flag: flag.into(),
            last_evaluated_at: Some(last.into()),
            evaluations: variants.iter().map(|(_, n)| n).sum(),
            variants: variants
                .iter()
                .map(|(v, n)| (v.to_string(), *n))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn last_evaluated_per_environment_and_flag() {
        let body = usage(None, vec![entry("a", "2026-12-01T08:57:00Z", &[("on", 3)])]);
        let last = LastEvaluated::new(&body);
        assert_eq!(ago(NOW, last.get("production", "a")), "3 min ago");
        assert_eq!(ago(NOW, last.get("staging", "a")), "never");
        assert_eq!(last.get("production", "b"), None);
    }

    #[test]
    fn stale_flags_from_the_document_and_the_usage() {
        let doc = super::super::fixtures::example();
        // Nothing counted yet: every flag older than 30 days is unused (and the temporary ones
        // past their lifetime).
        let all = stale_flags(&doc, &usage(None, vec![]), 30, 30, NOW);
        assert!(!all.is_empty());
        let texts: Vec<String> = all[0].reasons.iter().map(|r| reason_text(r, NOW)).collect();
        assert_eq!(
            texts[0],
            "Not evaluated in any environment for 30 days: never evaluated"
        );
        // Counting began yesterday: only lifetimes are judged.
        let since = usage(Some("2026-11-30T09:00:00Z"), vec![]);
        for s in stale_flags(&doc, &since, 30, 30, NOW) {
            assert!(
                s.reasons
                    .iter()
                    .all(|r| matches!(r, Reason::PastLifetime { .. })),
                "{s:?}"
            );
        }
        // One variant served to every evaluation, counting long enough.
        let key = doc
            .flags
            .iter()
            .find(|(_, f)| f.created_at.as_deref() < Some("2026-10-01"))
            .map(|(k, _)| k.clone())
            .unwrap();
        let one = usage(
            Some("2026-01-01T00:00:00Z"),
            vec![entry(&key, "2026-12-01T08:00:00Z", &[("on", 1200)])],
        );
        let listed = stale_flags(&doc, &one, 30, 30, NOW);
        let reasons = &listed.iter().find(|s| s.flag == key).unwrap().reasons;
        let text = reason_text(
            reasons
                .iter()
                .find(|r| matches!(r, Reason::OneVariant { .. }))
                .unwrap(),
            NOW,
        );
        assert_eq!(
            text,
            "Served one variant to 100 % for 30 days in production: \"on\" to all 1,200 evaluations"
        );
    }

    #[test]
    fn reasons_in_words() {
        let past = Reason::PastLifetime {
            lifetime_days: 40,
            age_days: 41,
        };
        assert_eq!(
            reason_text(&past, NOW),
            "A temporary flag past its expected lifetime: 41 days old, expected to live 40 days"
        );
        let unused = Reason::NotEvaluated {
            days: 1,
            last_evaluated_ms: Some(NOW - 3 * DAY_MS),
        };
        assert_eq!(
            reason_text(&unused, NOW),
            "Not evaluated in any environment for 1 day: last evaluated 3 days ago (2026-11-28 09:00 UTC)"
        );
    }
}
