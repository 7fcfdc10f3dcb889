//! The freshness beacon: how every isolate learns, within about a second, that the store has
//! a newer version, without waiting for Workers KV to propagate (up to a minute, plus the read
//! cache of each location).
//!
//! The writer pushes the beacon to the relays (fan-out Durable Objects, one per region) after
//! every commit and publication step. Each location fetches its region's beacon at most twice a
//! second and shares it through the Cache API; an isolate that sees a revision newer than the
//! one it serves fetches that snapshot from the relay. The beacon also carries how far Workers
//! KV is behind, so `/health` can say so anywhere.

use std::collections::BTreeMap;

use burgee_api::KeyPublication;
use serde::{Deserialize, Serialize};

use crate::kv::{Kind, SnapshotKey};

/// How often a location (and an isolate) asks for the beacon, at most: the larger part of how
/// long a change takes to reach every isolate (see ARCHITECTURE.md, "Publication").
pub const BEACON_INTERVAL_MS: f64 = 500.0;

/// How long a served snapshot, or Workers KV, may lag behind the store before `/health` says
/// `degraded`: the beacon's interval, plus a relay round trip and a snapshot fetch.
pub const FRESHNESS_BOUND_MS: f64 = 2_000.0;

/// The store's current state as the relays hand it out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Beacon {
    /// The store's newest version.
    pub version: u64,
    /// Epoch ms when that version was committed.
    pub committed_at: f64,
    /// Per environment: the revision each snapshot must have, and what KV holds.
    pub environments: BTreeMap<String, EnvironmentState>,
}

/// The two snapshots of one environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentState {
    pub snapshot: KeyPublication,
    pub public: KeyPublication,
}

impl EnvironmentState {
    pub fn get(&self, kind: Kind) -> &KeyPublication {
        match kind {
            Kind::Full => &self.snapshot,
            Kind::Public => &self.public,
        }
    }

    pub fn get_mut(&mut self, kind: Kind) -> &mut KeyPublication {
        match kind {
            Kind::Full => &mut self.snapshot,
            Kind::Public => &mut self.public,
        }
    }
}

/// Reads a JSON object's fields by hand: the data plane reads beacons on its hot path and has
/// `serde_json::Value` already, so this costs it far fewer bytes of wasm than a derived
/// deserializer (tested against the derived one below).
mod read {
    use serde_json::Value;

    pub fn u64_of(v: &Value, name: &str) -> u64 {
        v.get(name).and_then(Value::as_u64).unwrap_or(0)
    }

    pub fn f64_of(v: &Value, name: &str) -> f64 {
        v.get(name).and_then(Value::as_f64).unwrap_or(0.0)
    }

    pub fn text_of(v: &Value, name: &str) -> Option<String> {
        v.get(name).and_then(Value::as_str).map(String::from)
    }
}

fn publication_of(v: &serde_json::Value) -> KeyPublication {
    KeyPublication {
        revision: read::u64_of(v, "revision"),
        published: read::u64_of(v, "published"),
        revision_at: read::f64_of(v, "revisionAt"),
        behind_since: v.get("behindSince").and_then(serde_json::Value::as_f64),
        attempts: read::u64_of(v, "attempts") as u32,
        last_error: read::text_of(v, "lastError"),
        failing_since: v.get("failingSince").and_then(serde_json::Value::as_f64),
    }
}

impl Beacon {
    /// A beacon from its JSON (`null` or anything not an object: none).
    pub fn from_json(v: &serde_json::Value) -> Option<Beacon> {
        let environments = v
            .get("environments")?
            .as_object()?
            .iter()
            .map(|(name, e)| {
                let state = EnvironmentState {
                    snapshot: publication_of(&e["snapshot"]),
                    public: publication_of(&e["public"]),
                };
                (name.clone(), state)
            })
            .collect();
        Some(Beacon {
            version: read::u64_of(v, "version"),
            committed_at: read::f64_of(v, "committedAt"),
            environments,
        })
    }

    /// The state of one key, if its environment exists.
    pub fn key(&self, key: &SnapshotKey) -> Option<&KeyPublication> {
        self.environments
            .get(&key.environment)
            .map(|e| e.get(key.kind))
    }
}

/// The flags that changed in an environment between two versions, from a relay's log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub from: u64,
    pub to: u64,
    pub changed: Vec<String>,
    /// False when the log no longer reaches back to `from`: clients must assume every flag
    /// changed.
    pub complete: bool,
}

