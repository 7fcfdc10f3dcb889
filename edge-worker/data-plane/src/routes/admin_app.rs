//! The admin app's files, served under its mount (`ADMIN_PATH`) from the static assets.
//!
//! The worker runs first for every path, so only this module decides what is the app's: a
//! file of the app can never shadow a route, and a worker that fronts a site takes none of the
//! site's paths but the two mounts. The app's page names both mounts (its `<base href>`, which
//! every relative URL of the app starts from, and the API it calls), so the page is edited on
//! the way out; the files themselves do not depend on where they are served. Every answer
//! carries the app's security headers, set here and nowhere else.

use burgee_api::{Code, Mounts};
use burgee_edge_shared::query::{split_url, with_path};
use worker::{Env, Headers, Method, Request, Response, Result};

use super::error::error;

/// Scripts from this origin only, and the wasm they compile (`'wasm-unsafe-eval'`); requests
/// to this origin only; no framing (clickjacking), no plugins, no `<base>` elsewhere. Styles
/// are not restricted: the app sets `style` attributes (bar widths).
pub const CONTENT_SECURITY_POLICY: &str = "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// `(name, value)` of every security header of the app's answers.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
];

/// The page as built names the default mounts; these are the exact texts replaced.
const BASE_AS_BUILT: &str = r#"<base href="/admin/">"#;
const API_AS_BUILT: &str = r#"<meta name="burgee-api" content="/api">"#;

/// The app's page with `mounts` in it, or why the page is not the one this worker knows.
pub fn page_for(html: &str, mounts: &Mounts) -> std::result::Result<String, &'static str> {
    if !html.contains(BASE_AS_BUILT) || !html.contains(API_AS_BUILT) {
        return Err("the admin app's index.html lacks its <base> or its burgee-api <meta>");
    }
    // Mounts are plain path segments (checked when read), so they need no HTML escaping.
    Ok(html
        .replacen(
            BASE_AS_BUILT,
            &format!(r#"<base href="{}/">"#, mounts.app()),
            1,
        )
        .replacen(
            API_AS_BUILT,
            &format!(r#"<meta name="burgee-api" content="{}">"#, mounts.api()),
            1,
        ))
}

fn secured(headers: &Headers) -> Result<()> {
    for (name, value) in SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    Ok(())
}

/// `{mount}` without its slash: a permanent redirect to `{mount}/` (query kept).
pub fn redirect_to_root(req: &Request, mounts: &Mounts) -> Result<Response> {
    let url = req.inner().url();
    let (_, _, query) = split_url(&url);
    let headers = Headers::new();
    headers.set("Location", &format!("{}/{query}", mounts.app()))?;
    secured(&headers)?;
    Ok(Response::empty()?.with_status(308).with_headers(headers))
}

/// `file` (the path in the asset directory, `/admin/…`) for a `GET` or `HEAD` below the mount.
pub async fn serve(req: Request, env: &Env, mounts: &Mounts, file: &str) -> Result<Response> {
    let method = req.method();
    if !matches!(method, Method::Get | Method::Head) {
        let mut r = error(
            Code::MethodNotAllowed,
            &format!("the admin app's files take GET or HEAD, not {method}"),
        )?;
        r.headers_mut().set("Allow", "GET, HEAD")?;
        return Ok(r);
    }
    let url = with_path(&req.inner().url(), file);
    // A self-hosted workerd has no static assets: no app, and a plain 404 says so.
    let Ok(assets) = env.assets(burgee_edge_shared::bindings::ASSETS) else {
        return error(
            Code::NotFound,
            "this deployment does not serve the admin app (it has no ASSETS binding)",
        );
    };
    let asset = assets.fetch(url, None).await?;
    let status = asset.status_code();
    let headers = Headers::new();
    for (name, value) in asset.headers().entries() {
        headers.append(&name, &value)?;
    }
    secured(&headers)?;
    let html = headers
        .get("Content-Type")?
        .is_some_and(|t| t.starts_with("text/html"));
    if !html || status != 200 {
        let (_, body) = asset.into_parts();
        return Ok(Response::from_body(body)?
            .with_status(status)
            .with_headers(headers));
    }
    let mut asset = asset;
    let page = match page_for(&asset.text().await?, mounts) {
        Ok(page) => page,
        Err(why) => {
            worker::console_error!("{why}");
            return error(
                Code::Internal,
                "the admin app is not built as this worker expects",
            );
        }
    };
    // The page depends on the mounts, not only on the file: its validators do not describe it.
    for name in ["ETag", "Last-Modified", "Content-Length"] {
        headers.delete(name)?;
    }
    headers.set("Cache-Control", "no-cache")?;
    let body = if method == Method::Head {
        Response::empty()?
    } else {
        Response::ok(page)?
    };
    Ok(body.with_status(200).with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = include_str!("../../../../admin-ui/static/index.html");

    #[test]
    fn the_built_page_names_the_default_mounts_and_is_edited_for_others() {
        let defaults = page_for(PAGE, &Mounts::default()).unwrap();
        assert_eq!(defaults, PAGE, "the default mounts leave the page as built");
        let moved = Mounts::parse(Some("/_burgee/admin"), Some("/_burgee/api")).unwrap();
        let page = page_for(PAGE, &moved).unwrap();
        assert!(page.contains(r#"<base href="/_burgee/admin/">"#), "{page}");
        assert!(page.contains(r#"<meta name="burgee-api" content="/_burgee/api">"#));
        assert!(!page.contains("\"/admin/\"") && !page.contains("\"/api\""));
    }

    #[test]
    fn a_page_without_the_markers_is_refused() {
        assert!(page_for("<html></html>", &Mounts::default()).is_err());
    }
}
