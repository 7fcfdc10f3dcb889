//! Server-only flags stay on the server: a leak scan of every public route.
//!
//! The example document gains one flag without `clientSide` whose key, variant, value, rule id
//! and segment id all carry [`MARKER`], then is seeded into two workers: one without evaluation
//! keys (everyone is a client) and one with a client key and a server key. Every public route
//! is asked as a client (no key, or the client key) and the marker must appear nowhere in the
//! answers' bodies or headers; asking for the server-only flag by key must answer exactly what
//! a flag that does not exist answers. The server key, and only it, sees the flag (so the scan
//! would see a leak if there were one).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::{EventStream, expect, expect_json};
use crate::admin_api::token_hash;
use crate::http::{self, Response};
use crate::seed;
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

/// In every name of the server-only flag; must never reach a client.
const MARKER: &str = "zq-srv";
const SECRET_FLAG: &str = "zq-srv-flag-7c1";
const MISSING_FLAG: &str = "zq-cli-absent-7c1";
const CLIENT_KEY: &str = "pk-leak-client-51e0";
const SERVER_KEY: &str = "sk-leak-server-9b4d";
const BODY: &[u8] = br#"{"context": {"targetingKey": "user-1001", "role": "admin"}}"#;

/// The example document with the marked server-only flag and its segment.
fn fixture() -> Result<String> {
    let text = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let mut document: Value =
        serde_json::from_str(&text).map_err(|e| Failed(format!("the example is not JSON: {e}")))?;
    document["segments"]["zq-srv-segment-7c1"] = json!({
        "description": "zq-srv-segment-description",
        "include": ["user-1001"],
    });
    let env = json!({
        "enabled": true,
        "offVariant": "zq-srv-variant-plain",
        "rules": [{
            "id": "zq-srv-rule-7c1",
            "clauses": [{"op": "inSegment", "values": ["zq-srv-segment-7c1"]}],
            "serve": {"variant": "zq-srv-variant-7c1"},
        }],
        "defaultServe": {"variant": "zq-srv-variant-7c1"},
    });
    document["flags"][SECRET_FLAG] = json!({
        "name": "zq-srv-name",
        "kind": "string",
        "variants": {"zq-srv-variant-7c1": "zq-srv-value-7c1", "zq-srv-variant-plain": "zq-srv-value-plain"},
        "environments": {"development": env, "staging": env, "production": env},
    });
    Ok(document.to_string())
}

pub fn run() -> Result {
    let seeded = seed::snapshots(&fixture()?, 1, str::to_string)?;
    let public = Options {
        seed: seeded.clone(),
        ..Options::default()
    };
    let mut server = Wrangler::ephemeral_with(&public)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let result = scan(server.addr(), &[]).and_then(|()| no_oracle(server.addr(), &[]));
    report("no keys configured, no key", &server, result)?;
    drop(server);

    let keys = json!([
        {"name": "app", "sha256": token_hash(CLIENT_KEY)},
        {"name": "backend", "sha256": token_hash(SERVER_KEY), "kind": "server"},
    ]);
    let keyed = Options {
        seed: seeded,
        vars: vec![("EVALUATION_KEYS".into(), keys.to_string())],
        ..Options::default()
    };
    let mut server = Wrangler::ephemeral_with(&keyed)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let client = [("X-API-Key", CLIENT_KEY)];
    let result = scan(server.addr(), &client).and_then(|()| no_oracle(server.addr(), &client));
    report("a client key", &server, result)?;
    let result = scan(server.addr(), &[]);
    report("keys configured, no key", &server, result)?;
    report(
        "a server key sees the server-only flag",
        &server,
        server_sees(server.addr()),
    )
}

fn report(what: &str, server: &Wrangler, result: Result) -> Result {
    match result {
        Ok(()) => {
            eprintln!("  ok      leak scan, {what}");
            Ok(())
        }
        Err(Failed(why)) => {
            eprintln!("  FAILED  leak scan, {what}: {why}");
            Err(server.failed(&format!("leak scan, {what}: {why}")))
        }
    }
}

fn post(addr: SocketAddr, path: &str, key: &[(&str, &str)]) -> Result<Response> {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(key);
    http::request(addr, "POST", path, &headers, Some(BODY))
}

fn get(addr: SocketAddr, path: &str, key: &[(&str, &str)]) -> Result<Response> {
    http::request(addr, "GET", path, key, None)
}