/// What the writer pushes to a relay after each change: the beacon and the newest change log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayUpdate {
    pub beacon: Beacon,
    pub changes: Vec<ChangeEntry>,
}

/// How many change-log entries the writer sends a relay, and a relay keeps.
pub const CHANGE_LOG_KEPT: usize = 500;

/// One version's changed flags in one environment, as the writer logs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEntry {
    pub version: u64,
    pub environment: String,
    pub flags: Vec<String>,
}

impl Changes {
    /// Changes from their JSON (see [`Beacon::from_json`] for why by hand).
    pub fn from_json(v: &serde_json::Value) -> Option<Changes> {
        let changed = v
            .get("changed")?
            .as_array()?
            .iter()
            .filter_map(|f| f.as_str().map(String::from))
            .collect();
        Some(Changes {
            from: read::u64_of(v, "from"),
            to: read::u64_of(v, "to"),
            changed,
            complete: v.get("complete").and_then(serde_json::Value::as_bool) == Some(true),
        })
    }
}

/// The flags changed in `environment` after `since`, up to `to`, from a log of entries in
/// version order.
pub fn changes_since(log: &[ChangeEntry], environment: &str, since: u64, to: u64) -> Changes {
    let oldest = log.first().map_or(u64::MAX, |e| e.version);
    let mut changed: Vec<String> = log
        .iter()
        .filter(|e| e.environment == environment && e.version > since && e.version <= to)
        .flat_map(|e| e.flags.iter().cloned())
        .collect();
    changed.sort();
    changed.dedup();
    Changes {
        from: since,
        to,
        changed,
        // The log must hold every version after `since` (or there were none).
        complete: since >= to || oldest <= since + 1,
    }
}

/// How long `state` has been behind: the time since the first commit KV lacks, or `None` when
/// KV holds its revision.
pub fn publication_lag_ms(state: &KeyPublication, now: f64) -> Option<f64> {
    let since = state.behind_since.unwrap_or(state.revision_at);
    (state.published < state.revision).then(|| (now - since).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: u64, environment: &str, flags: &[&str]) -> ChangeEntry {
        ChangeEntry {
            version,
            environment: environment.into(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn changes_cover_exactly_the_versions_asked() {
        let log = [
            entry(5, "prod", &["a"]),
            entry(6, "dev", &["b"]),
            entry(7, "prod", &["c", "a"]),
            entry(8, "prod", &["d"]),
        ];
        let c = changes_since(&log, "prod", 5, 7);
        assert_eq!(
            (c.changed, c.complete),
            (vec!["a".into(), "c".into()], true)
        );
        let c = changes_since(&log, "prod", 2, 8);
        assert!(!c.complete, "versions 3 and 4 are not in the log");
        assert!(changes_since(&log, "prod", 8, 8).changed.is_empty());
        assert!(changes_since(&[], "prod", 3, 3).complete);
    }

    #[test]
    fn hand_reading_agrees_with_the_derived_reader() {
        let mut b = Beacon {
            version: 12,
            committed_at: 1_234.5,
            ..Beacon::default()
        };
        b.environments.insert(
            "prod".into(),
            EnvironmentState {
                snapshot: KeyPublication {
                    revision: 12,
                    published: 9,
                    revision_at: 1_000.0,
                    attempts: 3,
                    last_error: Some("429".into()),
                    failing_since: Some(900.0),
                    behind_since: Some(950.0),
                },
                public: KeyPublication::default(),
            },
        );
        let json = serde_json::to_value(&b).unwrap_or_default();
        assert_eq!(Beacon::from_json(&json), Some(b));
        assert_eq!(Beacon::from_json(&serde_json::Value::Null), None);
        let c = Changes {
            from: 3,
            to: 9,
            changed: vec!["a".into()],
            complete: true,
        };
        let json = serde_json::to_value(&c).unwrap_or_default();
        assert_eq!(Changes::from_json(&json), Some(c));
    }

    #[test]
    fn lag_only_while_behind() {
        let mut k = KeyPublication {
            revision: 9,
            published: 8,
            revision_at: 1_000.0,
            ..KeyPublication::default()
        };
        assert_eq!(publication_lag_ms(&k, 3_500.0), Some(2_500.0));
        k.behind_since = Some(500.0);
        assert_eq!(
            publication_lag_ms(&k, 3_500.0),
            Some(3_000.0),
            "from the first commit KV lacks, not the newest"
        );
        k.published = 9;
        assert_eq!(publication_lag_ms(&k, 3_500.0), None);
    }
}
