//! How an isolate learns, within about a second, that the store has moved on: the beacon of
//! its region's relay, asked at most twice a second per location (shared through the Cache API)
//! and per isolate, and the relay it fetches a newer snapshot from. Workers KV is not on this
//! path: it takes up to a minute to propagate and its reads are cached 30 to 60 s a location.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use burgee_edge_shared::beacon::{BEACON_INTERVAL_MS, Beacon, Changes};
use burgee_edge_shared::bindings;
use burgee_edge_shared::internal::{self, region_for, relay_name};
use burgee_edge_shared::kv::SnapshotKey;
use worker::web_sys;
use worker::worker_sys::ext::RequestExt;
use worker::{Cache, Env, Headers, Request, Response, Stub};

use crate::config;

/// Where the request came from (Cloudflare's `request.cf`), which picks the relay. It is read
/// only when a relay is asked (about once a second per isolate, not on every request): the
/// runtime builds a new `cf` object on every read, which was a measurable part of an
/// evaluation and of the garbage each request left.
#[derive(Clone, Debug, Default)]
pub struct Location {
    request: Option<web_sys::Request>,
    place: OnceCell<Place>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Place {
    continent: Option<String>,
    longitude: Option<f32>,
}

impl Location {
    pub fn of(req: &web_sys::Request) -> Location {
        Location {
            // `Clone::clone`: a handle to the same request (its own `clone` copies the request).
            request: Some(Clone::clone(req)),
            place: OnceCell::new(),
        }
    }

    fn place(&self) -> &Place {
        self.place.get_or_init(|| {
            self.request
                .as_ref()
                .and_then(RequestExt::cf)
                .map(|cf| {
                    let cf = worker::Cf::from(cf);
                    Place {
                        continent: cf.continent(),
                        longitude: cf.coordinates().map(|(_, lon)| lon),
                    }
                })
                .unwrap_or_default()
        })
    }
}

/// What this isolate knows of the beacon.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Shared, not copied: every request reads it, some twice.
    pub beacon: Option<Rc<Beacon>>,
    /// Epoch ms this isolate last asked (whatever the answer).
    pub asked_at: f64,
    /// Why the last ask failed, if it did.
    pub problem: Option<String>,
    checking_since: Option<f64>,
}

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(Known::default());
}

/// How long other requests keep the beacon they have while one request asks for a new one:
/// one ask per isolate, not one per request in flight.
const ASK_GRACE_MS: f64 = 2_000.0;

/// What this isolate knows now, without asking.
pub fn known() -> Known {
    KNOWN.with(|k| k.borrow().clone())
}

/// Whether this request should ask for the beacon (and, if so, claims the ask).
fn claim(known: &mut Known, now: f64) -> bool {
    if now - known.asked_at < BEACON_INTERVAL_MS {
        return false;
    }
    if known
        .checking_since
        .is_some_and(|since| now - since < ASK_GRACE_MS)
    {
        return false;
    }
    known.checking_since = Some(now);
    true
}

fn relay(env: &Env, location: &Location) -> worker::Result<(String, Stub)> {
    let config = config::get(env);
    let place = location.place();
    let region = region_for(
        &config.relay_regions,
        place.continent.as_deref(),
        place.longitude,
    );
    let name = relay_name(&config.project, region);
    let namespace = env.durable_object(bindings::RELAY)?;
    let stub = if region == "global" {
        namespace.get_by_name(&name)?
    } else {
        namespace.get_by_name_with_location_hint(&name, region)?
    };
    Ok((name, stub))
}

/// A GET to this location's relay, with who is asking.
async fn ask(env: &Env, location: &Location, path: &str) -> worker::Result<Response> {
    let (name, stub) = relay(env, location)?;
    let headers = Headers::new();
    headers.set(internal::PROJECT, &config::get(env).project)?;
    headers.set(internal::RELAY_NAME, &name)?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let request = Request::new_with_init(&format!("https://relay{path}"), &init)?;
    let response = stub.fetch_with_request(request).await?;
    if response.status_code() == 200 {
        Ok(response)
    } else {
        Err(worker::Error::RustError(format!(
            "the relay answered {} to {path}",
            response.status_code()
        )))
    }
}

