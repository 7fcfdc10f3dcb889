//! The storm: 4 writers × 25 kill-switch writes, then the kill switch of one flag, while the
//! store's KV writes fail and the edge's KV reads are a minute stale. A poller reads the edge
//! (REST and `/health`) every 50 ms from before the first write until KV has caught up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::{self, served};
use super::{BOUND_MS, Fixture, KILL_FLAG, WRITER_FLAGS};
use crate::e2e::expect;
use crate::{Failed, Result};

const WRITES_PER_WRITER: usize = 25;
const STORM: &str = r#"{"failPercent": 30, "unknownPercent": 20, "delayMs": [20, 300], "straggleMs": 3000, "seed": 11}"#;
/// How long KV may take to catch up once the faults stop (the longest backoff is a minute).
const CATCH_UP: Duration = Duration::from_secs(90);

/// One poll of the edge.
#[derive(Clone, Debug)]
pub struct Sample {
    pub rest_version: Option<u64>,
    pub health: Option<Value>,
    pub faults_on: bool,
}

/// What the storm check saw.
#[derive(Debug, Default)]
pub struct Report {
    pub samples: Vec<Sample>,
    /// `(flag, enabled, version)` of every acknowledged write.
    pub acknowledged: Vec<(String, bool, u64)>,
    pub kill_version: u64,
    pub kill_latency_ms: u128,
    pub caught_up: bool,
}

