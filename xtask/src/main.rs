//! `cargo xtask`: the two commands a newcomer runs, and the bench.
//!
//! One Rust program instead of make/just/shell so that it runs the same on every machine that
//! has cargo. Every set-up step is idempotent (it checks before it installs), so the first run
//! on a fresh machine installs everything and later runs go straight to the work.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
cargo xtask <command>

  dev     set up and run Burgee locally
  test    set up and run every check and test (what CI runs)
  bench   run the benchmarks and print their numbers";

/// A failed step: what failed, printed once.
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

/// Runs a command in the repository root; fails with its rendering when it does not succeed.
fn run(program: &str, args: &[&str]) -> Result {
    let shown = format!("{program} {}", args.join(" "));
    eprintln!("$ {shown}");
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| Failed(format!("cannot start `{shown}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failed(format!("`{shown}` failed ({status})")))
    }
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

/// The wasm targets from rust-toolchain.toml; rustup does not add them to an installed
/// toolchain by itself.
fn ensure_targets() -> Result {
    let wanted = ["wasm32-unknown-unknown", "wasm32v1-none"];
    let installed = output("rustup", &["target", "list", "--installed"])?;
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        eprintln!("wasm targets already installed");
        return Ok(());
    }
    let mut args = vec!["target", "add"];
    args.extend(missing);
    run("rustup", &args)
}

fn test() -> Result {
    let cargo = cargo();
    let mut steps = Steps { done: Vec::new() };
    let all = Instant::now();
    let result = (|| {
        steps.step("set up: wasm targets", ensure_targets)?;
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
            run(
                &cargo,
                &[
                    "build",
                    "--locked",
                    "-p",
                    "burgee-core",
                    "--target",
                    "wasm32v1-none",
                    "--features",
                    "json",
                ],
            )
        })?;
        steps.step("unit, property, corpus, schema and CLI tests", || {
            run(&cargo, &["test", "--workspace", "--locked"])
        })?;
        Ok(())
    })();
    steps.summary();
    eprintln!("total {:.1} s", all.elapsed().as_secs_f64());
    result
}

fn dev() -> Result {
    let cargo = cargo();
    ensure_targets()?;
    run(&cargo, &["build", "--locked", "-p", "burgee-cli"])?;
    let example = "examples/tasks-app.json";
    let burgee = root().join("target/debug/burgee");
    let burgee = burgee.to_string_lossy();
    eprintln!("\nBurgee (development): the edge worker and the admin app are not built yet;");
    eprintln!("this runs what exists: the CLI on the example document {example}.\n");
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

fn bench() -> Result {
    run(
        &cargo(),
        &["bench", "--locked", "-p", "burgee-core", "--bench", "eval"],
    )
}

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        Some("test") => test(),
        Some("dev") => dev(),
        Some("bench") => bench(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(why)) => {
            eprintln!("\nxtask: {why}");
            ExitCode::FAILURE
        }
    }
}
