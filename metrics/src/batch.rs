//! The wire form of what a counter sends: isolates flush it to the metrics store, and the npm
//! package POSTs it to `/v1/metrics` as JSON. It is untrusted input at the edge, so it is
//! validated whole before anything is counted: a bad batch is refused with a [`BatchError`]
//! the edge turns into a 4xx, and changes nothing.
//!
//! ```json
//! { "version": 1, "start": 1796115600000, "end": 1796115610000,
//!   "counts": [ { "environment": "production", "flag": "checkout", "variant": "on",
//!                 "reason": "SPLIT", "count": 12 } ],
//!   "sketches": [ { "environment": "production", "flag": "checkout", "variant": "on",
//!                   "sketch": "AQ4AAQCDNAE=" } ],
//!   "events": [ { "environment": "production", "name": "purchase", "value": 59.8, "count": 2,
//!                 "attributed": [ { "flag": "checkout", "variant": "on", "count": 2 } ] } ],
//!   "overflow": 0 }
//! ```
//!
//! Times are epoch milliseconds; a count without `variant` served the caller's default; a
//! sketch is [`Sketch::encode`]'s bytes in standard base64 (a third of the size of a number
//! array, and one string for the JSON parser).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use burgee_core::Reason;
use burgee_core::key::{valid_event_name, valid_key};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::sketch::{Sketch, SketchError};
use crate::{HOUR_MS, MINUTE_MS};

/// The batch format this build writes and reads.
pub const BATCH_VERSION: u32 = 1;
/// At most this many (environment, flag, variant) keys in one batch: what one counter holds
/// at most ([`crate::counts::Aggregator`] caps itself here), so a full counter's batch is
/// accepted.
pub const MAX_KEYS: usize = 10_000;
/// At most this many count entries: one per key and reason.
pub const MAX_COUNTS: usize = MAX_KEYS * Reason::ALL.len();
/// At most this many sketches: one per key.
pub const MAX_SKETCHES: usize = MAX_KEYS;
/// At most this many event entries, and attributions per event.
pub const MAX_EVENTS: usize = 1_000;
/// At most this many attributions per event.
pub const MAX_ATTRIBUTED: usize = 100;
/// The longest targeting key a client batch may name.
pub const MAX_TARGETING_KEY_BYTES: usize = 1_024;
/// The largest count one entry may carry: far above what an isolate counts in a flush.
pub const MAX_COUNT: u64 = 1_000_000_000;
/// The largest magnitude of an event's summed value.
pub const MAX_VALUE: f64 = 1e15;
/// A batch's window may end at most this far in the future (clock skew) ...
pub const MAX_SKEW_MS: i64 = 5 * MINUTE_MS;
/// ... and start at most this far in the past (a client retrying after being offline).
pub const MAX_AGE_MS: i64 = 24 * HOUR_MS;

/// One isolate's or client's counts over a window `[start, end]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// [`BATCH_VERSION`].
    pub version: u32,
    /// The window counted, epoch milliseconds.
    pub start: i64,
    /// The window's end: when the counter was drained.
    pub end: i64,
    /// Evaluations by key and reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<CountEntry>,
    /// Unique contexts by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sketches: Vec<SketchEntry>,
    /// Custom events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventEntry>,
    /// Evaluations not counted by key because the counter was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub overflow: u64,
    /// A client's batch: the targeting key of the one context it counted for. The edge hashes
    /// it into the unique-context sketches and sends it no further; isolates' batches have
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting_key: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Evaluations of one flag that served one variant for one reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountEntry {
    /// The environment evaluated in.
    pub environment: String,
    /// The flag's key.
    pub flag: String,
    /// `None`: the caller's default was served (an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// One of the evaluation reasons (`SPLIT`, `TARGETING_MATCH`, ...).
    pub reason: String,
    /// How many such evaluations.
    pub count: u64,
}

/// The contexts one flag served one variant to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SketchEntry {
    /// The environment evaluated in.
    pub environment: String,
    /// The flag's key.
    pub flag: String,
    /// The variant served (`None`: the caller's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The contexts it was served to.
    pub sketch: SketchBytes,
}

/// A custom event (`track`), and the variants it is attributed to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEntry {
    /// The environment of the client that tracked it.
    pub environment: String,
    /// The event's name (the event-name syntax of the core's `key` module).
    pub name: String,
    /// The sum of the values tracked with it, when any had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// How many times it was tracked.
    pub count: u64,
    /// Its occurrences by the variants they are attributed to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributed: Vec<Attribution>,
}

