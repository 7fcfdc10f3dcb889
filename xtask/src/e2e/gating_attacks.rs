//! Edge gating attacked: the security review's cases, as a table of raw requests and what must
//! come of each, against the real worker in workerd in front of a forgiving local origin
//! ([`super::origin`]).
//!
//! A table, so that a new attack is one line: the request as text (`METHOD PATH`, then header
//! lines; a `Token: {claims}` line is sent as `Authorization: Bearer` with those claims signed
//! with the deployment's secret), which deployment it targets, and what must happen. Two
//! deployments: `Strict` takes every default (a context secret, unsigned identities not
//! trusted, tokens must expire), `Lenient` opts into what GATES allows (its own environment,
//! unsigned identities, tokens without `exp`). The document is the example plus a server-only
//! flag that names one user (`vip-area`), a client-side flag whose value can exceed the flags
//! header's cap (`big-config`) and one whose value tries to close the bootstrap script
//! (`html-text`).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::gating::bootstrap_of;
use super::origin::{BODY_ONLY, FRAGMENT, MINIFIED, Origin, PAGE, SLOW_DELAY, SLOW_FIRST, Seen};
use super::{expect, expect_error};
use crate::http;
use crate::seed;
use crate::wrangler::{Options, READY_TIMEOUT, Wrangler};
use crate::{Failed, Result, root};

const SECRET: &str = "adversarial-context-secret";

/// Which deployment a case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Strict,
    Lenient,
}

const ROUTES: &str = r#""routes":[{"prefix":"/calls/","flag":"outbound_calling"},{"prefix":"/vip/","flag":"vip-area"}]"#;

impl Setup {
    fn gates(self) -> String {
        match self {
            Setup::Strict => format!("{{{ROUTES}}}"),
            Setup::Lenient => format!(
                r#"{{"environment":"development","trustUnsignedIdentity":true,"allowTokensWithoutExp":true,{ROUTES}}}"#
            ),
        }
    }
}

