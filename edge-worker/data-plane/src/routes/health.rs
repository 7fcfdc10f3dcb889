//! `GET /health` (and `/feature-flags/health`): is this isolate serving, from what, and how far
//! behind the store it and Workers KV are.
//!
//! Per environment it reports the revision the store has (from the beacon), the revision Workers
//! KV holds (`published`), and the one this isolate serves. `status` is `ok`; `degraded` when
//! the isolate or KV has been behind the store for longer than the freshness bound (with the
//! lag in seconds), when the last refresh failed, or when no beacon can be had; `unavailable`
//! (`503`, so load balancers notice) when there is no snapshot at all for the environment
//! asked: evaluations fail closed.
//!
//! Anyone may ask whether the edge serves and at which versions, but the rest (deployment pins,
//! problems, lags, publication errors) describes the deployment's insides, so it is answered
//! only to a caller with an admin token (any role, as the admin API checks it).

use burgee_edge_shared::beacon::{Beacon, FRESHNESS_BOUND_MS, publication_lag_ms};
use serde::Serialize;
use worker::{Env, Request, Response, Result};

use super::dispatch::Matched;
use super::evaluate::{environment, now};
use crate::freshness::{self, Location};
use crate::snapshots::{self, Full, Slot};

/// The version of this crate, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One environment, as `/health` reports it.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentHealth {
    pub environment: String,
    /// The revision this isolate serves.
    pub served: u64,
    /// Kept for older readers: the same as `served`.
    pub version: u64,
    /// The revision the store has for this environment (from the beacon), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<u64>,
    /// The revision Workers KV holds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<u64>,
    /// Seconds since this isolate installed what it serves (admins only, as what follows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<f64>,
    /// How long this isolate has been behind the store, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
    /// How long Workers KV has been behind the store, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_lag_seconds: Option<f64>,
    /// Why publication to Workers KV keeps failing, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_error: Option<String>,
    /// True when the last refresh failed and an older snapshot keeps serving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Deployment pins (`FF_*`, `FF_ALL`) in effect.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
}

/// The body of `/health`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub environment: String,
    /// The store's version, from the beacon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_version: Option<u64>,
    /// Why no beacon could be had, when none could.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beacon_problem: Option<String>,
    /// Every environment this isolate serves, the one asked first.
    pub snapshots: Vec<EnvironmentHealth>,
}

fn seconds(ms: f64) -> f64 {
    (ms / 100.0).round() / 10.0
}

fn describe(
    environment: &str,
    slot: &Slot<Full>,
    beacon: Option<&Beacon>,
    now: f64,
) -> EnvironmentHealth {
    let state = beacon.and_then(|b| b.environments.get(environment));
    let wanted = state.map(|s| &s.snapshot);
    let lag = wanted
        .filter(|w| w.revision > slot.revision)
        .map(|w| (now - w.revision_at).max(0.0));
    let publish_lag = wanted.and_then(|w| publication_lag_ms(w, now));
    EnvironmentHealth {
        environment: environment.into(),
        served: slot.revision,
        version: slot.revision,
        store: wanted.map(|w| w.revision),
        published: wanted.map(|w| w.published),
        age_seconds: Some(seconds((now - slot.installed_at).max(0.0))),
        lag_seconds: lag.map(seconds),
        publish_lag_seconds: publish_lag.map(seconds),
        publish_error: wanted.and_then(|w| w.last_error.clone()),
        stale: Some(slot.problem.is_some()),
        problem: slot.problem.clone(),
        overrides: slot.value.overrides.clone(),
    }
}

fn behind(e: &EnvironmentHealth) -> bool {
    let over = |s: Option<f64>| s.is_some_and(|s| s * 1000.0 > FRESHNESS_BOUND_MS);
    e.stale == Some(true) || over(e.lag_seconds) || over(e.publish_lag_seconds)
}

/// The report for `environment`, from what this isolate serves and knows of the beacon.
pub fn health(
    environment: &str,
    served: &[(String, Slot<Full>)],
    beacon: Option<&Beacon>,
    beacon_problem: Option<String>,
    now: f64,
) -> Health {
    let mut snapshots: Vec<EnvironmentHealth> = served
        .iter()
        .map(|(name, slot)| describe(name, slot, beacon, now))
        .collect();
    snapshots.sort_by_key(|s| s.environment != environment);
    let asked = snapshots.iter().any(|s| s.environment == environment);
    let status = if !asked {
        "unavailable"
    } else if beacon.is_none() || beacon_problem.is_some() || snapshots.iter().any(behind) {
        "degraded"
    } else {
        "ok"
    };
    Health {
        status,
        version: VERSION,
        environment: environment.into(),
        store_version: beacon.map(|b| b.version),
        beacon_problem,
        snapshots,
    }
}

/// What `/health` tells a caller without an admin token: the status and the versions.
pub fn public(mut h: Health) -> Health {
    h.beacon_problem = None;
    for s in &mut h.snapshots {
        s.age_seconds = None;
        s.lag_seconds = None;
        s.publish_lag_seconds = None;
        s.publish_error = None;
        s.stale = None;
        s.problem = None;
        s.overrides.clear();
    }
    h
}

