//! The admin API's front door: match the route, authenticate the token, check the role and
//! the body's size, then forward to the project's store (the control plane's single writer).
//!
//! Everything is decided here (`401`, `403`, `404`, `405`, `413`), by the route table of the
//! admin-API contract ([`burgee_api::Route`]), before a body is read. A refused token is still
//! sent on to the store, without its body, which answers the refusal: the audit log is there,
//! and so is the one count of failed sign-ins per client address that every isolate shares
//! (past ten a minute, the store answers that address `429` whatever it sends). The data plane
//! is the store's only caller and vouches for the caller with internal headers, which it
//! always overwrites (a client cannot send its own).

use burgee_api::{Code, Miss, Route, RouteId, body_limit};
use burgee_edge_shared::internal;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Result};

use super::error::{api_error, error};
use burgee_edge_shared::session::{CSRF_HEADER, SESSION_COOKIE, Session, same};

use crate::auth::{Caller, Denied, Role};
use crate::config;

/// Whether this request is for one of the admin routes outside the API's mount (the
/// `/feature-flags/{key}` shortcuts); the mount's own paths are decided by `Mounts`.
pub fn matches(method: &Method, path: &str) -> bool {
    Route::parse(method.as_ref(), path).is_ok()
}

/// Sends the request on to the store at `route_path` (the route table's path: the store never
/// sees where the API is mounted).
async fn forward(
    req: Request,
    env: &Env,
    (route, route_path): (RouteId, &str),
    headers: Headers,
    body: Option<Vec<u8>>,
) -> Result<Response> {
    let url = burgee_edge_shared::query::with_path(&req.inner().url(), route_path);
    let mut init = RequestInit::new();
    // The sign-in routes answer redirects meant for the browser: pass them on, never follow.
    init.with_method(req.method())
        .with_headers(headers)
        .with_redirect(worker::RequestRedirect::Manual);
    if let Some(body) = body {
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(body.as_slice()).into(),
        ));
    }
    // The metrics routes are the metrics store's; every other one is the writer's.
    let binding = if route.is_metrics() {
        burgee_edge_shared::bindings::METRICS
    } else {
        burgee_edge_shared::bindings::STORE
    };
    let stub = env
        .durable_object(binding)?
        .get_by_name(&config::get(env).project)?;
    stub.fetch_with_request(Request::new_with_init(&url, &init)?)
        .await
}

fn refuse_route(method: &Method, path: &str, miss: Miss) -> Result<Response> {
    match miss {
        Miss::NotAdmin => error(Code::NotFound, &format!("no route for {method} {path}")),
        Miss::MethodNotAllowed(allowed) => {
            let allow = allowed.join(", ");
            let mut r = error(
                Code::MethodNotAllowed,
                &format!("{path} takes {allow}, not {method}"),
            )?;
            r.headers_mut().set("Allow", &allow)?;
            Ok(r)
        }
    }
}

/// The header Cloudflare Access signs the requests it lets through with.
const ACCESS_HEADER: &str = "Cf-Access-Jwt-Assertion";

/// The signed-in person a request's session cookie names: `None` without a valid session;
/// `Some(Err(why))` when the session may not do this (its role is too low, or a write lacks
/// the session's CSRF token: a page on another origin can make the browser send the cookie,
/// but it cannot read the CSRF cookie to send the header).
fn session_caller(
    req: &Request,
    method: &Method,
    needed: Role,
    secret: Option<&[u8]>,
) -> Option<std::result::Result<Caller, String>> {
    let secret = secret?;
    let cookies = req.headers().get("Cookie").ok().flatten()?;
    let session = Session::from_cookies(&cookies, secret, super::evaluate::now() as i64)?;
    let highest = burgee_api::highest_role(session.role, &session.environments);
    if highest < needed {
        return Some(Err(format!(
            "this needs the {} role; you are {}",
            needed.as_str(),
            highest.as_str()
        )));
    }
    if !matches!(method, Method::Get | Method::Head) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .ok()
            .flatten()
            .unwrap_or_default();
        if !same(sent.as_bytes(), session.csrf.as_bytes()) {
            return Some(Err(format!(
                "a write made with a session must send its CSRF token as {CSRF_HEADER}"
            )));
        }
    }
    Some(Ok(Caller {
        name: session.name,
        role: session.role,
        environments: session.environments,
        bypass: false,
    }))
}

/// A sign-in route: forwarded with where the API and app are mounted and the cookies, and
/// nothing that vouches for a caller.
async fn sign_in(
    req: Request,
    env: &Env,
    route: (RouteId, &str),
    headers: Headers,
) -> Result<Response> {
    let config = config::get(env);
    if let Ok(mounts) = &config.mounts {
        headers.set(internal::API_MOUNT, mounts.api())?;
        headers.set(internal::APP_MOUNT, mounts.app())?;
    }
    if let Ok(Some(cookies)) = req.headers().get("Cookie") {
        headers.set("Cookie", &cookies)?;
    }
    forward(req, env, route, headers, None).await
}

