//! End-to-end checks against the real worker in workerd (started by [`crate::wrangler`]).
//!
//! Each check is a named function of the server's address; all of them run, each is reported,
//! and the step fails if any did. Add a check to [`CHECKS`] to extend the suite.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::http::{self, Response};
use crate::wrangler::{READY_TIMEOUT, Wrangler};
use crate::{Failed, Result};

type Check = fn(SocketAddr) -> Result;

const CHECKS: &[(&str, Check)] = &[
    ("GET /health answers 200 with status and version", health),
    ("HEAD /health answers 200", health_head),
    ("an unknown path answers a JSON 404 not_found", unknown_path),
    ("GET / answers a JSON 404 not_found", root_path),
    (
        "a wrong method on a known path answers a JSON 405",
        wrong_method,
    ),
];

/// Starts a fresh worker, runs every check against it, stops it (always).
pub fn run() -> Result {
    let mut server = Wrangler::ephemeral()?;
    server.wait_healthy(READY_TIMEOUT)?;
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        match check(server.addr()) {
            Ok(()) => eprintln!("  ok      {name}"),
            Err(Failed(why)) => {
                eprintln!("  FAILED  {name}: {why}");
                failures.push(*name);
            }
        }
    }
    if failures.is_empty() {
        eprintln!("{} end-to-end checks passed", CHECKS.len());
        Ok(())
    } else {
        Err(server.failed(&format!(
            "{} of {} end-to-end checks failed: {}",
            failures.len(),
            CHECKS.len(),
            failures.join("; ")
        )))
    }
}

fn expect(cond: bool, what: impl FnOnce() -> String) -> Result {
    if cond { Ok(()) } else { Err(Failed(what())) }
}

fn expect_json(r: &Response, status: u16) -> Result<Value> {
    expect(r.status == status, || {
        format!("status {}, want {status}: {}", r.status, r.text())
    })?;
    let content_type = r.header("content-type").unwrap_or_default();
    expect(content_type.starts_with("application/json"), || {
        format!("Content-Type {content_type:?}, want application/json")
    })?;
    r.json()
}

/// `{"error":{"code":<code>,"message":<non-empty string>}}` (and nothing else at the top).
fn expect_error(r: &Response, status: u16, code: &str) -> Result {
    let body = expect_json(r, status)?;
    let message = body.pointer("/error/message").and_then(Value::as_str);
    expect(
        body.pointer("/error/code") == Some(&json!(code))
            && message.is_some_and(|m| !m.is_empty())
            && body.as_object().is_some_and(|o| o.len() == 1),
        || format!("body {body}, want {{\"error\":{{\"code\":\"{code}\",\"message\":…}}}}"),
    )
}

fn health(addr: SocketAddr) -> Result {
    let r = http::get(addr, "/health")?;
    let body = expect_json(&r, 200)?;
    // The worker's version is the workspace's, like xtask's own.
    let want = json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")});
    expect(body == want, || format!("body {body}, want {want}"))
}

fn health_head(addr: SocketAddr) -> Result {
    let r = http::request(addr, "HEAD", "/health", &[], None)?;
    expect(r.status == 200, || format!("status {}, want 200", r.status))
}

fn unknown_path(addr: SocketAddr) -> Result {
    expect_error(&http::get(addr, "/no/such/route")?, 404, "not_found")
}

fn root_path(addr: SocketAddr) -> Result {
    expect_error(&http::get(addr, "/")?, 404, "not_found")
}

fn wrong_method(addr: SocketAddr) -> Result {
    let r = http::request(addr, "POST", "/health", &[], Some(b"{}"))?;
    expect_error(&r, 405, "method_not_allowed")
}
