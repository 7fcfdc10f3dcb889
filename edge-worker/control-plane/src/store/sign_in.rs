//! Failed admin sign-ins: counted per client address, throttled past a limit, audited.
//!
//! The data plane checks admin tokens, but it forwards a request whose token it refused to the
//! store anyway (marked [`burgee_edge_shared::internal::DENIED`], with no actor), with the
//! client's address on every forwarded request: the audit log lives here, and the store, being
//! one object, sees every isolate's failures. Each failure is audited and counted; once an
//! address has [`LIMIT`] failures within [`WINDOW_MS`], every admin request from it is refused
//! with `429` and `Retry-After` until the oldest leaves the window, whatever token it carries,
//! so that guessing gets no answer at all, not even for a right guess. Refused requests are not
//! audited: a flood must not bury the log (at most [`LIMIT`] entries a minute per address).

use std::collections::HashMap;

/// Failed sign-ins one address may make within [`WINDOW_MS`].
pub const LIMIT: usize = 10;
pub const WINDOW_MS: f64 = 60_000.0;

/// The recent failures of each address (at most [`LIMIT`] each, oldest first).
#[derive(Debug, Default)]
pub struct Failures {
    by_address: HashMap<String, Vec<f64>>,
}

impl Failures {
    /// Seconds `address` must wait before the store answers it again, if it is throttled.
    pub fn wait(&mut self, address: &str, now: f64) -> Option<u64> {
        self.by_address.retain(|_, times| {
            times.retain(|t| now - t < WINDOW_MS);
            !times.is_empty()
        });
        let times = self.by_address.get(address)?;
        let oldest = times.first().filter(|_| times.len() >= LIMIT)?;
        Some(((oldest + WINDOW_MS - now) / 1000.0).ceil().max(1.0) as u64)
    }

    /// Counts a failure of `address` at `now` (epoch ms); the caller checked [`Self::wait`].
    pub fn record(&mut self, address: &str, now: f64) {
        let times = self.by_address.entry(address.to_string()).or_default();
        times.push(now);
        if times.len() > LIMIT {
            times.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_a_minute_then_every_request_waits() {
        let mut f = Failures::default();
        for i in 0..LIMIT {
            let now = i as f64 * 1000.0;
            assert_eq!(f.wait("1.2.3.4", now), None, "failure {i}");
            f.record("1.2.3.4", now);
        }
        assert_eq!(
            f.wait("1.2.3.4", 10_000.0),
            Some(50),
            "until the first leaves the window"
        );
        assert_eq!(f.wait("5.6.7.8", 10_000.0), None, "another address");
        assert_eq!(f.wait("1.2.3.4", 59_999.0), Some(1));
        assert_eq!(f.wait("1.2.3.4", 60_000.0), None, "one slot free again");
        f.record("1.2.3.4", 60_000.0);
        assert_eq!(f.wait("1.2.3.4", 60_500.0), Some(1));
        assert_eq!(
            f.wait("1.2.3.4", 200_000.0),
            None,
            "a minute later the address starts afresh"
        );
    }
}
