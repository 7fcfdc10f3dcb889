//! The control plane against the real worker: the `FlagStore` Durable Object behind the admin
//! API, with real KV publishing, as `wrangler dev` simulates them.
//!
//! One worker, started empty with five kinds of tokens (admin, editor, viewer and eight
//! editors for the concurrent writers); the example document is imported through the API (so
//! version 1 has history and audit like every other). Checks run in order on the same store and
//! never assume a version: each reads the current one. At the end the worker is stopped and
//! started again on the same state, and the document, history and audit must be intact.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Check, EventStream, expect, expect_error, expect_json, run_checks};
use crate::admin_api::{seed_if_empty, tokens_config};
use crate::http::{self, Response};
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

const ADMIN: &str = "e2e-admin-7c1d2f0a";
const EDITOR: &str = "e2e-editor-93b44e1c";
const VIEWER: &str = "e2e-viewer-51aa08d3";
const WRITERS: usize = 8;
const EDITS_PER_WRITER: usize = 50;

fn writer_token(i: usize) -> String {
    format!("e2e-writer-{i}-5f3e9b")
}

/// The flags the checks lean on (all in `examples/tasks-app.json`).
const BOOLEAN_FLAG: &str = "outbound_calling";
const STRING_FLAG: &str = "checkout-button-color";
const REQUIRED_FLAG: &str = "ai-task-extraction";
const SEGMENT: &str = "beta-testers";

pub struct Fixture {
    addr: SocketAddr,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "every admin route × {no token, bad token, viewer, editor, admin}: 401/403 or through; refusals change nothing",
        authz_matrix,
    ),
    (
        "reads carry the version (body and ETag); writes need If-Match: 428, 412 with the current version, 400",
        if_match,
    ),
    (
        "flags and segments: create (201), replace, patch, toggle, delete, each one version and one audit entry (a toggle to the state it has: none)",
        crud,
    ),
    (
        "a write that leaves an error is refused with 422 and the diagnostics' JSON Pointers",
        invalid_document,
    ),
    (
        "at least 100 bad inputs: each the documented 4xx JSON error; version, document and audit unchanged",
        bad_inputs,
    ),
    (
        "8 writers × 50 patches, retrying on 412: all 400 edits kept, versions strictly increase, one audit entry each",
        concurrent_writers,
    ),
    (
        "8 operators × 10 shortcut targets at once (no If-Match): all 80 applied",
        concurrent_shortcuts,
    ),
    (
        "operators' shortcuts: kill switch by ?env= and by header, user and org targets, 422 on non-boolean flags",
        shortcuts,
    ),
    (
        "a kill switch reaches OFREP evaluation within 1 s",
        kill_switch_latency,
    ),
    (
        "the change stream announces a new version with the keys that changed",
        change_stream,
    ),
    (
        "the admin evaluate route reads the Durable Object's current version (read-your-writes)",
        read_your_writes,
    ),
    (
        "history lists versions newest first, reads any version, diffs two",
        history_and_diff,
    ),
    (
        "restoring an old version is a new version that evaluates exactly as the old one did",
        restore,
    ),
    (
        "the audit log: filtered by flag, by actor (admin only), paged",
        audit,
    ),
    (
        "export → import is lossless (document and evaluation), and one version",
        export_import,
    ),
    (
        "validate answers diagnostics and saves nothing",
        validate_only,
    ),
    (
        "no token, token hash or actor reaches the snapshots or the evaluation routes",
        nothing_secret_published,
    ),
];

const AFTER_RESTART: &[(&str, Check<Restarted>)] = &[
    (
        "after a restart: document, history and audit are intact",
        intact_after_restart,
    ),
    (
        "after a restart: the next write gets the next version and is published",
        writes_after_restart,
    ),
];

pub struct Restarted {
    addr: SocketAddr,
    before: Saved,
}

/// What a restart must keep.
struct Saved {
    document: Value,
    history: Value,
    audit: Value,
}

impl Saved {
    fn read(addr: SocketAddr) -> Result<Self> {
        Ok(Self {
            document: get_ok(addr, "/api/v1/document", ADMIN)?,
            history: get_ok(addr, "/api/v1/history?limit=1000", ADMIN)?,
            audit: get_ok(addr, "/api/v1/audit?limit=1000", ADMIN)?,
        })
    }
}

pub fn run() -> Result {
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let writers: Vec<(String, String)> = (0..WRITERS)
        .map(|i| (format!("writer-{i}"), writer_token(i)))
        .collect();
    let mut tokens = vec![
        ("ada.lovelace", "admin", ADMIN),
        ("eve.editor", "editor", EDITOR),
        ("vic.viewer", "viewer", VIEWER),
    ];
    tokens.extend(
        writers
            .iter()
            .map(|(name, token)| (name.as_str(), "editor", token.as_str())),
    );
    let options = Options {
        seed: Vec::new(),
        control_vars: Vec::new(),
        // The TTL is wrangler.toml's, as shipped: the kill-switch check measures it.
        vars: vec![("ADMIN_TOKENS".into(), tokens_config(&tokens))],
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let seeded = seed_if_empty(server.addr(), ADMIN, &example)?;
    if !matches!(seeded, crate::admin_api::Seeded::Imported(1)) {
        return Err(Failed(format!(
            "importing into an empty store made {seeded:?}, want Imported(1)"
        )));
    }
    let fixture = Fixture {
        addr: server.addr(),
    };
    let first = run_checks(&server, &fixture, CHECKS);

    let before = Saved::read(server.addr())?;
    eprintln!("restarting the worker on the same state…");
    server.restart()?;
    server.wait_healthy(READY_TIMEOUT)?;
    let restarted = Restarted {
        addr: server.addr(),
        before,
    };
    let second = run_checks(&server, &restarted, AFTER_RESTART);
    first.and(second)
}

// ---- HTTP helpers ------------------------------------------------------------------------

fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<&[u8]>,
) -> Result<Response> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
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

fn get_ok(addr: SocketAddr, path: &str, token: &str) -> Result<Value> {
    expect_json(&call(addr, "GET", path, Some(token), None, None)?, 200)
        .map_err(|Failed(why)| Failed(format!("GET {path}: {why}")))
}

fn version(addr: SocketAddr) -> Result<u64> {
    get_ok(addr, "/api/v1/document", VIEWER)?["version"]
        .as_u64()
        .ok_or_else(|| Failed("GET /api/v1/document has no version".into()))
}

fn etag(v: u64) -> String {
    format!("\"{v}\"")
}

