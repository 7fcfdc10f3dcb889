//! Running the real edge worker in workerd (`wrangler dev`), for `cargo xtask dev` and for every
//! end-to-end test.
//!
//! Why a Rust module in xtask rather than a Node helper: xtask already owns every other process
//! it starts (builds, installs), it is what CI runs, and the lifecycle is the hard part — a free
//! port, a fresh state directory, waiting for readiness with a bound, and stopping every process
//! it spawns (two node processes, esbuild, two workerd: the worker and wrangler's proxy) on
//! success, failure, panic and Ctrl-C. Doing
//! that once here means a test in any language only needs a base URL: Rust checks call
//! [`Wrangler::addr`] directly, and a later Node suite (`tests/e2e/`) can be started by xtask
//! with the URL in its environment.
//!
//! Process groups: wrangler is started as the leader of a new process group
//! (`CommandExt::process_group(0)`, the std equivalent of `setsid` for this purpose, without
//! `unsafe`), with stdin closed so it never waits on the terminal. Stopping sends SIGTERM to the
//! whole group, waits (bounded), then SIGKILL. Every running group is registered so that the
//! Ctrl-C / SIGTERM handler ([`install_signal_handler`]) stops them before xtask exits.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::seed::{self, KvEntry};
use crate::setup::{tool_env, wrangler_bin};
use crate::{Failed, Result, http, root};

/// What an instance starts with: KV entries written before it starts, `--var`s for the edge
/// worker, and variables for the control plane (`wrangler dev`'s `--var` reaches the first
/// script only, so these go into an edited copy of `wrangler.control.toml`).
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub seed: Vec<KvEntry>,
    pub vars: Vec<(String, String)>,
    pub control_vars: Vec<(String, String)>,
}

/// The port `cargo xtask dev` serves on.
pub const DEV_PORT: u16 = 8787;
/// The edge worker's wrangler config.
const CONFIG: &str = "wrangler.toml";
/// The control plane's.
const CONTROL: &str = "wrangler.control.toml";
/// How long the worker may take to answer its first `/health` (2–3 s is usual when prebuilt).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping group gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Process groups (leader pid) of the wranglers running now, and their temporary state
/// directories, for the signal handler.
static RUNNING: Mutex<Vec<(u32, Option<PathBuf>)>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C (or SIGTERM / SIGHUP) arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// On Ctrl-C / SIGTERM / SIGHUP: SIGTERM every running wrangler group, give their owners a few
/// seconds to stop and clean up, SIGKILL what is left, remove temporary state, exit 130.
pub fn install_signal_handler() -> Result {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let groups = running();
        for (pgid, _) in &groups {
            signal_group(*pgid, "TERM");
        }
        let deadline = Instant::now() + STOP_GRACE * 2;
        while !running().is_empty() && Instant::now() < deadline {
            sleep(Duration::from_millis(100));
        }
        for (pgid, temp) in running() {
            signal_group(pgid, "KILL");
            if let Some(dir) = temp {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        eprintln!("\nxtask: interrupted");
        std::process::exit(130);
    })
    .map_err(|e| Failed(format!("cannot install the Ctrl-C handler: {e}")))
}

fn running() -> Vec<(u32, Option<PathBuf>)> {
    RUNNING.lock().map(|r| r.clone()).unwrap_or_default()
}

pub(crate) fn register(pgid: u32, temp: Option<PathBuf>) {
    if let Ok(mut r) = RUNNING.lock() {
        r.push((pgid, temp));
    }
}

pub(crate) fn unregister(pgid: u32) {
    if let Ok(mut r) = RUNNING.lock() {
        r.retain(|(p, _)| *p != pgid);
    }
}

