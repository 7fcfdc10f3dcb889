//! The Burgee control plane (script `burgee-control`, `wrangler.control.toml`): the single
//! writer of the flag document and the relays that carry its versions to every location.
//!
//! - [`store`]: the `FlagStore` Durable Object. It applies the core's edits to the typed
//!   document, stores versions as rows, and answers the admin API the data plane forwards.
//! - [`publish`]: getting each version to Workers KV (at most one write per key and second,
//!   retried until it lands, never older over newer) and to the relays.
//! - [`relay`]: the `Relay` Durable Object, one per region, which serves the freshness beacon
//!   and new snapshots to isolates so that the writer handles writes only.
//! - [`metrics`]: the `Metrics` Durable Object, the usage counts isolates flush and the admin
//!   API's metrics routes read.
//!
//! The script has no route of its own: Durable Objects are reachable only through the data
//! plane's bindings. It carries the core's compiler; the data plane never does.

pub mod metrics;
pub mod publish;
pub mod relay;
pub mod store;

use worker::{Context, Env, Request, Response, Result, event};

/// Nothing is served here: the data plane (`wrangler.toml`) is the public worker.
#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let error = burgee_api::ApiError::new(
        burgee_api::Code::NotFound,
        "the control plane has no routes; send requests to the edge worker",
    );
    Ok(Response::from_json(&error.body())?.with_status(404))
}
