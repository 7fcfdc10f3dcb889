#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::batch::{Attribution, CountEntry, EventEntry, SketchBytes, SketchEntry};
use crate::{Aggregator, ContextHasher};
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use burgee_core::Reason;

/// 2026-12-01T09:00:00Z.
const T0: i64 = 1_796_115_600_000;

fn count(flag: &str, variant: Option<&str>, reason: &str, n: u64) -> CountEntry {
    CountEntry {
        environment: "production".into(),
        flag: flag.into(),
        variant: variant.map(Into::into),
        reason: reason.into(),
        count: n,
    }
}

fn batch(end: i64, counts: Vec<CountEntry>) -> Batch {
    Batch {
        version: 1,
        start: end - 10_000,
        end,
        counts,
        ..Batch::default()
    }
}

#[test]
fn minute_steps_add_up_exactly() {
    let mut s = Series::new();
    // 400 evaluations over three minutes: 100 + 100 in the first, 200 in the third.
    s.add(
        &batch(T0 + 10_000, vec![count("f", Some("on"), "SPLIT", 100)]),
        T0 + 10_000,
    );
    s.add(
        &batch(T0 + 50_000, vec![count("f", Some("off"), "SPLIT", 100)]),
        T0 + 50_000,
    );
    s.add(
        &batch(
            T0 + 130_000,
            vec![
                count("f", Some("on"), "SPLIT", 150),
                count("f", None, "ERROR", 50),
            ],
        ),
        T0 + 130_000,
    );
    let a = s.query("production", "f", T0, T0 + 180_000, 60, T0 + 180_000);
    assert_eq!((a.resolution, a.step), (Resolution::Minute, 60));
    assert_eq!(a.series.len(), 3);
    assert_eq!(a.series[0].start, T0);
    assert_eq!(a.series[0].variants["on"], 100);
    assert_eq!(a.series[0].variants["off"], 100);
    assert_eq!(a.series[1].evaluations, 0);
    assert_eq!(a.series[2].variants["on"], 150);
    assert_eq!(a.series[2].reasons["ERROR"], 50);
    assert_eq!(a.totals.evaluations, 400);
    assert_eq!(a.totals.variants["on"], 250);
    assert_eq!(a.totals.reasons["SPLIT"], 350);
    assert_eq!(a.last_evaluated_at, Some(T0 + 130_000));
    // Another flag, environment or range sees nothing.
    assert_eq!(
        s.query("production", "g", T0, T0 + 180_000, 60, T0)
            .totals
            .evaluations,
        0
    );
    assert_eq!(s.last_evaluated("staging", "f"), None);
    // Five-minute steps hold the same counts.
    let five = s.query("production", "f", T0, T0 + 300_000, 300, T0 + 300_000);
    assert_eq!(five.series.len(), 1);
    assert_eq!(five.series[0].evaluations, 400);
}

#[test]
fn long_ranges_use_hour_points_and_fit_the_point_cap() {
    let mut s = Series::new();
    s.add(&batch(T0, vec![count("f", Some("on"), "STATIC", 7)]), T0);
    let now = T0 + 3 * DAY_MS;
    // The range starts before the minute points' 48 hours: hour points.
    let a = s.query("production", "f", T0 - DAY_MS, now, 60, now);
    assert_eq!((a.resolution, a.step), (Resolution::Hour, 3600));
    assert_eq!(a.totals.evaluations, 7);
    // 90 days in 60-second steps would be 129,600 points: widened to whole hours under 1,500.
    let a = s.query("production", "f", now - 90 * DAY_MS, now, 60, now);
    assert!(a.series.len() as i64 <= MAX_POINTS, "{}", a.series.len());
    assert_eq!(a.step % 3600, 0);
    assert_eq!(a.totals.evaluations, 7);
    // An hourly step within 48 hours uses hour points too.
    let recent = s.query(
        "production",
        "f",
        T0 - HOUR_MS,
        T0 + HOUR_MS,
        3600,
        T0 + HOUR_MS,
    );
    assert_eq!(recent.resolution, Resolution::Hour);
    assert_eq!(recent.series[1].evaluations, 7);
}

