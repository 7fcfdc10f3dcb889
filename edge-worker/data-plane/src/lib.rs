//! The Burgee edge worker's data plane (script `burgee`, `wrangler.toml`): every request a user
//! makes goes through it, so it only decodes and evaluates snapshots; the compiler and the
//! document live in the control plane (`burgee-control`), which this crate cannot link.
//!
//! - [`routes`]: the HTTP surface, matched by a plain function per request; every answer is JSON
//!   (the snapshot route excepted: it serves bytes).
//! - [`snapshots`]: each environment's snapshots in this isolate, only ever replaced by newer
//!   ones; [`freshness`]: the beacon that tells an isolate within about a second that it is
//!   behind, and the relay it fetches the new snapshot from; [`kv_read`]: the Workers KV
//!   backstop.
//! - [`auth`] (admin tokens), [`keys`] (evaluation keys), [`gate`] (edge gating), [`ofrep`]
//!   (OFREP bodies and statuses): pure decisions, tested natively.
//! - [`config`]: the deployment's variables, read once per isolate.
//! - [`usage`]: every evaluation counted in memory, flushed to the metrics store after the
//!   response.
//!
//! The crate also builds natively (as an rlib) so that `cargo clippy/test --workspace` cover
//! it; the JavaScript-facing parts then compile but are only ever called on wasm32.

pub mod auth;
pub mod config;
pub mod freshness;
pub mod gate;
pub mod keys;
pub mod kv_read;
pub mod ofrep;
pub mod routes;
pub mod snapshots;
pub mod usage;

use worker::{Context, Env, Result, event, web_sys};

/// The worker's `fetch` entry point. It takes and gives the runtime's own request and response:
/// `worker::Request` would read the method, URL, headers and `request.cf` of every request up
/// front, and the evaluation routes need less (see [`routes::handle`]).
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    usage::enable(config::get(&env).usage_metrics);
    let response = routes::handle(req, env.clone()).await;
    usage::after_response(&env, &ctx);
    response
}
