//! Usage counting at the edge: every evaluation the routes answer (OFREP single and bulk,
//! REST, gating and bootstrap) is counted in this isolate's memory, per environment, flag,
//! variant and reason, with the contexts in a sketch of keyed hashes (never the targeting key
//! itself). Counts go into a table indexed by the snapshot's flag and variant indices (an
//! array increment, no key compared), folded into the aggregator by name when they are sent. Nothing is sent while a request is answered: the first count after a flush
//! schedules one, `waitUntil` after the response, [`FLUSH_MS`] later, so an isolate sends at
//! most one batch per 10 s to the project's metrics store (a Durable Object that is not the
//! writer). A flush that fails is logged and its counts are lost: counting never slows or
//! fails an evaluation.

use std::cell::RefCell;

use burgee_core::{Detail, Reason, Snapshot};
use burgee_edge_shared::{bindings, internal};
use burgee_metrics::{Aggregator, ContextHasher, Sketch};
use worker::{Context, Env, Method, Request, RequestInit};

/// How long an isolate gathers counts before it sends them.
pub const FLUSH_MS: u64 = 10_000;

/// The key of the contexts' hashes. The sketches keep only the highest bit position seen per
/// register, which no key can be read back from; the key keeps the hashes themselves, which
/// never leave the isolate, from being the same as anyone else's.
const HASHER: ContextHasher = ContextHasher::new(*b"burgee:contexts1");

/// One environment's counters for the snapshot it counts against, by flag and variant index:
/// an evaluation adds to an array slot, with no key compared or copied. Folded into the
/// aggregator (by name) at each flush, and when the environment's snapshot changes.
struct Table {
    environment: String,
    version: u64,
    /// By flag index, by variant index + 1 (slot 0: the caller's default was served).
    flags: Vec<Vec<Slot>>,
}

#[derive(Default)]
struct Slot {
    /// The flag's key and the variant's name, copied on first use.
    names: Option<(String, Option<String>)>,
    reasons: [u64; Reason::ALL.len()],
    contexts: Sketch,
}

impl Table {
    fn new(environment: &str, version: u64) -> Table {
        Table {
            environment: environment.to_string(),
            version,
            flags: Vec::new(),
        }
    }

    fn count(&mut self, detail: &Detail<'_>, who: Option<u64>) {
        let Some(flag) = detail.flag_index() else {
            return;
        };
        let variant = detail.variant();
        let at = variant.as_ref().map_or(0, |v| v.index() as usize + 1);
        if self.flags.len() <= flag {
            self.flags.resize_with(flag + 1, Vec::new);
        }
        let Some(slots) = self.flags.get_mut(flag) else {
            return;
        };
        if slots.len() <= at {
            slots.resize_with(at + 1, Slot::default);
        }
        let Some(slot) = slots.get_mut(at) else {
            return;
        };
        if slot.names.is_none() {
            let key = detail.flag_key().unwrap_or_default().to_string();
            slot.names = Some((key, variant.map(|v| v.name().to_string())));
        }
        if let Some(c) = slot.reasons.get_mut(detail.reason() as usize) {
            *c += 1;
        }
        if let Some(hash) = who {
            slot.contexts.insert(hash);
        }
    }

    /// Adds everything counted to `aggregator` and empties the table.
    fn fold_into(&mut self, aggregator: &mut Aggregator) {
        for slot in self.flags.drain(..).flatten() {
            let Some((flag, variant)) = &slot.names else {
                continue;
            };
            for (reason, n) in Reason::ALL.iter().zip(slot.reasons) {
                if n > 0 {
                    aggregator.add(
                        &self.environment,
                        flag,
                        variant.as_deref(),
                        *reason,
                        n,
                        &slot.contexts,
                    );
                }
            }
        }
    }
}

struct Counts {
    aggregator: Aggregator,
    tables: Vec<Table>,
    /// Whether a flush is scheduled.
    scheduled: bool,
    /// Whether anything was counted since the last flush.
    counted: bool,
}

