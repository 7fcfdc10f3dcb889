//! A real origin for the gating tests: an HTTP/1.1 server on 127.0.0.1 (std only) that serves
//! an HTML page, a JSON API and an echo, and records the request headers it receives.

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
    pub path: String,
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

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
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
    let route = path.split('?').next().unwrap_or_default().to_string();
    let record = Seen {
        method: method.clone(),
        path: route.clone(),
        headers,
        body: body.clone(),
    };
    if let Ok(mut s) = seen.lock() {
        s.push(record);
    }
    let (content_type, reply): (&str, Vec<u8>) = match route.as_str() {
        "/" | "/page" | "/calls/dashboard" => {
            ("text/html; charset=utf-8", PAGE.as_bytes().to_vec())
        }
        "/echo" => ("application/octet-stream", body),
        _ => (
            "application/json",
            format!("{{\"origin\":true,\"path\":\"{route}\"}}").into_bytes(),
        ),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    )?;
    stream.write_all(&reply)?;
    stream.flush()
}
