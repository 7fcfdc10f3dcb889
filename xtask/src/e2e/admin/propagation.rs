//! What a write does beyond the store: operators' shortcuts, how fast a kill switch reaches
//! evaluation, the change stream, read-your-writes, and what must never be published.

use std::time::{Duration, Instant};

use serde_json::json;

use super::api::{etag, get_ok, ofrep, shortcut, store_evaluate, version, write};
use super::{ADMIN, BOOLEAN_FLAG, EDITOR, Fixture, VIEWER};
use crate::Result;
use crate::e2e::{EventStream, expect, expect_json};
use crate::http;

pub(super) fn shortcuts(f: &Fixture) -> Result {
    let v = version(f.addr)?;
    // The kill switch by query, then back on by header.
    let body = shortcut(
        f.addr,
        "PUT",
        &format!("/feature-flags/{BOOLEAN_FLAG}?env=staging"),
        br#"{"enabled": false}"#,
    )?;
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
    let body = shortcut(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/user/sc-user"),
        br#"{"enabled": true}"#,
    )?;
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
    shortcut(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/user/sc-user"),
        br#"{"enabled": false}"#,
    )?;
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
    shortcut(
        f.addr,
        "POST",
        &format!("/feature-flags/{BOOLEAN_FLAG}/org/sc-org"),
        br#"{"enabled": true}"#,
    )?;
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

pub(super) fn kill_switch_latency(f: &Fixture) -> Result {
    let flag = "daily-planning";
    let admin_ctx = json!({"targetingKey": "ks-user", "role": "admin"});
    // Make sure it is on, and that the evaluation path has it cached.
    shortcut(
        f.addr,
        "PUT",
        &format!("/feature-flags/{flag}?env=production"),
        br#"{"enabled": true}"#,
    )?;
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
        shortcut(
            f.addr,
            "PUT",
            &format!("/feature-flags/{flag}?env=production"),
            format!("{{\"enabled\": {enabled}}}").as_bytes(),
        )?;
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

pub(super) fn change_stream(f: &Fixture) -> Result {
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

pub(super) fn read_your_writes(f: &Fixture) -> Result {
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

pub(super) fn nothing_secret_published(f: &Fixture) -> Result {
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
