//! A minimal HTTP/1.1 client for talking to the local worker: loopback only, one request per
//! connection (`Connection: close`), every step bounded in time.
//!
//! Hand-written (std only) rather than a client crate: the tests need a status, a few headers
//! and a body from 127.0.0.1, not TLS, redirects or pooling, and this keeps xtask's build small.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{Failed, Result};

/// Bounds for one request: connecting, and the whole exchange.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger answers are a bug in what we test; stop reading there.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Failed(format!("body is not JSON ({e}): {}", self.text())))
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Result<Response> {
    request(addr, "GET", path, &[], None)
}

/// Sends one request to `addr` (which must be a loopback address) and reads the whole answer.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Response> {
    if !addr.ip().is_loopback() {
        return Err(Failed(format!(
            "refusing to connect to {addr}: loopback only"
        )));
    }
    let what = format!("{method} http://{addr}{path}");
    let fail = |e: std::io::Error| Failed(format!("{what}: {e}"));
    let deadline = Instant::now() + EXCHANGE_TIMEOUT;

    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(fail)?;
    stream
        .set_write_timeout(Some(EXCHANGE_TIMEOUT))
        .map_err(fail)?;

    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(fail)?;
    if let Some(body) = body {
        stream.write_all(body).map_err(fail)?;
    }

    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failed(format!(
                "{what}: no complete answer within {EXCHANGE_TIMEOUT:?}"
            )));
        }
        stream.set_read_timeout(Some(left)).map_err(fail)?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(e)),
        }
        if raw.len() > MAX_RESPONSE {
            return Err(Failed(format!(
                "{what}: answer larger than {MAX_RESPONSE} bytes"
            )));
        }
        // Servers may keep the connection open despite `Connection: close` (wrangler's dev
        // proxy does, for ~5 s): stop as soon as the answer is complete.
        if let Some(response) = complete(&raw, method == "HEAD") {
            return Ok(response);
        }
    }
    parse(&raw, method == "HEAD").map_err(|why| Failed(format!("{what}: {why}")))
}

/// The response, once `raw` holds all of it (headers, then the body its framing announces).
fn complete(raw: &[u8], head_request: bool) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let body = raw.get(split + 4..)?;
    let response = parse(raw, head_request).ok()?;
    if head_request || !has_body(response.status) {
        return Some(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let done = if chunked {
        dechunk(body).is_ok()
    } else {
        // Without a length, the body ends when the server closes the connection.
        response
            .header("content-length")
            .and_then(|l| l.parse::<usize>().ok())
            .is_some_and(|len| body.len() >= len)
    };
    done.then_some(response)
}

/// Statuses whose answers never have a body.
fn has_body(status: u16) -> bool {
    !matches!(status, 100..=199 | 204 | 304)
}

/// Parses an answer; `head_request`: it answers a HEAD request, so it has no body.
fn parse(raw: &[u8], head_request: bool) -> std::result::Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let (head, rest) = raw.split_at(split);
    let body = rest.get(4..).unwrap_or_default();
    let head = std::str::from_utf8(head).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    response.body = if head_request || !has_body(status) {
        Vec::new()
    } else if chunked {
        dechunk(body)?
    } else if let Some(len) = response
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        body.get(..len)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(response)
}

fn dechunk(mut data: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_line = std::str::from_utf8(data.get(..end).unwrap_or_default())
            .map_err(|_| "bad chunk size")?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| "bad chunk size")?;
        data = data.get(end + 2..).unwrap_or_default();
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(data.get(..size).ok_or("truncated chunk")?);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::{complete, parse};

    #[test]
    fn knows_when_an_answer_is_complete() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert!(complete(&full[..full.len() - 1], false).is_none());
        assert_eq!(
            complete(full, false).map(|r| r.body),
            Some(b"hello".to_vec())
        );
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert!(complete(&chunked[..chunked.len() - 6], false).is_none());
        assert!(complete(chunked, false).is_some());
        assert!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true).is_some());
        assert!(complete(b"HTTP/1.1 200 OK\r\n\r\nuntil close", false).is_none());
    }

    #[test]
    fn parses_content_length_and_chunked() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
            false,
        )
        .expect("parses");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body, b"{}");

        let r = parse(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            false,
        )
        .expect("parses");
        assert_eq!(r.status, 404);
        assert_eq!(r.body, b"abcde");
    }
}
