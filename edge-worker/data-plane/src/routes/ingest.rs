//! `POST [/env/{env}]/v1/metrics`: a client's usage batch (the npm package's local
//! evaluations and tracked events), taken into this isolate's counts.
//!
//! The batch is untrusted: it is read with a cap ([`MAX_BATCH_BYTES`], `413` past it),
//! validated whole (`400` naming what is wrong, and nothing counted), checked against the
//! evaluation keys like an evaluation of its environment (`401`/`403`/`429`), and then only
//! what the environment's snapshot knows is kept: counts and attributions for flags or variants
//! it does not have are dropped silently, as are any sketches (a client is one context, which
//! the edge hashes from its `targetingKey`; a sketch from outside could claim any number of
//! users). A batch names one environment. What is kept leaves with the isolate's next flush,
//! so the metrics store's load does not grow with clients.
//!
//! `navigator.sendBeacon` cannot set headers and always sends credentials, so this route also
//! takes the key as `?key=` and answers CORS with the caller's `Origin` and
//! `Access-Control-Allow-Credentials: true`. Nothing here reads cookies or any ambient
//! credential, so allowing them discloses nothing; the answer says only how much was counted.

use burgee_api::Code;
use burgee_metrics::Batch;
use worker::{Env, Headers, Request, Response, Result};

use super::dispatch::Matched;
use super::{body, error, evaluate, guard};
use crate::config;
use crate::freshness;
use crate::usage;

/// The largest batch accepted: far above what a page sends between two flushes (and what
/// `sendBeacon` carries at all, 64 KiB).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-API-Key, X-Burgee-Environment";

/// The answer, with CORS for the caller's origin.
pub async fn post(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let origin = req.headers().get("Origin").ok().flatten();
    let answer = accept(&req, env, m).await?;
    allow(answer, origin.as_deref())
}

/// `OPTIONS` on the route.
pub fn preflight(req: &Request) -> Result<Response> {
    let origin = req.headers().get("Origin").ok().flatten();
    let headers = Headers::new();
    headers.set("Access-Control-Allow-Methods", "POST, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS)?;
    headers.set("Access-Control-Max-Age", "86400")?;
    allow(
        Response::empty()?.with_status(204).with_headers(headers),
        origin.as_deref(),
    )
}

fn allow(mut response: Response, origin: Option<&str>) -> Result<Response> {
    let headers = response.headers_mut();
    match origin {
        Some(origin) => {
            headers.set("Access-Control-Allow-Origin", origin)?;
            headers.set("Access-Control-Allow-Credentials", "true")?;
        }
        None => headers.set("Access-Control-Allow-Origin", "*")?,
    }
    headers.append("Vary", "Origin")?;
    Ok(response)
}

async fn accept(req: &Request, env: &Env, m: &Matched) -> Result<Response> {
    let Some(bytes) = body::read(req.inner(), MAX_BATCH_BYTES).await else {
        return error(
            Code::PayloadTooLarge,
            &format!("a metrics batch is at most {MAX_BATCH_BYTES} bytes"),
        );
    };
    let now = evaluate::now() as i64;
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|_| "the batch is not UTF-8".to_string())
        .and_then(|text| Batch::from_client_json(text, now).map_err(|e| e.to_string()));
    let mut batch = match parsed {
        Ok(batch) => batch,
        Err(why) => return error(Code::InvalidBody, &format!("not a metrics batch: {why}")),
    };
    let config = config::get(env);
    let asked = match evaluate::environment(req.inner(), m.environment.as_deref(), &config) {
        Ok(asked) => asked,
        Err(response) => return response,
    };
    // The path's or header's environment, when one is named, must be the batch's.
    let named_by_request = m.environment.is_some() || header_names(req);
    let environment = match batch.environment() {
        None if batch.is_empty() => return counted(0, 0),
        Some(named) if !named_by_request || named == asked => named.to_string(),
        _ => {
            return error(
                Code::InvalidBody,
                &format!(
                    "a batch counts one environment, the one it is posted to (`{asked}` here)"
                ),
            );
        }
    };
    let admitted = match guard::check(req.inner(), env, &environment, true).await? {
        Ok(admitted) => admitted,
        Err(refusal) => return Ok(refusal),
    };
    let location = freshness::Location::of(req.inner());
    if !freshness::listed(env, &location, &environment, evaluate::now()).await {
        return error(Code::EnvironmentNotFound, "no such environment");
    }
    let Some(snapshot) =
        evaluate::snapshot(req.inner(), env, &environment, admitted.audience).await
    else {
        return error(
            Code::NoSnapshot,
            "the environment's flags could not be read; retry later",
        );
    };
    let dropped = batch.retain_known(|_, flag, variant| match variant {
        Some(variant) => snapshot.has_variant(flag, variant),
        None => snapshot.kind(flag).is_some(),
    });
    batch.sketches.clear();
    let kept = batch.counts.len() + batch.events.len();
    if usage::absorb(&batch) {
        counted(kept, dropped)
    } else {
        counted(0, kept + dropped)
    }
}

/// Whether the request names its environment by header (else the batch's own is taken).
fn header_names(req: &Request) -> bool {
    req.headers()
        .get("X-Burgee-Environment")
        .ok()
        .flatten()
        .is_some()
}

fn counted(accepted: usize, dropped: usize) -> Result<Response> {
    Ok(Response::from_json(&serde_json::json!({
        "accepted": accepted,
        "dropped": dropped,
    }))?
    .with_status(202))
}
