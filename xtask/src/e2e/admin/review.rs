//! Reviewed changes through the real worker: per-flag revert, environment policies and change
//! requests by two people.

use serde_json::{Value, json};

use super::api::{call, etag, get_ok, version, write};
use super::{ADMIN, BOOLEAN_FLAG, DEPLOYER, EDITOR, Fixture, STAGER, VIEWER};
use crate::e2e::{expect, expect_error, expect_json};
use crate::{Failed, Result};

fn flag_in(addr: std::net::SocketAddr, environment: &str) -> Result<Value> {
    let flag = get_ok(addr, &format!("/api/v1/flags/{BOOLEAN_FLAG}"), VIEWER)?;
    Ok(flag["flag"]["environments"][environment].clone())
}

pub(super) fn revert_one_flag(f: &Fixture) -> Result {
    let then = version(f.addr)?;
    let before = flag_in(f.addr, "staging")?;
    let toggle = format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle");
    let on = before["enabled"].as_bool().unwrap_or(false);
    write(
        f.addr,
        "POST",
        &toggle,
        EDITOR,
        &json!({"environment": "staging", "enabled": !on}),
        200,
    )?;
    let other = get_ok(f.addr, "/api/v1/document", VIEWER)?["document"]["flags"].clone();
    let path = format!("/api/v1/flags/{BOOLEAN_FLAG}/revert");
    let stale = call(
        f.addr,
        "POST",
        &path,
        Some(EDITOR),
        Some(&etag(then)),
        Some(br#"{"version": 1}"#),
    )?;
    expect_error(&stale, 412, "version_conflict")?;
    let next = write(
        f.addr,
        "POST",
        &path,
        EDITOR,
        &json!({"version": then}),
        200,
    )?;
    expect(flag_in(f.addr, "staging")? == before, || {
        "the flag is as it was".into()
    })?;
    let now = get_ok(f.addr, "/api/v1/document", VIEWER)?["document"]["flags"].clone();
    let others_same = other
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != BOOLEAN_FLAG)
        .all(|(k, v)| now[k] == *v);
    expect(others_same, || {
        "a revert of one flag changed another".into()
    })?;
    let entry = get_ok(f.addr, &format!("/api/v1/history/{next}"), VIEWER)?;
    expect(
        entry["summary"].as_str().is_some_and(|s| {
            s.starts_with(&format!("reverted flag `{BOOLEAN_FLAG}` to version {then}"))
        }),
        || format!("history says {}", entry["summary"]),
    )
}

/// `POST /api/v1/change-requests/{id}/{what}` as `token` with `comment`: the answer, which
/// must be `status`, with the error `code` when it is one.
fn act(
    f: &Fixture,
    id: u64,
    what: &str,
    token: &str,
    comment: &str,
    want: (u16, &str),
) -> Result<Value> {
    let path = format!("/api/v1/change-requests/{id}/{what}");
    let body = json!({ "comment": comment }).to_string();
    let r = call(
        f.addr,
        "POST",
        &path,
        Some(token),
        None,
        Some(body.as_bytes()),
    )?;
    let (status, code) = want;
    let checked = if code.is_empty() {
        expect_json(&r, status)
    } else {
        expect_error(&r, status, code).map(|()| Value::Null)
    };
    checked.map_err(|Failed(why)| Failed(format!("{what} #{id}: {why}")))
}

const OK: (u16, &str) = (200, "");

fn request_id(answer: &Value) -> Result<u64> {
    answer["request"]["id"]
        .as_u64()
        .ok_or_else(|| Failed(format!("no change request in {answer}")))
}

/// A kill switch of [`BOOLEAN_FLAG`] in production by `token`; the answer.
fn switch(f: &Fixture, token: &str, enabled: bool) -> Result<crate::http::Response> {
    let body = json!({"environment": "production", "enabled": enabled}).to_string();
    let path = format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle");
    let current = etag(version(f.addr)?);
    call(
        f.addr,
        "POST",
        &path,
        Some(token),
        Some(&current),
        Some(body.as_bytes()),
    )
}

fn enabled_in(f: &Fixture, environment: &str) -> Result<Value> {
    Ok(flag_in(f.addr, environment)?["enabled"].clone())
}

