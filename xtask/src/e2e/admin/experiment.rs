//! Clients' usage batches (`POST /v1/metrics`) end to end: what the npm package sends is
//! counted with the edge's own counts, bad batches change nothing, the experiment readout
//! counts conversions per variant, and archive takes a flag out of evaluation and back.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::api::{call, get_ok, ofrep, write};
use super::{EDITOR, Fixture, VIEWER};
use crate::e2e::{expect, expect_json};
use crate::{Failed, Result, http};

/// The flag the check creates, measured by [`EVENT`].
const FLAG: &str = "checkout-experiment";
const EVENT: &str = "purchase";
/// Clients; a third of "on" clients and a sixth of "off" ones convert.
const CLIENTS: u64 = 240;
/// Evaluations each client counts.
const EACH: u64 = 3;

fn flag() -> Value {
    json!({"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
        "lifecycle": "experiment", "expectedLifetimeDays": 30,
        "experiment": {"events": [EVENT]},
        "environments": {"production": {"enabled": true, "offVariant": "off",
            "defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}}}}})
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What client `i` sends: its evaluations, and its purchase when it converted.
fn client_batch(i: u64) -> Value {
    let variant = if i.is_multiple_of(2) { "on" } else { "off" };
    let converts = if variant == "on" {
        i.is_multiple_of(6)
    } else {
        i % 12 == 1
    };
    let mut events = vec![];
    if converts {
        events.push(
            json!({"environment": "production", "name": EVENT, "count": 1, "value": 20.0,
            "attributed": [{"flag": FLAG, "variant": variant, "count": 1}]}),
        );
    }
    let end = now_ms();
    json!({"version": 1, "start": end - 5_000, "end": end,
        "targetingKey": format!("{}{i}", super::usage::USERS),
        "counts": [
            {"environment": "production", "flag": FLAG, "variant": variant, "reason": "SPLIT", "count": EACH},
            // Unknown to the snapshot: dropped, not refused.
            {"environment": "production", "flag": "no-such-flag", "variant": "on", "reason": "SPLIT", "count": 5},
            {"environment": "production", "flag": FLAG, "variant": "made-up", "reason": "SPLIT", "count": 5},
        ],
        "events": events})
}

fn post(f: &Fixture, path: &str, body: &[u8], origin: Option<&str>) -> Result<http::Response> {
    let mut headers = vec![("Content-Type", "text/plain;charset=UTF-8")];
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    http::request(f.addr, "POST", path, &headers, Some(body))
}

/// Bad batches: each a 4xx with a JSON error, and none counted (the totals checked after).
fn bad_batches_refused(f: &Fixture) -> Result {
    let good = client_batch(0);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        b.to_string().into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("not JSON", b"{counts".to_vec(), 400),
        ("version 2", with(&|b| b["version"] = json!(2)), 400),
        (
            "a count over the cap",
            with(&|b| b["counts"][0]["count"] = json!(2_000_000_000u64)),
            400,
        ),
        (
            "an unknown reason",
            with(&|b| b["counts"][0]["reason"] = json!("BECAUSE")),
            400,
        ),
        (
            "a window a week old",
            with(&|b| b["start"] = json!(now_ms() - 7 * 86_400_000)),
            400,
        ),
        (
            "two environments",
            with(&|b| b["counts"][1]["environment"] = json!("staging")),
            400,
        ),
        ("larger than 256 KiB", vec![b' '; 300 * 1024], 413),
    ];
    for (what, body, status) in cases {
        let r = post(f, "/v1/metrics", &body, None)?;
        let answer =
            expect_json(&r, status).map_err(|Failed(why)| Failed(format!("{what}: {why}")))?;
        expect(answer["error"]["code"].is_string(), || {
            format!("{what}: {answer}")
        })?;
    }
    // A path naming another environment than the batch's.
    let r = post(
        f,
        "/env/staging/v1/metrics",
        &good.to_string().into_bytes(),
        None,
    )?;
    expect_json(&r, 400)?;
    Ok(())
}

/// CORS as a beacon needs it: the caller's origin echoed, with credentials.
fn beacon_cors(f: &Fixture) -> Result {
    let origin = "https://shop.example";
    let r = http::request(
        f.addr,
        "OPTIONS",
        "/v1/metrics",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        None,
    )?;
    expect(r.status == 204, || format!("preflight {}", r.status))?;
    expect(
        r.header("access-control-allow-origin") == Some(origin),
        || format!("{:?}", r.headers),
    )?;
    expect(
        r.header("access-control-allow-credentials") == Some("true"),
        || format!("{:?}", r.headers),
    )?;
    let empty = json!({"version": 1, "start": now_ms() - 1000, "end": now_ms()}).to_string();
    let r = post(f, "/v1/metrics", empty.as_bytes(), Some(origin))?;
    expect_json(&r, 202)?;
    expect(
        r.header("access-control-allow-origin") == Some(origin),
        || format!("{:?}", r.headers),
    )?;
    Ok(())
}

pub(super) fn client_batches_counted(f: &Fixture) -> Result {
    write(
        f.addr,
        "PUT",
        &format!("/api/v1/flags/{FLAG}"),
        EDITOR,
        &flag(),
        201,
    )?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while ofrep(
        f.addr,
        FLAG,
        &json!({"targetingKey": "not-counted-warm-up"}),
    )
    .is_err()
    {
        expect(Instant::now() < deadline, || format!("{FLAG} never served"))?;
        std::thread::sleep(Duration::from_millis(100));
    }
    beacon_cors(f)?;
    bad_batches_refused(f)?;
    let started = Instant::now();
    let (mut dropped, mut conversions) = (0, [0u64; 2]);
    for i in 0..CLIENTS {
        let body = client_batch(i);
        conversions[(i % 2) as usize] += body["events"].as_array().map_or(0, |e| e.len() as u64);
        let r = call(
            f.addr,
            "POST",
            "/v1/metrics",
            None,
            None,
            Some(body.to_string().as_bytes()),
        )?;
        dropped += expect_json(&r, 202)?["dropped"].as_u64().unwrap_or(0);
    }
    expect(dropped == 2 * CLIENTS, || {
        format!("{dropped} entries dropped, want {}", 2 * CLIENTS)
    })?;
    // The warm-up evaluation at the edge is one more "on" or "off".
    let want = CLIENTS * EACH + 1;
    let path = format!("/api/v1/metrics?flag={FLAG}&environment=production&step=60");
    let deadline = started + Duration::from_secs(30);
    let answer = super::usage::counted_by(f, &path, want, deadline)?;
    let variants = &answer["totals"]["variants"];
    let half = CLIENTS / 2 * EACH;
    let (on, off) = (
        variants["on"].as_u64().unwrap_or(0),
        variants["off"].as_u64().unwrap_or(0),
    );
    expect(on.min(off) == half && on + off == want, || {
        format!("variants {variants}")
    })?;
    expect(variants.get("made-up").is_none(), || {
        format!("an unknown variant was counted: {variants}")
    })?;
    readout_counts_conversions(f, conversions)
}

fn readout_counts_conversions(f: &Fixture, conversions: [u64; 2]) -> Result {
    let path = format!(
        "/api/v1/metrics/readout?flag={FLAG}&environment=production&event={EVENT}&control=off"
    );
    let body = get_ok(f.addr, &path, VIEWER)?;
    let readout = &body["readout"];
    expect(readout["control"] == "off", || format!("{body}"))?;
    let arm = |name: &str| {
        readout["arms"]
            .as_array()
            .and_then(|arms| arms.iter().find(|a| a["variant"] == name).cloned())
            .ok_or_else(|| Failed(format!("no arm {name}: {body}")))
    };
    let near = |got: u64, want: u64| got.abs_diff(want) * 50 <= want.max(50);
    for (name, converted) in [("on", conversions[0]), ("off", conversions[1])] {
        let a = arm(name)?;
        let (exposures, conv) = (
            a["exposures"].as_u64().unwrap_or(0),
            a["conversions"].as_u64().unwrap_or(0),
        );
        expect(
            near(exposures, CLIENTS / 2) && near(conv, converted),
            || {
                format!(
                    "arm {name}: {exposures} exposed, {conv} converted; want {} and {converted}: {body}",
                    CLIENTS / 2
                )
            },
        )?;
    }
    eprintln!("          readout: {}", readout["arms"]);
    Ok(())
}

/// Archive: the flag leaves evaluation (FLAG_NOT_FOUND) and the audit names it; unarchive
/// brings it back.
pub(super) fn archive_round_trip(f: &Fixture) -> Result {
    let key = "archive-probe";
    let flag = json!({"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
        "environments": {"production": {"enabled": true, "offVariant": "off", "defaultServe": {"variant": "on"}}}});
    write(
        f.addr,
        "PUT",
        &format!("/api/v1/flags/{key}"),
        EDITOR,
        &flag,
        201,
    )?;
    let served = |want: bool| -> Result {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = ofrep(f.addr, key, &json!({"targetingKey": "a"})).is_ok();
            if found == want {
                return Ok(());
            }
            expect(Instant::now() < deadline, || {
                format!("{key}: served is {found} after 10 s, want {want}")
            })?;
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    served(true)?;
    write(
        f.addr,
        "POST",
        &format!("/api/v1/flags/{key}/archive"),
        EDITOR,
        &Value::Null,
        200,
    )?;
    served(false)?;
    let listed = get_ok(f.addr, &format!("/api/v1/flags/{key}"), VIEWER)?;
    expect(listed.to_string().contains("archived"), || {
        format!("{listed}")
    })?;
    let audit = get_ok(f.addr, "/api/v1/audit?limit=1", VIEWER)?;
    expect(audit.to_string().contains(key), || format!("{audit}"))?;
    write(
        f.addr,
        "POST",
        &format!("/api/v1/flags/{key}/unarchive"),
        EDITOR,
        &Value::Null,
        200,
    )?;
    served(true)
}