/// A write based on the current version; answers the new version.
fn write(
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
fn last_audit_id(addr: SocketAddr) -> Result<u64> {
    let audit = get_ok(addr, "/api/v1/audit?limit=1", ADMIN)?;
    Ok(audit["entries"]
        .get(0)
        .and_then(|e| e["id"].as_u64())
        .unwrap_or(0))
}

/// Everything a refused request must leave alone.
fn state(addr: SocketAddr) -> Result<(Value, u64)> {
    Ok((
        get_ok(addr, "/api/v1/document", ADMIN)?,
        last_audit_id(addr)?,
    ))
}

fn unchanged(addr: SocketAddr, before: &(Value, u64), what: &str) -> Result {
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

/// OFREP single evaluation on the public data plane.
fn ofrep(addr: SocketAddr, key: &str, context: &Value) -> Result<Value> {
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
fn store_evaluate(addr: SocketAddr, environment: &str, context: &Value) -> Result<Value> {
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

fn contexts() -> Vec<Value> {
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

// ---- authorization -------------------------------------------------------------------------

/// Every admin route, the least role it needs, and a request that would be accepted in shape
/// but changes nothing when it gets through (a stale `If-Match`, or an unknown flag for the
/// shortcuts), so the whole matrix leaves the store as it was.
fn routes() -> Vec<(&'static str, String, &'static str, Option<Value>)> {
    let flag = json!({"kind": "boolean", "variants": {"on": true, "off": false}});
    vec![
        ("GET", "/api/v1/whoami".into(), "viewer", None),
        ("GET", "/api/v1/document".into(), "viewer", None),
        (
            "PUT",
            "/api/v1/document".into(),
            "editor",
            Some(json!({"environments": ["production"], "flags": {}})),
        ),
        ("GET", "/api/v1/export".into(), "viewer", None),
        (
            "POST",
            "/api/v1/import".into(),
            "admin",
            Some(json!({"environments": ["production"], "flags": {}})),
        ),
        (
            "POST",
            "/api/v1/validate".into(),
            "viewer",
            Some(json!({"environments": ["production"], "flags": {}})),
        ),
        ("GET", "/api/v1/flags".into(), "viewer", None),
        (
            "GET",
            format!("/api/v1/flags/{BOOLEAN_FLAG}"),
            "viewer",
            None,
        ),
        (
            "PUT",
            "/api/v1/flags/authz-new".into(),
            "editor",
            Some(flag),
        ),
        (
            "PATCH",
            format!("/api/v1/flags/{BOOLEAN_FLAG}"),
            "editor",
            Some(json!({"description": "authz"})),
        ),
        (
            "DELETE",
            format!("/api/v1/flags/{STRING_FLAG}"),
            "editor",
            None,
        ),
        (
            "POST",
            format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle"),
            "editor",
            Some(json!({"environment": "production", "enabled": false})),
        ),
        ("GET", "/api/v1/segments".into(), "viewer", None),
        ("GET", format!("/api/v1/segments/{SEGMENT}"), "viewer", None),
        (
            "PUT",
            "/api/v1/segments/authz-seg".into(),
            "editor",
            Some(json!({"include": ["u"]})),
        ),
        (
            "PATCH",
            format!("/api/v1/segments/{SEGMENT}"),
            "editor",
            Some(json!({"description": "authz"})),
        ),
        ("DELETE", "/api/v1/segments/unused".into(), "editor", None),
        ("GET", "/api/v1/history".into(), "viewer", None),
        ("GET", "/api/v1/history/1".into(), "viewer", None),
        ("GET", "/api/v1/diff?from=1&to=1".into(), "viewer", None),
        ("POST", "/api/v1/restore/1".into(), "admin", None),
        ("GET", "/api/v1/audit".into(), "viewer", None),
        (
            "GET",
            "/api/v1/audit?actor=eve.editor".into(),
            "admin",
            None,
        ),
        (
            "POST",
            "/api/v1/evaluate".into(),
            "viewer",
            Some(json!({"environment": "production", "context": {"targetingKey": "u"}})),
        ),
        (
            "PUT",
            "/feature-flags/no-such-flag?env=production".into(),
            "editor",
            Some(json!({"enabled": false})),
        ),
        (
            "POST",
            "/feature-flags/no-such-flag/user/u1".into(),
            "editor",
            Some(json!({"enabled": true})),
        ),
        (
            "POST",
            "/feature-flags/no-such-flag/org/o1".into(),
            "editor",
            Some(json!({"enabled": true})),
        ),
    ]
}

fn rank(role: &str) -> u8 {
    match role {
        "viewer" => 1,
        "editor" => 2,
        "admin" => 3,
        _ => 0,
    }
}

fn authz_matrix(f: &Fixture) -> Result {
    let before = state(f.addr)?;
    let stale = etag(999_999);
    let callers: [(&str, Option<&str>, &str); 5] = [
        ("no token", None, ""),
        ("bad token", Some("not-a-burgee-token"), ""),
        ("viewer", Some(VIEWER), "viewer"),
        ("editor", Some(EDITOR), "editor"),
        ("admin", Some(ADMIN), "admin"),
    ];
    let mut cases = 0;
    for (method, path, needed, body) in routes() {
        let body = body.map(|b| b.to_string());
        for (who, token, role) in callers {
            let r = call(
                f.addr,
                method,
                &path,
                token,
                Some(&stale),
                body.as_deref().map(str::as_bytes),
            )?;
            let what = format!("{method} {path} as {who}");
            cases += 1;
            if token.is_none() || role.is_empty() {
                expect_error(&r, 401, "unauthenticated")
                    .map_err(|Failed(w)| Failed(format!("{what}: {w}")))?;
                expect(r.header("www-authenticate").is_some(), || {
                    format!("{what}: 401 without WWW-Authenticate")
                })?;
            } else if rank(role) < rank(needed) {
                expect_error(&r, 403, "forbidden")
                    .map_err(|Failed(w)| Failed(format!("{what}: {w}")))?;
            } else {
                let through = match (method, path.starts_with("/feature-flags")) {
                    ("GET", _) => r.status == 200,
                    (_, true) => r.status == 404,
                    ("POST", false)
                        if path.ends_with("/validate") || path.ends_with("/evaluate") =>
                    {
                        r.status == 200
                    }
                    _ => r.status == 412,
                };
                expect(through, || {
                    format!(
                        "{what}: status {} ({}), want it let through",
                        r.status,
                        r.text()
                    )
                })?;
            }
        }
    }
    expect(cases == routes().len() * 5, || format!("{cases} cases"))?;
    unchanged(f.addr, &before, "the authorization matrix")?;
    let me = get_ok(f.addr, "/api/v1/whoami", EDITOR)?;
    expect(
        me == json!({"name": "eve.editor", "role": "editor"}),
        || format!("whoami {me}"),
    )
}

// ---- versions ------------------------------------------------------------------------------

fn if_match(f: &Fixture) -> Result {
    let r = call(f.addr, "GET", "/api/v1/document", Some(VIEWER), None, None)?;
    let body = expect_json(&r, 200)?;
    let v = body["version"].as_u64().unwrap_or(0);
    expect(v >= 1 && r.header("etag") == Some(etag(v).as_str()), || {
        format!("version {v}, ETag {:?}", r.header("etag"))
    })?;
    let before = state(f.addr)?;
    let patch = br#"{"description": "if-match"}"#;
    let path = format!("/api/v1/flags/{BOOLEAN_FLAG}");

    let r = call(f.addr, "PATCH", &path, Some(EDITOR), None, Some(patch))?;
    expect_error(&r, 428, "precondition_required")?;
    let r = call(
        f.addr,
        "PATCH",
        &path,
        Some(EDITOR),
        Some(&etag(v - 1)),
        Some(patch),
    )?;
    expect_error(&r, 412, "version_conflict")?;
    let details = r.json()?["error"]["details"].clone();
    expect(details["currentVersion"] == json!(v), || {
        format!("412 details {details}, want currentVersion {v}")
    })?;
    expect(r.header("etag") == Some(etag(v).as_str()), || {
        format!("412 ETag {:?}", r.header("etag"))
    })?;
    let r = call(
        f.addr,
        "PATCH",
        &path,
        Some(EDITOR),
        Some("yesterday"),
        Some(patch),
    )?;
    expect_error(&r, 400, "invalid_if_match")?;
    unchanged(f.addr, &before, "refused writes")?;

    // Weak and unquoted forms of the right version are accepted.
    let r = call(
        f.addr,
        "PATCH",
        &path,
        Some(EDITOR),
        Some(&format!("W/\"{v}\"")),
        Some(patch),
    )?;
    expect(expect_json(&r, 200)?["version"] == json!(v + 1), || {
        r.text()
    })?;
    let r = call(
        f.addr,
        "PATCH",
        &path,
        Some(EDITOR),
        Some(&(v + 1).to_string()),
        Some(br#"{"description": null}"#),
    )?;
    expect(expect_json(&r, 200)?["version"] == json!(v + 2), || {
        r.text()
    })
}

// ---- writes --------------------------------------------------------------------------------

fn crud(f: &Fixture) -> Result {
    let flag = json!({
        "kind": "string",
        "name": "Crud test",
        "variants": {"a": "alpha", "b": "beta"},
        "environments": {"production": {"enabled": true, "offVariant": "a", "defaultServe": {"variant": "b"}}}
    });
    let audit_before = last_audit_id(f.addr)?;
    write(f.addr, "PUT", "/api/v1/flags/crud-test", EDITOR, &flag, 201)?;
    let got = get_ok(f.addr, "/api/v1/flags/crud-test", VIEWER)?;
    expect(
        got["flag"]["createdBy"] == json!("eve.editor")
            && got["flag"]["variants"] == flag["variants"],
        || format!("created flag {got}"),
    )?;
    let created_at = got["flag"]["createdAt"].clone();

    let mut replaced = flag.clone();
    replaced["name"] = json!("Crud test, replaced");
    write(
        f.addr,
        "PUT",
        "/api/v1/flags/crud-test",
        ADMIN,
        &replaced,
        200,
    )?;
    let got = get_ok(f.addr, "/api/v1/flags/crud-test", VIEWER)?;
    expect(
        got["flag"]["createdAt"] == created_at
            && got["flag"]["createdBy"] == json!("eve.editor")
            && got["flag"]["updatedBy"] == json!("ada.lovelace")
            && got["flag"]["name"] == json!("Crud test, replaced"),
        || format!("replaced flag {got}"),
    )?;

    write(
        f.addr,
        "PATCH",
        "/api/v1/flags/crud-test",
        EDITOR,
        &json!({"environments": {"production": {"defaultServe": {"variant": "a"}}}, "tags": ["t"]}),
        200,
    )?;
    let got = get_ok(f.addr, "/api/v1/flags/crud-test", VIEWER)?;
    expect(
        got["flag"]["environments"]["production"]["defaultServe"] == json!({"variant": "a"})
            && got["flag"]["environments"]["production"]["offVariant"] == json!("a")
            && got["flag"]["tags"] == json!(["t"]),
        || format!("patched flag {got}"),
    )?;

    write(
        f.addr,
        "POST",
        "/api/v1/flags/crud-test/toggle",
        EDITOR,
        &json!({"environment": "production", "enabled": false}),
        200,
    )?;
    let eval = store_evaluate(f.addr, "production", &json!({"targetingKey": "u"}))?;
    expect(
        eval["results"]["crud-test"]["reason"] == json!("DISABLED"),
        || format!("after toggle: {}", eval["results"]["crud-test"]),
    )?;
    // Off again: it already is, so nothing is written (no version, no audit entry).
    let (before, audit_then) = (version(f.addr)?, last_audit_id(f.addr)?);
    let r = call(
        f.addr,
        "POST",
        "/api/v1/flags/crud-test/toggle",
        Some(EDITOR),
        Some(&etag(before)),
        Some(br#"{"environment": "production", "enabled": false}"#),
    )?;
    let answer = expect_json(&r, 200)?;
    expect(
        answer["version"] == json!(before)
            && version(f.addr)? == before
            && last_audit_id(f.addr)? == audit_then,
        || format!("a toggle to the same state wrote something: {answer}"),
    )?;

    write(
        f.addr,
        "PUT",
        "/api/v1/segments/crud-seg",
        EDITOR,
        &json!({"include": ["u-1"]}),
        201,
    )?;
    write(
        f.addr,
        "PATCH",
        "/api/v1/segments/crud-seg",
        EDITOR,
        &json!({"exclude": ["u-2"]}),
        200,
    )?;
    let seg = get_ok(f.addr, "/api/v1/segments/crud-seg", VIEWER)?;
    expect(
        seg["segment"] == json!({"include": ["u-1"], "exclude": ["u-2"]}),
        || format!("segment {seg}"),
    )?;
    write(
        f.addr,
        "DELETE",
        "/api/v1/segments/crud-seg",
        EDITOR,
        &json!(null),
        200,
    )?;
    write(
        f.addr,
        "DELETE",
        "/api/v1/flags/crud-test",
        EDITOR,
        &json!(null),
        200,
    )?;
    let r = call(
        f.addr,
        "GET",
        "/api/v1/flags/crud-test",
        Some(VIEWER),
        None,
        None,
    )?;
    expect_error(&r, 404, "flag_not_found")?;
    let r = call(
        f.addr,
        "GET",
        "/api/v1/segments/crud-seg",
        Some(VIEWER),
        None,
        None,
    )?;
    expect_error(&r, 404, "segment_not_found")?;

    let audit = get_ok(f.addr, "/api/v1/audit?limit=8", ADMIN)?;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    expect(
        actions
            == [
                "delete", "delete", "patch", "create", "toggle", "patch", "replace", "create",
            ],
        || format!("audit actions, newest first: {actions:?}"),
    )?;
    expect(last_audit_id(f.addr)? == audit_before + 8, || {
        "eight writes, eight audit entries".into()
    })
}

fn invalid_document(f: &Fixture) -> Result {
    let before = state(f.addr)?;
    let v = before.0["version"].as_u64().unwrap_or(0);
    let r = call(
        f.addr,
        "PATCH",
        &format!("/api/v1/flags/{BOOLEAN_FLAG}"),
        Some(EDITOR),
        Some(&etag(v)),
        Some(br#"{"environments": {"production": {"offVariant": "nope", "rules": [{"clauses": [{"op": "inSegment", "values": ["ghost"]}], "serve": {"variant": "on"}}]}}}"#),
    )?;
    expect_error(&r, 422, "invalid_document")?;
    let diagnostics = r.json()?["error"]["details"]["diagnostics"].clone();
    let pointers: Vec<&str> = diagnostics
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["pointer"].as_str()).collect())
        .unwrap_or_default();
    let want = [
        format!("/flags/{BOOLEAN_FLAG}/environments/production/offVariant"),
        format!("/flags/{BOOLEAN_FLAG}/environments/production/rules/0/clauses/0/values/0"),
    ];
    expect(want.iter().all(|w| pointers.contains(&w.as_str())), || {
        format!("diagnostics {diagnostics}, want pointers {want:?}")
    })?;
    unchanged(f.addr, &before, "a refused invalid write")
}

// ---- bad input -----------------------------------------------------------------------------

struct Bad {
    what: String,
    method: &'static str,
    path: String,
    token: &'static str,
    if_match: Option<String>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
}

fn bad(
    what: impl Into<String>,
    method: &'static str,
    path: impl Into<String>,
    if_match: Option<String>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
) -> Bad {
    Bad {
        what: what.into(),
        method,
        path: path.into(),
        token: ADMIN,
        if_match,
        body,
        status,
        code,
    }
}

fn nested(depth: usize) -> Vec<u8> {
    let mut s = String::from("{\"description\":");
    s.push_str(&"[".repeat(depth));
    s.push_str(&"]".repeat(depth));
    s.push('}');
    s.into_bytes()
}

fn bad_inputs_for(v: u64) -> Vec<Bad> {
    let current = Some(etag(v));
    let flag_path = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    let write_routes: Vec<(&'static str, String)> = vec![
        ("PUT", "/api/v1/document".into()),
        ("POST", "/api/v1/import".into()),
        ("PUT", "/api/v1/flags/new-flag".into()),
        ("PATCH", flag_path.clone()),
        ("PUT", "/api/v1/segments/new-seg".into()),
        ("PATCH", format!("/api/v1/segments/{SEGMENT}")),
        ("POST", format!("{flag_path}/toggle")),
        ("POST", "/api/v1/validate".into()),
        ("POST", "/api/v1/evaluate".into()),
        (
            "PUT",
            format!("/feature-flags/{BOOLEAN_FLAG}?env=production"),
        ),
        ("POST", format!("/feature-flags/{BOOLEAN_FLAG}/user/u1")),
    ];
    let malformed: [&[u8]; 10] = [
        b"",
        b"{",
        b"{\"a\":}",
        b"[1, 2",
        b"nul",
        b"{'a': 1}",
        b"{\"a\": 1}}",
        b"\xff\xfe{}",
        b"{\"a\": 1,}",
        b"NaN",
    ];
    let mut cases = Vec::new();
    for (method, path) in &write_routes {
        for body in malformed {
            cases.push(bad(
                format!("{method} {path} with {:?}", String::from_utf8_lossy(body)),
                method,
                path.clone(),
                current.clone(),
                Some(body.to_vec()),
                400,
                "invalid_json",
            ));
        }
    }
    // Valid JSON of the wrong shape.
    for (method, path) in &write_routes[..7] {
        for body in ["[]", "\"flag\"", "42", "null", "true"] {
            cases.push(bad(
                format!("{method} {path} with {body}"),
                method,
                path.clone(),
                current.clone(),
                Some(body.into()),
                400,
                "invalid_body",
            ));
        }
    }
    let j = |v: Value| Some(v.to_string().into_bytes());
    let toggle = format!("{flag_path}/toggle");
    for (what, body, status, code) in [
        (
            "toggle without environment",
            json!({"enabled": true}),
            400,
            "invalid_body",
        ),
        (
            "toggle with a numeric environment",
            json!({"environment": 1, "enabled": true}),
            400,
            "invalid_body",
        ),
        (
            "toggle without enabled",
            json!({"environment": "production"}),
            400,
            "invalid_body",
        ),
        (
            "toggle with enabled \"yes\"",
            json!({"environment": "production", "enabled": "yes"}),
            400,
            "invalid_body",
        ),
        (
            "toggle in an unknown environment",
            json!({"environment": "moon", "enabled": true}),
            404,
            "environment_not_found",
        ),
    ] {
        cases.push(bad(
            what,
            "POST",
            toggle.clone(),
            current.clone(),
            j(body),
            status,
            code,
        ));
    }
    for (what, path, body) in [
        (
            "kill switch with enabled \"false\"",
            format!("/feature-flags/{BOOLEAN_FLAG}?env=production"),
            json!({"enabled": "false"}),
        ),
        (
            "kill switch without enabled",
            format!("/feature-flags/{BOOLEAN_FLAG}?env=production"),
            json!({}),
        ),
        (
            "user target with enabled 1",
            format!("/feature-flags/{BOOLEAN_FLAG}/user/u1"),
            json!({"enabled": 1}),
        ),
        (
            "org target without enabled",
            format!("/feature-flags/{BOOLEAN_FLAG}/org/o1"),
            json!({"on": true}),
        ),
    ] {
        let method = if path.contains("/user/") || path.contains("/org/") {
            "POST"
        } else {
            "PUT"
        };
        cases.push(bad(what, method, path, None, j(body), 400, "invalid_body"));
    }
    cases.push(bad(
        "kill switch in an unknown environment",
        "PUT",
        format!("/feature-flags/{BOOLEAN_FLAG}?env=moon"),
        None,
        j(json!({"enabled": false})),
        404,
        "environment_not_found",
    ));
    cases.push(bad(
        "user target on a string flag",
        "POST",
        format!("/feature-flags/{STRING_FLAG}/user/u1"),
        None,
        j(json!({"enabled": true})),
        422,
        "not_a_boolean_flag",
    ));
    cases.push(bad(
        "kill switch of an unknown flag",
        "PUT",
        "/feature-flags/ghost?env=production",
        None,
        j(json!({"enabled": false})),
        404,
        "flag_not_found",
    ));
    cases.push(bad(
        "evaluate without environment",
        "POST",
        "/api/v1/evaluate",
        None,
        j(json!({"context": {}})),
        400,
        "invalid_body",
    ));
    cases.push(bad(
        "evaluate in an unknown environment",
        "POST",
        "/api/v1/evaluate",
        None,
        j(json!({"environment": "moon", "context": {}})),
        404,
        "environment_not_found",
    ));

    // Documents that would not validate: 422 with diagnostics.
    let patch = |what: &str, body: Value| {
        bad(
            format!("PATCH: {what}"),
            "PATCH",
            flag_path.clone(),
            current.clone(),
            j(body),
            422,
            "invalid_document",
        )
    };
    let off = |settings: Value| json!({"environments": {"production": settings}});
    cases.extend([
        patch("kind \"bool\"", json!({"kind": "bool"})),
        patch("a string variant on a boolean flag", json!({"variants": {"on": "yes"}})),
        patch("enabled \"yes\"", off(json!({"enabled": "yes"}))),
        patch("rules as an object", off(json!({"rules": {"a": 1}}))),
        patch("a rollout weight of -5", off(json!({"defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": -5}]}}}))),
        patch("all rollout weights 0", off(json!({"defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 0}]}}}))),
        patch("an unknown offVariant", off(json!({"offVariant": "nope"}))),
        patch("a rule serving an unknown variant", off(json!({"rules": [{"clauses": [{"attribute": "a", "op": "in", "values": ["x"]}], "serve": {"variant": "nope"}}]}))),
        patch("a rollout to an unknown variant", off(json!({"defaultServe": {"rollout": {"weights": [{"variant": "nope", "weight": 1}]}}}))),
        patch("a target to an unknown variant", off(json!({"targets": [{"values": ["u"], "variant": "nope"}]}))),
        patch("an unknown segment", off(json!({"rules": [{"clauses": [{"op": "inSegment", "values": ["ghost"]}], "serve": {"variant": "on"}}]}))),
        patch("an unknown operator", off(json!({"rules": [{"clauses": [{"attribute": "a", "op": "approximately", "values": ["x"]}], "serve": {"variant": "on"}}]}))),
        patch("a semver clause with a bad version", off(json!({"rules": [{"clauses": [{"attribute": "v", "op": "semverGte", "values": ["three"]}], "serve": {"variant": "on"}}]}))),
        patch("a clause without an attribute", off(json!({"rules": [{"clauses": [{"op": "in", "values": ["x"]}], "serve": {"variant": "on"}}]}))),
        patch("a schedule with a bad timestamp", off(json!({"schedule": [{"at": "next tuesday", "defaultServe": {"variant": "on"}}]}))),
        patch("an unknown prerequisite", json!({"prerequisites": [{"flag": "ghost", "variant": "on"}]})),
        patch("itself as prerequisite (a cycle)", json!({"prerequisites": [{"flag": BOOLEAN_FLAG, "variant": "on"}]})),
        patch("an unknown environment", json!({"environments": {"moon": {"enabled": true, "offVariant": "off", "defaultServe": {"variant": "on"}}}})),
        patch("enabled on the flag instead of an environment", json!({"enabled": false})),
        patch("variants inside an environment", off(json!({"variants": {"x": true}}))),
        patch("rules on the flag", json!({"rules": []})),
    ]);
    // A two-flag prerequisite cycle: daily-planning requires enhanced-task-metadata.
    cases.push(bad(
        "PATCH: a two-flag prerequisite cycle",
        "PATCH",
        "/api/v1/flags/enhanced-task-metadata",
        current.clone(),
        j(json!({"prerequisites": [{"flag": "daily-planning", "variant": "on"}]})),
        422,
        "invalid_document",
    ));
    cases.push(bad(
        "PUT segment: a segment that includes itself",
        "PUT",
        "/api/v1/segments/loop",
        current.clone(),
        j(json!({"rules": [{"clauses": [{"op": "inSegment", "values": ["loop"]}]}]})),
        422,
        "invalid_document",
    ));
    cases.push(bad(
        "PUT segment: include as a string",
        "PUT",
        "/api/v1/segments/s1",
        current.clone(),
        j(json!({"include": "u-1"})),
        422,
        "invalid_document",
    ));
    for key in [
        "Bad%20Key",
        "-leading-dash",
        "has%2Fslash",
        "dots..ok-but-%C3%A9",
        &"k".repeat(129),
    ] {
        cases.push(bad(
            format!("PUT flag with the key {key:?}"),
            "PUT",
            format!("/api/v1/flags/{key}"),
            current.clone(),
            j(json!({"kind": "boolean", "variants": {"on": true, "off": false}})),
            422,
            "invalid_document",
        ));
    }
    cases.push(bad(
        "PUT segment with the key \"white space\"",
        "PUT",
        "/api/v1/segments/white%20space",
        current.clone(),
        j(json!({"include": ["u"]})),
        422,
        "invalid_document",
    ));
    cases.push(bad(
        "PUT document without environments",
        "PUT",
        "/api/v1/document",
        current.clone(),
        j(json!({"flags": {}})),
        422,
        "invalid_document",
    ));
    cases.push(bad(
        "import with a duplicate environment",
        "POST",
        "/api/v1/import",
        current.clone(),
        j(json!({"environments": ["a", "a"], "flags": {}})),
        422,
        "invalid_document",
    ));

    // Sizes and depth.
    let big = |n: usize| {
        let mut b = b"{\"description\":\"".to_vec();
        b.resize(n - 2, b'a');
        b.extend_from_slice(b"\"}");
        Some(b)
    };
    cases.push(bad(
        "PUT document of 1 MiB + 1 byte",
        "PUT",
        "/api/v1/document",
        current.clone(),
        big((1 << 20) + 1),
        413,
        "payload_too_large",
    ));
    cases.push(bad(
        "PATCH of 3 MiB",
        "PATCH",
        flag_path.clone(),
        current.clone(),
        big(3 << 20),
        413,
        "payload_too_large",
    ));
    cases.push(bad(
        "import of 1 MiB + 1 byte",
        "POST",
        "/api/v1/import",
        current.clone(),
        big((1 << 20) + 1),
        413,
        "payload_too_large",
    ));
    for depth in [64, 100, 1000, 100_000] {
        cases.push(bad(
            format!("PATCH nested {depth} levels deep"),
            "PATCH",
            flag_path.clone(),
            current.clone(),
            Some(nested(depth)),
            400,
            "invalid_json",
        ));
    }

    // If-Match: missing, stale, future, garbage, on every kind of write.
    let valid_flag = json!({"kind": "boolean", "variants": {"on": true, "off": false}});
    let writes: Vec<(&'static str, String, Option<Vec<u8>>)> = vec![
        (
            "PUT",
            "/api/v1/document".into(),
            j(json!({"environments": ["production"], "flags": {}})),
        ),
        (
            "POST",
            "/api/v1/import".into(),
            j(json!({"environments": ["production"], "flags": {}})),
        ),
        ("PUT", "/api/v1/flags/new-flag".into(), j(valid_flag)),
        ("PATCH", flag_path.clone(), j(json!({"description": "x"}))),
        ("DELETE", format!("/api/v1/flags/{STRING_FLAG}"), None),
        (
            "POST",
            toggle.clone(),
            j(json!({"environment": "production", "enabled": false})),
        ),
        (
            "PUT",
            "/api/v1/segments/new-seg".into(),
            j(json!({"include": ["u"]})),
        ),
        (
            "PATCH",
            format!("/api/v1/segments/{SEGMENT}"),
            j(json!({"description": "x"})),
        ),
        ("DELETE", "/api/v1/segments/unused".into(), None),
        ("POST", "/api/v1/restore/1".into(), None),
    ];
    for (method, path, body) in writes {
        for (label, header, status, code) in [
            ("no If-Match", None, 428, "precondition_required"),
            (
                "a stale If-Match",
                Some(etag(v - 1)),
                412,
                "version_conflict",
            ),
            (
                "a future If-Match",
                Some(etag(v + 100)),
                412,
                "version_conflict",
            ),
            (
                "If-Match: *",
                Some("*".to_string()),
                400,
                "invalid_if_match",
            ),
        ] {
            cases.push(bad(
                format!("{method} {path} with {label}"),
                method,
                path.clone(),
                header,
                body.clone(),
                status,
                code,
            ));
        }
    }

    // Things that are not there, and uses that block deletes.
    cases.extend([
        bad(
            "PATCH an unknown flag",
            "PATCH",
            "/api/v1/flags/ghost",
            current.clone(),
            j(json!({"description": "x"})),
            404,
            "flag_not_found",
        ),
        bad(
            "DELETE an unknown flag",
            "DELETE",
            "/api/v1/flags/ghost",
            current.clone(),
            None,
            404,
            "flag_not_found",
        ),
        bad(
            "toggle an unknown flag",
            "POST",
            "/api/v1/flags/ghost/toggle",
            current.clone(),
            j(json!({"environment": "production", "enabled": true})),
            404,
            "flag_not_found",
        ),
        bad(
            "PATCH an unknown segment",
            "PATCH",
            "/api/v1/segments/ghost",
            current.clone(),
            j(json!({"description": "x"})),
            404,
            "segment_not_found",
        ),
        bad(
            "DELETE a prerequisite still required",
            "DELETE",
            format!("/api/v1/flags/{REQUIRED_FLAG}"),
            current.clone(),
            None,
            422,
            "flag_in_use",
        ),
        bad(
            "DELETE a segment still used",
            "DELETE",
            format!("/api/v1/segments/{SEGMENT}"),
            current.clone(),
            None,
            422,
            "segment_in_use",
        ),
        bad(
            "restore a version that never was",
            "POST",
            "/api/v1/restore/999999",
            current.clone(),
            None,
            404,
            "version_not_found",
        ),
        bad(
            "restore version \"latest\"",
            "POST",
            "/api/v1/restore/latest",
            current.clone(),
            None,
            400,
            "invalid_parameter",
        ),
        bad(
            "read a version that never was",
            "GET",
            "/api/v1/history/999999",
            None,
            None,
            404,
            "version_not_found",
        ),
        bad(
            "history with limit=abc",
            "GET",
            "/api/v1/history?limit=abc",
            None,
            None,
            400,
            "invalid_parameter",
        ),
        bad(
            "diff with from=x",
            "GET",
            "/api/v1/diff?from=x&to=1",
            None,
            None,
            400,
            "invalid_parameter",
        ),
        bad(
            "audit with before=-1",
            "GET",
            "/api/v1/audit?before=-1",
            None,
            None,
            400,
            "invalid_parameter",
        ),
        bad(
            "an unknown admin route",
            "GET",
            "/api/v1/nothing",
            None,
            None,
            404,
            "not_found",
        ),
        bad(
            "DELETE the whole document",
            "DELETE",
            "/api/v1/document",
            current.clone(),
            None,
            405,
            "method_not_allowed",
        ),
    ]);
    cases
}

fn bad_inputs(f: &Fixture) -> Result {
    let before = state(f.addr)?;
    let v = before.0["version"].as_u64().unwrap_or(0);
    let cases = bad_inputs_for(v);
    expect(cases.len() >= 100, || format!("only {} cases", cases.len()))?;
    let mut failures = Vec::new();
    for case in &cases {
        let r = call(
            f.addr,
            case.method,
            &case.path,
            Some(case.token),
            case.if_match.as_deref(),
            case.body.as_deref(),
        )?;
        if let Err(Failed(why)) = expect_error(&r, case.status, case.code) {
            failures.push(format!("{}: {why}", case.what));
        }
    }
    eprintln!("          {} bad inputs sent", cases.len());
    expect(failures.is_empty(), || {
        format!(
            "{} of {} cases:\n    {}",
            failures.len(),
            cases.len(),
            failures.join("\n    ")
        )
    })?;
    unchanged(f.addr, &before, "bad inputs")
}

// ---- concurrency ---------------------------------------------------------------------------

/// Writer `i` adds the metadata keys `e2e-w{i}-{n}`, one per edit, retrying each on 412 with
/// the version the conflict reports. Answers the versions it was given.
fn writer(addr: SocketAddr, i: usize, deadline: Instant) -> Result<Vec<u64>> {
    let token = writer_token(i);
    let path = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    let mut base = version(addr)?;
    let mut got = Vec::with_capacity(EDITS_PER_WRITER);
    for n in 0..EDITS_PER_WRITER {
        let body = json!({"metadata": {format!("e2e-w{i}-{n}"): n}}).to_string();
        loop {
            if Instant::now() > deadline {
                return Err(Failed(format!("writer {i}: out of time at edit {n}")));
            }
            let r = call(
                addr,
                "PATCH",
                &path,
                Some(&token),
                Some(&etag(base)),
                Some(body.as_bytes()),
            )?;
            match r.status {
                200 => {
                    let v = r.json()?["version"].as_u64().unwrap_or(0);
                    got.push(v);
                    base = v;
                    break;
                }
                412 => {
                    base = r.json()?["error"]["details"]["currentVersion"]
                        .as_u64()
                        .ok_or_else(|| {
                            Failed(format!("412 without currentVersion: {}", r.text()))
                        })?;
                }
                _ => return Err(Failed(format!("writer {i}: {} {}", r.status, r.text()))),
            }
        }
    }
    Ok(got)
}

fn concurrent_writers(f: &Fixture) -> Result {
    let start = version(f.addr)?;
    let audit_start = last_audit_id(f.addr)?;
    let began = Instant::now();
    let deadline = began + Duration::from_secs(300);
    let results: Vec<Result<Vec<u64>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| s.spawn(move || writer(f.addr, i, deadline)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Failed("a writer panicked".into())))
            })
            .collect()
    });
    let elapsed = began.elapsed();
    let mut all = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let versions = r?;
        expect(versions.windows(2).all(|w| w[0] < w[1]), || {
            format!("writer {i} saw versions out of order: {versions:?}")
        })?;
        all.push(versions);
    }
    let total = WRITERS * EDITS_PER_WRITER;
    eprintln!(
        "          {total} edits by {WRITERS} writers in {:.1} s ({:.1} ms per accepted write)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / total as f64
    );
    let mut every: Vec<u64> = all.iter().flatten().copied().collect();
    every.sort_unstable();
    let want: Vec<u64> = (start + 1..=start + total as u64).collect();
    expect(every == want, || {
        format!(
            "accepted versions are not exactly {}..={}",
            start + 1,
            start + total as u64
        )
    })?;
    let flag = get_ok(f.addr, &format!("/api/v1/flags/{BOOLEAN_FLAG}"), VIEWER)?;
    let metadata = &flag["flag"]["metadata"];
    let missing: Vec<String> = (0..WRITERS)
        .flat_map(|i| (0..EDITS_PER_WRITER).map(move |n| (i, n)))
        .filter(|(i, n)| metadata[format!("e2e-w{i}-{n}")] != json!(n))
        .map(|(i, n)| format!("e2e-w{i}-{n}"))
        .collect();
    expect(missing.is_empty(), || {
        format!(
            "{} edits lost: {:?}…",
            missing.len(),
            &missing[..missing.len().min(5)]
        )
    })?;
    expect(last_audit_id(f.addr)? == audit_start + total as u64, || {
        format!(
            "the audit log grew by {}, want {total}",
            last_audit_id(f.addr).unwrap_or(0) - audit_start
        )
    })?;
    for (i, versions) in all.iter().enumerate() {
        let entries = get_ok(
            f.addr,
            &format!("/api/v1/audit?actor=writer-{i}&limit=1000"),
            ADMIN,
        )?;
        let mut logged: Vec<u64> = entries["entries"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["version"].as_u64()).collect())
            .unwrap_or_default();
        logged.sort_unstable();
        expect(&logged == versions, || {
            format!("writer-{i}'s audit versions {logged:?}, want {versions:?}")
        })?;
    }
    Ok(())
}

