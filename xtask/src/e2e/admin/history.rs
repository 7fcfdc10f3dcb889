//! The store's memory: history and diffs, restoring an old version, and the audit log.

use std::time::Duration;

use serde_json::{Value, json};

use super::api::{call, contexts, evaluations, get_ok, ofrep, shortcut, version, write};
use super::{ADMIN, EDITOR, Fixture, VIEWER};
use crate::e2e::{expect, expect_error};
use crate::{Failed, Result, root};

pub(super) fn history_and_diff(f: &Fixture) -> Result {
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

pub(super) fn restore(f: &Fixture) -> Result {
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
    shortcut(
        f.addr,
        "PUT",
        "/feature-flags/multi_language?env=production",
        br#"{"enabled": false}"#,
    )?;
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

pub(super) fn audit(f: &Fixture) -> Result {
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
    )?;
    audit_by_environment_and_time(f, &entries)
}

/// `?environment=` keeps what reached that environment; `?from=&to=` bounds the time.
fn audit_by_environment_and_time(f: &Fixture, entries: &[Value]) -> Result {
    let staging = get_ok(
        f.addr,
        "/api/v1/audit?environment=staging&limit=1000",
        VIEWER,
    )?;
    let staging = staging["entries"].as_array().cloned().unwrap_or_default();
    let reached = |e: &Value| {
        e["environments"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("staging")))
            || e["target"] == json!("environments/staging")
    };
    let want = entries.iter().filter(|e| reached(e)).count();
    expect(
        !staging.is_empty() && staging.len() == want && staging.iter().all(reached),
        || {
            format!(
                "audit?environment=staging: {} entries, want {want}",
                staging.len()
            )
        },
    )?;
    let newest = entries
        .first()
        .and_then(|e| e["at"].as_str())
        .unwrap_or_default();
    let from = burgee_api::percent_encode(newest);
    let since = get_ok(
        f.addr,
        &format!("/api/v1/audit?from={from}&limit=1000"),
        VIEWER,
    )?;
    let since = since["entries"].as_array().cloned().unwrap_or_default();
    expect(
        !since.is_empty() && since.iter().all(|e| e["at"].as_str() >= Some(newest)),
        || format!("audit?from={newest}: {since:?}"),
    )?;
    let before = get_ok(
        f.addr,
        &format!("/api/v1/audit?to={from}&limit=1000"),
        VIEWER,
    )?;
    let before = before["entries"].as_array().map_or(0, Vec::len);
    expect(before + since.len() == entries.len(), || {
        format!(
            "from and to split {} entries into {} and {before}",
            entries.len(),
            since.len()
        )
    })?;
    let r = call(
        f.addr,
        "GET",
        "/api/v1/audit?from=yesterday",
        Some(VIEWER),
        None,
        None,
    )?;
    expect_error(&r, 400, "invalid_parameter")
}
