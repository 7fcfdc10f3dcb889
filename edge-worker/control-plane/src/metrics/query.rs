//! The admin API's metrics routes, answered from the rollup: `GET /api/v1/metrics` (one flag's
//! series and totals) and `GET /api/v1/metrics/prometheus` (every counter). Plain functions of
//! the query and the time, tested natively.

use std::collections::BTreeMap;

use burgee_api::{ApiError, Code};
use burgee_core::time::{format_rfc3339, parse_rfc3339};
use burgee_metrics::series::Series;
use burgee_metrics::{DAY_MS, HOUR_MS};
use serde_json::{Value, json};

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

/// `GET /api/v1/metrics?environment=&flag=&from=&to=&step=`: `flag` is required; the
/// environment defaults to `default_environment`, the range to the last 24 hours, the step to
/// an hour (a minute when the range is at most six hours).
pub fn metrics(
    series: &Series,
    query: &[(String, String)],
    default_environment: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let flag = param(query, "flag")
        .filter(|f| burgee_core::valid_key(f))
        .ok_or_else(|| bad("`flag` must name a flag (a valid key)".into()))?;
    let environment = param(query, "environment").unwrap_or(default_environment);
    if !burgee_core::valid_key(environment) {
        return Err(bad(format!(
            "`environment` {environment:?} is not a valid name"
        )));
    }
    let to = time(query, "to")?.unwrap_or(now_ms);
    let from = time(query, "from")?.unwrap_or(to - DAY_MS);
    if from >= to || to - from > MAX_RANGE_MS {
        return Err(bad(format!(
            "`from` must be before `to`, and the range at most {} days",
            MAX_RANGE_MS / DAY_MS
        )));
    }
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
    let last: BTreeMap<&str, String> = series
        .evaluation_totals()
        .filter(|(_, f, ..)| *f == flag)
        .map(|(e, ..)| e)
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .filter_map(|e| {
            series
                .last_evaluated(e, flag)
                .map(|t| (e, format_rfc3339(t)))
        })
        .collect();
    let points: Vec<Value> = answer
        .series
        .iter()
        .map(|p| {
            json!({"start": format_rfc3339(p.start), "evaluations": p.evaluations,
                "variants": p.variants, "reasons": p.reasons})
        })
        .collect();
    Ok(json!({
        "environment": environment,
        "flag": flag,
        "from": format_rfc3339(from),
        "to": format_rfc3339(to),
        "step": answer.step,
        "resolution": answer.resolution,
        "series": points,
        "totals": answer.totals,
        "lastEvaluatedAt": answer.last_evaluated_at.map(format_rfc3339),
        "lastEvaluatedAtByEnvironment": last,
    }))
}

/// `GET /api/v1/metrics/prometheus`: every evaluation and event total.
pub fn prometheus(series: &Series) -> String {
    burgee_metrics::prometheus::render(series.evaluation_totals(), series.event_totals(), [])
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
        assert_eq!(answer["totals"]["evaluations"], 30);
        assert_eq!(answer["totals"]["variants"]["on"], 10);
        assert_eq!(answer["totals"]["reasons"]["SPLIT"], 30);
        assert_eq!(answer["step"], 3600);
        assert_eq!(answer["environment"], "production");
        let last = answer["lastEvaluatedAtByEnvironment"].as_object().unwrap();
        assert_eq!(last.len(), 2, "{answer}");
        let staging = metrics(
            &series(),
            &q(&[("flag", "checkout"), ("environment", "staging")]),
            "production",
            NOW,
        )
        .unwrap();
        assert_eq!(staging["totals"]["evaluations"], 1);
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
        let text = prometheus(&series());
        assert!(text.contains(r#"burgee_evaluations_total{environment="production",flag="checkout",variant="on",reason="SPLIT"} 10"#), "{text}");
        assert!(text.contains(r#"environment="staging""#));
    }
}
