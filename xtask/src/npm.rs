//! The `burgee` npm package: building it, testing the packed package, its benchmark, and the
//! browser its tests drive.
//!
//! The build makes two wasm files from the one glue crate (`npm/`), because the browser and
//! Node need different things: the lean build (default features: the evaluator and the binary
//! snapshot decoder, `no_std`) for browsers and workers, where every kilobyte is paid on page
//! load, and the full build (`--features full`: the document compiler and validator) for Node,
//! where speed matters more than bytes (see [`BUILDS`]). Each goes through `cargo build`,
//! `wasm-bindgen --target web` (the one target that works in browsers and, through
//! `initSync`, in Node and workers) and `wasm-opt` with `--strip-debug`. Then `tsc` compiles
//! the TypeScript façade and the glue is copied next to it: `npm/dist/` is the package, and
//! `npm pack` packs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::setup::{wasm_bindgen_bin, wasm_opt_bin};
use crate::wrangler::{self, Wrangler};
use crate::{Failed, Result, admin_api, cargo, command, root, run_cmd};

/// One wasm build of the glue crate.
struct Build {
    name: &'static str,
    features: &'static [&'static str],
    /// The cargo profile, and `--config` lines that define it when it is not in Cargo.toml.
    profile: &'static str,
    config: &'static [&'static str],
    /// wasm-opt's optimization passes.
    opt: &'static [&'static str],
}

/// The lean build is built for size: opt-level "z" on top of the workspace's `wasm-release`
/// profile (root Cargo.toml: LTO, one codegen unit, panic=abort) and `wasm-opt -Oz`, after
/// `--flatten --rereloop` (control flow rebuilt, which `-Oz` then shrinks further) and until
/// it stops shrinking (`--converge`): with the custom sections stripped, 23,712 B gzip against
/// 24,089 for one `-Oz` (December 2026). It is what browsers download, under a budget. The full build is Node's, read from disk, where speed
/// matters more than bytes: the same profile at opt-level 3 and `wasm-opt -O3`. Both profiles
/// are defined here with `--config`, so the workspace's profiles stay as they are and the
/// edge worker can tune `wasm-release` without moving the browser's budget. Measured: decoding
/// the 102-flag benchmark snapshot takes 135 µs at opt-level 3 against 291 µs at "z"; the lean
/// wasm is 23.7 KB gzip at "z" and 28.5 KB at 3.
///
/// The full build keeps wasm-opt from inlining a function into its only caller when the
/// function is over 100 bytes (`-ocimfs=100`; by default any size). V8 compiles each wasm
/// function on its first call and optimizes it on a second thread once it is hot, and both cost
/// more than linearly in the function's size: merged, the loader made one function of 101 KB
/// and the compiler one of 46 KB. Apart (with the `#[inline(never)]` seams in the core), a
/// process's first `loadDocument` spends a median of about 230 ms of CPU compiling on all
/// threads against 645, and takes 34 ms against 58 (December 2026, this 2-core machine),
/// with the evaluations and later loads unchanged.
const BUILDS: &[Build] = &[
    Build {
        name: "lean",
        features: &[],
        profile: "npm-lean",
        config: &[
            "--config",
            "profile.npm-lean.inherits=\"wasm-release\"",
            "--config",
            "profile.npm-lean.opt-level=\"z\"",
        ],
        opt: &["--flatten", "--rereloop", "-Oz", "--converge"],
    },
    Build {
        name: "full",
        features: &["--features", "full"],
        profile: "npm-node",
        config: &[
            "--config",
            "profile.npm-node.inherits=\"wasm-release\"",
            "--config",
            "profile.npm-node.opt-level=3",
        ],
        opt: &["-O3", "--one-caller-inline-max-function-size=100"],
    },
];

/// wasm features wasm-opt may assume: rustc's wasm32-unknown-unknown defaults plus exception
/// handling for wasm-bindgen's wrappers, explicitly, as for the worker.
const WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    "--enable-exception-handling",
];

/// The Debian package and binary the browser tests use (never a downloaded
/// browser: the machines running the tests have no route to the download hosts).
pub const CHROMIUM: &str = "/usr/bin/chromium";

fn npm_dir() -> PathBuf {
    root().join("npm")
}

/// The files of one wasm-bindgen output that the package ships.
const GLUE_FILES: &[&str] = &["burgee_npm.js", "burgee_npm.d.ts", "burgee_npm_bg.wasm"];

