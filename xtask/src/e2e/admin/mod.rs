//! The control plane against the real worker: the `FlagStore` Durable Object behind the admin
//! API, with real KV publishing, as `wrangler dev` simulates them.
//!
//! One worker, started empty with five kinds of tokens (admin, editor, viewer and eight
//! editors for the concurrent writers); the example document is imported through the API (so
//! version 1 has history and audit like every other). Checks run in order on the same store and
//! never assume a version: each reads the current one. At the end the worker is stopped and
//! started again on the same state, and the document, history and audit must be intact.

mod api;
mod authz;
mod bad_inputs;
mod concurrency;
mod experiment;
mod front_door;
mod history;
mod import_export;
mod pipeline;
mod propagation;
mod restart;
mod review;
mod usage;
mod writes;

use std::net::SocketAddr;

use serde_json::Value;

use super::{Check, run_checks};
use crate::admin_api::{seed_if_empty, tokens_config};
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};
use api::get_ok;
use authz::authz_matrix;
use bad_inputs::bad_inputs;
use concurrency::{concurrent_shortcuts, concurrent_writers};
use history::{audit, history_and_diff, restore};
use import_export::{export_import, validate_only};
use propagation::{
    change_stream, kill_switch_latency, nothing_secret_published, read_your_writes, shortcuts,
};
use restart::{intact_after_restart, writes_after_restart};
use writes::{crud, if_match, invalid_document};

const ADMIN: &str = "e2e-admin-7c1d2f0a";
const EDITOR: &str = "e2e-editor-93b44e1c";
const VIEWER: &str = "e2e-viewer-51aa08d3";
/// An editor everywhere but production, where it is a viewer.
const STAGER: &str = "e2e-stager-2be7c915";
/// An editor whose writes skip the approvals an environment requires (automation).
const DEPLOYER: &str = "e2e-deployer-6d0e41b2";
const WRITERS: usize = 8;
const EDITS_PER_WRITER: usize = 50;

fn writer_token(i: usize) -> String {
    format!("e2e-writer-{i}-5f3e9b")
}

/// The flags the checks lean on (all in `examples/tasks-app.json`).
const BOOLEAN_FLAG: &str = "outbound_calling";
const STRING_FLAG: &str = "checkout-button-color";
const REQUIRED_FLAG: &str = "ai-task-extraction";
const SEGMENT: &str = "beta-testers";

pub struct Fixture {
    addr: SocketAddr,
    /// The worker's persisted state (the privacy scan reads every file).
    state: Option<std::path::PathBuf>,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "every admin route × {no token, bad token, viewer, editor, admin}: 401/403 or through; refusals change nothing",
        authz_matrix,
    ),
    (
        "reads carry the version (body and ETag); writes need If-Match: 428, 412 with the current version, 400",
        if_match,
    ),
    (
        "flags and segments: create (201), replace, patch, toggle, delete, each one version and one audit entry (a toggle to the state it has: none)",
        crud,
    ),
    (
        "a write that leaves an error is refused with 422 and the diagnostics' JSON Pointers",
        invalid_document,
    ),
    (
        "at least 100 bad inputs: each the documented 4xx JSON error; version, document and audit unchanged",
        bad_inputs,
    ),
    (
        "8 writers × 50 patches, retrying on 412: all 400 edits kept, versions strictly increase, one audit entry each",
        concurrent_writers,
    ),
    (
        "8 operators × 10 shortcut targets at once (no If-Match): all 80 applied",
        concurrent_shortcuts,
    ),
    (
        "operators' shortcuts: kill switch by ?env= and by header, user and org targets, 422 on non-boolean flags",
        shortcuts,
    ),
    (
        "a kill switch reaches OFREP evaluation within 1 s",
        kill_switch_latency,
    ),
    (
        "the change stream announces a new version with the keys that changed",
        change_stream,
    ),
    (
        "the admin evaluate route reads the Durable Object's current version (read-your-writes)",
        read_your_writes,
    ),
    (
        "history lists versions newest first, reads any version, diffs two",
        history_and_diff,
    ),
    (
        "restoring an old version is a new version that evaluates exactly as the old one did",
        restore,
    ),
    (
        "the audit log: filtered by flag, by actor (admin only), paged",
        audit,
    ),
    (
        "export → import is lossless (document and evaluation), and one version",
        export_import,
    ),
    (
        "validate answers diagnostics and saves nothing",
        validate_only,
    ),
    (
        "no token, token hash or actor reaches the snapshots or the evaluation routes",
        nothing_secret_published,
    ),
    (
        "an environment the store does not have: 404 environment_not_found on every evaluation route",
        front_door::unknown_environment,
    ),
    (
        "/health: status and versions for anyone, the details with an admin token",
        front_door::health_details,
    ),
    (
        "15 requests with no credential from one address: 401, neither audited nor counted; then 10 failed sign-ins: each audited, then 429 with Retry-After for anything from it",
        front_door::failed_sign_ins,
    ),
    (
        "usage: 400 REST and OFREP evaluations by distinct users are in the metrics API within 20 s, exactly, by variant as served, and Prometheus agrees",
        usage::counted_exactly,
    ),
    (
        "usage: 240 clients' batches (POST /v1/metrics) counted exactly with the edge's, unknown flags and variants dropped, bad batches 4xx, beacon CORS; the readout counts conversions per variant",
        experiment::client_batches_counted,
    ),
    (
        "a role by environment: an editor who is a viewer in production changes staging, not production (403, nothing changed)",
        writes::role_by_environment,
    ),
    (
        "a write's reason (X-Burgee-Reason, UTF-8) is kept in history and audit",
        writes::reason_is_kept,
    ),
    (
        "archive: the flag leaves evaluation and is audited; unarchive brings it back",
        experiment::archive_round_trip,
    ),
    (
        "a pipeline's steps: PUT /feature-flags/{key}/rollout (12.5 %, no If-Match) and promote staging → production, each one audited version; bad percentages 400, unknown environments 404",
        review::pipeline_steps,
    ),
    (
        "8 rollouts at once (no If-Match): 8 versions, one each, the last one's share kept, 8 rollout audit entries",
        pipeline::concurrent_rollouts,
    ),
    (
        "rollout refused (400 for negative, over 100, strings, null, three decimals, NaN text, no field, not JSON; 422 non-boolean; 404 unknown flag or environment): nothing changed",
        pipeline::rollout_refusals,
    ),
    (
        "promote refused (404 unknown flag or environment; 400 from == to, missing or non-string fields, not JSON): nothing changed",
        pipeline::promote_refusals,
    ),
    (
        "8 promotes at once both ways: 8 versions, 8 promote audit entries, the environments equal after",
        pipeline::concurrent_promotes,
    ),
    (
        "per-flag revert: one flag as it was in an older version, as a new version; the rest stays",
        review::revert_one_flag,
    ),
    (
        "four eyes: production needs an approval; a change becomes a request (202), self-approval 403, approved by another, stale base rebased and approved again, applied; a rejected request changes nothing; kill switch exempt and a bypass token, audited",
        review::change_requests,
    ),
    (
        "usage: no stored byte holds a test user's id",
        stored_bytes_hold_no_user,
    ),
];

