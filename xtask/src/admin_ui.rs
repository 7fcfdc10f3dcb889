//! The admin app (`admin-ui/`): building `admin-ui/dist/` and running its browser tests.
//!
//! The build is `cargo build` for `wasm32-unknown-unknown`, `wasm-bindgen --target web` and
//! `wasm-opt -Oz`, then the hand-written `admin-ui/static/` files (no trunk: its wasm-bindgen and wasm-opt are not the pinned ones).
//! The edge worker serves `admin-ui/dist/` as its static assets (`[assets]` in
//! `edge-worker/wrangler.toml`), so the directory is laid out as the URLs are: the app in
//! `dist/admin/`, and a copy of its `index.html` at the root, which is what wrangler's
//! single-page-application fallback serves for a deep link under `/admin/` (it only ever looks
//! for `/index.html`). `index.html` has `<base href="/admin/">`, so it works from any depth.
//!
//! Three settings keep the wasm small: the profile (opt-level "z" on top of the workspace's
//! `wasm-release`: LTO, one codegen unit, panic=abort), defined here with `--config` like the
//! npm package's; Leptos's `erase_components` cfg, which turns every component's view into
//! one type-erased `AnyView` instead of a nested generic type (measured: 596 → 497 KB gzip, and
//! half the compile time); and the standard library rebuilt for the app with
//! `-Cpanic=immediate-abort` (`-Zbuild-std`), so that a panic is a bare wasm trap with no
//! message, location or formatting code behind it (measured: 500 → 467 KB gzip; opt-level "s"
//! was 541 KB, `-Zfmt-debug=none` saved only 2 KB more and would blank the core's quoted
//! diagnostics). Both unstable flags are accepted by the pinned stable compiler through
//! `RUSTC_BOOTSTRAP=1`, set on this one cargo command only; nothing else in the workspace is
//! built that way. A panic cannot happen by design (clippy denies unwrap/expect/panic), and if
//! one did, the browser tests see the trap as a page error. The flags go into the wasm
//! target's rustflags only, so native builds (clippy, tests) are untouched.
//!
//! The app is split: `wasm-split-cli` (installed by `setup`) cuts the linked wasm (built with
//! `--emit-relocs`, which it needs to see the call graph) into the main module, one module per
//! page that `admin-ui/src/app.rs` marks `wasm_split` (the flag editor, the segment editor,
//! evaluate-as, history, the change requests, the audit log, the stale flags) and `chunk_<n>.wasm` for code several of them share, plus
//! `__wasm_split.js`, which fetches them. Only the main module goes through wasm-bindgen
//! (`--keep-lld-exports`: the pages call through its function table); every module is then
//! wasm-opt'ed. The budget applies to the main module, which is all a visit to the flag list
//! (and its kill switches) downloads; the total of every module is printed beside it.
//! Measured: main 204.7 KB gzip, all modules 523.5 KB (the unsplit app was 459.0 KB: the cut
//! costs 14 % in total, and a first visit to the flag editor fetches about what the unsplit app
//! weighed).
//!
//! The browser tests (`tests/e2e/admin/`, node:test + playwright-core driving Debian's
//! Chromium) load the app from the real worker's `/admin/` in workerd, started here with admin,
//! editor and viewer tokens in `ADMIN_TOKENS` (and an editor who is a viewer in production); they import `examples/tasks-app.json` through
//! the API first. Screenshots and measurements go to `target/admin-ui-e2e/`. Sizes and
//! timings are printed, not asserted.

use std::path::{Path, PathBuf};

use crate::admin_api::{random_token, token_entry};
use crate::setup::{wasm_bindgen_bin, wasm_split_bin};
use crate::worker::{sizes, wasm_opt_in_place};
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, cargo, command, root, run_cmd, target_dir};

const PROFILE: &str = "admin-ui";
const CONFIG: &[&str] = &[
    "--config",
    "profile.admin-ui.inherits=\"wasm-release\"",
    "--config",
    "profile.admin-ui.opt-level=\"z\"",
    "--config",
    "target.wasm32-unknown-unknown.rustflags=[\"--cfg\",\"erase_components\",\"-Zunstable-options\",\"-Cpanic=immediate-abort\",\"-Clink-args=--emit-relocs\"]",
    // The standard library rebuilt with the same panic strategy (needs rust-src, which
    // `setup::ensure_rust_src` adds): no panic messages, locations or formatting for them.
    "-Zbuild-std=std,panic_abort",
];
/// `BURGEE_ADMIN_DEBUG=1`: the same build, but a panic prints its message and location to the
/// browser console (the `panic-hook` feature, std as shipped) instead of a bare `unreachable`
/// trap. For finding a trap the browser tests see; never the build that ships or is measured.
const DEBUG_CONFIG: &[&str] = &[
    "--config",
    "profile.admin-ui.inherits=\"wasm-release\"",
    "--config",
    "profile.admin-ui.opt-level=\"z\"",
    "--config",
    "target.wasm32-unknown-unknown.rustflags=[\"--cfg\",\"erase_components\",\"-Clink-args=--emit-relocs\"]",
];

