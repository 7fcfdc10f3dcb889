//! `cargo xtask`: the two commands a newcomer runs, and the bench.
//!
//! One Rust program instead of make/just/shell so that it runs the same on every machine that
//! has cargo. Every set-up step is idempotent (it checks before it installs), so the first run
//! on a fresh machine installs everything and later runs go straight to the work.
//!
//! - [`setup`]: wasm targets, wasm-bindgen-cli and worker-build (into `.tools/`), `npm ci`.
//! - [`worker`]: building the edge worker (worker-build, then wasm-opt) into `edge-worker/build`.
//! - [`wrangler`]: running it in workerd (`wrangler dev`) and always stopping it again.
//! - [`e2e`]: the end-to-end checks against it, over [`http`].
//! - [`admin_ui`]: the admin app (`admin-ui/dist`, served by the worker at `/admin/`) and its
//!   browser tests.

mod admin_api;
mod admin_ui;
mod bench_kill;
mod bench_latency;
mod bench_worker;
mod deploy;
mod e2e;
mod http;
mod npm;
mod seed;
mod setup;
mod worker;
mod workerd;
mod wrangler;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use wrangler::Wrangler;

const USAGE: &str = "\
cargo xtask <command>

  dev     set up and run Burgee locally
  build   set up and build the edge worker and the admin app, nothing else (what the
          container image ships: Dockerfile)
  test    set up and run every check and test (what CI runs)
  bench   run the benchmarks and print their numbers (or one: core, npm, worker, kill)
  e2e     build the edge worker and run only its end-to-end suites
  npm     build the npm package and the edge worker, run only the package's tests
  admin   build the admin app and the edge worker, run only the app's browser tests
          (or some of them: cargo xtask admin editing perf)
  deploy --dry-run
          build both scripts and check that they bundle and bind as `wrangler deploy`
          would upload them (no account needed, nothing uploaded)";

/// A failed step: what failed, printed once.
#[derive(Debug)]
struct Failed(String);

type Result<T = ()> = std::result::Result<T, Failed>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// A command run in the repository root, with the project's tools first on `PATH` and the
/// variables that keep worker-build from downloading anything ([`setup::tool_env`]).
fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root()).envs(setup::tool_env());
    cmd
}

