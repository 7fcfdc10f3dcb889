//! Many writers at once on the single-writer Durable Object: every edit kept exactly once,
//! whether it was based on a version (and retried on `412`) or a shortcut without one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::api::{call, call_retrying_proxy, etag, get_ok, join_all, last_audit_id, version};
use super::{ADMIN, BOOLEAN_FLAG, EDITS_PER_WRITER, Fixture, VIEWER, WRITERS, writer_token};
use crate::e2e::expect;
use crate::{Failed, Result};

/// Writer `i` adds the metadata keys `e2e-w{i}-{n}`, one per edit, retrying each on 412 with
/// the version the conflict reports. Answers the versions it was given.
pub(super) fn writer(addr: SocketAddr, i: usize, deadline: Instant) -> Result<Vec<u64>> {
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

pub(super) fn concurrent_writers(f: &Fixture) -> Result {
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

pub(super) fn concurrent_shortcuts(f: &Fixture) -> Result {
    let start = version(f.addr)?;
    let flag = "mem0-integration";
    let results: Vec<Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                s.spawn(move || {
                    let mut retried = 0u64;
                    for n in 0..10 {
                        let path = format!("/feature-flags/{flag}/user/op{i}-u{n}?env=staging");
                        let (r, again) = call_retrying_proxy(
                            f.addr,
                            "POST",
                            &path,
                            &writer_token(i),
                            br#"{"enabled": true}"#,
                        )?;
                        retried += again;
                        expect(r.status == 200, || {
                            format!("{path}: {} {}", r.status, r.text())
                        })?;
                    }
                    Ok(retried)
                })
            })
            .collect();
        join_all(handles)
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
