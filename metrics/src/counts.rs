//! One isolate's (or one npm client's) counters between two flushes.
//!
//! Every evaluation route calls [`Aggregator::record`], so it must cost next to nothing: the
//! tallies are nested maps looked up by `&str` (no key is built to look one up), reasons are a
//! fixed array, and a flush zeroes the tallies instead of dropping them, so a key seen before
//! is counted without allocating. Only a tally that stayed zero for a whole window is dropped.
//! Memory is bounded, and a full counter's batch still passes [`Batch::validate`]: past
//! [`MAX_KEYS`] distinct (environment, flag, variant) keys, [`MAX_EVENTS`] distinct events or
//! [`MAX_ATTRIBUTED`] variants attributed per event, records only add to an `overflow` total;
//! an event's summed value stops at [`MAX_VALUE`] in magnitude.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use burgee_core::Reason;

use crate::batch::{
    Attribution, BATCH_VERSION, Batch, CountEntry, EventEntry, MAX_ATTRIBUTED, MAX_EVENTS,
    MAX_KEYS, MAX_VALUE, SketchBytes, SketchEntry,
};
use crate::sketch::Sketch;

const REASONS: usize = Reason::ALL.len();

/// The evaluations of one (environment, flag, variant): by reason, and the contexts.
#[derive(Clone, Debug, Default)]
struct Tally {
    reasons: [u64; REASONS],
    contexts: Sketch,
}

impl Tally {
    fn is_idle(&self) -> bool {
        self.reasons.iter().all(|c| *c == 0)
    }
}

/// One flag's tallies by variant; `none` is the caller's default.
#[derive(Clone, Debug, Default)]
struct FlagTally {
    none: Option<Tally>,
    variants: BTreeMap<String, Tally>,
}

#[derive(Clone, Debug, Default)]
struct EventTally {
    count: u64,
    value: Option<f64>,
    /// By flag, then variant: occurrences and the contexts that converted.
    attributed: BTreeMap<String, BTreeMap<String, (u64, Sketch)>>,
}

/// Counters for evaluations and custom events, drained into a [`Batch`].
#[derive(Clone, Debug)]
pub struct Aggregator {
    flags: BTreeMap<String, BTreeMap<String, FlagTally>>,
    events: BTreeMap<String, BTreeMap<String, EventTally>>,
    keys: usize,
    event_keys: usize,
    max_keys: usize,
    overflow: u64,
    start_ms: i64,
}

impl Aggregator {
    /// Empty counters whose first window starts at `now_ms`.
    pub fn new(now_ms: i64) -> Aggregator {
        Aggregator::with_max_keys(now_ms, MAX_KEYS)
    }

    /// Counters with a smaller cap on distinct keys and events (a larger one is [`MAX_KEYS`]
    /// and [`MAX_EVENTS`]: what a batch may carry).
    pub fn with_max_keys(now_ms: i64, max_keys: usize) -> Aggregator {
        Aggregator {
            flags: BTreeMap::new(),
            events: BTreeMap::new(),
            keys: 0,
            event_keys: 0,
            max_keys: max_keys.min(MAX_KEYS),
            overflow: 0,
            start_ms: now_ms,
        }
    }

    /// The tally of (environment, flag, variant), created if there is room (`None` past the
    /// cap on keys). A key seen before is found without allocating.
    fn tally(
        &mut self,
        environment: &str,
        flag: &str,
        variant: Option<&str>,
    ) -> Option<&mut Tally> {
        let known = self
            .flags
            .get(environment)
            .and_then(|flags| flags.get(flag))
            .is_some_and(|f| match variant {
                None => f.none.is_some(),
                Some(v) => f.variants.contains_key(v),
            });
        if known {
            let f = self.flags.get_mut(environment)?.get_mut(flag)?;
            return match variant {
                None => f.none.as_mut(),
                Some(v) => f.variants.get_mut(v),
            };
        }
        if self.keys >= self.max_keys {
            return None;
        }
        self.keys += 1;
        let f = self
            .flags
            .entry(environment.into())
            .or_default()
            .entry(flag.into())
            .or_default();
        Some(match variant {
            None => f.none.get_or_insert_with(Tally::default),
            Some(v) => f.variants.entry(v.into()).or_default(),
        })
    }