/// The location-wide copy of the beacon, through the Cache API: the same for every isolate of
/// a location, at most a second old. (A no-op where the Cache API is, such as `workers.dev`.)
fn cache_key(env: &Env) -> String {
    format!(
        "https://beacon.burgee.internal/{}",
        burgee_api::percent_encode(&config::get(env).project)
    )
}

const FETCHED_AT: &str = "X-Burgee-Fetched-At";

async fn from_cache(env: &Env, now: f64) -> Option<Beacon> {
    let mut cached = Cache::default().get(cache_key(env), false).await.ok()??;
    let fetched: f64 = cached.headers().get(FETCHED_AT).ok()??.parse().ok()?;
    if now - fetched >= BEACON_INTERVAL_MS {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(&cached.text().await.ok()?).ok()?;
    Beacon::from_json(&value)
}

async fn to_cache(env: &Env, text: String, now: f64) {
    let stored = async {
        let headers = Headers::new();
        headers.set("Cache-Control", "max-age=1")?;
        headers.set(FETCHED_AT, &(now as u64).to_string())?;
        let response = Response::ok(text)?.with_headers(headers);
        Cache::default().put(cache_key(env), response).await
    };
    let _ = stored.await;
}

/// Asks the relay for the beacon, and keeps its text in the location's cache.
async fn from_relay_beacon(env: &Env, location: &Location, now: f64) -> Result<Beacon, String> {
    let mut response = ask(env, location, internal::relay::BEACON)
        .await
        .map_err(|e| e.to_string())?;
    let text = response.text().await.map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("the relay's beacon does not read: {e}"))?;
    let beacon = Beacon::from_json(&value).ok_or("the relay has no beacon yet")?;
    to_cache(env, text, now).await;
    Ok(beacon)
}

/// The beacon: this isolate's copy when it is under a second old, else the location's, else
/// the relay's. `None` only when no beacon was ever had.
pub async fn beacon(env: &Env, location: &Location, now: f64) -> Option<Rc<Beacon>> {
    if !KNOWN.with(|k| claim(&mut k.borrow_mut(), now)) {
        return KNOWN.with(|k| k.borrow().beacon.clone());
    }
    let fresh = match from_cache(env, now).await {
        Some(beacon) => Ok(beacon),
        None => from_relay_beacon(env, location, now).await,
    };
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        k.checking_since = None;
        k.asked_at = now;
        match fresh {
            Ok(beacon) => {
                // Never back: a beacon older than the one held (another location's cache,
                // a relay that just started) is ignored.
                if k.beacon
                    .as_ref()
                    .is_none_or(|b| beacon.version >= b.version)
                {
                    k.beacon = Some(Rc::new(beacon));
                }
                k.problem = None;
            }
            Err(e) => {
                worker::console_warn!("beacon: {e}");
                k.problem = Some(e);
            }
        }
        k.beacon.clone()
    })
}

/// Whether `environment` may exist, by the beacon: the beacon of a store that holds a document
/// (version above 0) lists all of its environments, so a name it lacks is answered `404`
/// without a Workers KV read (a flood of made-up names would otherwise be a flood of reads).
/// Without such a beacon (none yet, or a store never written, as where snapshots are put into
/// KV by hand) every name may exist and KV decides.
pub fn lists(beacon: Option<&Beacon>, environment: &str) -> bool {
    beacon
        .filter(|b| b.version > 0)
        .is_none_or(|b| b.environments.contains_key(environment))
}

