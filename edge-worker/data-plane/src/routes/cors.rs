//! CORS for the public evaluation routes: any origin may read evaluations (they are answers
//! for the context the caller sent, never configuration), and browsers must be able to see the
//! `ETag` to revalidate. Admin routes never get these headers.

use worker::{Headers, Request, Response, Result};

const ALLOW_HEADERS: &str =
    "Content-Type, If-None-Match, X-Burgee-Environment, Authorization, X-API-Key";

/// Adds the CORS headers of an evaluation response to `headers`.
pub fn add_to(headers: &Headers) -> Result<()> {
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Access-Control-Expose-Headers", "ETag, Retry-After")?;
    headers.append("Vary", "Origin")
}

/// Adds the CORS headers to an evaluation response.
pub fn allow(mut response: Response) -> Result<Response> {
    add_to(response.headers_mut())?;
    Ok(response)
}

/// Answers a preflight `OPTIONS` request on an evaluation route.
pub fn preflight(_req: Request) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS)?;
    headers.set("Access-Control-Max-Age", "86400")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}