    /// Counts one evaluation; `context` is the keyed hash of its targeting key, when it has one.
    pub fn record(
        &mut self,
        environment: &str,
        flag: &str,
        variant: Option<&str>,
        reason: Reason,
        context: Option<u64>,
    ) {
        let Some(tally) = self.tally(environment, flag, variant) else {
            self.overflow += 1;
            return;
        };
        if let Some(c) = tally.reasons.get_mut(reason as usize) {
            *c += 1;
        }
        if let Some(hash) = context {
            tally.contexts.insert(hash);
        }
    }

    /// Adds `n` evaluations for one reason, and the contexts behind them, at once: what a host
    /// that counts in its own faster table folds in before a drain. Caps as [`Self::record`].
    pub fn add(
        &mut self,
        environment: &str,
        flag: &str,
        variant: Option<&str>,
        reason: Reason,
        n: u64,
        contexts: &Sketch,
    ) {
        let Some(tally) = self.tally(environment, flag, variant) else {
            self.overflow += n;
            return;
        };
        if let Some(c) = tally.reasons.get_mut(reason as usize) {
            *c = c.saturating_add(n);
        }
        tally.contexts.merge(contexts);
    }

    /// Counts one custom event, attributed to the `(flag, variant)` pairs this client was
    /// served for flags whose `experiment.events` name it.
    pub fn track<'a>(
        &mut self,
        environment: &str,
        name: &str,
        value: Option<f64>,
        context: Option<u64>,
        served: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        let seen = self
            .events
            .get(environment)
            .is_some_and(|e| e.contains_key(name));
        if !seen {
            if self.event_keys >= self.max_keys.min(MAX_EVENTS) {
                self.overflow += 1;
                return;
            }
            self.event_keys += 1;
        }
        let tally = self
            .events
            .entry(environment.into())
            .or_default()
            .entry(name.into())
            .or_default();
        tally.count += 1;
        if let Some(v) = value.filter(|v| v.is_finite()) {
            let sum = tally.value.get_or_insert(0.0);
            *sum = (*sum + v).clamp(-MAX_VALUE, MAX_VALUE);
        }
        for (flag, variant) in served {
            let seen = tally
                .attributed
                .get(flag)
                .is_some_and(|v| v.contains_key(variant));
            let attributed: usize = tally.attributed.values().map(BTreeMap::len).sum();
            if !seen && attributed >= MAX_ATTRIBUTED {
                self.overflow += 1;
                continue;
            }
            let (n, contexts) = tally
                .attributed
                .entry(flag.into())
                .or_default()
                .entry(variant.into())
                .or_default();
            *n += 1;
            if let Some(hash) = context {
                contexts.insert(hash);
            }
        }
    }

    /// Takes in a batch a client sent (already validated, unknown flags already dropped), as
    /// if its evaluations and events had been counted here. `context` is the keyed hash of the
    /// client's targeting key: its contexts are counted here, and the key itself goes no
    /// further. Sketches a client sends are ignored: a client is one context, and a sketch
    /// from outside could claim any number of users. Caps as [`Self::record`].
    pub fn absorb(&mut self, batch: &Batch, context: Option<u64>) {
        let mut one = Sketch::new();
        if let Some(hash) = context {
            one.insert(hash);
        }
        for c in &batch.counts {
            if let Some(reason) = crate::batch::reason_named(&c.reason) {
                self.add(
                    &c.environment,
                    &c.flag,
                    c.variant.as_deref(),
                    reason,
                    c.count,
                    &one,
                );
            }
        }
        for e in &batch.events {
            self.absorb_event(e, &one);
        }
        self.overflow = self.overflow.saturating_add(batch.overflow);
    }

    fn absorb_event(&mut self, e: &EventEntry, one: &Sketch) {
        let seen = self
            .events
            .get(&e.environment)
            .is_some_and(|events| events.contains_key(&e.name));
        if !seen {
            if self.event_keys >= self.max_keys.min(MAX_EVENTS) {
                self.overflow = self.overflow.saturating_add(e.count);
                return;
            }
            self.event_keys += 1;
        }
        let tally = self
            .events
            .entry(e.environment.clone())
            .or_default()
            .entry(e.name.clone())
            .or_default();
        tally.count = tally.count.saturating_add(e.count);
        if let Some(v) = e.value.filter(|v| v.is_finite()) {
            let sum = tally.value.get_or_insert(0.0);
            *sum = (*sum + v).clamp(-MAX_VALUE, MAX_VALUE);
        }
        for a in &e.attributed {
            let seen = tally
                .attributed
                .get(&a.flag)
                .is_some_and(|v| v.contains_key(&a.variant));
            let attributed: usize = tally.attributed.values().map(BTreeMap::len).sum();
            if !seen && attributed >= MAX_ATTRIBUTED {
                self.overflow = self.overflow.saturating_add(a.count);
                continue;
            }
            let (n, contexts) = tally
                .attributed
                .entry(a.flag.clone())
                .or_default()
                .entry(a.variant.clone())
                .or_default();
            *n = n.saturating_add(a.count);
            contexts.merge(one);
        }
    }

    /// Distinct (environment, flag, variant) keys held.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// Records refused for a cap since the last drain.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Everything counted since the last drain, as a batch for `[start, now_ms]`; the counters
    /// start a new window at `now_ms`.
    pub fn drain(&mut self, now_ms: i64) -> Batch {
        let mut batch = Batch {
            version: BATCH_VERSION,
            start: self.start_ms,
            end: now_ms,
            overflow: core::mem::take(&mut self.overflow),
            ..Batch::default()
        };
        // A tally nothing was counted in for a whole window goes; the others are zeroed below
        // and kept, so counting them again allocates nothing.
        let before = self.keys;
        let mut dropped = 0;
        self.flags.retain(|_, flags| {
            flags.retain(|_, t| {
                let had = usize::from(t.none.is_some()) + t.variants.len();
                if t.none.as_ref().is_some_and(Tally::is_idle_and_empty) {
                    t.none = None;
                }
                t.variants.retain(|_, v| !v.is_idle_and_empty());
                dropped += had - usize::from(t.none.is_some()) - t.variants.len();
                t.none.is_some() || !t.variants.is_empty()
            });
            !flags.is_empty()
        });
        self.keys = before - dropped;
        for (environment, flags) in &mut self.flags {
            for (flag, tallies) in flags.iter_mut() {
                let all = tallies
                    .none
                    .iter_mut()
                    .map(|t| (None, t))
                    .chain(tallies.variants.iter_mut().map(|(v, t)| (Some(v), t)));
                for (variant, tally) in all {
                    drain_tally(&mut batch, environment, flag, variant, tally);
                }
            }
        }
        batch.events = drain_events(core::mem::take(&mut self.events));
        self.event_keys = 0;
        self.start_ms = now_ms;
        batch
    }
}