/// What must come of a request.
#[derive(Clone, Copy)]
enum Want {
    /// A JSON error with this status and code, and the origin never asked.
    Refused(u16, &'static str),
    /// The origin's page (`200`, HTML, with the bootstrap script).
    Page,
    /// This text arrives while the origin still holds back the rest of its page.
    Early(&'static str),
    /// A property of the answer and of what the origin saw.
    Check(fn(&Exchange) -> Result),
}

use Setup::{Lenient, Strict};
use Want::{Check, Early, Page, Refused};

const OFF: Want = Refused(403, "feature_disabled");
const BAD_PATH: Want = Refused(400, "invalid_request");
/// The claims `Token: admin` stands for: an admin whose token expires in 2096.
const ADMIN: &str = r#"{"sub":"user-42","role":"admin","exp":4000000000}"#;

/// (finding, deployment, request, what must happen). A `..` above the root (`/..`, `/%2e%2e`)
/// and `\` never reach the worker as sent: workerd's URL parser resolves them first (a `..` at
/// the root stays there, `\` is `/`), so those rows want the gate's `403`; `gate::path`
/// refuses them with `400` where they do arrive (its unit tests).
///
/// Findings: 1 the visitor picks the environment, 2 paths are not normalised, 3 redirects are
/// followed, 4 identity is spoofed, 5 the proxy is fragile (a: what the flags carry,
/// b: streaming, c: empty answers, d: caching).
#[rustfmt::skip]
const CASES: &[(&str, Setup, &str, Want)] = &[
    ("1", Strict, "GET /calls/dashboard\nX-Burgee-Environment: development", OFF),
    ("1", Strict, "GET /calls/dashboard\nX-Burgee-Environment: no such environment!", OFF),
    ("1", Strict, "GET /page\nX-Burgee-Environment: development", Check(sees_production)),
    ("1", Strict, "GET /api/headers\nX-Burgee-Flags: {\"outbound_calling\":true}\nX-Burgee-Actor: mallory\nX-Burgee-Role: admin\nX-Burgee-Version: 99\nX-Burgee-User: u1\nx-burgee-anything: 1", Check(only_our_burgee_headers)),
    ("1", Lenient, "GET /calls/dashboard\nX-Burgee-Environment: production", Page),
    ("1", Lenient, "GET /api/x\nX-Burgee-Environment: production", Check(sees_development)),
    ("2", Strict, "GET //calls/dashboard", OFF),
    ("2", Strict, "GET ///calls//dashboard", OFF),
    ("2", Strict, "GET /CALLS/dashboard", OFF),
    ("2", Strict, "GET /Calls/Dashboard", OFF),
    ("2", Strict, "GET /%63alls/dashboard", OFF),
    ("2", Strict, "GET /%63%41LLS/dashboard", OFF),
    ("2", Strict, "GET /calls;p/dashboard", OFF),
    ("2", Strict, "GET /calls;jsessionid=1/dashboard;x=y", OFF),
    ("2", Strict, "GET /x/../calls/dashboard", OFF),
    ("2", Strict, "GET /x/%2e%2e/calls/dashboard", OFF),
    ("2", Strict, "GET /x/.%2E/calls/dashboard", OFF),
    ("2", Strict, "GET /./calls/dashboard", OFF),
    ("2", Strict, "GET /%2e/calls/dashboard", OFF),
    ("2", Strict, "GET /calls", OFF),
    ("2", Strict, "GET /calls/", OFF),
    ("2", Strict, "GET /calls%2Fdashboard", BAD_PATH),
    ("2", Strict, "GET /calls%2fdashboard", BAD_PATH),
    ("2", Strict, "GET /calls%5Cdashboard", BAD_PATH),
    ("2", Strict, "GET /calls%3Bp/dashboard", BAD_PATH),
    ("2", Strict, "GET /calls/%00", BAD_PATH),
    ("2", Strict, "GET /calls/%0a", BAD_PATH),
    ("2", Strict, "GET /calls/%zz", BAD_PATH),
    ("2", Strict, "GET /calls/%2", BAD_PATH),
    ("2", Strict, "GET /%252e%252e/calls/dashboard", BAD_PATH),
    ("2", Strict, "GET /calls/a%25b", BAD_PATH),
    ("2", Strict, "GET /calls\\dashboard", OFF),
    ("2", Strict, "GET /../calls/dashboard", OFF),
    ("2", Strict, "GET /%2e%2e/calls/dashboard", OFF),
    ("2", Strict, "GET //api/./%7Euser//tasks;v=1?q=%2F&x=1", Check(forwards_normalised)),
    ("2", Strict, "GET /CALLS/dashboard\nToken: admin", Check(forwards_case)),
    ("3", Strict, "GET /login", Check(passes_login_redirect)),
    ("3", Strict, "GET /go/calls", Check(does_not_follow)),
    ("4", Strict, "GET /vip/area\nCookie: burgee_uid=user-vip", OFF),
    ("4", Strict, "GET /vip/area\nX-Burgee-User: user-vip", OFF),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":4000000000}", Page),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\"}", OFF),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":\"4000000000\"}", OFF),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":null}", OFF),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":4000000000,\"nbf\":\"0\"}", OFF),
    ("4", Strict, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":10}", OFF),
    ("4", Strict, "GET /page\nCookie: burgee_uid=user-vip", Check(anonymous_bootstrap)),
    ("4", Lenient, "GET /vip/area\nCookie: burgee_uid=user-vip", Page),
    ("4", Lenient, "GET /vip/area\nToken: {\"sub\":\"user-vip\"}", Page),
    ("4", Lenient, "GET /vip/area\nToken: {\"sub\":\"user-vip\",\"exp\":\"4000000000\"}", OFF),
    ("5a", Strict, "GET /api/x\nToken: admin", Check(client_side_header)),
    ("5a", Strict, "GET /page\nToken: admin", Check(client_side_bootstrap)),
    ("5a", Strict, "GET /api/x\nToken: {\"sub\":\"u\",\"plan\":\"huge\",\"exp\":4000000000}", Check(header_dropped)),
    ("5a", Strict, "GET /page\nToken: {\"sub\":\"u\",\"plan\":\"huge\",\"exp\":4000000000}", Check(big_in_bootstrap)),
    ("5b", Strict, "GET /slow", Early("<script id=\"burgee-bootstrap\"")),
    ("5b", Strict, "GET /page", Check(script_stays_closed)),
    ("5b", Strict, "GET /bodyonly", Check(body_start)),
    ("5b", Strict, "GET /fragment", Check(document_end)),
    ("5b", Strict, "GET /minified", Check(minified_in_head)),
    ("5b", Strict, "GET /page", Check(head_start)),
    ("5c", Strict, "GET /nocontent", Check(no_content)),
    ("5c", Strict, "GET /page\nIf-None-Match: \"page-v1\"", Check(not_modified)),
    ("5c", Strict, "HEAD /page", Check(head_without_body)),
    ("5d", Strict, "GET /page", Check(personalised_headers)),
    ("5d", Strict, "GET /varies", Check(vary_names_once)),
    ("5d", Lenient, "GET /page", Check(vary_trusted_user_header)),
    ("5d", Strict, "GET /api/cached", Check(api_validators_kept)),
];