fn stored_bytes_hold_no_user(f: &Fixture) -> Result {
    let dir = f
        .state
        .as_deref()
        .ok_or_else(|| Failed("the worker's state directory is unknown".into()))?;
    usage::no_user_stored(dir)
}

const AFTER_RESTART: &[(&str, Check<Restarted>)] = &[
    (
        "after a restart: document, history and audit are intact",
        intact_after_restart,
    ),
    (
        "after a restart: the next write gets the next version and is published",
        writes_after_restart,
    ),
    (
        "after a restart: the usage counts are intact",
        usage_after_restart,
    ),
];

fn usage_after_restart(f: &Restarted) -> Result {
    let now = get_ok(f.addr, &usage::metrics_path(), ADMIN)?;
    super::expect(now["totals"] == f.before.usage["totals"], || {
        format!(
            "before {}, after {}",
            f.before.usage["totals"], now["totals"]
        )
    })
}

pub struct Restarted {
    addr: SocketAddr,
    before: Saved,
}

/// What a restart must keep.
struct Saved {
    document: Value,
    history: Value,
    audit: Value,
    usage: Value,
}

impl Saved {
    fn read(addr: SocketAddr) -> Result<Self> {
        Ok(Self {
            document: get_ok(addr, "/api/v1/document", ADMIN)?,
            history: get_ok(addr, "/api/v1/history?limit=1000", ADMIN)?,
            audit: get_ok(addr, "/api/v1/audit?limit=1000", ADMIN)?,
            usage: get_ok(addr, &usage::metrics_path(), ADMIN)?,
        })
    }
}

/// The tokens' configuration with [`STAGER`] added: an entry with roles by environment.
fn with_stager(config: &str) -> String {
    let mut entries: Vec<Value> = serde_json::from_str(config).unwrap_or_default();
    entries.push(serde_json::json!({"name": "sam.stager", "role": "editor",
        "sha256": crate::admin_api::token_hash(STAGER), "environments": {"production": "viewer"}}));
    entries.push(serde_json::json!({"name": "deploy-bot", "role": "editor",
        "sha256": crate::admin_api::token_hash(DEPLOYER), "bypassApprovals": true}));
    Value::Array(entries).to_string()
}

pub fn run() -> Result {
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let writers: Vec<(String, String)> = (0..WRITERS)
        .map(|i| (format!("writer-{i}"), writer_token(i)))
        .collect();
    let mut tokens = vec![
        ("ada.lovelace", "admin", ADMIN),
        ("eve.editor", "editor", EDITOR),
        ("vic.viewer", "viewer", VIEWER),
    ];
    tokens.extend(
        writers
            .iter()
            .map(|(name, token)| (name.as_str(), "editor", token.as_str())),
    );
    let options = Options {
        seed: Vec::new(),
        control_vars: Vec::new(),
        // The TTL is wrangler.toml's, as shipped: the kill-switch check measures it.
        vars: vec![("ADMIN_TOKENS".into(), with_stager(&tokens_config(&tokens)))],
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let seeded = seed_if_empty(
        server.addr(),
        burgee_api::DEFAULT_API_MOUNT,
        ADMIN,
        &example,
    )?;
    if !matches!(seeded, crate::admin_api::Seeded::Imported(1)) {
        return Err(Failed(format!(
            "importing into an empty store made {seeded:?}, want Imported(1)"
        )));
    }
    let fixture = Fixture {
        addr: server.addr(),
        state: server.state_dir(),
    };
    let first = run_checks(&server, &fixture, CHECKS);

    let before = Saved::read(server.addr())?;
    eprintln!("restarting the worker on the same state…");
    server.restart()?;
    server.wait_healthy(READY_TIMEOUT)?;
    let restarted = Restarted {
        addr: server.addr(),
        before,
    };
    let second = run_checks(&server, &restarted, AFTER_RESTART);
    first.and(second)
}
