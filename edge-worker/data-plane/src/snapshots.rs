//! Each environment's snapshots in this isolate: the full one the edge evaluates for server keys
//! and edge gating, and the public (client-side) one it serves to browsers and evaluates for
//! everyone else, so that a flag without `clientSide` never reaches a caller who may not see it.
//!
//! A snapshot is replaced only by one with a newer revision, whatever answers first or from
//! where: a relay, the location cache, or a Workers KV read that is a minute stale. Every
//! request first asks [`freshness`](crate::freshness) for the beacon (cheap: at most once a
//! second per isolate); when the beacon names a newer revision, that snapshot is fetched from
//! the relay before the request is answered, so a kill switch is served by an isolate about a
//! second after its commit. Workers KV is read at a cold start and every
//! `SNAPSHOT_TTL_SECONDS` as a backstop. When everything fails the last good snapshot keeps
//! serving, reported stale; with none at all, callers fail closed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burgee_core::Snapshot;
use burgee_edge_shared::kv::{Kind, SnapshotKey, content_hash};
use worker::Env;

use crate::freshness::{self, Location};
use crate::{config, kv_read};

/// One key's content in this isolate, with what `/health` reports about it.
#[derive(Clone, Debug)]
pub struct Slot<T> {
    pub value: T,
    /// The store version whose content this is.
    pub revision: u64,
    /// Epoch ms it was installed.
    pub installed_at: f64,
    /// Epoch ms of the last read of KV for it.
    pub kv_checked_at: f64,
    /// Why the last refresh failed, if it did (the value may then be stale).
    pub problem: Option<String>,
}

/// A decoded full snapshot, with the overrides (`FF_*`) applied to it.
#[derive(Clone, Debug)]
pub struct Full {
    pub snapshot: Rc<Snapshot>,
    /// What the `FF_*` variables did.
    pub overrides: Vec<String>,
}

/// The public snapshot: its bytes, served as they are, and the same decoded with the overrides
/// applied, which client callers are evaluated on (it holds exactly the `clientSide` flags and
/// what they use, and client-side flags may only require client-side ones, so it answers them
/// as the full snapshot does).
#[derive(Clone, Debug)]
pub struct Public {
    pub bytes: Rc<Vec<u8>>,
    pub etag: String,
    pub snapshot: Rc<Snapshot>,
}

/// What a slot holds: one kind of snapshot or the other (one store for both, so the code that
/// keeps them fresh exists once in the wasm).
#[derive(Clone, Debug)]
pub enum Held {
    Full(Full),
    Public(Public),
}

/// Every key's slot, and which keys a request is already fetching.
#[derive(Debug)]
pub struct Slots<T> {
    slots: HashMap<String, Slot<T>>,
    fetching: HashMap<String, f64>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: HashMap::new(),
            fetching: HashMap::new(),
        }
    }
}

/// How long other requests serve what they have while one request fetches a newer snapshot.
const FETCH_GRACE_MS: f64 = 2_000.0;

impl<T: Clone> Slots<T> {
    pub fn get(&self, key: &str) -> Option<&Slot<T>> {
        self.slots.get(key)
    }

    pub fn revision(&self, key: &str) -> Option<u64> {
        self.slots.get(key).map(|s| s.revision)
    }

    /// Installs `value` at `revision` unless the slot already holds that revision or a newer
    /// one: an isolate never goes back. `true` when installed.
    pub fn install(&mut self, key: &str, value: T, revision: u64, now: f64) -> bool {
        if self.revision(key).is_some_and(|held| held >= revision) {
            return false;
        }
        let kv_checked_at = self.slots.get(key).map_or(0.0, |s| s.kv_checked_at);
        self.slots.insert(
            key.to_string(),
            Slot {
                value,
                revision,
                installed_at: now,
                kv_checked_at,
                problem: None,
            },
        );
        true
    }

    /// Whether this request should fetch `key` (claiming it): not while another is at it.
    pub fn claim(&mut self, key: &str, now: f64) -> bool {
        if self
            .fetching
            .get(key)
            .is_some_and(|since| now - since < FETCH_GRACE_MS)
        {
            return false;
        }
        self.fetching.insert(key.to_string(), now);
        true
    }

    pub fn release(&mut self, key: &str) {
        self.fetching.remove(key);
    }