/// Installs Debian's chromium when `/usr/bin/chromium` is missing (root on these machines;
/// `apt-get update` first, since a fresh machine's package lists may be empty or old).
pub fn ensure_chromium() -> Result {
    ensure_debian_package("chromium", CHROMIUM, "about a minute")
}

/// Installs Debian's `package` unless `binary` exists (apt-get, as the machine's root user).
pub fn ensure_debian_package(package: &str, binary: &str, takes: &str) -> Result {
    if Path::new(binary).exists() {
        eprintln!("{binary} already installed");
        return Ok(());
    }
    eprintln!("{binary} is missing: installing Debian's {package} ({takes})");
    run_cmd(Command::new("apt-get").args(["update", "-qq"]))?;
    run_cmd(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", package])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if Path::new(binary).exists() {
        Ok(())
    } else {
        Err(Failed(format!(
            "apt-get installed {package} but {binary} is missing"
        )))
    }
}

/// `npm ci` in `npm/` (the package's dev dependencies: TypeScript, esbuild, playwright-core,
/// OpenFeature, React, flagd-core) unless `npm/node_modules` is newer than its lockfile.
pub fn ensure_npm_deps() -> Result {
    let dir = npm_dir();
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&installed), modified(&lock)), (Some(i), Some(l)) if i >= l)
        && dir.join("node_modules/.bin/tsc").exists();
    if fresh {
        eprintln!("npm/node_modules is up to date with npm/package-lock.json");
        return Ok(());
    }
    run_cmd(command("npm").current_dir(&dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
    ]))
}

/// Builds the package into `npm/dist/` (both wasm builds, the TypeScript, the glue) and
/// prints the wasm sizes.
pub fn build_npm() -> Result {
    let dir = npm_dir();
    for build in BUILDS {
        run_cmd(
            command(cargo())
                .args(build.config)
                .args([
                    "build",
                    "--locked",
                    "-p",
                    "burgee-npm",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--profile",
                    build.profile,
                ])
                .args(build.features),
        )?;
        let out = dir.join("pkg").join(build.name);
        run_cmd(
            command(wasm_bindgen_bin())
                .args(["--target", "web", "--out-dir"])
                .arg(&out)
                .arg(
                    root()
                        .join("target/wasm32-unknown-unknown")
                        .join(build.profile)
                        .join("burgee_npm.wasm"),
                ),
        )?;
        export_loader_parts(&out)?;
        let wasm = out.join("burgee_npm_bg.wasm");
        let optimized = out.join("burgee_npm_bg.opt.wasm");
        run_cmd(
            command(wasm_opt_bin())
                .arg(&wasm)
                .arg("-o")
                .arg(&optimized)
                .args(build.opt)
                // The custom sections: names, the producing tools, and the wasm features the
                // linker saw (nothing a runtime reads).
                .args([
                    "--strip-debug",
                    "--strip-producers",
                    "--strip-target-features",
                ])
                .args(WASM_FEATURES),
        )?;
        std::fs::rename(&optimized, &wasm)
            .map_err(|e| Failed(format!("cannot replace {}: {e}", wasm.display())))?;
        let (raw, gzip) = sizes(&wasm)?;
        eprintln!(
            "npm {} wasm: {raw} B raw, {gzip} B gzip ({:.1} KiB)",
            build.name,
            gzip as f64 / 1024.0
        );
    }
    let dist = dir.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| Failed(format!("cannot clear {}: {e}", dist.display())))?;
    }
    run_cmd(
        command(dir.join("node_modules/.bin/tsc"))
            .current_dir(&dir)
            .args(["-p", "tsconfig.json"]),
    )?;
    for Build { name, .. } in BUILDS {
        let to = dist.join("pkg").join(name);
        std::fs::create_dir_all(&to)
            .map_err(|e| Failed(format!("cannot create {}: {e}", to.display())))?;
        for file in GLUE_FILES {
            let from = dir.join("pkg").join(name).join(file);
            std::fs::copy(&from, to.join(file))
                .map_err(|e| Failed(format!("cannot copy {}: {e}", from.display())))?;
        }
    }
    Ok(())
}

