//! The edge worker's benchmark (`cargo xtask bench worker`): size, cold start, and OFREP bulk
//! throughput on loopback, side by side with a JS OFREP worker built on
//! `@openfeature/flagd-core` (`bench/flagd-worker/`), both in one bare workerd (no wrangler
//! proxy), on the same 101 flags (`benchmark_document` / `benchmark_document_flagd`).
//!
//! Throughput: wrk at 1 connection and at 16 (2 threads), bounded runs alternating between the
//! workers in rounds, so a noisy neighbour hurts all alike; every round is printed with its
//! ratio, and the summary is the median ratio of the rounds, beside the goal (at least 2x
//! flagd-core's requests per second, p99 no worse). A floor runs in the same rounds: a trivial
//! JS worker in the same workerd that reads the body and answers Burgee's own bulk answer (same
//! bytes, same headers) from a constant, so the report shows what a request costs workerd
//! itself, and so the best ratio this machine allows. Cold start: a fresh workerd process per
//! sample, timed from spawn to the first 200 of a bulk evaluation. Usage counting: the same
//! worker with `USAGE_METRICS=off` in the same rounds, run next to it and first in every other
//! round, so its cost is a ratio of one run.
//! Latency: wrk's percentiles count the requests a pause would have delayed, so the bench also
//! times each request at one connection (`bench_latency`) and prints the pauses beside them.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use burgee_tests::{benchmark_context, benchmark_document, benchmark_document_flagd};
use serde_json::{Value, json};

use crate::bench_latency::{self, median};
use crate::workerd::{Workerd, put_files, scratch};
use crate::wrangler::free_ports;
use crate::{Failed, Result, http, root, seed};

const ROUNDS: usize = 5;
const WRK_SECONDS: u32 = 6;
const COLD_SAMPLES: usize = 5;
/// The issue's goal for the edge: this many times flagd-core's requests per second.
const GOAL_RATIO: f64 = 2.0;

/// The workers a workerd config can hold. `Burgee` is the build twice: as deployed, and with
/// usage counting off (`uncounted`), to measure what counting costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worker {
    Burgee,
    Flagd,
    Floor,
}

