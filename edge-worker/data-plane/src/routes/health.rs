//! `GET /health` (and `/feature-flags/health`): is this isolate serving, and from what.
//!
//! `status` is `ok`, `degraded` (a snapshot serves but its last revalidation failed: it may be
//! stale) or `unavailable` (no snapshot for the requested environment: evaluations fail closed,
//! and the status code is 503 so load balancers notice).

use serde::Serialize;
use worker::{Env, Request, Response, Result};

use super::dispatch::Matched;
use super::evaluate::{environment, now};
use crate::snapshots::{self, Loaded};

/// The version of this crate, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One environment's snapshot, as `/health` reports it.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotHealth {
    pub environment: String,
    pub version: u64,
    /// Seconds since the control plane published this snapshot.
    pub age_seconds: f64,
    /// True when the last revalidation failed and an older snapshot keeps serving.
    pub stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
}

/// The body of `/health`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub environment: String,
    pub snapshots: Vec<SnapshotHealth>,
}

fn describe(environment: &str, loaded: &Loaded, now: f64) -> SnapshotHealth {
    SnapshotHealth {
        environment: environment.into(),
        version: loaded.published.version,
        age_seconds: ((now - loaded.published.published_at) / 1000.0).max(0.0),
        stale: loaded.problem.is_some(),
        problem: loaded.problem.clone(),
        overrides: loaded.overrides.clone(),
    }
}

/// The report for `environment`, given what it and the isolate's other caches hold.
pub fn health(
    environment: &str,
    current: Option<&Loaded>,
    others: &[(String, Loaded)],
    now: f64,
) -> Health {
    let mut snapshots: Vec<SnapshotHealth> = Vec::new();
    if let Some(loaded) = current {
        snapshots.push(describe(environment, loaded, now));
    }
    for (name, loaded) in others.iter().filter(|(n, _)| n != environment) {
        snapshots.push(describe(name, loaded, now));
    }
    let status = match current {
        None => "unavailable",
        Some(_) if snapshots.iter().any(|s| s.stale) => "degraded",
        Some(_) => "ok",
    };
    Health {
        status,
        version: VERSION,
        environment: environment.into(),
        snapshots,
    }
}

pub async fn get(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let environment = match environment(&req, m.environment.as_deref(), &crate::config::get(env)) {
        Ok(e) => e,
        Err(response) => return response,
    };
    let now = now();
    let current = snapshots::full(env, &environment, now, false).await;
    let body = health(&environment, current.as_ref(), &snapshots::cached(), now);
    let status = if body.status == "unavailable" {
        503
    } else {
        200
    };
    Ok(Response::from_json(&body)?.with_status(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn loaded(problem: Option<&str>) -> Loaded {
        let doc = serde_json::json!({"environments": ["prod"], "flags": {}});
        Loaded {
            snapshot: Rc::new(
                burgee_core::load_value(doc)
                    .unwrap()
                    .compile("prod")
                    .snapshot,
            ),
            published: crate::snapshots::Published {
                version: 7,
                published_at: 1_000.0,
            },
            fetched_at: 2_000.0,
            problem: problem.map(String::from),
            overrides: vec![],
        }
    }

    #[test]
    fn statuses() {
        let ok = health("prod", Some(&loaded(None)), &[], 11_000.0);
        assert_eq!(
            (
                ok.status,
                ok.snapshots[0].version,
                ok.snapshots[0].age_seconds
            ),
            ("ok", 7, 10.0)
        );
        let stale = health("prod", Some(&loaded(Some("KV read failed"))), &[], 11_000.0);
        assert_eq!(stale.status, "degraded");
        assert!(stale.snapshots[0].stale);
        let none = health("prod", None, &[("dev".into(), loaded(None))], 11_000.0);
        assert_eq!((none.status, none.snapshots.len()), ("unavailable", 1));
    }
}