thread_local! {
    static COUNTS: RefCell<Option<Counts>> = const { RefCell::new(None) };
    /// `USAGE_METRICS` is not `off` (set from the configuration on every request).
    static ENABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Turns counting on or off for this isolate (the deployment's `USAGE_METRICS`).
pub fn enable(on: bool) {
    ENABLED.with(|e| e.set(on));
}

fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    return crate::routes::evaluate::now() as i64;
    // Natively (the pure modules' tests count too) there is no JavaScript clock.
    #[cfg(not(target_arch = "wasm32"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The keyed hash a context is counted by: taken once per request, however many flags it
/// evaluates.
pub fn who(context: &serde_json::Value) -> Option<u64> {
    burgee_core::targeting_key(context).map(|k| HASHER.hash(k))
}

/// This isolate's counters, made on first use.
fn with_counts<T>(f: impl FnOnce(&mut Counts) -> T) -> T {
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        f(c.get_or_insert_with(|| Counts {
            aggregator: Aggregator::new(now_ms()),
            tables: Vec::new(),
            scheduled: false,
            counted: false,
        }))
    })
}

fn enabled() -> bool {
    ENABLED.with(std::cell::Cell::get)
}

/// Counts one evaluation, from `snapshot`, for the context [`who`] hashed. A flag the
/// snapshot does not have is not counted: anyone can ask for any key, and only flags that
/// exist have metrics.
pub fn record(snapshot: &Snapshot, detail: &Detail<'_>, who: Option<u64>) {
    counting(snapshot, who, |tally| tally.add(detail));
}

/// The counters of one snapshot's environment, found once for the evaluations of a request
/// ([`counting`]), each of which [`Tally::add`] counts as [`record`] would.
struct Tally<'a> {
    table: Option<&'a mut Table>,
    who: Option<u64>,
    counted: bool,
}

impl std::fmt::Debug for Tally<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tally")
            .field("counting", &self.table.is_some())
            .field("counted", &self.counted)
            .finish_non_exhaustive()
    }
}

impl Tally<'_> {
    /// Counts one evaluation (not a flag the snapshot does not have; nothing when counting is
    /// off).
    fn add(&mut self, detail: &Detail<'_>) {
        if let Some(table) = self.table.as_deref_mut()
            && detail.flag_index().is_some()
        {
            table.count(detail, self.who);
            self.counted = true;
        }
    }
}

/// Every flag of `snapshot` for `context`, in key order: each is counted as [`record`] would
/// count it, then `each` gets its key and result. The environment's counters are looked up
/// once for all of them.
pub fn evaluate_all(
    snapshot: &Snapshot,
    context: &serde_json::Value,
    now: i64,
    mut each: impl FnMut(&str, &Detail<'_>),
) {
    let bound = snapshot.context(context);
    counting(snapshot, who(context), |tally| {
        for (key, detail) in snapshot.evaluate_all(&bound, now) {
            tally.add(&detail);
            each(key, &detail);
        }
    });
}

/// Runs `f` with the counters of `snapshot`'s environment for the context [`who`] hashed:
/// a request that evaluates many flags looks its environment's table up once. `f` must not
/// count through [`record`] itself (the counters are held while it runs).
fn counting<T>(snapshot: &Snapshot, who: Option<u64>, f: impl FnOnce(&mut Tally<'_>) -> T) -> T {
    if !enabled() {
        return f(&mut Tally {
            table: None,
            who,
            counted: false,
        });
    }
    with_counts(|counts| {
        let environment = snapshot.environment();
        let at = match counts
            .tables
            .iter()
            .position(|t| t.environment == environment)
        {
            Some(at) => at,
            None => {
                counts
                    .tables
                    .push(Table::new(environment, snapshot.version()));
                counts.tables.len() - 1
            }
        };
        let mut table = counts.tables.get_mut(at);
        if let Some(table) = table.as_deref_mut()
            && table.version != snapshot.version()
        {
            // Indices belong to one snapshot: what the old one counted goes in by name.
            table.fold_into(&mut counts.aggregator);
            table.version = snapshot.version();
        }
        let mut tally = Tally {
            table,
            who,
            counted: false,
        };
        let out = f(&mut tally);
        if tally.counted {
            counts.counted = true;
        }
        out
    })
}

/// Takes in a client's batch (validated, its unknown flags and variants dropped) with this
/// isolate's counts, its targeting key hashed as an evaluation's is; it leaves with the next
/// flush, so a client's batch costs the metrics store nothing of its own. `false` when
/// counting is off here.
pub fn absorb(batch: &burgee_metrics::Batch) -> bool {
    if !enabled() {
        return false;
    }
    let who = batch.targeting_key.as_deref().map(|k| HASHER.hash(k));
    with_counts(|counts| {
        counts.aggregator.absorb(batch, who);
        counts.counted = true;
    });
    true
}

/// Everything counted since the last flush, as a batch (`None`: nothing).
fn drain() -> Option<burgee_metrics::Batch> {
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let counts = c.as_mut()?;
        counts.scheduled = false;
        counts.counted = false;
        for table in &mut counts.tables {
            table.fold_into(&mut counts.aggregator);
        }
        let batch = counts.aggregator.drain(now_ms());
        (!batch.is_empty()).then_some(batch)
    })
}

