//! Usage metrics end to end: evaluations counted at the edge reach the metrics store within
//! 20 s, exactly, split by the variants served; Prometheus shows the same numbers; the stored
//! bytes hold no user id (and the restart checks find the counts intact).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::api::{get_ok, ofrep, write};
use super::{ADMIN, EDITOR, Fixture, VIEWER};
use crate::e2e::{expect, expect_json};
use crate::{Failed, Result, http};

/// The flag the check creates (no other check evaluates it by key).
pub(super) const PROBE: &str = "usage-probe";
/// The prefix of the check's users, which must be stored nowhere.
pub(super) const USERS: &str = "usage-user-";

pub(super) fn metrics_path() -> String {
    format!("/api/v1/metrics?flag={PROBE}&environment=production&step=60")
}

fn probe() -> Value {
    json!({"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
        "environments": {"production": {"enabled": true, "offVariant": "off",
            "defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}}}}})
}

pub(super) fn counted_exactly(f: &Fixture) -> Result {
    write(
        f.addr,
        "PUT",
        &format!("/api/v1/flags/{PROBE}"),
        EDITOR,
        &probe(),
        201,
    )?;
    // The edge serves the new flag once the relays brought the version; until then it is
    // not found (not counted), and the first answer is counted like the rest.
    let mut served: BTreeMap<String, u64> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let first = loop {
        if let Ok(v) = ofrep(f.addr, PROBE, &json!({"targetingKey": "warm-up"})) {
            break v;
        }
        expect(Instant::now() < deadline, || {
            format!("{PROBE} never served")
        })?;
        std::thread::sleep(Duration::from_millis(100));
    };
    *served
        .entry(first["variant"].as_str().unwrap_or_default().into())
        .or_default() += 1;
    let started = Instant::now();
    for i in 0..400 {
        let user = format!("{USERS}{i}");
        let variant = if i % 2 == 0 {
            ofrep(f.addr, PROBE, &json!({"targetingKey": user}))?["variant"].clone()
        } else {
            let r = http::get(f.addr, &format!("/feature-flags/{PROBE}?userId={user}"))?;
            expect_json(&r, 200)?["variant"].clone()
        };
        *served
            .entry(variant.as_str().unwrap_or_default().into())
            .or_default() += 1;
    }
    let want = 401;
    let answer = counted_by(f, &metrics_path(), want, started + Duration::from_secs(20))?;
    eprintln!(
        "          {want} evaluations counted after {} ms: {}",
        started.elapsed().as_millis(),
        answer["totals"]["variants"]
    );
    for (variant, n) in &served {
        let counted = answer["totals"]["variants"][variant].as_u64().unwrap_or(0);
        expect(counted == *n, || {
            format!("variant {variant}: served {n}, counted {counted}")
        })?;
    }
    let unique = answer["totals"]["uniqueContexts"].as_u64().unwrap_or(0);
    expect((390..=410).contains(&unique), || {
        format!("{unique} unique contexts for 401 users")
    })?;
    expect(answer["lastEvaluatedAt"].is_string(), || {
        format!("{answer}")
    })?;
    prometheus_agrees(f, &answer)
}

/// The metrics answer at `path` once it counts exactly `want` evaluations; a failure when it
/// counts more, or fewer by `deadline`.
pub(super) fn counted_by(f: &Fixture, path: &str, want: u64, deadline: Instant) -> Result<Value> {
    loop {
        let answer = get_ok(f.addr, path, VIEWER)?;
        let counted = answer["totals"]["evaluations"].as_u64().unwrap_or(0);
        expect(counted <= want, || {
            format!("counted {counted} of {want}: {answer}")
        })?;
        if counted == want {
            return Ok(answer);
        }
        expect(Instant::now() < deadline, || {
            format!("by the deadline the metrics show {counted} of {want}")
        })?;
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn prometheus_agrees(f: &Fixture, answer: &Value) -> Result {
    let r = super::api::call(
        f.addr,
        "GET",
        "/api/v1/metrics/prometheus",
        Some(ADMIN),
        None,
        None,
    )?;
    expect(r.status == 200, || format!("{} {}", r.status, r.text()))?;
    let text = r.text();
    expect(
        text.lines()
            .any(|l| l.starts_with("burgee_publication_lag_seconds{environment=\"production\"} ")),
        || format!("no publication lag for production in:\n{text}"),
    )?;
    let mut by_variant: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines().filter(|l| {
        l.starts_with("burgee_evaluations_total{")
            && l.contains(&format!("flag=\"{PROBE}\""))
            && l.contains("environment=\"production\"")
    }) {
        let variant = line
            .split("variant=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default();
        let n: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1.0);
        *by_variant.entry(variant.into()).or_default() += n as u64;
    }
    for (variant, n) in answer["totals"]["variants"]
        .as_object()
        .into_iter()
        .flatten()
    {
        expect(by_variant.get(variant).copied() == n.as_u64(), || {
            format!(
                "Prometheus {by_variant:?}, the metrics API {}",
                answer["totals"]["variants"]
            )
        })?;
    }
    Ok(())
}

/// Every file under `dir` (the worker's persisted state): none holds a test user's id.
pub(super) fn no_user_stored(dir: &Path) -> Result {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Failed(format!("{}: {e}", d.display())))? {
            let path = entry.map_err(|e| Failed(e.to_string()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files += 1;
                expect(
                    !bytes.windows(USERS.len()).any(|w| w == USERS.as_bytes()),
                    || format!("{} holds a test user's id", path.display()),
                )?;
            }
        }
    }
    expect(files > 0, || {
        format!("no stored files under {}", dir.display())
    })
}
