//! Building the edge worker's two scripts, what `wrangler dev` (and `wrangler deploy`) serve:
//! the control plane (`edge-worker/control-plane/build/`: the store, the relays and the
//! compiler) and the data plane (`edge-worker/data-plane/build/`: only what evaluation needs,
//! held to a gzip budget). Each is its own crate. For each:
//!
//! 1. `worker-build --profile worker-release --out-dir build --locked` in the crate's folder: `cargo build` for
//!    wasm32-unknown-unknown with the workspace's `[profile.worker-release]` (opt-level 3, LTO,
//!    one codegen unit, panic=abort: speed first, it serves every request; the native `release`
//!    profile stays as the benchmarks want it), then wasm-bindgen and esbuild for the JS shim. Its own wasm-opt pass is off
//!    (`[package.metadata.wasm-pack.profile.custom]` in each crate's Cargo.toml), since it
//!    always keeps the name section.
//! 2. One `wasm-opt -O3 --strip-debug` pass with the explicit feature list workerd accepts.
//! 3. The raw and gzip sizes of the final wasm, printed (Cloudflare's limit counts gzip); the
//!    data plane over [`DATA_PLANE_GZIP_BUDGET`] fails the build.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::setup::{wasm_opt_bin, worker_build_bin};
use crate::{Failed, Result, command, root, run_cmd};

/// The cargo profile the worker's wasm is built with (defined in the root Cargo.toml).
pub const PROFILE: &str = "worker-release";

/// wasm features to allow (the rustc wasm32-unknown-unknown defaults plus exception handling
/// for wasm-bindgen's catch wrappers). Explicit rather than `--all-features`, so wasm-opt never
/// emits an encoding the pinned workerd cannot load.
const WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    "--enable-exception-handling",
];

/// The data plane's gzip budget: what every cold start loads. It was 250 KB until usage
/// counting (the aggregator, the context sketches and the batch's JSON) added about 22 KB,
/// 275 KB until clients' batches (`POST /v1/metrics`: reading and validating a batch,
/// absorbing its events) added 18 KB more (13 KB since batches are read by hand), and 295 KB
/// until checking people's sessions (the signed cookie) added 5 KB: 294 KB measured. Moving
/// the sketches out of the isolate (sending hashes for the metrics store to fold) is the known
/// way back down.
const DATA_PLANE_GZIP_BUDGET: u64 = 300_000;

/// One of the two scripts: its crate's folder under `edge-worker/`.
struct Script {
    what: &'static str,
    crate_dir: &'static str,
}

/// The control plane, then the data plane (last, so that target/ holds the data plane's wasm,
/// which the benchmarks profile).
const SCRIPTS: [Script; 2] = [
    Script {
        what: "control plane",
        crate_dir: "control-plane",
    },
    Script {
        what: "edge worker (data plane)",
        crate_dir: "data-plane",
    },
];

/// Where a script's build lands: `edge-worker/<crate>/build/` (`wrangler*.toml` name it).
pub fn build_dir(data_plane: bool) -> std::path::PathBuf {
    let crate_dir = if data_plane {
        "data-plane"
    } else {
        "control-plane"
    };
    root().join("edge-worker").join(crate_dir).join("build")
}

pub fn build() -> Result {
    // wrangler.toml's [assets] directory must exist for `wrangler dev` to start.
    crate::admin_ui::ensure_dist_dir()?;
    let mut data_plane_gzip = 0;
    for script in &SCRIPTS {
        let (_, gzip) = build_script(script)?;
        if script.crate_dir == "data-plane" {
            data_plane_gzip = gzip;
        }
    }
    if data_plane_gzip > DATA_PLANE_GZIP_BUDGET {
        return Err(Failed(format!(
            "the edge worker is {data_plane_gzip} B gzip, over its budget of {DATA_PLANE_GZIP_BUDGET} B"
        )));
    }
    Ok(())
}

fn build_script(script: &Script) -> Result<(u64, u64)> {
    let dir = root().join("edge-worker").join(script.crate_dir);
    run_cmd(command(worker_build_bin()).current_dir(&dir).args([
        "--profile",
        PROFILE,
        "--out-dir",
        "build",
        "--locked",
    ]))?;

    let out = dir.join("build");
    let wasm = out.join("index_bg.wasm");
    for file in [&wasm, &out.join("index.js")] {
        if !file.is_file() {
            return Err(Failed(format!(
                "worker-build succeeded but {} is missing",
                file.display()
            )));
        }
    }
    let before = sizes(&wasm)?;
    wasm_opt_in_place(&wasm, &["-O3", "--strip-debug"])?;
    let after = sizes(&wasm)?;
    eprintln!(
        "{} wasm (edge-worker/{}/build/index_bg.wasm): {} raw, {} gzip \
         (after wasm-bindgen: {} raw, {} gzip)",
        script.what,
        script.crate_dir,
        kib(after.0),
        kib(after.1),
        kib(before.0),
        kib(before.1)
    );
    Ok(after)
}

/// `wasm-opt` with `args` and [`WASM_FEATURES`], replacing the file with its output.
pub(crate) fn wasm_opt_in_place(wasm: &Path, args: &[&str]) -> Result {
    let optimized = wasm.with_extension("opt.wasm");
    run_cmd(
        command(wasm_opt_bin())
            .arg(wasm)
            .arg("-o")
            .arg(&optimized)
            .args(args)
            .args(WASM_FEATURES),
    )?;
    std::fs::rename(&optimized, wasm).map_err(|e| {
        Failed(format!(
            "cannot move {} to {}: {e}",
            optimized.display(),
            wasm.display()
        ))
    })
}

fn kib(bytes: u64) -> String {
    format!("{bytes} B = {:.1} KiB", bytes as f64 / 1024.0)
}

/// Raw size and gzip size (level 9) of a file.
pub(crate) fn sizes(path: &Path) -> Result<(u64, u64)> {
    let bytes =
        std::fs::read(path).map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    let compressed = gz
        .write_all(&bytes)
        .and_then(|()| gz.finish())
        .map_err(|e| Failed(format!("cannot gzip {}: {e}", path.display())))?;
    Ok((bytes.len() as u64, compressed.len() as u64))
}
