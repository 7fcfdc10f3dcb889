//! Set-up steps shared by `dev` and `test`. Each one checks before it installs, so a warm
//! machine skips them in milliseconds and a fresh one gets exactly the pinned versions.
//!
//! Cargo tools are compiled once per machine into a per-user cache keyed by tool and version
//! ([`tools_cache`], under `$CARGO_HOME`) and copied into the clone's `.tools/bin`, so a fresh
//! clone on a machine that has built them before skips minutes of compiling; npm packages go
//! under `node_modules/` (from `package-lock.json`). `.tools/` and `node_modules/` are
//! git-ignored.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::{Failed, Result, Steps, cargo, output, root, run};

/// worker-build, pinned: its output format (the JS shim) and its `worker` crate check
/// must match `worker = "0.8"`.
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
    ensure_tool(&Tool {
        krate: "wasm-bindgen-cli",
        version: &version,
        bin: &wasm_bindgen_bin(),
        extra: &[],
        prints_version: true,
    })
}

pub fn ensure_worker_build() -> Result {
    ensure_tool(&Tool {
        krate: "worker-build",
        version: WORKER_BUILD_VERSION,
        bin: &worker_build_bin(),
        extra: &[],
        prints_version: true,
    })
}

/// wasm-split, which cuts the admin app's wasm into a main module and one module per page
/// loaded on first use (`admin_ui::build`). It prints no version: the cache's record of what it
/// installed is the check.
pub fn ensure_wasm_split() -> Result {
    ensure_tool(&Tool {
        krate: WASM_SPLIT_CRATE,
        version: WASM_SPLIT_VERSION,
        bin: &wasm_split_bin(),
        extra: &["--features", "build-binary"],
        prints_version: false,
    })
}

/// A cargo-installed tool at an exact version.
struct Tool<'a> {
    krate: &'a str,
    version: &'a str,
    /// Where the project runs it from (`.tools/bin/…`).
    bin: &'a Path,
    /// More `cargo install` arguments.
    extra: &'a [&'a str],
    /// `bin --version` ends with the version (`wasm-bindgen 0.2.130`, `0.8.7`).
    prints_version: bool,
}

impl Tool<'_> {
    fn name(&self) -> String {
        self.bin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Where this version lives in the per-user cache: `<cache>/<crate>-<version>/bin`.
    fn cached(&self) -> PathBuf {
        tools_cache().join(format!("{}-{}", self.krate, self.version))
    }

    /// Whether the binary at `bin` is this version (for tools that cannot say: that a
    /// `.version` record beside it names it).
    fn is_at(&self, bin: &Path) -> bool {
        if !bin.exists() {
            return false;
        }
        if !self.prints_version {
            let record = bin.with_file_name(format!(".{}.version", self.name()));
            return std::fs::read_to_string(record).is_ok_and(|v| v.trim() == self.version);
        }
        match Command::new(bin).arg("--version").output() {
            Ok(out) if out.status.success() => {
                let printed = String::from_utf8_lossy(&out.stdout);
                let first = printed.lines().next().unwrap_or("").trim();
                first.split_whitespace().last() == Some(self.version)
            }
            _ => false,
        }
    }
}

/// The per-user cache of compiled tools, shared by every clone on this machine:
/// `$BURGEE_TOOLS_CACHE`, else `$CARGO_HOME/burgee-tools`, else `~/.cargo/burgee-tools`. Keyed by
/// crate and version, so a clone that pins another version installs that one beside it.
pub fn tools_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("BURGEE_TOOLS_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| root().join(".tools"));
    cargo_home.join("burgee-tools")
}

/// Puts `tool` into `.tools/bin`: already there, copied from the per-user cache, or compiled
/// into the cache first (minutes, once per machine and version).
///
/// The cache is filled atomically: `cargo install` into a fresh temporary root, then one
/// rename, so two clones setting up at once never see half a tool. No `--locked`:
/// wasm-bindgen-cli's own lockfile wants a webpki-roots release that the registry mirror here
/// lacks; the version itself is still exact.
fn ensure_tool(tool: &Tool) -> Result {
    let name = tool.name();
    let version = tool.version;
    if tool.is_at(tool.bin) {
        eprintln!("{name} {version} already installed in .tools");
        return Ok(());
    }
    let cached = tool.cached();
    let cached_bin = cached.join("bin").join(&name);
    if !tool.is_at(&cached_bin) {
        eprintln!(
            "{name} {version} is not in the tool cache ({}) yet: compiling it once (takes minutes)",
            tools_cache().display()
        );
        install_into_cache(tool, &cached)?;
    }
    if !tool.is_at(&cached_bin) {
        return Err(Failed(format!(
            "{} does not run as {name} {version} after installing it",
            cached_bin.display()
        )));
    }
    copy_dir_files(&cached.join("bin"), &tools_bin())?;
    eprintln!("{name} {version} copied from the tool cache into .tools");
    Ok(())
}

fn install_into_cache(tool: &Tool, cached: &Path) -> Result {
    let cache = tools_cache();
    std::fs::create_dir_all(&cache)
        .map_err(|e| Failed(format!("cannot create {}: {e}", cache.display())))?;
    let temporary = cache.join(format!(
        ".installing-{}-{}-{}",
        tool.krate,
        tool.version,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&temporary);
    let temporary_root = temporary.to_string_lossy().into_owned();
    let mut args = vec![
        "install",
        tool.krate,
        "--version",
        tool.version,
        "--root",
        &temporary_root,
        "--force",
    ];
    args.extend(tool.extra);
    run(&cargo(), &args)?;
    if !tool.prints_version {
        let record = temporary
            .join("bin")
            .join(format!(".{}.version", tool.name()));
        std::fs::write(&record, tool.version)
            .map_err(|e| Failed(format!("cannot write {}: {e}", record.display())))?;
    }
    // Another clone may have finished the same install meanwhile: its copy is as good.
    let _ = std::fs::remove_dir_all(cached);
    if let Err(e) = std::fs::rename(&temporary, cached)
        && !cached.exists()
    {
        return Err(Failed(format!(
            "cannot move {} to {}: {e}",
            temporary.display(),
            cached.display()
        )));
    }
    let _ = std::fs::remove_dir_all(&temporary);
    Ok(())
}

/// Copies every file of `from` into `to` (created if missing), replacing what is there.
fn copy_dir_files(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to)
        .map_err(|e| Failed(format!("cannot create {}: {e}", to.display())))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| Failed(format!("cannot read {}: {e}", from.display())))?;
    for entry in entries.flatten() {
        let source = entry.path();
        if !source.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        let _ = std::fs::remove_file(&target);
        std::fs::copy(&source, &target).map_err(|e| {
            Failed(format!(
                "cannot copy {} to {}: {e}",
                source.display(),
                target.display()
            ))
        })?;
    }
    Ok(())
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
