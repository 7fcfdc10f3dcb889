//! The data plane against the real worker: OFREP and REST on the example document, the
//! client-side snapshot, deployment overrides, fail-closed and stale snapshots, every corpus
//! case over HTTP, and the stock `@openfeature/ofrep-web-provider` in Node.
//!
//! One worker serves the example document under its own environment names and each corpus file
//! under `c<file>-<env>`, seeded into KV before it starts, with a 1 s snapshot TTL (so the stale
//! check does not wait long), `FF_SMS_CAMPAIGNS=false`, and `now` overrides allowed (corpus
//! cases carry their own evaluation time). Every flag is asked for, so every request presents a
//! server key ([`KEY`]; clients see only the `clientSide` flags, which the `leaks` and `access`
//! suites check), and `/health` is asked with an admin token (its details are the admin's).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use burgee_tests::{check, eval_files};
use serde_json::{Value, json};

use super::{Check, encode, expect, expect_error, expect_json, run_checks};
use crate::admin_api::{admin_vars, token_hash};
use crate::http;
use crate::seed::{self, KvEntry};
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

/// The server key every evaluation request presents, and the admin token `/health` is asked with.
const KEY: &str = "sk-evaluation-5e21";
const ADMIN: &str = "admin-evaluation-d03c";

pub struct Fixture {
    addr: SocketAddr,
    /// (corpus file, environment) → the environment name it is published under.
    aliases: BTreeMap<(String, String), String>,
    state: std::path::PathBuf,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    ("health reports the production snapshot, fresh", health),
    (
        "OFREP single: value, variant, reason and rule id",
        ofrep_single,
    ),
    (
        "OFREP single: the environment from the path prefix or the header",
        ofrep_environment,
    ),
    (
        "OFREP single: 404 for an unknown flag, 400 for bad bodies, 413 for one over 64 KiB",
        ofrep_single_errors,
    ),
    (
        "OFREP bulk: every flag, ETag, 304 when unchanged, CORS",
        ofrep_bulk,
    ),
    ("CORS preflight on the evaluation routes", preflight),
    (
        "FF_SMS_CAMPAIGNS=false pins the flag (STATIC)",
        override_variable,
    ),
    ("REST: /feature-flags and /feature-flags/{key}", rest),
    (
        "GET /v1/snapshot/{env}: client-side flags only, ETag, 304, cache headers",
        snapshot_route,
    ),
    (
        "an environment with no snapshot fails closed; garbage in KV too",
        fail_closed,
    ),
    (
        "every corpus case over HTTP matches its expectation",
        corpus,
    ),
    (
        "the stock @openfeature/ofrep-web-provider resolves every kind and reason",
        ofrep_provider,
    ),
    (
        "garbage published over a good snapshot: the last good one keeps serving, stale",
        stale,
    ),
];