#[test]
fn pruning_keeps_each_resolution_for_its_retention() {
    let mut s = Series::new();
    s.add(&batch(T0, vec![count("f", Some("on"), "STATIC", 1)]), T0);
    assert!(s.prune(T0 + MINUTE_RETENTION_MS).is_empty());
    let dropped = s.prune(T0 + MINUTE_RETENTION_MS + MINUTE_MS);
    assert_eq!(dropped.len(), 1);
    assert!(matches!(
        dropped[0],
        RowKey::Point {
            resolution: Resolution::Minute,
            ..
        }
    ));
    let later = T0 + 60 * DAY_MS;
    assert_eq!(
        s.query("production", "f", T0 - HOUR_MS, later, 3600, later)
            .totals
            .evaluations,
        1
    );
    assert_eq!(s.prune(T0 + HOUR_RETENTION_MS + HOUR_MS).len(), 1);
    // Totals and the last evaluation stay: they are counters.
    assert_eq!(s.evaluation_totals().count(), 1);
    assert_eq!(s.last_evaluated("production", "f"), Some(T0));
}

#[test]
fn unique_contexts_and_experiment_arms_come_from_the_sketches() {
    let hasher = ContextHasher::new([9; 16]);
    let mut agg = Aggregator::new(T0 - 10_000);
    for i in 0..300 {
        let context = hasher.hash(&format!("user-{i}"));
        let variant = if i % 3 == 0 { "on" } else { "off" };
        agg.record(
            "production",
            "f",
            Some(variant),
            Reason::Split,
            Some(context),
        );
        if i % 10 == 0 {
            agg.track(
                "production",
                "purchase",
                Some(5.0),
                Some(context),
                [("f", variant)],
            );
        }
    }
    let b = agg.drain(T0);
    let mut s = Series::new();
    s.add(&b, T0);
    // The same contexts again the next minute do not count twice.
    let mut again = b.clone();
    again.start += MINUTE_MS;
    again.end += MINUTE_MS;
    s.add(&again, T0 + MINUTE_MS);
    let a = s.query("production", "f", T0, T0 + HOUR_MS, 60, T0 + HOUR_MS);
    assert_eq!(a.totals.evaluations, 600);
    // Sketches are estimates: within 2 % (or one context).
    let near = |got: u64, want: u64| got.abs_diff(want) <= (want / 50).max(1);
    assert!(near(a.totals.unique_contexts, 300), "{:?}", a.totals);
    assert!(near(a.totals.unique_contexts_by_variant["on"], 100));
    let arms = s.arms("production", "f", "purchase", T0, T0 + HOUR_MS);
    let on = arms.iter().find(|a| a.variant == "on").unwrap();
    // users 0, 30, 60, ... are on (multiples of 3 and 10): 10 of them, each tracked twice.
    assert!(
        near(on.exposures, 100) && near(on.conversions, 10),
        "{on:?}"
    );
    let off = arms.iter().find(|a| a.variant == "off").unwrap();
    assert!(
        near(off.exposures, 200) && near(off.conversions, 20),
        "{off:?}"
    );
    let events: Vec<_> = s.event_totals().collect();
    assert_eq!(events, [("production", "purchase", 60)]);
}

#[test]
fn conversions_without_contexts_use_the_attributed_count() {
    let mut s = Series::new();
    let mut sketch = Sketch::new();
    let hasher = ContextHasher::new([1; 16]);
    for i in 0..50 {
        sketch.insert(hasher.hash(&i.to_string()));
    }
    let b = Batch {
        version: 1,
        start: T0 - 1,
        end: T0,
        sketches: vec![SketchEntry {
            environment: "production".into(),
            flag: "f".into(),
            variant: Some("on".into()),
            sketch: SketchBytes::of(&sketch),
        }],
        events: vec![EventEntry {
            environment: "production".into(),
            name: "purchase".into(),
            value: None,
            count: 80,
            attributed: vec![Attribution {
                flag: "f".into(),
                variant: "on".into(),
                count: 80,
                contexts: None,
            }],
        }],
        ..Batch::default()
    };
    s.add(&b, T0);
    let arms = s.arms("production", "f", "purchase", T0, T0 + 1);
    // 80 occurrences from 50 exposed contexts: capped at the exposures.
    assert_eq!(arms[0].exposures, 50);
    assert_eq!(arms[0].conversions, 50);
}

