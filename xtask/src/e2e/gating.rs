//! Edge gating against a real local origin: the worker evaluates each request's flags with a
//! context from a signed token, a cookie or a header, refuses gated paths whose flag is off
//! (403 JSON), forwards the flags to the origin, and injects them into HTML.
//!
//! The example document's `outbound_calling` is on in production for `role` admin or premium
//! and off for others, so `/calls/` is gated by it.
//!
//! The worker fronts the site as a deployment would: with the admin app and API moved to
//! [`APP_MOUNT`] and [`API_MOUNT`], so the site keeps its own `/admin` and `/api`.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::origin::{Origin, PAGE};
use super::{Check, expect, expect_error, run_checks};
use crate::http;
use crate::seed;
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

const SECRET: &str = "test-context-secret";
/// The admin mounts of this deployment (`ADMIN_PATH`, `ADMIN_API_PATH`), and its admin token.
const APP_MOUNT: &str = "/_burgee/admin";
const API_MOUNT: &str = "/_burgee/api";
const ADMIN: &str = "gating-admin-token";

pub struct Fixture {
    addr: SocketAddr,
    origin: Origin,
}

const CHECKS: &[(&str, Check<Fixture>)] = &[
    (
        "an anonymous visitor gets 403 JSON on a gated path",
        gated_anonymous,
    ),
    (
        "a signed token with role admin opens the gated path",
        gated_token,
    ),
    (
        "a token with a bad signature is anonymous, never an error page",
        bad_token,
    ),
    (
        "the origin receives the evaluated flags in X-Burgee-Flags",
        flags_header,
    ),
    (
        "HTML gets the bootstrap script; the rest of the page is intact",
        bootstrap,
    ),
    (
        "the targeting key comes from the cookie when there is no token (trusted by GATES)",
        cookie_context,
    ),
    (
        "non-HTML bodies and POST bodies pass through untouched",
        pass_through,
    ),
    (
        "with the admin mounts moved, the site's own /admin and /api reach the origin",
        site_keeps_its_paths,
    ),
    (
        "the admin API and app answer at their mounts only",
        admin_at_its_mounts,
    ),
];

fn token(claims: &Value, secret: &str) -> Result<String> {
    Ok(burgee_edge::gate::sign_token(
        claims,
        secret.as_bytes(),
        "HS256",
    ))
}

pub fn run() -> Result {
    let origin = Origin::start()?;
    let example = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let options = Options {
        seed: seed::snapshots(&example, 1, str::to_string)?,
        control_vars: Vec::new(),
        vars: vec![
            ("ORIGIN_URL".into(), origin.url()),
            (
                "GATES".into(),
                // Trusting the plain cookie too (`cookie_context`); the default, which does
                // not, is attacked in `gating_attacks`.
                r#"{"routes":[{"prefix":"/calls/","flag":"outbound_calling"}],"trustUnsignedIdentity":true}"#
                    .into(),
            ),
            ("CONTEXT_SECRET".into(), SECRET.into()),
            ("ADMIN_PATH".into(), APP_MOUNT.into()),
            ("ADMIN_API_PATH".into(), API_MOUNT.into()),
        ]
        .into_iter()
        .chain(crate::admin_api::admin_vars("gating-admin", ADMIN))
        .collect(),
    };
    let mut server = Wrangler::ephemeral_with(&options)?;
    server.wait_healthy(READY_TIMEOUT)?;
    let fixture = Fixture {
        addr: server.addr(),
        origin,
    };
    run_checks(&server, &fixture, CHECKS)
}

fn admin_token() -> Result<String> {
    token(
        &json!({"sub": "user-42", "role": "admin", "exp": 4_000_000_000u64}),
        SECRET,
    )
}

fn gated_anonymous(f: &Fixture) -> Result {
    let r = http::get(f.addr, "/calls/dashboard")?;
    expect_error(&r, 403, "feature_disabled")?;
    expect(f.origin.last("/calls/dashboard").is_none(), || {
        "the origin was called for a refused request".into()
    })
}

fn gated_token(f: &Fixture) -> Result {
    let auth = format!("Bearer {}", admin_token()?);
    let r = http::request(
        f.addr,
        "GET",
        "/calls/dashboard",
        &[("Authorization", &auth)],
        None,
    )?;
    expect(
        r.status == 200 && r.text().contains("<h1>Tasks</h1>"),
        || format!("{} {}", r.status, r.text()),
    )
}

fn bad_token(f: &Fixture) -> Result {
    let forged = token(
        &json!({"sub": "user-42", "role": "admin"}),
        "not-the-secret",
    )?;
    for auth in [format!("Bearer {forged}"), "Bearer garbage".to_string()] {
        let r = http::request(
            f.addr,
            "GET",
            "/calls/dashboard",
            &[("Authorization", &auth)],
            None,
        )?;
        expect_error(&r, 403, "feature_disabled")?;
        let page = http::request(f.addr, "GET", "/page", &[("Authorization", &auth)], None)?;
        expect(page.status == 200, || {
            format!("an ungated page with a bad token: {}", page.status)
        })?;
    }
    Ok(())
}

fn flags_header(f: &Fixture) -> Result {
    let auth = format!("Bearer {}", admin_token()?);
    let r = http::request(
        f.addr,
        "GET",
        "/api/tasks",
        &[("Authorization", &auth)],
        None,
    )?;
    expect(r.status == 200, || format!("status {}", r.status))?;
    let seen = f
        .origin
        .last("/api/tasks")
        .ok_or_else(|| Failed("the origin saw nothing".into()))?;
    let flags: Value = serde_json::from_str(seen.header("x-burgee-flags").unwrap_or("null"))
        .map_err(|e| Failed(format!("X-Burgee-Flags is not JSON: {e}")))?;
    expect(
        // The 9 client-side flags of the example's 13: the origin may put the header into a
        // page, so it carries only what the page may see.
        flags["outbound_calling"] == true
            && flags.as_object().is_some_and(|m| m.len() == 9)
            && flags.get("advanced-ai-features").is_none(),
        || format!("X-Burgee-Flags {flags}"),
    )?;
    expect(
        seen.header("x-burgee-environment") == Some("production"),
        || format!("{:?}", seen.headers),
    )
}