pub async fn get(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let config = crate::config::get(env);
    let environment = match environment(req.inner(), m.environment.as_deref(), &config) {
        Ok(e) => e,
        Err(response) => return response,
    };
    let now = now();
    let location = Location::of(req.inner());
    snapshots::full(env, &location, &environment, now).await;
    let known = freshness::known();
    let body = health(
        &environment,
        &snapshots::served(),
        known.beacon.as_deref(),
        known.problem,
        now,
    );
    let status = if body.status == "unavailable" {
        503
    } else {
        200
    };
    let authorization = req.headers().get("Authorization").ok().flatten();
    let admin = config.admin_tokens.as_ref().is_ok_and(|tokens| {
        tokens
            .authorize(authorization.as_deref(), crate::auth::Role::Viewer)
            .is_ok()
    });
    let body = if admin { body } else { public(body) };
    let mut response = Response::from_json(&body)?.with_status(status);
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use burgee_api::KeyPublication;
    use burgee_edge_shared::beacon::EnvironmentState;
    use std::rc::Rc;

    fn slot(revision: u64, problem: Option<&str>) -> Slot<Full> {
        let snapshot = burgee_core::Snapshot::decode(include_bytes!(
            "../../../../tests/golden/snapshot-v1.bin"
        ))
        .unwrap();
        Slot {
            value: Full {
                snapshot: Rc::new(snapshot),
                overrides: vec![],
            },
            revision,
            installed_at: 1_000.0,
            kv_checked_at: 1_000.0,
            problem: problem.map(String::from),
        }
    }

    fn beacon(revision: u64, published: u64, at: f64) -> Beacon {
        let mut b = Beacon {
            version: revision,
            ..Beacon::default()
        };
        b.environments.insert(
            "prod".into(),
            EnvironmentState {
                snapshot: KeyPublication {
                    revision,
                    published,
                    revision_at: at,
                    ..KeyPublication::default()
                },
                ..EnvironmentState::default()
            },
        );
        b
    }

    #[test]
    fn ok_while_everything_holds_the_store_version() {
        let served = vec![("prod".to_string(), slot(7, None))];
        let h = health("prod", &served, Some(&beacon(7, 7, 500.0)), None, 11_000.0);
        assert_eq!(h.status, "ok");
        assert_eq!(
            (
                h.snapshots[0].served,
                h.snapshots[0].store,
                h.snapshots[0].published
            ),
            (7, Some(7), Some(7))
        );
        assert_eq!(h.snapshots[0].age_seconds, Some(10.0));
    }

    #[test]
    fn degraded_with_the_lag_past_the_bound_only() {
        let served = vec![("prod".to_string(), slot(7, None))];
        let b = beacon(9, 7, 10_000.0);
        let soon = health("prod", &served, Some(&b), None, 11_000.0);
        assert_eq!(soon.status, "ok", "within the bound");
        let late = health("prod", &served, Some(&b), None, 13_500.0);
        assert_eq!(late.status, "degraded");
        assert_eq!(late.snapshots[0].lag_seconds, Some(3.5));
        assert_eq!(late.snapshots[0].publish_lag_seconds, Some(3.5));
        let kv_only = health(
            "prod",
            &[("prod".to_string(), slot(9, None))],
            Some(&b),
            None,
            13_500.0,
        );
        assert_eq!(kv_only.status, "degraded", "KV behind is degraded too");
        assert_eq!(kv_only.snapshots[0].lag_seconds, None);
    }

    #[test]
    fn the_public_answer_holds_the_status_and_versions_only() {
        let mut s = slot(7, Some("KV read failed"));
        s.value.overrides = vec!["FF_ALL=off".into()];
        let h = health(
            "prod",
            &[("prod".to_string(), s)],
            None,
            Some("relay down".into()),
            1.0,
        );
        let body = serde_json::to_value(public(h)).unwrap();
        let text = body.to_string();
        for internal in [
            "FF_ALL",
            "KV read failed",
            "relay down",
            "stale",
            "ageSeconds",
        ] {
            assert!(!text.contains(internal), "{internal} in {text}");
        }
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["snapshots"][0]["served"], 7);
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn stale_unreachable_and_unavailable() {
        let served = vec![("prod".to_string(), slot(7, Some("KV read failed")))];
        assert_eq!(
            health("prod", &served, Some(&beacon(7, 7, 0.0)), None, 1.0).status,
            "degraded"
        );
        let fine = vec![("prod".to_string(), slot(7, None))];
        let h = health("prod", &fine, None, Some("relay down".into()), 1.0);
        assert_eq!(h.status, "degraded");
        let none = health("dev", &fine, Some(&beacon(7, 7, 0.0)), None, 1.0);
        assert_eq!((none.status, none.snapshots.len()), ("unavailable", 1));
    }
}
