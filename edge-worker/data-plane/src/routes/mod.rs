//! The worker's HTTP surface, one handler module per area: evaluation ([`evaluate`]), the
//! client-side snapshot ([`snapshot`]), change streams ([`stream`]), `/health` ([`health`]),
//! the admin API's front door ([`forward`]), the admin app's files ([`admin_app`]), clients'
//! usage batches ([`ingest`]) and edge gating ([`proxy`]).
//!
//! Every answer is JSON (the snapshot and stream routes excepted), errors included
//! ([`error`]). Evaluation routes are CORS-enabled ([`cors`]); each also exists under
//! `/env/{env}/…`, which picks the environment (see [`evaluate::environment`]). Before any of
//! them runs, [`guard`] decides who is asking (and so what they may see), and an environment
//! the store does not have is answered `404` without reading Workers KV.

mod admin_app;
mod body;
mod cors;
mod dispatch;
mod error;
pub mod evaluate;
mod forward;
mod guard;
pub mod health;
mod ingest;
mod proxy;
mod rewrite;
mod snapshot;
mod stream;

pub use error::{api_error, error, error_at};
pub use health::{Health, VERSION};

use burgee_api::{Code, DEFAULT_API_MOUNT, DEFAULT_APP_MOUNT, Mounted, Mounts};
use dispatch::{Matched, Route};
use worker::web_sys;
use worker::{Env, Method, Request, Response, Result};

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

/// The data-plane routes. They get the runtime's own request: the evaluation routes read it
/// directly and answer with the runtime's own response (what every user request touches, so no
/// copy or wrapper more than needed); the others go through `worker::Request` and
/// `worker::Response` as everything else does.
async fn data_plane(req: web_sys::Request, env: &Env, m: Matched) -> Result<web_sys::Response> {
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
            let query_key_allowed = req.method() == "GET";
            match guard::check(&req, env, &environment, query_key_allowed).await? {
                Ok(admitted) => (key, audience) = (admitted.key, admitted.audience),
                Err(refusal) => return Ok(refusal.into()),
            }
            let location = freshness::Location::of(&req);
            if !freshness::listed(env, &location, &environment, evaluate::now()).await {
                return cors::allow(error(Code::EnvironmentNotFound, "no such environment")?)
                    .map(Into::into);
            }
        }
    }
    let raw = Into::<web_sys::Response>::into;
    match &m.route {
        Route::OfrepBulk => evaluate::ofrep_bulk(&req, env, &m, audience).await,
        Route::OfrepOne { key } => evaluate::ofrep_one(&req, env, key, &m, audience).await,
        Route::RestAll => evaluate::rest_all(&req, env, &m, audience).await.map(raw),
        Route::RestOne { key } => evaluate::rest_one(&req, env, key, &m, audience)
            .await
            .map(raw),
        Route::Stream => {
            let config = config::get(env);
            match evaluate::environment(&req, m.environment.as_deref(), &config) {
                Ok(environment) => {
                    stream::handle(Request::from(req), env, &environment, &key, audience).await
                }
                Err(response) => cors::allow(response?),
            }
            .map(raw)
        }
        Route::Health => health::get(Request::from(req), env, &m).await.map(raw),
        Route::OfrepConfiguration => evaluate::ofrep_configuration(env).map(raw),
        Route::Snapshot => snapshot::get(Request::from(req), env, &m).await.map(raw),
        Route::Preflight => cors::preflight(Request::from(req)).map(raw),
        Route::MetricsIngest => ingest::post(Request::from(req), env, &m).await.map(raw),
        Route::MetricsPreflight => ingest::preflight(&Request::from(req)).map(raw),
    }
}

/// The admin API's and app's mounts, the admin shortcuts (`/feature-flags/{key}` writes), a
/// `405` for a data-plane path asked with the wrong method, then the origin or a `404`.
async fn admin_or_else(req: Request, env: &Env, method: &Method, path: &str) -> Result<Response> {
    let config = config::get(env);
    let default = Mounts::default();
    let (mounts, mounted) = match &config.mounts {
        Ok(mounts) => (mounts, mounts.classify(path)),
        Err(why)
            if [DEFAULT_APP_MOUNT, DEFAULT_API_MOUNT]
                .iter()
                .any(|m| path.starts_with(m)) =>
        {
            worker::console_error!("{why}");
            return error(
                Code::Misconfigured,
                "the admin mounts are misconfigured (ADMIN_PATH, ADMIN_API_PATH)",
            );
        }
        Err(_) => (&default, Mounted::Other),
    };
    match mounted {
        Mounted::Api(route_path) => forward::handle(req, env, &route_path).await,
        Mounted::AppRoot => admin_app::redirect_to_root(&req, mounts),
        Mounted::App(file) => admin_app::serve(req, env, mounts, &file).await,
        Mounted::Other if mounts.unmounted_api_path(path) => fallback(req, env).await,
        Mounted::Other if forward::matches(method, path) => forward::handle(req, env, path).await,
        Mounted::Other if dispatch::known_path(path) => error(
            Code::MethodNotAllowed,
            &format!("{method} is not allowed on {path}"),
        ),
        Mounted::Other => fallback(req, env).await,
    }
}

/// Routes one request by plain matching (a `worker::Router` would build its tree on every
/// request, and cost more than an evaluation): the data-plane routes, then the admin API's
/// front door, then the origin or a 404. A handler error becomes a JSON `500 internal` (and is
/// logged); only a failure to build a response at all is left to the `#[event(fetch)]` glue.
pub async fn handle(req: web_sys::Request, env: Env) -> Result<web_sys::Response> {
    let method = Method::from(req.method());
    let path = dispatch::path_of(&req.url());
    let result = match dispatch::route(&method, &path) {
        Some(m) => data_plane(req, &env, m).await,
        None => admin_or_else(Request::from(req), &env, &method, &path)
            .await
            .map(Into::into),
    };
    match result {
        Ok(response) => Ok(response),
        Err(e) => {
            worker::console_error!("{method} {path}: {e}");
            error(Code::Internal, "internal error").map(Into::into)
        }
    }
}
