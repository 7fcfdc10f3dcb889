//! Compiled snapshots, per environment, held in this isolate's memory.
//!
//! Every evaluation route needs a snapshot, and a KV read plus a decode per request would cost
//! more than the evaluation itself, so each isolate keeps the decoded snapshot and revalidates it
//! from KV only after `SNAPSHOT_TTL_SECONDS`. Revalidation compares a hash of the bytes and
//! decodes only when they changed. When KV fails or holds garbage, the last good snapshot keeps
//! serving and is reported stale; with none at all, callers fail closed.
//!
//! KV keys (written by the control plane, or by the dev seeding step): `snapshot:<env>` is the
//! full binary snapshot the edge evaluates, `public:<env>` the client-side one browsers may
//! download. Both carry metadata `{"version", "publishedAt"}` (epoch ms).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burgee_core::Snapshot;
use burgee_core::murmur3::murmur3_x86_32;
use serde::Deserialize;
use worker::Env;

use crate::bindings;

/// What the control plane stores beside each snapshot.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub version: u64,
    /// Epoch milliseconds.
    pub published_at: f64,
}

/// A snapshot as served, with what `/health` reports about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub snapshot: Rc<Snapshot>,
    pub published: Published,
    /// Epoch ms of the last successful read from KV.
    pub fetched_at: f64,
    /// Why the last revalidation failed, if it did (the snapshot is then stale).
    pub problem: Option<String>,
    /// Flags pinned by `FF_*` variables, and overrides that could not apply.
    pub overrides: Vec<String>,
}

/// The client-side snapshot's bytes, served as they are.
#[derive(Debug, Clone)]
pub struct PublicBytes {
    pub bytes: Rc<Vec<u8>>,
    pub etag: String,
    pub published: Published,
    pub fetched_at: f64,
}

struct Entry<T> {
    value: T,
    /// Hash of the bytes the value came from.
    hash: u64,
    /// When a request of this isolate began revalidating this entry, until it finishes.
    revalidating_since: Option<f64>,
}

/// How long other requests keep serving the cached value, without a KV read of their own,
/// while one request revalidates it: one read per isolate and TTL instead of one per request
/// in flight (a stampede of identical reads whenever the TTL runs out under load). A read
/// slower than this lets the next request try too.
const REVALIDATION_GRACE_MS: f64 = 2_000.0;

/// Whether this request should read KV for `entry` (and, if so, claims the revalidation):
/// not while another request of this isolate is already at it.
fn claim<T>(entry: Option<&mut Entry<T>>, now: f64, exclusive: bool) -> bool {
    let Some(entry) = entry else { return true };
    if exclusive
        && let Some(since) = entry.revalidating_since
        && now - since < REVALIDATION_GRACE_MS
    {
        return false;
    }
    entry.revalidating_since = Some(now);
    true
}

thread_local! {
    static FULL: RefCell<HashMap<String, Entry<Loaded>>> = RefCell::new(HashMap::new());
    static PUBLIC: RefCell<HashMap<String, Entry<PublicBytes>>> = RefCell::new(HashMap::new());
}

fn hash(bytes: &[u8]) -> u64 {
    (u64::from(murmur3_x86_32(&[bytes], 1)) << 32) | u64::from(murmur3_x86_32(&[bytes], 2))
}

/// The name of the variable that pins `key`: `FF_` and the key in upper snake case.
pub fn override_variable(key: &str) -> String {
    let mut name = String::from("FF_");
    name.extend(key.chars().map(|c| match c {
        'a'..='z' => c.to_ascii_uppercase(),
        'A'..='Z' | '0'..='9' => c,
        _ => '_',
    }));
    name
}

