//! Talking to a running worker's admin API from xtask: the dev admin token, and seeding a store
//! with a document through the control plane (so history, audit and KV publishing happen as
//! they do for every write).

use std::io::Read;
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::{Failed, Result, http};

/// Lowercase hex SHA-256, as `ADMIN_TOKENS` stores tokens (the worker's own function).
pub use burgee_edge::auth::token_hash;

/// A fresh random token (24 bytes from the OS, hex).
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Failed(format!("cannot read /dev/urandom: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The `ADMIN_TOKENS` value for `(name, role, token)` triples.
pub fn tokens_config(tokens: &[(&str, &str, &str)]) -> String {
    Value::Array(
        tokens
            .iter()
            .map(|(name, role, token)| token_entry(name, role, token))
            .collect(),
    )
    .to_string()
}

/// One entry of `ADMIN_TOKENS`: the token `token`, called `name`, with `role`.
pub fn token_entry(name: &str, role: &str, token: &str) -> Value {
    json!({"name": name, "role": role, "sha256": token_hash(token)})
}

/// The `--var`s that make a worker accept `token` as the admin token called `name`.
pub fn admin_vars(name: &str, token: &str) -> Vec<(String, String)> {
    vec![(
        "ADMIN_TOKENS".into(),
        tokens_config(&[(name, "admin", token)]),
    )]
}

/// The store's current version, through the admin API mounted at `api` (`/api` by default).
pub fn version(addr: SocketAddr, api: &str, token: &str) -> Result<u64> {
    let auth = format!("Bearer {token}");
    let r = http::request(
        addr,
        "GET",
        &burgee_api::mounted(api, "/api/v1/document"),
        &[("Authorization", &auth)],
        None,
    )?;
    if r.status != 200 {
        return Err(Failed(format!(
            "GET /api/v1/document: {} {}",
            r.status,
            r.text()
        )));
    }
    r.json()?["version"]
        .as_u64()
        .ok_or_else(|| Failed("the document has no version".into()))
}

/// Imports `document` when the store is still empty (version 0); returns the version.
pub fn seed_if_empty(addr: SocketAddr, api: &str, token: &str, document: &str) -> Result<Seeded> {
    let current = version(addr, api, token)?;
    if current > 0 {
        return Ok(Seeded::Kept(current));
    }
    let auth = format!("Bearer {token}");
    let r = http::request(
        addr,
        "POST",
        &burgee_api::mounted(api, "/api/v1/import"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("If-Match", "\"0\""),
        ],
        Some(document.as_bytes()),
    )?;
    if r.status != 200 {
        return Err(Failed(format!(
            "importing the document: {} {}",
            r.status,
            r.text()
        )));
    }
    r.json()?["version"]
        .as_u64()
        .map(Seeded::Imported)
        .ok_or_else(|| Failed("the import answered no version".into()))
}

/// What [`seed_if_empty`] found: the store's version, and whether it imported the document.
#[derive(Debug, Clone, Copy)]
pub enum Seeded {
    /// The store was empty: the document is now this version.
    Imported(u64),
    /// The store already had a document (kept from an earlier run), at this version.
    Kept(u64),
}

impl Seeded {
    pub fn version(self) -> u64 {
        match self {
            Seeded::Imported(v) | Seeded::Kept(v) => v,
        }
    }
}
