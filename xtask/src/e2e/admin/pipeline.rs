//! A pipeline's shortcuts under load and under bad input: `PUT /feature-flags/{key}/rollout`
//! from 8 deploy jobs at once, and every refusal of it and of `POST /api/v1/flags/{key}/promote`
//! a clear JSON 4xx that changes nothing.

use std::net::SocketAddr;

use super::api::{call, call_retrying_proxy, get_ok, join_all, state, unchanged, version};
use super::{ADMIN, BOOLEAN_FLAG, EDITOR, Fixture, STRING_FLAG, VIEWER, WRITERS, writer_token};
use crate::e2e::{expect, expect_error, expect_json};
use crate::{Failed, Result};

/// A boolean flag no other check rolls out.
const ROLLED: &str = "advanced_analytics";
/// The percentages the concurrent rollouts ask for, one per operator.
const PERCENTAGES: [&str; WRITERS] = ["5", "10", "12.5", "25", "33.33", "50", "75", "99.99"];

/// The on share in basis points of `flag`'s default serve in `environment`, from its rollout's
/// first weight (the `true` variant's) over the total.
fn stored_share(addr: SocketAddr, flag: &str, environment: &str) -> Result<u64> {
    let got = get_ok(addr, &format!("/api/v1/flags/{flag}"), VIEWER)?;
    let weights = &got["flag"]["environments"][environment]["defaultServe"]["rollout"]["weights"];
    let weight = |i: usize| weights[i]["weight"].as_u64();
    match (weight(0), weight(1)) {
        (Some(on), Some(off)) if on + off > 0 => Ok(on * 10_000 / (on + off)),
        _ => Err(Failed(format!(
            "no two-way rollout in {environment}: {weights}"
        ))),
    }
}

/// `"12.5"` → 1250 basis points.
fn basis_points(percentage: &str) -> u64 {
    (percentage.parse::<f64>().unwrap_or(f64::NAN) * 100.0).round() as u64
}

/// Operator `i` of [`WRITERS`] sends `request(i)` (method, path, body) at the same time as the
/// others, without `If-Match`: the version each was answered (by operator) and the number of
/// requests retried after wrangler dev's proxy lost them (see [`call_retrying_proxy`]).
fn at_once(
    addr: SocketAddr,
    request: impl Fn(usize) -> (&'static str, String, String) + Sync,
) -> Result<(Vec<u64>, u64)> {
    let request = &request;
    let results: Vec<Result<(u64, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                s.spawn(move || {
                    let (method, path, body) = request(i);
                    let token = writer_token(i);
                    let (r, retried) =
                        call_retrying_proxy(addr, method, &path, &token, body.as_bytes())?;
                    let answer = expect_json(&r, 200)
                        .map_err(|Failed(why)| Failed(format!("{method} {path} {body}: {why}")))?;
                    let v = answer["version"]
                        .as_u64()
                        .ok_or_else(|| Failed(format!("{path}: no version in {answer}")))?;
                    Ok((v, retried))
                })
            })
            .collect();
        join_all(handles)
    });
    let answered = results.into_iter().collect::<Result<Vec<(u64, u64)>>>()?;
    Ok((
        answered.iter().map(|a| a.0).collect(),
        answered.iter().map(|a| a.1).sum(),
    ))
}

/// The writes of [`at_once`] from version `start`: one version each, distinct, and the store
/// now at the highest. Without a retry they are exactly the next [`WRITERS`] versions; a
/// retried request may have been applied once before the proxy lost it (one more version).
fn one_version_each(addr: SocketAddr, start: u64, versions: &[u64], retried: u64) -> Result {
    let mut sorted = versions.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let n = WRITERS as u64;
    let now = version(addr)?;
    let exact: Vec<u64> = (start + 1..=start + n).collect();
    let ok = sorted.len() == WRITERS
        && sorted.first().is_some_and(|&v| v > start)
        && sorted.last() == Some(&now)
        && (sorted == exact || (retried > 0 && now <= start + n + retried));
    expect(ok, || {
        format!(
            "{n} writes from version {start} were answered versions {versions:?}; the store is at {now} ({retried} retried after a proxy 503)"
        )
    })
}

