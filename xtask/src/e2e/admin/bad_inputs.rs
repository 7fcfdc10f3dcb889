//! Requests the admin API must refuse, as tables: each row is one request (sent as the admin,
//! who may do everything) and the JSON error it must get; rows that differ only in body or
//! header come from one row and a list. None of them may change the version, the document or
//! the audit log.

use serde_json::{Value, json};

use super::api::{call, etag, state, unchanged};
use super::{ADMIN, BOOLEAN_FLAG, Fixture, REQUIRED_FLAG, SEGMENT, STRING_FLAG};
use crate::e2e::{expect, expect_error};
use crate::{Failed, Result};

/// The status and error code a refusal answers with.
type Refusal = (u16, &'static str);

const INVALID_JSON: Refusal = (400, "invalid_json");
const INVALID_BODY: Refusal = (400, "invalid_body");
const INVALID_IF_MATCH: Refusal = (400, "invalid_if_match");
const INVALID_PARAMETER: Refusal = (400, "invalid_parameter");
const NOT_FOUND: Refusal = (404, "not_found");
const FLAG_NOT_FOUND: Refusal = (404, "flag_not_found");
const SEGMENT_NOT_FOUND: Refusal = (404, "segment_not_found");
const ENVIRONMENT_NOT_FOUND: Refusal = (404, "environment_not_found");
const VERSION_NOT_FOUND: Refusal = (404, "version_not_found");
const METHOD_NOT_ALLOWED: Refusal = (405, "method_not_allowed");
const VERSION_CONFLICT: Refusal = (412, "version_conflict");
const PAYLOAD_TOO_LARGE: Refusal = (413, "payload_too_large");
const INVALID_DOCUMENT: Refusal = (422, "invalid_document");
const NOT_A_BOOLEAN_FLAG: Refusal = (422, "not_a_boolean_flag");
const FLAG_IN_USE: Refusal = (422, "flag_in_use");
const SEGMENT_IN_USE: Refusal = (422, "segment_in_use");
const PRECONDITION_REQUIRED: Refusal = (428, "precondition_required");

/// One request that must be refused.
struct Bad {
    what: String,
    method: &'static str,
    path: String,
    if_match: Option<String>,
    body: Option<Vec<u8>>,
    want: Refusal,
}

fn bad(
    what: impl Into<String>,
    method: &'static str,
    path: impl Into<String>,
    if_match: Option<&str>,
    body: Option<Vec<u8>>,
    want: Refusal,
) -> Bad {
    Bad {
        what: what.into(),
        method,
        path: path.into(),
        if_match: if_match.map(str::to_string),
        body,
        want,
    }
}

/// A JSON body.
fn j(v: Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

pub(super) fn bad_inputs(f: &Fixture) -> Result {
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
            Some(ADMIN),
            case.if_match.as_deref(),
            case.body.as_deref(),
        )?;
        let (status, code) = case.want;
        if let Err(Failed(why)) = expect_error(&r, status, code) {
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

/// Every case, in the order they are sent, when the store is at version `v`.
fn bad_inputs_for(v: u64) -> Vec<Bad> {
    let current = etag(v);
    let mut cases = malformed(&current);
    cases.extend(refused_bodies(&current));
    cases.extend(invalid_documents(&current));
    cases.extend(limits(&current));
    cases.extend(preconditions(v));
    cases.extend(missing_or_in_use(&current));
    cases
}

/// Text that is not JSON.
const MALFORMED: [&[u8]; 10] = [
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

/// JSON that is not an object.
const NOT_OBJECTS: [&str; 5] = ["[]", "\"flag\"", "42", "null", "true"];

/// Every route that reads a JSON body; the first seven are the store's writes.
fn body_routes() -> [(&'static str, String); 11] {
    let flag = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    [
        ("PUT", "/api/v1/document".into()),
        ("POST", "/api/v1/import".into()),
        ("PUT", "/api/v1/flags/new-flag".into()),
        ("PATCH", flag.clone()),
        ("PUT", "/api/v1/segments/new-seg".into()),
        ("PATCH", format!("/api/v1/segments/{SEGMENT}")),
        ("POST", format!("{flag}/toggle")),
        ("POST", "/api/v1/validate".into()),
        ("POST", "/api/v1/evaluate".into()),
        (
            "PUT",
            format!("/feature-flags/{BOOLEAN_FLAG}?env=production"),
        ),
        ("POST", format!("/feature-flags/{BOOLEAN_FLAG}/user/u1")),
    ]
}

/// Every route × every malformed body, then the writes × bodies of the wrong shape.
fn malformed(current: &str) -> Vec<Bad> {
    let routes = body_routes();
    let mut cases = Vec::new();
    for (method, path) in &routes {
        for body in MALFORMED {
            let what = format!("{method} {path} with {:?}", String::from_utf8_lossy(body));
            let body = Some(body.to_vec());
            cases.push(bad(what, method, path, Some(current), body, INVALID_JSON));
        }
    }
    for (method, path) in &routes[..7] {
        for body in NOT_OBJECTS {
            let what = format!("{method} {path} with {body}");
            let body = Some(body.into());
            cases.push(bad(what, method, path, Some(current), body, INVALID_BODY));
        }
    }
    cases
}

/// Objects that miss a field or give it the wrong type, or name what is not there.
#[rustfmt::skip]
fn refused_bodies(current: &str) -> Vec<Bad> {
    let toggle = format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle");
    let kill = format!("/feature-flags/{BOOLEAN_FLAG}?env=production");
    let at = Some(current);
    vec![
        bad("toggle without environment", "POST", &toggle, at, j(json!({"enabled": true})), INVALID_BODY),
        bad("toggle with a numeric environment", "POST", &toggle, at, j(json!({"environment": 1, "enabled": true})), INVALID_BODY),
        bad("toggle without enabled", "POST", &toggle, at, j(json!({"environment": "production"})), INVALID_BODY),
        bad("toggle with enabled \"yes\"", "POST", &toggle, at, j(json!({"environment": "production", "enabled": "yes"})), INVALID_BODY),
        bad("toggle in an unknown environment", "POST", &toggle, at, j(json!({"environment": "moon", "enabled": true})), ENVIRONMENT_NOT_FOUND),
        bad("kill switch with enabled \"false\"", "PUT", &kill, None, j(json!({"enabled": "false"})), INVALID_BODY),
        bad("kill switch without enabled", "PUT", &kill, None, j(json!({})), INVALID_BODY),
        bad("user target with enabled 1", "POST", format!("/feature-flags/{BOOLEAN_FLAG}/user/u1"), None, j(json!({"enabled": 1})), INVALID_BODY),
        bad("org target without enabled", "POST", format!("/feature-flags/{BOOLEAN_FLAG}/org/o1"), None, j(json!({"on": true})), INVALID_BODY),
        bad("kill switch in an unknown environment", "PUT", format!("/feature-flags/{BOOLEAN_FLAG}?env=moon"), None, j(json!({"enabled": false})), ENVIRONMENT_NOT_FOUND),
        bad("user target on a string flag", "POST", format!("/feature-flags/{STRING_FLAG}/user/u1"), None, j(json!({"enabled": true})), NOT_A_BOOLEAN_FLAG),
        bad("kill switch of an unknown flag", "PUT", "/feature-flags/ghost?env=production", None, j(json!({"enabled": false})), FLAG_NOT_FOUND),
        bad("evaluate without environment", "POST", "/api/v1/evaluate", None, j(json!({"context": {}})), INVALID_BODY),
        bad("evaluate in an unknown environment", "POST", "/api/v1/evaluate", None, j(json!({"environment": "moon", "context": {}})), ENVIRONMENT_NOT_FOUND),
    ]
}

/// Writes that would leave a document that does not validate: 422 with diagnostics.
#[rustfmt::skip]
fn invalid_documents(current: &str) -> Vec<Bad> {
    let flag = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    let at = Some(current);
    let patch = |what: &str, body: Value| bad(format!("PATCH: {what}"), "PATCH", &flag, at, j(body), INVALID_DOCUMENT);
    let off = |settings: Value| json!({"environments": {"production": settings}});
    let mut cases = vec![
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
        // daily-planning requires enhanced-task-metadata.
        bad("PATCH: a two-flag prerequisite cycle", "PATCH", "/api/v1/flags/enhanced-task-metadata", at, j(json!({"prerequisites": [{"flag": "daily-planning", "variant": "on"}]})), INVALID_DOCUMENT),
        bad("PUT segment: a segment that includes itself", "PUT", "/api/v1/segments/loop", at, j(json!({"rules": [{"clauses": [{"op": "inSegment", "values": ["loop"]}]}]})), INVALID_DOCUMENT),
        bad("PUT segment: include as a string", "PUT", "/api/v1/segments/s1", at, j(json!({"include": "u-1"})), INVALID_DOCUMENT),
    ];
    let valid_flag = json!({"kind": "boolean", "variants": {"on": true, "off": false}});
    for key in ["Bad%20Key", "-leading-dash", "has%2Fslash", "dots..ok-but-%C3%A9", &"k".repeat(129)] {
        cases.push(bad(format!("PUT flag with the key {key:?}"), "PUT", format!("/api/v1/flags/{key}"), at, j(valid_flag.clone()), INVALID_DOCUMENT));
    }
    cases.extend([
        bad("PUT segment with the key \"white space\"", "PUT", "/api/v1/segments/white%20space", at, j(json!({"include": ["u"]})), INVALID_DOCUMENT),
        bad("PUT document without environments", "PUT", "/api/v1/document", at, j(json!({"flags": {}})), INVALID_DOCUMENT),
        bad("import with a duplicate environment", "POST", "/api/v1/import", at, j(json!({"environments": ["a", "a"], "flags": {}})), INVALID_DOCUMENT),
    ]);
    cases
}

/// A `{"description": "aaa…"}` body of `n` bytes.
fn big(n: usize) -> Option<Vec<u8>> {
    let mut b = b"{\"description\":\"".to_vec();
    b.resize(n - 2, b'a');
    b.extend_from_slice(b"\"}");
    Some(b)
}

/// A `{"description": [[[…]]]}` body `depth` arrays deep.
fn nested(depth: usize) -> Option<Vec<u8>> {
    let mut s = String::from("{\"description\":");
    s.push_str(&"[".repeat(depth));
    s.push_str(&"]".repeat(depth));
    s.push('}');
    Some(s.into_bytes())
}

/// Bodies over the size limit, and JSON nested deeper than the parser follows.
#[rustfmt::skip]
fn limits(current: &str) -> Vec<Bad> {
    let flag = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    let at = Some(current);
    let mut cases = vec![
        // Whole documents may be 16 MiB; everything else 1 MiB.
        bad("PUT document of 16 MiB + 1 byte", "PUT", "/api/v1/document", at, big((16 << 20) + 1), PAYLOAD_TOO_LARGE),
        bad("PATCH of 3 MiB", "PATCH", &flag, at, big(3 << 20), PAYLOAD_TOO_LARGE),
        bad("PUT flag of 1 MiB + 1 byte", "PUT", &flag, at, big((1 << 20) + 1), PAYLOAD_TOO_LARGE),
        bad("import of 16 MiB + 1 byte", "POST", "/api/v1/import", at, big((16 << 20) + 1), PAYLOAD_TOO_LARGE),
    ];
    for depth in [64, 100, 1000, 100_000] {
        cases.push(bad(format!("PATCH nested {depth} levels deep"), "PATCH", &flag, at, nested(depth), INVALID_JSON));
    }
    cases
}

/// If-Match missing, stale, from the future or a wildcard, on every kind of write.
#[rustfmt::skip]
fn preconditions(v: u64) -> Vec<Bad> {
    let flag = format!("/api/v1/flags/{BOOLEAN_FLAG}");
    let writes: [(&'static str, String, Option<Vec<u8>>); 10] = [
        ("PUT", "/api/v1/document".into(), j(json!({"environments": ["production"], "flags": {}}))),
        ("POST", "/api/v1/import".into(), j(json!({"environments": ["production"], "flags": {}}))),
        ("PUT", "/api/v1/flags/new-flag".into(), j(json!({"kind": "boolean", "variants": {"on": true, "off": false}}))),
        ("PATCH", flag.clone(), j(json!({"description": "x"}))),
        ("DELETE", format!("/api/v1/flags/{STRING_FLAG}"), None),
        ("POST", format!("{flag}/toggle"), j(json!({"environment": "production", "enabled": false}))),
        ("PUT", "/api/v1/segments/new-seg".into(), j(json!({"include": ["u"]}))),
        ("PATCH", format!("/api/v1/segments/{SEGMENT}"), j(json!({"description": "x"}))),
        ("DELETE", "/api/v1/segments/unused".into(), None),
        ("POST", "/api/v1/restore/1".into(), None),
    ];
    let headers = [
        ("no If-Match", None, PRECONDITION_REQUIRED),
        ("a stale If-Match", Some(etag(v - 1)), VERSION_CONFLICT),
        ("a future If-Match", Some(etag(v + 100)), VERSION_CONFLICT),
        ("If-Match: *", Some("*".to_string()), INVALID_IF_MATCH),
    ];
    let mut cases = Vec::new();
    for (method, path, body) in writes {
        for (label, header, want) in &headers {
            cases.push(bad(format!("{method} {path} with {label}"), method, &path, header.as_deref(), body.clone(), *want));
        }
    }
    cases
}

/// Things that are not there, uses that block deletes, and parameters that do not parse.
#[rustfmt::skip]
fn missing_or_in_use(current: &str) -> Vec<Bad> {
    let at = Some(current);
    vec![
        bad("PATCH an unknown flag", "PATCH", "/api/v1/flags/ghost", at, j(json!({"description": "x"})), FLAG_NOT_FOUND),
        bad("DELETE an unknown flag", "DELETE", "/api/v1/flags/ghost", at, None, FLAG_NOT_FOUND),
        bad("toggle an unknown flag", "POST", "/api/v1/flags/ghost/toggle", at, j(json!({"environment": "production", "enabled": true})), FLAG_NOT_FOUND),
        bad("PATCH an unknown segment", "PATCH", "/api/v1/segments/ghost", at, j(json!({"description": "x"})), SEGMENT_NOT_FOUND),
        bad("DELETE a prerequisite still required", "DELETE", format!("/api/v1/flags/{REQUIRED_FLAG}"), at, None, FLAG_IN_USE),
        bad("DELETE a segment still used", "DELETE", format!("/api/v1/segments/{SEGMENT}"), at, None, SEGMENT_IN_USE),
        bad("restore a version that never was", "POST", "/api/v1/restore/999999", at, None, VERSION_NOT_FOUND),
        bad("restore version \"latest\"", "POST", "/api/v1/restore/latest", at, None, INVALID_PARAMETER),
        bad("read a version that never was", "GET", "/api/v1/history/999999", None, None, VERSION_NOT_FOUND),
        bad("history with limit=abc", "GET", "/api/v1/history?limit=abc", None, None, INVALID_PARAMETER),
        bad("diff with from=x", "GET", "/api/v1/diff?from=x&to=1", None, None, INVALID_PARAMETER),
        bad("audit with before=-1", "GET", "/api/v1/audit?before=-1", None, None, INVALID_PARAMETER),
        bad("an unknown admin route", "GET", "/api/v1/nothing", None, None, NOT_FOUND),
        bad("DELETE the whole document", "DELETE", "/api/v1/document", at, None, METHOD_NOT_ALLOWED),
    ]
}
