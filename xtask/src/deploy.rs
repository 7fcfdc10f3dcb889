//! `cargo xtask deploy --dry-run`: both scripts built, bundled and bound exactly as `wrangler
//! deploy` would upload them, without an account (wrangler's own dry run). The control plane
//! first, as a real deployment must go: the edge worker binds its Durable Objects.
//!
//! A real deployment is `wrangler deploy` with the same files once the KV namespace id and the
//! secrets are set (the README's "Deploying to Cloudflare"); this command never uploads.

use crate::setup::{tool_env, wrangler_bin};
use crate::{Failed, Result, root};

/// What each script's dry run must report binding, by name.
const SCRIPTS: [(&str, &[&str]); 2] = [
    (
        "wrangler.control.toml",
        &["FLAGS", "STORE", "RELAY", "HISTORY_LIMIT"],
    ),
    (
        "wrangler.toml",
        &[
            "FLAGS",
            "STORE",
            "RELAY",
            "EVALUATION_RATE_LIMIT",
            "ENVIRONMENT_DEFAULT",
        ],
    ),
];

pub fn dry_run() -> Result {
    let dir = root().join("edge-worker");
    for (config, bindings) in SCRIPTS {
        let out_dir = root().join("target/deploy-dry-run").join(config);
        let shown = format!("(cd edge-worker && wrangler deploy -c {config} --dry-run --outdir …)");
        eprintln!("$ {shown}");
        let output = std::process::Command::new(wrangler_bin())
            .current_dir(&dir)
            .envs(tool_env())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .args(["deploy", "-c", config, "--dry-run", "--outdir"])
            .arg(&out_dir)
            .output()
            .map_err(|e| Failed(format!("cannot run wrangler: {e}")))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            return Err(Failed(format!("{shown} failed:\n{text}")));
        }
        let missing: Vec<&&str> = bindings.iter().filter(|b| !text.contains(**b)).collect();
        if !missing.is_empty() {
            return Err(Failed(format!(
                "{shown} does not bind {missing:?}:\n{text}"
            )));
        }
        let bundled = std::fs::read_dir(&out_dir)
            .map(|entries| entries.count())
            .unwrap_or(0);
        if bundled == 0 {
            return Err(Failed(format!(
                "{shown} wrote nothing to {}",
                out_dir.display()
            )));
        }
        eprintln!(
            "{config}: bundles ({bundled} files) and binds {}",
            bindings.join(", ")
        );
    }
    Ok(())
}
