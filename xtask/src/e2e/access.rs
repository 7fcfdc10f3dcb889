//! Who may evaluate, against the real worker: evaluation keys (`EVALUATION_KEYS`) and the rate
//! limit (the `EVALUATION_RATE_LIMIT` binding, as `wrangler dev` simulates it).
//!
//! One worker with the example document's snapshots seeded into KV, four keys (`web`, a client
//! key for production only, `ops`, a server key for every environment, `burst` and `shared`
//! for the rate-limit checks) and the limit lowered to [`LIMIT`] requests per key and client
//! IP and 10 s window (an edited copy of wrangler.toml; the shipped one allows 2000).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use super::{Check, EventStream, expect, expect_error, expect_json, run_checks};
use crate::admin_api::token_hash;
use crate::http::{self, Response};
use crate::seed;
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

const WEB: &str = "pk-web-3f9a1c";
const OPS: &str = "pk-ops-77d2e0";
const BURST: &str = "pk-burst-c41b8e";
const SHARED: &str = "pk-shared-0a77d3";
const LIMIT: u32 = 25;
const BODY: &[u8] = br#"{"context": {"targetingKey": "user-1", "role": "admin"}}"#;

const CHECKS: &[(&str, Check<SocketAddr>)] = &[
    (
        "no key: 401 JSON with WWW-Authenticate and CORS on OFREP, REST, snapshot and stream",
        no_key,
    ),
    ("an unknown key: 401", unknown_key),
    (
        "a key for production only: 200 there, 403 for staging (by path prefix and by header)",
        environments,
    ),
    (
        "a key by X-API-Key, by Authorization: Bearer, and by ?key= on GET only",
        presenting,
    ),
    (
        "health and the OFREP configuration stay public; preflight allows X-API-Key",
        public_routes,
    ),
    (
        "the change stream with a key in the query answers events",
        stream_with_key,
    ),
    (
        "the stock OFREP web provider sends its key and resolves every flag",
        provider,
    ),
    (
        "past the rate limit: 429 with Retry-After and CORS, counted per key",
        rate_limit,
    ),
    (
        "one key, two client IPs: the abuser gets 429, the other still 200",
        rate_limit_per_ip,
    ),
    (
        "a client key sees only the clientSide flags, a server key every flag",
        audiences,
    ),
    (
        "the snapshot route is Cache-Control: private where keys are required",
        snapshot_private,
    ),
    (
        "an evaluation body over the cap: 413 JSON, by declared length and chunked",
        large_bodies,
    ),
];

pub fn run() -> Result {
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let keys = json!([
        {"name": "web", "sha256": token_hash(WEB), "environments": ["production"]},
        {"name": "ops", "sha256": token_hash(OPS), "kind": "server"},
        {"name": "burst", "sha256": token_hash(BURST)},
        {"name": "shared", "sha256": token_hash(SHARED)},
    ]);
    let options = Options {
        seed: seed::snapshots(&example, 1, str::to_string)?,
        control_vars: Vec::new(),
        vars: vec![("EVALUATION_KEYS".into(), keys.to_string())],
    };
    let mut server = Wrangler::ephemeral_rate_limited(&options, LIMIT)?;
    server.wait_healthy(READY_TIMEOUT)?;
    run_checks(&server, &server.addr(), CHECKS)
}

fn bulk(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http::request(addr, "POST", path, &all, Some(BODY))
}

fn refused(r: &Response, status: u16, code: &str, what: &str) -> Result {
    expect_error(r, status, code).map_err(|Failed(why)| Failed(format!("{what}: {why}")))?;
    expect(r.header("access-control-allow-origin") == Some("*"), || {
        format!("{what}: a refusal without CORS (a browser could not read it)")
    })
}

fn no_key(addr: &SocketAddr) -> Result {
    let addr = *addr;
    for (what, r) in [
        ("OFREP bulk", bulk(addr, "/ofrep/v1/evaluate/flags", &[])?),
        (
            "OFREP single",
            bulk(addr, "/ofrep/v1/evaluate/flags/daily-planning", &[])?,
        ),
        ("REST", http::get(addr, "/feature-flags?userId=u1")?),
        (
            "REST one",
            http::get(addr, "/feature-flags/daily-planning?userId=u1")?,
        ),
        ("snapshot", http::get(addr, "/v1/snapshot/production")?),
        ("stream", http::get(addr, "/v1/stream/production")?),
    ] {
        refused(&r, 401, "unauthenticated", what)?;
        expect(r.header("www-authenticate").is_some(), || {
            format!("{what}: 401 without WWW-Authenticate")
        })?;
    }
    Ok(())
}

fn unknown_key(addr: &SocketAddr) -> Result {
    let r = bulk(
        *addr,
        "/ofrep/v1/evaluate/flags",
        &[("X-API-Key", "pk-guess")],
    )?;
    refused(&r, 401, "unauthenticated", "X-API-Key: pk-guess")?;
    let r = http::get(*addr, "/v1/snapshot/production?key=pk-guess")?;
    refused(&r, 401, "unauthenticated", "?key=pk-guess")
}

