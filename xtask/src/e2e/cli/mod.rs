//! `burgee pull | diff | push | rollout | promote` against the real worker: the native binary
//! (`target/debug/burgee`) and, when the npm package is built, the npm package's
//! `bin/burgee.mjs` in Node, on one worker started empty with an admin's and an editor's
//! token and the example document imported. Checks run in order on the same store and read
//! the version they start from.

mod checks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{Check, expect, run_checks};
use crate::admin_api::{seed_if_empty, tokens_config};
use crate::http;
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, cargo, command, root, run_cmd, target_dir};

const ADMIN: &str = "e2e-cli-admin-0b7e52c4";
const EDITOR: &str = "e2e-cli-editor-4a91d6f3";

/// One way to run the command: a program and the arguments before the command's own.
pub struct Host {
    pub name: &'static str,
    program: PathBuf,
    prefix: Vec<String>,
}

pub struct Fixture {
    addr: SocketAddr,
    url: String,
    hosts: Vec<Host>,
    /// Where the checks write pulled and edited documents.
    dir: PathBuf,
}

impl Fixture {
    /// Runs `burgee args…` on `host` with `BURGEE_TOKEN` set to `token` (unset for `None`).
    pub fn burgee(&self, host: &Host, args: &[&str], token: Option<&str>) -> Result<Output> {
        let mut cmd = Command::new(&host.program);
        cmd.args(&host.prefix)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env_remove("BURGEE_TOKEN");
        if let Some(token) = token {
            cmd.env("BURGEE_TOKEN", token);
        }
        cmd.output()
            .map_err(|e| Failed(format!("cannot run {}: {e}", host.program.display())))
    }

    /// An admin API call with the admin's token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<http::Response> {
        let auth = format!("Bearer {ADMIN}");
        let mut headers = vec![("Authorization", auth.as_str())];
        let text = body.map(Value::to_string);
        if text.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        http::request(
            self.addr,
            method,
            path,
            &headers,
            text.as_deref().map(str::as_bytes),
        )
    }

    /// The store's `{version, document}`.
    pub fn live(&self) -> Result<Value> {
        let r = self.call("GET", "/api/v1/document", None)?;
        expect(r.status == 200, || {
            format!("GET /api/v1/document: {}", r.status)
        })?;
        r.json()
    }

    pub fn version(&self) -> Result<u64> {
        self.live()?["version"]
            .as_u64()
            .ok_or_else(|| Failed("the document has no version".into()))
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

/// What a run printed, for failure messages.
pub fn shown(out: &Output) -> String {
    format!(
        "exit {:?}, stdout {:?}, stderr {:?}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "pull writes the document with its version; push of it unchanged: nothing to do (0), no version",
        checks::pull_then_push_unchanged,
    ),
    (
        "diff: the change per flag and environment in the core's words, nothing written",
        checks::diff_in_words,
    ),
    (
        "push --dry-run: the summary and preview, exit 0, the version unchanged; then push: one version with the change",
        checks::dry_run_then_push,
    ),
    (
        "push over a concurrent admin edit: 412 explained, exit 1, the admin's edit kept",
        checks::concurrent_edit_conflict,
    ),
    (
        "push over --max-flip: exit 1, nothing written",
        checks::max_flip_refuses,
    ),
    (
        "the preview's numbers (a contexts file and the generated sample) are burgee_core::preview's",
        checks::preview_numbers,
    ),
    (
        "rollout and promote: one audited version each; promoting again: nothing to do",
        checks::rollout_and_promote,
    ),
    (
        "refusals by the store exit 1 (no token: 401; a rollout of a string flag: 422), nothing written",
        checks::store_refusals,
    ),
    (
        "examples/ci/burgee-ci.sh: check, deploy (one version), deploy again (nothing to do), a large change refused",
        checks::ci_recipe,
    ),
];

/// The hosts to run: the native binary always; the npm bin when the package's full build is
/// there (`cargo xtask npm` or the full test run built it).
fn hosts() -> Result<Vec<Host>> {
    run_cmd(command(cargo()).args(["build", "--locked", "-p", "burgee-cli"]))?;
    let mut hosts = vec![Host {
        name: "native",
        program: target_dir()?.join("debug/burgee"),
        prefix: Vec::new(),
    }];
    let npm = root().join("npm");
    if npm.join("dist/pkg/full/burgee_npm_bg.wasm").exists() {
        hosts.push(Host {
            name: "npm",
            program: PathBuf::from("node"),
            prefix: vec![npm.join("bin/burgee.mjs").to_string_lossy().into_owned()],
        });
    } else {
        eprintln!(
            "  (npm/dist is not built: the npm CLI's checks run with `cargo xtask npm` first)"
        );
    }
    Ok(hosts)
}

pub fn run() -> Result {
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let hosts = hosts()?;
    let options = Options {
        seed: Vec::new(),
        control_vars: Vec::new(),
        vars: vec![(
            "ADMIN_TOKENS".into(),
            tokens_config(&[
                ("ada.lovelace", "admin", ADMIN),
                ("ci.pipeline", "editor", EDITOR),
            ]),
        )],
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    seed_if_empty(
        server.addr(),
        burgee_api::DEFAULT_API_MOUNT,
        ADMIN,
        &example,
    )?;
    let dir = std::env::temp_dir().join(format!("burgee-e2e-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Failed(format!("cannot make {dir:?}: {e}")))?;
    let fixture = Fixture {
        addr: server.addr(),
        url: format!("http://{}", server.addr()),
        hosts,
        dir: dir.clone(),
    };
    let result = run_checks(&server, &fixture, CHECKS);
    std::fs::remove_dir_all(&dir).ok();
    result
}