/// Occurrences of an event by contexts that were served `variant` of `flag`, a flag whose
/// `experiment.events` names the event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    /// A flag naming the event in `experiment.events`.
    pub flag: String,
    /// The variant of it the client was served.
    pub variant: String,
    /// Occurrences while served it.
    pub count: u64,
    /// The contexts that converted, so a readout counts each once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<SketchBytes>,
}

/// A sketch's bytes, written as standard base64.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SketchBytes(pub Vec<u8>);

impl SketchBytes {
    /// The bytes of `sketch`.
    pub fn of(sketch: &Sketch) -> SketchBytes {
        SketchBytes(sketch.encode())
    }

    /// The sketch these bytes encode.
    pub fn sketch(&self) -> Result<Sketch, SketchError> {
        Sketch::decode(&self.0)
    }
}

impl Serialize for SketchBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for SketchBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map(SketchBytes)
            .map_err(|_| de::Error::custom("a sketch is standard base64"))
    }
}

/// Why a batch is refused.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchError {
    /// Not JSON of this shape (the parser's message).
    Json(String),
    /// A version other than [`BATCH_VERSION`].
    Version(u32),
    /// `start` after `end`, or the window outside what `now` accepts.
    Window {
        /// The batch's `start`.
        start: i64,
        /// The batch's `end`.
        end: i64,
        /// The receiver's time.
        now: i64,
    },
    /// A list longer than its cap.
    TooMany {
        /// What the list holds.
        what: &'static str,
        /// Its cap.
        max: usize,
    },
    /// A flag, environment or variant breaking the key syntax, or an event name breaking its.
    InvalidName {
        /// What the name names.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A reason that is not an evaluation reason.
    UnknownReason(String),
    /// A count above [`MAX_COUNT`].
    CountTooLarge(u64),
    /// An attribution counting more than its event.
    AttributionTooLarge {
        /// The event's name.
        event: String,
    },
    /// An event value beyond [`MAX_VALUE`].
    ValueOutOfRange,
    /// A sketch that does not decode.
    Sketch(SketchError),
}

impl BatchError {
    /// A stable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::Json(_) => "invalid-json",
            BatchError::Version(_) => "unsupported-version",
            BatchError::Window { .. } => "window-out-of-range",
            BatchError::TooMany { .. } => "too-many-entries",
            BatchError::InvalidName { .. } => "invalid-name",
            BatchError::UnknownReason(_) => "unknown-reason",
            BatchError::CountTooLarge(_) | BatchError::AttributionTooLarge { .. } => {
                "count-out-of-range"
            }
            BatchError::ValueOutOfRange => "value-out-of-range",
            BatchError::Sketch(_) => "invalid-sketch",
        }
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Json(why) => write!(f, "the batch does not read: {why}"),
            BatchError::Version(v) => write!(
                f,
                "batch version {v} is not supported (version {BATCH_VERSION} is)"
            ),
            BatchError::Window { start, end, now } => write!(
                f,
                "the batch's window {start}..{end} must be ordered, end at most {MAX_SKEW_MS} ms after now ({now}) and start at most {MAX_AGE_MS} ms before it"
            ),
            BatchError::TooMany { what, max } => write!(f, "a batch holds at most {max} {what}"),
            BatchError::InvalidName { what, name } => write!(f, "invalid {what} {name:?}"),
            BatchError::UnknownReason(r) => write!(f, "unknown reason {r:?}"),
            BatchError::CountTooLarge(c) => {
                write!(f, "a count is at most {MAX_COUNT}, not {c}")
            }
            BatchError::AttributionTooLarge { event } => {
                write!(
                    f,
                    "event {event:?} attributes more occurrences than it counts"
                )
            }
            BatchError::ValueOutOfRange => {
                write!(f, "an event's value is at most {MAX_VALUE} in magnitude")
            }
            BatchError::Sketch(e) => write!(f, "{e}"),
        }
    }
}

fn key(what: &'static str, name: &str) -> Result<(), BatchError> {
    if valid_key(name) {
        Ok(())
    } else {
        Err(BatchError::InvalidName {
            what,
            name: name.into(),
        })
    }
}

fn count(c: u64) -> Result<(), BatchError> {
    if c <= MAX_COUNT {
        Ok(())
    } else {
        Err(BatchError::CountTooLarge(c))
    }
}

fn at_most(what: &'static str, len: usize, max: usize) -> Result<(), BatchError> {
    if len <= max {
        Ok(())
    } else {
        Err(BatchError::TooMany { what, max })
    }
}

/// The reason named `name`.
pub fn reason_named(name: &str) -> Option<Reason> {
    Reason::ALL.into_iter().find(|r| r.as_str() == name)
}

