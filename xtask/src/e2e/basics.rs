//! An empty worker (no snapshot, no origin): liveness and the JSON error shape.

use std::net::SocketAddr;

use serde_json::json;

use super::{Check, expect, expect_error, expect_json, run_checks};
use crate::Result;
use crate::http;
use crate::wrangler::{READY_TIMEOUT, Wrangler};

const CHECKS: &[(&str, Check<SocketAddr>)] = &[
    (
        "GET /health answers 503 unavailable without a snapshot",
        health,
    ),
    ("HEAD /health answers", health_head),
    ("an unknown path answers a JSON 404 not_found", unknown_path),
    ("GET / answers a JSON 404 not_found", root_path),
    (
        "a wrong method on a known path answers a JSON 405",
        wrong_method,
    ),
    (
        "OFREP fails closed without a snapshot: 500 GENERAL, no stack trace",
        fail_closed,
    ),
];

pub fn run() -> Result {
    let mut server = Wrangler::ephemeral()?;
    server.wait_healthy(READY_TIMEOUT)?;
    run_checks(&server, &server.addr(), CHECKS)
}

fn health(addr: &SocketAddr) -> Result {
    let r = http::get(*addr, "/health")?;
    let body = expect_json(&r, 503)?;
    // The store answers (version 0: nothing written), but no snapshot serves.
    let want = json!({"status": "unavailable", "version": env!("CARGO_PKG_VERSION"), "environment": "production", "storeVersion": 0, "snapshots": []});
    expect(body == want, || format!("body {body}, want {want}"))
}

fn health_head(addr: &SocketAddr) -> Result {
    let r = http::request(*addr, "HEAD", "/health", &[], None)?;
    expect(r.status == 503 && r.body.is_empty(), || {
        format!("status {}, body {:?}", r.status, r.text())
    })
}

fn unknown_path(addr: &SocketAddr) -> Result {
    expect_error(&http::get(*addr, "/no/such/route")?, 404, "not_found")
}

fn root_path(addr: &SocketAddr) -> Result {
    expect_error(&http::get(*addr, "/")?, 404, "not_found")
}

fn wrong_method(addr: &SocketAddr) -> Result {
    let r = http::request(*addr, "POST", "/health", &[], Some(b"{}"))?;
    expect_error(&r, 405, "method_not_allowed")
}

fn fail_closed(addr: &SocketAddr) -> Result {
    let r = http::request(
        *addr,
        "POST",
        "/ofrep/v1/evaluate/flags/any",
        &[],
        Some(b"{}"),
    )?;
    let body = expect_json(&r, 500)?;
    expect(
        body == json!({"key": "any", "errorCode": "GENERAL", "errorDetails": "no flag snapshot is available yet; callers get their defaults"}),
        || format!("body {body}"),
    )?;
    expect(r.header("retry-after") == Some("5"), || {
        "no Retry-After".into()
    })?;
    let r = http::request(*addr, "POST", "/ofrep/v1/evaluate/flags", &[], Some(b"{}"))?;
    let body = expect_json(&r, 500)?;
    expect(body["errorCode"] == "GENERAL", || {
        format!("bulk body {body}")
    })?;
    let r = http::get(*addr, "/feature-flags?userId=u")?;
    expect_error(&r, 503, "no_snapshot")
}