/// One deployment under attack.
struct Fixture<'a> {
    addr: SocketAddr,
    origin: &'a Origin,
}

/// A case's answer and the requests the origin received while it was answered.
pub struct Exchange {
    response: http::Response,
    seen: Vec<Seen>,
    /// The document's client-side flags.
    client_side: BTreeSet<String>,
}

pub fn run() -> Result {
    let origin = Origin::start()?;
    let (document, client_side) = document()?;
    let seed = seed::snapshots(&document, 1, str::to_string)?;
    let mut failures = Vec::new();
    for setup in [Strict, Lenient] {
        let options = Options {
            seed: seed.clone(),
            control_vars: Vec::new(),
            vars: vec![
                ("ORIGIN_URL".into(), origin.url()),
                ("GATES".into(), setup.gates()),
                ("CONTEXT_SECRET".into(), SECRET.into()),
            ],
        };
        let mut server = Wrangler::ephemeral_with(&options)?;
        server.wait_healthy(READY_TIMEOUT)?;
        let fixture = Fixture {
            addr: server.addr(),
            origin: &origin,
        };
        let mut failed = Vec::new();
        for (finding, _, request, want) in CASES.iter().filter(|c| c.1 == setup) {
            let name = format!("[{finding}] {setup:?}: {}", request.replace('\n', " | "));
            match run_case(&fixture, request, *want, &client_side) {
                Ok(()) => eprintln!("  ok      {name}"),
                Err(Failed(why)) => {
                    eprintln!("  FAILED  {name}: {why}");
                    failed.push(name);
                }
            }
        }
        if !failed.is_empty() {
            let Failed(why) = server.failed(&format!("{} cases failed", failed.len()));
            eprintln!("{why}");
            failures.extend(failed);
        }
    }
    if failures.is_empty() {
        eprintln!("{} cases passed", CASES.len());
        Ok(())
    } else {
        Err(Failed(format!(
            "{} of {} cases failed: {}",
            failures.len(),
            CASES.len(),
            failures.join("; ")
        )))
    }
}

/// A case's method, path and headers.
type Request = (String, String, Vec<(String, String)>);

/// The request line and headers of a case (`Token:` lines signed into `Authorization`).
fn parse(request: &str) -> Result<Request> {
    let mut lines = request.lines();
    let (method, path) = lines
        .next()
        .and_then(|l| l.split_once(' '))
        .ok_or_else(|| Failed(format!("a case without a request line: {request}")))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(": ")
            .ok_or_else(|| Failed(format!("not a header line: {line}")))?;
        if name == "Token" {
            let claims = if value == "admin" { ADMIN } else { value };
            let claims: Value = serde_json::from_str(claims)
                .map_err(|e| Failed(format!("token claims {claims}: {e}")))?;
            let token = burgee_edge::gate::sign_token(&claims, SECRET.as_bytes(), "HS256");
            headers.push(("Authorization".into(), format!("Bearer {token}")));
        } else {
            headers.push((name.into(), value.into()));
        }
    }
    Ok((method.into(), path.into(), headers))
}

fn run_case(f: &Fixture, request: &str, want: Want, client_side: &BTreeSet<String>) -> Result {
    let (method, path, headers) = parse(request)?;
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    if let Early(text) = want {
        return early(f.addr, &path, text);
    }
    let before = f.origin.count();
    let response = http::request(f.addr, &method, &path, &headers, None)?;
    let x = Exchange {
        response,
        seen: f.origin.since(before),
        client_side: client_side.clone(),
    };
    match want {
        Refused(status, code) => {
            expect_error(&x.response, status, code)?;
            expect(x.seen.is_empty(), || {
                format!("the origin was asked for {:?}", paths(&x.seen))
            })
        }
        Page => {
            let html = x.response.text();
            expect(
                x.response.status == 200
                    && html.contains("<h1>Tasks</h1>")
                    && html.contains("id=\"burgee-bootstrap\""),
                || format!("want the page: {} {html}", x.response.status),
            )
        }
        Check(check) => check(&x),
        Early(_) => Ok(()),
    }
}

