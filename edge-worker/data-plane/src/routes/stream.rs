//! `GET [/env/{env}]/v1/stream/{env}`: the change stream (Server-Sent Events), held by the
//! isolate that takes the connection, not by the writer.
//!
//! Each connection checks, once a second, the beacon this isolate already keeps (one ask per
//! isolate and half second, whatever the number of connections) and, when the store has moved on,
//! asks the relay which flags changed since the last version it announced. So the writer never
//! sees a stream, and a flood of them costs the isolates that accept them. Connections are
//! capped per client IP and per evaluation key on each isolate; past a cap the answer is `429`.
//!
//! Events: `{"type": "connected", "version", "environment"}` first, then for every change that
//! concerns the environment `{"type": "refetchEvaluation", "etag", "version", "previous",
//! "changed"}` (OFREP's event, plus the versions it covers, `(previous, version]`, and the flags
//! that changed; `changed` is absent when the relay's log no longer reaches back). A comment
//! every 10 s keeps proxies from closing an idle stream; after ten minutes the stream ends and
//! the client reconnects.
//!
//! A caller without a server key hears only of the flags it may see: those of the public
//! snapshot before or after the change (so a client-side flag that was deleted is still
//! named), and no event at all for a change to server-only flags alone.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burgee_api::Code;
use burgee_core::Snapshot;
use futures_util::stream;
use serde_json::json;
use worker::{Delay, Env, Headers, Request, Response, Result};

use super::{cors, error};
use crate::config;
use crate::freshness::{self, Location};
use crate::keys::Audience;
use crate::snapshots;

/// Ticks (seconds) between keep-alive comments. They also find connections whose client went
/// away (the write fails and the stream is dropped, giving its place back).
const KEEP_ALIVE_TICKS: u32 = 10;

thread_local! {
    /// Open streams per client IP and per evaluation key, in this isolate.
    static OPEN: RefCell<(HashMap<String, usize>, HashMap<String, usize>)> =
        RefCell::new((HashMap::new(), HashMap::new()));
}

/// Holds one stream's place in the caps; gives it back when the stream is dropped.
#[derive(Debug)]
struct Place {
    ip: String,
    key: Option<String>,
}

impl Drop for Place {
    fn drop(&mut self) {
        OPEN.with(|o| {
            let (ips, keys) = &mut *o.borrow_mut();
            release(ips, &self.ip);
            if let Some(key) = &self.key {
                release(keys, key);
            }
        });
    }
}

fn release(counts: &mut HashMap<String, usize>, name: &str) {
    if let Some(n) = counts.get_mut(name) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(name);
        }
    }
}

/// Takes a place for a new stream, or says which cap it would pass.
fn take(
    ip: &str,
    key: Option<&str>,
    per_ip: usize,
    per_key: usize,
) -> std::result::Result<Place, &'static str> {
    OPEN.with(|o| {
        let (ips, keys) = &mut *o.borrow_mut();
        if ips.get(ip).copied().unwrap_or(0) >= per_ip {
            return Err("too many change streams from this address");
        }
        if let Some(k) = key
            && keys.get(k).copied().unwrap_or(0) >= per_key
        {
            return Err("too many change streams for this evaluation key");
        }
        *ips.entry(ip.to_string()).or_default() += 1;
        if let Some(k) = key {
            *keys.entry(k.to_string()).or_default() += 1;
        }
        Ok(Place {
            ip: ip.to_string(),
            key: key.map(String::from),
        })
    })
}

/// One stream's state between events.
struct Connection {
    env: Env,
    location: Location,
    environment: String,
    /// The newest version this connection has announced.
    announced: u64,
    ticks: u32,
    /// Ticks since the connection opened.
    age: u32,
    /// Ticks after which it is closed, whatever happens (`STREAM_LIFETIME_SECONDS`): clients
    /// reconnect (`retry:`), and a connection whose client vanished without the runtime
    /// noticing gives its place back.
    lifetime: u32,
    started: bool,
    audience: Audience,
    /// For a client caller: the public snapshot it last heard of (the flags it may see).
    seen: Option<Rc<Snapshot>>,
    _place: Place,
}

/// The flags of `changed` that `before` or `after` holds.
fn visible(
    changed: Vec<String>,
    before: Option<&Snapshot>,
    after: Option<&Snapshot>,
) -> Vec<String> {
    let holds = |s: Option<&Snapshot>, key: &str| s.is_some_and(|s| s.index_of(key).is_some());
    changed
        .into_iter()
        .filter(|key| holds(before, key) || holds(after, key))
        .collect()
}

async fn public(env: &Env, location: &Location, environment: &str) -> Option<Rc<Snapshot>> {
    let now = crate::routes::evaluate::now();
    snapshots::public(env, location, environment, now)
        .await
        .map(|slot| slot.value.snapshot)
}

fn event(value: &serde_json::Value) -> Vec<u8> {
    format!("data: {value}\n\n").into_bytes()
}

impl Connection {
    /// The flags of `changed` this caller may hear of.
    async fn visible(&mut self, changed: Vec<String>) -> Vec<String> {
        if self.audience == Audience::Server {
            return changed;
        }
        let after = public(&self.env, &self.location, &self.environment).await;
        let heard = visible(changed, self.seen.as_deref(), after.as_deref());
        if after.is_some() {
            self.seen = after;
        }
        heard
    }