/// [`lists`] with this isolate's beacon, brought up to date first (at most once an interval,
/// as for every request: an environment added since is found, and a flood of made-up names
/// costs no more beacons than any other requests, and no KV reads).
pub async fn listed(env: &Env, location: &Location, environment: &str, now: f64) -> bool {
    lists(beacon(env, location, now).await.as_deref(), environment)
}

/// The location-wide copy of a snapshot at one revision (immutable, so kept an hour): the
/// isolates of a location fetch a new snapshot from the relay once between them.
fn snapshot_cache_key(env: &Env, key: &SnapshotKey, revision: u64) -> String {
    format!(
        "https://snapshot.burgee.internal/{}/{}/{revision}",
        burgee_api::percent_encode(&config::get(env).project),
        burgee_api::percent_encode(&key.to_string())
    )
}

/// A snapshot at `revision` (or newer): from the location's cache, else from the relay (and
/// then into the cache). Its bytes and revision.
pub async fn snapshot(
    env: &Env,
    location: &Location,
    key: &SnapshotKey,
    revision: u64,
) -> Result<(Vec<u8>, u64), String> {
    let cache_key = snapshot_cache_key(env, key, revision);
    if let Ok(Some(mut cached)) = Cache::default().get(cache_key.clone(), false).await
        && let Ok(bytes) = cached.bytes().await
    {
        return Ok((bytes, revision));
    }
    let (bytes, got) = from_relay(env, location, key).await?;
    if got >= revision {
        let stored = async {
            let headers = Headers::new();
            headers.set("Cache-Control", "max-age=3600")?;
            let response = Response::from_bytes(bytes.clone())?.with_headers(headers);
            Cache::default()
                .put(snapshot_cache_key(env, key, got), response)
                .await
        };
        let _ = stored.await;
    }
    Ok((bytes, got))
}

async fn from_relay(
    env: &Env,
    location: &Location,
    key: &SnapshotKey,
) -> Result<(Vec<u8>, u64), String> {
    let path = format!(
        "{}{}",
        internal::relay::SNAPSHOT,
        burgee_api::percent_encode(&key.to_string())
    );
    let mut response = ask(env, location, &path).await.map_err(|e| e.to_string())?;
    let revision = response
        .headers()
        .get(internal::REVISION)
        .ok()
        .flatten()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    Ok((bytes, revision))
}

/// The flags changed in `environment` after version `since` (for the change streams).
pub async fn changes(
    env: &Env,
    location: &Location,
    environment: &str,
    since: u64,
) -> Option<Changes> {
    let path = format!(
        "{}?environment={}&since={since}",
        internal::relay::CHANGES,
        burgee_api::percent_encode(environment)
    );
    let text = ask(env, location, &path).await.ok()?.text().await.ok()?;
    Changes::from_json(&serde_json::from_str(&text).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beacon_of_a_written_store_lists_the_environments() {
        let mut b = Beacon::default();
        assert!(lists(None, "anything"), "no beacon: KV decides");
        assert!(
            lists(Some(&b), "anything"),
            "a store never written: KV decides"
        );
        b.version = 3;
        b.environments
            .insert("production".into(), Default::default());
        assert!(lists(Some(&b), "production"));
        assert!(!lists(Some(&b), "staging"));
    }

    #[test]
    fn one_ask_an_interval_and_one_at_a_time() {
        let mut k = Known::default();
        assert!(claim(&mut k, 10_000.0), "nothing known: ask");
        assert!(!claim(&mut k, 10_100.0), "another request is asking");
        k.checking_since = None;
        k.asked_at = 10_100.0;
        assert!(
            !claim(&mut k, 10_100.0 + BEACON_INTERVAL_MS - 1.0),
            "asked less than an interval ago, answered or not"
        );
        assert!(
            claim(&mut k, 10_100.0 + BEACON_INTERVAL_MS),
            "an interval later: ask again"
        );
        assert!(
            claim(&mut k, 11_100.0 + ASK_GRACE_MS),
            "an ask that hangs lets the next try"
        );
    }
}