impl Batch {
    /// Reads and validates a batch received at `now_ms`.
    pub fn from_json(text: &str, now_ms: i64) -> Result<Batch, BatchError> {
        let batch: Batch =
            serde_json::from_str(text).map_err(|e| BatchError::Json(e.to_string()))?;
        batch.validate(now_ms)?;
        Ok(batch)
    }

    /// The JSON the npm package POSTs.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether the batch carries nothing to count.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
            && self.sketches.is_empty()
            && self.events.is_empty()
            && self.overflow == 0
    }

    /// Checks every cap and name; `Ok` means every entry may be counted.
    pub fn validate(&self, now_ms: i64) -> Result<(), BatchError> {
        if self.version != BATCH_VERSION {
            return Err(BatchError::Version(self.version));
        }
        let window_ok = self.start <= self.end
            && self.end <= now_ms.saturating_add(MAX_SKEW_MS)
            && self.start >= now_ms.saturating_sub(MAX_AGE_MS);
        if !window_ok {
            return Err(BatchError::Window {
                start: self.start,
                end: self.end,
                now: now_ms,
            });
        }
        let key_len = self.targeting_key.as_ref().map_or(0, String::len);
        at_most("bytes in targetingKey", key_len, MAX_TARGETING_KEY_BYTES)?;
        at_most("counts", self.counts.len(), MAX_COUNTS)?;
        at_most("sketches", self.sketches.len(), MAX_SKETCHES)?;
        at_most("events", self.events.len(), MAX_EVENTS)?;
        count(self.overflow)?;
        for c in &self.counts {
            key("environment", &c.environment)?;
            key("flag", &c.flag)?;
            if let Some(v) = &c.variant {
                key("variant", v)?;
            }
            if reason_named(&c.reason).is_none() {
                return Err(BatchError::UnknownReason(c.reason.clone()));
            }
            count(c.count)?;
        }
        for s in &self.sketches {
            key("environment", &s.environment)?;
            key("flag", &s.flag)?;
            if let Some(v) = &s.variant {
                key("variant", v)?;
            }
            s.sketch.sketch().map_err(BatchError::Sketch)?;
        }
        self.events.iter().try_for_each(validate_event)
    }

    /// Drops what concerns flags or variants `known(environment, flag, variant)` does not know
    /// (deleted, archived, never existed), including attributions to them; answers how many
    /// entries went. `variant` is `None` for a count that served the caller's default.
    pub fn retain_known(&mut self, known: impl Fn(&str, &str, Option<&str>) -> bool) -> usize {
        let before = self.counts.len() + self.sketches.len();
        self.counts
            .retain(|c| known(&c.environment, &c.flag, c.variant.as_deref()));
        self.sketches
            .retain(|s| known(&s.environment, &s.flag, s.variant.as_deref()));
        let mut dropped = before - self.counts.len() - self.sketches.len();
        for e in &mut self.events {
            let before = e.attributed.len();
            e.attributed
                .retain(|a| known(&e.environment, &a.flag, Some(&a.variant)));
            dropped += before - e.attributed.len();
        }
        dropped
    }

    /// The one environment every entry names (`None`: the batch is empty, or names several).
    pub fn environment(&self) -> Option<&str> {
        let mut names = self
            .counts
            .iter()
            .map(|c| &c.environment)
            .chain(self.sketches.iter().map(|s| &s.environment))
            .chain(self.events.iter().map(|e| &e.environment));
        let first = names.next()?;
        names.all(|n| n == first).then_some(first.as_str())
    }
}

