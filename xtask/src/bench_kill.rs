//! The kill switch's latency (`cargo xtask bench worker`): from the moment the admin API is
//! asked to switch a flag off until every edge isolate serves it off, beside the idle admin
//! write latency, on a bare workerd with production settings (`SNAPSHOT_TTL_SECONDS=30`, KV
//! only a backstop) and three data-plane isolates (three worker services of the same build, as
//! three isolates of a location would be), the control plane's store and relay behind them.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::admin_api::{random_token, tokens_config};
use crate::workerd::{Workerd, scratch};
use crate::wrangler::free_ports;
use crate::{Failed, Result, http, root};

const ISOLATES: usize = 3;
const ROUNDS: usize = 10;
const IDLE_WRITES: usize = 20;
/// A flag added to the example: on for everyone while enabled, so what an isolate serves says
/// which side of the switch it has seen.
const FLAG: &str = "kill-bench";

fn config(dir: &Path, token_config: &str) -> String {
    let mut services = vec![
        r#"(name = "control", worker = .control)"#.to_string(),
        format!(
            r#"(name = "kv", disk = (path = "{}", writable = true))"#,
            dir.join("kv").display()
        ),
        format!(
            r#"(name = "do", disk = (path = "{}", writable = true))"#,
            dir.join("do").display()
        ),
    ];
    let mut sockets = Vec::new();
    let mut workers = String::new();
    let tokens = serde_json::to_string(token_config).unwrap_or_default();
    for i in 0..ISOLATES {
        services.push(format!(r#"(name = "edge{i}", worker = .edge{i})"#));
        sockets.push(format!(
            r#"(name = "edge{i}", address = "127.0.0.1:0", http = (), service = "edge{i}")"#
        ));
        workers.push_str(&format!(
            r#"
const edge{i} :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "data/index.js"),
    (name = "index_bg.wasm", wasm = embed "data/index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-26",
  bindings = [
    (name = "FLAGS", kvNamespace = "kv"),
    (name = "STORE", durableObjectNamespace = (className = "FlagStore", serviceName = "control")),
    (name = "RELAY", durableObjectNamespace = (className = "Relay", serviceName = "control")),
    (name = "METRICS", durableObjectNamespace = (className = "Metrics", serviceName = "control")),
    (name = "ENVIRONMENT_DEFAULT", text = "production"),
    (name = "SNAPSHOT_TTL_SECONDS", text = "30"),
    (name = "ADMIN_TOKENS", text = {tokens}),
  ],
);
"#
        ));
    }
    workers.push_str(
        r#"
const control :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "control/index.js"),
    (name = "index_bg.wasm", wasm = embed "control/index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-26",
  bindings = [
    (name = "FLAGS", kvNamespace = "kv"),
    (name = "STORE", durableObjectNamespace = "FlagStore"),
    (name = "RELAY", durableObjectNamespace = "Relay"),
    (name = "METRICS", durableObjectNamespace = "Metrics"),
    (name = "HISTORY_LIMIT", text = "1000"),
    (name = "ENVIRONMENT_DEFAULT", text = "production"),
  ],
  durableObjectNamespaces = [
    (className = "FlagStore", uniqueKey = "bench-flag-store", enableSql = true),
    (className = "Relay", uniqueKey = "bench-relay", enableSql = true),
    (className = "Metrics", uniqueKey = "bench-metrics", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do"),
);
"#,
    );
    format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\nconst config :Workerd.Config = (\n  services = [ {} ],\n  sockets = [ {} ],\n);\n{workers}",
        services.join(", "),
        sockets.join(", ")
    )
}

fn copy_build(dir: &Path) -> Result {
    for (data_plane, sub) in [(true, "data"), (false, "control")] {
        let to = dir.join(sub);
        std::fs::create_dir_all(&to).map_err(|e| Failed(format!("{e}")))?;
        for file in ["index.js", "index_bg.wasm"] {
            std::fs::copy(
                crate::worker::build_dir(data_plane).join(file),
                to.join(file),
            )
            .map_err(|e| Failed(format!("cannot copy the worker build ({sub}/{file}): {e}")))?;
        }
    }
    Ok(())
}

fn admin(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    if_match: Option<u64>,
    body: &[u8],
) -> Result<Value> {
    let auth = format!("Bearer {token}");
    let tag = if_match.map(|v| format!("\"{v}\""));
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    if let Some(tag) = &tag {
        headers.push(("If-Match", tag));
    }
    let r = http::request(addr, method, path, &headers, Some(body))?;
    if !(200..300).contains(&r.status) {
        return Err(Failed(format!(
            "{method} {path}: {} {}",
            r.status,
            r.text()
        )));
    }
    r.json()
}

fn served(addr: SocketAddr) -> Result<Value> {
    let r = http::get(addr, &format!("/feature-flags/{FLAG}?userId=bench"))?;
    Ok(r.json()?["value"].clone())
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Switches the flag and waits until every isolate serves it; `(commit ms, every isolate ms)`.
fn round(edges: &[SocketAddr], token: &str, enabled: bool) -> Result<(u128, u128)> {
    let start = Instant::now();
    let body = format!("{{\"enabled\": {enabled}}}");
    admin(
        edges[0],
        token,
        "PUT",
        &format!("/feature-flags/{FLAG}"),
        None,
        body.as_bytes(),
    )?;
    let committed = start.elapsed().as_millis();
    let mut waiting: Vec<SocketAddr> = edges.to_vec();
    while !waiting.is_empty() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(Failed(format!(
                "{} isolates never served the switch",
                waiting.len()
            )));
        }
        let mut still = Vec::new();
        for edge in waiting {
            if served(edge)? != json!(enabled) {
                still.push(edge);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    Ok((committed, start.elapsed().as_millis()))
}

pub fn run() -> Result {
    let dir = scratch("bench-kill")?;
    copy_build(&dir.0)?;
    let token = random_token()?;
    let config_path = dir.0.join("kill.capnp");
    std::fs::write(
        &config_path,
        config(&dir.0, &tokens_config(&[("bench", "admin", &token)])),
    )
    .map_err(|e| Failed(format!("{e}")))?;
    let mut edges = Vec::new();
    let mut sockets = Vec::new();
    let names: Vec<String> = (0..ISOLATES).map(|i| format!("edge{i}")).collect();
    for name in &names {
        let (port, _) = free_ports()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        edges.push(addr);
        sockets.push((name.as_str(), addr));
    }
    let mut server = Workerd::serve_at(&config_path, &dir.0, &[], &sockets)?;
    let text = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("{e}")))?;
    let mut document: Value = serde_json::from_str(&text).map_err(|e| Failed(format!("{e}")))?;
    // Client-side: the bench asks without a key, and keyless callers see client-side flags only.
    document["flags"][FLAG] = json!({"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
        "environments": {"production": {"enabled": true, "offVariant": "off", "defaultServe": {"variant": "on"}}}});
    let example = document.to_string().into_bytes();
    server.wait_for(edges[0], "/api/v1/whoami", Duration::from_secs(30), |r| {
        r.status == 401
    })?;
    admin(
        edges[0],
        &token,
        "POST",
        "/api/v1/import",
        Some(0),
        &example,
    )?;
    for edge in &edges {
        server.wait_for(
            *edge,
            &format!("/feature-flags/{FLAG}?userId=bench"),
            Duration::from_secs(30),
            |r| r.status == 200,
        )?;
    }
    let mut enabled = served(edges[0])? != json!(true);
    let mut idle = Vec::new();
    for _ in 0..IDLE_WRITES {
        let start = Instant::now();
        let body = format!("{{\"enabled\": {enabled}}}");
        admin(
            edges[0],
            &token,
            "PUT",
            "/feature-flags/sms_campaigns",
            None,
            body.as_bytes(),
        )?;
        idle.push(start.elapsed().as_millis());
        enabled = !enabled;
    }
    let (mut commits, mut everywhere) = (Vec::new(), Vec::new());
    let mut flag_on = served(edges[0])? == json!(true);
    for _ in 0..ROUNDS {
        flag_on = !flag_on;
        let (commit, all) = round(&edges, &token, flag_on)?;
        commits.push(commit);
        everywhere.push(all);
        std::thread::sleep(Duration::from_millis(300));
    }
    server.stop();
    let worst = everywhere.iter().max().copied().unwrap_or(0);
    println!(
        "\nkill switch (bare workerd, production settings: SNAPSHOT_TTL_SECONDS=30, {ISOLATES} edge isolates, {ROUNDS} switches)"
    );
    println!(
        "  idle admin write (PUT /feature-flags, p50 of {IDLE_WRITES})   {} ms",
        median(idle)
    );
    println!(
        "  kill switch commit (the PUT's answer), p50      {} ms",
        median(commits)
    );
    println!(
        "  commit → served by every isolate, p50 {} ms, max {worst} ms (bound 2000 ms)",
        median(everywhere)
    );
    Ok(())
}
