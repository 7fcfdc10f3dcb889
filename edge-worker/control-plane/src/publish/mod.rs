//! Getting every committed version into Workers KV and to the relays, and never anything older.
//!
//! Workers KV takes one write per second per key and answers `429` past it; writes can fail or
//! time out. So publication is a state machine per key, separate from commits: a commit only
//! records the revision a key must reach ([`Publisher::want`]); the publisher writes the newest
//! revision when the key's last write is at least a second old, never has two writes of one
//! key in flight, retries failures with exponential backoff (up to a minute), and keeps going
//! until every key holds its revision. A burst of writes thus coalesces into at most one write
//! per key and second, and since a key is only ever written with the newest revision and never
//! twice at once, an older snapshot cannot land after a newer one. A write whose outcome is
//! unknown (a timeout) may still land late, so the key is left alone for
//! [`STRAGGLER_WINDOW_MS`] before the newest revision is written again over it.
//!
//! The machine is pure (time is an argument), so it is tested natively against a double of KV
//! as strict as the real service ([`faults`]); the Durable Object drives it from its alarm.

pub mod faults;
pub mod kv;
pub mod relays;
pub mod snapshots;

use std::collections::BTreeMap;

use burgee_api::KeyPublication;

use crate::store::rows::StoredKey;

/// Workers KV's limit: one write per second per key.
pub const MIN_WRITE_INTERVAL_MS: f64 = 1_000.0;
/// The longest wait between retries of a failing key.
pub const MAX_BACKOFF_MS: f64 = 60_000.0;
/// After a write whose outcome is unknown, how long it may still land: the key is not written
/// again before, so a late landing can never overwrite a newer write.
pub const STRAGGLER_WINDOW_MS: f64 = 10_000.0;

/// How a write to Workers KV ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvResult {
    Written,
    /// `429`: over the rate.
    RateLimited,
    /// The write did not happen.
    Failed(String),
    /// It may or may not have happened (a timeout, a `5xx` after sending).
    Unknown(String),
}

/// One key's state: what is stored, plus what only matters while the object runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyState {
    pub stored: StoredKey,
    /// The revision being written, while a write is in flight.
    pub in_flight: Option<u64>,
    /// Not before this time (epoch ms): the rate limit or the backoff.
    pub next_at: f64,
    /// The key is to be deleted (its environment is gone).
    pub delete: bool,
}

/// What a finished write means for the log, when it means anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub key: String,
    pub revision: u64,
    pub message: String,
}

/// Every key's publication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Publisher {
    keys: BTreeMap<String, KeyState>,
}

impl Publisher {
    /// The publisher of a store that has just started: what it had stored; writes may start now
    /// unless the last one was less than a second ago.
    pub fn from_stored(stored: BTreeMap<String, StoredKey>) -> Publisher {
        let keys = stored
            .into_iter()
            .map(|(key, stored)| {
                let next_at = stored
                    .last_write_at
                    .map_or(0.0, |t| t + MIN_WRITE_INTERVAL_MS);
                let state = KeyState {
                    stored,
                    next_at,
                    ..KeyState::default()
                };
                (key, state)
            })
            .collect();
        Publisher { keys }
    }

    /// A commit changed `key`'s content: it must reach `revision` (bytes hashing to `hash`).
    pub fn want(&mut self, key: &str, revision: u64, hash: &str, now: f64) {
        let state = self.keys.entry(key.to_string()).or_default();
        if revision > state.stored.revision {
            state.stored.revision = revision;
            state.stored.revision_at = now;
            state.stored.behind_since.get_or_insert(now);
            state.stored.hash = hash.into();
            state.delete = false;
        }
    }

    /// `key`'s environment is gone: delete it.
    pub fn want_deleted(&mut self, key: &str, revision: u64, now: f64) {
        let state = self.keys.entry(key.to_string()).or_default();
        state.stored.revision = revision;
        state.stored.revision_at = now;
        state.stored.behind_since.get_or_insert(now);
        state.stored.hash.clear();
        state.delete = true;
    }

    pub fn get(&self, key: &str) -> Option<&KeyState> {
        self.keys.get(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = (&String, &KeyState)> {
        self.keys.iter()
    }

    fn behind(state: &KeyState) -> bool {
        state.stored.published < state.stored.revision
    }

    /// The keys whose write may start at `now`, with the revision to write.
    pub fn due(&self, now: f64) -> Vec<(String, u64)> {
        self.keys
            .iter()
            .filter(|(_, s)| s.in_flight.is_none() && now >= s.next_at && Self::behind(s))
            .map(|(k, s)| (k.clone(), s.stored.revision))
            .collect()
    }

    /// A write of `key` starts.
    pub fn start(&mut self, key: &str, now: f64) {
        if let Some(state) = self.keys.get_mut(key) {
            state.in_flight = Some(state.stored.revision);
            state.stored.last_write_at = Some(now);
            state.next_at = now + MIN_WRITE_INTERVAL_MS;
        }
    }

    /// A write of `key` at `revision` ended with `outcome`. Returns what to log.
    pub fn finish(
        &mut self,
        key: &str,
        revision: u64,
        outcome: &KvResult,
        now: f64,
    ) -> Option<Note> {
        let state = self.keys.get_mut(key)?;
        state.in_flight = None;
        let failure = match outcome {
            KvResult::Written => {
                state.stored.published = state.stored.published.max(revision);
                if state.stored.published >= state.stored.revision {
                    state.stored.behind_since = None;
                }
                let recovered = state.stored.attempts > 0;
                state.stored.attempts = 0;
                state.stored.last_error = None;
                state.stored.failing_since = None;
                let wait = state.stored.last_write_at.unwrap_or(now) + MIN_WRITE_INTERVAL_MS;
                state.next_at = state.next_at.max(wait);
                return recovered.then(|| Note {
                    key: key.into(),
                    revision,
                    message: "published after failures".into(),
                });
            }
            KvResult::RateLimited => "Workers KV answered 429 (over one write per second)".into(),
            KvResult::Failed(why) => format!("write failed: {why}"),
            KvResult::Unknown(why) => {
                state.next_at = state.next_at.max(now + STRAGGLER_WINDOW_MS);
                format!("write outcome unknown: {why}")
            }
        };
        state.stored.attempts = state.stored.attempts.saturating_add(1);
        state.stored.failing_since.get_or_insert(now);
        state.stored.last_error = Some(failure.clone());
        let exponent = state.stored.attempts.saturating_sub(1).min(16);
        let backoff = (MIN_WRITE_INTERVAL_MS * f64::from(1u32 << exponent)).min(MAX_BACKOFF_MS);
        state.next_at = state.next_at.max(now + backoff);
        Some(Note {
            key: key.into(),
            revision,
            message: format!("{failure}; attempt {}", state.stored.attempts),
        })
    }

    /// A deleted key is gone for good.
    pub fn forget(&mut self, key: &str) {
        self.keys.remove(key);
    }

    /// When there is next something to do (`None`: everything is published).
    pub fn next_wake(&self) -> Option<f64> {
        self.keys
            .values()
            .filter(|s| s.in_flight.is_none() && Self::behind(s))
            .map(|s| s.next_at)
            .min_by(f64::total_cmp)
    }

    /// What the beacon says about `key`.
    pub fn publication(&self, key: &str) -> KeyPublication {
        self.keys
            .get(key)
            .map(|s| KeyPublication {
                revision: s.stored.revision,
                published: s.stored.published,
                revision_at: s.stored.revision_at,
                behind_since: s.stored.behind_since,
                attempts: s.stored.attempts,
                last_error: s.stored.last_error.clone(),
                failing_since: s.stored.failing_since,
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