/// Applies `FF_*` variables to a freshly decoded snapshot; returns what it did, for `/health`.
fn apply_overrides(
    snapshot: &mut Snapshot,
    variable: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let keys: Vec<String> = snapshot.flag_keys().map(String::from).collect();
    let mut notes = Vec::new();
    for key in keys {
        let name = override_variable(&key);
        if let Some(value) = variable(&name) {
            match snapshot.force(&key, value.trim()) {
                Ok(()) => notes.push(format!("{key} pinned to {} by {name}", value.trim())),
                Err(e) => notes.push(format!("{name}={value} ignored: {e:?}")),
            }
        }
    }
    notes
}

fn ttl_ms(env: &Env) -> f64 {
    crate::config::get(env).ttl_ms
}

/// The snapshot of `environment`, revalidated from KV when older than the TTL (or always,
/// with `fresh`, for read-your-writes paths). `None`: no snapshot was ever loaded.
pub async fn full(env: &Env, environment: &str, now: f64, fresh: bool) -> Option<Loaded> {
    let cached = FULL.with(|c| {
        c.borrow()
            .get(environment)
            .map(|e| (e.value.clone(), e.hash))
    });
    if let Some((loaded, _)) = &cached
        && !fresh
        && loaded.problem.is_none()
        && now - loaded.fetched_at < ttl_ms(env)
    {
        return Some(loaded.clone());
    }
    // Read-your-writes paths (`fresh`) always read; others leave it to the one already reading.
    if let Some((loaded, _)) = &cached
        && !FULL.with(|c| claim(c.borrow_mut().get_mut(environment), now, !fresh))
    {
        return Some(loaded.clone());
    }
    let read = async {
        env.kv(bindings::FLAGS)
            .map_err(|e| e.to_string())?
            .get(&format!("snapshot:{environment}"))
            .bytes_with_metadata::<Published>()
            .await
            .map_err(|e| e.to_string())
    };
    let result = match read.await {
        Err(e) => Err(format!("KV read failed: {e}")),
        Ok((None, _)) => Err(format!("no snapshot is published for `{environment}`")),
        Ok((Some(bytes), published)) => {
            let h = hash(&bytes);
            match &cached {
                Some((loaded, old)) if *old == h => Ok((None, h, loaded.published)),
                _ => match Snapshot::decode(&bytes) {
                    Ok(mut snapshot) => {
                        let notes = apply_overrides(&mut snapshot, |name| {
                            crate::config::variable(env, name)
                        });
                        let published = published.unwrap_or(Published {
                            version: snapshot.version(),
                            published_at: now,
                        });
                        Ok((Some((snapshot, notes)), h, published))
                    }
                    Err(e) => Err(format!("KV holds a snapshot that does not decode: {e}")),
                },
            }
        }
    };
    FULL.with(|c| {
        let mut map = c.borrow_mut();
        match result {
            Ok((Some((snapshot, overrides)), h, published)) => {
                let loaded = Loaded {
                    snapshot: Rc::new(snapshot),
                    published,
                    fetched_at: now,
                    problem: None,
                    overrides,
                };
                map.insert(
                    environment.into(),
                    Entry {
                        value: loaded.clone(),
                        hash: h,
                        revalidating_since: None,
                    },
                );
                Some(loaded)
            }
            Ok((None, _, _)) => {
                let entry = map.get_mut(environment)?;
                entry.value.fetched_at = now;
                entry.value.problem = None;
                entry.revalidating_since = None;
                Some(entry.value.clone())
            }
            Err(problem) => {
                worker::console_warn!("snapshot {environment}: {problem}");
                let entry = map.get_mut(environment)?;
                entry.value.problem = Some(problem);
                entry.revalidating_since = None;
                Some(entry.value.clone())
            }
        }
    })
}