/// A workerd config beside the copied build (`embed` paths are relative to the config).
fn config(dir: &Path, with: &[Worker]) -> String {
    let mut services = Vec::new();
    let mut sockets = Vec::new();
    let mut workers = String::new();
    let mut socket = |name: &str| {
        services.push(format!(r#"(name = "{name}", worker = .{name})"#));
        sockets.push(format!(
            r#"(name = "{name}", address = "127.0.0.1:0", http = (), service = "{name}")"#
        ));
    };
    if with.contains(&Worker::Burgee) {
        for (name, extra) in [
            ("burgee", ""),
            ("uncounted", r#"(name = "USAGE_METRICS", text = "off"),"#),
        ] {
            socket(name);
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
    if with.contains(&Worker::Flagd) {
        socket("flagd");
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
    if with.contains(&Worker::Floor) {
        socket("floor");
        workers.push_str(
            r#"
const floor :Workerd.Worker = (
  modules = [ (name = "floor.js", esModule = embed "floor.js") ],
  compatibilityDate = "2026-04-26",
);
"#,
        );
    }
    if with.contains(&Worker::Burgee) {
        services.push(format!(
            r#"(name = "kv", disk = (path = "{}", writable = true))"#,
            dir.join("kv").display()
        ));
    }
    format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\nconst config :Workerd.Config = (\n  services = [ {} ],\n  sockets = [ {} ],\n);\n{workers}",
        services.join(", "),
        sockets.join(", ")
    )
}

/// Writes `dir/floor.js`: a worker that reads the request's body and answers `answer` (Burgee's
/// bulk answer: its body and headers, as they came) from constants, so that it costs what
/// workerd costs for a request of this size and nothing else.
fn write_floor(dir: &Path, answer: &http::Response) -> Result {
    let headers: serde_json::Map<String, Value> = answer
        .headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "content-length" | "date" | "connection" | "transfer-encoding" | "server"
            )
        })
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    let body = Value::String(answer.text());
    let script = format!(
        "// The bench's floor: Burgee's bulk answer as constants (cargo xtask bench worker).\n\
         const body = {body};\nconst headers = {};\n\
         export default {{\n  async fetch(request) {{\n    await request.arrayBuffer();\n    \
         return new Response(body, {{ headers }});\n  }},\n}};\n",
        Value::Object(headers)
    );
    std::fs::write(dir.join("floor.js"), script)
        .map_err(|e| Failed(format!("cannot write the floor worker: {e}")))
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

#[derive(Debug)]
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

/// Cold starts of one worker, sorted, and the last bulk answer it gave.
fn cold_start(dir: &Path, worker: Worker) -> Result<(Vec<f64>, http::Response)> {
    let (name, file) = match worker {
        Worker::Burgee => ("burgee", "cold-burgee.capnp"),
        Worker::Flagd => ("flagd", "cold-flagd.capnp"),
        Worker::Floor => ("floor", "cold-floor.capnp"),
    };
    let path = dir.join(file);
    std::fs::write(&path, config(dir, &[worker])).map_err(|e| Failed(format!("{e}")))?;
    let mut samples = Vec::new();
    let mut answer = None;
    for _ in 0..COLD_SAMPLES {
        let (port, _) = free_ports()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut server = Workerd::serve_at(&path, dir, &[], &[(name, addr)])?;
        let body = bulk_body();
        let start = std::time::Instant::now();
        let response = loop {
            if start.elapsed() > Duration::from_secs(20) {
                return Err(server.failed("no answer within 20 s"));
            }
            if let Ok(r) = http::request(
                addr,
                "POST",
                "/ofrep/v1/evaluate/flags",
                &[("Content-Type", "application/json")],
                Some(body.as_bytes()),
            ) && r.status == 200
            {
                break r;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
        answer = Some(response);
        server.stop();
    }
    samples.sort_by(f64::total_cmp);
    let answer = answer.ok_or_else(|| Failed("no cold start sample".into()))?;
    Ok((samples, answer))
}

/// The machine's load averages (1, 5, 15 minutes), as `/proc/loadavg` has them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `n` distinct free ports on 127.0.0.1.
fn distinct_ports(n: usize) -> Result<Vec<u16>> {
    let mut ports: Vec<u16> = Vec::new();
    for _ in 0..n * 8 {
        let (a, b) = free_ports()?;
        for p in [a, b] {
            if ports.len() < n && !ports.contains(&p) {
                ports.push(p);
            }
        }
        if ports.len() == n {
            return Ok(ports);
        }
    }
    Err(Failed(format!("cannot find {n} distinct free ports")))
}

/// The addresses of the workers under measurement.
#[derive(Debug, Clone, Copy)]
struct Addrs {
    burgee: SocketAddr,
    uncounted: SocketAddr,
    flagd: SocketAddr,
    floor: SocketAddr,
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
    let (burgee_cold, answer) = cold_start(&dir.0, Worker::Burgee)?;
    let (flagd_cold, _) = cold_start(&dir.0, Worker::Flagd)?;
    write_floor(&dir.0, &answer)?;

    let all = dir.0.join("both.capnp");
    let workers = [Worker::Burgee, Worker::Flagd, Worker::Floor];
    std::fs::write(&all, config(&dir.0, &workers)).map_err(|e| Failed(format!("{e}")))?;
    let ports = distinct_ports(4)?;
    let at = |i: usize| SocketAddr::from((Ipv4Addr::LOCALHOST, ports.get(i).copied().unwrap_or(0)));
    let addrs = Addrs {
        burgee: at(0),
        uncounted: at(1),
        flagd: at(2),
        floor: at(3),
    };
    let mut server = Workerd::serve_at(
        &all,
        &dir.0,
        &[],
        &[
            ("burgee", addrs.burgee),
            ("uncounted", addrs.uncounted),
            ("flagd", addrs.flagd),
            ("floor", addrs.floor),
        ],
    )?;
    for addr in [addrs.burgee, addrs.uncounted, addrs.flagd, addrs.floor] {
        server.wait_for(addr, "/health", Duration::from_secs(20), |r| {
            r.status == 200
        })?;
    }
    same_answers(addrs.burgee, addrs.flagd)?;
    let floor_answer = post_bulk(addrs.floor)?;
    if floor_answer.body != answer.body {
        return Err(Failed("the floor does not answer Burgee's bytes".into()));
    }
    let load_before = load_average();
    let measured = measure(addrs, &script)
        .and_then(|rounds| Ok((rounds, each_request(addrs)?)))
        .map_err(|Failed(why)| Failed(format!("{why} ({addrs:?})")));
    server.stop();
    if measured.is_err() {
        let log = std::fs::read_to_string(dir.0.join("workerd.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        eprintln!(
            "workerd's log, last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let (rounds, probed) = measured?;
    println!(
        "\nedge worker benchmark (bare workerd, loopback, OFREP bulk of 101 flags, {} B answers, wrk -d{WRK_SECONDS}s, {ROUNDS} alternating rounds; load average {load_before} before, {} after)",
        answer.body.len(),
        load_average()
    );
    println!("  worker wasm                {wasm} B raw (gzip: see the build step)");
    println!(
        "  cold start (spawn → first bulk 200), median of {COLD_SAMPLES}: burgee {:.1} ms, flagd-core JS {:.1} ms",
        median(&burgee_cold),
        median(&flagd_cold)
    );
    for connections in CONNECTIONS {
        summary(connections, &rounds);
    }
    usage_cost(&rounds);
    report_each_request(&probed);
    Ok(())
}

/// Rounds of the per-request latency probe (`bench_latency`), the workers in turn.
const PROBE_ROUNDS: usize = 3;
const PROBE_SECONDS: u64 = 2;

/// Each worker's per-request latencies over the probe's rounds.
type Probed = Vec<(&'static str, Vec<bench_latency::Latencies>)>;

/// Times each request at one connection, beside wrk's corrected percentiles: the same workers
/// in turn for [`PROBE_ROUNDS`] rounds, each round printed as it ends.
fn each_request(addrs: Addrs) -> Result<Probed> {
    let body = bulk_body();
    let request = format!(
        "POST /ofrep/v1/evaluate/flags HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let workers = [
        ("burgee", addrs.burgee),
        ("flagd-core", addrs.flagd),
        ("floor", addrs.floor),
    ];
    let mut probed: Probed = workers
        .iter()
        .map(|(name, _)| (*name, Vec::new()))
        .collect();
    for round in 1..=PROBE_ROUNDS {
        for ((name, runs), (_, addr)) in probed.iter_mut().zip(workers) {
            let l = bench_latency::probe(
                addr,
                request.as_bytes(),
                Duration::from_secs(PROBE_SECONDS),
                100_000,
            )?;
            eprintln!(
                "probe {round}/{PROBE_ROUNDS} {name:<10} {}  [{} requests]",
                l.summary().line(),
                l.requests()
            );
            runs.push(l);
        }
    }
    Ok(probed)
}

/// The probe's medians, after wrk's summary.
fn report_each_request(probed: &Probed) {
    println!(
        "  each request timed at 1 connection ({PROBE_ROUNDS} rounds of {PROBE_SECONDS} s; wrk's p99 above also counts the requests a pause would have delayed), medians:"
    );
    for (name, runs) in probed {
        let summaries: Vec<_> = runs.iter().map(bench_latency::Latencies::summary).collect();
        println!(
            "    {name:<10} {}",
            bench_latency::Summary::median(&summaries).line()
        );
    }
}

/// wrk's connection counts: one (requests/s is then 1 / the cost of a request on workerd's
/// thread, which a loaded machine distorts less) and sixteen (throughput under contention).
const CONNECTIONS: [u32; 2] = [1, 16];

/// One round at one connection count: each worker once, one after the other.
#[derive(Debug)]
struct Round {
    connections: u32,
    ours: WrkResult,
    theirs: WrkResult,
    floor: WrkResult,
    /// Burgee with usage counting off (16 connections only).
    off: Option<WrkResult>,
}

impl Round {
    fn ratio(&self) -> f64 {
        self.ours.rps / self.theirs.rps.max(1.0)
    }
}

fn measure(addrs: Addrs, script: &Path) -> Result<Vec<Round>> {
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        for connections in CONNECTIONS {
            // Counting on and off run one after the other, in turns first, so neither gains
            // from its place in the round.
            let (ours, off) = match (connections > 1, round % 2 == 1) {
                (false, _) => (wrk(addrs.burgee, script, connections)?, None),
                (true, true) => {
                    let ours = wrk(addrs.burgee, script, connections)?;
                    (ours, Some(wrk(addrs.uncounted, script, connections)?))
                }
                (true, false) => {
                    let off = wrk(addrs.uncounted, script, connections)?;
                    (wrk(addrs.burgee, script, connections)?, Some(off))
                }
            };
            let theirs = wrk(addrs.flagd, script, connections)?;
            let floor = wrk(addrs.floor, script, connections)?;
            let r = Round {
                connections,
                ours,
                theirs,
                floor,
                off,
            };
            eprintln!(
                "round {round}/{ROUNDS} {connections:>2} conn: burgee {:>6.0} req/s p99 {:>6.2} ms | flagd-core {:>6.0} req/s p99 {:>6.2} ms | ratio {:.2}x | floor {:>6.0} req/s p99 {:>5.2} ms{}",
                r.ours.rps,
                r.ours.p99_ms,
                r.theirs.rps,
                r.theirs.p99_ms,
                r.ratio(),
                r.floor.rps,
                r.floor.p99_ms,
                r.off
                    .as_ref()
                    .map(|off| format!(" | counting off {:>6.0} req/s", off.rps))
                    .unwrap_or_default(),
            );
            rounds.push(r);
        }
    }
    Ok(rounds)
}

fn summary(connections: u32, rounds: &[Round]) {
    let rounds: Vec<&Round> = rounds
        .iter()
        .filter(|r| r.connections == connections)
        .collect();
    let of = |f: &dyn Fn(&Round) -> f64| median(&rounds.iter().map(|r| f(r)).collect::<Vec<_>>());
    let ratios: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.ratio())).collect();
    let ratio = of(&Round::ratio);
    let (ours_p99, theirs_p99) = (of(&|r| r.ours.p99_ms), of(&|r| r.theirs.p99_ms));
    let (ours, theirs, floor) = (
        of(&|r| r.ours.rps),
        of(&|r| r.theirs.rps),
        of(&|r| r.floor.rps),
    );
    let met = ratio >= GOAL_RATIO && ours_p99 <= theirs_p99;
    println!(
        "  {connections:>2} connection(s), medians: burgee {ours:>6.0} req/s ({:.0} us/request) p99 {ours_p99:.2} ms | flagd-core JS {theirs:>6.0} req/s p99 {theirs_p99:.2} ms | floor {floor:>6.0} req/s ({:.0} us/request)",
        1e6 / ours.max(1.0),
        1e6 / floor.max(1.0),
    );
    println!(
        "      ratio {ratio:.2}x (rounds: {}), goal >= {GOAL_RATIO:.0}x with p99 no worse: {}; the floor allows {:.2}x, burgee reaches {:.0} % of it",
        ratios.join(" "),
        if met { "met" } else { "not met" },
        floor / theirs.max(1.0),
        ours / floor.max(1.0) * 100.0
    );
}

fn usage_cost(rounds: &[Round]) {
    let costs: Vec<f64> = rounds
        .iter()
        .filter_map(|r| Some((1.0 - r.ours.rps / r.off.as_ref()?.rps.max(1.0)) * 100.0))
        .collect();
    println!(
        "  usage counting: median cost {:.1} % of 16-connection throughput against USAGE_METRICS=off (target <= 3 %)",
        median(&costs)
    );
}
