//! Set-up steps shared by `dev` and `test`. Each one checks before it installs, so a warm
//! machine skips them in milliseconds and a fresh one gets exactly the pinned versions.
//!
//! Everything is installed inside the repository: cargo tools under `.tools/` (`--root .tools`),
//! npm packages under `node_modules/` (from `package-lock.json`); both are git-ignored.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::{Failed, Result, Steps, cargo, output, root, run};

/// worker-build, pinned: its output format (the JS shim) and its `worker` crate check
/// must match `worker = "0.8"` (TOOLCHAIN.md).
pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// `.tools/bin`: where `cargo install --root .tools` puts binaries.
pub fn tools_bin() -> PathBuf {
    root().join(".tools").join("bin")
}

/// The splitter for the admin app, pinned to the release that matches the
/// `wasm_split_helpers` runtime Leptos brings (Cargo.lock).
const WASM_SPLIT_CRATE: &str = "wasm_split_cli_support";
const WASM_SPLIT_VERSION: &str = "0.2.4";

pub fn wasm_split_bin() -> PathBuf {
    tools_bin().join("wasm-split-cli")
}

pub fn wasm_bindgen_bin() -> PathBuf {
    tools_bin().join("wasm-bindgen")
}

pub fn worker_build_bin() -> PathBuf {
    tools_bin().join("worker-build")
}

/// esbuild's native binary from its platform package (worker-build bundles the JS shim with it).
pub fn esbuild_bin() -> PathBuf {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("macos", "aarch64") => "darwin-arm64",
        ("macos", _) => "darwin-x64",
        (_, "aarch64") => "linux-arm64",
        _ => "linux-x64",
    };
    root()
        .join("node_modules/@esbuild")
        .join(platform)
        .join("bin/esbuild")
}

/// binaryen's wasm-opt from npm (`binaryen@132.0.0`; Debian's 108 cannot parse current wasm).
pub fn wasm_opt_bin() -> PathBuf {
    root().join("node_modules/.bin/wasm-opt")
}

pub fn wrangler_bin() -> PathBuf {
    root().join("node_modules/.bin/wrangler")
}

/// Environment for every child process: `.tools/bin` first on `PATH`, and the three variables
/// that make worker-build use our binaries instead of downloading its own (which fails here
/// after ~30 s of retries).
pub fn tool_env() -> Vec<(&'static str, OsString)> {
    let mut paths = vec![tools_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    let path = std::env::join_paths(paths).unwrap_or_else(|_| OsString::from(tools_bin()));
    vec![
        ("PATH", path),
        ("WASM_BINDGEN_BIN", wasm_bindgen_bin().into()),
        ("ESBUILD_BIN", esbuild_bin().into()),
        ("WASM_OPT_BIN", wasm_opt_bin().into()),
    ]
}

/// Every set-up step, each timed on its own.
pub fn all(steps: &mut Steps) -> Result {
    steps.step("set up: wasm targets", ensure_targets)?;
    steps.step(
        "set up: rust-src (the admin app's build-std)",
        ensure_rust_src,
    )?;
    steps.step("set up: wasm-bindgen-cli", ensure_wasm_bindgen)?;
    steps.step("set up: worker-build", ensure_worker_build)?;
    steps.step("set up: wasm-split-cli", ensure_wasm_split)?;
    steps.step("set up: npm packages", ensure_npm)
}

/// The wasm targets from rust-toolchain.toml; rustup does not add them to an installed
/// toolchain by itself.
pub fn ensure_targets() -> Result {
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

/// The standard library's source, which the admin app's `-Zbuild-std` build compiles
/// (`admin_ui::build`); listed in rust-toolchain.toml, added here for a toolchain that was
/// installed without it.
pub fn ensure_rust_src() -> Result {
    let installed = output("rustup", &["component", "list", "--installed"])?;
    if installed.lines().any(|l| l.trim() == "rust-src") {
        eprintln!("rust-src already installed");
        return Ok(());
    }
    run("rustup", &["component", "add", "rust-src"])
}

/// The version of the `wasm-bindgen` crate that Cargo.lock pins. The CLI must be exactly this
/// version, or wasm-bindgen refuses the module.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let path = root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&path)
        .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    let versions = locked_versions(&lock, "wasm-bindgen");
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failed(
            "Cargo.lock has no `wasm-bindgen` package (is the edge worker a workspace member?)"
                .into(),
        )),
        many => Err(Failed(format!(
            "Cargo.lock has several `wasm-bindgen` versions ({}); one CLI cannot serve them all",
            many.join(", ")
        ))),
    }
}

