//! The Burgee edge worker: a workers-rs worker for Cloudflare Workers and self-hosted `workerd`.
//!
//! `cargo xtask dev` builds it (worker-build, then wasm-opt) into `build/` and runs it with
//! `wrangler dev`; `cargo xtask test` runs its end-to-end tests against the real workerd.
//!
//! - [`routes`]: the HTTP surface (a [`worker::Router`]); every answer is JSON.
//! - [`store`]: the `FlagStore` Durable Object, the control plane's single writer.
//! - [`bindings`]: binding and variable names, mirroring `wrangler.toml`.
//!
//! The crate also builds natively (as an rlib) so that `cargo clippy/test --workspace` cover it;
//! the JavaScript-facing parts then compile but are only ever called on wasm32.

pub mod auth;
pub mod bindings;
pub mod config;
pub mod gate;
pub mod ofrep;
pub mod routes;
pub mod snapshots;
pub mod store;

use worker::{Context, Env, Request, Response, Result, event};

/// The worker's `fetch` entry point.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    routes::handle(req, env).await
}