fn debug_build() -> bool {
    std::env::var("BURGEE_ADMIN_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The budget of the app's main wasm module (issue 6), printed next to the measured size.
const BUDGET_GZIP: u64 = 300 * 1000;
/// Whether a build over [`BUDGET_GZIP`] fails: on, so that the main module cannot grow back.
const ENFORCE_BUDGET: bool = true;

/// `[assets] directory` of the edge worker: what it serves from `/`.
pub fn dist_dir() -> PathBuf {
    root().join("admin-ui/dist")
}

/// Where the app itself goes: `/admin/` on the worker.
fn app_dir() -> PathBuf {
    dist_dir().join("admin")
}

/// `wrangler dev` refuses to start when its assets directory is missing: commands that run the
/// worker without building the app (`cargo xtask e2e`, `npm`, `bench`) get an empty one.
pub fn ensure_dist_dir() -> Result {
    let dist = dist_dir();
    std::fs::create_dir_all(&dist)
        .map_err(|e| Failed(format!("cannot create {}: {e}", dist.display())))
}

fn tests_dir() -> PathBuf {
    root().join("tests/e2e/admin")
}

/// Builds the app into `admin-ui/dist/` and prints its wasm size, raw and gzip.
pub fn build() -> Result {
    // `-Zbuild-std` and `-Cpanic=immediate-abort` are unstable: this one build, and nothing
    // else, lets the pinned stable toolchain accept them (see the module docs).
    run_cmd(
        command(cargo())
            .env("RUSTC_BOOTSTRAP", "1")
            .args(if debug_build() { DEBUG_CONFIG } else { CONFIG })
            .args([
                "build",
                "--locked",
                "-p",
                "burgee-admin-ui",
                "--bin",
                "burgee-admin-ui",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                PROFILE,
            ])
            .args(if debug_build() {
                &["--features", "panic-hook"][..]
            } else {
                &[]
            }),
    )?;
    let dist = dist_dir();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| Failed(format!("cannot clear {}: {e}", dist.display())))?;
    }
    let app = app_dir();
    // The split: a main module (everything the shell, the sign-in and the flag list need)
    // and one module per page that `app.rs` marks `wasm_split`, fetched on first use.
    let split = root().join("target").join("admin-ui-split");
    if split.exists() {
        std::fs::remove_dir_all(&split)
            .map_err(|e| Failed(format!("cannot clear {}: {e}", split.display())))?;
    }
    run_cmd(
        command(wasm_split_bin())
            .arg(
                root()
                    .join("target/wasm32-unknown-unknown")
                    .join(PROFILE)
                    .join("burgee-admin-ui.wasm"),
            )
            .arg(&split)
            .args(["--target", "web", "--out-name", "burgee_admin_ui"]),
    )?;
    run_cmd(
        command(wasm_bindgen_bin())
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "burgee_admin_ui",
            ])
            // The page modules use the main module's function table.
            .arg("--keep-lld-exports")
            .arg("--out-dir")
            .arg(&app)
            .arg(split.join("burgee_admin_ui.wasm")),
    )?;
    let wasm = app.join("burgee_admin_ui_bg.wasm");
    let mut pages = Vec::new();
    let entries = std::fs::read_dir(&split)
        .map_err(|e| Failed(format!("cannot read {}: {e}", split.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Besides the main module: `split_<page>.wasm` per page, `chunk_<n>.wasm` for code
        // that several pages share, and the JS that loads them.
        let module = name.ends_with(".wasm") && name != "burgee_admin_ui.wasm";
        if name == "__wasm_split.js" || module {
            copy(&entry.path(), &app.join(&name))?;
            if name.ends_with(".wasm") {
                pages.push(app.join(&name));
            }
        }
    }
    if pages.is_empty() {
        return Err(Failed(
            "wasm-split made no page modules: the app's lazy pages are gone".into(),
        ));
    }
    pages.sort();
    for module in std::iter::once(&wasm).chain(&pages) {
        if debug_build() {
            // Function names kept: a panic's stack in the console names its frames.
            wasm_opt_in_place(module, &["-Oz"])?;
        } else {
            wasm_opt_in_place(module, &["-Oz", "--strip-debug", "--strip-producers"])?;
        }
    }
    let statics = root().join("admin-ui/static");
    let entries = std::fs::read_dir(&statics)
        .map_err(|e| Failed(format!("cannot read {}: {e}", statics.display())))?;
    for entry in entries.flatten() {
        let from = entry.path();
        if let Some(name) = from.file_name() {
            copy(&from, &app.join(name))?;
        }
    }
    // The single-page-application fallback (see the module docs).
    copy(&app.join("index.html"), &dist.join("index.html"))?;
    let (raw, gzip) = sizes(&wasm)?;
    let (mut all_raw, mut all_gzip) = (raw, gzip);
    for page in &pages {
        let (r, g) = sizes(page)?;
        all_raw += r;
        all_gzip += g;
        eprintln!(
            "admin app page module {}: {r} B raw, {g} B gzip (fetched when a page that needs it first opens)",
            page.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
    }
    eprintln!(
        "admin app wasm, every module together: {all_raw} B raw, {all_gzip} B gzip ({:.1} KB)",
        all_gzip as f64 / 1000.0
    );
    let (js_raw, js_gzip) = sizes(&app.join("burgee_admin_ui.js"))?;
    let over = gzip > BUDGET_GZIP;
    eprintln!(
        "admin app main wasm (admin-ui/dist/admin/burgee_admin_ui_bg.wasm, what every visit loads): {raw} B raw, {gzip} B gzip \
         ({:.1} KB; budget {} KB gzip{})",
        gzip as f64 / 1000.0,
        BUDGET_GZIP / 1000,
        match (over, ENFORCE_BUDGET) {
            (false, _) => "",
            (true, true) => ": OVER",
            (true, false) => ": over, reported only (see ENFORCE_BUDGET)",
        }
    );
    eprintln!("admin app JS glue: {js_raw} B raw, {js_gzip} B gzip");
    if over && ENFORCE_BUDGET && !debug_build() {
        return Err(Failed(format!(
            "the admin app is {gzip} B gzip, over its budget of {BUDGET_GZIP} B"
        )));
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to).map(|_| ()).map_err(|e| {
        Failed(format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

/// `npm ci` in `tests/e2e/admin/` (playwright-core) unless its `node_modules` is newer than
/// its lockfile.
pub fn ensure_test_deps() -> Result {
    let dir = tests_dir();
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!(
        (modified(&dir.join("node_modules/.package-lock.json")), modified(&dir.join("package-lock.json"))),
        (Some(i), Some(l)) if i >= l
    );
    if fresh {
        eprintln!("tests/e2e/admin/node_modules is up to date");
        return Ok(());
    }
    run_cmd(command("npm").current_dir(&dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
    ]))
}

/// The browser tests against a fresh worker: `node --test` in `tests/e2e/admin/`, one file
/// after another (they share the store). Screenshots and measurements go to
/// `target/admin-ui-e2e/`. Needs [`build`], the worker's build, [`ensure_test_deps`] and
/// Chromium (`crate::npm::ensure_chromium`).
pub fn test() -> Result {
    test_files(FILES)
}

/// The browser test files, in the order they run.
pub const FILES: &[&str] = &[
    "admin.test.mjs",
    "editing.test.mjs",
    "metrics.test.mjs",
    "navigation.test.mjs",
    "variants.test.mjs",
    "review.test.mjs",
    "perf.test.mjs",
    "oidc.test.mjs",
    "access.test.mjs",
    "client-metrics.test.mjs",
    "requests.test.mjs",
    "teams.test.mjs",
    "approvals.test.mjs",
    "audit.test.mjs",
    MOUNTS_FILE,
];

/// The file that runs against a worker of its own, with the app and the API moved to
/// [`MOVED_MOUNTS`].
const MOUNTS_FILE: &str = "mounts.test.mjs";
/// `(ADMIN_PATH, ADMIN_API_PATH)` of that worker.
const MOVED_MOUNTS: (&str, &str) = ("/_burgee/admin", "/_burgee/api");

/// [`test`] for some of the files only (`cargo xtask admin editing perf`: by name, without
/// `.test.mjs`).
pub fn test_files(files: &[&str]) -> Result {
    let (moved, rest): (Vec<&str>, Vec<&str>) = files.iter().partition(|f| **f == MOUNTS_FILE);
    if !rest.is_empty() {
        run_files(&rest, None)?;
    }
    if !moved.is_empty() {
        run_files(&moved, Some(MOVED_MOUNTS))?;
    }
    Ok(())
}

/// Who may sign in with single sign-on in the browser tests.
const OIDC_PEOPLE: &str = r#"[{"email": "ada@example.com", "role": "admin"}, {"domain": "example.com", "role": "editor"}]"#;

/// A port nothing listens on now.
fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failed(format!("no free port: {e}")))
}

/// `node --test` on `files` against a fresh worker, with the admin mounts `mounts` (default
/// ones when `None`).
fn run_files(files: &[&str], mounts: Option<(&str, &str)>) -> Result {
    let admin = random_token()?;
    let editor = random_token()?;
    let viewer = random_token()?;
    // An editor who is only a viewer in production (`approvals.test.mjs`).
    let prod_viewer = random_token()?;
    let server_key = random_token()?;
    let session_secret = random_token()?;
    // Single sign-on against the provider `oidc.test.mjs` runs on this port (the worker only
    // asks it when someone signs in).
    let oidc_port = free_port()?;
    // Cloudflare Access's team, which `access.test.mjs` plays on this port.
    let access_port = free_port()?;
    let options = Options {
        seed: Vec::new(),
        control_vars: vec![
            ("OIDC_ISSUER".into(), format!("http://127.0.0.1:{oidc_port}")),
            ("OIDC_CLIENT_ID".into(), "burgee-e2e".into()),
            ("OIDC_PROVIDER_NAME".into(), "Test SSO".into()),
            ("ADMIN_USERS".into(), OIDC_PEOPLE.into()),
            ("SESSION_SECRET".into(), session_secret.clone()),
            ("ACCESS_TEAM_DOMAIN".into(), format!("http://127.0.0.1:{access_port}")),
            ("ACCESS_AUD".into(), "burgee-e2e-aud".into()),
            // Only review.test.mjs's document has this environment.
            (
                "PROTECTED_ENVIRONMENTS".into(),
                r#"{"e2e-protected": {"reason": true}}"#.into(),
            ),
        ],
        vars: vec![
            ("SESSION_SECRET".into(), session_secret.clone()),
            (
                "ADMIN_TOKENS".into(),
                serde_json::Value::Array(vec![
                    token_entry("e2e-admin", "admin", &admin),
                    token_entry("e2e-editor", "editor", &editor),
                    token_entry("e2e-viewer", "viewer", &viewer),
                    {
                        let mut entry = token_entry("e2e-prod-viewer", "editor", &prod_viewer);
                        entry["environments"] = serde_json::json!({"production": "viewer"});
                        entry
                    },
                ])
                .to_string(),
            ),
            // The tests check the edge's answers for flags they create, which are not
            // client-side: they ask with a server key.
            (
                "EVALUATION_KEYS".into(),
                serde_json::json!([{"name": "e2e-server", "sha256": crate::admin_api::token_hash(&server_key), "kind": "server"}])
                    .to_string(),
            ),
        ],
    };
    let mut options = options;
    let (app_mount, api_mount) =
        mounts.unwrap_or((burgee_api::DEFAULT_APP_MOUNT, burgee_api::DEFAULT_API_MOUNT));
    if mounts.is_some() {
        options.vars.push(("ADMIN_PATH".into(), app_mount.into()));
        options
            .vars
            .push(("ADMIN_API_PATH".into(), api_mount.into()));
    }
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let artifacts = target_dir()?.join("admin-ui-e2e");
    if artifacts.exists() && mounts.is_none() {
        std::fs::remove_dir_all(&artifacts)
            .map_err(|e| Failed(format!("cannot clear {}: {e}", artifacts.display())))?;
    }
    let result = run_cmd(
        command("node")
            .current_dir(tests_dir())
            // `--test-force-exit`: a file whose tests are done ends even if something it
            // opened (a browser after a failed hook) would keep it alive.
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-force-exit",
                "--test-reporter=spec",
            ])
            .args(files)
            .env("BURGEE_URL", server.url())
            .env("BURGEE_ADMIN_TOKEN", &admin)
            .env("BURGEE_EDITOR_TOKEN", &editor)
            .env("BURGEE_VIEWER_TOKEN", &viewer)
            .env("BURGEE_PROD_VIEWER_TOKEN", &prod_viewer)
            .env("BURGEE_EVALUATION_KEY", &server_key)
            .env("BURGEE_OIDC_PORT", oidc_port.to_string())
            .env("BURGEE_ACCESS_PORT", access_port.to_string())
            .env("BURGEE_ADMIN_PATH", app_mount)
            .env("BURGEE_ADMIN_API_PATH", api_mount)
            .env("BURGEE_ARTIFACTS", &artifacts)
            .env("BURGEE_EXAMPLE", root().join("examples/tasks-app.json")),
    );
    match result {
        Ok(()) => {
            eprintln!("screenshots and measurements: {}", artifacts.display());
            Ok(())
        }
        Err(Failed(why)) => Err(server.failed(&why)),
    }
}
