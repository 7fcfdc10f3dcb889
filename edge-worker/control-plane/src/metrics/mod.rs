//! The `Metrics` Durable Object: the usage counts of one project. Isolates flush their counts
//! here at most every 10 s each ([`internal::METRICS_INGEST`]); the admin API's metrics routes
//! read them. It is not the writer, so counting never queues behind a kill switch, and its
//! load grows with isolates and time, not with requests (ARCHITECTURE.md has the arithmetic).
//!
//! - [`ledger`]: the rollup as SQLite rows, loaded once per object.
//! - [`query`]: the routes' answers.

pub mod ledger;
pub mod query;

use std::cell::RefCell;

use burgee_api::{ApiError, Code, Route, RouteId};
use burgee_edge_shared::{bindings, internal, query::query_pairs};
use burgee_metrics::HOUR_MS;
use burgee_metrics::batch::Batch;
use burgee_metrics::series::Series;
use worker::{DurableObject, Env, Headers, Request, Response, Result, State, durable_object};

use crate::store::answer::log_error;
use crate::store::now;
use crate::store::sql::DurableSql;

/// The largest batch an isolate may flush.
const MAX_INGEST_BYTES: usize = 4 << 20;

#[durable_object]
pub struct Metrics {
    env: Env,
    sql: DurableSql,
    /// The rollup, loaded on first use; and when it was last pruned.
    series: RefCell<Option<(Series, i64)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn json_error(e: &ApiError) -> Result<Response> {
    Ok(Response::from_json(&e.body())?.with_status(e.status))
}

impl DurableObject for Metrics {
    fn new(state: State, env: Env) -> Self {
        Metrics {
            env,
            sql: DurableSql(state.storage().sql()),
            series: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let method = req.method().to_string();
        if method == "POST" && path == internal::METRICS_INGEST {
            let bytes = req.bytes().await?;
            return match self.ingest(&bytes) {
                Ok(n) => Response::from_json(&serde_json::json!({"rows": n})),
                Err(e) => json_error(&e),
            };
        }
        let url = req.inner().url();
        let answer = match Route::parse(&method, &path) {
            Ok(route) if route.id == RouteId::Metrics => {
                let default = self
                    .env
                    .var(bindings::ENVIRONMENT_DEFAULT)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| "production".into());
                self.with_series(|s| query::metrics(s, &query_pairs(&url), &default, now() as i64))
                    .and_then(|v| v)
                    .map(|v| Response::from_json(&v))
            }
            Ok(route) if route.id == RouteId::MetricsPrometheus => {
                self.with_series(|s| query::prometheus(s)).map(|text| {
                    let headers = Headers::new();
                    let _ = headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    Response::ok(text).map(|r| r.with_headers(headers))
                })
            }
            _ => Err(ApiError::new(Code::NotFound, "not a metrics path")),
        };
        match answer {
            Ok(response) => response,
            Err(e) => json_error(&e),
        }
    }
}

impl Metrics {
    /// Runs `f` on the rollup, loading it first if this object has not yet.
    fn with_series<T>(&self, f: impl FnOnce(&mut Series) -> T) -> std::result::Result<T, ApiError> {
        let mut held = self.series.borrow_mut();
        if held.is_none() {
            let series = ledger::load(&self.sql).map_err(|e| {
                log_error(&format!("Metrics: loading: {e}"));
                ApiError::new(Code::Internal, "the metrics store failed to load")
            })?;
            *held = Some((series, now() as i64));
        }
        let (series, _) = held
            .as_mut()
            .ok_or_else(|| ApiError::new(Code::Internal, "no series"))?;
        Ok(f(series))
    }

    /// Validates and adds one isolate's batch; past an hour since the last, prunes too.
    fn ingest(&self, bytes: &[u8]) -> std::result::Result<usize, ApiError> {
        if bytes.len() > MAX_INGEST_BYTES {
            return Err(ApiError::new(
                Code::PayloadTooLarge,
                "the batch is too large",
            ));
        }
        let now_ms = now() as i64;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ApiError::new(Code::InvalidBody, "the batch is not UTF-8"))?;
        let batch = Batch::from_json(text, now_ms)
            .map_err(|e| ApiError::new(Code::InvalidBody, e.to_string()))?;
        self.with_series(|series| ledger::add(&self.sql, series, &batch, now_ms))?
            .map_err(|e| {
                log_error(&format!("Metrics: adding a batch: {e}"));
                ApiError::new(Code::Internal, "the metrics store failed to add the batch")
            })
            .inspect(|_| self.prune_hourly(now_ms))
    }

    fn prune_hourly(&self, now_ms: i64) {
        let mut held = self.series.borrow_mut();
        if let Some((series, pruned)) = held.as_mut()
            && now_ms - *pruned > HOUR_MS
        {
            *pruned = now_ms;
            if let Err(e) = ledger::prune(&self.sql, series, now_ms) {
                log_error(&format!("Metrics: pruning: {e}"));
            }
        }
    }
}
