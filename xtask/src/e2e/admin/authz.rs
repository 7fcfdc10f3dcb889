//! Who may call what: every admin route against every kind of caller, with requests that
//! would change nothing even when let through, so the matrix leaves the store as it was.

use serde_json::{Value, json};

use super::api::{call, etag, get_ok, state};
use super::{ADMIN, BOOLEAN_FLAG, EDITOR, Fixture, SEGMENT, STRING_FLAG, VIEWER};
use crate::e2e::{expect, expect_error};
use crate::{Failed, Result};

/// Every admin route, the least role it needs, and a request that would be accepted in shape
/// but changes nothing when it gets through (a stale `If-Match`, or an unknown flag for the
/// shortcuts), so the whole matrix leaves the store as it was.
pub(super) fn routes() -> Vec<(&'static str, String, &'static str, Option<Value>)> {
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
    .into_iter()
    .chain(review_routes())
    .collect()
}

/// The review routes: revert, policies and change requests, each with a version, request or
/// environment the store does not have.
fn review_routes() -> Vec<(&'static str, String, &'static str, Option<Value>)> {
    vec![
        (
            "POST",
            format!("/api/v1/flags/{BOOLEAN_FLAG}/revert"),
            "editor",
            Some(json!({"version": 1})),
        ),
        (
            "POST",
            format!("/api/v1/segments/{SEGMENT}/revert"),
            "editor",
            Some(json!({"version": 1})),
        ),
        ("GET", "/api/v1/policies".into(), "viewer", None),
        (
            "GET",
            "/api/v1/environments/production/policy".into(),
            "viewer",
            None,
        ),
        (
            "PUT",
            format!("/api/v1/environments/{MISSING_ENVIRONMENT}/policy"),
            "admin",
            Some(json!({"approvals": 1})),
        ),
        ("GET", "/api/v1/change-requests".into(), "viewer", None),
        (
            "POST",
            "/api/v1/change-requests".into(),
            "editor",
            Some(
                json!({"baseVersion": MISSING, "document": {"environments": ["production"], "flags": {}}}),
            ),
        ),
        (
            "GET",
            format!("/api/v1/change-requests/{MISSING}"),
            "viewer",
            None,
        ),
        (
            "POST",
            format!("/api/v1/change-requests/{MISSING}/approve"),
            "editor",
            Some(json!({"comment": "authz"})),
        ),
        (
            "POST",
            format!("/api/v1/change-requests/{MISSING}/reject"),
            "editor",
            Some(json!({"comment": "authz"})),
        ),
        (
            "POST",
            format!("/api/v1/change-requests/{MISSING}/apply"),
            "editor",
            None,
        ),
    ]
}

/// A version and a change request number the store does not have (the routes that take them
/// answer `404` and change nothing).
const MISSING: u64 = 999_999;
const MISSING_ENVIRONMENT: &str = "no-such-environment";

pub(super) fn rank(role: &str) -> u8 {
    match role {
        "viewer" => 1,
        "editor" => 2,
        "admin" => 3,
        _ => 0,
    }
}

pub(super) fn authz_matrix(f: &Fixture) -> Result {
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
    let mut failed_sign_ins = 0;
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
                // Only a credential that does not verify is a failed sign-in; none at all is not.
                failed_sign_ins += usize::from(token.is_some());
                expect_error(&r, 401, "unauthenticated")
                    .map_err(|Failed(w)| Failed(format!("{what}: {w}")))?;
                expect(r.header("www-authenticate").is_some(), || {
                    format!("{what}: 401 without WWW-Authenticate")
                })?;
            } else if rank(role) < rank(needed) {
                expect_error(&r, 403, "forbidden")
                    .map_err(|Failed(w)| Failed(format!("{what}: {w}")))?;
            } else {
                let missing = path.contains(&MISSING.to_string())
                    || path.contains(MISSING_ENVIRONMENT)
                    || body
                        .as_deref()
                        .is_some_and(|b| b.contains(&MISSING.to_string()));
                let through = match (method, path.starts_with("/feature-flags")) {
                    _ if missing => r.status == 404,
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
    // Nothing changed but the audit log, which holds each failed sign-in and nothing else.
    let (document, _) = state(f.addr)?;
    expect(document == before.0, || {
        "the authorization matrix changed the document".into()
    })?;
    let audit = get_ok(f.addr, "/api/v1/audit?limit=1000", ADMIN)?;
    let added: Vec<&Value> = audit["entries"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["id"].as_u64().is_some_and(|id| id > before.1))
                .collect()
        })
        .unwrap_or_default();
    expect(
        added.len() == failed_sign_ins
            && added.iter().all(|e| {
                e["action"] == json!("sign-in-failed") && e["actor"] == json!("anonymous")
            }),
        || {
            format!(
                "{} audit entries for {failed_sign_ins} failed sign-ins: {added:?}",
                added.len()
            )
        },
    )?;
    let me = get_ok(f.addr, "/api/v1/whoami", EDITOR)?;
    expect(
        me == json!({"name": "eve.editor", "role": "editor"}),
        || format!("whoami {me}"),
    )
}
