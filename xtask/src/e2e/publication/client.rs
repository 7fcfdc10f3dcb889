//! The calls the publication checks make: admin writes, the public evaluation and health
//! routes, and waiting for the edge to serve something.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ADMIN, EDITOR};
use crate::e2e::expect_json;
use crate::http;
use crate::{Failed, Result};

/// An admin call with `token`; answers the response.
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    if_match: Option<u64>,
    body: Option<&[u8]>,
) -> Result<http::Response> {
    let auth = format!("Bearer {token}");
    let tag = if_match.map(|v| format!("\"{v}\""));
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(tag) = &tag {
        headers.push(("If-Match", tag.as_str()));
    }
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    http::request(addr, method, path, &headers, body)
}

pub fn get(addr: SocketAddr, path: &str) -> Result<Value> {
    expect_json(&call(addr, "GET", path, ADMIN, None, None)?, 200)
        .map_err(|Failed(why)| Failed(format!("GET {path}: {why}")))
}

pub fn version(addr: SocketAddr) -> Result<u64> {
    get(addr, "/api/v1/document")?["version"]
        .as_u64()
        .ok_or_else(|| Failed("no version".into()))
}

/// Imports `document` over whatever the store holds.
pub fn import(addr: SocketAddr, document: &Value) -> Result<u64> {
    let current = version(addr)?;
    let body = document.to_string();
    let r = call(
        addr,
        "POST",
        "/api/v1/import",
        ADMIN,
        Some(current),
        Some(body.as_bytes()),
    )?;
    let answer = expect_json(&r, 200).map_err(|Failed(why)| Failed(format!("import: {why}")))?;
    answer["version"]
        .as_u64()
        .ok_or_else(|| Failed(format!("import answered {answer}")))
}

/// The kill switch shortcut (no `If-Match`); answers the version it made.
pub fn switch(addr: SocketAddr, flag: &str, enabled: bool) -> Result<u64> {
    let body = format!("{{\"enabled\": {enabled}}}");
    let r = call(
        addr,
        "PUT",
        &format!("/feature-flags/{flag}?env=production"),
        EDITOR,
        None,
        Some(body.as_bytes()),
    )?;
    let answer =
        expect_json(&r, 200).map_err(|Failed(why)| Failed(format!("switch {flag}: {why}")))?;
    answer["version"]
        .as_u64()
        .ok_or_else(|| Failed(format!("switch answered {answer}")))
}

/// `/health` as an admin sees it (its details are not public).
pub fn health(addr: SocketAddr) -> Result<http::Response> {
    call(addr, "GET", "/health", ADMIN, None, None)
}

/// Every flag for one user, from the edge (REST): `{environment, version, flags, details}`.
pub fn served(addr: SocketAddr) -> Result<Value> {
    expect_json(&http::get(addr, "/feature-flags?userId=poller")?, 200)
}

/// Polls the edge until `done` accepts what it serves, at most `within_ms` (an answer that is
/// not yet a 200, such as `503` before the first snapshot arrives, counts as not yet).
pub fn wait_for(addr: SocketAddr, within_ms: u64, done: impl Fn(&Value) -> bool) -> Result<Value> {
    let deadline = Instant::now() + Duration::from_millis(within_ms);
    loop {
        let now = served(addr);
        if let Ok(now) = &now
            && done(now)
        {
            return Ok(now.clone());
        }
        if Instant::now() >= deadline {
            return Err(Failed(match now {
                Ok(v) => format!(
                    "the edge still serves version {} after {within_ms} ms",
                    v["version"]
                ),
                Err(Failed(why)) => format!("after {within_ms} ms the edge answers: {why}"),
            }));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sets the fault plan of the store's KV writes (`null`: none).
pub fn faults(addr: SocketAddr, plan: &str) -> Result {
    let r = call(
        addr,
        "PUT",
        "/api/v1/test/faults",
        ADMIN,
        None,
        Some(plan.as_bytes()),
    )?;
    expect_json(&r, 200).map(drop)
}