fn environments(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let r = bulk(addr, "/ofrep/v1/evaluate/flags", &[("X-API-Key", WEB)])?;
    let body = expect_json(&r, 200)?;
    expect(
        body["flags"].as_array().is_some_and(|f| f.len() > 5),
        || format!("production with the web key: {body}"),
    )?;
    let r = bulk(
        addr,
        "/env/staging/ofrep/v1/evaluate/flags",
        &[("X-API-Key", WEB)],
    )?;
    refused(&r, 403, "forbidden", "staging by path prefix")?;
    let r = bulk(
        addr,
        "/ofrep/v1/evaluate/flags",
        &[("X-API-Key", WEB), ("X-Burgee-Environment", "staging")],
    )?;
    refused(&r, 403, "forbidden", "staging by header")?;
    let r = bulk(
        addr,
        "/env/staging/ofrep/v1/evaluate/flags",
        &[("X-API-Key", OPS)],
    )?;
    expect_json(&r, 200).map(|_| ())
}

fn presenting(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let bearer = format!("Bearer {OPS}");
    let r = bulk(
        addr,
        "/ofrep/v1/evaluate/flags/daily-planning",
        &[("Authorization", &bearer)],
    )?;
    let body = expect_json(&r, 200)?;
    expect(body["key"] == json!("daily-planning"), || {
        format!("bearer: {body}")
    })?;
    let r = http::get(
        addr,
        &format!("/feature-flags/daily-planning?userId=u1&key={OPS}"),
    )?;
    expect_json(&r, 200)?;
    let r = http::get(addr, &format!("/v1/snapshot/production?key={WEB}"))?;
    expect(r.status == 200 && !r.body.is_empty(), || {
        format!("snapshot with ?key=: {} {}", r.status, r.text())
    })?;
    // A POST cannot carry its key in the URL (it would end up in logs for nothing).
    let r = bulk(addr, &format!("/ofrep/v1/evaluate/flags?key={OPS}"), &[])?;
    refused(&r, 401, "unauthenticated", "POST with ?key=")
}

fn public_routes(addr: &SocketAddr) -> Result {
    let addr = *addr;
    expect_json(&http::get(addr, "/health")?, 200)?;
    expect_json(&http::get(addr, "/ofrep/v1/configuration")?, 200)?;
    let r = http::request(
        addr,
        "OPTIONS",
        "/ofrep/v1/evaluate/flags",
        &[
            ("Origin", "http://127.0.0.1:9"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "x-api-key, content-type"),
        ],
        None,
    )?;
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    expect(
        r.status == 204 && allowed.contains("x-api-key") && allowed.contains("authorization"),
        || format!("preflight {} allows {allowed:?}", r.status),
    )
}

fn stream_with_key(addr: &SocketAddr) -> Result {
    let mut stream = EventStream::open_path(*addr, &format!("/v1/stream/production?key={WEB}"))?;
    let hello = stream.next(Duration::from_secs(10), |e| e["type"] == json!("connected"))?;
    expect(hello["environment"] == json!("production"), || {
        format!("hello {hello}")
    })?;
    // The web key does not cover staging.
    let r = http::get(*addr, &format!("/v1/stream/staging?key={WEB}"))?;
    refused(&r, 403, "forbidden", "stream for staging with the web key")
}

fn provider(addr: &SocketAddr) -> Result {
    super::ofrep_provider(*addr, Some(OPS))
}

fn rate_limit(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let mut ok = 0;
    let mut refusal = None;
    // Bounded: at most 4 × LIMIT requests (a window may turn over once mid-burst).
    for _ in 0..4 * LIMIT {
        let r = bulk(addr, "/ofrep/v1/evaluate/flags", &[("X-API-Key", BURST)])?;
        match r.status {
            200 => ok += 1,
            429 => {
                refusal = Some(r);
                break;
            }
            other => return Err(Failed(format!("status {other}: {}", r.text()))),
        }
    }
    let r = refusal.ok_or_else(|| Failed(format!("{} requests, never a 429", 4 * LIMIT)))?;
    expect((LIMIT..=2 * LIMIT).contains(&ok), || {
        format!("{ok} requests passed before the first 429 (limit {LIMIT} per window)")
    })?;
    refused(&r, 429, "rate_limited", "past the limit")?;
    expect(r.header("retry-after") == Some("10"), || {
        format!("Retry-After {:?}, want 10", r.header("retry-after"))
    })?;
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or_default();
    expect(exposed.contains("Retry-After"), || {
        format!("exposed headers {exposed:?}")
    })?;
    // Another key has its own count.
    let other = bulk(addr, "/ofrep/v1/evaluate/flags", &[("X-API-Key", OPS)])?;
    expect_json(&other, 200).map(|_| ())
}