fn paths(seen: &[Seen]) -> Vec<&str> {
    seen.iter().map(|s| s.target.as_str()).collect()
}

/// The body received so far of a raw HTTP/1.1 response, its chunked framing removed (a chunk
/// may end in the middle of the text looked for): what arrived of an unfinished chunk counts.
fn dechunked(received: &[u8]) -> Vec<u8> {
    let text = received;
    let Some(head_end) = text.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let (head, mut rest) = (&text[..head_end], &text[head_end + 4..]);
    let chunked = String::from_utf8_lossy(head)
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return rest.to_vec();
    }
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size else { break };
        rest = &rest[line_end + 2..];
        let take = size.min(rest.len());
        body.extend_from_slice(&rest[..take]);
        if take < size || size == 0 {
            break;
        }
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    body
}

/// `GET path` on a raw socket: `text` must arrive before the origin sends its page's rest.
fn early(addr: SocketAddr, path: &str, text: &str) -> Result {
    let io = |e: std::io::Error| Failed(format!("GET {path}: {e}"));
    let mut socket = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(io)?;
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let deadline = Instant::now() + SLOW_DELAY - Duration::from_secs(1);
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&dechunked(&received)).contains(text) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failed(format!(
                "{text:?} did not arrive while the origin held back the rest; got {:?}",
                String::from_utf8_lossy(&received)
            )));
        }
        socket.set_read_timeout(Some(left)).map_err(io)?;
        match socket.read(&mut chunk) {
            Ok(0) => {
                return Err(Failed(format!(
                    "closed before {text:?}: {:?}",
                    String::from_utf8_lossy(&received)
                )));
            }
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(io(e)),
        }
    }
    let first = String::from_utf8_lossy(&received);
    expect(first.contains("<title>Slow</title>"), || {
        format!("want the page's first part {SLOW_FIRST:?}: {first}")
    })
}

/// The example document with the flags the attacks need, and its client-side flags.
fn document() -> Result<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(root().join("examples/tasks-app.json"))
        .map_err(|e| Failed(format!("cannot read the example: {e}")))?;
    let mut document: Value =
        serde_json::from_str(&text).map_err(|e| Failed(format!("the example: {e}")))?;
    let everywhere = |settings: Value| json!({"development": settings, "staging": settings, "production": settings});
    let added = [
        (
            "vip-area",
            json!({"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": everywhere(json!({"enabled": true, "offVariant": "off",
                    "targets": [{"values": ["user-vip"], "variant": "on"}],
                    "defaultServe": {"variant": "off"}}))}),
        ),
        (
            "big-config",
            json!({"kind": "json", "clientSide": true,
                "variants": {"small": {"size": "small"}, "big": {"blob": "x".repeat(9000)}},
                "environments": everywhere(json!({"enabled": true, "offVariant": "small",
                    "rules": [{"id": "huge", "clauses": [{"attribute": "plan", "op": "in", "values": ["huge"]}],
                               "serve": {"variant": "big"}}],
                    "defaultServe": {"variant": "small"}}))}),
        ),
        (
            "html-text",
            json!({"kind": "string", "clientSide": true,
                "variants": {"evil": EVIL, "plain": "ok"},
                "environments": everywhere(json!({"enabled": true, "offVariant": "plain",
                    "defaultServe": {"variant": "evil"}}))}),
        ),
    ];
    let flags = document
        .get_mut("flags")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| Failed("the example has no flags".into()))?;
    for (key, flag) in added {
        flags.insert(key.into(), flag);
    }
    let client_side = flags
        .iter()
        .filter(|(_, f)| f["clientSide"] == true)
        .map(|(k, _)| k.clone())
        .collect();
    Ok((document.to_string(), client_side))
}

/// `html-text`'s value: it tries to close the bootstrap script and run its own.
const EVIL: &str = "</script><script>alert(1)</script>";

fn origin_saw(x: &Exchange) -> Result<&Seen> {
    x.seen.first().ok_or_else(|| {
        Failed(format!(
            "the origin saw nothing; answer {}",
            x.response.status
        ))
    })
}

