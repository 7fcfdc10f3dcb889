//! Publication as production would stress it, in workerd: the kill switch under a storm of
//! writes while Workers KV fails (the strict double, `ALLOW_FAULT_INJECTION`) and its reads are
//! a minute stale (`KV_READ_CACHE_SECONDS`), so only the relays can bring it in time; `/health`
//! through the storm; nothing acknowledged lost; everything off and back; change-stream caps;
//! a 10,000-flag document; 1,000 change streams while an admin writes; `FF_ALL=off`.
//!
//! The suite runs three worker instances (configurations differ): the storm instance, the
//! stream-load instance, and a deployment with `FF_ALL=off`.

mod client;
mod large;
mod load;
mod storm;

use std::net::SocketAddr;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{Check, run_checks};
use crate::admin_api::tokens_config;
use crate::wrangler::{Options, Wrangler};
use crate::{Failed, Result};

const ADMIN: &str = "e2e-pub-admin-2a7c91";
const EDITOR: &str = "e2e-pub-editor-8d1e04";

/// The flags the storm's writers toggle, one each, and the one the kill switch turns off.
const WRITER_FLAGS: [&str; 4] = ["storm-0", "storm-1", "storm-2", "storm-3"];
const KILL_FLAG: &str = "kill-target";

/// The freshness bound: a kill switch must be served within it.
const BOUND_MS: u128 = 2_000;

pub struct Fixture {
    addr: SocketAddr,
    /// What the storm check saw, for the checks that read it.
    storm: Mutex<Option<storm::Report>>,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "100 writes from 4 writers then a kill switch, KV failing (30 % 5xx, 20 % timeouts, 1 write/s/key) and its reads 60 s stale: the edge serves the kill switch within 2 s",
        storm::kill_switch_through_the_storm,
    ),
    (
        "through the storm no client saw the served version go backwards (REST and /health polled all along)",
        storm::never_backwards,
    ),
    (
        "/health showed the publication lag while the faults lasted, and ok once they cleared",
        storm::health_shows_the_lag,
    ),
    (
        "nothing acknowledged was lost: every writer's last write and every acknowledged version are in the store, and KV holds the newest",
        storm::nothing_lost,
    ),
    (
        "everything off in one audited version, reaching the edge within 2 s; undo restores exactly the flags it switched off",
        storm::everything_off_and_back,
    ),
    (
        "change streams are capped per client address on an isolate (429 past the cap), and one that ends gives its place back",
        load::stream_cap_per_address,
    ),
    (
        "a 10,000-flag document: kill switch round trip under 1 s; 10,001 flags and a 1 MiB flag are refused with 422 / 413",
        large::large_document,
    ),
];

fn document() -> Value {
    let mut doc: Value = serde_json::from_str(include_str!("../../../../examples/tasks-app.json"))
        .unwrap_or_default();
    let flag = |enabled: bool| {
        json!({"kind": "boolean", "variants": {"on": true, "off": false},
            "environments": {"production": {"enabled": enabled, "offVariant": "off",
                "defaultServe": {"variant": "on"}}}})
    };
    if let Some(flags) = doc["flags"].as_object_mut() {
        for key in WRITER_FLAGS {
            flags.insert(key.into(), flag(false));
        }
        flags.insert(KILL_FLAG.into(), flag(true));
        // The edge is asked without a key, which sees only client-side flags: all of them are.
        for flag in flags.values_mut() {
            flag["clientSide"] = json!(true);
        }
    }
    doc
}

fn tokens() -> String {
    tokens_config(&[
        ("pub-admin", "admin", ADMIN),
        ("pub-editor", "editor", EDITOR),
    ])
}

pub fn run() -> Result {
    let options = Options {
        seed: Vec::new(),
        vars: vec![
            ("ADMIN_TOKENS".into(), tokens()),
            ("ALLOW_FAULT_INJECTION".into(), "true".into()),
            ("KV_READ_CACHE_SECONDS".into(), "60".into()),
            ("STREAMS_PER_IP".into(), "3".into()),
            ("STREAM_LIFETIME_SECONDS".into(), "8".into()),
        ],
        control_vars: vec![("ALLOW_FAULT_INJECTION".into(), "true".into())],
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(crate::wrangler::READY_TIMEOUT)?;
    let addr = server.addr();
    client::import(addr, &document())?;
    let fixture = Fixture {
        addr,
        storm: Mutex::new(None),
    };
    run_checks(&server, &fixture, CHECKS)?;
    drop(server);
    load::run()?;
    everything_off_by_variable()
}

/// A deployment with `FF_ALL=off`: every flag serves its off variant (`STATIC`), whatever the
/// document says, and `/health` lists the pin.
fn everything_off_by_variable() -> Result {
    let options = Options {
        seed: Vec::new(),
        vars: vec![
            ("ADMIN_TOKENS".into(), tokens()),
            ("FF_ALL".into(), "off".into()),
        ],
        control_vars: Vec::new(),
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(crate::wrangler::READY_TIMEOUT)?;
    let addr = server.addr();
    let check = || -> Result {
        client::import(addr, &document())?;
        let all = client::wait_for(addr, 10_000, |all: &Value| {
            all["details"][KILL_FLAG]["reason"] == json!("STATIC")
        })?;
        let details = all["details"].as_object().cloned().unwrap_or_default();
        let on: Vec<&String> = details
            .iter()
            .filter(|(_, d)| {
                let off = matches!(d["reason"].as_str(), Some("STATIC" | "DISABLED" | "ERROR"));
                !off || d["value"] == json!(true)
            })
            .map(|(k, _)| k)
            .collect();
        super::expect(on.is_empty(), || {
            format!("FF_ALL=off, yet these are on: {on:?}")
        })?;
        let health = client::health(addr)?.json()?;
        let pins = health["snapshots"][0]["overrides"].to_string();
        super::expect(pins.contains("FF_ALL=off"), || format!("/health: {health}"))
    };
    let result = check();
    match result {
        Ok(()) => {
            eprintln!("  ok      FF_ALL=off serves every flag off (STATIC) and /health lists it");
            Ok(())
        }
        Err(Failed(why)) => Err(server.failed(&format!("FF_ALL=off: {why}"))),
    }
}
