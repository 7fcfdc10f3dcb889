//! `GET /v1/snapshot/{env}`: the client-side snapshot for local evaluation (the npm package).
//!
//! It is public, so it is the `clientSide` compilation only: flags whose rules name customers
//! never leave the edge. The bytes are served as published, brought up to date with the store
//! first like every evaluation, with a strong `ETag` (revision and hash) and a one-second
//! cache lifetime, so a client told by the change stream to refetch gets the new bytes. Where
//! evaluation keys are required the answer is `private`: a shared cache must not hand it to a
//! caller without a key.

use burgee_api::Code;
use worker::{Env, Headers, Request, Response, Result};

use super::dispatch::Matched;
use super::evaluate::now;
use super::{cors, error_at};
use crate::freshness::Location;
use crate::{config, ofrep, snapshots};

pub async fn get(req: Request, env: &Env, m: &Matched) -> Result<Response> {
    let config = config::get(env);
    let environment =
        match super::evaluate::environment(req.inner(), m.environment.as_deref(), &config) {
            Ok(e) => e,
            Err(response) => return cors::allow(response?),
        };
    let location = Location::of(req.inner());
    let Some(public) = snapshots::public(env, &location, &environment, now()).await else {
        return cors::allow(error_at(
            404,
            Code::NoSnapshot,
            &format!("no client-side snapshot is published for `{environment}`"),
        )?);
    };
    let headers = Headers::new();
    headers.set("ETag", &public.value.etag)?;
    let keyed = config
        .evaluation_keys
        .as_ref()
        .is_ok_and(|keys| keys.required());
    let cache = if keyed {
        "private, max-age=1"
    } else {
        "public, max-age=1"
    };
    headers.set("Cache-Control", cache)?;
    let if_none_match = req.headers().get("If-None-Match").ok().flatten();
    if ofrep::matches(if_none_match.as_deref(), &public.value.etag) {
        return cors::allow(Response::empty()?.with_status(304).with_headers(headers));
    }
    headers.set("Content-Type", "application/octet-stream")?;
    headers.set("X-Burgee-Version", &public.revision.to_string())?;
    cors::allow(Response::from_bytes(public.value.bytes.as_ref().clone())?.with_headers(headers))
}