fn validate_event(e: &EventEntry) -> Result<(), BatchError> {
    key("environment", &e.environment)?;
    if !valid_event_name(&e.name) {
        return Err(BatchError::InvalidName {
            what: "event name",
            name: e.name.clone(),
        });
    }
    count(e.count)?;
    if e.value
        .is_some_and(|v| !v.is_finite() || v.abs() > MAX_VALUE)
    {
        return Err(BatchError::ValueOutOfRange);
    }
    at_most("attributions per event", e.attributed.len(), MAX_ATTRIBUTED)?;
    for a in &e.attributed {
        key("flag", &a.flag)?;
        key("variant", &a.variant)?;
        if a.count > e.count {
            return Err(BatchError::AttributionTooLarge {
                event: e.name.clone(),
            });
        }
        if let Some(contexts) = &a.contexts {
            contexts.sketch().map_err(BatchError::Sketch)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::vec;
    use serde_json::json;

    const NOW: i64 = 1_796_115_610_000;

    fn sample() -> serde_json::Value {
        let mut sketch = Sketch::new();
        sketch.insert(0x1234_5678_9abc_def0);
        let sketch = STANDARD.encode(sketch.encode());
        json!({"version": 1, "start": NOW - 10_000, "end": NOW,
            "counts": [
                {"environment": "production", "flag": "checkout", "variant": "on", "reason": "SPLIT", "count": 12},
                {"environment": "production", "flag": "gone", "reason": "ERROR", "count": 1}
            ],
            "sketches": [{"environment": "production", "flag": "checkout", "variant": "on", "sketch": sketch}],
            "events": [{"environment": "production", "name": "purchase", "value": 59.8, "count": 2,
                "attributed": [{"flag": "checkout", "variant": "on", "count": 2, "contexts": sketch},
                               {"flag": "gone", "variant": "on", "count": 1}]}]})
    }

    fn with(change: impl FnOnce(&mut serde_json::Value)) -> Result<Batch, BatchError> {
        let mut v = sample();
        change(&mut v);
        Batch::from_json(&v.to_string(), NOW)
    }

    #[test]
    fn a_good_batch_reads_and_round_trips() {
        let batch = with(|_| {}).unwrap();
        assert_eq!(batch.counts[1].variant, None);
        assert_eq!(batch.sketches[0].sketch.sketch().unwrap().count(), 1);
        let again = Batch::from_json(&batch.to_json(), NOW).unwrap();
        assert_eq!(again, batch);
        assert!(!batch.is_empty());
        // The module's example sketch: one register (index 1234, value 3).
        let example: SketchBytes = serde_json::from_str("\"AQ4AAQCDNAE=\"").unwrap();
        assert_eq!(example.sketch().unwrap().count(), 1);
    }

    #[test]
    fn bad_batches_are_refused_with_their_reason() {
        let code = |r: Result<Batch, BatchError>| r.unwrap_err().code();
        assert_eq!(code(Batch::from_json("{", NOW)), "invalid-json");
        assert_eq!(
            code(with(|v| v["version"] = json!(2))),
            "unsupported-version"
        );
        assert_eq!(
            code(with(|v| v["start"] = json!(NOW + 1))),
            "window-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["end"] = json!(NOW + MAX_SKEW_MS + 1))),
            "window-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["start"] = json!(NOW - MAX_AGE_MS - 1))),
            "window-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["counts"][0]["count"] = json!(-1))),
            "invalid-json"
        );
        assert_eq!(
            code(with(|v| v["counts"][0]["count"] = json!(MAX_COUNT + 1))),
            "count-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["counts"][0]["flag"] = json!("bad key"))),
            "invalid-name"
        );
        assert_eq!(
            code(with(|v| v["counts"][0]["reason"] = json!("MAYBE"))),
            "unknown-reason"
        );
        assert_eq!(
            code(with(|v| v["events"][0]["name"] = json!("x".repeat(65)))),
            "invalid-name"
        );
        assert_eq!(
            code(with(|v| v["events"][0]["value"] = json!(1e16))),
            "value-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["events"][0]["attributed"][0]["count"] = json!(3))),
            "count-out-of-range"
        );
        assert_eq!(
            code(with(|v| v["sketches"][0]["sketch"] = json!("AQ4H"))),
            "invalid-sketch"
        );
        assert_eq!(
            code(with(|v| v["sketches"][0]["sketch"] = json!("not base64!"))),
            "invalid-json"
        );
        let many: Vec<_> = (0..=MAX_EVENTS)
            .map(|_| json!({"environment": "p", "name": "e", "count": 1}))
            .collect();
        let e = with(|v| v["events"] = json!(many)).unwrap_err();
        assert_eq!(e.code(), "too-many-entries");
        assert_eq!(e.to_string(), "a batch holds at most 1000 events");
    }

    #[test]
    fn unknown_flags_are_dropped() {
        let mut batch = with(|_| {}).unwrap();
        let dropped = batch.retain_known(|env, flag, _| env == "production" && flag == "checkout");
        assert_eq!(dropped, 2);
        assert_eq!(batch.counts.len(), 1);
        assert_eq!(batch.events[0].attributed.len(), 1);
        // A variant the flag does not have goes too.
        let mut batch = with(|_| {}).unwrap();
        batch.retain_known(|_, _, variant| variant.is_none());
        assert!(batch.counts.iter().all(|c| c.variant.is_none()));
        assert!(batch.events.iter().all(|e| e.attributed.is_empty()));
        assert_eq!(batch.environment(), Some("production"));
        assert_eq!(vec![reason_named("SPLIT")], vec![Some(Reason::Split)]);
    }
}