fn poll(addr: std::net::SocketAddr, stop: &AtomicBool, faults_on: &AtomicBool) -> Vec<Sample> {
    let mut samples = Vec::new();
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(240) {
        let rest_version = served(addr).ok().and_then(|v| v["version"].as_u64());
        let health = client::health(addr).ok().and_then(|r| r.json().ok());
        samples.push(Sample {
            rest_version,
            health,
            faults_on: faults_on.load(Ordering::Relaxed),
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    samples
}

fn writer(addr: std::net::SocketAddr, flag: &str) -> Result<Vec<(String, bool, u64)>> {
    let mut done = Vec::new();
    for i in 0..WRITES_PER_WRITER {
        let enabled = i % 2 == 0;
        let version = client::switch(addr, flag, enabled)?;
        done.push((flag.to_string(), enabled, version));
    }
    Ok(done)
}

/// The publication state says every key holds its revision in KV.
fn kv_caught_up(addr: std::net::SocketAddr) -> Result<bool> {
    let p = client::get(addr, "/api/v1/publication")?;
    let keys = p["keys"].as_object().cloned().unwrap_or_default();
    Ok(!keys.is_empty() && keys.values().all(|k| k["published"] == k["revision"]))
}

fn storm(f: &Fixture) -> Result<Report> {
    let addr = f.addr;
    client::wait_for(addr, 10_000, |all| {
        all["details"][KILL_FLAG]["value"] == json!(true)
    })?;
    let stop = AtomicBool::new(false);
    let faults_on = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let poller = scope.spawn(|| poll(addr, &stop, &faults_on));
        let run = || -> Result<Report> {
            client::faults(addr, STORM)?;
            faults_on.store(true, Ordering::Relaxed);
            let writers: Vec<_> = WRITER_FLAGS
                .iter()
                .map(|flag| scope.spawn(move || writer(addr, flag)))
                .collect();
            let mut acknowledged = Vec::new();
            for w in writers {
                acknowledged.extend(w.join().map_err(|_| Failed("a writer panicked".into()))??);
            }
            let start = Instant::now();
            let kill_version = client::switch(addr, KILL_FLAG, false)?;
            client::wait_for(addr, 10_000, |all| {
                all["details"][KILL_FLAG]["value"] == json!(false)
            })?;
            let kill_latency_ms = start.elapsed().as_millis();
            acknowledged.push((KILL_FLAG.to_string(), false, kill_version));
            // Then KV fails every write for a while: /health must show the lag meanwhile (the
            // kill switch's commit is the newest KV lacks, so the lag passes the 2 s bound).
            client::faults(addr, r#"{"failPercent": 100}"#)?;
            std::thread::sleep(Duration::from_secs(4));
            client::faults(addr, "null")?;
            faults_on.store(false, Ordering::Relaxed);
            let deadline = Instant::now() + CATCH_UP;
            let mut caught_up = false;
            while Instant::now() < deadline && !caught_up {
                std::thread::sleep(Duration::from_millis(500));
                caught_up = kv_caught_up(addr)?;
            }
            // A little more polling once KV caught up, for /health to say ok.
            std::thread::sleep(Duration::from_secs(3));
            Ok(Report {
                acknowledged,
                kill_version,
                kill_latency_ms,
                caught_up,
                ..Report::default()
            })
        };
        let result = run();
        stop.store(true, Ordering::Relaxed);
        let samples = poller.join().unwrap_or_default();
        result.map(|r| Report { samples, ..r })
    })
}

pub fn kill_switch_through_the_storm(f: &Fixture) -> Result {
    let report = storm(f)?;
    let latency = report.kill_latency_ms;
    eprintln!(
        "          kill switch served {latency} ms after its commit (version {}), through {} acknowledged writes and failing KV",
        report.kill_version,
        report.acknowledged.len()
    );
    let ok = latency <= BOUND_MS;
    if let Ok(mut slot) = f.storm.lock() {
        *slot = Some(report);
    }
    expect(ok, || {
        format!("the kill switch took {latency} ms, over {BOUND_MS} ms")
    })
}

fn with_report<T>(f: &Fixture, check: impl FnOnce(&Report) -> Result<T>) -> Result<T> {
    let slot = f
        .storm
        .lock()
        .map_err(|_| Failed("the storm report is poisoned".into()))?;
    let report = slot
        .as_ref()
        .ok_or_else(|| Failed("the storm did not run".into()))?;
    check(report)
}

/// Indexes where a sequence goes down.
fn backwards(values: &[u64]) -> Vec<(u64, u64)> {
    values
        .windows(2)
        .filter(|w| w[1] < w[0])
        .map(|w| (w[0], w[1]))
        .collect()
}

pub fn never_backwards(f: &Fixture) -> Result {
    with_report(f, |r| {
        let rest: Vec<u64> = r.samples.iter().filter_map(|s| s.rest_version).collect();
        let health: Vec<u64> = r
            .samples
            .iter()
            .filter_map(|s| s.health.as_ref()?["snapshots"][0]["served"].as_u64())
            .collect();
        expect(rest.len() > 100 && health.len() > 100, || {
            format!(
                "only {} REST and {} health samples",
                rest.len(),
                health.len()
            )
        })?;
        eprintln!(
            "          {} REST and {} /health samples, versions {}..{}",
            rest.len(),
            health.len(),
            rest.first().unwrap_or(&0),
            rest.last().unwrap_or(&0)
        );
        expect(backwards(&rest).is_empty(), || {
            format!("REST went back: {:?}", backwards(&rest))
        })?;
        expect(backwards(&health).is_empty(), || {
            format!("/health went back: {:?}", backwards(&health))
        })
    })
}

pub fn health_shows_the_lag(f: &Fixture) -> Result {
    with_report(f, |r| {
        // The largest KV lag a degraded /health showed while the faults lasted.
        let lagging = r
            .samples
            .iter()
            .filter(|s| s.faults_on)
            .filter_map(|s| {
                let h = s.health.as_ref()?;
                let lag = h["snapshots"][0]["publishLagSeconds"].as_f64()?;
                (h["status"] == json!("degraded") && lag > 2.0).then_some(lag)
            })
            .max_by(f64::total_cmp);
        expect(lagging.is_some(), || {
            let seen: Vec<String> = r
                .samples
                .iter()
                .filter(|s| s.faults_on)
                .step_by(10)
                .filter_map(|s| {
                    let e = &s.health.as_ref()?["snapshots"][0];
                    Some(format!(
                        "{} served {} store {} published {} lag {}",
                        s.health.as_ref()?["status"],
                        e["served"],
                        e["store"],
                        e["published"],
                        e["publishLagSeconds"]
                    ))
                })
                .collect();
            format!(
                "no /health sample during the faults was degraded with a publication lag: {seen:?}"
            )
        })?;
        expect(r.caught_up, || {
            "KV did not catch up within 90 s of the faults ending".into()
        })?;
        let last = r
            .samples
            .last()
            .and_then(|s| s.health.clone())
            .unwrap_or_default();
        eprintln!(
            "          degraded with a KV lag of {:.1} s during the faults; at the end: {}",
            lagging.unwrap_or_default(),
            last["status"]
        );
        expect(last["status"] == json!("ok"), || {
            format!("after the faults /health says {last}")
        })
    })
}

pub fn nothing_lost(f: &Fixture) -> Result {
    with_report(f, |r| {
        let document = client::get(f.addr, "/api/v1/document")?;
        for flag in WRITER_FLAGS.iter().copied().chain([KILL_FLAG]) {
            let last = r
                .acknowledged
                .iter()
                .filter(|(k, ..)| k == flag)
                .max_by_key(|(.., v)| *v);
            let Some((_, enabled, _)) = last else {
                continue;
            };
            let stored =
                &document["document"]["flags"][flag]["environments"]["production"]["enabled"];
            expect(stored == &json!(*enabled), || {
                format!("{flag}: the last acknowledged write set {enabled}, the store has {stored}")
            })?;
        }
        let history = client::get(f.addr, "/api/v1/history?limit=500")?;
        let kept: Vec<u64> = history["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["version"].as_u64())
            .collect();
        let missing: Vec<u64> = r
            .acknowledged
            .iter()
            .map(|(.., v)| *v)
            .filter(|v| !kept.contains(v))
            .collect();
        expect(missing.is_empty(), || {
            format!("acknowledged versions not in the history: {missing:?}")
        })?;
        let publication = client::get(f.addr, "/api/v1/publication")?;
        let newest = publication["keys"]["snapshot:production"]["published"].as_u64();
        expect(
            newest == Some(r.kill_version) || newest > Some(r.kill_version),
            || {
                format!(
                    "KV holds production at {newest:?}, the kill switch is {}",
                    r.kill_version
                )
            },
        )
    })
}

pub fn everything_off_and_back(f: &Fixture) -> Result {
    let addr = f.addr;
    let before = served(addr)?;
    let on: Vec<String> = client::get(addr, "/api/v1/document")?["document"]["flags"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, flag)| flag["environments"]["production"]["enabled"] == json!(true))
        .map(|(k, _)| k.clone())
        .collect();
    expect(on.len() >= 2, || format!("only {on:?} are on"))?;
    let start = Instant::now();
    let r = client::call(
        addr,
        "POST",
        "/api/v1/environments/production/all-off",
        super::EDITOR,
        None,
        Some(b""),
    )?;
    let off = crate::e2e::expect_json(&r, 200)?;
    let switched: Vec<String> = serde_json::from_value(off["flags"].clone()).unwrap_or_default();
    expect(switched == on, || {
        format!("switched {switched:?}, on were {on:?}")
    })?;
    client::wait_for(addr, 10_000, |all| {
        on.iter()
            .all(|k| all["details"][k]["reason"] == json!("DISABLED"))
    })?;
    let took = start.elapsed().as_millis();
    expect(took <= BOUND_MS, || {
        format!("everything off took {took} ms at the edge")
    })?;
    let audit = client::get(addr, "/api/v1/audit?limit=1")?;
    expect(audit["entries"][0]["action"] == json!("all-off"), || {
        format!("audit: {audit}")
    })?;
    let r = client::call(
        addr,
        "POST",
        "/api/v1/environments/production/all-off/undo",
        super::EDITOR,
        None,
        Some(b""),
    )?;
    let back = crate::e2e::expect_json(&r, 200)?;
    expect(back["flags"] == off["flags"], || {
        format!("undo switched {}", back["flags"])
    })?;
    let after = client::wait_for(addr, 10_000, |all| {
        all["details"][&on[0]]["reason"] != json!("DISABLED")
    })?;
    for (key, detail) in before["details"].as_object().into_iter().flatten() {
        let now = &after["details"][key];
        expect(
            now["value"] == detail["value"] && now["reason"] == detail["reason"],
            || format!("{key} was {detail}, after the undo {now}"),
        )?;
    }
    let again = client::call(
        addr,
        "POST",
        "/api/v1/environments/production/all-off/undo",
        super::EDITOR,
        None,
        Some(b""),
    )?;
    expect(again.status == 409, || {
        format!("a second undo answered {}", again.status)
    })?;
    eprintln!(
        "          {} flags off at the edge {took} ms after the commit; undo restored all",
        on.len()
    );
    Ok(())
}
