//! The Burgee edge worker: a workers-rs worker for Cloudflare Workers and self-hosted `workerd`.
//!
//! `cargo xtask dev` builds it (worker-build, then wasm-opt) into `build/` and runs it with
//! `wrangler dev`; `cargo xtask test` runs its end-to-end tests against the real workerd.
//!
//! - [`routes`]: the HTTP surface (a [`worker::Router`]); every answer is JSON.
//! - [`store`]: the `FlagStore` Durable Object, the control plane's single writer, and
//!   [`admin`], what each admin write does to the document (feature `control-plane`).
//! - [`access`]: which role each admin route needs (checked here, before forwarding).
//! - [`bindings`]: binding and variable names, mirroring `wrangler.toml`.
//!
//! Two scripts are built from this crate (`cargo xtask` does both): the control plane, with the
//! default feature `control-plane` (`build-control/`, deployed from `wrangler.control.toml`),
//! exports the Durable Object and carries burgee-core's compiler and JSON loader; the data plane,
//! `--no-default-features` (`build/`, `wrangler.toml`), evaluates from compiled snapshots and
//! reaches the Durable Object through a cross-script binding. The data plane stays small and
//! fast to start because none of the control plane is in it.
//!
//! The crate also builds natively (as an rlib) so that `cargo clippy/test --workspace` cover it;
//! the JavaScript-facing parts then compile but are only ever called on wasm32.

pub mod access;
#[cfg(feature = "control-plane")]
pub mod admin;
pub mod auth;
pub mod bindings;
pub mod config;
pub mod gate;
pub mod keys;
pub mod ofrep;
pub mod routes;
pub mod snapshots;
#[cfg(feature = "control-plane")]
pub mod store;

use worker::{Context, Env, Request, Response, Result, event};

/// The worker's `fetch` entry point.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    routes::handle(req, env).await
}