pub fn run() -> Result {
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let mut entries = seed::snapshots(&example, 1, str::to_string)?;
    let mut aliases = BTreeMap::new();
    for (i, (name, file)) in eval_files().into_iter().enumerate() {
        if file.document_has_errors {
            // The control plane never publishes a document with errors; broken flags are
            // covered natively and through the npm package.
            continue;
        }
        let text = file.document.to_string();
        entries.extend(seed::snapshots(&text, 1, |env| {
            let alias = format!("c{i}-{env}");
            aliases.insert((name.to_string(), env.to_string()), alias.clone());
            alias
        })?);
    }
    entries.push(KvEntry {
        key: "snapshot:garbage".into(),
        value: b"not a snapshot".to_vec(),
        metadata: json!({"version": 1, "publishedAt": 0}),
    });
    let options = Options {
        seed: entries,
        control_vars: Vec::new(),
        vars: vec![
            ("SNAPSHOT_TTL_SECONDS".into(), "1".into()),
            ("FF_SMS_CAMPAIGNS".into(), "false".into()),
            ("ALLOW_NOW_OVERRIDE".into(), "true".into()),
            (
                "EVALUATION_KEYS".into(),
                json!([{"name": "backend", "sha256": token_hash(KEY), "kind": "server"}])
                    .to_string(),
            ),
        ]
        .into_iter()
        .chain(admin_vars("evaluation", ADMIN))
        .collect(),
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let fixture = Fixture {
        addr: server.addr(),
        aliases,
        state: server
            .state_dir()
            .ok_or_else(|| Failed("an ephemeral worker has a state directory".into()))?,
    };
    run_checks(&server, &fixture, CHECKS)
}

fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<http::Response> {
    let mut all = vec![("Content-Type", "application/json"), ("X-API-Key", KEY)];
    all.extend_from_slice(headers);
    http::request(addr, "POST", path, &all, Some(body.as_bytes()))
}

/// `GET path` with the server key, or for `/health` with the admin token, and `headers`.
fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<http::Response> {
    let admin = format!("Bearer {ADMIN}");
    let mut all = if path.ends_with("/health") {
        vec![("Authorization", admin.as_str())]
    } else {
        vec![("X-API-Key", KEY)]
    };
    all.extend_from_slice(headers);
    http::request(addr, "GET", path, &all, None)
}

fn health(f: &Fixture) -> Result {
    let body = expect_json(&get(f.addr, "/health", &[])?, 200)?;
    let snapshot = &body["snapshots"][0];
    expect(
        body["status"] == "ok"
            && body["environment"] == "production"
            && snapshot["environment"] == "production"
            && snapshot["version"] == 1
            && snapshot["stale"] == false
            && snapshot["ageSeconds"].as_f64().is_some_and(|a| a < 600.0),
        || format!("health {body}"),
    )?;
    let alias = expect_json(&get(f.addr, "/feature-flags/health", &[])?, 200)?;
    expect(alias["status"] == "ok", || {
        format!("/feature-flags/health {alias}")
    })
}

fn ofrep_single(f: &Fixture) -> Result {
    let r = post(
        f.addr,
        "/ofrep/v1/evaluate/flags/outbound_calling",
        &[],
        r#"{"context":{"targetingKey":"user-1","role":"admin"}}"#,
    )?;
    let body = expect_json(&r, 200)?;
    let want = json!({"key": "outbound_calling", "value": true, "variant": "on", "reason": "TARGETING_MATCH", "metadata": {"ruleId": "admins-and-premium"}});
    expect(body == want, || format!("body {body}, want {want}"))?;
    expect(r.header("access-control-allow-origin") == Some("*"), || {
        "no CORS header".into()
    })
}

fn ofrep_environment(f: &Fixture) -> Result {
    // ai_voice_cloning is off (DISABLED) in production and on for beta testers in development.
    let ctx = r#"{"context":{"targetingKey":"u","email":"a@tasksapp.io"}}"#;
    let prod = expect_json(
        &post(
            f.addr,
            "/ofrep/v1/evaluate/flags/ai_voice_cloning",
            &[],
            ctx,
        )?,
        200,
    )?;
    let by_path = expect_json(
        &post(
            f.addr,
            "/env/development/ofrep/v1/evaluate/flags/ai_voice_cloning",
            &[],
            ctx,
        )?,
        200,
    )?;
    let by_header = expect_json(
        &post(
            f.addr,
            "/ofrep/v1/evaluate/flags/ai_voice_cloning",
            &[("X-Burgee-Environment", "development")],
            ctx,
        )?,
        200,
    )?;
    expect(prod["reason"] == "DISABLED", || {
        format!("production {prod}")
    })?;
    expect(
        by_path == by_header && by_path["reason"] != "DISABLED",
        || format!("by path {by_path}, by header {by_header}"),
    )?;
    let bad = post(
        f.addr,
        "/ofrep/v1/evaluate/flags/x",
        &[("X-Burgee-Environment", "no/such")],
        "{}",
    )?;
    expect_error(&bad, 400, "invalid_environment")
}

fn ofrep_single_errors(f: &Fixture) -> Result {
    let r = post(f.addr, "/ofrep/v1/evaluate/flags/no-such-flag", &[], "{}")?;
    let body = expect_json(&r, 404)?;
    expect(
        body["key"] == "no-such-flag" && body["errorCode"] == "FLAG_NOT_FOUND",
        || format!("{body}"),
    )?;
    for bad in [
        "{oops",
        "[1,2]",
        r#"{"context":"me"}"#,
        r#"{"context":{"targetingKey":42}}"#,
    ] {
        let r = post(
            f.addr,
            "/ofrep/v1/evaluate/flags/outbound_calling",
            &[],
            bad,
        )?;
        let body = expect_json(&r, 400)?;
        expect(
            body["errorCode"] == "INVALID_CONTEXT" && body["key"] == "outbound_calling",
            || format!("{bad}: {body}"),
        )?;
    }
    let huge = format!("{{\"context\":{{\"pad\":\"{}\"}}}}", "x".repeat(70 * 1024));
    let r = post(
        f.addr,
        "/ofrep/v1/evaluate/flags/outbound_calling",
        &[],
        &huge,
    )?;
    expect_error(&r, 413, "payload_too_large")
}

fn ofrep_bulk(f: &Fixture) -> Result {
    let ctx = r#"{"context":{"targetingKey":"user-1","role":"admin","orgId":"org-1042"}}"#;
    let r = post(f.addr, "/ofrep/v1/evaluate/flags", &[], ctx)?;
    let body = expect_json(&r, 200)?;
    let flags = body["flags"].as_array().cloned().unwrap_or_default();
    expect(flags.len() == 13, || {
        format!("{} flags: {body}", flags.len())
    })?;
    expect(
        flags.iter().all(|f| {
            f["key"].is_string() && (f["reason"].is_string() || f["errorCode"].is_string())
        }),
        || format!("entries {body}"),
    )?;
    let etag = r
        .header("etag")
        .map(String::from)
        .ok_or_else(|| Failed("no ETag".into()))?;
    expect(
        r.header("access-control-expose-headers")
            .is_some_and(|h| h.contains("ETag")),
        || "ETag not exposed to browsers".into(),
    )?;
    let again = post(
        f.addr,
        "/ofrep/v1/evaluate/flags",
        &[("If-None-Match", &etag)],
        ctx,
    )?;
    expect(again.status == 304 && again.body.is_empty(), || {
        format!("revalidation: {} {}", again.status, again.text())
    })?;
    let other = post(
        f.addr,
        "/ofrep/v1/evaluate/flags",
        &[("If-None-Match", &etag)],
        r#"{"context":{"targetingKey":"user-2"}}"#,
    )?;
    expect(other.status == 200, || {
        format!("other context: status {}", other.status)
    })?;
    let bad = post(f.addr, "/ofrep/v1/evaluate/flags", &[], "nope")?;
    let body = expect_json(&bad, 400)?;
    expect(body["errorCode"] == "INVALID_CONTEXT", || format!("{body}"))
}

fn preflight(f: &Fixture) -> Result {
    let r = http::request(
        f.addr,
        "OPTIONS",
        "/ofrep/v1/evaluate/flags",
        &[
            ("Origin", "http://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    )?;
    expect(
        r.status == 204
            && r.header("access-control-allow-origin") == Some("*")
            && r.header("access-control-allow-headers")
                .is_some_and(|h| h.contains("If-None-Match")),
        || format!("preflight {} {:?}", r.status, r.headers),
    )
}

fn override_variable(f: &Fixture) -> Result {
    let body = expect_json(
        &post(
            f.addr,
            "/ofrep/v1/evaluate/flags/sms_campaigns",
            &[],
            r#"{"context":{"targetingKey":"u","role":"admin"}}"#,
        )?,
        200,
    )?;
    expect(body["value"] == false && body["reason"] == "STATIC", || {
        format!("{body}")
    })?;
    let health = expect_json(&get(f.addr, "/health", &[])?, 200)?;
    let notes = health["snapshots"][0]["overrides"].to_string();
    expect(notes.contains("FF_SMS_CAMPAIGNS"), || {
        format!("health does not report the override: {health}")
    })
}

fn rest(f: &Fixture) -> Result {
    let all = expect_json(
        &get(f.addr, "/feature-flags?userId=user-1&role=admin", &[])?,
        200,
    )?;
    expect(
        all["flags"].as_object().is_some_and(|m| m.len() == 13)
            && all["flags"]["outbound_calling"] == true
            && all["details"]["outbound_calling"]["ruleId"] == "admins-and-premium"
            && all["version"] == 1,
        || format!("{all}"),
    )?;
    let one = expect_json(
        &get(
            f.addr,
            "/feature-flags/outbound_calling?userId=u&role=admin",
            &[],
        )?,
        200,
    )?;
    expect(
        one["enabled"] == true && one["reason"] == "TARGETING_MATCH",
        || format!("{one}"),
    )?;
    let missing = expect_json(
        &get(f.addr, "/feature-flags/nope?userId=u&default=false", &[])?,
        404,
    )?;
    expect(
        missing["error"]["code"] == "flag_not_found"
            && missing["errorCode"] == "FLAG_NOT_FOUND"
            && missing["value"] == false,
        || format!("unknown flag: {missing}"),
    )?;
    let r = get(
        f.addr,
        "/feature-flags/outbound_calling?now=2026-01-01T00:00:00Z",
        &[],
    )?;
    expect(r.status == 200, || {
        format!("now override allowed here: {}", r.text())
    })
}

fn snapshot_route(f: &Fixture) -> Result {
    let r = get(f.addr, "/v1/snapshot/production", &[])?;
    expect(
        r.status == 200 && r.header("content-type") == Some("application/octet-stream"),
        || format!("{} {:?}", r.status, r.headers),
    )?;
    let snapshot = burgee_core::Snapshot::decode(&r.body)
        .map_err(|e| Failed(format!("does not decode: {e}")))?;
    let keys: Vec<&str> = snapshot.flag_keys().collect();
    expect(
        !keys.is_empty()
            && !keys.contains(&"ai_voice_cloning")
            && !keys.contains(&"ai-task-extraction"),
        || format!("client-side snapshot holds {keys:?}"),
    )?;
    let etag = r.header("etag").unwrap_or_default().to_string();
    expect(
        r.header("cache-control")
            .is_some_and(|c| c.starts_with("private, max-age=")),
        || format!("cache headers {:?}", r.header("cache-control")),
    )?;
    let again = get(
        f.addr,
        "/v1/snapshot/production",
        &[("If-None-Match", &etag)],
    )?;
    expect(again.status == 304, || {
        format!("revalidation {}", again.status)
    })?;
    expect_error(
        &get(f.addr, "/v1/snapshot/nowhere", &[])?,
        404,
        "no_snapshot",
    )
}

fn fail_closed(f: &Fixture) -> Result {
    for env in ["nowhere", "garbage"] {
        let r = post(
            f.addr,
            "/ofrep/v1/evaluate/flags/x",
            &[("X-Burgee-Environment", env)],
            "{}",
        )?;
        let body = expect_json(&r, 500)?;
        expect(body["errorCode"] == "GENERAL", || format!("{env}: {body}"))?;
        let health = get(f.addr, "/health", &[("X-Burgee-Environment", env)])?;
        let body = expect_json(&health, 503)?;
        expect(body["status"] == "unavailable", || {
            format!("{env} health {body}")
        })?;
    }
    Ok(())
}

/// Converts a case into the REST request that asks the same question.
fn corpus(f: &Fixture) -> Result {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, file) in eval_files() {
        for case in &file.cases {
            let Some(alias) = f.aliases.get(&(name.to_string(), case.env.clone())) else {
                continue;
            };
            let mut path = format!(
                "/env/{alias}/feature-flags/{}?context={}&default={}&now={}",
                encode(&case.flag),
                encode(&case.context.to_string()),
                encode(&case.default.to_string()),
                encode(case.now())
            );
            if let Some(t) = &case.value_type {
                path.push_str(&format!("&type={t}"));
            }
            let result = get(f.addr, &path, &[]).and_then(|r| {
                if r.status != 200 && r.status != 404 {
                    return Err(Failed(format!("status {}: {}", r.status, r.text())));
                }
                r.json()
            });
            checked += 1;
            match result.and_then(|actual| check(&case.expect, &actual).map_err(Failed)) {
                Ok(()) => {}
                Err(Failed(why)) => failures.push(format!("{name} {}: {why}", case.id)),
            }
        }
    }
    expect(checked >= 500, || format!("only {checked} cases ran"))?;
    expect(failures.is_empty(), || {
        format!(
            "{} of {checked} cases differ:\n{}",
            failures.len(),
            failures.join("\n")
        )
    })
}

fn ofrep_provider(f: &Fixture) -> Result {
    super::ofrep_provider(f.addr, Some(KEY))
}

fn stale(f: &Fixture) -> Result {
    let ctx = r#"{"context":{"targetingKey":"user-1","role":"admin"}}"#;
    let before = expect_json(
        &post(
            f.addr,
            "/env/staging/ofrep/v1/evaluate/flags/outbound_calling",
            &[],
            ctx,
        )?,
        200,
    )?;
    seed::put(
        &f.state,
        &[KvEntry {
            key: "snapshot:staging".into(),
            value: b"BRG1 but not really".to_vec(),
            metadata: json!({"version": 2, "publishedAt": 0}),
        }],
    )?;
    // Past the 1 s TTL the isolate revalidates, finds garbage, and keeps its last good one.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let health = get(f.addr, "/health", &[("X-Burgee-Environment", "staging")])?;
        let body: Value = health.json()?;
        if body["status"] == "degraded" {
            expect(
                health.status == 200 && body["snapshots"][0]["stale"] == true,
                || format!("{body}"),
            )?;
            break;
        }
        if Instant::now() > deadline {
            return Err(Failed(format!(
                "health never reported the stale snapshot: {body}"
            )));
        }
    }
    let after = expect_json(
        &post(
            f.addr,
            "/env/staging/ofrep/v1/evaluate/flags/outbound_calling",
            &[],
            ctx,
        )?,
        200,
    )?;
    expect(after == before, || {
        format!("before {before}, after {after}")
    })
}
