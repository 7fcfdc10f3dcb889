//! The edge worker's benchmark (`cargo xtask bench worker`): size, cold start, and OFREP bulk
//! throughput on loopback, side by side with a JS OFREP worker built on
//! `@openfeature/flagd-core` (`bench/flagd-worker/`), both in one bare workerd (no wrangler
//! proxy), on the same 101 flags (`benchmark_document` / `benchmark_document_flagd`).
//!
//! Throughput: wrk, 2 threads, 16 connections, bounded runs alternating between the two
//! workers (three rounds each, so a noisy neighbour hurts both alike); the best round of each
//! is compared, with p99 latency from the same round. Cold start: a fresh workerd process per
//! sample, timed from spawn to the first 200 of a bulk evaluation. Usage counting: the same
//! worker with `USAGE_METRICS=off` in the same rounds, so its cost is a ratio of one run.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use burgee_tests::{benchmark_context, benchmark_document, benchmark_document_flagd};
use serde_json::{Value, json};

use crate::workerd::{Workerd, put_files, scratch};
use crate::wrangler::free_ports;
use crate::{Failed, Result, http, root, seed};

const ROUNDS: usize = 3;
const WRK_SECONDS: u32 = 8;
const COLD_SAMPLES: usize = 5;

/// A workerd config beside the copied build (`embed` paths are relative to the config).
fn config(dir: &Path, burgee: bool, flagd: bool) -> String {
    let mut services = Vec::new();
    let mut sockets = Vec::new();
    let mut workers = String::new();
    if burgee {
        services.push(format!(
            r#"(name = "kv", disk = (path = "{}", writable = true))"#,
            dir.join("kv").display()
        ));
        // The same build twice: as deployed, and with usage counting off, to measure what
        // counting costs.
        for (name, extra) in [
            ("burgee", ""),
            ("uncounted", r#"(name = "USAGE_METRICS", text = "off"),"#),
        ] {
            services.push(format!(r#"(name = "{name}", worker = .{name})"#));
            sockets.push(format!(
                r#"(name = "{name}", address = "127.0.0.1:0", http = (), service = "{name}")"#
            ));
            workers.push_str(&format!(
                r#"
const {name} :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "index.js"),
    (name = "index_bg.wasm", wasm = embed "index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-26",
  bindings = [
    (name = "FLAGS", kvNamespace = "kv"),
    (name = "ENVIRONMENT_DEFAULT", text = "production"),
    (name = "SNAPSHOT_TTL_SECONDS", text = "5"),
    {extra}
  ],
);
"#
            ));
        }
    }
    if flagd {
        services.push(r#"(name = "flagd", worker = .flagd)"#.to_string());
        sockets.push(
            r#"(name = "flagd", address = "127.0.0.1:0", http = (), service = "flagd")"#
                .to_string(),
        );
        workers.push_str(
            r#"
const flagd :Workerd.Worker = (
  modules = [ (name = "flagd.js", esModule = embed "flagd.js") ],
  compatibilityDate = "2026-04-26",
  compatibilityFlags = ["nodejs_compat"],
);
"#,
        );
    }
    format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\nconst config :Workerd.Config = (\n  services = [ {} ],\n  sockets = [ {} ],\n);\n{workers}",
        services.join(", "),
        sockets.join(", ")
    )
}

/// Bundles the flagd worker with the benchmark document into `dir/flagd.js`.
fn bundle_flagd(dir: &Path) -> Result {
    let document = benchmark_document_flagd(100);
    let entry = dir.join("flagd-entry.mjs");
    std::fs::write(dir.join("flags.json"), document.to_string())
        .and_then(|()| {
            std::fs::write(
                &entry,
                std::fs::read_to_string(root().join("bench/flagd-worker/worker.mjs"))?,
            )
        })
        .map_err(|e| Failed(format!("cannot write the flagd worker: {e}")))?;
    // object-hash (inside flagd-core's CommonJS build) requires `crypto` at run time.
    let banner = "import * as __crypto from 'node:crypto'; globalThis.require = (m) => { if (m === 'crypto' || m === 'node:crypto') return __crypto; throw new Error('cannot require ' + m); };";
    let status = Command::new(root().join("node_modules/.bin/esbuild"))
        .arg(&entry)
        .args([
            "--bundle",
            "--format=esm",
            "--platform=neutral",
            "--main-fields=module,main",
            "--conditions=worker,browser",
            "--loader:.json=json",
            "--alias:crypto=node:crypto",
            "--external:node:*",
            "--log-level=warning",
        ])
        .arg(format!("--banner:js={banner}"))
        .arg(format!("--outfile={}", dir.join("flagd.js").display()))
        .env("NODE_PATH", root().join("npm/node_modules"))
        .status()
        .map_err(|e| Failed(format!("cannot run esbuild: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failed(
            "bundling the flagd worker failed (is npm/node_modules installed?)".into(),
        ))
    }
}

fn bulk_body() -> String {
    json!({"context": benchmark_context()}).to_string()
}

fn post_bulk(addr: SocketAddr) -> Result<http::Response> {
    http::request(
        addr,
        "POST",
        "/ofrep/v1/evaluate/flags",
        &[("Content-Type", "application/json")],
        Some(bulk_body().as_bytes()),
    )
}

/// Both workers must agree before their speed is compared.
fn same_answers(burgee: SocketAddr, flagd: SocketAddr) -> Result {
    let variants = |addr| -> Result<Vec<(String, String)>> {
        let body: Value = post_bulk(addr)?.json()?;
        let mut out: Vec<(String, String)> = body["flags"]
            .as_array()
            .map(|flags| {
                flags
                    .iter()
                    .map(|f| {
                        (
                            f["key"].as_str().unwrap_or_default().to_string(),
                            f["variant"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        Ok(out)
    };
    let (a, b) = (variants(burgee)?, variants(flagd)?);
    if a.len() == 101 && a == b {
        Ok(())
    } else {
        Err(Failed(format!(
            "the workers disagree ({} vs {} flags); first difference: {:?}",
            a.len(),
            b.len(),
            a.iter().zip(&b).find(|(x, y)| x != y)
        )))
    }
}

struct WrkResult {
    rps: f64,
    p99_ms: f64,
}

fn wrk(addr: SocketAddr, script: &Path, connections: u32) -> Result<WrkResult> {
    let threads = connections.min(2);
    let output = Command::new("/usr/bin/wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{WRK_SECONDS}s"),
            "--latency",
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(script)
        .arg(format!("http://{addr}/ofrep/v1/evaluate/flags"))
        .output()
        .map_err(|e| Failed(format!("cannot run /usr/bin/wrk: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| Failed(format!("no Requests/sec in wrk's output:\n{text}")))?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .and_then(|v| {
            let (number, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
            let n: f64 = number.parse().ok()?;
            Some(match unit {
                "us" => n / 1000.0,
                "ms" => n,
                "s" => n * 1000.0,
                _ => return None,
            })
        })
        .ok_or_else(|| Failed(format!("no p99 in wrk's output:\n{text}")))?;
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    if let Some(line) = errors {
        return Err(Failed(format!("wrk saw errors on {addr}: {line}")));
    }
    Ok(WrkResult { rps, p99_ms: p99 })
}

fn cold_start(dir: &Path, burgee: bool) -> Result<Vec<f64>> {
    let path = dir.join(if burgee {
        "cold-burgee.capnp"
    } else {
        "cold-flagd.capnp"
    });
    std::fs::write(&path, config(dir, burgee, !burgee)).map_err(|e| Failed(format!("{e}")))?;
    let mut samples = Vec::new();
    for _ in 0..COLD_SAMPLES {
        let (port, _) = free_ports()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let name = if burgee { "burgee" } else { "flagd" };
        let mut server = Workerd::serve_at(&path, dir, &[], &[(name, addr)])?;
        let body = bulk_body();
        let elapsed = {
            let start = std::time::Instant::now();
            loop {
                if start.elapsed() > Duration::from_secs(20) {
                    return Err(server.failed("no answer within 20 s"));
                }
                if let Ok(r) = http::request(
                    addr,
                    "POST",
                    "/ofrep/v1/evaluate/flags",
                    &[],
                    Some(body.as_bytes()),
                ) && r.status == 200
                {
                    break start.elapsed();
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        };
        samples.push(elapsed.as_secs_f64() * 1000.0);
        server.stop();
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples)
}

pub fn run() -> Result {
    crate::npm::ensure_debian_package("wrk", "/usr/bin/wrk", "seconds")?;
    let dir = scratch("bench-worker")?;
    let snapshot_text = benchmark_document(100).to_string();
    put_files(
        &dir.0.join("kv"),
        &seed::snapshots(&snapshot_text, 1, str::to_string)?,
    )?;
    bundle_flagd(&dir.0)?;
    for file in ["index.js", "index_bg.wasm"] {
        std::fs::copy(crate::worker::build_dir(true).join(file), dir.0.join(file))
            .map_err(|e| Failed(format!("cannot copy the worker build ({file}): {e}")))?;
    }
    let script = dir.0.join("post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{}]]\n",
            bulk_body()
        ),
    )
    .map_err(|e| Failed(format!("{e}")))?;

    let wasm = std::fs::metadata(crate::worker::build_dir(true).join("index_bg.wasm"))
        .map_or(0, |m| m.len());
    let burgee_cold = cold_start(&dir.0, true)?;
    let flagd_cold = cold_start(&dir.0, false)?;

    let both = dir.0.join("both.capnp");
    std::fs::write(&both, config(&dir.0, true, true)).map_err(|e| Failed(format!("{e}")))?;
    let (p1, p2) = free_ports()?;
    // A third port, distinct from the first two (each call binds two at once).
    let p3 = loop {
        let (a, b) = free_ports()?;
        if let Some(p) = [a, b].into_iter().find(|p| ![p1, p2].contains(p)) {
            break p;
        }
    };
    let burgee = SocketAddr::from((Ipv4Addr::LOCALHOST, p1));
    let flagd = SocketAddr::from((Ipv4Addr::LOCALHOST, p2));
    let uncounted = SocketAddr::from((Ipv4Addr::LOCALHOST, p3));
    let mut server = Workerd::serve_at(
        &both,
        &dir.0,
        &[],
        &[
            ("burgee", burgee),
            ("flagd", flagd),
            ("uncounted", uncounted),
        ],
    )?;
    for addr in [burgee, uncounted] {
        server.wait_for(addr, "/health", Duration::from_secs(20), |r| {
            r.status == 200
        })?;
    }
    server.wait_for(flagd, "/health", Duration::from_secs(20), |r| {
        r.status == 200
    })?;
    same_answers(burgee, flagd)?;
    let measured = measure(burgee, uncounted, flagd, &script).map_err(|Failed(why)| {
        Failed(format!(
            "{why} (burgee {burgee}, burgee uncounted {uncounted}, flagd-core {flagd})"
        ))
    });
    server.stop();
    if measured.is_err() {
        let log = std::fs::read_to_string(dir.0.join("workerd.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        eprintln!(
            "workerd's log, last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let measured = measured?;
    report(wasm, &burgee_cold, &flagd_cold, &measured);
    Ok(())
}

/// The best wrk rounds of each worker.
struct Measured {
    ours_1: Vec<WrkResult>,
    theirs_1: Vec<WrkResult>,
    ours: Vec<WrkResult>,
    off: Vec<WrkResult>,
    theirs: Vec<WrkResult>,
}

fn measure(
    burgee: SocketAddr,
    uncounted: SocketAddr,
    flagd: SocketAddr,
    script: &Path,
) -> Result<Measured> {
    // One connection: requests/s is 1 / the cost of a request on workerd's thread, which
    // loaded machines distort less than throughput under contention.
    let (mut ours_1, mut theirs_1) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours_1.push(wrk(burgee, script, 1)?);
        theirs_1.push(wrk(flagd, script, 1)?);
    }
    let (mut ours, mut theirs, mut off) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        ours.push(wrk(burgee, script, 16)?);
        off.push(wrk(uncounted, script, 16)?);
        theirs.push(wrk(flagd, script, 16)?);
        eprintln!(
            "round {}: burgee {:.0} req/s (p99 {:.2} ms), flagd-core JS {:.0} req/s (p99 {:.2} ms)",
            round + 1,
            ours[round].rps,
            ours[round].p99_ms,
            theirs[round].rps,
            theirs[round].p99_ms
        );
    }
    Ok(Measured {
        ours_1,
        theirs_1,
        ours,
        off,
        theirs,
    })
}

fn report(wasm: u64, burgee_cold: &[f64], flagd_cold: &[f64], m: &Measured) {
    let (ours_1, theirs_1, ours, off, theirs) =
        (&m.ours_1, &m.theirs_1, &m.ours, &m.off, &m.theirs);
    let best = |v: &[WrkResult]| -> (f64, f64) {
        v.iter()
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
            .map_or((0.0, 0.0), |r| (r.rps, r.p99_ms))
    };
    let (ours_1_rps, ours_1_p99) = best(ours_1);
    let (theirs_1_rps, theirs_1_p99) = best(theirs_1);
    let (ours_rps, ours_p99) = best(ours);
    let (off_rps, _) = best(off);
    let (theirs_rps, theirs_p99) = best(theirs);
    let median = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(0.0);
    println!(
        "\nedge worker benchmark (bare workerd, loopback, OFREP bulk of 101 flags, wrk -t2 -c16 -d{WRK_SECONDS}s, best of {ROUNDS} alternating rounds)"
    );
    println!("  worker wasm                {wasm} B raw (gzip: see the build step)");
    println!(
        "  cold start (spawn → first bulk 200), median of {COLD_SAMPLES}: burgee {:.1} ms, flagd-core JS {:.1} ms",
        median(burgee_cold),
        median(flagd_cold)
    );
    println!(
        "  1 connection burgee {ours_1_rps:>8.0} req/s   flagd-core JS {theirs_1_rps:>8.0} req/s   ratio {:.2}x (per request {:.0} us vs {:.0} us; p99 {ours_1_p99:.2} vs {theirs_1_p99:.2} ms; target >= 2x, p99 no worse)",
        ours_1_rps / theirs_1_rps.max(1.0),
        1e6 / ours_1_rps.max(1.0),
        1e6 / theirs_1_rps.max(1.0)
    );
    println!(
        "  throughput   burgee {ours_rps:>8.0} req/s   flagd-core JS {theirs_rps:>8.0} req/s   ratio {:.2}x (target >= 2x)",
        ours_rps / theirs_rps.max(1.0)
    );
    println!(
        "  p99          burgee {ours_p99:>8.2} ms      flagd-core JS {theirs_p99:>8.2} ms      (target: no worse)"
    );
    println!(
        "  usage counting  on {ours_rps:>8.0} req/s   off (USAGE_METRICS=off) {off_rps:>8.0} req/s   cost {:.1} % (target <= 3 %)",
        (1.0 - ours_rps / off_rps.max(1.0)) * 100.0
    );
}
