//! The worker's HTTP surface, one handler module per area: evaluation ([`evaluate`]), the
//! client-side snapshot ([`snapshot`]), change streams ([`stream`]), `/health` ([`health`]),
//! the admin API's front door ([`forward`]) and edge gating ([`proxy`]).
//!
//! Every answer is JSON (the snapshot and stream routes excepted), errors included
//! ([`error`]). Evaluation routes are CORS-enabled ([`cors`]); each also exists under
//! `/env/{env}/…`, which picks the environment (see [`evaluate::environment`]). Before any of
//! them runs, [`guard`] decides who is asking (and so what they may see), and an environment
//! the store does not have is answered `404` without reading Workers KV.

mod body;
mod cors;
mod dispatch;
mod error;
pub mod evaluate;
mod forward;
mod guard;
pub mod health;
mod proxy;
mod rewrite;
mod snapshot;
mod stream;

pub use error::{api_error, error, error_at};
pub use health::{Health, VERSION};

use burgee_api::Code;
use dispatch::{Matched, Route};
use worker::{Env, Request, Response, Result};

use crate::config;
use crate::freshness;
use crate::keys::Audience;

/// Everything that is not a Burgee route: the origin when edge gating is configured, else a
/// JSON 404.
async fn fallback(req: Request, env: &Env) -> Result<Response> {
    if proxy::enabled(env) {
        proxy::handle(req, env).await
    } else {
        error(
            Code::NotFound,
            &format!("no route for {} {}", req.method(), req.path()),
        )
    }
}

async fn data_plane(req: Request, env: &Env, m: Matched) -> Result<Response> {
    let guarded = matches!(
        m.route,
        Route::Snapshot
            | Route::Stream
            | Route::OfrepBulk
            | Route::OfrepOne { .. }
            | Route::RestAll
            | Route::RestOne { .. }
    );
    let mut key = String::new();
    let mut audience = Audience::Client;
    if guarded {
        // An invalid environment is the handler's 400; keys are checked for valid ones.
        if let Ok(environment) =
            evaluate::environment(&req, m.environment.as_deref(), &config::get(env))
        {
            match guard::check(&req, env, &environment).await? {
                Ok(admitted) => (key, audience) = (admitted.key, admitted.audience),
                Err(refusal) => return Ok(refusal),
            }
            let location = freshness::Location::of(&req);
            if !freshness::listed(env, &location, &environment, evaluate::now()).await {
                return cors::allow(error(Code::EnvironmentNotFound, "no such environment")?);
            }
        }
    }
    match &m.route {
        Route::Health => health::get(req, env, &m).await,
        Route::OfrepConfiguration => evaluate::ofrep_configuration(env),
        Route::Snapshot => snapshot::get(req, env, &m).await,
        Route::Stream => {
            let config = config::get(env);
            match evaluate::environment(&req, m.environment.as_deref(), &config) {
                Ok(environment) => stream::handle(req, env, &environment, &key, audience).await,
                Err(response) => cors::allow(response?),
            }
        }
        Route::OfrepBulk => evaluate::ofrep_bulk(req, env, &m, audience).await,
        Route::OfrepOne { key } => evaluate::ofrep_one(req, env, key, &m, audience).await,
        Route::RestAll => evaluate::rest_all(req, env, &m, audience).await,
        Route::RestOne { key } => evaluate::rest_one(req, env, key, &m, audience).await,
        Route::Preflight => cors::preflight(req),
    }
}

/// Routes one request by plain matching (a `worker::Router` would build its tree on every
/// request, and cost more than an evaluation): the data-plane routes, then the admin API's
/// front door, then the origin or a 404. A handler error becomes a JSON `500 internal` (and is
/// logged); only a failure to build a response at all is left to the `#[event(fetch)]` glue.
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let method = req.method();
    let path = req.path();
    let result = match dispatch::route(&method, &path) {
        Some(m) => data_plane(req, &env, m).await,
        None if forward::matches(&method, &path) => forward::handle(req, &env).await,
        None if dispatch::known_path(&path) => error(
            Code::MethodNotAllowed,
            &format!("{method} is not allowed on {path}"),
        ),
        None => fallback(req, &env).await,
    };
    match result {
        Ok(response) => Ok(response),
        Err(e) => {
            worker::console_error!("{method} {path}: {e}");
            error(Code::Internal, "internal error")
        }
    }
}
