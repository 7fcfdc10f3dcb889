//! The store's rollup of batches into time series, independent of where it is stored.
//!
//! Every batch adds to a minute point and an hour point per (environment, flag); minute points
//! are kept [`MINUTE_RETENTION_MS`] (48 hours: "what did the last step of the rollout do"),
//! hour points [`HOUR_RETENTION_MS`] (90 days: trends and stale flags), and the per-day sketches
//! of unique contexts and of converting contexts [`DAY_RETENTION_MS`] (90 days). The store's
//! size therefore grows with flags × minutes, never with requests.
//!
//! Storage is the caller's: [`Series::add`] answers the keys of the rows it changed, which the
//! caller reads with [`Series::row`] and upserts (a Durable Object's SQLite table keyed by
//! [`RowKey`], for instance); [`Series::load`] puts stored rows back, and [`Series::prune`]
//! answers the keys it dropped. Counters for Prometheus (totals since the store began) and
//! "last evaluated" are rows too.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::readout::Arm;
use crate::sketch::Sketch;
use crate::{DAY_MS, HOUR_MS, MINUTE_MS, bucket_start};

/// How long minute points are kept.
pub const MINUTE_RETENTION_MS: i64 = 48 * HOUR_MS;
/// How long hour points are kept.
pub const HOUR_RETENTION_MS: i64 = 90 * DAY_MS;
/// How long the daily sketches (unique contexts, conversions) are kept.
pub const DAY_RETENTION_MS: i64 = 90 * DAY_MS;
/// At most this many event names per environment: a new name past it is not counted.
pub const MAX_EVENT_NAMES: usize = 1_000;
/// A query answers at most this many points; a finer step is widened to fit.
pub const MAX_POINTS: i64 = 1_500;

/// The bucket size of a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// One-minute buckets, kept 48 hours.
    Minute,
    /// One-hour buckets, kept 90 days.
    Hour,
}

impl Resolution {
    /// The bucket's length.
    pub fn bucket_ms(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
        }
    }

    /// How long points of this resolution are kept.
    pub fn retention_ms(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_RETENTION_MS,
            Resolution::Hour => HOUR_RETENTION_MS,
        }
    }
}

/// Evaluations of one flag in one environment over one bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// By variant served; evaluations that served the caller's default are under `reasons`
    /// and `evaluations` only.
    pub variants: BTreeMap<String, u64>,
    /// By reason.
    pub reasons: BTreeMap<String, u64>,
    /// Every evaluation.
    pub evaluations: u64,
}

impl Point {
    fn add(&mut self, other: &Point) {
        add_all(&mut self.variants, &other.variants);
        add_all(&mut self.reasons, &other.reasons);
        self.evaluations += other.evaluations;
    }
}

fn add_all(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// Which row: what a store keys its rows by. The fields name what they say; `start` and `day`
/// are bucket starts in epoch milliseconds.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RowKey {
    /// A [`Point`].
    Point {
        environment: String,
        flag: String,
        resolution: Resolution,
        start: i64,
    },
    /// The contexts served `variant` on the day starting at `day`.
    Contexts {
        environment: String,
        flag: String,
        variant: String,
        day: i64,
    },
    /// Occurrences of `event` attributed to `variant`, and the contexts behind them, per day.
    Conversions {
        environment: String,
        flag: String,
        variant: String,
        event: String,
        day: i64,
    },
    /// Evaluations since the store began (`variant` empty for the caller's default).
    EvaluationTotal {
        environment: String,
        flag: String,
        variant: String,
        reason: String,
    },
    /// Occurrences of a custom event since the store began.
    EventTotal { environment: String, event: String },
    /// The end of the latest batch that counted the flag.
    LastEvaluated { environment: String, flag: String },
}

/// What a row holds; `bytes` are a sketch's ([`Sketch::encode`]).
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RowValue {
    /// A minute or hour point.
    Point(Point),
    /// Unique contexts.
    Sketch { bytes: Vec<u8> },
    /// Attributed occurrences and the contexts behind them.
    Conversions { count: u64, bytes: Vec<u8> },
    /// A total, or a time in epoch milliseconds.
    Number { value: i64 },
}