/// Runs a command to completion; fails with its rendering when it does not succeed.
fn run_cmd(cmd: &mut Command) -> Result {
    let mut shown = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir()
        && let Ok(rel) = dir.strip_prefix(root())
        && !rel.as_os_str().is_empty()
    {
        shown = format!("(cd {} && {shown})", rel.display());
    }
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| Failed(format!("cannot start `{shown}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failed(format!("`{shown}` failed ({status})")))
    }
}

/// Runs `program args` in the repository root ([`command`]).
fn run(program: &str, args: &[&str]) -> Result {
    run_cmd(command(program).args(args))
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR` and cargo config).
fn target_dir() -> Result<PathBuf> {
    let metadata = output(
        &cargo(),
        &["metadata", "--format-version", "1", "--no-deps", "--locked"],
    )?;
    serde_json::from_str::<serde_json::Value>(&metadata)
        .ok()
        .and_then(|m| m.get("target_directory")?.as_str().map(PathBuf::from))
        .ok_or_else(|| Failed("`cargo metadata` did not name a target directory".into()))
}

fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .map_err(|e| Failed(format!("cannot start `{program}`: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Times a named step and reports it; the summary at the end lists them all.
struct Steps {
    done: Vec<(String, f64)>,
}

impl Steps {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result) -> Result {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let result = f();
        let secs = start.elapsed().as_secs_f64();
        match &result {
            Ok(()) => eprintln!("<== {name}: ok ({secs:.1} s)"),
            Err(Failed(why)) => eprintln!("<== {name}: FAILED ({secs:.1} s): {why}"),
        }
        self.done.push((name.to_string(), secs));
        result
    }

    fn summary(&self) {
        eprintln!("\nsteps:");
        for (name, secs) in &self.done {
            eprintln!("  {secs:>7.1} s  {name}");
        }
    }
}

fn test() -> Result {
    let cargo = cargo();
    let mut steps = Steps { done: Vec::new() };
    let all = Instant::now();
    let result = (|| {
        setup::all(&mut steps)?;
        steps.step("format", || run(&cargo, &["fmt", "--all", "--check"]))?;
        steps.step("clippy (whole workspace, all targets)", || {
            run(
                &cargo,
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--locked",
                    "--",
                    "-D",
                    "warnings",
                ],
            )
        })?;
        steps.step(
            "clippy: the edge worker's data plane alone (its own features: no compiler)",
            || {
                run(
                    &cargo,
                    &[
                        "clippy",
                        "-p",
                        "burgee-edge",
                        "--all-targets",
                        "--locked",
                        "--",
                        "-D",
                        "warnings",
                    ],
                )
            },
        )?;
        steps.step("burgee-core alone on wasm32v1-none (no std at all)", || {
            run(
                &cargo,
                &[
                    "build",
                    "--locked",
                    "-p",
                    "burgee-core",
                    "--target",
                    "wasm32v1-none",
                    "--no-default-features",
                ],
            )?;
            for features in ["json", "compile"] {
                run(
                    &cargo,
                    &[
                        "build",
                        "--locked",
                        "-p",
                        "burgee-core",
                        "--target",
                        "wasm32v1-none",
                        "--no-default-features",
                        "--features",
                        features,
                    ],
                )?;
            }
            Ok(())
        })?;
        steps.step("unit, property, corpus, schema and CLI tests", || {
            run(&cargo, &["test", "--workspace", "--locked"])
        })?;
        steps.step("npm: Chromium (Debian)", npm::ensure_chromium)?;
        steps.step(
            "npm: dev dependencies (npm ci in npm/)",
            npm::ensure_npm_deps,
        )?;
        steps.step("npm: build (lean + full wasm, TypeScript)", npm::build_npm)?;
        // Before the edge worker's build: the worker serves admin-ui/dist at /admin/.
        steps.step("admin app: build (wasm, wasm-opt, size)", admin_ui::build)?;
        // Before the npm tests: their clients talk to the real worker.
        steps.step("edge worker: build", worker::build)?;
        steps.step(
            "deploy: wrangler's dry run (both scripts bundle and bind)",
            deploy::dry_run,
        )?;
        steps.step(
            "npm: tests of the packed package (Node, Chromium, workerd, size)",
            npm::test_npm,
        )?;
        steps.step("edge worker: end-to-end", e2e::run)?;
        steps.step(
            "admin app: browser test dependencies (npm ci in tests/e2e/admin/)",
            admin_ui::ensure_test_deps,
        )?;
        steps.step(
            "admin app: browser tests (Chromium, the worker's /admin/ in workerd)",
            admin_ui::test,
        )?;
        Ok(())
    })();
    steps.summary();
    eprintln!("total {:.1} s", all.elapsed().as_secs_f64());
    result
}

/// The variables `cargo xtask dev` passes from its own environment to the worker (those set
/// and not blank): edge gating and the admin mounts, so gating in front of a local app is
/// tried without editing `wrangler.toml`.
fn passed_vars(lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    [
        "ORIGIN_URL",
        "GATES",
        "CONTEXT_SECRET",
        "ADMIN_PATH",
        "ADMIN_API_PATH",
    ]
    .into_iter()
    .filter_map(|name| {
        lookup(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name.to_string(), v))
    })
    .collect()
}

fn dev() -> Result {
    let cargo = cargo();
    let mut steps = Steps { done: Vec::new() };
    setup::all(&mut steps)?;
    steps.step("CLI: build", || {
        run(&cargo, &["build", "--locked", "-p", "burgee-cli"])
    })?;
    cli_demo()?;
    steps.step("admin app: build", admin_ui::build)?;
    steps.step("edge worker: build", worker::build)?;
    eprintln!("\n==> edge worker: wrangler dev");
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example document: {e}")))?;
    let (token, made) = match std::env::var("BURGEE_ADMIN_TOKEN") {
        Ok(t) if !t.trim().is_empty() => (t.trim().to_string(), false),
        _ => (admin_api::random_token()?, true),
    };
    let mut vars = admin_api::admin_vars("dev-admin", &token);
    // wrangler.toml ships production values; locally KV is read back every second (the relays'
    // beacon already brings changes within one).
    vars.push(("SNAPSHOT_TTL_SECONDS".into(), "1".into()));
    let passed = passed_vars(|name| std::env::var(name).ok());
    if !passed.is_empty() {
        let names: Vec<&str> = passed.iter().map(|(n, _)| n.as_str()).collect();
        eprintln!("from this environment: {}", names.join(", "));
    }
    let given = |name: &str| {
        passed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let mounts =
        burgee_api::Mounts::parse(given("ADMIN_PATH"), given("ADMIN_API_PATH")).map_err(Failed)?;
    vars.extend(passed.clone());
    let options = wrangler::Options {
        seed: Vec::new(),
        control_vars: Vec::new(),
        vars,
    };
    let mut server = Wrangler::dev(&options)?;
    server.wait_healthy(wrangler::READY_TIMEOUT)?;
    let seeded = admin_api::seed_if_empty(server.addr(), mounts.api(), &token, &example)?;
    steps.summary();
    let url = server.url();
    eprintln!("\nBurgee is running (Ctrl-C stops it):");
    eprintln!(
        "  admin app    {url}{}/   (sign in with the admin token below)",
        mounts.app()
    );
    eprintln!(
        "  admin API    {url}{}/v1/document   (edge-worker/API.md)",
        mounts.api()
    );
    eprintln!("  OFREP        {url}/ofrep/v1/evaluate/flags");
    eprintln!("  REST         {url}/feature-flags?userId=user-1");
    eprintln!("  health       {url}/health");
    match seeded {
        admin_api::Seeded::Imported(v) => eprintln!(
            "  flags        version {v} (the example document was imported into an empty store)"
        ),
        admin_api::Seeded::Kept(v) => eprintln!(
            "  flags        version {v} (kept from an earlier run; delete edge-worker/.wrangler/state to start from the example)"
        ),
    }
    eprintln!(
        "  admin token  {token}{}",
        if made {
            "   (made for this run; set BURGEE_ADMIN_TOKEN to choose one)"
        } else {
            "   (from BURGEE_ADMIN_TOKEN)"
        }
    );
    eprintln!(
        "  local state  edge-worker/.wrangler/state (KV and Durable Objects, kept across restarts)"
    );
    let status = server.wait()?;
    if wrangler::interrupted() {
        server.stop();
        eprintln!("\nwrangler stopped");
        return Ok(());
    }
    Err(Failed(format!("wrangler dev exited by itself ({status})")))
}

/// The CLI on the example document: validation, then every flag for a few sample users.
fn cli_demo() -> Result {
    let example = "examples/tasks-app.json";
    let burgee = target_dir()?.join("debug/burgee");
    let burgee = burgee.to_string_lossy();
    eprintln!("\nBurgee (development): the CLI on the example document {example},");
    eprintln!("then the edge worker in workerd, serving the admin app at /admin/.\n");
    run(&burgee, &["validate", example])?;
    let samples = [
        (
            "production",
            r#"{"targetingKey":"user-1","role":"admin","orgId":"org-1042","plan":"pro"}"#,
        ),
        ("production", r#"{"targetingKey":"user-77","plan":"free"}"#),
        ("staging", r#"{"targetingKey":"user-1"}"#),
    ];
    for (env, context) in samples {
        eprintln!("\n# {env}, context {context}");
        run(
            &burgee,
            &["eval", example, "--env", env, "--context", context],
        )?;
    }
    eprintln!(
        "\nTry: {burgee} eval {example} --env production --flag daily-planning --context '{{\"targetingKey\":\"me\"}}'"
    );
    Ok(())
}

/// `cargo xtask bench [core|npm|worker]`: every benchmark, or one of them.
fn bench(which: Option<&str>) -> Result {
    let mut steps = Steps { done: Vec::new() };
    let all = which.is_none();
    setup::all(&mut steps)?;
    if all || which == Some("core") {
        run(
            &cargo(),
            &["bench", "--locked", "-p", "burgee-core", "--bench", "eval"],
        )?;
    }
    if all || which == Some("npm") {
        npm::ensure_npm_deps()?;
        npm::build_npm()?;
        npm::bench_npm()?;
    }
    if all || which == Some("worker") {
        npm::ensure_npm_deps()?;
        worker::build()?;
        bench_worker::run()?;
        bench_kill::run()?;
    }
    if which == Some("kill") {
        worker::build()?;
        bench_kill::run()?;
    }
    if !matches!(which, None | Some("core" | "npm" | "worker" | "kill")) {
        return Err(Failed(format!(
            "unknown benchmark {which:?}: core, npm, worker (with kill) or kill"
        )));
    }
    Ok(())
}

fn main() -> ExitCode {
    if let Err(Failed(why)) = wrangler::install_signal_handler() {
        eprintln!("xtask: {why}");
        return ExitCode::FAILURE;
    }
    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        Some("test") => test(),
        Some("dev") => dev(),
        Some("bench") => bench(std::env::args().nth(2).as_deref()),
        Some("npm") => {
            let mut steps = Steps { done: Vec::new() };
            let result = setup::all(&mut steps)
                .and_then(|()| steps.step("npm: Chromium (Debian)", npm::ensure_chromium))
                .and_then(|()| steps.step("npm: dev dependencies", npm::ensure_npm_deps))
                .and_then(|()| steps.step("npm: build", npm::build_npm))
                .and_then(|()| steps.step("edge worker: build", worker::build))
                .and_then(|()| steps.step("npm: tests", npm::test_npm));
            steps.summary();
            result
        }
        Some("admin") => {
            let mut steps = Steps { done: Vec::new() };
            let result = setup::all(&mut steps)
                .and_then(|()| steps.step("npm: Chromium (Debian)", npm::ensure_chromium))
                // client-metrics.test.mjs serves the npm package's browser build to its pages.
                .and_then(|()| steps.step("npm: dev dependencies", npm::ensure_npm_deps))
                .and_then(|()| steps.step("npm: build", npm::build_npm))
                .and_then(|()| steps.step("admin app: build", admin_ui::build))
                .and_then(|()| steps.step("edge worker: build", worker::build))
                .and_then(|()| steps.step("admin app: test deps", admin_ui::ensure_test_deps))
                .and_then(|()| {
                    let chosen: Vec<String> = std::env::args()
                        .skip(2)
                        .map(|name| format!("{name}.test.mjs"))
                        .collect();
                    let chosen: Vec<&str> = chosen.iter().map(String::as_str).collect();
                    let files = if chosen.is_empty() {
                        admin_ui::FILES
                    } else {
                        &chosen
                    };
                    steps.step("admin app: browser tests", || admin_ui::test_files(files))
                });
            steps.summary();
            result
        }
        Some("deploy") => {
            if std::env::args().nth(2).as_deref() != Some("--dry-run") {
                eprintln!(
                    "cargo xtask deploy --dry-run checks the deployment; to deploy, follow the README's \"Deploying to Cloudflare\""
                );
                return ExitCode::from(2);
            }
            let mut steps = Steps { done: Vec::new() };
            let result = setup::all(&mut steps)
                .and_then(|()| steps.step("admin app: build", admin_ui::build))
                .and_then(|()| steps.step("edge worker: build", worker::build))
                .and_then(|()| steps.step("deploy: wrangler's dry run", deploy::dry_run));
            steps.summary();
            result
        }
        Some("build") => {
            let mut steps = Steps { done: Vec::new() };
            let result = setup::all(&mut steps)
                .and_then(|()| steps.step("admin app: build", admin_ui::build))
                .and_then(|()| steps.step("edge worker: build", worker::build));
            steps.summary();
            result
        }
        Some("e2e") => {
            let mut steps = Steps { done: Vec::new() };
            let result = setup::all(&mut steps)
                .and_then(|()| steps.step("edge worker: build", worker::build))
                .and_then(|()| steps.step("edge worker: end-to-end", e2e::run));
            steps.summary();
            result
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if wrangler::interrupted() {
        eprintln!("\nxtask: interrupted");
        return ExitCode::from(130);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(why)) => {
            eprintln!("\nxtask: {why}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::passed_vars;

    #[test]
    fn dev_passes_the_gating_and_mount_variables_it_is_given() {
        let given = |name: &str| match name {
            "ORIGIN_URL" => Some("http://127.0.0.1:3000".to_string()),
            "GATES" => Some(" ".to_string()),
            "CONTEXT_SECRET" => Some("s".to_string()),
            "ADMIN_PATH" => Some("/_burgee/admin".to_string()),
            _ => Some("not asked".to_string()),
        };
        assert_eq!(
            passed_vars(given),
            [
                (
                    "ORIGIN_URL".to_string(),
                    "http://127.0.0.1:3000".to_string()
                ),
                ("CONTEXT_SECRET".to_string(), "s".to_string()),
                ("ADMIN_PATH".to_string(), "/_burgee/admin".to_string()),
                ("ADMIN_API_PATH".to_string(), "not asked".to_string()),
            ]
        );
        assert!(passed_vars(|_| None).is_empty());
    }
}
