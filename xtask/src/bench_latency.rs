//! Per-request latency at one connection, each request timed by itself: the edge bench's check
//! on wrk's percentiles.
//!
//! wrk corrects its latency histogram for coordinated omission: after a run it adds, for every
//! request slower than the run's mean interval, the requests that would have arrived while it
//! waited (one every mean interval). At one connection a 50 ms pause in a run of 4,000 requests
//! a second so counts as about 200 late requests, and a few pauses decide the p99. That is a
//! fair model of an edge under steady traffic, and the bench keeps it for its goal. This probe
//! prints what each request took, so a report can tell a slow request path (every request
//! slower) from pauses (a few requests much slower), and how much time the pauses add up to.
//!
//! One keep-alive connection, one request after another, bounded in count and in time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{Failed, Result};

/// A request slower than this counts as a pause (the worker's own requests take well under a
/// millisecond on loopback).
const PAUSE: Duration = Duration::from_millis(10);
const MAX_RESPONSE: usize = 1 << 20;

/// What one probe measured, in microseconds.
#[derive(Debug)]
pub struct Latencies {
    sorted_us: Vec<f64>,
    seconds: f64,
}

impl Latencies {
    pub fn requests(&self) -> usize {
        self.sorted_us.len()
    }

    /// The `q` quantile (0..=1), nearest rank.
    pub fn quantile_us(&self, q: f64) -> f64 {
        let n = self.sorted_us.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.sorted_us[rank - 1]
    }

    pub fn max_us(&self) -> f64 {
        self.sorted_us.last().copied().unwrap_or(0.0)
    }

    /// How many requests took longer than [`PAUSE`], and the time they took together, per
    /// second of the run.
    pub fn pauses(&self) -> (usize, f64) {
        let limit = PAUSE.as_secs_f64() * 1e6;
        // Folded from 0.0: an empty `f64` sum is -0.0, which would print as "-0".
        let (count, total_us) = self
            .sorted_us
            .iter()
            .filter(|&&us| us > limit)
            .fold((0, 0.0), |(n, sum), us| (n + 1, sum + us));
        (count, total_us / 1e3 / self.seconds.max(1e-9))
    }

    pub fn summary(&self) -> Summary {
        let (pauses, paused_ms_per_second) = self.pauses();
        Summary {
            p50_us: self.quantile_us(0.5),
            p99_us: self.quantile_us(0.99),
            p999_us: self.quantile_us(0.999),
            max_us: self.max_us(),
            pauses: pauses as f64,
            paused_ms_per_second,
        }
    }
}

/// The figures the bench prints of a probe, or the medians of several.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    max_us: f64,
    /// Requests over [`PAUSE`] (a median of counts may fall between two).
    pauses: f64,
    paused_ms_per_second: f64,
}

impl Summary {
    /// Each figure's median over `runs` (the upper one of an even count).
    pub fn median(runs: &[Summary]) -> Summary {
        let of = |f: fn(&Summary) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Summary {
            p50_us: of(|s| s.p50_us),
            p99_us: of(|s| s.p99_us),
            p999_us: of(|s| s.p999_us),
            max_us: of(|s| s.max_us),
            pauses: of(|s| s.pauses),
            paused_ms_per_second: of(|s| s.paused_ms_per_second),
        }
    }

    /// One line: percentiles, the slowest request and the pauses.
    pub fn line(&self) -> String {
        format!(
            "p50 {:>5.0} us  p99 {:>5.0} us  p99.9 {:>6.0} us  max {:>5.1} ms  requests over {} ms: {:>2.0}, {:>3.0} ms per second",
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.max_us / 1e3,
            PAUSE.as_millis(),
            self.pauses,
            self.paused_ms_per_second,
        )
    }
}

