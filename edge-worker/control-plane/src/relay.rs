//! The `Relay` Durable Object (bound as `RELAY`): one per region, between the writer and the
//! isolates of that region's locations.
//!
//! The writer pushes it every new beacon and the snapshot bytes that changed; isolates ask it
//! for the beacon (each location at most twice a second, shared through the Cache API), for a
//! snapshot they are behind on, and for the flags that changed since a version (the change
//! streams). The writer therefore sees one push per relay and change, however many locations,
//! isolates and requests there are. A relay keeps its state in memory; one that starts empty
//! (new, or evicted) pulls the writer's state once and is pushed everything after.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burgee_api::{ApiError, Code};
use burgee_edge_shared::beacon::{RelayUpdate, changes_since};
use burgee_edge_shared::{bindings, internal, query};
use worker::{DurableObject, Env, Headers, Request, Response, Result, State, durable_object};

/// What a relay holds.
#[derive(Debug, Default)]
struct Held {
    update: Option<RelayUpdate>,
    snapshots: HashMap<String, (u64, Rc<Vec<u8>>)>,
    /// Who to pull from when empty: the project and this relay's name.
    project: Option<String>,
    name: Option<String>,
}

#[durable_object]
pub struct Relay {
    env: Env,
    held: RefCell<Held>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").finish_non_exhaustive()
    }
}

fn json_error(e: &ApiError) -> Result<Response> {
    Ok(Response::from_json(&e.body())?.with_status(e.status))
}

fn revision_of(req: &Request) -> u64 {
    req.headers()
        .get(internal::REVISION)
        .ok()
        .flatten()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn bytes_response(bytes: &[u8], revision: u64) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/octet-stream")?;
    headers.set(internal::REVISION, &revision.to_string())?;
    Ok(Response::from_bytes(bytes.to_vec())?.with_headers(headers))
}