/// Handles an admin request whose route path (`/api/v1/…` or a shortcut's) is `route_path`.
pub async fn handle(mut req: Request, env: &Env, route_path: &str) -> Result<Response> {
    let method = req.method();
    let route = match Route::parse(method.as_ref(), route_path) {
        Ok(route) => route,
        Err(miss) => return refuse_route(&method, &req.path(), miss),
    };
    let config = config::get(env);
    let tokens = match &config.admin_tokens {
        Ok(t) => t,
        Err(why) => {
            worker::console_error!("{why}");
            return error(
                Code::Misconfigured,
                "the admin tokens are misconfigured (ADMIN_TOKENS)",
            );
        }
    };
    let headers = Headers::new();
    let address = req.headers().get("CF-Connecting-IP").ok().flatten();
    headers.set(
        internal::CLIENT_ADDRESS,
        address.as_deref().unwrap_or("unknown"),
    )?;
    headers.set(internal::PROJECT, &config.project)?;
    if route.id.is_public() {
        return sign_in(req, env, (route.id, route_path), headers).await;
    }
    let authorization = req.headers().get("Authorization").ok().flatten();
    // A refusal is the store's to answer: it audits failed sign-ins and throttles an address
    // that makes too many, whatever it sends next (so a guess never learns it was right).
    let access = req.headers().get(ACCESS_HEADER).ok().flatten();
    let caller = match tokens.authorize(authorization.as_deref(), route.id.min_role()) {
        Ok(c) => Some(c),
        Err(Denied::Unauthenticated) if authorization.is_none() => {
            let secret = config.session_secret.as_deref();
            match session_caller(&req, &method, route.id.min_role(), secret) {
                Some(Ok(caller)) => Some(caller),
                Some(Err(refusal)) => {
                    headers.set(internal::DENIED, &refusal)?;
                    return forward(req, env, (route.id, route_path), headers, None).await;
                }
                // Behind Cloudflare Access: the store verifies the assertion and decides.
                None if access.is_some() => None,
                // No credential at all (the app asking whether it is signed in) is no guess:
                // refused, but neither audited nor counted toward the address's throttle. A
                // session cookie that does not verify is.
                None => {
                    let cookies = req.headers().get("Cookie").ok().flatten();
                    let presented = cookies.is_some_and(|c| c.contains(SESSION_COOKIE));
                    let denied = if presented {
                        "unauthenticated"
                    } else {
                        "anonymous"
                    };
                    headers.set(internal::DENIED, denied)?;
                    return forward(req, env, (route.id, route_path), headers, None).await;
                }
            }
        }
        Err(Denied::Unauthenticated) => {
            headers.set(internal::DENIED, "unauthenticated")?;
            return forward(req, env, (route.id, route_path), headers, None).await;
        }
        Err(Denied::Forbidden { needed, has }) => {
            let message = format!(
                "this needs the {} role; your token is {}",
                needed.as_str(),
                has.as_str()
            );
            headers.set(internal::DENIED, &message)?;
            return forward(req, env, (route.id, route_path), headers, None).await;
        }
    };
    let limit = body_limit(route.id);
    let too_large = || {
        api_error(&burgee_api::ApiError::new(
            Code::PayloadTooLarge,
            format!("bodies of this route are limited to {limit} bytes"),
        ))
    };
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > limit) {
        return too_large();
    }
    let body = if matches!(method, Method::Get | Method::Head | Method::Delete) {
        None
    } else {
        let bytes = req.bytes().await.unwrap_or_default();
        if bytes.len() > limit {
            return too_large();
        }
        Some(bytes)
    };
    for name in [
        "Content-Type",
        "If-Match",
        internal::ENVIRONMENT,
        internal::REASON,
    ] {
        if let Ok(Some(value)) = req.headers().get(name) {
            headers.set(name, &value)?;
        }
    }
    match (&caller, &access) {
        (Some(caller), _) => {
            headers.set(internal::ACTOR, &caller.name)?;
            headers.set(internal::ROLE, caller.role.as_str())?;
            if caller.bypass {
                headers.set(internal::BYPASS_APPROVALS, "1")?;
            }
            if !caller.environments.is_empty() {
                headers.set(
                    internal::ENVIRONMENT_ROLES,
                    &burgee_api::roles_to_header(&caller.environments),
                )?;
            }
        }
        (None, Some(assertion)) => {
            headers.set(internal::ACCESS_ASSERTION, assertion)?;
            if let Ok(Some(origin)) = req.headers().get("Origin") {
                headers.set(internal::ORIGIN, &origin)?;
            }
        }
        (None, None) => {}
    }
    forward(req, env, (route.id, route_path), headers, body).await
}
