//! Whole documents in and out: export and import round-trip, and validation that saves nothing.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::api::{call, evaluations, get_ok, state, unchanged, write};
use super::{ADMIN, EDITOR, Fixture, VIEWER};
use crate::Result;
use crate::e2e::{expect, expect_json};

pub(super) fn export_import(f: &Fixture) -> Result {
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

/// The validate route's answer for `doc`.
fn validate(addr: SocketAddr, doc: &Value) -> Result<Value> {
    let body = doc.to_string();
    let r = call(
        addr,
        "POST",
        "/api/v1/validate",
        Some(VIEWER),
        None,
        Some(body.as_bytes()),
    )?;
    expect_json(&r, 200)
}

pub(super) fn validate_only(f: &Fixture) -> Result {
    let before = state(f.addr)?;
    let mut doc = get_ok(f.addr, "/api/v1/export", VIEWER)?;
    let ok = validate(f.addr, &doc)?;
    expect(ok["valid"] == json!(true), || {
        format!("the exported document does not validate: {ok}")
    })?;
    doc["flags"]["daily-planning"]["environments"]["production"]["offVariant"] = json!("nope");
    doc["flags"]["daily-planning"]["enabled"] = json!(true);
    let bad = validate(f.addr, &doc)?;
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
