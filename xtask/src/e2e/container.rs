//! The container (`Dockerfile`, `compose.yaml`, `deploy/`): its entrypoint
//! (`deploy/container/entrypoint.mjs`) run directly, exactly as the image runs it (the same
//! variables as the image's `ENV`, the same built files), since no container engine runs here:
//! the image build itself is not exercised. On 127.0.0.1 with a fresh data directory and a
//! mounted document laid out as Kubernetes mounts a ConfigMap (`flags.json` →
//! `..data/flags.json`, `..data` → a timestamped directory), updated as the kubelet updates it
//! (a new directory, then one atomic rename of the `..data` symlink).
//!
//! The first document is the one in `deploy/kubernetes/burgee.yaml`'s ConfigMap, so the
//! example manifest's flags are known to import and evaluate.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{Check, Server, expect, expect_error, expect_json, run_checks};
use crate::admin_api::{random_token, token_entry};
use crate::workerd::{Scratch, Workerd, scratch, workerd_bin};
use crate::wrangler::free_ports;
use crate::{Failed, Result, admin_ui, http, root};

/// How often the test's entrypoint polls the mounted document.
const POLL_SECONDS: &str = "0.5";
/// How long a mounted change may take to become a version (polls, validation, the write).
const IMPORT_WITHIN: Duration = Duration::from_secs(10);
/// How long a new version may take to reach evaluation (the relays, else the KV TTL of 5 s).
const EVALUATION_WITHIN: Duration = Duration::from_secs(15);
/// The actor of the importer's writes (deploy/container/document.mjs).
const IMPORTER: &str = "mounted-document";

pub struct Fixture {
    /// The running entrypoint (None only before the first start).
    server: RefCell<Option<Workerd>>,
    addr: SocketAddr,
    dir: PathBuf,
    /// The ConfigMap-like mount: `flags.json` is a symlink into it.
    config: PathBuf,
    /// The admin's plain token (BURGEE_ADMIN_TOKEN).
    admin: String,
    /// A viewer's token, given hashed (BURGEE_ADMIN_TOKENS).
    viewer: String,
    /// Where the admin app's files are served from, and whether they are the full build.
    app: PathBuf,
    app_built: bool,
}

impl Fixture {
    /// Everything the running entrypoint (and its workerd) wrote so far.
    fn log(&self) -> String {
        self.server
            .borrow()
            .as_ref()
            .map(Workerd::log)
            .unwrap_or_default()
    }
}

impl Server for Fixture {
    fn failed(&self, why: &str) -> Failed {
        match self.server.borrow().as_ref() {
            Some(server) => server.failed(why),
            None => Failed(why.to_string()),
        }
    }
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    ("every path the Dockerfile copies exists", dockerfile_paths),
    (
        "the mounted document is imported at start: one version, audited, evaluated",
        imported_at_start,
    ),
    ("the admin app is served on the same origin", admin_app),
    (
        "the admin API takes the tokens from the environment and refuses others",
        tokens,
    ),
    (
        "a ConfigMap update (symlink swap) is imported within 10 s, audited",
        update,
    ),
    (
        "an invalid update is logged with its diagnostics and changes nothing",
        invalid_update,
    ),
    (
        "content already imported is not written again",
        unchanged_content,
    ),
    (
        "the image's health check passes; a malformed setting stops the start (status 2)",
        health_and_settings,
    ),
    (
        "SIGTERM stops workerd; a restart keeps the data and writes nothing",
        restart,
    ),
];

pub fn run() -> Result {
    let dir: Scratch = scratch("container")?;
    let config = dir.0.join("config");
    std::fs::create_dir_all(&config).map_err(|e| Failed(format!("{e}")))?;
    publish(&config, &manifest_document()?)?;
    let (app, app_built) = admin_app_files(&dir.0)?;
    let (port, _) = free_ports()?;
    let fixture = Fixture {
        server: RefCell::new(None),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        dir: dir.0.clone(),
        config,
        admin: random_token()?,
        viewer: random_token()?,
        app,
        app_built,
    };
    let server = start(&fixture)?;
    *fixture.server.borrow_mut() = Some(server);
    run_checks(&fixture, &fixture, CHECKS)
}