    pub fn note(&mut self, key: &str, problem: Option<String>, kv_checked_at: Option<f64>) {
        if let Some(slot) = self.slots.get_mut(key) {
            slot.problem = problem;
            if let Some(at) = kv_checked_at {
                slot.kv_checked_at = at;
            }
        }
    }

    pub fn all(&self) -> Vec<(String, Slot<T>)> {
        let mut all: Vec<(String, Slot<T>)> = self
            .slots
            .iter()
            .map(|(k, s)| (k.clone(), s.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

thread_local! {
    static SLOTS: RefCell<Slots<Held>> = RefCell::new(Slots::default());
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

/// Applies the deployment's overrides to a freshly decoded snapshot: `FF_ALL=off` switches
/// every flag off (and wins), else each `FF_<FLAG>` pins its flag. Returns what it did.
pub fn apply_overrides(
    snapshot: &mut Snapshot,
    all_off: bool,
    variable: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    if all_off {
        let [pinned, disabled, broken] = snapshot.force_all_off();
        return vec![format!(
            "FF_ALL=off: every flag off ({pinned} pinned to their off variant, {disabled} without one disabled, {broken} broken left as they are)"
        )];
    }
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

/// Decodes a snapshot and applies the deployment's overrides to it.
fn decoded(env: &Env, bytes: &[u8]) -> Result<(Snapshot, Vec<String>), String> {
    let mut snapshot =
        Snapshot::decode(bytes).map_err(|e| format!("a snapshot that does not decode: {e}"))?;
    let overrides = apply_overrides(&mut snapshot, config::get(env).all_off, |name| {
        config::variable(env, name)
    });
    Ok((snapshot, overrides))
}

fn full_of(env: &Env, bytes: &[u8]) -> Result<(Held, u64), String> {
    let (snapshot, overrides) = decoded(env, bytes)?;
    let revision = snapshot.version();
    let full = Full {
        snapshot: Rc::new(snapshot),
        overrides,
    };
    Ok((Held::Full(full), revision))
}

fn public_of(env: &Env, bytes: Vec<u8>) -> Result<(Held, u64), String> {
    let (snapshot, _) = decoded(env, &bytes)?;
    let revision = snapshot.version();
    let etag = format!("\"{revision}-{}\"", content_hash(&bytes));
    Ok((
        Held::Public(Public {
            bytes: Rc::new(bytes),
            etag,
            snapshot: Rc::new(snapshot),
        }),
        revision,
    ))
}

/// Brings one key up to what the beacon names (from the relay), and reads KV when the slot is
/// empty or its last KV read is older than the TTL. `decode` turns bytes into the slot's value
/// and its revision.
async fn refresh(
    env: &Env,
    location: &Location,
    key: &SnapshotKey,
    now: f64,
    decode: &dyn Fn(Vec<u8>) -> Result<(Held, u64), String>,
) -> Option<Slot<Held>> {
    let slots = &SLOTS;
    let name = key.to_string();
    let beacon = freshness::beacon(env, location, now).await;
    if !freshness::lists(beacon.as_deref(), &key.environment) {
        return None;
    }
    let wanted = beacon.as_ref().and_then(|b| b.key(key)).map(|p| p.revision);
    let held = slots.with(|s| s.borrow().revision(&name));
    let mut problem = None;
    if let Some(w) = wanted.filter(|w| held.is_none_or(|h| h < *w))
        && slots.with(|s| s.borrow_mut().claim(&name, now))
    {
        match freshness::snapshot(env, location, key, w)
            .await
            .and_then(|(b, _)| decode(b))
        {
            Ok((value, revision)) => {
                slots.with(|s| s.borrow_mut().install(&name, value, revision, now));
            }
            Err(e) => problem = Some(format!("the relay: {e}")),
        }
        slots.with(|s| s.borrow_mut().release(&name));
    }
    let slot = slots.with(|s| s.borrow().get(&name).cloned());
    let kv_due = slot
        .as_ref()
        .is_none_or(|s| now - s.kv_checked_at >= config::get(env).ttl_ms);
    if kv_due {
        match kv_read::read(env, &name, now).await {
            Ok(Some((bytes, _))) => match decode(bytes) {
                Ok((value, revision)) => {
                    slots.with(|s| s.borrow_mut().install(&name, value, revision, now));
                }
                Err(e) => problem = problem.or(Some(format!("KV holds {e}"))),
            },
            Ok(None) if slot.is_none() => {
                problem = Some(format!("nothing is published for `{}`", key.environment));
            }
            Ok(None) => {}
            Err(e) => problem = problem.or(Some(format!("KV read failed: {e}"))),
        }
    }
    if let Some(p) = &problem {
        worker::console_warn!("snapshot {name}: {p}");
    }
    slots.with(|s| {
        let mut s = s.borrow_mut();
        s.note(&name, problem, kv_due.then_some(now));
        s.get(&name).cloned()
    })
}

/// The full snapshot of `environment`, brought up to date first. `None`: none was ever loaded.
pub async fn full(
    env: &Env,
    location: &Location,
    environment: &str,
    now: f64,
) -> Option<Slot<Full>> {
    let key = SnapshotKey::new(Kind::Full, environment);
    let slot = refresh(env, location, &key, now, &|bytes| full_of(env, &bytes)).await?;
    full_slot(slot)
}

fn full_slot(slot: Slot<Held>) -> Option<Slot<Full>> {
    match slot.value {
        Held::Full(value) => Some(Slot {
            value,
            revision: slot.revision,
            installed_at: slot.installed_at,
            kv_checked_at: slot.kv_checked_at,
            problem: slot.problem,
        }),
        Held::Public(_) => None,
    }
}

/// The client-side snapshot's bytes for `environment`, brought up to date like [`full`].
pub async fn public(
    env: &Env,
    location: &Location,
    environment: &str,
    now: f64,
) -> Option<Slot<Public>> {
    let key = SnapshotKey::new(Kind::Public, environment);
    let slot = refresh(env, location, &key, now, &|bytes| public_of(env, bytes)).await?;
    match slot.value {
        Held::Public(value) => Some(Slot {
            value,
            revision: slot.revision,
            installed_at: slot.installed_at,
            kv_checked_at: slot.kv_checked_at,
            problem: slot.problem,
        }),
        Held::Full(_) => None,
    }
}

/// Every full snapshot this isolate holds, by environment, for `/health`.
pub fn served() -> Vec<(String, Slot<Full>)> {
    SLOTS
        .with(|s| s.borrow().all())
        .into_iter()
        .filter_map(|(k, slot)| {
            let key = SnapshotKey::parse(&k).filter(|k| k.kind == Kind::Full)?;
            Some((key.environment, full_slot(slot)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn an_isolate_never_goes_back() {
        let mut slots: Slots<&str> = Slots::default();
        assert!(slots.install("snapshot:p", "v5", 5, 1.0));
        assert!(!slots.install("snapshot:p", "v4", 4, 2.0), "older: refused");
        assert!(
            !slots.install("snapshot:p", "v5 again", 5, 2.0),
            "same: kept"
        );
        assert!(slots.install("snapshot:p", "v7", 7, 3.0));
        assert_eq!(slots.get("snapshot:p").unwrap().value, "v7");
    }

    #[test]
    fn one_fetch_at_a_time_unless_it_hangs() {
        let mut slots: Slots<()> = Slots::default();
        assert!(slots.claim("k", 1_000.0));
        assert!(!slots.claim("k", 1_500.0));
        assert!(slots.claim("k", 1_000.0 + FETCH_GRACE_MS));
        slots.release("k");
        assert!(slots.claim("k", 3_100.0));
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

    fn snapshot() -> Snapshot {
        let encoded = include_bytes!("../../../tests/golden/snapshot-v1.bin");
        Snapshot::decode(encoded).unwrap()
    }

    #[test]
    fn overrides_pin_flags_report_bad_values_and_all_off_wins() {
        let mut s = snapshot();
        let keys: Vec<String> = s.flag_keys().map(String::from).collect();
        let boolean = keys
            .iter()
            .find(|k| s.kind(k) == Some(burgee_core::Kind::Boolean))
            .unwrap()
            .clone();
        let pin = override_variable(&boolean);
        let notes = apply_overrides(&mut s, false, |name| match name {
            n if n == pin => Some("true".into()),
            n if n == override_variable(&keys[0]) && keys[0] != boolean => Some("no-such".into()),
            _ => None,
        });
        assert!(
            notes.iter().any(|n| n.contains("pinned to true")),
            "{notes:?}"
        );
        let mut s = snapshot();
        let notes = apply_overrides(&mut s, true, |_| Some("true".into()));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("FF_ALL=off"), "{notes:?}");
    }
}
