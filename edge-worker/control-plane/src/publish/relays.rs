//! Which relays have which beacon and snapshots: the writer pushes each new beacon (and the
//! snapshot bytes a relay lacks) to every relay it knows, and retries a relay that failed with
//! backoff. Relays register themselves by pulling the store's state once, when they start
//! empty, so the writer needs no list of regions.

use std::collections::BTreeMap;

/// What one relay has acknowledged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelayState {
    /// The beacon generation it holds.
    pub seq: u64,
    /// The revision of each key it holds.
    pub revisions: BTreeMap<String, u64>,
    pub attempts: u32,
    /// Not before this time (epoch ms), after a failure.
    pub next_at: f64,
}

/// Every known relay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Relays {
    /// The current beacon's generation: bumped whenever the beacon changes.
    pub seq: u64,
    relays: BTreeMap<String, RelayState>,
}

/// Longest wait between pushes to a failing relay.
const MAX_RELAY_BACKOFF_MS: f64 = 30_000.0;

impl Relays {
    /// Adds a relay; `true` when it was not known.
    pub fn register(&mut self, name: &str) -> bool {
        if self.relays.contains_key(name) {
            return false;
        }
        self.relays.insert(name.to_string(), RelayState::default());
        true
    }

    pub fn names(&self) -> Vec<String> {
        self.relays.keys().cloned().collect()
    }

    /// The beacon changed.
    pub fn bump(&mut self) {
        self.seq += 1;
    }

    /// Relays that lack the current beacon and may be pushed to at `now`.
    pub fn due(&self, now: f64) -> Vec<String> {
        self.relays
            .iter()
            .filter(|(_, r)| r.seq < self.seq && now >= r.next_at)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Of `keys` (`(key, revision)`), those `relay` lacks.
    pub fn missing(&self, relay: &str, keys: &[(String, u64)]) -> Vec<(String, u64)> {
        let held = self.relays.get(relay);
        keys.iter()
            .filter(|(k, rev)| {
                held.and_then(|r| r.revisions.get(k))
                    .is_none_or(|h| h < rev)
            })
            .cloned()
            .collect()
    }

    /// `relay` now holds beacon generation `seq` and these key revisions.
    pub fn acked(&mut self, relay: &str, seq: u64, keys: &[(String, u64)]) {
        if let Some(r) = self.relays.get_mut(relay) {
            r.seq = r.seq.max(seq);
            for (k, rev) in keys {
                let held = r.revisions.entry(k.clone()).or_default();
                *held = (*held).max(*rev);
            }
            r.attempts = 0;
            r.next_at = 0.0;
        }
    }

    pub fn failed(&mut self, relay: &str, now: f64) {
        if let Some(r) = self.relays.get_mut(relay) {
            r.attempts = r.attempts.saturating_add(1);
            let exponent = r.attempts.saturating_sub(1).min(16);
            let wait = (250.0 * f64::from(1u32 << exponent)).min(MAX_RELAY_BACKOFF_MS);
            r.next_at = now + wait;
        }
    }

    /// When a relay that lacks the beacon may next be pushed to.
    pub fn next_wake(&self) -> Option<f64> {
        self.relays
            .values()
            .filter(|r| r.seq < self.seq)
            .map(|r| r.next_at)
            .min_by(f64::total_cmp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relays_get_what_they_lack_and_back_off() {
        let mut r = Relays::default();
        assert!(r.register("p:relay:global") && !r.register("p:relay:global"));
        r.bump();
        assert_eq!(r.due(0.0), ["p:relay:global"]);
        let keys = vec![
            ("snapshot:prod".to_string(), 4),
            ("public:prod".to_string(), 2),
        ];
        assert_eq!(r.missing("p:relay:global", &keys).len(), 2);
        r.failed("p:relay:global", 1_000.0);
        assert!(r.due(1_100.0).is_empty());
        assert_eq!(r.next_wake(), Some(1_250.0));
        r.acked("p:relay:global", 1, &keys);
        assert!(r.due(2_000.0).is_empty() && r.next_wake().is_none());
        let newer = vec![
            ("snapshot:prod".to_string(), 5),
            ("public:prod".to_string(), 2),
        ];
        assert_eq!(
            r.missing("p:relay:global", &newer),
            [("snapshot:prod".to_string(), 5)]
        );
    }
}
