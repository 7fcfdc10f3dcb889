//! Versioned writes: the `If-Match` protocol, each kind of write of flags and segments with
//! its version and audit entry, and a write the validator refuses.

use serde_json::json;

use super::api::{
    call, etag, get_ok, last_audit_id, state, store_evaluate, unchanged, version, write,
};
use super::{ADMIN, BOOLEAN_FLAG, EDITOR, Fixture, VIEWER};
use crate::Result;
use crate::e2e::{expect, expect_error, expect_json};

pub(super) fn if_match(f: &Fixture) -> Result {
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

pub(super) fn crud(f: &Fixture) -> Result {
    let audit_before = last_audit_id(f.addr)?;
    flag_writes(f)?;
    toggles(f)?;
    segment_writes_and_deletes(f)?;

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

/// Creates `crud-test`, replaces it as another user, patches it.
fn flag_writes(f: &Fixture) -> Result {
    let flag = json!({
        "kind": "string",
        "name": "Crud test",
        "variants": {"a": "alpha", "b": "beta"},
        "environments": {"production": {"enabled": true, "offVariant": "a", "defaultServe": {"variant": "b"}}}
    });
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
    Ok(())
}

/// Turns `crud-test` off, then off again, which writes nothing.
fn toggles(f: &Fixture) -> Result {
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
    Ok(())
}

/// Creates and patches `crud-seg`, then deletes it and `crud-test`.
fn segment_writes_and_deletes(f: &Fixture) -> Result {
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
    expect_error(&r, 404, "segment_not_found")
}

pub(super) fn invalid_document(f: &Fixture) -> Result {
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

/// A token whose role differs by environment: it may change staging, not production.
pub(super) fn role_by_environment(f: &Fixture) -> Result {
    let toggle =
        |environment: &str, enabled: bool| json!({"environment": environment, "enabled": enabled});
    let document = get_ok(f.addr, "/api/v1/document", ADMIN)?;
    let enabled = |environment: &str| {
        document["document"]["flags"][BOOLEAN_FLAG]["environments"][environment]["enabled"]
            .as_bool()
            .unwrap_or(true)
    };
    let path = format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle");
    let before = state(f.addr)?;
    let r = call(
        f.addr,
        "POST",
        &path,
        Some(super::STAGER),
        Some(&etag(version(f.addr)?)),
        Some(
            toggle("production", !enabled("production"))
                .to_string()
                .as_bytes(),
        ),
    )?;
    let refused = expect_json(&r, 403)?;
    expect(refused.to_string().contains("production"), || {
        format!("{refused}")
    })?;
    unchanged(
        f.addr,
        &before,
        "a production toggle by a production viewer",
    )?;
    let staging = enabled("staging");
    write(
        f.addr,
        "POST",
        &path,
        super::STAGER,
        &toggle("staging", !staging),
        200,
    )?;
    write(
        f.addr,
        "POST",
        &path,
        super::STAGER,
        &toggle("staging", staging),
        200,
    )?;
    Ok(())
}

/// A write's reason (`X-Burgee-Reason`, percent-encoded UTF-8) is kept with its version and
/// audit entry.
pub(super) fn reason_is_kept(f: &Fixture) -> Result {
    let document = get_ok(f.addr, "/api/v1/document", ADMIN)?;
    let enabled = document["document"]["flags"][BOOLEAN_FLAG]["environments"]["staging"]["enabled"]
        .as_bool()
        .unwrap_or(true);
    let current = version(f.addr)?;
    let body = json!({"environment": "staging", "enabled": !enabled}).to_string();
    let auth = format!("Bearer {EDITOR}");
    let if_match = etag(current);
    let reason = "errors at 25 % — rolling back";
    let encoded = burgee_api::percent_encode(reason);
    let r = crate::http::request(
        f.addr,
        "POST",
        &format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle"),
        &[
            ("Authorization", auth.as_str()),
            ("If-Match", if_match.as_str()),
            ("Content-Type", "application/json"),
            ("X-Burgee-Reason", encoded.as_str()),
        ],
        Some(body.as_bytes()),
    )?;
    expect_json(&r, 200)?;
    let history = get_ok(f.addr, &format!("/api/v1/history/{}", current + 1), ADMIN)?;
    expect(history.to_string().contains(reason), || {
        format!("{history}")
    })?;
    let audit = get_ok(f.addr, "/api/v1/audit?limit=1", ADMIN)?;
    expect(audit["entries"][0]["reason"] == reason, || {
        format!("{audit}")
    })
}
