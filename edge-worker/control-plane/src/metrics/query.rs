//! The admin API's metrics routes, answered from the rollup: `GET /api/v1/metrics` (one flag's
//! series and totals), `/metrics/readout` (an experiment), `/metrics/usage` (every flag's use,
//! for the list and the stale flags) and `/metrics/prometheus` (every counter). Plain functions
//! of the query and the time, tested natively.

use std::collections::{BTreeMap, BTreeSet};

use burgee_api::{
    ApiError, Code, MetricsBody, MetricsPoint, PublicationBody, ReadoutBody, UsageBody, UsageEntry,
};
use burgee_core::time::{format_rfc3339, parse_rfc3339};
use burgee_metrics::series::Series;
use burgee_metrics::{DAY_MS, HOUR_MS};

/// The longest range one query may cover.
const MAX_RANGE_MS: i64 = 90 * DAY_MS;

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn bad(message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message)
}

fn time(query: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    param(query, name)
        .map(|t| {
            parse_rfc3339(t).ok_or_else(|| bad(format!("`{name}` {t:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// The flag and environment a query names: `flag` is required, the environment defaults to
/// `default_environment`.
fn flag_and_environment<'q>(
    query: &'q [(String, String)],
    default_environment: &'q str,
) -> Result<(&'q str, &'q str), ApiError> {
    let flag = param(query, "flag")
        .filter(|f| burgee_core::valid_key(f))
        .ok_or_else(|| bad("`flag` must name a flag (a valid key)".into()))?;
    let environment = param(query, "environment").unwrap_or(default_environment);
    if !burgee_core::valid_key(environment) {
        return Err(bad(format!(
            "`environment` {environment:?} is not a valid name"
        )));
    }
    Ok((flag, environment))
}

/// `from` and `to`, by default the `default_ms` before `to` and now; at most 90 days apart.
fn range(query: &[(String, String)], now_ms: i64, default_ms: i64) -> Result<(i64, i64), ApiError> {
    let to = time(query, "to")?.unwrap_or(now_ms);
    let from = time(query, "from")?.unwrap_or(to - default_ms);
    if from >= to || to - from > MAX_RANGE_MS {
        return Err(bad(format!(
            "`from` must be before `to`, and the range at most {} days",
            MAX_RANGE_MS / DAY_MS
        )));
    }
    Ok((from, to))
}

/// `GET /api/v1/metrics?environment=&flag=&from=&to=&step=`: the range defaults to the last
/// 24 hours, the step to an hour (a minute when the range is at most six hours).
pub fn metrics(
    series: &Series,
    query: &[(String, String)],
    default_environment: &str,
    now_ms: i64,
) -> Result<MetricsBody, ApiError> {
    let (flag, environment) = flag_and_environment(query, default_environment)?;
    let (from, to) = range(query, now_ms, DAY_MS)?;
    let step = match param(query, "step") {
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|s| (60..=86_400 * 90).contains(s))
            .ok_or_else(|| bad(format!("`step` {s:?} must be seconds, from 60 to 7776000")))?,
        None if to - from <= 6 * HOUR_MS => 60,
        None => 3_600,
    };
    let answer = series.query(environment, flag, from, to, step, now_ms);
    let environments: BTreeSet<&str> = series
        .evaluation_totals()
        .filter(|(_, f, ..)| *f == flag)
        .map(|(e, ..)| e)
        .collect();
    let last = environments
        .into_iter()
        .filter_map(|e| {
            series
                .last_evaluated(e, flag)
                .map(|t| (e.to_string(), format_rfc3339(t)))
        })
        .collect();
    let series = answer
        .series
        .into_iter()
        .map(|p| MetricsPoint {
            start: format_rfc3339(p.start),
            evaluations: p.evaluations,
            variants: p.variants,
            reasons: p.reasons,
        })
        .collect();
    Ok(MetricsBody {
        environment: environment.into(),
        flag: flag.into(),
        from: format_rfc3339(from),
        to: format_rfc3339(to),
        step: answer.step,
        resolution: answer.resolution,
        series,
        totals: answer.totals,
        last_evaluated_at: answer.last_evaluated_at.map(format_rfc3339),
        last_evaluated_at_by_environment: last,
    })
}

/// `GET /api/v1/metrics/readout?environment=&flag=&event=&from=&to=&control=`: `event` is
/// required; the range defaults to the last 30 days, the control to the first variant by name
/// (the admin app sends the flag's `offVariant`).
pub fn readout(
    series: &Series,
    query: &[(String, String)],
    default_environment: &str,
    now_ms: i64,
) -> Result<ReadoutBody, ApiError> {
    let (flag, environment) = flag_and_environment(query, default_environment)?;
    let event = param(query, "event")
        .filter(|e| burgee_core::key::valid_event_name(e))
        .ok_or_else(|| {
            bad("`event` must name an event (1–64 printable ASCII characters)".into())
        })?;
    let (from, to) = range(query, now_ms, 30 * DAY_MS)?;
    let arms = series.arms(environment, flag, event, from, to);
    Ok(ReadoutBody {
        environment: environment.into(),
        flag: flag.into(),
        event: event.into(),
        from: format_rfc3339(from),
        to: format_rfc3339(to),
        readout: burgee_metrics::readout::readout(&arms, param(query, "control")),
    })
}

/// `GET /api/v1/metrics/usage?days=N`: every flag's use over the last `days` (1–90, default
/// 30) in every environment.
pub fn usage(
    series: &Series,
    query: &[(String, String)],
    now_ms: i64,
) -> Result<UsageBody, ApiError> {
    let days = match param(query, "days") {
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=90).contains(d))
            .ok_or_else(|| bad(format!("`days` {d:?} must be a whole number from 1 to 90")))?,
        None => burgee_metrics::stale::DEFAULT_DAYS,
    };
    let from = now_ms - i64::from(days) * DAY_MS;
    let flags = series
        .usage(from, now_ms.saturating_add(1))
        .into_iter()
        .map(|u| UsageEntry {
            environment: u.environment,
            flag: u.flag,
            last_evaluated_at: u.last_evaluated_at.map(format_rfc3339),
            evaluations: u.evaluations,
            variants: u.variants,
        })
        .collect();
    Ok(UsageBody {
        now: format_rfc3339(now_ms),
        days,
        counting_since: series.counting_since().map(format_rfc3339),
        flags,
    })
}

/// `GET /api/v1/metrics/prometheus`: every evaluation and event total, and each environment's
/// publication lag (`lags`: seconds its published snapshot has been behind the store).
pub fn prometheus(series: &Series, lags: &[(String, f64)]) -> String {
    burgee_metrics::prometheus::render(
        series.evaluation_totals(),
        series.event_totals(),
        lags.iter().map(|(e, s)| (e.as_str(), *s)),
    )
}

/// Each environment's publication lag from the store's publication state: how long the
/// older of its two keys (full and public snapshot) has been behind, 0 when both hold their
/// revision.
pub fn publication_lags(publication: &PublicationBody, now_ms: f64) -> Vec<(String, f64)> {
    let mut lags: BTreeMap<String, f64> = BTreeMap::new();
    for (key, state) in &publication.keys {
        let Some((_, environment)) = key.split_once(':') else {
            continue;
        };
        let lag = state
            .behind_since
            .map_or(0.0, |since| ((now_ms - since) / 1000.0).max(0.0));
        let slot = lags.entry(environment.to_string()).or_insert(0.0);
        *slot = slot.max(lag);
    }
    lags.into_iter().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use burgee_core::Reason;
    use burgee_metrics::counts::Aggregator;

    const NOW: i64 = 1_796_000_000_000;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn series() -> Series {
        let mut counts = Aggregator::new(NOW - 5_000);
        for i in 0..30u64 {
            let variant = if i < 10 { "on" } else { "off" };
            counts.record(
                "production",
                "checkout",
                Some(variant),
                Reason::Split,
                Some(i),
            );
        }
        counts.record("staging", "checkout", Some("on"), Reason::Static, None);
        let mut s = Series::new();
        s.add(&counts.drain(NOW), NOW);
        s
    }

    #[test]
    fn one_flag_in_one_environment_with_its_last_evaluation_everywhere() {
        let answer = metrics(&series(), &q(&[("flag", "checkout")]), "production", NOW).unwrap();
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["totals"]["evaluations"], 30);
        assert_eq!(json["totals"]["variants"]["on"], 10);
        assert_eq!(json["totals"]["reasons"]["SPLIT"], 30);
        assert_eq!(json["step"], 3600);
        assert_eq!(json["environment"], "production");
        let last = json["lastEvaluatedAtByEnvironment"].as_object().unwrap();
        assert_eq!(last.len(), 2, "{json}");
        let staging = metrics(
            &series(),
            &q(&[("flag", "checkout"), ("environment", "staging")]),
            "production",
            NOW,
        )
        .unwrap();
        assert_eq!(staging.totals.evaluations, 1);
    }

    #[test]
    fn bad_queries_are_400_with_the_parameter_named() {
        for (pairs, names) in [
            (vec![], "flag"),
            (vec![("flag", "a b")], "flag"),
            (vec![("flag", "x"), ("from", "yesterday")], "from"),
            (vec![("flag", "x"), ("step", "1")], "step"),
            (
                vec![
                    ("flag", "x"),
                    ("from", "2026-01-01T00:00:00Z"),
                    ("to", "2025-01-01T00:00:00Z"),
                ],
                "from",
            ),
            (vec![("flag", "x"), ("environment", "../x")], "environment"),
        ] {
            let e = metrics(&series(), &q(&pairs), "production", NOW).unwrap_err();
            assert_eq!(e.status, 400, "{pairs:?}");
            assert!(e.message.contains(names), "{pairs:?}: {}", e.message);
        }
    }

    #[test]
    fn prometheus_lists_every_total() {
        let text = prometheus(&series(), &[("production".into(), 2.5)]);
        assert!(
            text.contains(r#"burgee_publication_lag_seconds{environment="production"} 2.5"#),
            "{text}"
        );
        assert!(text.contains(r#"burgee_evaluations_total{environment="production",flag="checkout",variant="on",reason="SPLIT"} 10"#), "{text}");
        assert!(text.contains(r#"environment="staging""#));
    }

    #[test]
    fn readout_and_usage_answer_from_the_same_rollup() {
        let hasher = burgee_metrics::ContextHasher::new(*b"0123456789abcdef");
        let mut counts = Aggregator::new(NOW - 5_000);
        for i in 0..400u64 {
            let variant = if i % 2 == 0 { "on" } else { "off" };
            let who = Some(hasher.hash(&format!("user-{i}")));
            counts.record("production", "checkout", Some(variant), Reason::Split, who);
            // Every fourth "on" context and every eighth "off" one buys.
            if (variant == "on" && i % 4 == 0) || (variant == "off" && i % 8 == 1) {
                counts.track("production", "purchase", None, who, [("checkout", variant)]);
            }
        }
        let mut s = Series::new();
        s.add(&counts.drain(NOW), NOW);
        let pairs = q(&[
            ("flag", "checkout"),
            ("event", "purchase"),
            ("control", "off"),
        ]);
        let body = readout(&s, &pairs, "production", NOW).unwrap();
        assert_eq!(body.readout.control.as_deref(), Some("off"));
        let on = body
            .readout
            .arms
            .iter()
            .find(|a| a.variant == "on")
            .unwrap();
        let off = body
            .readout
            .arms
            .iter()
            .find(|a| a.variant == "off")
            .unwrap();
        // Unique contexts come from sketches: within 2 % of the truth.
        let near = |got: u64, want: u64| got.abs_diff(want) * 50 <= want;
        assert!(
            near(on.exposures, 200) && near(on.conversions, 100),
            "{on:?}"
        );
        assert!(
            near(off.exposures, 200) && near(off.conversions, 50),
            "{off:?}"
        );
        assert!(on.difference.unwrap().low > 0.0, "{on:?}");
        let e = readout(&s, &q(&[("flag", "checkout")]), "production", NOW).unwrap_err();
        assert!(e.message.contains("event"), "{}", e.message);

        let usage = usage(&s, &q(&[("days", "7")]), NOW).unwrap();
        assert_eq!(usage.days, 7);
        assert_eq!(usage.flags.len(), 1);
        assert_eq!(usage.flags[0].evaluations, 400);
        assert_eq!(usage.flags[0].variants["on"], 200);
        assert!(usage.flags[0].last_evaluated_at.is_some());
        assert!(usage.counting_since.is_some());
        for days in ["0", "91", "x"] {
            let e = super::usage(&s, &q(&[("days", days)]), NOW).unwrap_err();
            assert_eq!(e.status, 400, "{days}");
        }
    }

    #[test]
    fn publication_lag_is_the_older_key_per_environment() {
        let key = |behind: Option<f64>| burgee_api::KeyPublication {
            behind_since: behind,
            ..Default::default()
        };
        let body = PublicationBody {
            version: 9,
            keys: [
                ("snapshot:production".to_string(), key(Some(1_000.0))),
                ("public:production".to_string(), key(Some(4_000.0))),
                ("snapshot:staging".to_string(), key(None)),
            ]
            .into(),
            events: vec![],
        };
        let lags = publication_lags(&body, 11_000.0);
        assert_eq!(
            lags,
            vec![
                ("production".to_string(), 10.0),
                ("staging".to_string(), 0.0)
            ]
        );
    }
}