/// What the browser entry (npm/ts/browser.ts) instantiates the wasm with, exported from the
/// glue: the imports object the wasm expects, the step that takes an instance as the glue's, and
/// the wasm's URL beside the glue (the glue's own default). wasm-bindgen keeps these inside its
/// loader, which handles call forms the package never uses; exported, a bundler can leave that
/// loader out of every page. Each pair is what the glue must contain, and what is appended.
const LOADER_JS: &[(&str, &str)] = &[
    (
        "\nfunction __wbg_get_imports(",
        "export { __wbg_get_imports };",
    ),
    (
        "\nfunction __wbg_finalize_init(",
        "export { __wbg_finalize_init };",
    ),
    (
        "new URL('burgee_npm_bg.wasm', import.meta.url)",
        "export const __wbg_wasm_url = () => new URL('burgee_npm_bg.wasm', import.meta.url);",
    ),
];
const LOADER_TS: &[(&str, &str)] = &[
    (
        "export interface InitOutput",
        "export function __wbg_get_imports(): WebAssembly.Imports;",
    ),
    (
        "export interface InitOutput",
        "export function __wbg_finalize_init(instance: WebAssembly.Instance, module: WebAssembly.Module): InitOutput;",
    ),
    (
        "export interface InitOutput",
        "export function __wbg_wasm_url(): URL;",
    ),
];

/// Appends [`LOADER_JS`] and [`LOADER_TS`] to the glue in `out`; fails when this wasm-bindgen's
/// glue no longer has what they name.
fn export_loader_parts(out: &Path) -> Result {
    for (file, parts) in [("burgee_npm.js", LOADER_JS), ("burgee_npm.d.ts", LOADER_TS)] {
        let path = out.join(file);
        let mut text = std::fs::read_to_string(&path)
            .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
        let mut appended = String::new();
        for (needs, line) in parts {
            if !text.contains(needs) {
                return Err(Failed(format!("{} has no `{needs}`", path.display())));
            }
            appended.push_str(line);
            appended.push('\n');
        }
        text.push_str(&appended);
        std::fs::write(&path, text)
            .map_err(|e| Failed(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// The package's tests (`npm test` in `npm/`: packs the package, installs the tarball into a
/// temporary directory and runs node:test there, in Node and in headless Chromium, plus the
/// size budget). Needs [`build_npm`], [`ensure_chromium`], the CLI (`target/debug/burgee`,
/// which compiles the corpus into binary snapshots) and the built edge worker.
///
/// The client tests talk to the real worker: an ephemeral `wrangler dev` (both scripts, fresh
/// state, free port on 127.0.0.1) with an admin token made for this run, seeded with
/// `npm/test/document.json` through the admin API's import, so the snapshot, OFREP and change
/// stream the clients see come from the same write path as production's. The tests get
/// `BURGEE_WORKER_URL` and `BURGEE_ADMIN_TOKEN`; the worker is stopped afterwards, pass or fail.
pub fn test_npm() -> Result {
    run_cmd(command(cargo()).args(["build", "--locked", "-p", "burgee-cli"]))?;
    let document = std::fs::read_to_string(npm_dir().join("test/document.json"))
        .map_err(|e| Failed(format!("cannot read npm/test/document.json: {e}")))?;
    let token = admin_api::random_token()?;
    let options = wrangler::Options {
        seed: Vec::new(),
        control_vars: Vec::new(),
        vars: admin_api::admin_vars("npm-tests", &token),
    };
    let mut worker = Wrangler::ephemeral_with(&options)?;
    let result = worker.wait_healthy(wrangler::READY_TIMEOUT).and_then(|()| {
        let version = admin_api::seed_if_empty(
            worker.addr(),
            burgee_api::DEFAULT_API_MOUNT,
            &token,
            &document,
        )
        .map_err(|Failed(why)| worker.failed(&format!("seeding the worker: {why}")))?
        .version();
        eprintln!(
            "worker at {} holds npm/test/document.json as version {version}",
            worker.url()
        );
        run_cmd(
            command("npm")
                .current_dir(npm_dir())
                .args(["test"])
                .env("BURGEE_WORKER_URL", worker.url())
                .env("BURGEE_ADMIN_TOKEN", &token),
        )
        .map_err(|Failed(why)| worker.failed(&why))
    });
    worker.stop();
    result
}

/// The benchmark against `@openfeature/flagd-core` (`npm run bench` in `npm/`).
pub fn bench_npm() -> Result {
    run_cmd(command("npm").current_dir(npm_dir()).args(["run", "bench"]))
}

/// Raw size and gzip size (level 9) of a file.
fn sizes(path: &Path) -> Result<(u64, u64)> {
    let bytes =
        std::fs::read(path).map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    let compressed = gz
        .write_all(&bytes)
        .and_then(|()| gz.finish())
        .map_err(|e| Failed(format!("cannot gzip {}: {e}", path.display())))?;
    Ok((bytes.len() as u64, compressed.len() as u64))
}
