//! The requests every check makes: admin calls with a token and an `If-Match`, writes that
//! must make exactly the next version, and the store's state a refusal must leave alone.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::{ADMIN, EDITOR, VIEWER};
use crate::e2e::{expect, expect_json};
use crate::http::{self, Response};
use crate::{Failed, Result};

/// Each call comes from its own client address (`CF-Connecting-IP`): the store throttles an
/// address after ten failed sign-ins a minute, and the matrix fails sign-ins on purpose (the
/// throttle has its own check, from an address of its own).
fn next_address() -> String {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.1", n / 250 % 250, n % 250)
}

pub(super) fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<&[u8]>,
) -> Result<Response> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let address = next_address();
    let mut headers = vec![("CF-Connecting-IP", address.as_str())];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth.as_str()));
    }
    if let Some(m) = if_match {
        headers.push(("If-Match", m));
    }
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    http::request(addr, method, path, &headers, body)
}

/// A write without `If-Match` as `token`, retried when wrangler dev's proxy (not the worker)
/// answers 503 "Your worker restarted mid-request": it does so when it loses a request in
/// flight under concurrent load (seen in 2 of 5 local runs) and never retries one itself. Only
/// that answer is retried, at most 3 times. Answers the response and the number of retries: a
/// retried request may have been applied before the proxy lost it, so callers counting
/// versions allow one more per retry.
pub(super) fn call_retrying_proxy(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &[u8],
) -> Result<(Response, u64)> {
    let mut retried = 0;
    loop {
        let r = call(addr, method, path, Some(token), None, Some(body))?;
        if r.status == 503 && r.text().contains("restarted mid-request") && retried < 3 {
            retried += 1;
            continue;
        }
        return Ok((r, retried));
    }
}

pub(super) fn get_ok(addr: SocketAddr, path: &str, token: &str) -> Result<Value> {
    expect_json(&call(addr, "GET", path, Some(token), None, None)?, 200)
        .map_err(|Failed(why)| Failed(format!("GET {path}: {why}")))
}

pub(super) fn version(addr: SocketAddr) -> Result<u64> {
    get_ok(addr, "/api/v1/document", VIEWER)?["version"]
        .as_u64()
        .ok_or_else(|| Failed("GET /api/v1/document has no version".into()))
}

pub(super) fn etag(v: u64) -> String {
    format!("\"{v}\"")
}

/// A write based on the current version; answers the new version.
pub(super) fn write(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &Value,
    status: u16,
) -> Result<u64> {
    let current = version(addr)?;
    let text = body.to_string();
    let r = call(
        addr,
        method,
        path,
        Some(token),
        Some(&etag(current)),
        (!body.is_null()).then_some(text.as_bytes()),
    )?;
    let answer =
        expect_json(&r, status).map_err(|Failed(why)| Failed(format!("{method} {path}: {why}")))?;
    let next = answer["version"]
        .as_u64()
        .ok_or_else(|| Failed(format!("{method} {path} answered no version: {answer}")))?;
    expect(next == current + 1, || {
        format!("{method} {path} made version {next} from {current}")
    })?;
    expect(r.header("etag") == Some(etag(next).as_str()), || {
        format!("ETag {:?}, want {}", r.header("etag"), etag(next))
    })?;
    Ok(next)
}

/// The newest audit entry's id (0 when there is none).
pub(super) fn last_audit_id(addr: SocketAddr) -> Result<u64> {
    let audit = get_ok(addr, "/api/v1/audit?limit=1", ADMIN)?;
    Ok(audit["entries"]
        .get(0)
        .and_then(|e| e["id"].as_u64())
        .unwrap_or(0))
}

/// Everything a refused request must leave alone.
pub(super) fn state(addr: SocketAddr) -> Result<(Value, u64)> {
    Ok((
        get_ok(addr, "/api/v1/document", ADMIN)?,
        last_audit_id(addr)?,
    ))
}

pub(super) fn unchanged(addr: SocketAddr, before: &(Value, u64), what: &str) -> Result {
    let after = state(addr)?;
    expect(after.0 == before.0, || {
        format!(
            "{what}: the document changed (version {} → {})",
            before.0["version"], after.0["version"]
        )
    })?;
    expect(after.1 == before.1, || {
        format!("{what}: the audit log grew ({} → {})", before.1, after.1)
    })
}

/// An operator's shortcut as the editor (no `If-Match`); answers its `200` body.
pub(super) fn shortcut(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Result<Value> {
    let r = call(addr, method, path, Some(EDITOR), None, Some(body))?;
    expect_json(&r, 200)
}

/// OFREP single evaluation on the public data plane.
pub(super) fn ofrep(addr: SocketAddr, key: &str, context: &Value) -> Result<Value> {
    let body = json!({ "context": context }).to_string();
    let r = http::request(
        addr,
        "POST",
        &format!("/ofrep/v1/evaluate/flags/{key}"),
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )?;
    expect_json(&r, 200)
}

/// The store's own evaluation of every flag for `context` (read-your-writes).
pub(super) fn store_evaluate(
    addr: SocketAddr,
    environment: &str,
    context: &Value,
) -> Result<Value> {
    let body = json!({ "environment": environment, "context": context }).to_string();
    let r = call(
        addr,
        "POST",
        "/api/v1/evaluate",
        Some(VIEWER),
        None,
        Some(body.as_bytes()),
    )?;
    expect_json(&r, 200)
}

pub(super) fn contexts() -> Vec<Value> {
    let mut all = vec![
        json!({"targetingKey": "user-1001"}),
        json!({"targetingKey": "user-9001", "email": "x@tasksapp.io"}),
        json!({"targetingKey": "u-anon"}),
        json!({"targetingKey": "u-admin", "role": "admin", "plan": "enterprise"}),
        json!({"targetingKey": "u-org", "orgId": "org-acme-logistics", "plan": "pro"}),
        json!({"targetingKey": "u-mobile", "platform": "ios", "appVersion": "3.1.0", "locale": "de-DE"}),
    ];
    all.extend((0..24).map(|i| json!({"targetingKey": format!("user-{i}"), "plan": "pro", "orgId": format!("org-{i}")})));
    all
}

pub(super) fn evaluations(addr: SocketAddr) -> Result<Vec<Value>> {
    contexts()
        .iter()
        .map(|c| store_evaluate(addr, "production", c).map(|mut e| e["results"].take()))
        .collect()
}

/// Joins scoped threads in order: each one's result, a panic as a failure.
pub(super) fn join_all<T>(
    handles: Vec<std::thread::ScopedJoinHandle<'_, Result<T>>>,
) -> Vec<Result<T>> {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(Failed("an operator panicked".into())))
        })
        .collect()
}
