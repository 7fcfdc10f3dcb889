//! A real origin for the gating tests: an HTTP/1.1 server on 127.0.0.1 (std only) that serves
//! HTML pages, a JSON API, redirects, empty answers and an echo, and records the requests it
//! receives.
//!
//! It routes the way forgiving origins do (percent escapes decoded, case folded, `;`
//! parameters dropped, slashes collapsed, dot segments resolved, `\` read as `/`), so a request
//! that slips past the edge's gate under another spelling of a gated path gets the page here,
//! as it would from many real servers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Failed, Result};

/// What the origin saw of one request.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub method: String,
    /// The request target's path, as received (no query).
    pub path: String,
    /// The request target as received (path and query).
    pub target: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Origin {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

pub const PAGE: &str =
    "<!doctype html><html><head><title>Tasks</title></head><body><h1>Tasks</h1></body></html>";
/// A page with a body but no head element.
pub const BODY_ONLY: &str = "<body class=\"x\"><p>body only</p></body>";
/// A page with neither a head nor a body element.
pub const FRAGMENT: &str = "<p>fragment</p>";
/// A minified page whose head has no end tag (allowed by HTML).
pub const MINIFIED: &str = "<!doctype html><html><head><title>Min</title><body><p>min</p>";
/// `/slow`: the first part at once, the rest after [`SLOW_DELAY`].
pub const SLOW_FIRST: &str = "<!doctype html><html><head><title>Slow</title></head><body><p>1</p>";
pub const SLOW_REST: &str = "<p>2</p></body></html>";
pub const SLOW_DELAY: Duration = Duration::from_secs(3);
/// The page's validator (`ETag`), which a personalised page must not keep.
pub const PAGE_ETAG: &str = "\"page-v1\"";

impl Origin {
    pub fn start() -> Result<Origin> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| Failed(format!("cannot start the test origin: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failed(format!("test origin address: {e}")))?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let seen = seen2.clone();
                    std::thread::spawn(move || {
                        let _ = serve(stream, &seen);
                    });
                }
            }
        });
        Ok(Origin {
            addr,
            seen,
            stop,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last request the origin received for `path`.
    pub fn last(&self, path: &str) -> Option<Seen> {
        self.seen
            .lock()
            .ok()?
            .iter()
            .rev()
            .find(|s| s.path == path)
            .cloned()
    }

    /// How many requests the origin has received.
    pub fn count(&self) -> usize {
        self.seen.lock().map_or(0, |s| s.len())
    }

    /// The requests received after the first `from`.
    pub fn since(&self, from: usize) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|s| s.iter().skip(from).cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The path as a forgiving origin reads it: every escape decoded, `\` as `/`, lower case,
/// `;` parameters dropped, empty and `.` segments skipped, `..` going up (never above `/`).
pub fn forgiving(path: &str) -> String {
    let decoded = burgee_api::percent_decode(path)
        .replace('\\', "/")
        .to_ascii_lowercase();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment.split(';').next().unwrap_or_default() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    format!("/{}", segments.join("/"))
}

/// One answer: status line, headers, body (and a part sent after [`SLOW_DELAY`]).
struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    later: Option<&'static str>,
}

fn html(body: &str) -> Reply {
    Reply {
        status: "200 OK",
        headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
        body: body.as_bytes().to_vec(),
        later: None,
    }
}

fn redirect(to: &str, cookies: &[&str]) -> Reply {
    let mut headers = vec![("Location", to.to_string())];
    headers.extend(cookies.iter().map(|c| ("Set-Cookie", c.to_string())));
    headers.push(("Content-Type", "text/html".into()));
    Reply {
        status: "302 Found",
        headers,
        body: b"<p>moved</p>".to_vec(),
        later: None,
    }
}

/// What the origin answers for a request (`route`: its forgiving path).
fn reply(route: &str, raw_path: &str, request: &Seen) -> Reply {
    let page = route == "/"
        || route == "/page"
        || route.starts_with("/calls")
        || route.starts_with("/vip");
    match route {
        _ if page && request.header("if-none-match") == Some(PAGE_ETAG) => Reply {
            status: "304 Not Modified",
            headers: vec![
                ("Content-Type", "text/html; charset=utf-8".into()),
                ("ETag", PAGE_ETAG.into()),
            ],
            body: Vec::new(),
            later: None,
        },
        _ if page => {
            let mut reply = html(PAGE);
            reply.headers.extend([
                ("ETag", PAGE_ETAG.to_string()),
                ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT".into()),
                ("Cache-Control", "public, max-age=600".into()),
                ("Vary", "Accept-Encoding".into()),
            ]);
            reply
        }
        "/varies" => {
            let mut reply = html(PAGE);
            reply
                .headers
                .push(("Vary", "cookie, Accept-Language".into()));
            reply
        }
        "/bodyonly" => html(BODY_ONLY),
        "/fragment" => html(FRAGMENT),
        "/minified" => html(MINIFIED),
        "/slow" => Reply {
            later: Some(SLOW_REST),
            ..html(SLOW_FIRST)
        },
        "/login" => redirect("/page", &["session=s1; Path=/; HttpOnly", "seen=1; Path=/"]),
        "/go/calls" => redirect("/calls/dashboard", &[]),
        "/nocontent" => Reply {
            status: "204 No Content",
            headers: vec![("Content-Type", "text/html".into())],
            body: Vec::new(),
            later: None,
        },
        "/echo" => Reply {
            status: "200 OK",
            headers: vec![("Content-Type", "application/octet-stream".into())],
            body: request.body.clone(),
            later: None,
        },
        _ => Reply {
            status: "200 OK",
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("ETag", "\"api-v1\"".into()),
            ],
            body: format!("{{\"origin\":true,\"path\":\"{raw_path}\"}}").into_bytes(),
            later: None,
        },
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or_default().to_string();
    let record = Seen {
        method: method.clone(),
        path: path.clone(),
        target: target.clone(),
        headers,
        body,
    };
    let reply = reply(&forgiving(&path), &path, &record);
    if let Ok(mut s) = seen.lock() {
        s.push(record);
    }
    let mut stream = stream;
    let mut head = format!("HTTP/1.1 {}\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let no_body =
        method == "HEAD" || reply.status.starts_with("204") || reply.status.starts_with("304");
    if !reply.status.starts_with("204") && !reply.status.starts_with("304") {
        let length = reply.body.len() + reply.later.map_or(0, str::len);
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if no_body {
        return stream.flush();
    }
    stream.write_all(&reply.body)?;
    stream.flush()?;
    if let Some(rest) = reply.later {
        std::thread::sleep(SLOW_DELAY);
        stream.write_all(rest.as_bytes())?;
    }
    stream.flush()
}