/// Versions of the package `name` in a Cargo.lock (`[[package]]` entries: `name`, then
/// `version`).
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if line == wanted
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            versions.push(version.to_string());
        }
    }
    versions
}

pub fn ensure_wasm_bindgen() -> Result {
    let version = locked_wasm_bindgen_version()?;
    ensure_cargo_tool("wasm-bindgen-cli", &wasm_bindgen_bin(), &version)
}

pub fn ensure_worker_build() -> Result {
    ensure_cargo_tool("worker-build", &worker_build_bin(), WORKER_BUILD_VERSION)
}

/// Installs `krate` at exactly `version` into `.tools` unless `bin --version` already says so
/// (`wasm-bindgen 0.2.130`, `0.8.7`: the last word of the first line).
///
/// No `--locked`: wasm-bindgen-cli's own lockfile wants a webpki-roots release that the registry
/// mirror here lacks (TOOLCHAIN.md); the version itself is still exact. `--force` because we
/// only get here when the binary is missing or wrong, whatever `.tools/.crates.toml` says.
fn ensure_cargo_tool(krate: &str, bin: &Path, version: &str) -> Result {
    let name = bin
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match Command::new(bin).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let printed = String::from_utf8_lossy(&out.stdout);
            let first = printed.lines().next().unwrap_or("").trim();
            if first.split_whitespace().last() == Some(version) {
                eprintln!("{name} {version} already installed in .tools");
                return Ok(());
            }
            eprintln!("{name} in .tools prints {first:?}, want {version}: reinstalling");
        }
        _ => eprintln!("{name} {version} is not in .tools yet: installing (takes minutes)"),
    }
    cargo_install(krate, version, &[])
}

fn cargo_install(krate: &str, version: &str, extra: &[&str]) -> Result {
    let mut args = vec![
        "install",
        krate,
        "--version",
        version,
        "--root",
        ".tools",
        "--force",
    ];
    args.extend(extra);
    run(&cargo(), &args)
}

/// wasm-split, which cuts the admin app's wasm into a main module and one module per page
/// loaded on first use (`admin_ui::build`). It prints no version, so the check is cargo's own
/// record of what it installed into `.tools`.
pub fn ensure_wasm_split() -> Result {
    let record = std::fs::read_to_string(root().join(".tools/.crates.toml")).unwrap_or_default();
    let wanted = format!("\"{WASM_SPLIT_CRATE} {WASM_SPLIT_VERSION} ");
    if wasm_split_bin().exists() && record.contains(&wanted) {
        eprintln!("wasm-split-cli {WASM_SPLIT_VERSION} already installed in .tools");
        return Ok(());
    }
    eprintln!(
        "wasm-split-cli {WASM_SPLIT_VERSION} is not in .tools yet: installing (takes minutes)"
    );
    cargo_install(
        WASM_SPLIT_CRATE,
        WASM_SPLIT_VERSION,
        &["--features", "build-binary"],
    )
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `npm ci` when `node_modules` is missing, lacks a binary we use, or is older than
/// `package-lock.json` (its age is that of `node_modules/.package-lock.json`, which npm writes
/// on every install).
///
/// `--ignore-scripts`: the binaries come from the platform packages (`@esbuild/linux-x64`,
/// `@cloudflare/workerd-linux-64`); the install scripts only re-check them or download
/// fallbacks, and npm 11 here skips them anyway, so every machine gets the same tree.
pub fn ensure_npm() -> Result {
    let root = root();
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules/.package-lock.json");
    let bins = [wrangler_bin(), esbuild_bin(), wasm_opt_bin()];
    let missing: Vec<String> = bins
        .iter()
        .filter(|b| !b.exists())
        .map(|b| b.strip_prefix(&root).unwrap_or(b).display().to_string())
        .collect();
    let stale = match (modified(&installed), modified(&lock)) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    };
    if missing.is_empty() && !stale {
        eprintln!("node_modules is up to date with package-lock.json");
        return Ok(());
    }
    if !missing.is_empty() {
        eprintln!("node_modules lacks {}", missing.join(", "));
    } else {
        eprintln!("node_modules is older than package-lock.json");
    }
    run(
        "npm",
        &["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
    )
}

#[cfg(test)]
mod tests {
    use super::locked_versions;

    #[test]
    fn reads_locked_versions() {
        let lock = "\
[[package]]
name = \"wasm-bindgen\"
version = \"0.2.130\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"

[[package]]
name = \"wasm-bindgen-macro\"
version = \"0.2.130\"
";
        assert_eq!(locked_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert!(locked_versions(lock, "worker").is_empty());
    }
}