/// A per-day sketch with a count beside it.
#[derive(Clone, Debug, Default)]
struct Tally {
    count: u64,
    contexts: Sketch,
}

/// The rollup of every batch added.
#[derive(Clone, Debug, Default)]
pub struct Series {
    points: BTreeMap<RowKey, Point>,
    sketches: BTreeMap<RowKey, Tally>,
    numbers: BTreeMap<RowKey, i64>,
}

impl Series {
    /// An empty rollup.
    pub fn new() -> Series {
        Series::default()
    }

    /// Rolls a validated batch up; its counts land in the bucket of its `end` (never later than
    /// `now_ms`). Answers the keys of the rows that changed.
    pub fn add(&mut self, batch: &Batch, now_ms: i64) -> Vec<RowKey> {
        let at = batch.end.min(now_ms);
        let day = bucket_start(at, DAY_MS);
        let mut changed = Vec::new();
        let mut points: BTreeMap<(&str, &str), Point> = BTreeMap::new();
        for c in &batch.counts {
            let p = points.entry((&c.environment, &c.flag)).or_default();
            if let Some(v) = &c.variant {
                *p.variants.entry(v.clone()).or_default() += c.count;
            }
            *p.reasons.entry(c.reason.clone()).or_default() += c.count;
            p.evaluations += c.count;
            let total = RowKey::EvaluationTotal {
                environment: c.environment.clone(),
                flag: c.flag.clone(),
                variant: c.variant.clone().unwrap_or_default(),
                reason: c.reason.clone(),
            };
            *self.numbers.entry(total.clone()).or_default() += c.count as i64;
            changed.push(total);
        }
        for ((environment, flag), point) in points {
            for resolution in [Resolution::Minute, Resolution::Hour] {
                let key = RowKey::Point {
                    environment: environment.into(),
                    flag: flag.into(),
                    resolution,
                    start: bucket_start(at, resolution.bucket_ms()),
                };
                self.points.entry(key.clone()).or_default().add(&point);
                changed.push(key);
            }
            let last = RowKey::LastEvaluated {
                environment: environment.into(),
                flag: flag.into(),
            };
            let slot = self.numbers.entry(last.clone()).or_insert(at);
            *slot = (*slot).max(at);
            changed.push(last);
        }
        for s in &batch.sketches {
            let (Some(variant), Ok(sketch)) = (&s.variant, s.sketch.sketch()) else {
                continue;
            };
            let key = RowKey::Contexts {
                environment: s.environment.clone(),
                flag: s.flag.clone(),
                variant: variant.clone(),
                day,
            };
            self.sketches
                .entry(key.clone())
                .or_default()
                .contexts
                .merge(&sketch);
            changed.push(key);
        }
        for e in &batch.events {
            let total = RowKey::EventTotal {
                environment: e.environment.clone(),
                event: e.name.clone(),
            };
            if !self.numbers.contains_key(&total)
                && self.event_names(&e.environment) >= MAX_EVENT_NAMES
            {
                // Names come from clients: a store's rows must not grow with made-up ones.
                continue;
            }
            *self.numbers.entry(total.clone()).or_default() += e.count as i64;
            changed.push(total);
            for a in &e.attributed {
                let key = RowKey::Conversions {
                    environment: e.environment.clone(),
                    flag: a.flag.clone(),
                    variant: a.variant.clone(),
                    event: e.name.clone(),
                    day,
                };
                let tally = self.sketches.entry(key.clone()).or_default();
                tally.count += a.count;
                if let Some(Ok(contexts)) = a.contexts.as_ref().map(|c| c.sketch()) {
                    tally.contexts.merge(&contexts);
                }
                changed.push(key);
            }
        }
        changed.sort();
        changed.dedup();
        changed
    }

    /// How many event names `environment` has totals for.
    fn event_names(&self, environment: &str) -> usize {
        self.numbers
            .keys()
            .filter(|k| matches!(k, RowKey::EventTotal { environment: e, .. } if e == environment))
            .count()
    }

