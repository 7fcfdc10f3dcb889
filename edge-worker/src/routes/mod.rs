//! The worker's HTTP surface: one [`worker::Router`], one handler module per area.
//!
//! Every answer is JSON (the snapshot route excepted: it serves bytes), errors included
//! ([`error`]). Evaluation routes are public and CORS-enabled ([`cors`]); each also exists under
//! `/env/{env}/…`, which picks the environment (see [`evaluate::environment`]).

mod cors;
mod error;
mod evaluate;
mod health;
mod proxy;
mod snapshot;

pub use error::{ErrorBody, ErrorDetail, error};
pub use health::{Health, VERSION};

use worker::{Env, Request, Response, Result, RouteContext, Router};

/// The routing table.
pub fn router<'a>() -> Router<'a, ()> {
    let mut router = Router::new()
        .get_async("/health", health::get)
        .head_async("/health", health::get)
        .get_async("/feature-flags/health", health::get)
        .get("/ofrep/v1/configuration", evaluate::ofrep_configuration)
        .get_async("/v1/snapshot/:env", snapshot::get)
        .options("/v1/snapshot/:env", |req, _| cors::preflight(req));
    for prefix in ["", "/env/:env"] {
        router = router
            .post_async(
                &format!("{prefix}/ofrep/v1/evaluate/flags"),
                evaluate::ofrep_bulk,
            )
            .post_async(
                &format!("{prefix}/ofrep/v1/evaluate/flags/:key"),
                evaluate::ofrep_one,
            )
            .options(&format!("{prefix}/ofrep/v1/evaluate/flags"), |req, _| {
                cors::preflight(req)
            })
            .options(
                &format!("{prefix}/ofrep/v1/evaluate/flags/:key"),
                |req, _| cors::preflight(req),
            )
            .get_async(&format!("{prefix}/feature-flags"), evaluate::rest_all)
            .get_async(&format!("{prefix}/feature-flags/:key"), evaluate::rest_one)
            .options(&format!("{prefix}/feature-flags"), |req, _| {
                cors::preflight(req)
            })
            .options(&format!("{prefix}/feature-flags/:key"), |req, _| {
                cors::preflight(req)
            });
    }
    router
        // Everything else goes to the origin when edge gating is configured, else it is our
        // JSON 404 (the router's own is plain text).
        .or_else_any_method_async("/", fallback)
        .or_else_any_method_async("/*path", fallback)
}

async fn fallback(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    if proxy::enabled(&ctx) {
        proxy::handle(req, ctx).await
    } else {
        not_found(req, ctx)
    }
}

/// Routes one request. A handler error becomes a JSON `500 internal` (and is logged), and the
/// router's own plain-text `405` becomes a JSON one. Only a failure to build a response at all
/// is left to the `#[event(fetch)]` glue (its plain 500).
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let method = req.method();
    let path = req.path();
    match router().run(req, env).await {
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