/// Starts the entrypoint with the image's settings pointed at this fixture, and waits until it
/// serves `/health`.
fn start(f: &Fixture) -> Result<Workerd> {
    let viewers = json!([token_entry("viewer", "viewer", &f.viewer)]).to_string();
    let mut cmd = Command::new("node");
    cmd.arg(root().join("deploy/container/entrypoint.mjs"))
        .env_remove("ADMIN_TOKENS")
        .env("BURGEE_WORKERD", workerd_bin())
        .env("BURGEE_ADMIN_APP", &f.app)
        .env("BURGEE_DATA_DIR", f.dir.join("data"))
        .env("BURGEE_LISTEN", f.addr.to_string())
        .env("BURGEE_ADMIN_TOKEN", &f.admin)
        .env("BURGEE_ADMIN_TOKENS", viewers)
        .env("BURGEE_DOCUMENT", f.config.join("flags.json"))
        .env("BURGEE_DOCUMENT_POLL_SECONDS", POLL_SECONDS);
    let mut server = Workerd::launch(cmd, &f.dir, f.addr)?;
    let ready = server.wait_for(f.addr, "/health", Duration::from_secs(60), |r| {
        matches!(r.status, 200 | 503)
    })?;
    eprintln!(
        "the container's entrypoint is ready after {:.2} s",
        ready.as_secs_f64()
    );
    Ok(server)
}

/// The built admin app (`admin-ui/dist`, which `cargo xtask test` builds before the end-to-end
/// suites), or, when it is not built (`cargo xtask e2e` alone), the app's hand-written files
/// (`admin-ui/static`) laid out as the build lays them out, which is enough to check how they
/// are served.
fn admin_app_files(scratch: &Path) -> Result<(PathBuf, bool)> {
    let dist = admin_ui::dist_dir();
    if dist.join("admin/index.html").exists() {
        return Ok((dist, true));
    }
    eprintln!("the admin app is not built: serving its static files (admin-ui/static) instead");
    let app = scratch.join("admin-app");
    let static_dir = root().join("admin-ui/static");
    std::fs::create_dir_all(app.join("admin")).map_err(|e| Failed(format!("{e}")))?;
    for name in ["index.html", "boot.js", "style.css"] {
        std::fs::copy(static_dir.join(name), app.join("admin").join(name))
            .map_err(|e| Failed(format!("cannot copy admin-ui/static/{name}: {e}")))?;
    }
    std::fs::copy(static_dir.join("index.html"), app.join("index.html"))
        .map_err(|e| Failed(format!("cannot copy index.html: {e}")))?;
    Ok((app, false))
}

/// Makes `text` the mounted `flags.json` the way the kubelet updates a ConfigMap volume: the
/// content in a new directory, a `..data_tmp` symlink to it renamed over `..data` (one atomic
/// step), the previous directory removed; `flags.json` is a symlink to `..data/flags.json`.
fn publish(config: &Path, text: &str) -> Result {
    let fail = |e: std::io::Error| Failed(format!("updating the mounted document: {e}"));
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!("..{stamp}");
    std::fs::create_dir(config.join(&name)).map_err(fail)?;
    std::fs::write(config.join(&name).join("flags.json"), text).map_err(fail)?;
    let previous = std::fs::read_link(config.join("..data")).ok();
    std::os::unix::fs::symlink(&name, config.join("..data_tmp")).map_err(fail)?;
    std::fs::rename(config.join("..data_tmp"), config.join("..data")).map_err(fail)?;
    if !config.join("flags.json").exists() {
        std::os::unix::fs::symlink("..data/flags.json", config.join("flags.json")).map_err(fail)?;
    }
    if let Some(previous) = previous {
        std::fs::remove_dir_all(config.join(previous)).map_err(fail)?;
    }
    Ok(())
}

/// The document of the example manifest's ConfigMap (`flags.json: |`, indented below it).
fn manifest_document() -> Result<String> {
    let path = root().join("deploy/kubernetes/burgee.yaml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failed(format!("cannot read {}: {e}", path.display())))?;
    let mut lines = text.lines().skip_while(|l| l.trim() != "flags.json: |");
    lines.next();
    let document: Vec<&str> = lines
        .take_while(|l| l.starts_with("    ") || l.trim().is_empty())
        .map(|l| l.get(4..).unwrap_or(""))
        .collect();
    expect(!document.is_empty(), || {
        "burgee.yaml has no `flags.json: |` block".into()
    })?;
    Ok(document.join("\n"))
}

fn example() -> Result<String> {
    std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))
}

