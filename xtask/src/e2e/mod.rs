//! End-to-end checks against the real worker in workerd (started by [`crate::wrangler`]).
//!
//! Suites, each with its own worker instance (configuration differs): [`basics`] (an empty
//! worker: health, JSON errors), [`evaluation`] (OFREP, REST, snapshots, overrides, fail-closed,
//! the whole corpus over HTTP, the stock OpenFeature OFREP provider in Node) and [`gating`]
//! (the worker in front of a real local origin) and [`selfhosted`] (`edge-worker/workerd.capnp`
//! on a bare workerd, as users self-host it). Each check is a named function; all of them
//! run, each is reported, and the suite fails if any did.

mod admin;
mod basics;
mod evaluation;
mod gating;
mod origin;
mod selfhosted;

use serde_json::{Value, json};

use crate::http::Response;
use crate::wrangler::Wrangler;
use crate::{Failed, Result};

/// A check of a suite, given the suite's fixture.
pub type Check<T> = fn(&T) -> Result;

/// Runs every suite; fails if any check failed.
pub fn run() -> Result {
    let mut failed = Vec::new();
    // `BURGEE_E2E_ONLY=admin,gating` runs only the suites whose names contain one of those.
    let only = std::env::var("BURGEE_E2E_ONLY").unwrap_or_default();
    let wanted = |name: &str| {
        only.trim().is_empty()
            || only
                .split(',')
                .any(|w| !w.is_empty() && name.contains(w.trim()))
    };
    for (name, suite) in [
        ("basics", basics::run as fn() -> Result),
        ("evaluation", evaluation::run),
        ("gating", gating::run),
        ("self-hosted workerd", selfhosted::run),
        ("control plane (admin API, Durable Object)", admin::run),
    ] {
        if !wanted(name) {
            continue;
        }
        eprintln!("\n-- suite: {name}");
        if let Err(Failed(why)) = suite() {
            eprintln!("suite {name} failed: {why}");
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failed(format!(
            "end-to-end suites failed: {}",
            failed.join(", ")
        )))
    }
}

/// Something whose failures carry the end of its log (wrangler, workerd).
pub trait Server {
    fn failed(&self, why: &str) -> Failed;
}

impl Server for Wrangler {
    fn failed(&self, why: &str) -> Failed {
        Wrangler::failed(self, why)
    }
}

impl Server for crate::workerd::Workerd {
    fn failed(&self, why: &str) -> Failed {
        crate::workerd::Workerd::failed(self, why)
    }
}

/// Runs `checks` against `fixture`; on failure, the error carries the end of the server's log.
pub fn run_checks<T>(server: &impl Server, fixture: &T, checks: &[(&str, Check<T>)]) -> Result {
    let mut failures = Vec::new();
    for (name, check) in checks {
        match check(fixture) {
            Ok(()) => eprintln!("  ok      {name}"),
            Err(Failed(why)) => {
                eprintln!("  FAILED  {name}: {why}");
                failures.push(*name);
            }
        }
    }
    if failures.is_empty() {
        eprintln!("{} checks passed", checks.len());
        Ok(())
    } else {
        Err(server.failed(&format!(
            "{} of {} checks failed: {}",
            failures.len(),
            checks.len(),
            failures.join("; ")
        )))
    }
}

pub fn expect(cond: bool, what: impl FnOnce() -> String) -> Result {
    if cond { Ok(()) } else { Err(Failed(what())) }
}

pub fn expect_json(r: &Response, status: u16) -> Result<Value> {
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
pub fn expect_error(r: &Response, status: u16, code: &str) -> Result {
    let body = expect_json(r, status)?;
    let message = body.pointer("/error/message").and_then(Value::as_str);
    expect(
        body.pointer("/error/code") == Some(&json!(code))
            && message.is_some_and(|m| !m.is_empty())
            && body.as_object().is_some_and(|o| o.len() == 1),
        || format!("body {body}, want {{\"error\":{{\"code\":\"{code}\",\"message\":…}}}}"),
    )
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
