//! Usage counting at the edge: every evaluation the routes answer (OFREP single and bulk,
//! REST, gating and bootstrap) is counted in this isolate's memory, per environment, flag,
//! variant and reason, with the contexts in a sketch of keyed hashes (never the targeting key
//! itself). Nothing is sent while a request is answered: the first count after a flush
//! schedules one, `waitUntil` after the response, [`FLUSH_MS`] later, so an isolate sends at
//! most one batch per 10 s to the project's metrics store (a Durable Object that is not the
//! writer). A flush that fails is logged and its counts are lost: counting never slows or
//! fails an evaluation.

use std::cell::RefCell;

use burgee_core::Detail;
use burgee_edge_shared::{bindings, internal};
use burgee_metrics::{Aggregator, ContextHasher};
use worker::{Context, Env, Method, Request, RequestInit};

/// How long an isolate gathers counts before it sends them.
pub const FLUSH_MS: u64 = 10_000;

/// The key of the contexts' hashes. The sketches keep only the highest bit position seen per
/// register, which no key can be read back from; the key keeps the hashes themselves, which
/// never leave the isolate, from being the same as anyone else's.
const HASHER: ContextHasher = ContextHasher::new(*b"burgee:contexts1");

struct Counts {
    aggregator: Aggregator,
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

/// Counts one evaluation of `flag` in `environment` for the context [`who`] hashed. A flag the
/// snapshot does not have is not counted: anyone can ask for any key, and only flags that
/// exist have metrics.
pub fn record(environment: &str, flag: &str, detail: &Detail<'_>, who: Option<u64>) {
    if !ENABLED.with(std::cell::Cell::get)
        || detail.error_code() == Some(burgee_core::ErrorCode::FlagNotFound)
    {
        return;
    }
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let counts = c.get_or_insert_with(|| Counts {
            aggregator: Aggregator::new(now_ms()),
            scheduled: false,
            counted: false,
        });
        counts.aggregator.record(
            environment,
            flag,
            detail.variant_name(),
            detail.reason(),
            who,
        );
        counts.counted = true;
    });
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
    let batch = COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let counts = c.as_mut()?;
        counts.scheduled = false;
        counts.counted = false;
        let batch = counts.aggregator.drain(now_ms());
        (!batch.is_empty()).then_some(batch)
    });
    let Some(batch) = batch else {
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