    /// The next chunk to send: the greeting, an event, or a keep-alive comment; `None` ends
    /// the stream.
    async fn next(&mut self) -> Option<Vec<u8>> {
        if !self.started {
            self.started = true;
            let hello = json!({"type": "connected", "version": self.announced, "environment": self.environment});
            let mut first = b"retry: 3000\n".to_vec();
            first.extend(event(&hello));
            return Some(first);
        }
        loop {
            Delay::from(std::time::Duration::from_secs(1)).await;
            self.ticks += 1;
            self.age += 1;
            if self.age >= self.lifetime {
                return None;
            }
            let now = crate::routes::evaluate::now();
            let beacon = freshness::beacon(&self.env, &self.location, now).await;
            if let Some(version) = beacon.map(|b| b.version).filter(|v| *v > self.announced) {
                let previous = self.announced;
                let changes =
                    freshness::changes(&self.env, &self.location, &self.environment, previous)
                        .await;
                self.announced = version;
                let mut body = json!({"type": "refetchEvaluation", "etag": format!("\"{version}\""),
                    "version": version, "previous": previous});
                let changed = match changes {
                    Some(c) if c.complete => Some(self.visible(c.changed).await),
                    _ => None,
                };
                match changed {
                    Some(changed) if changed.is_empty() => continue,
                    Some(changed) => body["changed"] = json!(changed),
                    None => {}
                }
                self.ticks = 0;
                return Some(event(&body));
            }
            if self.ticks >= KEEP_ALIVE_TICKS {
                self.ticks = 0;
                return Some(b": keep-alive\n\n".to_vec());
            }
        }
    }
}

pub async fn handle(
    req: Request,
    env: &Env,
    environment: &str,
    key: &str,
    audience: Audience,
) -> Result<Response> {
    let config = config::get(env);
    let ip = req
        .headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    let key = (!key.is_empty()).then_some(key);
    let place = match take(&ip, key, config.streams_per_ip, config.streams_per_key) {
        Ok(place) => place,
        Err(why) => {
            let mut r = error(Code::RateLimited, why)?;
            r.headers_mut().set("Retry-After", "30")?;
            return cors::allow(r);
        }
    };
    let location = Location::of(req.inner());
    let now = crate::routes::evaluate::now();
    let announced = freshness::beacon(env, &location, now)
        .await
        .map_or(0, |b| b.version);
    let seen = match audience {
        Audience::Client => public(env, &location, environment).await,
        Audience::Server => None,
    };
    let connection = Connection {
        env: env.clone(),
        location,
        environment: environment.to_string(),
        announced,
        ticks: 0,
        age: 0,
        lifetime: config.stream_lifetime,
        started: false,
        audience,
        seen,
        _place: place,
    };
    let body = stream::unfold(connection, |mut c| async move {
        let chunk = c.next().await?;
        Some((Ok::<Vec<u8>, worker::Error>(chunk), c))
    });
    let headers = Headers::new();
    headers.set("Content-Type", "text/event-stream")?;
    headers.set("Cache-Control", "no-cache")?;
    cors::allow(Response::from_stream(body)?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(flags: &[&str]) -> Snapshot {
        let flags: serde_json::Map<String, serde_json::Value> = flags
            .iter()
            .map(|k| {
                let flag = json!({"kind": "boolean", "variants": {"on": true},
                    "environments": {"p": {"enabled": true, "defaultServe": {"variant": "on"}}}});
                (k.to_string(), flag)
            })
            .collect();
        burgee_core::load_value(json!({"environments": ["p"], "flags": flags}))
            .unwrap()
            .compile("p")
            .snapshot
    }

    #[test]
    fn clients_hear_of_the_flags_they_may_see_before_or_after() {
        let before = snapshot(&["a", "gone"]);
        let after = snapshot(&["a", "new"]);
        let changed = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            visible(
                changed(&["a", "gone", "new", "server-only"]),
                Some(&before),
                Some(&after)
            ),
            changed(&["a", "gone", "new"])
        );
        assert!(visible(changed(&["server-only"]), Some(&before), Some(&after)).is_empty());
        assert!(visible(changed(&["a"]), None, None).is_empty());
    }

    #[test]
    fn caps_per_address_and_key_are_given_back() {
        let a = take("1.1.1.1", Some("web"), 2, 3).unwrap();
        let _b = take("1.1.1.1", Some("web"), 2, 3).unwrap();
        assert!(
            take("1.1.1.1", None, 2, 3).is_err(),
            "third from one address"
        );
        let _c = take("2.2.2.2", Some("web"), 2, 3).unwrap();
        assert!(
            take("3.3.3.3", Some("web"), 2, 3).is_err(),
            "fourth on one key"
        );
        drop(a);
        assert!(
            take("1.1.1.1", None, 2, 3).is_ok(),
            "a closed stream gives its place back"
        );
        assert!(take("3.3.3.3", Some("web"), 2, 3).is_ok());
    }
}