pub(super) fn change_requests(f: &Fixture) -> Result {
    let policy = "/api/v1/environments/production/policy";
    let r = call(
        f.addr,
        "PUT",
        policy,
        Some(EDITOR),
        None,
        Some(br#"{"approvals": 1}"#),
    )?;
    expect_error(&r, 403, "forbidden")?;
    let r = call(
        f.addr,
        "PUT",
        policy,
        Some(ADMIN),
        None,
        Some(br#"{"approvals": 9}"#),
    )?;
    expect_error(&r, 400, "invalid_body")?;
    let set = br#"{"approvals": 1, "killSwitchExempt": true}"#;
    expect_json(
        &call(f.addr, "PUT", policy, Some(ADMIN), None, Some(set))?,
        200,
    )?;
    let read = get_ok(f.addr, policy, VIEWER)?;
    expect(read["policy"]["approvals"] == 1, || format!("{read}"))?;
    let result = four_eyes(f).and_then(|()| rejected_and_bypassed(f));
    // Whatever happened, the later checks find production without the policy.
    let reset = call(f.addr, "PUT", policy, Some(ADMIN), None, Some(b"{}"))?;
    result?;
    expect_json(&reset, 200).map(drop)
}

/// Request, refusals, approval, a stale base rebased and approved again, applied.
fn four_eyes(f: &Fixture) -> Result {
    // Off first: a kill switch is exempt, written at once and audited as such.
    if enabled_in(f, "production")? != json!(false) {
        let off = expect_json(&switch(f, EDITOR, false)?, 200)?;
        let exempt = off["summary"]
            .as_str()
            .is_some_and(|s| s.contains("exempt from approval"));
        expect(exempt, || format!("{off}"))?;
    }
    // On: held as a request; nothing changes.
    let held = version(f.addr)?;
    let id = request_id(&expect_json(&switch(f, EDITOR, true)?, 202)?)?;
    let unchanged = version(f.addr)? == held && enabled_in(f, "production")? == json!(false);
    expect(unchanged, || "a held change was written".into())?;
    act(f, id, "approve", EDITOR, "me", (403, "self_approval"))?;
    act(f, id, "apply", EDITOR, "", (409, "approvals_missing"))?;
    // A viewer in production may not approve what lands there.
    act(f, id, "approve", STAGER, "ok", (403, "forbidden"))?;
    act(f, id, "approve", ADMIN, "looks right", OK)?;
    // Someone else's write meanwhile (staging needs no approval): the base is stale.
    let staging = enabled_in(f, "staging")?.as_bool().unwrap_or(false);
    let toggle = format!("/api/v1/flags/{BOOLEAN_FLAG}/toggle");
    let body = json!({"environment": "staging", "enabled": !staging});
    write(f.addr, "POST", &toggle, STAGER, &body, 200)?;
    act(f, id, "apply", EDITOR, "", (409, "stale_base"))?;
    act(f, id, "apply", EDITOR, "", (409, "approvals_missing"))?;
    act(f, id, "approve", ADMIN, "again", OK)?;
    let applied = act(f, id, "apply", EDITOR, "", OK)?;
    expect(applied["request"]["status"] == "applied", || {
        format!("{applied}")
    })?;
    expect(enabled_in(f, "production")? == json!(true), || {
        "applied: on in production".into()
    })?;
    expect(enabled_in(f, "staging")? == json!(!staging), || {
        "the write made meanwhile stays".into()
    })
}

/// A rejected request (an operator's shortcut, answered 202) changes nothing; a bypass token
/// writes at once; the list filters; every step is audited.
fn rejected_and_bypassed(f: &Fixture) -> Result {
    let before = get_ok(f.addr, "/api/v1/document", VIEWER)?;
    let body = br#"{"enabled": true, "rolloutPercentage": 30}"#;
    let shortcut = format!("/feature-flags/{BOOLEAN_FLAG}?env=production");
    let r = call(f.addr, "PUT", &shortcut, Some(EDITOR), None, Some(body))?;
    let id = request_id(&expect_json(&r, 202)?)?;
    act(f, id, "reject", ADMIN, "", (400, "invalid_body"))?;
    act(f, id, "reject", ADMIN, "not during the sale", OK)?;
    act(f, id, "apply", EDITOR, "", (409, "change_request_closed"))?;
    let after = get_ok(f.addr, "/api/v1/document", VIEWER)?;
    expect(after == before, || {
        "a rejected request changed the document".into()
    })?;
    let bot = expect_json(&switch(f, DEPLOYER, false)?, 200)?;
    let bypassed = bot["summary"]
        .as_str()
        .is_some_and(|s| s.contains("bypassed by deploy-bot"));
    expect(bypassed, || format!("{bot}"))?;
    let list = format!("/api/v1/change-requests?status=rejected&flag={BOOLEAN_FLAG}");
    let rejected = get_ok(f.addr, &list, VIEWER)?;
    let one = rejected["requests"]
        .as_array()
        .is_some_and(|r| r.len() == 1 && r[0]["id"] == id);
    expect(one, || format!("{rejected}"))?;
    let audit = get_ok(f.addr, "/api/v1/audit?limit=50", ADMIN)?.to_string();
    let steps = [
        "change-request-approved",
        "change-request-rejected",
        "change-request-rebased",
        "applied change request",
        "exempt from approval",
        "bypassed by",
    ];
    for step in steps {
        expect(audit.contains(step), || {
            format!("no {step:?} in the audit log")
        })?;
    }
    Ok(())
}