impl Tally {
    /// Untouched for a whole window: drained to zero and nothing counted since.
    fn is_idle_and_empty(&self) -> bool {
        self.is_idle() && self.contexts.is_empty()
    }
}

fn drain_tally(
    batch: &mut Batch,
    environment: &str,
    flag: &str,
    variant: Option<&String>,
    tally: &mut Tally,
) {
    for (reason, count) in Reason::ALL.iter().zip(tally.reasons.iter_mut()) {
        if *count > 0 {
            batch.counts.push(CountEntry {
                environment: environment.into(),
                flag: flag.into(),
                variant: variant.cloned(),
                reason: reason.as_str().into(),
                count: core::mem::take(count),
            });
        }
    }
    if !tally.contexts.is_empty() {
        batch.sketches.push(SketchEntry {
            environment: environment.into(),
            flag: flag.into(),
            variant: variant.cloned(),
            sketch: SketchBytes::of(&tally.contexts),
        });
        tally.contexts.clear();
    }
}

fn drain_events(events: BTreeMap<String, BTreeMap<String, EventTally>>) -> Vec<EventEntry> {
    let mut out = Vec::new();
    for (environment, by_name) in events {
        for (name, tally) in by_name {
            let mut attributed = Vec::new();
            for (flag, variants) in tally.attributed {
                for (variant, (count, contexts)) in variants {
                    attributed.push(Attribution {
                        flag: flag.clone(),
                        variant,
                        count,
                        contexts: (!contexts.is_empty()).then(|| SketchBytes::of(&contexts)),
                    });
                }
            }
            out.push(EventEntry {
                environment: environment.clone(),
                name,
                value: tally.value,
                count: tally.count,
                attributed,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_client_batch_absorbed_counts_as_if_evaluated_here() {
        // A client (one context) evaluated and tracked; it sends no sketches.
        let mut client = Aggregator::new(0);
        for _ in 0..7 {
            client.record("prod", "f", Some("on"), Reason::Split, None);
        }
        client.record("prod", "g", None, Reason::Error, None);
        client.track("prod", "purchase", Some(2.5), None, [("f", "on")]);
        client.track("prod", "purchase", Some(1.0), None, [("f", "on")]);
        let batch = client.drain(10);
        // Here, with the client's context hashed by the edge.
        let mut edge = Aggregator::new(0);
        edge.absorb(&batch, Some(42));
        let mut direct = Aggregator::new(0);
        for _ in 0..7 {
            direct.record("prod", "f", Some("on"), Reason::Split, Some(42));
        }
        direct.record("prod", "g", None, Reason::Error, Some(42));
        direct.track("prod", "purchase", Some(2.5), Some(42), [("f", "on")]);
        direct.track("prod", "purchase", Some(1.0), Some(42), [("f", "on")]);
        let (mut absorbed, expected) = (edge.drain(10), direct.drain(10));
        absorbed.start = expected.start;
        assert_eq!(absorbed, expected);
        // Absorbing twice counts twice; the caps hold.
        let mut full = Aggregator::with_max_keys(0, 1);
        full.absorb(&batch, None);
        assert_eq!(full.keys(), 1);
        assert!(full.overflow() >= 1, "the second key went to overflow");
    }

    #[test]
    fn adding_n_at_once_is_recording_n_times() {
        let mut one_by_one = Aggregator::new(0);
        let mut sketch = Sketch::new();
        for i in 0..50u64 {
            one_by_one.record("prod", "f", Some("on"), Reason::Split, Some(i * 7919));
            sketch.insert(i * 7919);
        }
        one_by_one.record("prod", "f", None, Reason::Error, None);
        let mut at_once = Aggregator::new(0);
        at_once.add("prod", "f", Some("on"), Reason::Split, 50, &sketch);
        at_once.add("prod", "f", None, Reason::Error, 1, &Sketch::new());
        assert_eq!(at_once.drain(10), one_by_one.drain(10));
        let mut full = Aggregator::with_max_keys(0, 1);
        full.add("prod", "f", Some("on"), Reason::Split, 3, &sketch);
        full.add("prod", "g", Some("on"), Reason::Split, 4, &sketch);
        assert_eq!(
            (full.keys(), full.overflow()),
            (1, 4),
            "past the cap, counted as overflow"
        );
    }

    #[test]
    fn counts_by_variant_and_reason_and_drains_to_zero() {
        let hasher = crate::ContextHasher::new([7; 16]);
        let mut a = Aggregator::new(1_000);
        for i in 0..10u64 {
            let context = hasher.hash_bytes(&i.to_le_bytes());
            a.record("prod", "checkout", Some("on"), Reason::Split, Some(context));
        }
        a.record("prod", "checkout", Some("off"), Reason::Split, Some(99));
        a.record("prod", "checkout", None, Reason::Error, None);
        let again = hasher.hash_bytes(&1u64.to_le_bytes());
        a.record(
            "prod",
            "checkout",
            Some("on"),
            Reason::TargetingMatch,
            Some(again),
        );
        let batch = a.drain(11_000);
        assert_eq!((batch.start, batch.end), (1_000, 11_000));
        let count = |variant: Option<&str>, reason: &str| {
            batch
                .counts
                .iter()
                .find(|c| c.variant.as_deref() == variant && c.reason == reason)
                .map(|c| c.count)
        };
        assert_eq!(count(Some("on"), "SPLIT"), Some(10));
        assert_eq!(count(Some("on"), "TARGETING_MATCH"), Some(1));
        assert_eq!(count(Some("off"), "SPLIT"), Some(1));
        assert_eq!(count(None, "ERROR"), Some(1));
        assert_eq!(batch.counts.len(), 4);
        let on = batch
            .sketches
            .iter()
            .find(|s| s.variant.as_deref() == Some("on"))
            .unwrap();
        assert_eq!(on.sketch.sketch().unwrap().count(), 10);
        batch.validate(11_000).unwrap();
        // Nothing since: an empty batch for the next window, and idle keys are dropped.
        assert_eq!(a.keys(), 3);
        let empty = a.drain(21_000);
        assert!(empty.is_empty() && empty.start == 11_000);
        assert_eq!(a.keys(), 0);
    }

    #[test]
    fn the_cap_counts_overflow_instead_of_growing() {
        let mut a = Aggregator::with_max_keys(0, 2);
        a.record("prod", "a", Some("on"), Reason::Static, None);
        a.record("prod", "b", Some("on"), Reason::Static, None);
        a.record("prod", "c", Some("on"), Reason::Static, None);
        a.record("prod", "a", Some("on"), Reason::Static, None);
        a.track("prod", "e1", None, None, []);
        a.track("prod", "e2", None, None, []);
        a.track("prod", "e3", None, None, []);
        assert_eq!((a.keys(), a.overflow()), (2, 2));
        let batch = a.drain(1);
        assert_eq!(batch.overflow, 2);
        assert_eq!(batch.counts.len(), 2);
        assert_eq!(batch.events.len(), 2);
        assert_eq!(a.overflow(), 0);
    }

    #[test]
    fn a_full_counter_still_makes_a_valid_batch() {
        let mut a = Aggregator::new(0);
        for i in 0..MAX_KEYS + 10 {
            let flag = alloc::format!("flag-{i}");
            for reason in Reason::ALL {
                a.record("prod", &flag, Some("on"), reason, Some(i as u64));
            }
        }
        for i in 0..MAX_EVENTS + 5 {
            let name = alloc::format!("event-{i}");
            a.track("prod", &name, Some(MAX_VALUE), None, []);
            a.track("prod", &name, Some(MAX_VALUE), None, []);
        }
        let flags: alloc::vec::Vec<_> = (0..MAX_ATTRIBUTED + 3)
            .map(|i| alloc::format!("f{i}"))
            .collect();
        a.track(
            "prod",
            "event-0",
            None,
            None,
            flags.iter().map(|f| (f.as_str(), "on")),
        );
        let overflow = 10 * Reason::ALL.len() as u64 + 2 * 5 + 3;
        assert_eq!(a.overflow(), overflow);
        let batch = a.drain(1);
        assert_eq!(batch.counts.len(), MAX_KEYS * Reason::ALL.len());
        assert_eq!(batch.events.len(), MAX_EVENTS);
        assert_eq!(batch.events[0].value, Some(MAX_VALUE));
        batch.validate(1).unwrap();
    }

    #[test]
    fn events_sum_values_and_attribute_to_served_variants() {
        let mut a = Aggregator::new(0);
        let hasher = crate::ContextHasher::new([7; 16]);
        let (u1, u2) = (Some(hasher.hash("u1")), Some(hasher.hash("u2")));
        a.track("prod", "purchase", Some(10.0), u1, [("checkout", "on")]);
        a.track("prod", "purchase", Some(2.5), u1, [("checkout", "on")]);
        a.track("prod", "purchase", None, u2, [("checkout", "off")]);
        a.track("prod", "signup", None, None, []);
        let batch = a.drain(10);
        let purchase = batch.events.iter().find(|e| e.name == "purchase").unwrap();
        assert_eq!((purchase.count, purchase.value), (3, Some(12.5)));
        let on = purchase
            .attributed
            .iter()
            .find(|x| x.variant == "on")
            .unwrap();
        assert_eq!(on.count, 2);
        let contexts = on.contexts.as_ref().unwrap().sketch().unwrap();
        assert_eq!(contexts.count(), 1);
        let signup = batch.events.iter().find(|e| e.name == "signup").unwrap();
        assert_eq!((signup.value, signup.attributed.len()), (None, 0));
        batch.validate(10).unwrap();
    }
}