#[test]
fn rows_round_trip_through_storage() {
    let hasher = ContextHasher::new([2; 16]);
    let mut agg = Aggregator::new(T0 - 10_000);
    for i in 0..20 {
        let context = hasher.hash(&format!("u{i}"));
        agg.record("production", "f", Some("on"), Reason::Split, Some(context));
        agg.track("production", "buy", None, Some(context), [("f", "on")]);
    }
    let mut s = Series::new();
    let changed = s.add(&agg.drain(T0), T0);
    let mut stored = Series::new();
    for key in &changed {
        let value = s.row(key).unwrap();
        // Rows go through JSON, as a store would keep them.
        let key_json = serde_json::to_string(key).unwrap();
        let value_json = serde_json::to_string(&value).unwrap();
        assert!(stored.load(
            serde_json::from_str(&key_json).unwrap(),
            serde_json::from_str(&value_json).unwrap()
        ));
    }
    let q = |s: &Series| s.query("production", "f", T0 - HOUR_MS, T0 + HOUR_MS, 60, T0);
    assert_eq!(q(&stored), q(&s));
    assert_eq!(
        stored.arms("production", "f", "buy", T0, T0 + 1),
        s.arms("production", "f", "buy", T0, T0 + 1)
    );
    assert!(!stored.load(
        RowKey::EventTotal {
            environment: "production".into(),
            event: "buy".into()
        },
        RowValue::Sketch { bytes: vec![0] }
    ));
}

#[test]
fn stored_rows_hold_no_targeting_key() {
    let hasher = ContextHasher::new([4; 16]);
    let ids: Vec<String> = (0..200).map(|i| format!("alice-{i}@example.com")).collect();
    let mut agg = Aggregator::new(T0 - 10_000);
    for id in &ids {
        let context = Some(hasher.hash(id));
        agg.record("production", "f", Some("on"), Reason::Split, context);
        agg.track("production", "buy", Some(1.0), context, [("f", "on")]);
    }
    let batch = agg.drain(T0);
    let mut s = Series::new();
    let mut stored = Vec::new();
    for key in s.add(&batch, T0) {
        stored.extend(serde_json::to_vec(&key).unwrap());
        let value = s.row(&key).unwrap();
        stored.extend(serde_json::to_vec(&value).unwrap());
        if let RowValue::Sketch { bytes } | RowValue::Conversions { bytes, .. } = value {
            stored.extend(bytes);
        }
    }
    stored.extend(batch.to_json().into_bytes());
    for id in &ids {
        assert!(
            !stored.windows(id.len()).any(|w| w == id.as_bytes()),
            "{id} is stored"
        );
    }
    assert!(!stored.windows(5).any(|w| w == b"alice"));
}

#[test]
fn usage_sums_hour_points_in_range_and_lists_every_flag_counted() {
    let mut s = Series::new();
    assert_eq!(s.counting_since(), None);
    let day = DAY_MS;
    // Ten days ago: "old" served "on" and "off"; today only "on" twice.
    s.add(
        &batch(T0 - 10 * day, vec![count("old", Some("off"), "SPLIT", 5)]),
        T0,
    );
    s.add(&batch(T0, vec![count("old", Some("on"), "SPLIT", 7)]), T0);
    s.add(
        &batch(T0 + HOUR_MS, vec![count("new", None, "ERROR", 2)]),
        T0 + HOUR_MS,
    );
    let recent = s.usage(T0 - day, T0 + 2 * HOUR_MS);
    let old = recent.iter().find(|u| u.flag == "old").unwrap();
    assert_eq!(old.evaluations, 7, "the point ten days ago is out of range");
    assert_eq!(old.variants.len(), 1);
    assert_eq!(old.variants["on"], 7);
    assert_eq!(old.last_evaluated_at, Some(T0));
    let new = recent.iter().find(|u| u.flag == "new").unwrap();
    assert_eq!((new.evaluations, new.variants.len()), (2, 0));
    let all = s.usage(T0 - 30 * day, T0 + 2 * HOUR_MS);
    assert_eq!(
        all.iter().find(|u| u.flag == "old").unwrap().evaluations,
        12
    );
    assert_eq!(
        s.counting_since(),
        Some(bucket_start(T0 - 10 * day, HOUR_MS))
    );
    // A range with no points still lists what was ever counted, with nothing in it.
    let none = s.usage(T0 + 5 * day, T0 + 6 * day);
    assert_eq!(none.len(), 2);
    assert!(none.iter().all(|u| u.evaluations == 0));
}

#[test]
fn event_names_are_capped_per_environment() {
    let mut s = Series::new();
    let events = |from: usize, to: usize| Batch {
        events: (from..to)
            .map(|i| EventEntry {
                environment: "production".into(),
                name: format!("e{i}"),
                value: None,
                count: 1,
                attributed: vec![],
            })
            .collect(),
        ..batch(T0, vec![])
    };
    s.add(&events(0, 1_000), T0);
    s.add(&events(999, 1_500), T0);
    let names: Vec<_> = s.event_totals().collect();
    assert_eq!(
        names.len(),
        MAX_EVENT_NAMES,
        "new names past the cap are dropped"
    );
    assert!(
        names.iter().any(|(_, n, c)| *n == "e999" && *c == 2),
        "a known name still counts"
    );
}