/// The versions above `start` of `flag`'s audit entries with `action`, ascending.
fn audited(addr: SocketAddr, flag: &str, action: &str, start: u64) -> Result<Vec<u64>> {
    let audit = get_ok(addr, &format!("/api/v1/audit?flag={flag}&limit=100"), ADMIN)?;
    let mut versions: Vec<u64> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == action)
        .filter_map(|e| e["version"].as_u64())
        .filter(|&v| v > start)
        .collect();
    versions.sort_unstable();
    Ok(versions)
}

/// Every answered version has its audit entry, and there is no other (but one per retry).
fn each_audited(
    addr: SocketAddr,
    action: &str,
    start: u64,
    versions: &[u64],
    retried: u64,
) -> Result {
    let logged = audited(addr, ROLLED, action, start)?;
    let all_there = versions.iter().all(|v| logged.contains(v));
    expect(
        all_there && logged.len() as u64 <= WRITERS as u64 + retried,
        || format!("{action} audit entries for versions {logged:?}, want {versions:?}"),
    )
}

/// 8 rollouts at once without `If-Match`: each its own version, the share of the one answered
/// the highest version kept, each audited once.
pub(super) fn concurrent_rollouts(f: &Fixture) -> Result {
    let start = version(f.addr)?;
    let (versions, retried) = at_once(f.addr, |i| {
        let path = format!("/feature-flags/{ROLLED}/rollout?env=staging");
        (
            "PUT",
            path,
            format!(r#"{{"percentage": {}}}"#, PERCENTAGES[i]),
        )
    })?;
    one_version_each(f.addr, start, &versions, retried)?;
    let last = (0..WRITERS).max_by_key(|&i| versions[i]).unwrap_or(0);
    let share = stored_share(f.addr, ROLLED, "staging")?;
    expect(share == basis_points(PERCENTAGES[last]), || {
        format!(
            "the stored share is {share} basis points; the last rollout (version {}) asked for {} %",
            versions[last], PERCENTAGES[last]
        )
    })?;
    each_audited(f.addr, "rollout", start, &versions, retried)
}

/// `PUT /feature-flags/{key}/rollout` refused: a 4xx with the code, the store unchanged.
fn rollout_refused(f: &Fixture, flag: &str, body: &[u8], want: (u16, &str)) -> Result {
    let before = state(f.addr)?;
    let path = format!("/feature-flags/{flag}/rollout?env=staging");
    let r = call(f.addr, "PUT", &path, Some(EDITOR), None, Some(body))?;
    let what = format!("PUT {path} {}", String::from_utf8_lossy(body));
    expect_error(&r, want.0, want.1).map_err(|Failed(why)| Failed(format!("{what}: {why}")))?;
    unchanged(f.addr, &before, &what)
}

pub(super) fn rollout_refusals(f: &Fixture) -> Result {
    const BAD_PERCENTAGE: (u16, &str) = (400, "invalid_body");
    let bad: &[&[u8]] = &[
        br#"{"percentage": -1}"#,
        br#"{"percentage": -0.01}"#,
        br#"{"percentage": 100.01}"#,
        br#"{"percentage": 101}"#,
        br#"{"percentage": "10"}"#,
        br#"{"percentage": null}"#,
        br#"{"percentage": true}"#,
        br#"{"percentage": [10]}"#,
        br#"{"percentage": 12.345}"#,
        br#"{"percentage": 0.001}"#,
        br#"{"percentage": "NaN"}"#,
        br#"{"percentage": "Infinity"}"#,
        br#"{"percent": 10}"#,
        br#"{}"#,
        b"10",
        b"[10]",
        b"null",
    ];
    for body in bad {
        rollout_refused(f, BOOLEAN_FLAG, body, BAD_PERCENTAGE)?;
    }
    let not_json: &[&[u8]] = &[
        b"",
        b"percentage=10",
        br#"{"percentage": NaN}"#,
        br#"{"percentage": 10"#,
    ];
    for body in not_json {
        rollout_refused(f, BOOLEAN_FLAG, body, (400, "invalid_json"))?;
    }
    let ten = br#"{"percentage": 10}"#;
    rollout_refused(f, STRING_FLAG, ten, (422, "not_a_boolean_flag"))?;
    rollout_refused(f, "no-such-flag", ten, (404, "flag_not_found"))?;
    let before = state(f.addr)?;
    let path = format!("/feature-flags/{BOOLEAN_FLAG}/rollout?env=nowhere");
    let r = call(f.addr, "PUT", &path, Some(EDITOR), None, Some(ten))?;
    expect_error(&r, 404, "environment_not_found")?;
    unchanged(f.addr, &before, &path)
}

/// `POST /api/v1/flags/{key}/promote` refused: a 4xx with the code, the store unchanged.
fn promote_refused(f: &Fixture, flag: &str, body: &[u8], want: (u16, &str)) -> Result {
    let before = state(f.addr)?;
    let path = format!("/api/v1/flags/{flag}/promote");
    let r = call(f.addr, "POST", &path, Some(EDITOR), None, Some(body))?;
    let what = format!("POST {path} {}", String::from_utf8_lossy(body));
    expect_error(&r, want.0, want.1).map_err(|Failed(why)| Failed(format!("{what}: {why}")))?;
    unchanged(f.addr, &before, &what)
}

pub(super) fn promote_refusals(f: &Fixture) -> Result {
    let staging_to_production = br#"{"from": "staging", "to": "production"}"#;
    let cases: &[(&str, &[u8], (u16, &str))] = &[
        (
            "no-such-flag",
            staging_to_production,
            (404, "flag_not_found"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"from": "nowhere", "to": "production"}"#,
            (404, "environment_not_found"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"from": "staging", "to": "nowhere"}"#,
            (404, "environment_not_found"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"from": "staging", "to": "staging"}"#,
            (400, "invalid_body"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"from": "staging"}"#,
            (400, "invalid_body"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"to": "production"}"#,
            (400, "invalid_body"),
        ),
        (BOOLEAN_FLAG, br#"{}"#, (400, "invalid_body")),
        (
            BOOLEAN_FLAG,
            br#"{"from": 1, "to": "production"}"#,
            (400, "invalid_body"),
        ),
        (
            BOOLEAN_FLAG,
            br#"{"from": "staging", "to": null}"#,
            (400, "invalid_body"),
        ),
        (BOOLEAN_FLAG, b"[]", (400, "invalid_body")),
        (BOOLEAN_FLAG, b"staging", (400, "invalid_json")),
    ];
    for (flag, body, want) in cases {
        promote_refused(f, flag, body, *want)?;
    }
    Ok(())
}

/// 8 promotes at once, alternately staging → development and development → staging: each
/// one version and one audit entry, and afterwards the two environments are equal (whichever
/// came last copied one onto the other).
pub(super) fn concurrent_promotes(f: &Fixture) -> Result {
    let start = version(f.addr)?;
    let (versions, retried) = at_once(f.addr, |i| {
        let (from, to) = if i % 2 == 0 {
            ("staging", "development")
        } else {
            ("development", "staging")
        };
        let path = format!("/api/v1/flags/{ROLLED}/promote");
        (
            "POST",
            path,
            format!(r#"{{"from": "{from}", "to": "{to}"}}"#),
        )
    })?;
    one_version_each(f.addr, start, &versions, retried)?;
    let got = get_ok(f.addr, &format!("/api/v1/flags/{ROLLED}"), VIEWER)?;
    let environments = &got["flag"]["environments"];
    expect(
        environments["staging"] == environments["development"],
        || format!("after 8 promotes staging and development differ: {environments}"),
    )?;
    each_audited(f.addr, "promote", start, &versions, retried)
}