/// The median (the upper one of an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Sends `request` (a whole HTTP/1.1 request with a `Content-Length`) to `addr` over one
/// connection until `duration` or `max_requests` is reached, timing each exchange. Every
/// answer must be a `200` with a `Content-Length`.
pub fn probe(
    addr: SocketAddr,
    request: &[u8],
    duration: Duration,
    max_requests: usize,
) -> Result<Latencies> {
    let fail = |e: std::io::Error| Failed(format!("latency probe on {addr}: {e}"));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(fail)?;
    stream.set_nodelay(true).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut sorted_us = Vec::with_capacity(max_requests.min(100_000));
    let start = Instant::now();
    while sorted_us.len() < max_requests && start.elapsed() < duration {
        let sent = Instant::now();
        stream.write_all(request).map_err(fail)?;
        read_response(&mut stream, &mut buffer).map_err(|why| Failed(format!("{addr}: {why}")))?;
        sorted_us.push(sent.elapsed().as_secs_f64() * 1e6);
    }
    let seconds = start.elapsed().as_secs_f64();
    sorted_us.sort_by(f64::total_cmp);
    Ok(Latencies { sorted_us, seconds })
}

/// Reads one whole response (head and `Content-Length` body) from `stream`, keeping any bytes
/// that follow it in `buffer`.
fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::result::Result<(), String> {
    let mut chunk = [0u8; 16 * 1024];
    let mut more = |buffer: &mut Vec<u8>| -> std::result::Result<(), String> {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed mid-answer".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    };
    let end = loop {
        match find(buffer, b"\r\n\r\n") {
            Some(end) => break end,
            None => more(buffer)?,
        }
    };
    let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!("expected a 200, got {:?}", head.lines().next()));
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .ok_or("the answer has no Content-Length")?;
    let total = end + 4 + length;
    if total > MAX_RESPONSE {
        return Err(format!("an answer of {total} B is too large"));
    }
    while buffer.len() < total {
        more(buffer)?;
    }
    buffer.drain(..total);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback server that answers each request on one connection with `answer(n)` (the
    /// n-th, from 0), written in two parts 20 ms apart, so that a response arrives in pieces.
    fn serve(answer: fn(usize) -> String) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 4096];
            for n in 0.. {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let text = answer(n);
                let (head, body) = text.split_at(text.len() - 3);
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
                if stream.write_all(body.as_bytes()).is_err() {
                    return;
                }
            }
        });
        addr
    }

    const REQUEST: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";

    #[test]
    fn probe_times_each_whole_answer_on_one_connection() {
        let addr = serve(|_| "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world".into());
        let l = probe(addr, REQUEST, Duration::from_secs(5), 4).expect("probe");
        assert_eq!(l.requests(), 4);
        // Each answer's last bytes came 20 ms after its head: the probe waited for them.
        assert!(l.quantile_us(0.0) >= 19_000.0, "{l:?}");
        assert_eq!(l.pauses().0, 4);
    }

    #[test]
    fn probe_refuses_answers_it_cannot_time() {
        let not_ok = serve(|n| {
            let status = if n == 1 { "503 Busy" } else { "200 OK" };
            format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nno")
        });
        let e = probe(not_ok, REQUEST, Duration::from_secs(5), 3).expect_err("a 503");
        assert!(e.0.contains("expected a 200"), "{}", e.0);
        let no_length = serve(|_| "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nabc".into());
        let e = probe(no_length, REQUEST, Duration::from_secs(5), 1).expect_err("no length");
        assert!(e.0.contains("no Content-Length"), "{}", e.0);
    }

    fn of(us: &[f64]) -> Latencies {
        let mut sorted_us = us.to_vec();
        sorted_us.sort_by(f64::total_cmp);
        Latencies {
            sorted_us,
            seconds: 2.0,
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let l = of(&(1..=1000).map(f64::from).collect::<Vec<_>>());
        assert_eq!(l.quantile_us(0.5), 500.0);
        assert_eq!(l.quantile_us(0.99), 990.0);
        assert_eq!(l.quantile_us(0.999), 999.0);
        assert_eq!(l.max_us(), 1000.0);
    }

    #[test]
    fn pauses_count_only_requests_over_the_limit() {
        let l = of(&[200.0, 300.0, 9_000.0, 40_000.0, 60_000.0]);
        let (count, ms_per_second) = l.pauses();
        assert_eq!(count, 2);
        assert_eq!(ms_per_second, 50.0);
        let (none, zero) = of(&[200.0, 300.0]).pauses();
        assert_eq!((none, format!("{zero:.0}")), (0, "0".to_string()));
    }
}