    /// The stored form of one row, if the series has it.
    pub fn row(&self, key: &RowKey) -> Option<RowValue> {
        match key {
            RowKey::Point { .. } => self.points.get(key).cloned().map(RowValue::Point),
            RowKey::Contexts { .. } => self.sketches.get(key).map(|t| RowValue::Sketch {
                bytes: t.contexts.encode(),
            }),
            RowKey::Conversions { .. } => self.sketches.get(key).map(|t| RowValue::Conversions {
                count: t.count,
                bytes: t.contexts.encode(),
            }),
            _ => self
                .numbers
                .get(key)
                .map(|&value| RowValue::Number { value }),
        }
    }

    /// Puts a stored row back (replacing what the series holds for its key). A row whose
    /// value does not fit its key, or whose sketch does not decode, is skipped: answers false.
    pub fn load(&mut self, key: RowKey, value: RowValue) -> bool {
        match (&key, value) {
            (RowKey::Point { .. }, RowValue::Point(p)) => {
                self.points.insert(key, p);
            }
            (RowKey::Contexts { .. }, RowValue::Sketch { bytes }) => {
                let Ok(contexts) = Sketch::decode(&bytes) else {
                    return false;
                };
                self.sketches.insert(key, Tally { count: 0, contexts });
            }
            (RowKey::Conversions { .. }, RowValue::Conversions { count, bytes }) => {
                let Ok(contexts) = Sketch::decode(&bytes) else {
                    return false;
                };
                self.sketches.insert(key, Tally { count, contexts });
            }
            (
                RowKey::EvaluationTotal { .. }
                | RowKey::EventTotal { .. }
                | RowKey::LastEvaluated { .. },
                RowValue::Number { value },
            ) => {
                self.numbers.insert(key, value);
            }
            _ => return false,
        }
        true
    }

    /// Drops what is past its retention at `now_ms`; answers the dropped keys.
    pub fn prune(&mut self, now_ms: i64) -> Vec<RowKey> {
        let mut dropped = Vec::new();
        self.points.retain(|key, _| {
            let keep = match key {
                RowKey::Point {
                    resolution, start, ..
                } => *start + resolution.bucket_ms() > now_ms - resolution.retention_ms(),
                _ => true,
            };
            if !keep {
                dropped.push(key.clone());
            }
            keep
        });
        self.sketches.retain(|key, _| {
            let keep = match key {
                RowKey::Contexts { day, .. } | RowKey::Conversions { day, .. } => {
                    *day + DAY_MS > now_ms - DAY_RETENTION_MS
                }
                _ => true,
            };
            if !keep {
                dropped.push(key.clone());
            }
            keep
        });
        dropped
    }

    /// When `flag` was last counted in `environment` (epoch milliseconds).
    pub fn last_evaluated(&self, environment: &str, flag: &str) -> Option<i64> {
        self.numbers
            .get(&RowKey::LastEvaluated {
                environment: environment.into(),
                flag: flag.into(),
            })
            .copied()
    }

    /// Every evaluation total, for Prometheus: (environment, flag, variant or "", reason,
    /// count).
    pub fn evaluation_totals(&self) -> impl Iterator<Item = (&str, &str, &str, &str, u64)> {
        self.numbers.iter().filter_map(|(k, v)| match k {
            RowKey::EvaluationTotal {
                environment,
                flag,
                variant,
                reason,
            } => Some((
                environment.as_str(),
                flag.as_str(),
                variant.as_str(),
                reason.as_str(),
                *v as u64,
            )),
            _ => None,
        })
    }

    /// Every custom event total: (environment, event, count).
    pub fn event_totals(&self) -> impl Iterator<Item = (&str, &str, u64)> {
        self.numbers.iter().filter_map(|(k, v)| match k {
            RowKey::EventTotal { environment, event } => {
                Some((environment.as_str(), event.as_str(), *v as u64))
            }
            _ => None,
        })
    }

