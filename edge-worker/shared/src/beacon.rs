//! The freshness beacon: how every isolate learns, within about a second, that the store has
//! a newer version, without waiting for Workers KV to propagate (up to a minute, plus the read
//! cache of each location).
//!
//! The writer pushes the beacon to the relays (fan-out Durable Objects, one per region) after
//! every commit and publication step. Each location fetches its region's beacon at most once a
//! second and shares it through the Cache API; an isolate that sees a revision newer than the
//! one it serves fetches that snapshot from the relay. The beacon also carries how far Workers
//! KV is behind, so `/health` can say so anywhere.

use std::collections::BTreeMap;

use burgee_api::KeyPublication;
use serde::{Deserialize, Serialize};

use crate::kv::{Kind, SnapshotKey};

/// How often a location asks for the beacon, at most.
pub const BEACON_INTERVAL_MS: f64 = 1_000.0;

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

impl Beacon {
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

/// How long `state` has been behind: the time since the revision KV lacks was committed, or
/// `None` when KV holds it.
pub fn publication_lag_ms(state: &KeyPublication, now: f64) -> Option<f64> {
    (state.published < state.revision).then(|| (now - state.revision_at).max(0.0))
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
    fn lag_only_while_behind() {
        let mut k = KeyPublication {
            revision: 9,
            published: 8,
            revision_at: 1_000.0,
            ..KeyPublication::default()
        };
        assert_eq!(publication_lag_ms(&k, 3_500.0), Some(2_500.0));
        k.published = 9;
        assert_eq!(publication_lag_ms(&k, 3_500.0), None);
    }
}
