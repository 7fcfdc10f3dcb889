//! End-to-end checks against the real worker in workerd (started by [`crate::wrangler`]).
//!
//! Suites, each with its own worker instance (configuration differs): [`basics`] (an empty
//! worker: health, JSON errors), [`evaluation`] (OFREP, REST, snapshots, overrides, fail-closed,
//! the whole corpus over HTTP, the stock OpenFeature OFREP provider in Node), [`gating`]
//! (the worker in front of a real local origin), [`gating_attacks`] (the same, attacked: a
//! table of hostile requests), [`selfhosted`] (`edge-worker/workerd.capnp` on a bare workerd,
//! as users self-host it), [`container`] (the container image's entrypoint, run directly: the
//! admin app on the same origin, tokens from the environment, a mounted document), [`admin`]
//! (the control plane), [`cli`] (the `burgee` command's pull, diff, push, rollout and promote
//! against it), [`access`] (evaluation keys and rate
//! limits), [`leaks`] (server-only flags never reach a client) and [`publication`] (faults,
//! freshness, streams, limits). Each check is a named function; all of them run, each is
//! reported, and the suite fails if any did.

mod access;
mod admin;
mod basics;
mod cli;
mod container;
mod evaluation;
mod gating;
mod gating_attacks;
mod leaks;
mod origin;
mod publication;
mod selfhosted;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::Response;
use crate::setup::tool_env;
use crate::wrangler::Wrangler;
use crate::{Failed, Result, root};

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
        (
            "gating: adversarial (the security review's cases)",
            gating_attacks::run,
        ),
        ("self-hosted workerd", selfhosted::run),
        (
            "container (the image's entrypoint, run directly)",
            container::run,
        ),
        ("control plane (admin API, Durable Object)", admin::run),
        (
            "the burgee CLI against the store (native and npm)",
            cli::run,
        ),
        ("evaluation keys and rate limit", access::run),
        ("leak scan (server-only flags)", leaks::run),
        (
            "publication (faults, freshness, streams, limits)",
            publication::run,
        ),
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

/// Percent-encodes a query parameter value (the admin-API contract's encoding).
pub fn encode(value: &str) -> String {
    burgee_api::percent_encode(value)
}

/// A Server-Sent Events connection over a raw socket: the HTTP head, then the chunked body
/// decoded as it arrives (chunks need not align with events).
pub struct EventStream {
    socket: TcpStream,
    raw: Vec<u8>,
    head_done: bool,
    body: Vec<u8>,
}

impl EventStream {
    /// Connects to `/v1/stream/{environment}` (`query`, if any, appended: `?key=…`).
    pub fn open(addr: SocketAddr, environment: &str) -> Result<Self> {
        Self::open_path(addr, &format!("/v1/stream/{environment}"))
    }

    pub fn open_path(addr: SocketAddr, path: &str) -> Result<Self> {
        let mut socket = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| Failed(format!("connecting to the stream: {e}")))?;
        write!(
            socket,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .map_err(|e| Failed(e.to_string()))?;
        Ok(Self {
            socket,
            raw: Vec::new(),
            head_done: false,
            body: Vec::new(),
        })
    }

    /// Moves complete chunks from `raw` to `body`.
    fn decode(&mut self) -> Result {
        if !self.head_done {
            let Some(end) = self.raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                return Ok(());
            };
            let head = String::from_utf8_lossy(&self.raw[..end]).to_ascii_lowercase();
            expect(
                head.starts_with("http/1.1 200")
                    && head.contains("text/event-stream")
                    && head.contains("transfer-encoding: chunked"),
                || format!("stream answered {head}"),
            )?;
            self.raw.drain(..end + 4);
            self.head_done = true;
        }
        while let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| Failed(format!("bad chunk size {size_text:?}")))?;
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                return Ok(());
            }
            self.body.extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
            if size == 0 {
                return Err(Failed("the stream ended".into()));
            }
        }
        Ok(())
    }

    /// The next event whose data is JSON that `want` accepts, within `timeout`.
    pub fn next(&mut self, timeout: Duration, want: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 4096];
        let mut seen = String::new();
        loop {
            self.decode()?;
            while let Some(end) = self.body.windows(2).position(|w| w == b"\n\n") {
                let event: Vec<u8> = self.body.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&event).to_string();
                seen.push_str(&text);
                for line in text.lines() {
                    if let Some(data) = line.strip_prefix("data: ")
                        && let Ok(value) = serde_json::from_str::<Value>(data)
                        && want(&value)
                    {
                        return Ok(value);
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failed(format!(
                    "no matching event within {timeout:?}; read {seen:?}"
                )));
            }
            self.socket
                .set_read_timeout(Some(left))
                .map_err(|e| Failed(e.to_string()))?;
            match self.socket.read(&mut chunk) {
                Ok(0) => return Err(Failed(format!("the stream closed; read {seen:?}"))),
                Ok(n) => self.raw.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(Failed(format!("reading the stream: {e}"))),
            }
        }
    }
}

/// The stock `@openfeature/ofrep-web-provider` in Node against the worker at `addr`
/// (`tests/e2e/ofrep-provider.test.mjs`), sending `key` as `X-API-Key` when given.
pub fn ofrep_provider(addr: SocketAddr, key: Option<&str>) -> Result {
    let script = root().join("tests/e2e/ofrep-provider.test.mjs");
    let mut command = Command::new("node");
    command
        .arg("--test")
        .arg(&script)
        .current_dir(root())
        .envs(tool_env())
        .env("BURGEE_URL", format!("http://{addr}"));
    if let Some(key) = key {
        command.env("BURGEE_KEY", key);
    }
    let output = command
        .output()
        .map_err(|e| Failed(format!("cannot run node: {e}")))?;
    expect(output.status.success(), || {
        format!(
            "node --test {} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