fn rate_limit_per_ip(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let from = |ip: &str| {
        bulk(
            addr,
            "/ofrep/v1/evaluate/flags",
            &[("X-API-Key", SHARED), ("CF-Connecting-IP", ip)],
        )
    };
    let mut limited = false;
    for _ in 0..4 * LIMIT {
        let r = from("203.0.113.7")?;
        match r.status {
            200 => {}
            429 => {
                limited = true;
                break;
            }
            other => return Err(Failed(format!("status {other}: {}", r.text()))),
        }
    }
    expect(limited, || format!("{} requests, never a 429", 4 * LIMIT))?;
    let other = from("198.51.100.23")?;
    expect(other.status == 200, || {
        format!(
            "another client of the same key was refused: {} {}",
            other.status,
            other.text()
        )
    })
}

fn flag_keys(body: &serde_json::Value) -> Vec<String> {
    body["flags"]
        .as_array()
        .map(|flags| {
            flags
                .iter()
                .filter_map(|f| f["key"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn audiences(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let client = expect_json(
        &bulk(addr, "/ofrep/v1/evaluate/flags", &[("X-API-Key", WEB)])?,
        200,
    )?;
    let server = expect_json(
        &bulk(addr, "/ofrep/v1/evaluate/flags", &[("X-API-Key", OPS)])?,
        200,
    )?;
    let (client, server) = (flag_keys(&client), flag_keys(&server));
    expect(
        client.len() == 9 && !client.iter().any(|k| k == "ai_voice_cloning"),
        || format!("the client key sees {client:?}"),
    )?;
    expect(
        server.len() == 13 && server.iter().any(|k| k == "ai_voice_cloning"),
        || format!("the server key sees {server:?}"),
    )?;
    let one = |key: &str| {
        bulk(
            addr,
            "/ofrep/v1/evaluate/flags/ai_voice_cloning",
            &[("X-API-Key", key)],
        )
    };
    let hidden = expect_json(&one(WEB)?, 404)?;
    expect(hidden["errorCode"] == json!("FLAG_NOT_FOUND"), || {
        format!("a server-only flag asked with a client key: {hidden}")
    })?;
    expect_json(&one(OPS)?, 200).map(|_| ())
}

fn snapshot_private(addr: &SocketAddr) -> Result {
    let r = http::get(*addr, &format!("/v1/snapshot/production?key={WEB}"))?;
    let cache = r.header("cache-control").unwrap_or_default();
    expect(r.status == 200 && cache.starts_with("private"), || {
        format!("{} with Cache-Control {cache:?}", r.status)
    })
}

/// Sends a request head, then `body` chunks while the worker lets us, and reads the answer.
fn raw_exchange(addr: SocketAddr, head: &str, chunks: usize, chunk: &[u8]) -> Result<String> {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| Failed(format!("connecting: {e}")))?;
    socket
        .set_write_timeout(Some(Duration::from_secs(10)))
        .and_then(|()| socket.set_read_timeout(Some(Duration::from_secs(20))))
        .map_err(|e| Failed(e.to_string()))?;
    socket
        .write_all(head.as_bytes())
        .map_err(|e| Failed(format!("writing the head: {e}")))?;
    // The worker may answer (and close) before the body is through: stop writing then.
    for _ in 0..chunks {
        if socket.write_all(chunk).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn large_bodies(addr: &SocketAddr) -> Result {
    let addr = *addr;
    let path = "/ofrep/v1/evaluate/flags";
    // 100 MB declared and sent (`wrangler dev`'s proxy hands the worker a request only once its
    // body is through); the worker refuses it by its declared length, without reading it.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {OPS}\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_exchange(addr, &head, 1600, &[b' '; 65_536])?;
    expect(
        answer.starts_with("HTTP/1.1 413") && answer.contains("payload_too_large"),
        || {
            format!(
                "100 MB declared: {}",
                answer.chars().take(400).collect::<String>()
            )
        },
    )?;
    // Chunked, no length: two 64 KiB chunks, over the cap, then the last chunk. (Far more,
    // and `wrangler dev`'s proxy answers 503 itself when the worker refuses the request before
    // the proxy is done sending it.)
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {OPS}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut chunk = b"10000\r\n".to_vec();
    chunk.extend_from_slice(&[b' '; 65_536]);
    chunk.extend_from_slice(b"\r\n");
    let mut body = chunk.repeat(2);
    body.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(addr, &head, 1, &body)?;
    expect(
        answer.starts_with("HTTP/1.1 413") && answer.contains("payload_too_large"),
        || format!("chunked: {}", answer.chars().take(400).collect::<String>()),
    )?;
    // The isolate is fine afterwards.
    expect_json(&bulk(addr, path, &[("X-API-Key", OPS)])?, 200).map(|_| ())
}