/// The client-side snapshot's bytes for `environment`, revalidated like [`full`].
pub async fn public(env: &Env, environment: &str, now: f64) -> Option<PublicBytes> {
    let cached = PUBLIC.with(|c| {
        c.borrow()
            .get(environment)
            .map(|e| (e.value.clone(), e.hash))
    });
    if let Some((bytes, _)) = &cached
        && (now - bytes.fetched_at < ttl_ms(env)
            || !PUBLIC.with(|c| claim(c.borrow_mut().get_mut(environment), now, true)))
    {
        return Some(bytes.clone());
    }
    let read = async {
        env.kv(bindings::FLAGS)
            .map_err(|e| e.to_string())?
            .get(&format!("public:{environment}"))
            .bytes_with_metadata::<Published>()
            .await
            .map_err(|e| e.to_string())
    };
    let fresh = match read.await {
        Ok((Some(bytes), published)) if Snapshot::decode(&bytes).is_ok() => {
            let h = hash(&bytes);
            let published = published.unwrap_or_default();
            Some(Entry {
                value: PublicBytes {
                    etag: format!("\"{}-{h:016x}\"", published.version),
                    bytes: Rc::new(bytes),
                    published,
                    fetched_at: now,
                },
                hash: h,
                revalidating_since: None,
            })
        }
        Ok(_) => None,
        Err(e) => {
            worker::console_warn!("public snapshot {environment}: {e}");
            None
        }
    };
    PUBLIC.with(|c| {
        let mut map = c.borrow_mut();
        match fresh {
            Some(entry) => {
                let value = entry.value.clone();
                map.insert(environment.into(), entry);
                Some(value)
            }
            None => map.get_mut(environment).map(|e| {
                e.revalidating_since = None;
                e.value.clone()
            }),
        }
    })
}

/// Every environment this isolate has a snapshot for, for `/health`.
pub fn cached() -> Vec<(String, Loaded)> {
    FULL.with(|c| {
        let mut all: Vec<(String, Loaded)> = c
            .borrow()
            .iter()
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_revalidation_at_a_time_unless_it_hangs_or_must_be_fresh() {
        let mut entry = Entry {
            value: (),
            hash: 0,
            revalidating_since: None,
        };
        assert!(
            claim(Some(&mut entry), 1_000.0, true),
            "the first request reads"
        );
        assert!(
            !claim(Some(&mut entry), 1_001.0, true),
            "the others serve the cache"
        );
        assert!(
            claim(Some(&mut entry), 1_002.0, false),
            "read-your-writes always reads"
        );
        assert!(
            claim(Some(&mut entry), 1_002.0 + REVALIDATION_GRACE_MS, true),
            "a read that hangs past the grace lets the next request try"
        );
        assert!(claim::<()>(None, 0.0, true), "nothing cached: read");
    }

    #[test]
    fn override_variable_names() {
        assert_eq!(override_variable("daily-planning"), "FF_DAILY_PLANNING");
        assert_eq!(
            override_variable("advanced_analytics"),
            "FF_ADVANCED_ANALYTICS"
        );
        assert_eq!(override_variable("v1.checkout"), "FF_V1_CHECKOUT");
    }

    #[test]
    fn overrides_pin_flags_and_report_bad_values() {
        let doc = serde_json::json!({"environments": ["prod"], "flags": {
            "daily-planning": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": false, "offVariant": "off"}}},
            "color": {"kind": "string", "variants": {"red": "#f00", "blue": "#00f"},
                "environments": {"prod": {"enabled": true, "offVariant": "red", "defaultServe": {"variant": "red"}}}}}});
        let mut s = burgee_core::load_value(doc)
            .unwrap()
            .compile("prod")
            .snapshot;
        let notes = apply_overrides(&mut s, |name| match name {
            "FF_DAILY_PLANNING" => Some("true".into()),
            "FF_COLOR" => Some("green".into()),
            _ => None,
        });
        assert_eq!(notes.len(), 2);
        assert!(
            notes[0].contains("ignored") && notes[0].contains("FF_COLOR"),
            "{notes:?}"
        );
        let ctx = s.context(&serde_json::json!({}));
        let d = s.evaluate("daily-planning", &ctx, 0, None);
        assert_eq!(
            (d.value_json(), d.reason().as_str()),
            (Some("true"), "STATIC")
        );
        assert_eq!(
            s.evaluate("color", &ctx, 0, None).variant_name(),
            Some("red")
        );
    }
}