/// The bootstrap script's data in an HTML page, and the page without the script.
pub fn bootstrap_of(html: &str) -> Result<(Value, String)> {
    let start = html
        .find("<script id=\"burgee-bootstrap\" type=\"application/json\">")
        .ok_or_else(|| Failed(format!("no bootstrap script in {html}")))?;
    let json_start = html[start..]
        .find('>')
        .map(|i| start + i + 1)
        .unwrap_or(start);
    let json_end = html[json_start..]
        .find("</script>")
        .map(|i| json_start + i)
        .unwrap_or(json_start);
    let data: Value = serde_json::from_str(&html[json_start..json_end])
        .map_err(|e| Failed(format!("bootstrap is not JSON: {e}")))?;
    let without = format!(
        "{}{}",
        &html[..start],
        &html[json_end + "</script>".len()..]
    );
    Ok((data, without))
}

fn bootstrap(f: &Fixture) -> Result {
    let auth = format!("Bearer {}", admin_token()?);
    let r = http::request(f.addr, "GET", "/page", &[("Authorization", &auth)], None)?;
    expect(
        r.status == 200
            && r.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
        || format!("{} {:?}", r.status, r.header("content-type")),
    )?;
    let (data, without) = bootstrap_of(&r.text())?;
    expect(
        // The core's one result shape (`ruleId` included), as every evaluation route has it.
        data["flags"]["outbound_calling"]
            == json!({"value": true, "variant": "on", "reason": "TARGETING_MATCH", "ruleId": "admins-and-premium"})
            && data["environment"] == "production"
            && data["context"]["targetingKey"] == "user-42",
        || format!("bootstrap {data}"),
    )?;
    expect(without == PAGE, || {
        format!("the page changed beyond the script: {without}")
    })
}

fn cookie_context(f: &Fixture) -> Result {
    let r = http::request(
        f.addr,
        "GET",
        "/page",
        &[("Cookie", "theme=dark; burgee_uid=visitor-9")],
        None,
    )?;
    expect(r.text().contains("\"targetingKey\":\"visitor-9\""), || {
        r.text()
    })
}

fn pass_through(f: &Fixture) -> Result {
    let r = http::get(f.addr, "/api/other")?;
    expect(r.text() == r#"{"origin":true,"path":"/api/other"}"#, || {
        r.text()
    })?;
    let body = b"binary \x00\x01\x02 payload";
    let r = http::request(
        f.addr,
        "POST",
        "/echo",
        &[("Content-Type", "application/octet-stream")],
        Some(body),
    )?;
    expect(r.status == 200 && r.body == body, || {
        format!("{} {:?}", r.status, r.body)
    })?;
    let seen = f
        .origin
        .last("/echo")
        .ok_or_else(|| Failed("no echo".into()))?;
    expect(seen.method == "POST" && seen.body == body, || {
        format!("{seen:?}")
    })
}

fn site_keeps_its_paths(f: &Fixture) -> Result {
    let auth = format!("Bearer {ADMIN}");
    for path in ["/admin/", "/admin", "/api/v1/document", "/api/v1/whoami"] {
        let r = http::request(f.addr, "GET", path, &[("Authorization", &auth)], None)?;
        let seen = f.origin.last(path);
        expect(r.status == 200 && seen.is_some(), || {
            format!(
                "{path}: {} {} (the origin saw it: {})",
                r.status,
                r.text(),
                seen.is_some()
            )
        })?;
        expect(!r.text().contains("\"version\""), || {
            format!("{path} answered the store's document: {}", r.text())
        })?;
    }
    Ok(())
}

fn admin_at_its_mounts(f: &Fixture) -> Result {
    let auth = format!("Bearer {ADMIN}");
    let before = f.origin.count();
    let whoami = format!("{API_MOUNT}/v1/whoami");
    let r = http::request(f.addr, "GET", &whoami, &[("Authorization", &auth)], None)?;
    let who = super::expect_json(&r, 200)?;
    expect(who["role"] == "admin", || format!("{whoami}: {who}"))?;
    expect_error(&http::get(f.addr, &whoami)?, 401, "unauthenticated")?;
    let missing = format!("{API_MOUNT}/v1/no-such-route");
    expect_error(
        &http::request(f.addr, "GET", &missing, &[("Authorization", &auth)], None)?,
        404,
        "not_found",
    )?;
    let page = http::get(f.addr, &format!("{APP_MOUNT}/"))?;
    expect(
        page.status == 200
            && page
                .text()
                .contains(&format!(r#"<base href="{APP_MOUNT}/">"#)),
        || format!("{APP_MOUNT}/: {} {}", page.status, page.text()),
    )?;
    let script = http::get(f.addr, &format!("{APP_MOUNT}/boot.js"))?;
    expect(
        script.status == 200 && script.header("x-content-type-options") == Some("nosniff"),
        || {
            format!(
                "{APP_MOUNT}/boot.js: {} {:?}",
                script.status, script.headers
            )
        },
    )?;
    let post = http::request(f.addr, "POST", &format!("{APP_MOUNT}/"), &[], Some(b"x"))?;
    expect_error(&post, 405, "method_not_allowed")?;
    expect(f.origin.count() == before, || {
        format!(
            "the origin was asked for the admin mounts: {:?}",
            f.origin.since(before)
        )
    })
}