fn concurrent_shortcuts(f: &Fixture) -> Result {
    let start = version(f.addr)?;
    let flag = "mem0-integration";
    let results: Vec<Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                s.spawn(move || {
                    let mut retried = 0u64;
                    for n in 0..10 {
                        let path = format!("/feature-flags/{flag}/user/op{i}-u{n}?env=staging");
                        // wrangler dev's proxy (not the worker) answers 503 "Your worker
                        // restarted mid-request" when it loses a POST in flight, and never
                        // retries one itself; seen in 2 of 5 local runs. Retry that answer
                        // only (at most 3 times), and count it for the version check below.
                        let mut attempt = 0;
                        let r = loop {
                            let r = call(
                                f.addr,
                                "POST",
                                &path,
                                Some(&writer_token(i)),
                                None,
                                Some(br#"{"enabled": true}"#),
                            )?;
                            if r.status == 503
                                && r.text().contains("restarted mid-request")
                                && attempt < 3
                            {
                                attempt += 1;
                                retried += 1;
                                continue;
                            }
                            break r;
                        };
                        expect(r.status == 200, || {
                            format!("{path}: {} {}", r.status, r.text())
                        })?;
                    }
                    Ok(retried)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Failed("an operator panicked".into())))
            })
            .collect()
    });
    let retried: u64 = results
        .into_iter()
        .collect::<Result<Vec<u64>>>()?
        .iter()
        .sum();
    // A retried request may have been applied before the proxy lost it: then its retry is a
    // second version (the same target again), never a lost one.
    let now = version(f.addr)?;
    expect((start + 80..=start + 80 + retried).contains(&now), || {
        format!("80 shortcuts ({retried} retried after a proxy 503): version went {start} → {now}")
    })?;
    let got = get_ok(f.addr, &format!("/api/v1/flags/{flag}"), VIEWER)?;
    let targets = &got["flag"]["environments"]["staging"]["targets"];
    let targeted: Vec<&str> = targets
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter(|t| t.get("attribute").is_none() && t["variant"] == json!("on"))
                .flat_map(|t| t["values"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<String> = (0..WRITERS)
        .flat_map(|i| (0..10).map(move |n| format!("op{i}-u{n}")))
        .filter(|u| !targeted.contains(&u.as_str()))
        .collect();
    expect(missing.is_empty(), || {
        format!("targets lost: {missing:?} (targets {targets})")
    })
}

// ---- shortcuts and propagation ------------------------------------------------------------

fn shortcuts(f: &Fixture) -> Result {
    let v = version(f.addr)?;
    // The kill switch by query, then back on by header.
    let r = call(
        f.addr,
        "PUT",
        &format!("/feature-flags/{BOOLEAN_FLAG}?env=staging"),
        Some(EDITOR),
        None,
        Some(br#"{"enabled": false}"#),
    )?;
    let body = expect_json(&r, 200)?;
    expect(
        body["settings"]["enabled"] == json!(false)
            && body["environment"] == json!("staging")
            && body["version"] == json!(v + 1),
        || format!("kill switch answered {body}"),
    )?;
    let auth = format!("Bearer {EDITOR}");
    let r = http::request(
        f.addr,
        "PUT",
        &format!("/feature-flags/{BOOLEAN_FLAG}"),
        &[
            ("Authorization", &auth),
            ("X-Burgee-Environment", "staging"),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"enabled": true}"#),
    )?;
    let body = expect_json(&r, 200)?;
    expect(
        body["settings"]["enabled"] == json!(true) && body["environment"] == json!("staging"),
        || format!("by header: {body}"),
    )?;
    // Without either, the configured default environment (production).
    let r = call(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/user/sc-user"),
        Some(EDITOR),
        None,
        Some(br#"{"enabled": true}"#),
    )?;
    let body = expect_json(&r, 200)?;
    expect(body["environment"] == json!("production"), || {
        format!("default environment: {body}")
    })?;
    let eval = store_evaluate(f.addr, "production", &json!({"targetingKey": "sc-user"}))?;
    expect(
        eval["results"][BOOLEAN_FLAG]["reason"] == json!("TARGETING_MATCH")
            && eval["results"][BOOLEAN_FLAG]["value"] == json!(true),
        || format!("targeted user: {}", eval["results"][BOOLEAN_FLAG]),
    )?;
    // Switching the user to off moves it to the other target.
    let r = call(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/user/sc-user"),
        Some(EDITOR),
        None,
        Some(br#"{"enabled": false}"#),
    )?;
    expect_json(&r, 200)?;
    let eval = store_evaluate(
        f.addr,
        "production",
        &json!({"targetingKey": "sc-user", "role": "admin"}),
    )?;
    expect(
        eval["results"][BOOLEAN_FLAG]["value"] == json!(false)
            && eval["results"][BOOLEAN_FLAG]["reason"] == json!("TARGETING_MATCH"),
        || {
            format!(
                "user moved to off (before the admin rule): {}",
                eval["results"][BOOLEAN_FLAG]
            )
        },
    )?;
    let r = call(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/org/sc-org"),
        Some(EDITOR),
        None,
        Some(br#"{"enabled": true}"#),
    )?;
    expect_json(&r, 200)?;
    let eval = store_evaluate(
        f.addr,
        "production",
        &json!({"targetingKey": "anyone", "orgId": "sc-org"}),
    )?;
    expect(
        eval["results"][BOOLEAN_FLAG]["value"] == json!(true),
        || format!("targeted org: {}", eval["results"][BOOLEAN_FLAG]),
    )?;
    let audit = get_ok(
        f.addr,
        &format!("/api/v1/audit?flag={BOOLEAN_FLAG}&limit=5"),
        VIEWER,
    )?;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    expect(
        actions == ["target", "target", "target", "toggle", "toggle"],
        || format!("audit {actions:?}"),
    )
}

fn kill_switch_latency(f: &Fixture) -> Result {
    let flag = "daily-planning";
    let admin_ctx = json!({"targetingKey": "ks-user", "role": "admin"});
    // Make sure it is on, and that the evaluation path has it cached.
    let r = call(
        f.addr,
        "PUT",
        &format!("/feature-flags/{flag}?env=production"),
        Some(EDITOR),
        None,
        Some(br#"{"enabled": true}"#),
    )?;
    expect_json(&r, 200)?;
    let settle = Instant::now();
    while ofrep(f.addr, flag, &admin_ctx)?["reason"] == json!("DISABLED") {
        expect(settle.elapsed() < Duration::from_secs(5), || {
            "the flag never came back on".into()
        })?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut worst = Duration::ZERO;
    for round in 0..3 {
        let enabled = round % 2 == 1;
        let r = call(
            f.addr,
            "PUT",
            &format!("/feature-flags/{flag}?env=production"),
            Some(EDITOR),
            None,
            Some(format!("{{\"enabled\": {enabled}}}").as_bytes()),
        )?;
        expect_json(&r, 200)?;
        let toggled = Instant::now();
        loop {
            let reason = ofrep(f.addr, flag, &admin_ctx)?["reason"].clone();
            if (reason == json!("DISABLED")) != enabled {
                break;
            }
            expect(toggled.elapsed() < Duration::from_secs(5), || {
                format!("round {round}: still {reason} after 5 s")
            })?;
            std::thread::sleep(Duration::from_millis(20));
        }
        worst = worst.max(toggled.elapsed());
    }
    eprintln!(
        "          slowest of 3 toggles reached OFREP after {} ms",
        worst.as_millis()
    );
    // Leave it off: the check below and restarts keep exercising a disabled flag.
    expect(worst <= Duration::from_secs(1), || {
        format!("a toggle took {} ms to reach evaluation", worst.as_millis())
    })
}

fn change_stream(f: &Fixture) -> Result {
    let mut streams = Vec::new();
    for _ in 0..2 {
        let mut stream = EventStream::open(f.addr, "production")?;
        let hello = stream.next(Duration::from_secs(10), |e| e["type"] == json!("connected"))?;
        expect(hello["version"].as_u64().is_some(), || {
            format!("connected event {hello}")
        })?;
        streams.push(stream);
    }
    let staging_only = write(
        f.addr,
        "POST",
        "/api/v1/flags/sms_campaigns/toggle",
        EDITOR,
        &json!({"environment": "staging", "enabled": false}),
        200,
    )?;
    let v = write(
        f.addr,
        "POST",
        "/api/v1/flags/sms_campaigns/toggle",
        EDITOR,
        &json!({"environment": "production", "enabled": false}),
        200,
    )?;
    for (i, stream) in streams.iter_mut().enumerate() {
        let event = stream.next(Duration::from_secs(5), |e| {
            e["type"] == json!("refetchEvaluation")
        })?;
        expect(
            event["version"] == json!(v)
                && event["changed"] == json!(["sms_campaigns"])
                && event["etag"] == json!(etag(v)),
            || {
                format!(
                    "client {i} heard {event}, want version {v} (not the staging-only {staging_only})"
                )
            },
        )?;
    }
    Ok(())
}

fn read_your_writes(f: &Fixture) -> Result {
    let ctx = json!({"targetingKey": "ryw", "plan": "enterprise"});
    let flag = "max-upload-mb";
    let v = write(
        f.addr,
        "PATCH",
        &format!("/api/v1/flags/{flag}"),
        EDITOR,
        &json!({"variants": {"enterprise": 750}}),
        200,
    )?;
    let eval = store_evaluate(f.addr, "production", &ctx)?;
    expect(
        eval["version"] == json!(v) && eval["results"][flag]["value"] == json!(750),
        || format!("right after version {v}: {eval}"),
    )?;
    write(
        f.addr,
        "PATCH",
        &format!("/api/v1/flags/{flag}"),
        EDITOR,
        &json!({"variants": {"enterprise": 500}}),
        200,
    )?;
    Ok(())
}

// ---- history, restore, audit, export -------------------------------------------------------

fn history_and_diff(f: &Fixture) -> Result {
    let v = version(f.addr)?;
    let list = get_ok(f.addr, "/api/v1/history?limit=5", VIEWER)?;
    let versions: Vec<u64> = list["versions"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x["version"].as_u64()).collect())
        .unwrap_or_default();
    expect(versions == (v - 4..=v).rev().collect::<Vec<_>>(), || {
        format!("history {versions:?} at {v}")
    })?;
    let older = get_ok(
        f.addr,
        &format!("/api/v1/history?limit=3&before={}", v - 4),
        VIEWER,
    )?;
    expect(older["versions"][0]["version"] == json!(v - 5), || {
        format!("paged history {older}")
    })?;
    let first = get_ok(f.addr, "/api/v1/history/1", VIEWER)?;
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/tasks-app.json"))
            .map_err(|e| Failed(e.to_string()))?,
    )
    .map_err(|e| Failed(e.to_string()))?;
    expect(
        first["action"] == json!("import")
            && first["actor"] == json!("ada.lovelace")
            && first["document"]["flags"] == example["flags"],
        || "version 1 is the imported example".into(),
    )?;
    let current = get_ok(f.addr, "/api/v1/document", VIEWER)?;
    let latest = get_ok(f.addr, &format!("/api/v1/history/{v}"), VIEWER)?;
    expect(latest["document"] == current["document"], || {
        "the newest history entry is the document".into()
    })?;
    // The last write (read_your_writes) set enterprise back to 500: one flag-level change.
    let d = get_ok(
        f.addr,
        &format!("/api/v1/diff?from={}&to={v}", v - 1),
        VIEWER,
    )?;
    let pointers: Vec<&str> = d["changes"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["pointer"].as_str()).collect())
        .unwrap_or_default();
    expect(
        pointers.contains(&"/flags/max-upload-mb/variants/enterprise"),
        || format!("diff {d}"),
    )?;
    let change = d["changes"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|x| x["pointer"] == json!("/flags/max-upload-mb/variants/enterprise"))
        })
        .cloned()
        .unwrap_or_default();
    expect(
        change
            == json!({"pointer": "/flags/max-upload-mb/variants/enterprise", "op": "replace", "before": 750, "after": 500}),
        || format!("change {change}"),
    )?;
    let same = get_ok(f.addr, &format!("/api/v1/diff?from={v}&to={v}"), VIEWER)?;
    expect(same["changes"] == json!([]), || {
        format!("a version against itself: {same}")
    })
}

fn evaluations(addr: SocketAddr) -> Result<Vec<Value>> {
    contexts()
        .iter()
        .map(|c| store_evaluate(addr, "production", c).map(|mut e| e["results"].take()))
        .collect()
}

fn restore(f: &Fixture) -> Result {
    let old = version(f.addr)?;
    let old_doc = get_ok(f.addr, "/api/v1/document", VIEWER)?["document"].clone();
    let old_eval = evaluations(f.addr)?;
    write(
        f.addr,
        "PATCH",
        "/api/v1/flags/checkout-button-color",
        EDITOR,
        &json!({"environments": {"production": {"defaultServe": {"rollout": null, "variant": "green"}}}}),
        200,
    )?;
    let r = call(
        f.addr,
        "PUT",
        "/feature-flags/multi_language?env=production",
        Some(EDITOR),
        None,
        Some(br#"{"enabled": false}"#),
    )?;
    expect_json(&r, 200)?;
    write(
        f.addr,
        "DELETE",
        "/api/v1/flags/onboarding-config",
        EDITOR,
        &json!(null),
        200,
    )?;
    expect(evaluations(f.addr)? != old_eval, || {
        "the edits changed nothing to evaluate".into()
    })?;
    let v = write(
        f.addr,
        "POST",
        &format!("/api/v1/restore/{old}"),
        ADMIN,
        &json!(null),
        200,
    )?;
    let restored = get_ok(f.addr, "/api/v1/document", VIEWER)?;
    let without_version = |d: &Value| {
        let mut d = d.clone();
        d.as_object_mut().map(|o| o.remove("version"));
        d
    };
    expect(restored["document"]["version"] == json!(v), || {
        format!(
            "the restored document says version {}",
            restored["document"]["version"]
        )
    })?;
    expect(
        without_version(&restored["document"]) == without_version(&old_doc),
        || "the restored document differs from the old one".into(),
    )?;
    expect(evaluations(f.addr)? == old_eval, || {
        format!("version {v} (restored from {old}) evaluates differently")
    })?;
    let entry = get_ok(f.addr, &format!("/api/v1/history/{v}"), VIEWER)?;
    expect(
        entry["action"] == json!("restore") && entry["actor"] == json!("ada.lovelace"),
        || format!("history entry {entry}"),
    )?;
    // The public data plane agrees once its TTL has passed.
    std::thread::sleep(Duration::from_millis(1200));
    for (context, want) in contexts().iter().zip(&old_eval).take(6) {
        let got = ofrep(f.addr, "checkout-button-color", context)?;
        expect(
            got["value"] == want["checkout-button-color"]["value"],
            || {
                format!(
                    "OFREP {got} for {context}, want {}",
                    want["checkout-button-color"]
                )
            },
        )?;
    }
    Ok(())
}

fn audit(f: &Fixture) -> Result {
    let all = get_ok(f.addr, "/api/v1/audit?limit=1000", ADMIN)?;
    let entries = all["entries"].as_array().cloned().unwrap_or_default();
    let ids: Vec<u64> = entries.iter().filter_map(|e| e["id"].as_u64()).collect();
    expect(ids.windows(2).all(|w| w[0] > w[1]), || {
        "audit entries are not newest first".into()
    })?;
    for e in &entries {
        let keys: Vec<&str> = e
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for k in [
            "id", "at", "actor", "action", "target", "version", "summary",
        ] {
            expect(keys.contains(&k), || {
                format!("audit entry without {k}: {e}")
            })?;
        }
    }
    let by_flag = get_ok(
        f.addr,
        "/api/v1/audit?flag=daily-planning&limit=1000",
        VIEWER,
    )?;
    let n = by_flag["entries"].as_array().map_or(0, Vec::len);
    let want = entries
        .iter()
        .filter(|e| {
            e["flags"]
                .as_array()
                .is_some_and(|fl| fl.contains(&json!("daily-planning")))
        })
        .count();
    expect(n == want && n >= 4, || {
        format!("audit?flag=daily-planning: {n} entries, want {want}")
    })?;
    let page = get_ok(
        f.addr,
        &format!("/api/v1/audit?limit=2&before={}", ids[0]),
        VIEWER,
    )?;
    let page_ids: Vec<u64> = page["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["id"].as_u64()).collect())
        .unwrap_or_default();
    expect(page_ids == ids[1..3], || {
        format!("page {page_ids:?}, want {:?}", &ids[1..3])
    })?;
    let r = call(
        f.addr,
        "GET",
        "/api/v1/audit?actor=eve.editor",
        Some(EDITOR),
        None,
        None,
    )?;
    expect_error(&r, 403, "forbidden")?;
    let eve = get_ok(f.addr, "/api/v1/audit?actor=eve.editor&limit=1000", ADMIN)?;
    expect(
        eve["entries"]
            .as_array()
            .is_some_and(|e| !e.is_empty() && e.iter().all(|x| x["actor"] == json!("eve.editor"))),
        || "audit?actor=eve.editor".into(),
    )
}

fn export_import(f: &Fixture) -> Result {
    let r = call(f.addr, "GET", "/api/v1/export", Some(VIEWER), None, None)?;
    let exported = expect_json(&r, 200)?;
    expect(
        r.header("content-disposition")
            .is_some_and(|d| d.contains("attachment")),
        || "export is not a download".into(),
    )?;
    let before_eval = evaluations(f.addr)?;
    // Change something, then import the export: back to exactly the exported document.
    write(
        f.addr,
        "PATCH",
        "/api/v1/flags/sms_campaigns",
        EDITOR,
        &json!({"name": "changed after export"}),
        200,
    )?;
    let v = write(f.addr, "POST", "/api/v1/import", ADMIN, &exported, 200)?;
    let r = call(f.addr, "GET", "/api/v1/export", Some(VIEWER), None, None)?;
    let again = expect_json(&r, 200)?;
    let strip = |mut d: Value| {
        if let Some(o) = d.as_object_mut() {
            o.remove("version");
        }
        d
    };
    expect(strip(again.clone()) == strip(exported.clone()), || {
        "export → import → export changed the document".into()
    })?;
    expect(again["version"] == json!(v), || {
        format!("export version {}, want {v}", again["version"])
    })?;
    expect(evaluations(f.addr)? == before_eval, || {
        "the imported document evaluates differently".into()
    })?;
    let entry = get_ok(f.addr, "/api/v1/audit?limit=1", ADMIN)?;
    expect(
        entry["entries"][0]["action"] == json!("import")
            && entry["entries"][0]["version"] == json!(v),
        || format!("audit {entry}"),
    )
}

fn validate_only(f: &Fixture) -> Result {
    let before = state(f.addr)?;
    let mut doc = get_ok(f.addr, "/api/v1/export", VIEWER)?;
    let r = call(
        f.addr,
        "POST",
        "/api/v1/validate",
        Some(VIEWER),
        None,
        Some(doc.to_string().as_bytes()),
    )?;
    let ok = expect_json(&r, 200)?;
    expect(ok["valid"] == json!(true), || {
        format!("the exported document does not validate: {ok}")
    })?;
    doc["flags"]["daily-planning"]["environments"]["production"]["offVariant"] = json!("nope");
    doc["flags"]["daily-planning"]["enabled"] = json!(true);
    let r = call(
        f.addr,
        "POST",
        "/api/v1/validate",
        Some(VIEWER),
        None,
        Some(doc.to_string().as_bytes()),
    )?;
    let bad = expect_json(&r, 200)?;
    let codes: Vec<(&str, &str)> = bad["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| Some((x["code"].as_str()?, x["pointer"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    expect(
        bad["valid"] == json!(false)
            && codes.contains(&(
                "unknown-variant",
                "/flags/daily-planning/environments/production/offVariant",
            ))
            && codes.contains(&("misplaced-field", "/flags/daily-planning/enabled")),
        || format!("validate answered {bad}"),
    )?;
    unchanged(f.addr, &before, "validate")
}

fn nothing_secret_published(f: &Fixture) -> Result {
    let mut secrets: Vec<String> = vec![
        ADMIN.into(),
        EDITOR.into(),
        VIEWER.into(),
        "ada.lovelace".into(),
        "writer-3".into(),
    ];
    secrets.extend([ADMIN, EDITOR, VIEWER].map(crate::admin_api::token_hash));
    let mut bodies = Vec::new();
    for path in [
        "/v1/snapshot/production",
        "/v1/snapshot/staging",
        "/feature-flags?userId=u1",
        "/health",
    ] {
        bodies.push((path.to_string(), http::get(f.addr, path)?.body));
    }
    let bulk = br#"{"context": {"targetingKey": "u1"}}"#;
    let r = http::request(
        f.addr,
        "POST",
        "/ofrep/v1/evaluate/flags",
        &[("Content-Type", "application/json")],
        Some(bulk),
    )?;
    bodies.push(("/ofrep/v1/evaluate/flags".into(), r.body));
    for (path, body) in &bodies {
        expect(!body.is_empty(), || format!("{path} answered nothing"))?;
        for secret in &secrets {
            expect(
                !body.windows(secret.len()).any(|w| w == secret.as_bytes()),
                || format!("{path} contains {secret:?}"),
            )?;
        }
    }
    Ok(())
}

// ---- after a restart -----------------------------------------------------------------------

fn intact_after_restart(f: &Restarted) -> Result {
    let now = Saved::read(f.addr)?;
    expect(now.document == f.before.document, || {
        "the document changed across the restart".into()
    })?;
    expect(now.history == f.before.history, || {
        "the history changed across the restart".into()
    })?;
    expect(now.audit == f.before.audit, || {
        "the audit log changed across the restart".into()
    })
}

fn writes_after_restart(f: &Restarted) -> Result {
    let v = f.before.document["version"].as_u64().unwrap_or(0);
    let next = write(
        f.addr,
        "POST",
        "/api/v1/flags/daily-planning/toggle",
        ADMIN,
        &json!({"environment": "production", "enabled": true}),
        200,
    )?;
    expect(next == v + 1, || format!("version {next} after {v}"))?;
    let began = Instant::now();
    loop {
        let health = expect_json(&http::get(f.addr, "/health")?, 200)?;
        let published = health["snapshots"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["environment"] == json!("production")))
            .and_then(|x| x["version"].as_u64());
        if published == Some(next) {
            return Ok(());
        }
        expect(began.elapsed() < Duration::from_secs(3), || {
            format!("/health still reports {published:?}, want {next}")
        })?;
        std::thread::sleep(Duration::from_millis(50));
    }
}
