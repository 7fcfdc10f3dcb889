//! Reading a published snapshot from Workers KV: the backstop behind the relays, and where a
//! cold isolate starts when no relay answers.
//!
//! Cloudflare caches KV reads at each location for 30 to 60 s; `wrangler dev` does not. In
//! tests (`ALLOW_FAULT_INJECTION` with `KV_READ_CACHE_SECONDS`) reads go through a cache just as
//! stale, so the end-to-end tests show that freshness does not come from KV.

use std::cell::RefCell;
use std::collections::HashMap;

use burgee_edge_shared::bindings;
use burgee_edge_shared::kv::Published;
use worker::Env;

use crate::config;

/// A value as read: bytes and metadata, or nothing published.
pub type Read = Option<(Vec<u8>, Option<Published>)>;

thread_local! {
    static STALE: RefCell<HashMap<String, (f64, Read)>> = RefCell::new(HashMap::new());
}

async fn read_kv(env: &Env, key: &str) -> Result<Read, String> {
    let kv = env.kv(bindings::FLAGS).map_err(|e| e.to_string())?;
    let (bytes, meta) = kv
        .get(key)
        .bytes_with_metadata::<Published>()
        .await
        .map_err(|e| e.to_string())?;
    Ok(bytes.map(|b| (b, meta)))
}

/// `key`'s value, as Cloudflare's KV would answer it at this location.
pub async fn read(env: &Env, key: &str, now: f64) -> Result<Read, String> {
    let Some(cache_ms) = config::get(env).kv_read_cache_ms else {
        return read_kv(env, key).await;
    };
    let cached = STALE.with(|s| {
        s.borrow()
            .get(key)
            .filter(|(at, _)| now - at < cache_ms)
            .map(|(_, v)| v.clone())
    });
    if let Some(value) = cached {
        return Ok(value);
    }
    let value = read_kv(env, key).await?;
    STALE.with(|s| s.borrow_mut().insert(key.to_string(), (now, value.clone())));
    Ok(value)
}