    /// The points of one flag at one resolution with `start` in `[from_ms, to_ms)`.
    fn points_in(
        &self,
        environment: &str,
        flag: &str,
        resolution: Resolution,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Iterator<Item = (i64, &Point)> {
        let key = |start| RowKey::Point {
            environment: environment.into(),
            flag: flag.into(),
            resolution,
            start,
        };
        self.points
            .range(key(from_ms)..key(to_ms.max(from_ms)))
            .filter_map(|(k, p)| match k {
                RowKey::Point { start, .. } => Some((*start, p)),
                _ => None,
            })
    }

    /// The daily sketches (or conversions) of one flag for days overlapping `[from_ms, to_ms)`,
    /// merged per variant.
    fn per_variant(
        &self,
        environment: &str,
        flag: &str,
        event: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> BTreeMap<&str, Tally> {
        let first_day = bucket_start(from_ms, DAY_MS);
        let mut out: BTreeMap<&str, Tally> = BTreeMap::new();
        for (key, tally) in &self.sketches {
            let (e, f, v, ev, day) = match key {
                RowKey::Contexts {
                    environment,
                    flag,
                    variant,
                    day,
                } => (environment, flag, variant, None, *day),
                RowKey::Conversions {
                    environment,
                    flag,
                    variant,
                    event,
                    day,
                } => (environment, flag, variant, Some(event.as_str()), *day),
                _ => continue,
            };
            if e == environment && f == flag && ev == event && day >= first_day && day < to_ms {
                let into = out.entry(v.as_str()).or_default();
                into.count += tally.count;
                into.contexts.merge(&tally.contexts);
            }
        }
        out
    }

    /// Evaluations of one flag over `[from_ms, to_ms)` in steps of `step_s` seconds.
    ///
    /// Minute points answer when the step is under an hour and the range starts within their
    /// 48 hours; hour points otherwise. The step is rounded up to a whole number of buckets
    /// (and widened to at most [`MAX_POINTS`] points); steps are aligned to the epoch, and
    /// every step in the range is listed, empty ones too. Unique contexts are per day: the
    /// contexts of every day the range touches.
    pub fn query(
        &self,
        environment: &str,
        flag: &str,
        from_ms: i64,
        to_ms: i64,
        step_s: u64,
        now_ms: i64,
    ) -> Answer {
        // At most 10 years, so the arithmetic below cannot overflow.
        let step_ms = i64::try_from(step_s.min(10 * 366 * 86_400) * 1000).unwrap_or(DAY_MS);
        let resolution = if step_ms < HOUR_MS && from_ms >= now_ms - MINUTE_RETENTION_MS {
            Resolution::Minute
        } else {
            Resolution::Hour
        };
        let bucket = resolution.bucket_ms();
        let span = (to_ms - from_ms).max(0);
        let ceil = |a: i64, b: i64| (a + b - 1) / b;
        let step_ms = ceil(step_ms.max(ceil(span, MAX_POINTS)).max(bucket), bucket) * bucket;
        let first = bucket_start(from_ms, step_ms);
        let mut series: Vec<SeriesPoint> = Vec::new();
        let mut start = first;
        while start < to_ms {
            series.push(SeriesPoint {
                start,
                ..SeriesPoint::default()
            });
            start = start.saturating_add(step_ms);
        }
        let mut total = Point::default();
        for (start, point) in self.points_in(environment, flag, resolution, first, to_ms) {
            let at = usize::try_from((start - first) / step_ms).unwrap_or(usize::MAX);
            if let Some(slot) = series.get_mut(at) {
                add_all(&mut slot.variants, &point.variants);
                add_all(&mut slot.reasons, &point.reasons);
                slot.evaluations += point.evaluations;
            }
            total.add(point);
        }
        let contexts = self.per_variant(environment, flag, None, first, to_ms);
        let mut all = Sketch::new();
        for tally in contexts.values() {
            all.merge(&tally.contexts);
        }
        Answer {
            resolution,
            step: step_ms / 1000,
            series,
            totals: Totals {
                evaluations: total.evaluations,
                variants: total.variants,
                reasons: total.reasons,
                unique_contexts: all.count(),
                unique_contexts_by_variant: contexts
                    .iter()
                    .map(|(v, t)| ((*v).into(), t.contexts.count()))
                    .collect(),
            },
            last_evaluated_at: self.last_evaluated(environment, flag),
        }
    }

    /// Every flag's use in every environment over `[from_ms, to_ms)`, from hour points: what
    /// the stale-flag rules and the flag list's "last evaluated" read. Flags never counted
    /// are absent.
    pub fn usage(&self, from_ms: i64, to_ms: i64) -> Vec<FlagUsage> {
        let mut out: BTreeMap<(&str, &str), FlagUsage> = BTreeMap::new();
        let entry = |environment: &str, flag: &str| -> FlagUsage {
            FlagUsage {
                environment: environment.into(),
                flag: flag.into(),
                last_evaluated_at: self.last_evaluated(environment, flag),
                ..FlagUsage::default()
            }
        };
        for (key, point) in &self.points {
            if let RowKey::Point {
                environment,
                flag,
                resolution: Resolution::Hour,
                start,
            } = key
            {
                let usage = out
                    .entry((environment, flag))
                    .or_insert_with(|| entry(environment, flag));
                if *start >= bucket_start(from_ms, HOUR_MS) && *start < to_ms {
                    usage.evaluations += point.evaluations;
                    add_all(&mut usage.variants, &point.variants);
                }
            }
        }
        for key in self.numbers.keys() {
            if let RowKey::LastEvaluated { environment, flag } = key {
                out.entry((environment, flag))
                    .or_insert_with(|| entry(environment, flag));
            }
        }
        out.into_values().collect()
    }

    /// The start of the oldest hour point kept: counting has run at least since then (`None`:
    /// nothing was ever counted, or it was all pruned).
    pub fn counting_since(&self) -> Option<i64> {
        self.points
            .keys()
            .filter_map(|k| match k {
                RowKey::Point {
                    resolution: Resolution::Hour,
                    start,
                    ..
                } => Some(*start),
                _ => None,
            })
            .min()
    }

    /// The experiment readout's input: per variant served over the days touching
    /// `[from_ms, to_ms)`, the unique contexts exposed and the unique contexts that tracked
    /// `event` (the attributed count where no contexts were sent), at most the exposures.
    pub fn arms(
        &self,
        environment: &str,
        flag: &str,
        event: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Vec<Arm> {
        let exposed = self.per_variant(environment, flag, None, from_ms, to_ms);
        let converted = self.per_variant(environment, flag, Some(event), from_ms, to_ms);
        exposed
            .iter()
            .map(|(variant, tally)| {
                let exposures = tally.contexts.count();
                let conversions = converted.get(variant).map_or(0, |c| {
                    if c.contexts.is_empty() {
                        c.count
                    } else {
                        c.contexts.count()
                    }
                });
                Arm {
                    variant: (*variant).into(),
                    exposures,
                    conversions: conversions.min(exposures),
                }
            })
            .collect()
    }
}

/// One step of a query's series.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    /// The step's start, epoch milliseconds.
    pub start: i64,
    /// Every evaluation in the step.
    pub evaluations: u64,
    /// By variant served.
    pub variants: BTreeMap<String, u64>,
    /// By reason.
    pub reasons: BTreeMap<String, u64>,
}

/// The sums over a query's range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Every evaluation in the range.
    pub evaluations: u64,
    /// By variant served.
    pub variants: BTreeMap<String, u64>,
    /// By reason.
    pub reasons: BTreeMap<String, u64>,
    /// Distinct contexts served any variant, over the days the range touches.
    pub unique_contexts: u64,
    /// Distinct contexts per variant.
    pub unique_contexts_by_variant: BTreeMap<String, u64>,
}

/// One flag's use in one environment, as [`Series::usage`] answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagUsage {
    /// The environment.
    pub environment: String,
    /// The flag's key.
    pub flag: String,
    /// When it was last counted there, epoch milliseconds.
    pub last_evaluated_at: Option<i64>,
    /// Evaluations over the range asked.
    pub evaluations: u64,
    /// Of those, by variant served.
    pub variants: BTreeMap<String, u64>,
}

/// What [`Series::query`] answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The points that answered.
    pub resolution: Resolution,
    /// The step used, in seconds.
    pub step: i64,
    /// Every step of the range, oldest first.
    pub series: Vec<SeriesPoint>,
    /// The sums over the range.
    pub totals: Totals,
    /// When the flag was last counted in the environment.
    pub last_evaluated_at: Option<i64>,
}

#[cfg(test)]
mod tests;
