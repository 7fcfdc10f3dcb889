//! The worker's HTTP surface: one [`worker::Router`], one handler module per area.
//!
//! Every answer is JSON (the snapshot route excepted: it serves bytes), errors included
//! ([`error`]). Evaluation routes are public and CORS-enabled ([`cors`]); each also exists under
//! `/env/{env}/…`, which picks the environment (see [`evaluate::environment`]).

mod admin;
mod cors;
mod dispatch;
mod error;
mod evaluate;
mod guard;
mod health;
mod proxy;
mod snapshot;

pub use error::{ErrorBody, ErrorDetail, error};
pub use evaluate::{percent_decode, query_pairs};
pub use health::{Health, VERSION};

use dispatch::{Matched, Route};
use worker::{Env, Request, Response, Result, RouteContext, Router};

use crate::config;

/// The routing table for everything but the data plane (which [`dispatch`] matches first).
pub fn router<'a>() -> Router<'a, ()> {
    Router::new()
        // Everything else goes to the origin when edge gating is configured, else it is our
        // JSON 404 (the router's own is plain text).
        .or_else_any_method_async("/", fallback)
        .or_else_any_method_async("/*path", fallback)
}

async fn fallback(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    if proxy::enabled(&ctx.env) {
        proxy::handle(req, &ctx.env).await
    } else {
        not_found(req, ctx)
    }
}

async fn data_plane(req: Request, env: &Env, m: Matched) -> Result<Response> {
    let guarded = matches!(
        m.route,
        Route::Snapshot
            | Route::OfrepBulk
            | Route::OfrepOne { .. }
            | Route::RestAll
            | Route::RestOne { .. }
    );
    if guarded {
        // An invalid environment is the handler's 400; keys are checked for valid ones.
        if let Ok(environment) =
            evaluate::environment(&req, m.environment.as_deref(), &config::get(env))
            && let Some(refusal) = guard::check(&req, env, &environment).await?
        {
            return Ok(refusal);
        }
    }
    match &m.route {
        Route::Health => health::get(req, env, &m).await,
        Route::OfrepConfiguration => evaluate::ofrep_configuration(env),
        Route::Snapshot => snapshot::get(req, env, &m).await,
        Route::OfrepBulk => evaluate::ofrep_bulk(req, env, &m).await,
        Route::OfrepOne { key } => evaluate::ofrep_one(req, env, key, &m).await,
        Route::RestAll => evaluate::rest_all(req, env, &m).await,
        Route::RestOne { key } => evaluate::rest_one(req, env, key, &m).await,
        Route::Preflight => cors::preflight(req),
    }
}

/// Routes one request: the data plane first, without building a router; the rest through the
/// router. A handler error becomes a JSON `500 internal` (and is logged), and the router's own
/// plain-text `405` becomes a JSON one. Only a failure to build a response at all is left to
/// the `#[event(fetch)]` glue (its plain 500).
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let method = req.method();
    let path = req.path();
    let result = match dispatch::route(&method, &path) {
        Some(m) => data_plane(req, &env, m).await,
        None if admin::matches(&method, &path) => admin::handle(req, &env).await,
        None if dispatch::known_path(&path) => error(
            405,
            "method_not_allowed",
            &format!("{method} is not allowed on {path}"),
        ),
        None => router().run(req, env).await,
    };
    match result {
        Ok(response) if response.status_code() == 405 && !is_json(&response) => error(
            405,
            "method_not_allowed",
            &format!("{method} is not allowed on {path}"),
        ),
        Ok(response) => Ok(response),
        Err(e) => {
            worker::console_error!("{method} {path}: {e}");
            error(500, "internal", "internal error")
        }
    }
}

fn is_json(response: &Response) -> bool {
    matches!(
        response.headers().get("content-type"),
        Ok(Some(ct)) if ct.starts_with("application/json")
    )
}

fn not_found(req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    error(
        404,
        "not_found",
        &format!("no route for {} {}", req.method(), req.path()),
    )
}
