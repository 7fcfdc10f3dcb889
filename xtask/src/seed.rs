//! Putting compiled snapshots into the worker's local KV, the way the control plane publishes
//! them: `snapshot:<env>` (full) and `public:<env>` (client-side), each with metadata
//! `{"version", "publishedAt"}`. Used by `cargo xtask dev` (the example document) and by the
//! end-to-end tests (the example and every corpus document, each corpus file under its own
//! environment names so one worker serves them all).

use std::path::Path;
use std::process::Command;

use burgee_core::{compile_client_side, load};
use serde_json::{Value, json};

use crate::setup::tool_env;
use crate::{Failed, Result, root};

/// One KV entry to write.
#[derive(Debug, Clone)]
pub struct KvEntry {
    pub key: String,
    pub value: Vec<u8>,
    pub metadata: Value,
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// The snapshots of every environment of a document; `name` maps an environment to the name
/// it is published under. Documents with errors are refused, as the control plane would.
pub fn snapshots(
    document: &str,
    version: u64,
    mut name: impl FnMut(&str) -> String,
) -> Result<Vec<KvEntry>> {
    let loaded = load(document).map_err(|d| Failed(format!("cannot seed: {}", d.message)))?;
    let errors = loaded.errors();
    if !errors.is_empty() {
        return Err(Failed(format!(
            "cannot seed a document with errors:\n{}",
            errors.join("\n")
        )));
    }
    let mut document = loaded.document.clone();
    document.version = Some(version);
    let metadata = json!({"version": version, "publishedAt": now_ms()});
    let mut out = Vec::new();
    for env in &document.environments {
        let published = name(env);
        let full = burgee_core::compile(&document, env).snapshot;
        let public = compile_client_side(&document, env).snapshot;
        out.push(KvEntry {
            key: format!("snapshot:{published}"),
            value: full.encode(),
            metadata: metadata.clone(),
        });
        out.push(KvEntry {
            key: format!("public:{published}"),
            value: public.encode(),
            metadata: metadata.clone(),
        });
    }
    Ok(out)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes entries into the local KV under `persist_to`, byte for byte (`xtask/seed-kv.mjs`,
/// one Node process for all of them).
pub fn put(persist_to: &Path, entries: &[KvEntry]) -> Result {
    if entries.is_empty() {
        return Ok(());
    }
    let list: Vec<Value> = entries
        .iter()
        .map(|e| json!({"key": e.key, "base64": base64(&e.value), "metadata": e.metadata}))
        .collect();
    std::fs::create_dir_all(persist_to)
        .map_err(|e| Failed(format!("cannot create {}: {e}", persist_to.display())))?;
    let file = persist_to.join(format!("seed-{}.json", std::process::id()));
    std::fs::write(&file, Value::Array(list).to_string())
        .map_err(|e| Failed(format!("cannot write {}: {e}", file.display())))?;
    let output = Command::new("node")
        .current_dir(root())
        .envs(tool_env())
        .arg(root().join("xtask/seed-kv.mjs"))
        .arg(persist_to)
        .arg(&file)
        .output()
        .map_err(|e| Failed(format!("cannot start node: {e}")));
    let _ = std::fs::remove_file(&file);
    let output = output?;
    if !output.status.success() {
        return Err(Failed(format!(
            "seeding KV failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_encodes() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd, 0x00]), "//79AA==");
    }

    #[test]
    fn snapshots_of_the_example() {
        let text = std::fs::read_to_string(root().join("examples/tasks-app.json")).unwrap();
        let entries = snapshots(&text, 3, |e| format!("x-{e}")).unwrap();
        assert_eq!(entries.len(), 6);
        assert!(entries.iter().any(|e| e.key == "snapshot:x-production"));
        let full = burgee_core::Snapshot::decode(&entries[0].value).unwrap();
        assert_eq!(full.version(), 3);
    }
}
