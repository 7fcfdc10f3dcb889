//! Edge gating in front of an origin (`ORIGIN_URL`): every request that is not one of Burgee's
//! own routes is evaluated, possibly refused, and forwarded.
//!
//! For each request: read its path in the one canonical form ([`crate::gate::path`]; a path
//! with no single reading is a `400` JSON), build the context
//! ([`crate::gate::request_context`]), evaluate the flags in the deployment's environment
//! (GATES' `environment`, else `ENVIRONMENT_DEFAULT`: never one the request names), answer `403`
//! JSON when the path is gated by a flag that is off for this visitor, otherwise forward the
//! canonical path to the origin with the client-side flags in `X-Burgee-Flags`, and stream them
//! into `text/html` answers as the bootstrap script the npm package reads on first paint
//! ([`super::rewrite`]). The origin's redirects are the visitor's to follow: they pass through
//! as they are, `Set-Cookie` and all. With no snapshot, gated paths are refused (fail closed)
//! and others pass through with no flags.

use std::cell::RefCell;
use std::rc::Rc;

use burgee_api::Code;
use burgee_core::Snapshot;
use serde_json::Value;
use worker::{
    Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response, Result,
};

use super::evaluate::now;
use super::{error, rewrite};
use crate::freshness::Location;
use crate::gate::page::{self, ascii_json};
use crate::gate::{path, request_context};
use crate::{config, snapshots};

/// Is edge gating configured? (Otherwise unknown paths are a plain JSON 404.)
pub fn enabled(env: &Env) -> bool {
    config::get(env).origin.is_some()
}

/// The client-side flag keys (sorted) of one revision of an environment's public snapshot.
type ClientSide = (String, u64, Rc<Vec<String>>);

thread_local! {
    /// The keys of the last public snapshot read (decoded once per revision, not per request).
    static CLIENT_SIDE: RefCell<Option<ClientSide>> = const { RefCell::new(None) };
}

/// The keys of the flags the page may see: those of the environment's public (client-side)
/// snapshot; none when there is no such snapshot.
async fn client_side(env: &Env, location: &Location, environment: &str) -> Rc<Vec<String>> {
    let Some(public) = snapshots::public(env, location, environment, now()).await else {
        return Rc::default();
    };
    let cached = CLIENT_SIDE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(e, r, _)| e == environment && *r == public.revision)
            .map(|(_, _, keys)| keys.clone())
    });
    if let Some(keys) = cached {
        return keys;
    }
    let keys: Rc<Vec<String>> = Rc::new(match Snapshot::decode(&public.value.bytes) {
        Ok(s) => s.flag_keys().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    });
    CLIENT_SIDE.with(|c| {
        *c.borrow_mut() = Some((environment.into(), public.revision, keys.clone()));
    });
    keys
}

/// What the evaluation of a request gives: whether the gated flag is on, and the client-side
/// flags' results and values, each a JSON object (text: written as the core writes them, never
/// parsed and written again).
struct Evaluated {
    gate_on: bool,
    results: String,
    values: String,
}

