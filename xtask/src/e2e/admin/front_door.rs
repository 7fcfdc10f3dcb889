//! The data plane's front door as the store sees it: failed admin sign-ins audited and
//! throttled per client address, environments the store does not have refused at once, and
//! `/health`'s details kept for admins.

use std::time::Duration;

use serde_json::{Value, json};

use super::api::get_ok;
use super::{ADMIN, Fixture};
use crate::e2e::{EventStream, expect, expect_error, expect_json};
use crate::http;
use crate::{Failed, Result};

/// The address the throttle check signs in from (no other check uses it).
const GUESSER: &str = "198.51.100.77";

fn from(addr: std::net::SocketAddr, address: &str, token: &str) -> Result<http::Response> {
    let auth = format!("Bearer {token}");
    http::request(
        addr,
        "GET",
        "/api/v1/document",
        &[("Authorization", &auth), ("CF-Connecting-IP", address)],
        None,
    )
}

pub(super) fn failed_sign_ins(f: &Fixture) -> Result {
    // Asking with nothing at all (the admin app's "am I signed in?") is no guess: 401 each
    // time, never counted, so the address is not throttled by it.
    for i in 0..15 {
        let r = http::request(
            f.addr,
            "GET",
            "/api/v1/whoami",
            &[("CF-Connecting-IP", GUESSER)],
            None,
        )?;
        expect_error(&r, 401, "unauthenticated")
            .map_err(|Failed(why)| Failed(format!("anonymous whoami {i}: {why}")))?;
    }
    expect_json(&from(f.addr, GUESSER, ADMIN)?, 200)
        .map_err(|Failed(why)| Failed(format!("after 15 anonymous requests: {why}")))?;
    for i in 0..10 {
        let r = from(f.addr, GUESSER, &format!("guess-{i}"))?;
        expect_error(&r, 401, "unauthenticated")
            .map_err(|Failed(why)| Failed(format!("guess {i}: {why}")))?;
    }
    // The eleventh request from that address waits, whatever it carries: a right token too.
    for token in ["guess-10", ADMIN] {
        let r = from(f.addr, GUESSER, token)?;
        expect_error(&r, 429, "rate_limited")?;
        let wait = r
            .header("retry-after")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        expect((1..=60).contains(&wait), || {
            format!("Retry-After {:?}", r.header("retry-after"))
        })?;
    }
    expect_json(&from(f.addr, "198.51.100.78", ADMIN)?, 200)
        .map_err(|Failed(why)| Failed(format!("another address: {why}")))?;
    let audit = get_ok(f.addr, "/api/v1/audit?actor=anonymous&limit=100", ADMIN)?;
    let entries: Vec<&Value> = audit["entries"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| {
                    e["action"] == json!("sign-in-failed")
                        && e["summary"].as_str().is_some_and(|s| s.contains(GUESSER))
                })
                .collect()
        })
        .unwrap_or_default();
    expect(entries.len() == 10, || {
        format!(
            "{} audit entries for the 10 failures: {audit}",
            entries.len()
        )
    })
}

pub(super) fn unknown_environment(f: &Fixture) -> Result {
    let ctx = br#"{"context": {"targetingKey": "u1"}}"#;
    let post = |path: &str| {
        http::request(
            f.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(ctx),
        )
    };
    // A known environment first: the isolate then holds the store's list of them.
    expect_json(&post("/env/production/ofrep/v1/evaluate/flags")?, 200)?;
    for (what, r) in [
        ("OFREP bulk", post("/env/moon/ofrep/v1/evaluate/flags")?),
        (
            "OFREP single",
            post("/env/moon/ofrep/v1/evaluate/flags/daily-planning")?,
        ),
        (
            "REST",
            http::get(f.addr, "/env/moon/feature-flags?userId=u1")?,
        ),
        ("snapshot", http::get(f.addr, "/v1/snapshot/moon")?),
        ("stream", http::get(f.addr, "/v1/stream/moon")?),
    ] {
        expect_error(&r, 404, "environment_not_found")
            .map_err(|Failed(why)| Failed(format!("{what}: {why}")))?;
    }
    // The stream of a known one still opens.
    let mut stream = EventStream::open(f.addr, "production")?;
    stream
        .next(Duration::from_secs(10), |e| e["type"] == json!("connected"))
        .map(|_| ())
}

pub(super) fn health_details(f: &Fixture) -> Result {
    let public = expect_json(&http::get(f.addr, "/health")?, 200)?;
    let text = public.to_string();
    expect(
        public["snapshots"][0]["served"].as_u64().is_some()
            && ["ageSeconds", "stale", "overrides", "problem", "lagSeconds"]
                .iter()
                .all(|internal| !text.contains(internal)),
        || format!("public /health: {public}"),
    )?;
    let auth = format!("Bearer {ADMIN}");
    let admin = expect_json(
        &http::request(f.addr, "GET", "/health", &[("Authorization", &auth)], None)?,
        200,
    )?;
    expect(
        admin["snapshots"][0]["stale"] == json!(false)
            && admin["snapshots"][0]["ageSeconds"].as_f64().is_some(),
        || format!("/health for an admin: {admin}"),
    )
}