fn bootstrap(x: &Exchange) -> Result<(Value, String)> {
    expect(x.response.status == 200, || {
        format!("status {}: {}", x.response.status, x.response.text())
    })?;
    bootstrap_of(&x.response.text())
}

fn origin_environment(x: &Exchange, environment: &str) -> Result {
    let seen = origin_saw(x)?;
    expect(
        seen.header("x-burgee-environment") == Some(environment),
        || format!("the origin heard {:?}", seen.header("x-burgee-environment")),
    )
}

fn sees_production(x: &Exchange) -> Result {
    origin_environment(x, "production")?;
    let (data, _) = bootstrap(x)?;
    expect(data["environment"] == "production", || {
        format!("bootstrap environment {}", data["environment"])
    })
}

fn sees_development(x: &Exchange) -> Result {
    origin_environment(x, "development")
}

fn only_our_burgee_headers(x: &Exchange) -> Result {
    let seen = origin_saw(x)?;
    let names: Vec<&str> = seen
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("x-burgee-"))
        .collect();
    expect(
        names
            .iter()
            .all(|n| *n == "x-burgee-flags" || *n == "x-burgee-environment"),
        || format!("the origin received {names:?}"),
    )?;
    let flags: Value = serde_json::from_str(seen.header("x-burgee-flags").unwrap_or("null"))
        .map_err(|e| Failed(format!("X-Burgee-Flags: {e}")))?;
    expect(
        flags["outbound_calling"] == false && flags.as_object().is_some_and(|m| m.len() > 1),
        || format!("X-Burgee-Flags is not the edge's evaluation: {flags}"),
    )
}

fn forwards_normalised(x: &Exchange) -> Result {
    let seen = origin_saw(x)?;
    expect(seen.target == "/api/~user/tasks?q=%2F&x=1", || {
        format!("the origin was asked for {}", seen.target)
    })
}

fn forwards_case(x: &Exchange) -> Result {
    let seen = origin_saw(x)?;
    expect(
        x.response.status == 200 && seen.target == "/CALLS/dashboard",
        || {
            format!(
                "{}; the origin was asked for {}",
                x.response.status, seen.target
            )
        },
    )
}

fn redirected(x: &Exchange, to: &str) -> Result {
    expect(
        x.response.status == 302 && x.response.header("location") == Some(to),
        || {
            format!(
                "want 302 to {to}: {} {:?}",
                x.response.status,
                x.response.header("location")
            )
        },
    )?;
    expect(x.seen.len() == 1, || {
        format!("the redirect was followed: {:?}", paths(&x.seen))
    })
}

fn passes_login_redirect(x: &Exchange) -> Result {
    redirected(x, "/page")?;
    let cookies: Vec<&str> = x
        .response
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    expect(
        cookies.len() == 2 && cookies.iter().any(|c| c.starts_with("session=s1")),
        || format!("Set-Cookie {cookies:?}"),
    )
}

fn does_not_follow(x: &Exchange) -> Result {
    redirected(x, "/calls/dashboard")
}

fn anonymous_bootstrap(x: &Exchange) -> Result {
    let (data, _) = bootstrap(x)?;
    expect(data["context"] == json!({}), || {
        format!("an unsigned cookie became the context {}", data["context"])
    })
}

