//! `GET /v1/snapshot/{env}`: the client-side snapshot for local evaluation (the npm package).
//!
//! It is public, so it is the `clientSide` compilation only (DESIGN §6). The bytes are served as
//! published, with a strong `ETag` (version and hash) and a short public cache lifetime.

use worker::{Env, Headers, Request, Response, Result};

use super::dispatch::Matched;
use super::evaluate::now;
use super::{cors, error};
use crate::{config, ofrep, snapshots};

pub async fn get(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let config = config::get(env);
    let environment = match super::evaluate::environment(&req, m.environment.as_deref(), &config) {
        Ok(e) => e,
        Err(response) => return cors::allow(response?),
    };
    let Some(public) = snapshots::public(env, &environment, now()).await else {
        return cors::allow(error(
            404,
            "no_snapshot",
            &format!("no client-side snapshot is published for `{environment}`"),
        )?);
    };
    let headers = Headers::new();
    headers.set("ETag", &public.etag)?;
    headers.set(
        "Cache-Control",
        &format!(
            "public, max-age={}, stale-while-revalidate=60",
            (config.ttl_ms / 1000.0).floor()
        ),
    )?;
    let if_none_match = req.headers().get("If-None-Match").ok().flatten();
    if ofrep::matches(if_none_match.as_deref(), &public.etag) {
        return cors::allow(Response::empty()?.with_status(304).with_headers(headers));
    }
    headers.set("Content-Type", "application/octet-stream")?;
    headers.set("X-Burgee-Version", &public.published.version.to_string())?;
    cors::allow(Response::from_bytes(public.bytes.as_ref().clone())?.with_headers(headers))
}