/// The marker anywhere in `r`'s headers or body (bytes: the snapshot is binary).
fn leaks(r: &Response) -> bool {
    let headers = r.headers.iter().any(|(n, v)| {
        n.to_ascii_lowercase().contains(MARKER) || v.to_ascii_lowercase().contains(MARKER)
    });
    headers || r.body.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

fn scan(addr: SocketAddr, key: &[(&str, &str)]) -> Result {
    let mut answers = Vec::new();
    for prefix in ["", "/env/production", "/env/staging"] {
        let bulk = format!("{prefix}/ofrep/v1/evaluate/flags");
        answers.push((bulk.clone(), post(addr, &bulk, key)?));
        let one = format!("{prefix}/ofrep/v1/evaluate/flags/outbound_calling");
        answers.push((one.clone(), post(addr, &one, key)?));
        let rest = format!("{prefix}/feature-flags?userId=user-1001&role=admin");
        answers.push((rest.clone(), get(addr, &rest, key)?));
        let rest_one = format!("{prefix}/feature-flags/outbound_calling?userId=user-1001");
        answers.push((rest_one.clone(), get(addr, &rest_one, key)?));
    }
    for path in [
        "/v1/snapshot/production",
        "/v1/snapshot/staging",
        "/health",
        "/feature-flags/health",
        "/ofrep/v1/configuration",
    ] {
        answers.push((path.to_string(), get(addr, path, key)?));
    }
    let mut leaked: Vec<String> = answers
        .iter()
        .filter(|(_, r)| leaks(r))
        .map(|(path, r)| format!("{path}: {} {}", r.status, r.text()))
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|(_, r)| r.status).collect();
    // The stream's first event, where the stream is open to this caller (a refusal is `Err`).
    let query = key
        .first()
        .map_or(String::new(), |(_, k)| format!("?key={k}"));
    if let Ok(mut stream) = EventStream::open_path(addr, &format!("/v1/stream/production{query}"))
        && let Ok(first) = stream.next(Duration::from_secs(5), |_| true)
        && first.to_string().contains(MARKER)
    {
        leaked.push(format!("stream: {first}"));
    }
    expect(leaked.is_empty(), || {
        format!("server-only names reached a client:\n{}", leaked.join("\n"))
    })?;
    expect(statuses.iter().any(|s| *s == 200 || *s == 401), || {
        format!("nothing answered: {statuses:?}")
    })
}

/// Asking for the server-only flag by key answers what asking for a missing flag answers.
fn no_oracle(addr: SocketAddr, key: &[(&str, &str)]) -> Result {
    let same = |secret: Response, missing: Response, what: &str| {
        let secret_text = secret.text().replace(SECRET_FLAG, MISSING_FLAG);
        expect(
            secret.status == 404
                && secret.status == missing.status
                && secret_text == missing.text(),
            || {
                format!(
                    "{what}: the server-only flag answers {} {}, a missing one {} {}",
                    secret.status,
                    secret.text(),
                    missing.status,
                    missing.text()
                )
            },
        )
    };
    let ofrep = |flag: &str| post(addr, &format!("/ofrep/v1/evaluate/flags/{flag}"), key);
    same(ofrep(SECRET_FLAG)?, ofrep(MISSING_FLAG)?, "OFREP")?;
    let rest = |flag: &str| {
        get(
            addr,
            &format!("/feature-flags/{flag}?userId=user-1001"),
            key,
        )
    };
    same(rest(SECRET_FLAG)?, rest(MISSING_FLAG)?, "REST")
}

fn server_sees(addr: SocketAddr) -> Result {
    let key = [("X-API-Key", SERVER_KEY)];
    let bulk = post(addr, "/ofrep/v1/evaluate/flags", &key)?;
    expect(bulk.status == 200 && leaks(&bulk), || {
        format!(
            "the server key's bulk answer lacks the flag: {}",
            bulk.text()
        )
    })?;
    let one = expect_json(
        &post(
            addr,
            &format!("/ofrep/v1/evaluate/flags/{SECRET_FLAG}"),
            &key,
        )?,
        200,
    )?;
    expect(
        one["value"] == "zq-srv-value-7c1" && one["metadata"]["ruleId"] == "zq-srv-rule-7c1",
        || format!("the server key's answer: {one}"),
    )
}