/// After a response: schedules this isolate's next flush if something was counted and none
/// is scheduled.
pub fn after_response(env: &Env, ctx: &Context) {
    let schedule = COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        match c.as_mut() {
            Some(counts) if counts.counted && !counts.scheduled => {
                counts.scheduled = true;
                true
            }
            _ => false,
        }
    });
    if schedule {
        let env = env.clone();
        ctx.wait_until(async move {
            worker::Delay::from(std::time::Duration::from_millis(FLUSH_MS)).await;
            flush(&env).await;
        });
    }
}

/// Sends what was counted to the metrics store.
async fn flush(env: &Env) {
    let Some(batch) = drain() else {
        return;
    };
    if let Err(e) = send(env, batch.to_json()).await {
        worker::console_error!("usage counts were not sent: {e}");
    }
}

async fn send(env: &Env, body: String) -> worker::Result<()> {
    let project = crate::config::get(env).project.clone();
    let stub = env
        .durable_object(bindings::METRICS)?
        .get_by_name(&project)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let url = format!("https://metrics{}", internal::METRICS_INGEST);
    let response = stub
        .fetch_with_request(Request::new_with_init(&url, &init)?)
        .await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "the metrics store answered {}",
            response.status_code()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn snapshot(version: u64) -> Snapshot {
        let doc = json!({"environments": ["production"], "flags": {
            "a": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"production": {"enabled": true, "offVariant": "off",
                    "defaultServe": {"rollout": {"weights": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}}}}},
            "b": {"kind": "string", "variants": {"x": "x"},
                "environments": {"production": {"enabled": false}}}}});
        let mut s = burgee_core::load_value(doc)
            .unwrap()
            .compile("production")
            .snapshot;
        s.set_version(version);
        s
    }

    #[test]
    fn counts_by_index_drain_by_name_exactly_across_a_new_snapshot() {
        let _ = drain();
        let mut served: std::collections::BTreeMap<String, u64> = Default::default();
        for (version, users) in [(1, 0..300), (2, 300..500)] {
            let s = snapshot(version);
            for i in users {
                let context = json!({"targetingKey": format!("u{i}")});
                let bound = s.context(&context);
                // One request through a tally, the next flag by flag: the same counts.
                counting(&s, who(&context), |tally| {
                    for (key, detail) in s.evaluate_all(&bound, 0) {
                        if i % 2 == 0 {
                            tally.add(&detail);
                        }
                        let name = format!("{key}/{}", detail.variant_name().unwrap_or("-"));
                        *served.entry(name).or_default() += 1;
                    }
                });
                if i % 2 == 1 {
                    for (_, detail) in s.evaluate_all(&bound, 0) {
                        record(&s, &detail, who(&context));
                    }
                }
                let missing = s.evaluate("nope", &bound, 0, None);
                record(&s, &missing, who(&context));
            }
        }
        let batch = drain().unwrap();
        let mut counted: std::collections::BTreeMap<String, u64> = Default::default();
        for c in &batch.counts {
            let name = format!("{}/{}", c.flag, c.variant.as_deref().unwrap_or("-"));
            *counted.entry(name).or_default() += c.count;
        }
        assert_eq!(
            counted, served,
            "a missing flag is not counted; everything else is"
        );
        assert!(drain().is_none(), "a drain empties the counters");
    }
}