fn evaluate(
    snapshot: Option<&Snapshot>,
    context: &Value,
    now: f64,
    gate: Option<&str>,
    client_side: &[String],
) -> Evaluated {
    let mut out = Evaluated {
        gate_on: false,
        results: "{".into(),
        values: "{".into(),
    };
    if let Some(snapshot) = snapshot {
        crate::usage::evaluate_all(snapshot, context, now as i64, |key, detail| {
            if gate == Some(key) {
                out.gate_on = detail.value_json() == Some("true");
            }
            if client_side
                .binary_search_by(|k| k.as_str().cmp(key))
                .is_err()
            {
                return;
            }
            // Flag keys are letters, digits, `.`, `_` and `-`: nothing to escape.
            for text in [&mut out.results, &mut out.values] {
                if text.len() > 1 {
                    text.push(',');
                }
                text.push('"');
                text.push_str(key);
                text.push_str("\":");
            }
            // The core's one result shape, as the npm package reads it.
            detail.write_json(&mut out.results, key, false, "null");
            out.values.push_str(detail.value_json().unwrap_or("null"));
        });
    }
    out.results.push('}');
    out.values.push('}');
    out
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
    // The path and query exactly as received (no `url` parsing: see evaluate::query_pairs).
    let raw = req.inner().url();
    // The query, `?` included, goes to the origin as it came.
    let (_, raw_path, query) = burgee_edge_shared::query::split_url(&raw);
    let path = match path::normalize(raw_path) {
        Ok(p) => p,
        Err(why) => {
            return error(
                Code::InvalidRequest,
                &format!("the path has no single reading: {why}"),
            );
        }
    };
    let environment = gates
        .environment
        .clone()
        .unwrap_or_else(|| config.default_environment.clone());
    let now = now();
    let headers = req.headers();
    let context = request_context(
        &gates,
        headers.get("Cookie").ok().flatten().as_deref(),
        headers.get("Authorization").ok().flatten().as_deref(),
        headers.get(&gates.user_header).ok().flatten().as_deref(),
        config.context_secret.as_deref().map(str::as_bytes),
        (now / 1000.0) as i64,
    );

    let location = Location::of(req.inner());
    let loaded = snapshots::full(env, &location, &environment, now).await;
    let gate = gates.gate_for(&path);
    let keys = match &loaded {
        Some(_) => client_side(env, &location, &environment).await,
        None => Rc::default(),
    };
    let snapshot = loaded.as_ref().map(|l| &*l.value.snapshot);
    let evaluated = evaluate(snapshot, &context, now, gate, &keys);
    if let Some(flag) = gate
        && !evaluated.gate_on
    {
        let mut response = error(
            Code::FeatureDisabled,
            &format!("`{path}` needs the feature `{flag}`, which is not on for you"),
        )?;
        response
            .headers_mut()
            .set("Cache-Control", "private, no-store")?;
        return Ok(response);
    }

    let target = format!("{}{path}{query}", origin.trim_end_matches('/'));
    let upstream = match forward(&mut req, &target, &evaluated.values, &environment).await? {
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
    let status = upstream.status_code();
    if !(gates.bootstrap && is_html && loaded.is_some() && page::injectable(status)) {
        return Ok(upstream);
    }
    let revision = loaded.as_ref().map_or(0, |l| l.revision);
    let who = context
        .get("targetingKey")
        .map_or(String::new(), |k| format!("\"targetingKey\":{k}"));
    let bootstrap = format!(
        "{{\"environment\":{},\"version\":{revision},\"context\":{{{who}}},\"flags\":{}}}",
        Value::String(environment),
        evaluated.results,
    );
    let user_header = gates
        .trust_unsigned_identity
        .then_some(gates.user_header.as_str());
    personalise(
        upstream,
        req.method() == Method::Head,
        page::bootstrap_script(&ascii_json(&bootstrap)),
        user_header,
    )
}

/// Asks the origin for `target` with the request's method, body and headers (less those only
/// the edge sets), the flags and the environment; redirects are not followed. The outer error
/// is the worker's, the inner one the origin's.
async fn forward(
    req: &mut Request,
    target: &str,
    values: &str,
    environment: &str,
) -> Result<std::result::Result<Response, worker::Error>> {
    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        if page::forwarded(&name) {
            headers.append(&name, &value)?;
        }
    }
    match page::flags_header(values) {
        Some(flags) => headers.set("X-Burgee-Flags", &flags)?,
        None => headers.set("X-Burgee-Flags-Omitted", page::FLAGS_OMITTED)?,
    }
    headers.set("X-Burgee-Environment", environment)?;
    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(req.method(), Method::Get | Method::Head) {
        let body = req.bytes().await?;
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(body.as_slice()).into(),
        ));
    }
    Ok(Fetch::Request(Request::new_with_init(target, &init)?)
        .send()
        .await)
}

/// An HTML answer with the bootstrap: personal, so never kept by a shared cache, and its
/// validators (which describe the origin's page, without the script) dropped.
fn personalise(
    upstream: Response,
    head: bool,
    script: String,
    user_header: Option<&str>,
) -> Result<Response> {
    let status = upstream.status_code();
    let headers = Headers::new();
    let mut vary = None;
    for (name, value) in upstream.headers().entries() {
        if !page::dropped_from_personalised(&name) {
            headers.append(&name, &value)?;
        } else if name.eq_ignore_ascii_case("vary") {
            vary = Some(value);
        }
    }
    headers.set("Cache-Control", page::PERSONALISED_CACHE_CONTROL)?;
    headers.set(
        "Vary",
        &page::personalised_vary(vary.as_deref(), user_header),
    )?;
    let (_, body) = upstream.into_parts();
    let empty = matches!(body, worker::ResponseBody::Empty);
    let response = Response::from_body(body)?
        .with_status(status)
        .with_headers(headers);
    if head || empty {
        return Ok(response);
    }
    rewrite::inject(response, script)
}