fn keys(flags: &Value) -> BTreeSet<String> {
    flags
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn client_side_header(x: &Exchange) -> Result {
    let seen = origin_saw(x)?;
    let flags: Value = serde_json::from_str(seen.header("x-burgee-flags").unwrap_or("null"))
        .map_err(|e| Failed(format!("X-Burgee-Flags: {e}")))?;
    expect(
        keys(&flags) == x.client_side && flags["outbound_calling"] == true,
        || format!("X-Burgee-Flags carries {:?}", keys(&flags)),
    )
}

fn client_side_bootstrap(x: &Exchange) -> Result {
    let (data, _) = bootstrap(x)?;
    expect(keys(&data["flags"]) == x.client_side, || {
        format!("the bootstrap carries {:?}", keys(&data["flags"]))
    })
}

fn header_dropped(x: &Exchange) -> Result {
    let seen = origin_saw(x)?;
    expect(
        x.response.status == 200
            && seen.header("x-burgee-flags").is_none()
            && seen.header("x-burgee-flags-omitted") == Some("too-large"),
        || {
            format!(
                "{}; X-Burgee-Flags of {} bytes",
                x.response.status,
                seen.header("x-burgee-flags").map_or(0, str::len)
            )
        },
    )
}

fn big_in_bootstrap(x: &Exchange) -> Result {
    let (data, _) = bootstrap(x)?;
    let blob = data["flags"]["big-config"]["value"]["blob"].as_str();
    expect(blob.is_some_and(|b| b.len() == 9000), || {
        format!(
            "big-config in the bootstrap: {}",
            data["flags"]["big-config"]
        )
    })
}

fn script_stays_closed(x: &Exchange) -> Result {
    let (data, without) = bootstrap(x)?;
    let html = x.response.text();
    expect(
        html.matches("<script").count() == 1
            && data["flags"]["html-text"]["value"] == EVIL
            && without == PAGE,
        || format!("the script did not stay closed: {html}"),
    )
}

fn placed(x: &Exchange, page: &str, at: fn(&str, &str) -> bool) -> Result {
    let (_, without) = bootstrap(x)?;
    let html = x.response.text();
    expect(without == page && at(&html, page), || {
        format!("bootstrap misplaced in {html}")
    })
}

fn body_start(x: &Exchange) -> Result {
    placed(x, BODY_ONLY, |html, _| {
        html.starts_with("<body class=\"x\"><script id=\"burgee-bootstrap\"")
    })
}

fn document_end(x: &Exchange) -> Result {
    placed(x, FRAGMENT, |html, page| {
        html.starts_with(page) && html.ends_with("</script>")
    })
}

fn minified_in_head(x: &Exchange) -> Result {
    placed(x, MINIFIED, |html, _| {
        html.contains("<head><script id=\"burgee-bootstrap\"")
    })
}

fn head_start(x: &Exchange) -> Result {
    placed(x, PAGE, |html, _| {
        html.contains("<head><script id=\"burgee-bootstrap\"")
    })
}

fn empty(x: &Exchange, status: u16) -> Result {
    expect(
        x.response.status == status && x.response.body.is_empty(),
        || {
            format!(
                "want an empty {status}: {} {}",
                x.response.status,
                x.response.text()
            )
        },
    )
}

fn no_content(x: &Exchange) -> Result {
    empty(x, 204)
}

fn not_modified(x: &Exchange) -> Result {
    empty(x, 304)
}

fn head_without_body(x: &Exchange) -> Result {
    empty(x, 200)?;
    personalised_headers(x)
}

fn personalised_headers(x: &Exchange) -> Result {
    let r = &x.response;
    let vary = r.header("vary").unwrap_or_default().to_ascii_lowercase();
    expect(
        r.header("etag").is_none()
            && r.header("last-modified").is_none()
            && r.header("cache-control") == Some("private, no-store")
            && ["accept-encoding", "cookie", "authorization"]
                .iter()
                .all(|v| vary.contains(v)),
        || format!("personalised HTML with {:?}", r.headers),
    )
}

/// The origin's `Vary: cookie, Accept-Language` merged with the edge's names, each once.
fn vary_names_once(x: &Exchange) -> Result {
    let vary = x
        .response
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let names: Vec<&str> = vary.split(',').map(str::trim).collect();
    let once = ["cookie", "accept-language", "authorization"]
        .iter()
        .all(|n| names.iter().filter(|m| *m == n).count() == 1);
    expect(once && names.len() == 3, || format!("Vary: {vary}"))
}

/// With unsigned identity trusted, the user header decides the page too.
fn vary_trusted_user_header(x: &Exchange) -> Result {
    let vary = x
        .response
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    expect(vary.contains("x-burgee-user"), || format!("Vary: {vary}"))
}

fn api_validators_kept(x: &Exchange) -> Result {
    expect(x.response.header("etag") == Some("\"api-v1\""), || {
        format!("the API's ETag was lost: {:?}", x.response.headers)
    })
}

#[cfg(test)]
mod tests {
    use super::dechunked;

    #[test]
    fn text_split_across_chunks_is_found_whole() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<head\r\n8\r\n><script\r\n4\r\n id=";
        assert_eq!(dechunked(raw), b"<head><script id=".to_vec());
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
        assert_eq!(dechunked(plain), b"abc".to_vec());
        assert!(dechunked(b"HTTP/1.1 200 OK\r\n").is_empty(), "no body yet");
    }
}
