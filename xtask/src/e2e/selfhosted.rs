//! The self-hosted configuration (`edge-worker/workerd.capnp`) on a bare workerd, exactly as
//! the README tells users to run it: KV as a directory of files, the Durable Object on disk,
//! and an empty directory of admin app files (the container suite serves the app).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use super::{Check, expect, expect_error, expect_json, run_checks};
use crate::workerd::{Scratch, Workerd, put_files, scratch};
use crate::{Failed, Result, http, root, seed};

pub struct Fixture {
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "health and OFREP answer from the snapshot files; no admin app without its files",
        evaluates,
    ),
    ("the client-side snapshot is served from its file", public),
    (
        "a newly published snapshot file is picked up after the TTL",
        republish,
    ),
];

pub fn run() -> Result {
    let dir: Scratch = scratch("selfhosted")?;
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    put_files(
        &dir.0.join("kv"),
        &seed::snapshots(&example, 1, str::to_string)?,
    )?;
    let config = root().join("edge-worker/workerd.capnp");
    let admin_files = dir.0.join("admin-files");
    std::fs::create_dir_all(&admin_files)
        .map_err(|e| Failed(format!("cannot create {}: {e}", admin_files.display())))?;
    let args: Vec<String> = ["kv", "do", "admin-files"]
        .iter()
        .flat_map(|d| {
            [
                "--directory-path".to_string(),
                format!("{d}={}", dir.0.join(d).display()),
            ]
        })
        .collect();
    let mut server = Workerd::serve(&config, &dir.0, &args)?;
    let ready = server.wait_for(server.addr, "/health", Duration::from_secs(30), |r| {
        r.status == 200
    })?;
    eprintln!(
        "self-hosted workerd ready after {:.2} s",
        ready.as_secs_f64()
    );
    let fixture = Fixture {
        addr: server.addr,
        dir: dir.0.clone(),
    };
    run_checks(&server, &fixture, CHECKS)
}

fn evaluates(f: &Fixture) -> Result {
    let health = expect_json(&http::get(f.addr, "/health")?, 200)?;
    expect(health["status"] == "ok", || format!("{health}"))?;
    let r = http::request(
        f.addr,
        "POST",
        "/ofrep/v1/evaluate/flags/outbound_calling",
        &[("Content-Type", "application/json")],
        Some(br#"{"context":{"targetingKey":"u","role":"admin"}}"#),
    )?;
    let body = expect_json(&r, 200)?;
    expect(
        body["value"] == true && body["metadata"]["ruleId"] == "admins-and-premium",
        || format!("{body}"),
    )?;
    // Without evaluation keys every caller is a client: the 9 client-side flags of 13.
    // No admin app files here: the app's mount is a JSON 404, not a 500.
    expect_error(&http::get(f.addr, "/admin/")?, 404, "not_found")?;
    let bulk = http::request(f.addr, "POST", "/ofrep/v1/evaluate/flags", &[], Some(b"{}"))?;
    let body = expect_json(&bulk, 200)?;
    expect(
        body["flags"].as_array().is_some_and(|a| a.len() == 9),
        || format!("{body}"),
    )
}

fn public(f: &Fixture) -> Result {
    let r = http::get(f.addr, "/v1/snapshot/production")?;
    expect(r.status == 200, || format!("status {}", r.status))?;
    let s = burgee_core::Snapshot::decode(&r.body).map_err(|e| Failed(format!("{e}")))?;
    expect(!s.flag_keys().any(|k| k == "ai_voice_cloning"), || {
        "a server-side flag was served".into()
    })
}

fn republish(f: &Fixture) -> Result {
    // Flip outbound_calling off for everyone in a new version, as the control plane would.
    let text = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("{e}")))?;
    let mut doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Failed(format!("{e}")))?;
    doc["flags"]["outbound_calling"]["environments"]["production"]["enabled"] = json!(false);
    put_files(
        &f.dir.join("kv"),
        &seed::snapshots(&doc.to_string(), 2, str::to_string)?,
    )?;
    let ask = || -> Result<serde_json::Value> {
        let r = http::request(
            f.addr,
            "POST",
            "/ofrep/v1/evaluate/flags/outbound_calling",
            &[],
            Some(br#"{"context":{"targetingKey":"u","role":"admin"}}"#),
        )?;
        r.json()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let body = ask()?;
        if body["reason"] == "DISABLED" {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(Failed(format!(
                "still {body} 15 s after publishing version 2"
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