impl DurableObject for Relay {
    fn new(_state: State, env: Env) -> Self {
        Relay {
            env,
            held: RefCell::new(Held::default()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let method = req.method().to_string();
        {
            let header = |name| req.headers().get(name).ok().flatten();
            let mut held = self.held.borrow_mut();
            if let Some(project) = header(internal::PROJECT) {
                held.project = Some(project);
            }
            if let Some(name) = header(internal::RELAY_NAME) {
                held.name = Some(name);
            }
        }
        let snapshot_key = path
            .strip_prefix(internal::relay::SNAPSHOT)
            .map(burgee_api::percent_decode);
        match (method.as_str(), path.as_str(), snapshot_key) {
            ("PUT", internal::relay::BEACON, _) => {
                let update: RelayUpdate = req.json().await?;
                self.accept(update);
                Response::ok("ok")
            }
            ("PUT", _, Some(key)) => {
                let revision = revision_of(&req);
                let bytes = req.bytes().await?;
                self.store_snapshot(key, revision, bytes);
                Response::ok("ok")
            }
            ("GET", internal::relay::BEACON, _) => {
                if let Err(e) = self.ensure_loaded().await {
                    return json_error(&e);
                }
                let held = self.held.borrow();
                let beacon = held.update.as_ref().map(|u| &u.beacon);
                Response::from_json(&beacon)
            }
            ("GET", internal::relay::CHANGES, _) => self.changes(&req).await,
            ("GET", _, Some(key)) => self.snapshot(&key).await,
            _ => json_error(&ApiError::new(Code::NotFound, "not a relay path")),
        }
    }
}

impl Relay {
    /// Takes a pushed update unless it is older than what is held.
    fn accept(&self, update: RelayUpdate) {
        let mut held = self.held.borrow_mut();
        let newer = held
            .update
            .as_ref()
            .is_none_or(|u| update.beacon.version >= u.beacon.version);
        if newer {
            held.update = Some(update);
        }
    }

    fn store_snapshot(&self, key: String, revision: u64, bytes: Vec<u8>) {
        let mut held = self.held.borrow_mut();
        let newer = held.snapshots.get(&key).is_none_or(|(r, _)| revision > *r);
        if newer {
            held.snapshots.insert(key, (revision, Rc::new(bytes)));
        }
    }

    fn writer(&self) -> std::result::Result<worker::Stub, ApiError> {
        let project = self
            .held
            .borrow()
            .project
            .clone()
            .unwrap_or_else(|| "default".into());
        let unavailable = |e: worker::Error| ApiError::new(Code::StoreUnavailable, e.to_string());
        let namespace = self
            .env
            .durable_object(bindings::STORE)
            .map_err(unavailable)?;
        namespace.get_by_name(&project).map_err(unavailable)
    }

    async fn pull(&self, path: &str) -> std::result::Result<Response, ApiError> {
        let unavailable = |e: worker::Error| ApiError::new(Code::StoreUnavailable, e.to_string());
        let response = self
            .writer()?
            .fetch_with_str(&format!("https://store{path}"))
            .await
            .map_err(unavailable)?;
        if response.status_code() == 200 {
            Ok(response)
        } else {
            Err(ApiError::new(
                Code::StoreUnavailable,
                format!("the store answered {}", response.status_code()),
            ))
        }
    }

    /// Pulls the writer's state when this relay holds none.
    async fn ensure_loaded(&self) -> std::result::Result<(), ApiError> {
        if self.held.borrow().update.is_some() {
            return Ok(());
        }
        let name = self.held.borrow().name.clone().unwrap_or_default();
        let path = format!(
            "{}?relay={}",
            internal::RELAY_STATE,
            burgee_api::percent_encode(&name)
        );
        let mut response = self.pull(&path).await?;
        let update: RelayUpdate = response
            .json()
            .await
            .map_err(|e| ApiError::new(Code::StoreUnavailable, e.to_string()))?;
        self.accept(update);
        Ok(())
    }

    /// The bytes of `key` at the beacon's revision (pulled from the writer when missing).
    async fn snapshot(&self, key: &str) -> Result<Response> {
        if let Err(e) = self.ensure_loaded().await {
            return json_error(&e);
        }
        let wanted = {
            let held = self.held.borrow();
            let beacon = held.update.as_ref().map(|u| &u.beacon);
            burgee_edge_shared::kv::SnapshotKey::parse(key)
                .and_then(|k| beacon.and_then(|b| b.key(&k)).map(|p| p.revision))
        };
        let held_now = self.held.borrow().snapshots.get(key).cloned();
        match (held_now, wanted) {
            (Some((revision, bytes)), Some(w)) if revision >= w => bytes_response(&bytes, revision),
            (_, None) => json_error(&ApiError::new(
                Code::NoSnapshot,
                format!("no snapshot `{key}`"),
            )),
            _ => {
                let path = format!(
                    "{}/snapshot/{}",
                    internal::RELAY_STATE,
                    burgee_api::percent_encode(key)
                );
                let mut response = match self.pull(&path).await {
                    Ok(r) => r,
                    Err(e) => return json_error(&e),
                };
                let revision = revision_of_response(&response);
                let bytes = response.bytes().await?;
                self.store_snapshot(key.to_string(), revision, bytes.clone());
                bytes_response(&bytes, revision)
            }
        }
    }

    /// `GET /changes?environment=&since=`: the flags changed since a version.
    async fn changes(&self, req: &Request) -> Result<Response> {
        if let Err(e) = self.ensure_loaded().await {
            return json_error(&e);
        }
        let pairs = query::query_pairs(&req.inner().url());
        let environment = query::param(&pairs, "environment").unwrap_or_default();
        let since = query::param(&pairs, "since")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let held = self.held.borrow();
        let Some(update) = held.update.as_ref() else {
            return json_error(&ApiError::new(Code::StoreUnavailable, "no state yet"));
        };
        Response::from_json(&changes_since(
            &update.changes,
            environment,
            since,
            update.beacon.version,
        ))
    }
}

fn revision_of_response(response: &Response) -> u64 {
    response
        .headers()
        .get(internal::REVISION)
        .ok()
        .flatten()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}