/// `kill -SIG -- -PGID`; false when no process of the group is left (or kill failed).
pub(crate) fn signal_group(pgid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Where wrangler's output goes.
enum Output {
    /// The terminal (`cargo xtask dev`).
    Inherit,
    /// A log file, shown (its tail) when something fails.
    File(PathBuf),
}

/// A running `wrangler dev` serving the edge worker on 127.0.0.1. Dropping it stops it.
#[derive(Debug)]
pub struct Wrangler {
    child: Child,
    addr: SocketAddr,
    log: Option<PathBuf>,
    /// Removed on stop: the fresh state directory of an ephemeral instance.
    temp: Option<PathBuf>,
    stopped: bool,
    /// How it was started, for [`Wrangler::restart`].
    inspector_port: Option<u16>,
    vars: Vec<(String, String)>,
    /// The edge worker's config file in `edge-worker/`: `wrangler.toml`, or an edited copy
    /// (removed on stop).
    config: String,
    /// The control plane's: `wrangler.control.toml`, or an edited copy (removed on stop).
    control: String,
}

/// An edited copy of `wrangler.control.toml` with `vars` set (under `[vars]`), or the file
/// itself when there are none.
fn control_config(vars: &[(String, String)]) -> Result<String> {
    if vars.is_empty() {
        return Ok(CONTROL.to_string());
    }
    let dir = root().join("edge-worker");
    let original = std::fs::read_to_string(dir.join(CONTROL))
        .map_err(|e| Failed(format!("cannot read edge-worker/{CONTROL}: {e}")))?;
    let mut out = Vec::new();
    for line in original.lines() {
        let name = line.split('=').next().unwrap_or("").trim();
        if vars.iter().any(|(n, _)| n == name) {
            continue;
        }
        out.push(line.to_string());
        if line.trim() == "[vars]" {
            for (n, v) in vars {
                out.push(format!("{n} = {}", serde_json::Value::String(v.clone())));
            }
        }
    }
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!("wrangler.control.e2e-{}-{stamp}.toml", std::process::id());
    std::fs::write(dir.join(&name), out.join("\n") + "\n")
        .map_err(|e| Failed(format!("cannot write edge-worker/{name}: {e}")))?;
    Ok(name)
}

impl Wrangler {
    /// The development instance: port 8787, state kept in `edge-worker/.wrangler/state` across
    /// restarts, output on the terminal, `options.seed` written into its KV first.
    pub fn dev(options: &Options) -> Result<Self> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, DEV_PORT));
        // Something else answering on 8787 would pass our health check: refuse up front.
        TcpListener::bind(addr).map_err(|e| {
            Failed(format!(
                "127.0.0.1:{DEV_PORT} is not free ({e}); is another `cargo xtask dev` running?"
            ))
        })?;
        let state = root().join("edge-worker/.wrangler/state");
        seed::put(&state, &options.seed)?;
        let control = control_config(&options.control_vars)?;
        Self::spawn(
            addr,
            None,
            &state,
            Output::Inherit,
            None,
            &options.vars,
            (CONFIG, &control),
        )
    }

    /// A throw-away instance for tests: free ports (HTTP and inspector) on 127.0.0.1, a fresh
    /// state directory, output in a log file; all of it removed when stopped.
    pub fn ephemeral() -> Result<Self> {
        Self::ephemeral_with(&Options::default())
    }

    /// [`Wrangler::ephemeral`], with KV entries written before it starts and `--var`s.
    pub fn ephemeral_with(options: &Options) -> Result<Self> {
        Self::ephemeral_config(options, CONFIG.to_string())
    }

    /// [`Wrangler::ephemeral_with`], with the evaluation rate limit set to `limit` requests
    /// per client and window (so tests can reach it), through an edited copy of wrangler.toml.
    pub fn ephemeral_rate_limited(options: &Options, limit: u32) -> Result<Self> {
        let dir = root().join("edge-worker");
        let original = std::fs::read_to_string(dir.join(CONFIG))
            .map_err(|e| Failed(format!("cannot read edge-worker/{CONFIG}: {e}")))?;
        let mut edited = 0;
        let text: Vec<String> = original
            .lines()
            .map(
                |line| match line.trim().strip_prefix("simple = { limit = ") {
                    Some(rest) => {
                        edited += 1;
                        let period = rest.split_once(',').map_or("", |(_, p)| p);
                        format!("simple = {{ limit = {limit},{period}")
                    }
                    None => line.to_string(),
                },
            )
            .collect();
        if edited != 1 {
            return Err(Failed(format!(
                "edge-worker/{CONFIG} has {edited} `simple = {{ limit = … }}` lines, want 1"
            )));
        }
        let name = format!("wrangler.e2e-{}.toml", std::process::id());
        std::fs::write(dir.join(&name), text.join("\n") + "\n")
            .map_err(|e| Failed(format!("cannot write edge-worker/{name}: {e}")))?;
        let started = Self::ephemeral_config(options, name.clone());
        if started.is_err() {
            let _ = std::fs::remove_file(dir.join(&name));
        }
        started
    }

    fn ephemeral_config(options: &Options, config: String) -> Result<Self> {
        let (port, inspector_port) = free_ports()?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let temp = std::env::temp_dir().join(format!("burgee-e2e-{}-{stamp}", std::process::id()));
        let state = temp.join("state");
        std::fs::create_dir_all(&state)
            .map_err(|e| Failed(format!("cannot create {}: {e}", state.display())))?;
        let log = temp.join("wrangler.log");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if let Err(e) = seed::put(&state, &options.seed) {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(e);
        }
        let control = control_config(&options.control_vars)?;
        Self::spawn(
            addr,
            Some(inspector_port),
            &state,
            Output::File(log),
            Some(temp),
            &options.vars,
            (&config, &control),
        )
    }

    /// The directory its KV and Durable Objects persist in.
    pub fn state_dir(&self) -> Option<PathBuf> {
        self.temp.as_ref().map(|t| t.join("state"))
    }

    /// Stops an ephemeral instance and starts it again on the same port with the same state
    /// (KV and Durable Objects), as a redeploy or a crash would.
    pub fn restart(&mut self) -> Result {
        let (Some(temp), Some(state)) = (self.temp.clone(), self.state_dir()) else {
            return Err(Failed("only an ephemeral instance restarts".into()));
        };
        // Keep the state: stop without removing the directory.
        self.temp = None;
        self.stop();
        let log = temp.join("wrangler-restarted.log");
        let next = Self::spawn(
            self.addr,
            self.inspector_port,
            &state,
            Output::File(log),
            Some(temp),
            &self.vars.clone(),
            (&self.config.clone(), &self.control.clone()),
        )?;
        *self = next;
        self.wait_healthy(READY_TIMEOUT)
    }

    fn spawn(
        addr: SocketAddr,
        inspector_port: Option<u16>,
        persist_to: &Path,
        output: Output,
        temp: Option<PathBuf>,
        vars: &[(String, String)],
        (config, control): (&str, &str),
    ) -> Result<Self> {
        let dir = root().join("edge-worker");
        for script in ["data-plane/build/index.js", "control-plane/build/index.js"] {
            if !dir.join(script).exists() {
                return Err(Failed(format!(
                    "edge-worker/{script} is missing: build the worker first"
                )));
            }
        }
        let port = addr.port().to_string();
        let mut cmd = Command::new(wrangler_bin());
        cmd.current_dir(&dir)
            .envs(tool_env())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            // The edge worker first (it answers on the port), then the control plane whose
            // Durable Object it binds (a vars override reaches the first one only).
            .args(["dev", "-c", config, "-c", control])
            .args(["--ip", "127.0.0.1", "--port", &port])
            .arg("--persist-to")
            .arg(persist_to)
            .args(["--show-interactive-dev-session=false"])
            .stdin(Stdio::null())
            .process_group(0);
        if let Some(inspector) = inspector_port {
            cmd.args(["--inspector-port", &inspector.to_string()]);
        }
        for (name, value) in vars {
            cmd.arg("--var").arg(format!("{name}:{value}"));
        }
        let log = match output {
            Output::Inherit => None,
            Output::File(path) => {
                let file = File::create(&path)
                    .map_err(|e| Failed(format!("cannot create {}: {e}", path.display())))?;
                let file2 = file
                    .try_clone()
                    .map_err(|e| Failed(format!("cannot reopen {}: {e}", path.display())))?;
                cmd.stdout(file).stderr(file2);
                // wrangler's own debug log files go next to it, not into ~/.config.
                if let Some(dir) = path.parent() {
                    cmd.env("WRANGLER_LOG_PATH", dir);
                }
                Some(path)
            }
        };
        eprintln!(
            "$ (cd edge-worker && wrangler dev -c {config} -c {control} --ip 127.0.0.1 --port {port}{} --persist-to {})",
            inspector_port
                .map(|p| format!(" --inspector-port {p}"))
                .unwrap_or_default(),
            persist_to.display()
        );
        let child = cmd
            .spawn()
            .map_err(|e| Failed(format!("cannot start wrangler: {e}")))?;
        register(child.id(), temp.clone());
        Ok(Self {
            child,
            addr,
            log,
            temp,
            stopped: false,
            inspector_port,
            vars: vars.to_vec(),
            config: config.to_string(),
            control: control.to_string(),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the worker answers `GET /health` (200, or 503 while it has no snapshot), for
    /// at most `timeout`; fails at once if wrangler exits.
    pub fn wait_healthy(&mut self, timeout: Duration) -> Result {
        let start = Instant::now();
        let mut last = String::from("no answer yet");
        while start.elapsed() < timeout {
            if interrupted() {
                return Err(Failed("interrupted".into()));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failed(&format!("wrangler exited ({status}) before it was ready")));
            }
            match http::get(self.addr, "/health") {
                Ok(r)
                    if (r.status == 200 || r.status == 503)
                        && r.header("content-type")
                            .is_some_and(|c| c.starts_with("application/json")) =>
                {
                    eprintln!(
                        "worker ready at {} after {:.1} s",
                        self.url(),
                        start.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
                Ok(r) => last = format!("/health answered {}: {}", r.status, r.text()),
                Err(Failed(why)) => last = why,
            }
            sleep(Duration::from_millis(250));
        }
        Err(self.failed(&format!(
            "the worker did not answer /health with 200 within {timeout:?} ({last})"
        )))
    }

    /// Blocks until wrangler exits by itself (or is stopped by the signal handler).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.child
            .wait()
            .map_err(|e| Failed(format!("waiting for wrangler: {e}")))
    }

    /// A failure that carries the end of wrangler's log, when there is one.
    pub fn failed(&self, why: &str) -> Failed {
        match self.log_tail(40) {
            Some(tail) => Failed(format!("{why}\n--- end of wrangler's log ---\n{tail}")),
            None => Failed(why.to_string()),
        }
    }

    fn log_tail(&self, lines: usize) -> Option<String> {
        let text = std::fs::read_to_string(self.log.as_ref()?).ok()?;
        let all: Vec<&str> = text.lines().collect();
        let tail = all
            .get(all.len().saturating_sub(lines)..)
            .unwrap_or_default();
        Some(tail.join("\n"))
    }

    /// Stops the whole process group: SIGTERM, up to [`STOP_GRACE`], then SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let pgid = self.child.id();
        signal_group(pgid, "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            // Reap the leader (else it stays a zombie and the group looks alive), then wait for
            // the rest of the group (workerd) to go.
            let _ = self.child.try_wait();
            if !signal_group(pgid, "0") {
                break;
            }
            if Instant::now() >= deadline {
                eprintln!("wrangler (group {pgid}) ignored SIGTERM for {STOP_GRACE:?}: SIGKILL");
                signal_group(pgid, "KILL");
                let _ = self.child.wait();
                break;
            }
            sleep(Duration::from_millis(100));
        }
        if let Some(temp) = &self.temp {
            let _ = std::fs::remove_dir_all(temp);
            if self.config != CONFIG {
                let _ = std::fs::remove_file(root().join("edge-worker").join(&self.config));
            }
            if self.control != CONTROL {
                let _ = std::fs::remove_file(root().join("edge-worker").join(&self.control));
            }
        }
        unregister(pgid);
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Two distinct free ports on 127.0.0.1 (HTTP and inspector): both listeners are held until
/// both ports are known, then released for wrangler to bind.
pub(crate) fn free_ports() -> Result<(u16, u16)> {
    let bind = || {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| Ok((l.local_addr()?.port(), l)))
            .map_err(|e| Failed(format!("cannot find a free port on 127.0.0.1: {e}")))
    };
    let (http, _a) = bind()?;
    let (inspector, _b) = bind()?;
    Ok((http, inspector))
}
