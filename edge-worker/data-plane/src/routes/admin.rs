//! The admin API and the change stream, on the worker's side: authenticate, check the role,
//! bound the body, and forward to the project's Durable Object (the single writer).
//!
//! The worker is the Durable Object's only caller, and it vouches for the caller with
//! `X-Burgee-Actor` / `X-Burgee-Role`, which it always overwrites (a client cannot send its own).
//! Role policy lives in one function ([`crate::access::required_role`]).

use worker::{Env, Headers, Method, Request, RequestInit, Response, Result};

use super::error;
use crate::access::{self as admin, MAX_BODY_BYTES};
use crate::auth::Denied;
use crate::{bindings, config};

/// Is this request for the admin API or the change stream?
pub fn matches(method: &Method, path: &str) -> bool {
    path.starts_with("/api/v1/")
        || path == "/api/v1"
        || stream_environment(method, path).is_some()
        || admin::required_role(method.as_ref(), path).is_some()
}

fn stream_environment<'a>(method: &Method, path: &'a str) -> Option<&'a str> {
    if *method != Method::Get {
        return None;
    }
    path.strip_prefix("/v1/stream/")
        .filter(|e| !e.is_empty() && !e.contains('/'))
}

fn project(env: &Env) -> String {
    env.var(bindings::PROJECT)
        .map(|v| v.to_string())
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "default".into())
}

async fn forward(
    req: Request,
    env: &Env,
    headers: Headers,
    body: Option<Vec<u8>>,
) -> Result<Response> {
    let url = req.inner().url();
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(body.as_slice()).into(),
        ));
    }
    let stub = env
        .durable_object(bindings::STORE)?
        .id_from_name(&project(env))?
        .get_stub()?;
    stub.fetch_with_request(Request::new_with_init(&url, &init)?)
        .await
}

pub async fn handle(mut req: Request, env: &Env) -> Result<Response> {
    let method = req.method();
    let path = req.path();
    if let Some(environment) = stream_environment(&method, &path) {
        if let Some(refusal) = super::guard::check(&req, env, environment).await? {
            return Ok(refusal);
        }
        let headers = Headers::new();
        headers.set("X-Burgee-Environment", environment)?;
        // The Durable Object sets the CORS headers: a fetched response's headers are immutable.
        return forward(req, env, headers, None).await;
    }
    let config = config::get(env);
    let Some(needed) = admin::required_role(method.as_ref(), &path) else {
        let allowed = admin::allowed_methods(&path);
        if allowed.is_empty() {
            return error(404, "not_found", &format!("no route for {method} {path}"));
        }
        let allow = allowed.join(", ");
        let mut r = error(
            405,
            "method_not_allowed",
            &format!("{path} takes {allow}, not {method}"),
        )?;
        r.headers_mut().set("Allow", &allow)?;
        return Ok(r);
    };
    let tokens = match &config.admin_tokens {
        Ok(t) => t,
        Err(why) => {
            worker::console_error!("{why}");
            return error(
                500,
                "misconfigured",
                "the admin tokens are misconfigured (ADMIN_TOKENS)",
            );
        }
    };
    let authorization = req.headers().get("Authorization").ok().flatten();
    let caller = match tokens.authorize(authorization.as_deref(), needed) {
        Ok(c) => c,
        Err(Denied::Unauthenticated) => {
            let mut r = error(
                401,
                "unauthenticated",
                "send Authorization: Bearer <token> with a valid admin token",
            )?;
            r.headers_mut()
                .set("WWW-Authenticate", "Bearer realm=\"burgee\"")?;
            return Ok(r);
        }
        Err(Denied::Forbidden { needed, has }) => {
            return error(
                403,
                "forbidden",
                &format!(
                    "this needs the {} role; your token is {}",
                    needed.as_str(),
                    has.as_str()
                ),
            );
        }
    };
    if path == "/api/v1/whoami" {
        return Response::from_json(
            &serde_json::json!({"name": caller.name, "role": caller.role.as_str()}),
        );
    }
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > MAX_BODY_BYTES) {
        return error(
            413,
            "payload_too_large",
            &format!("bodies are limited to {MAX_BODY_BYTES} bytes"),
        );
    }
    let body = if matches!(method, Method::Get | Method::Head | Method::Delete) {
        None
    } else {
        let bytes = req.bytes().await.unwrap_or_default();
        if bytes.len() > MAX_BODY_BYTES {
            return error(
                413,
                "payload_too_large",
                &format!("bodies are limited to {MAX_BODY_BYTES} bytes"),
            );
        }
        Some(bytes)
    };
    let headers = Headers::new();
    for name in ["Content-Type", "If-Match", "X-Burgee-Environment"] {
        if let Ok(Some(value)) = req.headers().get(name) {
            headers.set(name, &value)?;
        }
    }
    headers.set("X-Burgee-Actor", &caller.name)?;
    headers.set("X-Burgee-Role", caller.role.as_str())?;
    forward(req, env, headers, body).await
}
