// Test code: a failed expectation should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{BTreeMap, HashMap};

use super::faults::{Decision, FaultPlan, StrictKv};
use super::*;

const KEYS: [&str; 3] = [
    "snapshot:production",
    "public:production",
    "snapshot:staging",
];

/// What the simulated KV holds and every write it saw.
#[derive(Default)]
struct World {
    /// Key → the revision it holds.
    kv: HashMap<String, u64>,
    /// Landings that would have made a key go backwards.
    backwards: Vec<String>,
    rate_limited: usize,
    failed: usize,
    unknown: usize,
    stragglers: usize,
    writes: HashMap<String, Vec<f64>>,
}

impl World {
    fn land(&mut self, key: &str, revision: u64) {
        let held = self.kv.entry(key.to_string()).or_default();
        if revision < *held {
            self.backwards
                .push(format!("{key}: {revision} over {held}"));
        } else {
            *held = revision;
        }
    }
}

/// An event of the simulation: a write ends (and maybe lands), or a straggler lands.
enum Event {
    Finish {
        key: String,
        revision: u64,
        outcome: KvResult,
        lands: bool,
    },
    Straggler {
        key: String,
        revision: u64,
    },
}

/// Runs the publisher against the strict double: `commits` are `(time, keys, version)`;
/// faults last until `faults_until`. Returns the world and the publisher at `end`.
fn simulate(
    commits: &[(f64, Vec<&str>, u64)],
    plan: FaultPlan,
    faults_until: f64,
    end: f64,
) -> (World, Publisher) {
    let mut publisher = Publisher::default();
    let mut double = StrictKv::new(plan);
    let mut world = World::default();
    let mut events: BTreeMap<(u64, usize), Event> = BTreeMap::new();
    let mut seq = 0usize;
    let mut in_flight: HashMap<String, usize> = HashMap::new();
    let mut now = 0.0;
    while now <= end {
        if now >= faults_until && double.plan != FaultPlan::default() {
            double.plan = FaultPlan::default();
        }
        let due_events: Vec<(u64, usize)> = events
            .range(..=(now as u64, usize::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in due_events {
            match events.remove(&k).unwrap() {
                Event::Finish {
                    key,
                    revision,
                    outcome,
                    lands,
                } => {
                    if lands {
                        world.land(&key, revision);
                    }
                    *in_flight.get_mut(&key).unwrap() -= 1;
                    publisher.finish(&key, revision, &outcome, now);
                }
                Event::Straggler { key, revision } => {
                    world.stragglers += 1;
                    world.land(&key, revision);
                }
            }
        }
        for (t, keys, version) in commits {
            if *t == now {
                for key in keys {
                    publisher.want(key, *version, "h", now);
                }
            }
        }
        for (key, revision) in publisher.due(now) {
            publisher.start(&key, now);
            let flying = in_flight.entry(key.clone()).or_default();
            *flying += 1;
            assert_eq!(*flying, 1, "two writes of {key} in flight");
            world.writes.entry(key.clone()).or_default().push(now);
            let base = seq;
            seq += 2;
            let at = |after: f64| ((now + after).ceil() as u64, base);
            let finish = |outcome, lands| Event::Finish {
                key: key.clone(),
                revision,
                outcome,
                lands,
            };
            match double.decide(&key, now) {
                Decision::RateLimited => {
                    world.rate_limited += 1;
                    events.insert(at(0.0), finish(KvResult::RateLimited, false));
                }
                Decision::Land { after } => {
                    events.insert(at(after), finish(KvResult::Written, true));
                }
                Decision::Fail { after } => {
                    world.failed += 1;
                    events.insert(at(after), finish(KvResult::Failed("503".into()), false));
                }
                Decision::Unknown { after, lands } => {
                    world.unknown += 1;
                    events.insert(
                        at(after),
                        finish(KvResult::Unknown("timeout".into()), false),
                    );
                    if let Some(lands) = lands {
                        let when = ((now + lands).ceil() as u64, base + 1);
                        events.insert(
                            when,
                            Event::Straggler {
                                key: key.clone(),
                                revision,
                            },
                        );
                    }
                }
            }
        }
        now += 10.0;
    }
    (world, publisher)
}

/// 100 writes over five seconds, each changing one to three keys, then a kill switch.
fn burst() -> Vec<(f64, Vec<&'static str>, u64)> {
    let mut commits: Vec<(f64, Vec<&str>, u64)> = (1..=100u64)
        .map(|v| {
            let keys = match v % 4 {
                0 => vec![KEYS[0], KEYS[1]],
                1 => vec![KEYS[0]],
                2 => vec![KEYS[2]],
                _ => KEYS.to_vec(),
            };
            ((v * 50) as f64, keys, v)
        })
        .collect();
    commits.push((6_000.0, vec![KEYS[0]], 101));
    commits
}

fn stormy() -> FaultPlan {
    FaultPlan::parse(
        r#"{"failPercent": 25, "unknownPercent": 25, "delayMs": [20, 300], "straggleMs": 3000, "seed": 42}"#,
    )
    .unwrap()
}

#[test]
fn a_burst_is_coalesced_to_one_write_per_key_and_second() {
    let (world, publisher) = simulate(&burst(), FaultPlan::default(), 0.0, 20_000.0);
    assert_eq!(world.rate_limited, 0, "never over KV's rate");
    for key in KEYS {
        let times = &world.writes[key];
        assert!(
            times.windows(2).all(|w| w[1] - w[0] >= 1_000.0),
            "{key}: {times:?}"
        );
        assert!(
            times.len() <= 8,
            "{key}: {} writes for ~6 s of changes",
            times.len()
        );
    }
    assert_eq!(world.kv[KEYS[0]], 101, "the kill switch landed");
    assert_eq!(world.kv[KEYS[1]], 100);
    assert_eq!(world.kv[KEYS[2]], 99);
    assert_eq!(publisher.next_wake(), None, "nothing left to do");
    assert!(world.backwards.is_empty());
}

#[test]
fn faults_are_retried_until_the_newest_lands_and_nothing_goes_back() {
    let (world, publisher) = simulate(&burst(), stormy(), 30_000.0, 150_000.0);
    assert_eq!(world.rate_limited, 0);
    assert!(world.backwards.is_empty(), "{:?}", world.backwards);
    for key in KEYS {
        let state = publisher.get(key).unwrap();
        assert_eq!(state.stored.published, state.stored.revision, "{key}");
        assert_eq!(world.kv[key], state.stored.revision, "{key}");
        assert_eq!(state.stored.attempts, 0);
        assert!(state.stored.last_error.is_none());
    }
    assert!(
        world.failed >= 2 && world.unknown >= 1 && world.stragglers >= 1,
        "the storm happened: {} failed, {} unknown, {} landed late",
        world.failed,
        world.unknown,
        world.stragglers
    );
}

#[test]
fn late_landings_never_overwrite_newer_writes() {
    let mut late = 0;
    for seed in 1..=12 {
        let plan = FaultPlan::parse(&format!(
            r#"{{"unknownPercent": 60, "delayMs": [10, 50], "straggleMs": 8000, "seed": {seed}}}"#
        ))
        .unwrap();
        let (world, _) = simulate(&burst(), plan, 20_000.0, 120_000.0);
        late += world.stragglers;
        assert!(
            world.backwards.is_empty(),
            "seed {seed}: {:?}",
            world.backwards
        );
    }
    assert!(late >= 10, "writes landed late {late} times");
}

#[test]
fn a_failing_key_backs_off_to_a_minute_and_says_why() {
    let mut p = Publisher::default();
    p.want("snapshot:p", 3, "h", 0.0);
    let mut now = 0.0;
    let mut waits = Vec::new();
    for _ in 0..9 {
        let due = p.due(now);
        assert_eq!(due, vec![("snapshot:p".to_string(), 3)]);
        p.start("snapshot:p", now);
        let note = p
            .finish("snapshot:p", 3, &KvResult::Failed("503".into()), now)
            .unwrap();
        assert!(note.message.contains("503"), "{}", note.message);
        let next = p.next_wake().unwrap();
        waits.push(next - now);
        now = next;
    }
    assert_eq!(waits[..4], [1_000.0, 2_000.0, 4_000.0, 8_000.0]);
    assert_eq!(*waits.last().unwrap(), MAX_BACKOFF_MS);
    let state = p.publication("snapshot:p");
    assert_eq!((state.revision, state.published, state.attempts), (3, 0, 9));
    assert_eq!(state.failing_since, Some(0.0));
    assert_eq!(
        state.behind_since,
        Some(0.0),
        "behind since the first commit KV lacks"
    );
    p.want("snapshot:p", 4, "h", now);
    assert_eq!(
        p.publication("snapshot:p").behind_since,
        Some(0.0),
        "a newer commit keeps it"
    );
    p.start("snapshot:p", now);
    let note = p.finish("snapshot:p", 3, &KvResult::Written, now).unwrap();
    assert_eq!(note.message, "published after failures");
    assert_eq!(p.publication("snapshot:p").failing_since, None);
    assert!(
        p.publication("snapshot:p").behind_since.is_some(),
        "revision 4 is still missing"
    );
    p.start("snapshot:p", now + 1_000.0);
    p.finish("snapshot:p", 4, &KvResult::Written, now + 1_000.0);
    assert_eq!(p.publication("snapshot:p").behind_since, None);
    assert_eq!(p.next_wake(), None);
}

#[test]
fn a_restarted_store_respects_the_last_write_and_an_unknown_outcome_waits() {
    let stored = BTreeMap::from([(
        "snapshot:p".to_string(),
        StoredKey {
            revision: 5,
            published: 4,
            last_write_at: Some(10_000.0),
            ..StoredKey::default()
        },
    )]);
    let mut p = Publisher::from_stored(stored);
    assert!(
        p.due(10_500.0).is_empty(),
        "less than a second after the last write"
    );
    assert_eq!(p.due(11_000.0).len(), 1);
    p.start("snapshot:p", 11_000.0);
    p.finish(
        "snapshot:p",
        5,
        &KvResult::Unknown("timeout".into()),
        11_100.0,
    );
    assert!(p.due(20_000.0).is_empty(), "a late landing may still come");
    assert_eq!(p.due(11_100.0 + STRAGGLER_WINDOW_MS).len(), 1);
    p.want("snapshot:p", 4, "old", 30_000.0);
    assert_eq!(
        p.get("snapshot:p").unwrap().stored.revision,
        5,
        "never back"
    );
}
