//! The worker's HTTP surface: one [`worker::Router`], one handler module per area.
//!
//! Every answer is JSON, errors included ([`error`]). Routes so far: `GET|HEAD /health`;
//! anything else is a JSON `404 not_found` (or `405 method_not_allowed` for a known path).

mod error;
mod health;

pub use error::{ErrorBody, ErrorDetail, error};
pub use health::{Health, VERSION};

use worker::{Env, Request, Response, Result, RouteContext, Router};

/// The routing table.
pub fn router<'a>() -> Router<'a, ()> {
    Router::new()
        .get("/health", health::get)
        .head("/health", health::get)
        // Catch-alls: the router's own 404 is plain text, ours is the JSON error shape.
        .or_else_any_method("/", not_found)
        .or_else_any_method("/*path", not_found)
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