fn admin_get(f: &Fixture, path: &str, token: &str) -> Result<http::Response> {
    let auth = format!("Bearer {token}");
    http::request(f.addr, "GET", path, &[("Authorization", &auth)], None)
}

fn version(f: &Fixture) -> Result<u64> {
    let body = expect_json(&admin_get(f, "/api/v1/document", &f.admin)?, 200)?;
    body["version"]
        .as_u64()
        .ok_or_else(|| Failed(format!("no version in {body}")))
}

/// Polls `probe` every 100 ms until it gives `Some`, for at most `within`.
fn eventually<T>(within: Duration, what: &str, probe: impl Fn() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe()? {
            return Ok(found);
        }
        if Instant::now() > deadline {
            return Err(Failed(format!("{what}: not within {within:?}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The store's newest history entry and audit entries by the importer.
fn import_audit(f: &Fixture) -> Result<(Value, Vec<Value>)> {
    let history = expect_json(&admin_get(f, "/api/v1/history?limit=1", &f.admin)?, 200)?;
    let audit = expect_json(
        &admin_get(f, &format!("/api/v1/audit?actor={IMPORTER}"), &f.admin)?,
        200,
    )?;
    let entries = audit["entries"].as_array().cloned().unwrap_or_default();
    Ok((history["versions"][0].clone(), entries))
}

/// The OFREP evaluation of `flag` in `env` for `context`.
fn evaluate(f: &Fixture, env: &str, flag: &str, context: &Value) -> Result<Value> {
    let r = http::request(
        f.addr,
        "POST",
        &format!("/env/{env}/ofrep/v1/evaluate/flags/{flag}"),
        &[("Content-Type", "application/json")],
        Some(json!({ "context": context }).to_string().as_bytes()),
    )?;
    r.json()
}

/// Waits until the entrypoint's log has a line containing `text` after its first `skip` bytes.
fn logged(f: &Fixture, skip: usize, text: &str) -> Result<String> {
    eventually(IMPORT_WITHIN, &format!("the log saying {text:?}"), || {
        let log = f.log();
        Ok(log
            .get(skip..)
            .filter(|l| l.contains(text))
            .map(str::to_string))
    })
}

fn dockerfile_paths(_: &Fixture) -> Result {
    let read = |name: &str| {
        std::fs::read_to_string(root().join(name))
            .map_err(|e| Failed(format!("cannot read {name}: {e}")))
    };
    let text = read("Dockerfile")?;
    let ignored = read(".dockerignore")?;
    let ignored: Vec<&str> = ignored
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut checked = 0;
    for line in text.lines().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let from_build = words.first().is_some_and(|w| *w == "--from=build");
        let Some((_, sources)) = words
            .split_last()
            .map(|(dest, rest)| (dest, &rest[usize::from(from_build)..]))
        else {
            continue;
        };
        for source in sources {
            // The build stage works in /src, a copy of the repository plus what
            // `cargo xtask build` made (built here by the steps before the end-to-end suites);
            // /opt is made by the Dockerfile's own RUN.
            let in_repo = if from_build {
                match source.strip_prefix("/src/") {
                    Some(path) => path,
                    None if source.starts_with("/opt/") => continue,
                    None => return Err(Failed(format!("{line}: from outside /src"))),
                }
            } else {
                let source = source.trim_end_matches('/');
                let excluded = ignored
                    .iter()
                    .find(|p| source == **p || source.starts_with(&format!("{p}/")));
                expect(excluded.is_none(), || {
                    format!("{line}: .dockerignore leaves {source} out ({excluded:?})")
                })?;
                source
            };
            expect(root().join(in_repo).exists(), || {
                format!("{line}: {in_repo} does not exist")
            })?;
            checked += 1;
        }
    }
    expect(checked >= 6, || {
        format!("only {checked} COPY sources found")
    })
}

fn imported_at_start(f: &Fixture) -> Result {
    let v = eventually(IMPORT_WITHIN, "version 1", || {
        Ok(Some(version(f)?).filter(|v| *v > 0))
    })?;
    expect(v == 1, || format!("version {v} after the start, want 1"))?;
    let (newest, audit) = import_audit(f)?;
    expect(
        newest["actor"] == IMPORTER && newest["action"] == "import",
        || format!("newest version {newest}"),
    )?;
    expect(
        audit.len() == 1
            && audit[0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("flags.json changed (sha256 ")),
        || format!("audit entries {audit:?}"),
    )?;
    // Logged once the import is recorded, which may be a moment after the version is visible.
    logged(f, 0, "as version 1 (was 0)")?;
    eventually(EVALUATION_WITHIN, "new-checkout on in staging", || {
        let r = evaluate(f, "staging", "new-checkout", &json!({"targetingKey": "u"}))?;
        Ok((r["value"] == true).then_some(()))
    })
}

fn admin_app(f: &Fixture) -> Result {
    let page = http::get(f.addr, "/admin/")?;
    expect(page.status == 200, || format!("/admin/: {}", page.status))?;
    let html = page.text();
    expect(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
            && html.contains(r#"<base href="/admin/">"#)
            && page
                .header("content-security-policy")
                .is_some_and(|c| c.contains("frame-ancestors 'none'")),
        || format!("/admin/ answered {:?}", page.header("content-type")),
    )?;
    for (path, kind) in [
        ("/admin/style.css", "text/css"),
        ("/admin/boot.js", "text/javascript"),
        // A deep link: the app's page, from the root copy.
        ("/admin/flags/new-checkout", "text/html"),
    ] {
        let r = http::get(f.addr, path)?;
        expect(
            r.status == 200
                && r.header("content-type")
                    .is_some_and(|t| t.starts_with(kind)),
            || format!("{path}: {} {:?}", r.status, r.header("content-type")),
        )?;
    }
    expect_error(&http::get(f.addr, "/admin/missing.js")?, 404, "not_found")?;
    if f.app_built {
        let wasm = std::fs::read_dir(f.app.join("admin"))
            .map_err(|e| Failed(format!("{e}")))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .find(|n| n.ends_with(".wasm"))
            .ok_or_else(|| Failed("the built app has no wasm".into()))?;
        let r = http::get(f.addr, &format!("/admin/{wasm}"))?;
        expect(
            r.status == 200 && r.header("content-type") == Some("application/wasm"),
            || format!("{wasm}: {} {:?}", r.status, r.header("content-type")),
        )?;
    }
    Ok(())
}

fn tokens(f: &Fixture) -> Result {
    let who = expect_json(&admin_get(f, "/api/v1/whoami", &f.admin)?, 200)?;
    expect(who["name"] == "admin" && who["role"] == "admin", || {
        format!("whoami {who}")
    })?;
    expect_json(&admin_get(f, "/api/v1/document", &f.viewer)?, 200)?;
    let auth = format!("Bearer {}", f.viewer);
    let write = http::request(
        f.addr,
        "POST",
        "/api/v1/flags/new-checkout/toggle",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("If-Match", "\"1\""),
        ],
        Some(br#"{"environment":"staging","enabled":false}"#),
    )?;
    expect_error(&write, 403, "forbidden")?;
    let wrong = random_token()?;
    expect_error(
        &admin_get(f, "/api/v1/document", &wrong)?,
        401,
        "unauthenticated",
    )?;
    expect_error(
        &http::get(f.addr, "/api/v1/document")?,
        401,
        "unauthenticated",
    )?;
    let v = version(f)?;
    expect(v == 1, || format!("version {v}: a refused write wrote"))
}

fn update(f: &Fixture) -> Result {
    let before = version(f)?;
    let started = Instant::now();
    publish(&f.config, &example()?)?;
    let v = eventually(IMPORT_WITHIN, "the update as a new version", || {
        Ok(Some(version(f)?).filter(|v| *v > before))
    })?;
    eprintln!(
        "    imported as version {v} {:.2} s after the swap",
        started.elapsed().as_secs_f64()
    );
    expect(v == before + 1, || {
        format!("version {v}, want {}", before + 1)
    })?;
    let (newest, audit) = import_audit(f)?;
    expect(newest["actor"] == IMPORTER && audit.len() == 2, || {
        format!("newest {newest}, audit {audit:?}")
    })?;
    let admin = json!({"targetingKey": "u", "role": "admin"});
    eventually(EVALUATION_WITHIN, "outbound_calling evaluated", || {
        let r = evaluate(f, "production", "outbound_calling", &admin)?;
        Ok((r["value"] == true && r["metadata"]["ruleId"] == "admins-and-premium").then_some(()))
    })
}

fn invalid_update(f: &Fixture) -> Result {
    let before = version(f)?;
    let skip = f.log().len();
    let mut doc: Value = serde_json::from_str(&example()?).map_err(|e| Failed(format!("{e}")))?;
    doc["flags"]["outbound_calling"]["environments"]["production"]["offVariant"] =
        json!("no-such-variant");
    publish(
        &f.config,
        &serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )?;
    let said = logged(f, skip, "is not a valid document")?;
    expect(
        said.contains("/flags/outbound_calling/environments/production/offVariant"),
        || format!("the log names no diagnostic's pointer:\n{said}"),
    )?;
    // Two more polls: nothing is retried or written.
    std::thread::sleep(Duration::from_millis(1200));
    let v = version(f)?;
    expect(v == before, || {
        format!("version {v} after an invalid update, want {before}")
    })?;
    let log = f.log();
    let reports = log
        .get(skip..)
        .unwrap_or("")
        .matches("is not a valid document")
        .count();
    expect(reports == 1, || {
        format!("reported {reports} times, want once")
    })
}

fn unchanged_content(f: &Fixture) -> Result {
    let before = version(f)?;
    let skip = f.log().len();
    publish(&f.config, &example()?)?;
    logged(f, skip, "not imported again")?;
    let v = version(f)?;
    expect(v == before, || {
        format!("version {v}, want {before}: re-written")
    })
}

fn health_and_settings(f: &Fixture) -> Result {
    let entrypoint = root().join("deploy/container/entrypoint.mjs");
    let health = Command::new("node")
        .arg(&entrypoint)
        .arg("health")
        .env("BURGEE_LISTEN", f.addr.to_string())
        .output()
        .map_err(|e| Failed(format!("cannot run node: {e}")))?;
    expect(health.status.success(), || {
        format!("health check: {}", health.status)
    })?;
    let scratch = f.dir.join("misconfigured");
    let bad = Command::new("node")
        .arg(&entrypoint)
        .env("BURGEE_DATA_DIR", &scratch)
        .env("BURGEE_ADMIN_TOKENS", "{not json")
        .output()
        .map_err(|e| Failed(format!("cannot run node: {e}")))?;
    let said = String::from_utf8_lossy(&bad.stderr);
    expect(
        bad.status.code() == Some(2) && said.contains("BURGEE_ADMIN_TOKENS is not JSON"),
        || format!("a malformed BURGEE_ADMIN_TOKENS: {} {said}", bad.status),
    )?;
    expect(!scratch.exists(), || {
        "the misconfigured start created its data directory".into()
    })
}

fn restart(f: &Fixture) -> Result {
    let before = version(f)?;
    let status = match f.server.borrow_mut().as_mut() {
        Some(server) => server.terminate_leader(Duration::from_secs(15))?,
        None => return Err(Failed("not running".into())),
    };
    expect(status.success(), || {
        format!("the entrypoint exited with {status}")
    })?;
    expect(f.log().contains("workerd stopped"), || {
        "the entrypoint did not wait for workerd".into()
    })?;
    expect(
        TcpStream::connect_timeout(&f.addr, Duration::from_secs(1)).is_err(),
        || {
            format!(
                "{} still accepts connections: workerd is still running",
                f.addr
            )
        },
    )?;
    let server = start(f)?;
    *f.server.borrow_mut() = Some(server);
    // The log starts afresh with the new process.
    logged(f, 0, "not imported again")?;
    let v = version(f)?;
    expect(v == before, || {
        format!("version {v} after the restart, want {before}")
    })?;
    let admin = json!({"targetingKey": "u", "role": "admin"});
    let r = evaluate(f, "production", "outbound_calling", &admin)?;
    expect(r["value"] == true, || format!("after the restart: {r}"))
}
