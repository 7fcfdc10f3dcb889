//! Change streams at scale: they are held by the edge isolates, so a thousand of them cost the
//! writer nothing. Measured: the admin write latency (median) idle and with 1,000 streams open,
//! and every stream hearing every version.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::client;
use super::{Fixture, KILL_FLAG};
use crate::e2e::{EventStream, expect, run_checks};
use crate::wrangler::{Options, Wrangler};
use crate::{Failed, Result, http};

const STREAMS: usize = 1_000;
const WRITES: usize = 50;
const IDLE_WRITES: usize = 30;

pub fn stream_cap_per_address(f: &Fixture) -> Result {
    let connected =
        |s: &mut EventStream| s.next(Duration::from_secs(10), |v| v["type"] == json!("connected"));
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut s = EventStream::open(f.addr, "production")?;
        connected(&mut s)?;
        open.push(s);
    }
    let refused = http::get(f.addr, "/v1/stream/production")?;
    expect(
        refused.status == 429 && refused.header("retry-after").is_some(),
        || {
            format!(
                "the 4th stream from one address answered {} {}",
                refused.status,
                refused.text()
            )
        },
    )?;
    // The streams end after their lifetime (8 s here), giving their places back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut s = EventStream::open(f.addr, "production")?;
        if connected(&mut s).is_ok() {
            return Ok(());
        }
        expect(Instant::now() < deadline, || {
            "an ended stream never gave its place back".into()
        })?;
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn median(mut values: Vec<u128>) -> u128 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// `n` toggles of the kill flag; the latency of each, in ms.
fn writes(addr: std::net::SocketAddr, n: usize, from: bool) -> Result<Vec<u128>> {
    (0..n)
        .map(|i| {
            let start = Instant::now();
            client::switch(addr, KILL_FLAG, (i % 2 == 0) != from)?;
            Ok(start.elapsed().as_millis())
        })
        .collect()
}

/// One stream until it has heard `target` (or the deadline): the `(previous, version]` ranges
/// it was told about.
fn listen(
    addr: std::net::SocketAddr,
    target: &AtomicU64,
    deadline: Instant,
) -> Result<(u64, Vec<(u64, u64)>)> {
    let mut s = EventStream::open(addr, "production")?;
    let hello = s.next(Duration::from_secs(60), |v| v["type"] == json!("connected"))?;
    let start = hello["version"].as_u64().unwrap_or(0);
    let mut ranges = Vec::new();
    let mut heard = start;
    loop {
        let goal = target.load(Ordering::Relaxed);
        if goal != 0 && heard >= goal {
            return Ok((start, ranges));
        }
        if Instant::now() > deadline {
            return Err(Failed(format!("heard up to {heard}, want {goal}")));
        }
        match s.next(Duration::from_millis(500), |v| {
            v["type"] == json!("refetchEvaluation")
        }) {
            Ok(e) => {
                let (p, v) = (
                    e["previous"].as_u64().unwrap_or(0),
                    e["version"].as_u64().unwrap_or(0),
                );
                ranges.push((p, v));
                heard = v;
            }
            Err(Failed(why)) if why.starts_with("no matching event") => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether `ranges` cover every version after `start` up to `goal`, in order, without gaps.
fn covers(start: u64, goal: u64, ranges: &[(u64, u64)]) -> bool {
    let mut at = start;
    for (previous, version) in ranges {
        if *previous != at || version <= previous {
            return false;
        }
        at = *version;
    }
    at >= goal
}

struct Loaded {
    addr: std::net::SocketAddr,
}

fn a_thousand_streams(l: &Loaded) -> Result {
    let addr = l.addr;
    client::switch(addr, KILL_FLAG, true)?;
    let idle = median(writes(addr, IDLE_WRITES, false)?);
    let target = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(180);
    let listeners: Vec<_> = (0..STREAMS)
        .map(|_| {
            let target = target.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || listen(addr, &target, deadline))
        })
        .collect::<std::io::Result<_>>()
        .map_err(|e| Failed(format!("cannot start a listener: {e}")))?;
    // Every stream connected: the store's version stops at what they greet with.
    std::thread::sleep(Duration::from_secs(5));
    let loaded = writes(addr, WRITES, IDLE_WRITES % 2 == 1)?;
    let last = client::version(addr)?;
    target.store(last, Ordering::Relaxed);
    let mut heard_all = 0;
    let mut problems = BTreeSet::new();
    for l in listeners {
        match l.join().map_err(|_| Failed("a listener panicked".into()))? {
            Ok((start, ranges)) if covers(start, last, &ranges) => heard_all += 1,
            Ok((start, ranges)) => {
                problems.insert(format!("from {start}: {ranges:?}"));
            }
            Err(Failed(why)) => {
                problems.insert(why);
            }
        }
    }
    let loaded = median(loaded);
    eprintln!(
        "          admin write p50: {idle} ms idle, {loaded} ms with {STREAMS} streams open ({:.2}x); {heard_all}/{STREAMS} streams heard every version up to {last}",
        loaded as f64 / idle.max(1) as f64
    );
    expect(heard_all == STREAMS, || {
        format!(
            "{} streams missed versions: {:?}",
            STREAMS - heard_all,
            problems.iter().take(3).collect::<Vec<_>>()
        )
    })?;
    expect(loaded <= 2 * idle.max(5), || {
        format!("write p50 {loaded} ms under load vs {idle} ms idle")
    })
}

/// The stream-load instance: no cap that 1,000 connections from one address would hit.
pub fn run() -> Result {
    let options = Options {
        seed: Vec::new(),
        vars: vec![
            ("ADMIN_TOKENS".into(), super::tokens()),
            ("STREAMS_PER_IP".into(), "5000".into()),
        ],
        control_vars: Vec::new(),
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(crate::wrangler::READY_TIMEOUT)?;
    client::import(server.addr(), &super::document())?;
    let loaded = Loaded {
        addr: server.addr(),
    };
    run_checks(
        &server,
        &loaded,
        &[(
            "1,000 change streams while an admin writes 50 times: write p50 within 2x of idle, every stream hears every version",
            a_thousand_streams,
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn coverage_is_contiguous() {
        assert!(covers(10, 14, &[(10, 12), (12, 14)]));
        assert!(!covers(10, 14, &[(10, 12), (13, 14)]));
        assert!(!covers(10, 14, &[(10, 12)]));
        assert!(covers(10, 10, &[]));
    }
}
