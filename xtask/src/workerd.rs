//! Running the edge worker on a bare `workerd` (no wrangler, no dev proxy): the self-hosted
//! configuration users deploy (`edge-worker/workerd.capnp`), and the benchmark, which must
//! measure the worker rather than wrangler's proxy in front of it.
//!
//! KV is a directory (one file per key) and the Durable Object keeps its storage in another;
//! both are created fresh for each instance and removed when it stops.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::seed::KvEntry;
use crate::wrangler::{free_ports, register, signal_group, unregister};
use crate::{Failed, Result, http, root};

/// The workerd binary wrangler ships (Linux x86-64, the machines this project runs on).
pub fn workerd_bin() -> PathBuf {
    root().join("node_modules/@cloudflare/workerd-linux-64/bin/workerd")
}

/// A fresh directory (`kv/`, `do/`, config, logs) for one or more instances in turn;
/// removed when dropped.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        // `BURGEE_KEEP=1` keeps it, to look at or to run its workerd config again by hand.
        if std::env::var_os("BURGEE_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Result<Scratch> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("burgee-{name}-{}-{stamp}", std::process::id()));
    for sub in ["kv", "do"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok(Scratch(dir))
}

/// Publishes KV entries the way the disk-backed KV stores them: one file per key.
pub fn put_files(kv: &Path, entries: &[KvEntry]) -> Result {
    for e in entries {
        let path = kv.join(&e.key);
        std::fs::write(&path, &e.value)
            .map_err(|err| Failed(format!("cannot write {}: {err}", path.display())))?;
    }
    Ok(())
}

/// A running `workerd serve`; dropping it stops it.
pub struct Workerd {
    child: Child,
    pub addr: SocketAddr,
    dir: PathBuf,
    stopped: bool,
}

impl Workerd {
    /// `workerd serve CONFIG` with `args` (e.g. `--directory-path`), the socket named `http`
    /// on a free loopback port, output into `dir/workerd.log`.
    pub fn serve(config: &Path, dir: &Path, args: &[String]) -> Result<Workerd> {
        let (port, _) = free_ports()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        Self::serve_at(config, dir, args, &[("http", addr)]).map(|mut w| {
            w.addr = addr;
            w
        })
    }

    /// Like [`Workerd::serve`], with several named sockets bound where given.
    pub fn serve_at(
        config: &Path,
        dir: &Path,
        args: &[String],
        sockets: &[(&str, SocketAddr)],
    ) -> Result<Workerd> {
        let bin = workerd_bin();
        if !bin.exists() {
            return Err(Failed(format!(
                "{} is missing: run `npm ci` (cargo xtask sets it up)",
                bin.display()
            )));
        }
        let mut cmd = Command::new(&bin);
        cmd.arg("serve").arg(config).args(args);
        for (name, addr) in sockets {
            cmd.arg("--socket-addr").arg(format!("{name}={addr}"));
        }
        let addr = sockets
            .first()
            .map_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), |s| s.1);
        Self::launch(cmd, dir, addr)
    }

    /// Starts `cmd` (workerd, or the container's entrypoint, which runs workerd) in `dir` as
    /// the leader of a new process group, its output into `dir/workerd.log`.
    pub fn launch(mut cmd: Command, dir: &Path, addr: SocketAddr) -> Result<Workerd> {
        let log = dir.join("workerd.log");
        let out = File::create(&log)
            .map_err(|e| Failed(format!("cannot create {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| Failed(format!("cannot reopen {}: {e}", log.display())))?;
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| Failed(format!("cannot start {:?}: {e}", cmd.get_program())))?;
        register(child.id(), None);
        Ok(Workerd {
            child,
            addr,
            dir: dir.to_path_buf(),
            stopped: false,
        })
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("workerd.log")).unwrap_or_default()
    }

    /// Sends SIGTERM to the leader alone (not its group) and waits up to `timeout` for it to
    /// exit: how a container runtime stops the entrypoint, which must stop workerd itself.
    pub fn terminate_leader(&mut self, timeout: Duration) -> Result<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            return Err(Failed("cannot send SIGTERM".into()));
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Ok(status);
            }
            sleep(Duration::from_millis(50));
        }
        Err(self.failed(&format!("still running {timeout:?} after SIGTERM")))
    }

    /// Waits until `check` accepts an answer to `GET path` on `addr`; returns how long it took.
    pub fn wait_for(
        &mut self,
        addr: SocketAddr,
        path: &str,
        timeout: Duration,
        check: impl Fn(&http::Response) -> bool,
    ) -> Result<Duration> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failed(&format!("workerd exited ({status}) before it was ready")));
            }
            if let Ok(r) = http::get(addr, path)
                && check(&r)
            {
                return Ok(start.elapsed());
            }
            sleep(Duration::from_millis(5));
        }
        Err(self.failed(&format!(
            "no good answer to {path} on {addr} within {timeout:?}"
        )))
    }

    /// A failure that carries the end of workerd's log.
    pub fn failed(&self, why: &str) -> Failed {
        let log = self.log();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Failed(format!(
            "{why}\n--- end of workerd's log ---\n{}",
            tail.join("\n")
        ))
    }

    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let pgid = self.child.id();
        signal_group(pgid, "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            sleep(Duration::from_millis(50));
        }
        signal_group(pgid, "KILL");
        let _ = self.child.wait();
        unregister(pgid);
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        self.stop();
    }
}
