//! Edge gating in front of an origin (`ORIGIN_URL`): every request that is not one of Burgee's
//! own routes is evaluated, possibly refused, and forwarded.
//!
//! For each request: build the context ([`crate::gate::request_context`]), evaluate every flag
//! of the environment, answer `403` JSON when the path is gated by a flag that is off for this
//! visitor, otherwise forward to the origin with the evaluated flags in `X-Burgee-Flags`, and
//! put them into `text/html` responses as the bootstrap script the npm package reads on first
//! paint. With no snapshot, gated paths are refused (fail closed) and others pass through with
//! no flags.

use burgee_api::Code;
use serde_json::{Map, Value, json};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

use super::error;
use super::evaluate::{environment, now};
use crate::gate::{ascii_json, inject_bootstrap, request_context};
use crate::{config, snapshots};

/// Pages larger than this are forwarded untouched rather than buffered for injection.
const MAX_INJECT_BYTES: usize = 5 * 1024 * 1024;

/// Is edge gating configured? (Otherwise unknown paths are a plain JSON 404.)
pub fn enabled(env: &Env) -> bool {
    config::get(env).origin.is_some()
}

pub async fn handle(mut req: Request, env: &Env) -> Result<Response> {
    let config = config::get(env);
    let Some(origin) = config.origin.clone() else {
        return error(
            Code::NotFound,
            &format!("no route for {} {}", req.method(), req.path()),
        );
    };
    let gates = match &config.gates {
        Ok(g) => g.clone(),
        Err(why) => {
            worker::console_error!("{why}");
            return error(Code::Misconfigured, "edge gating is misconfigured (GATES)");
        }
    };
    let environment = match environment(&req, None, &config) {
        Ok(e) => e,
        Err(response) => return response,
    };
    let now = now();
    let secret = config.context_secret.clone();
    let headers = req.headers();
    let context = request_context(
        &gates,
        headers.get("Cookie").ok().flatten().as_deref(),
        headers.get("Authorization").ok().flatten().as_deref(),
        headers.get(&gates.user_header).ok().flatten().as_deref(),
        secret.as_deref().map(str::as_bytes),
        (now / 1000.0) as i64,
    );

    let location = crate::freshness::Location::of(&req);
    let loaded = snapshots::full(env, &location, &environment, now).await;
    let mut flags = Map::new();
    let mut values = Map::new();
    if let Some(loaded) = &loaded {
        let snapshot = &loaded.value.snapshot;
        let bound = snapshot.context(&context);
        let mut text = String::new();
        for (key, detail) in snapshot.evaluate_all(&bound, now as i64) {
            // The core's one result shape, as the npm package reads it.
            text.clear();
            detail.write_json(&mut text, key, false, "null");
            let result: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            values.insert(
                key.into(),
                result.get("value").cloned().unwrap_or(Value::Null),
            );
            flags.insert(key.into(), result);
        }
    }

    let path = req.path();
    if let Some(flag) = gates.gate_for(&path) {
        let on = values.get(flag).and_then(Value::as_bool) == Some(true);
        if !on {
            let mut response = error(
                Code::FeatureDisabled,
                &format!("`{path}` needs the feature `{flag}`, which is not on for you"),
            )?;
            response
                .headers_mut()
                .set("Cache-Control", "private, no-store")?;
            return Ok(response);
        }
    }

    // Forward, with the evaluated flags for the origin to use.
    // The path and query exactly as received (no `url` parsing: see evaluate::query_pairs).
    let raw = req.inner().url();
    let after_scheme = raw.split_once("://").map_or(raw.as_str(), |(_, rest)| rest);
    let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path_and_query = path_and_query
        .split_once('#')
        .map_or(path_and_query, |(p, _)| p);
    let target = format!("{}{}", origin.trim_end_matches('/'), path_and_query);
    let forward = Headers::new();
    for (name, value) in req.headers().entries() {
        if !name.eq_ignore_ascii_case("host")
            && !name.to_ascii_lowercase().starts_with("x-burgee-flags")
        {
            forward.append(&name, &value)?;
        }
    }
    forward.set("X-Burgee-Flags", &ascii_json(&Value::Object(values)))?;
    forward.set("X-Burgee-Environment", &environment)?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(forward);
    if !matches!(req.method(), Method::Get | Method::Head) {
        let body = req.bytes().await?;
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(body.as_slice()).into(),
        ));
    }
    let mut upstream = match Fetch::Request(Request::new_with_init(&target, &init)?)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            worker::console_error!("origin {target}: {e}");
            return error(Code::OriginUnreachable, "the origin did not answer");
        }
    };

    let is_html = upstream
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("text/html"));
    let small = upstream
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok())
        .is_none_or(|l| l <= MAX_INJECT_BYTES);
    if !(gates.bootstrap && is_html && small && loaded.is_some()) {
        return Ok(upstream);
    }
    let status = upstream.status_code();
    let html = upstream.text().await?;
    let bootstrap = json!({
        "environment": environment,
        "version": loaded.as_ref().map(|l| l.revision),
        "context": context.get("targetingKey").map(|k| json!({"targetingKey": k})).unwrap_or(json!({})),
        "flags": flags,
    });
    let page = inject_bootstrap(&html, &ascii_json(&bootstrap));
    let headers = Headers::new();
    for (name, value) in upstream.headers().entries() {
        let lower = name.to_ascii_lowercase();
        // The body changed: its length and encoding are ours now.
        if lower != "content-length" && lower != "content-encoding" && lower != "etag" {
            headers.append(&name, &value)?;
        }
    }
    headers.set("Cache-Control", "private, no-cache")?;
    Ok(Response::from_html(page)?
        .with_status(status)
        .with_headers(headers))
}
