//! Publication, driven by the writer after it answers and by its alarm: pushes the beacon and
//! new snapshots to every relay, then writes Workers KV through the [`Publisher`]'s rules.
//!
//! One pass runs at a time (a pass asked for while one runs makes that one go round again), so
//! publishes never overlap. A pass does what is due now and sets the alarm for what is due
//! later (the rate limit, a backoff), so publication goes on until everything has landed even
//! when no request comes, and survives the object being evicted (its state is in SQLite).

use std::cell::RefCell;
use std::rc::Rc;

use burgee_api::ApiError;
use burgee_edge_shared::beacon::{Beacon, CHANGE_LOG_KEPT, RelayUpdate};
use burgee_edge_shared::kv::{Kind, Published, SnapshotKey};
use burgee_edge_shared::{bindings, internal};
use futures_util::future::{LocalBoxFuture, join_all};
use worker::{Env, Headers, Method, RequestInit};

use super::answer::{Answer, internal as internal_error, log_error};
use super::{Inner, Out, now};
use crate::publish::KvResult;
use crate::publish::faults::StrictKv;
use crate::publish::kv::{Faulty, KvSink, WorkersKv};
use crate::publish::snapshots::{Built, build};

/// The sink KV writes go to: the binding, or the strict double over it in fault tests.
pub fn sink(env: &Env, faults: Option<Rc<RefCell<StrictKv>>>) -> Rc<dyn KvSink> {
    let real = Rc::new(WorkersKv(env.clone()));
    match faults {
        None => real,
        Some(strict) => Rc::new(Faulty {
            inner: real,
            strict,
            now: Rc::new(now),
            sleep: Rc::new(|ms: f64| -> LocalBoxFuture<'static, ()> {
                Box::pin(worker::Delay::from(std::time::Duration::from_millis(
                    ms.max(0.0) as u64,
                )))
            }),
            spawn: Rc::new(wasm_bindgen_futures::spawn_local),
        }),
    }
}

const PROJECT: &str = "project";
const RELAYS: &str = "relays";

impl Inner {
    pub(super) fn remember_project(&self, project: &str) {
        let rows = self.rows();
        if rows.meta(PROJECT).ok().flatten().as_deref() != Some(project) {
            let _ = rows.set_meta(PROJECT, project);
        }
    }

    /// The relays registered before the object last stopped.
    pub(super) fn load_relays(&self) {
        let names: Vec<String> = self
            .rows()
            .meta(RELAYS)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let mut relays = self.relays.borrow_mut();
        for name in names {
            relays.register(&name);
        }
        relays.bump();
    }

    /// The beacon of the current version.
    fn beacon(&self) -> Beacon {
        let current = self.current.borrow();
        let Some(c) = current.as_ref() else {
            return Beacon::default();
        };
        let mut beacon = Beacon {
            version: c.version,
            committed_at: c.committed_at,
            ..Beacon::default()
        };
        for environment in &c.document.environments {
            let state = beacon.environments.entry(environment.clone()).or_default();
            for kind in Kind::ALL {
                let key = SnapshotKey::new(kind, environment).to_string();
                *state.get_mut(kind) = c.publisher.publication(&key);
            }
        }
        beacon
    }

    /// The relay update: the beacon and the newest change log.
    fn update(&self) -> Result<RelayUpdate, ApiError> {
        let beacon = self.beacon();
        let since = beacon.version.saturating_sub(CHANGE_LOG_KEPT as u64);
        let changes = self.rows().changes_since(since).map_err(internal_error)?;
        Ok(RelayUpdate { beacon, changes })
    }

    /// The bytes of `key` at its current revision: from memory, or compiled again from the
    /// current document (whose content for that key is the revision's).
    fn bytes_for(&self, key: &str) -> Result<Built, ApiError> {
        let revision = {
            let current = self.current.borrow();
            let c = current
                .as_ref()
                .ok_or_else(|| internal_error("not loaded"))?;
            c.publisher
                .get(key)
                .map(|s| s.stored.revision)
                .unwrap_or(c.version)
        };
        if let Some(built) = self
            .bytes
            .borrow()
            .get(key)
            .filter(|b| b.revision == revision)
        {
            return Ok(built.clone());
        }
        let (_, document) = self.current()?;
        let parsed = SnapshotKey::parse(key)
            .ok_or_else(|| internal_error(format!("{key} is not a snapshot key")))?;
        let built = build(&document, &parsed, revision).map_err(|t| {
            internal_error(format!("{} grew past the limit ({} bytes)", t.key, t.bytes))
        })?;
        self.bytes
            .borrow_mut()
            .insert(key.to_string(), built.clone());
        Ok(built)
    }

    /// `GET /internal/relay-state?relay=<name>` and `…/snapshot/<key>`: what a relay that
    /// starts empty pulls; the relay is pushed every later change.
    pub(super) fn relay_pull(&self, path_and_query: &str, url: &str) -> Result<Out, ApiError> {
        self.current()?;
        let rest = path_and_query.trim_start_matches(internal::RELAY_STATE);
        if let Some(key) = rest.strip_prefix("/snapshot/") {
            let built = self.bytes_for(&burgee_api::percent_decode(key))?;
            return Ok(Out::Bytes(built.bytes.as_ref().clone(), built.revision));
        }
        let pairs = burgee_edge_shared::query::query_pairs(url);
        if let Some(name) = burgee_edge_shared::query::param(&pairs, "relay") {
            let new = self.relays.borrow_mut().register(name);
            if new {
                let names = self.relays.borrow().names();
                let text = serde_json::to_string(&names).map_err(internal_error)?;
                self.rows()
                    .set_meta(RELAYS, &text)
                    .map_err(internal_error)?;
            }
        }
        let update = self.update()?;
        let seq = self.relays.borrow().seq;
        if let Some(name) = burgee_edge_shared::query::param(&pairs, "relay") {
            self.relays.borrow_mut().acked(name, seq, &[]);
        }
        Answer::ok(&update).map(Out::Json)
    }

    /// One publication pass (or a request for another round, when one is running).
    pub(super) async fn publish_pass(self: Rc<Self>) {
        if self.publishing.replace(true) {
            self.again.set(true);
            return;
        }
        if let Err(e) = self.current() {
            log_error(&format!("publication: {}", e.message));
        }
        loop {
            self.again.set(false);
            self.push_relays().await;
            let wrote = self.write_kv().await;
            if !wrote && !self.again.get() {
                break;
            }
        }
        self.publishing.set(false);
        self.arm().await;
    }

    /// Sets the alarm for the next thing due, if any.
    async fn arm(&self) {
        let kv = self
            .current
            .borrow()
            .as_ref()
            .and_then(|c| c.publisher.next_wake());
        let relays = self.relays.borrow().next_wake();
        let next = match (kv, relays) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = next {
            let wait = (at - now()).max(10.0) as i64;
            if let Err(e) = self.storage.set_alarm(wait).await {
                log_error(&format!("FlagStore alarm: {e}"));
            }
        }
    }

    /// Writes every KV key that is due; `true` when it wrote any.
    async fn write_kv(&self) -> bool {
        let now_ms = now();
        let due: Vec<(String, u64, bool)> = {
            let mut current = self.current.borrow_mut();
            let Some(c) = current.as_mut() else {
                return false;
            };
            let due = c.publisher.due(now_ms);
            for (key, _) in &due {
                c.publisher.start(key, now_ms);
            }
            due.into_iter()
                .map(|(k, r)| {
                    let delete = c.publisher.get(&k).is_some_and(|s| s.delete);
                    (k, r, delete)
                })
                .collect()
        };
        if due.is_empty() {
            return false;
        }
        let sink = self.sink();
        let writes = due.iter().map(|(key, revision, delete)| {
            let write: LocalBoxFuture<'static, KvResult> = if *delete {
                sink.delete(key.clone())
            } else {
                match self.bytes_for(key) {
                    Ok(built) => sink.put(
                        key.clone(),
                        built.bytes,
                        Published {
                            version: *revision,
                            published_at: now_ms,
                        },
                    ),
                    Err(e) => Box::pin(std::future::ready(KvResult::Failed(e.message))),
                }
            };
            write
        });
        let outcomes = join_all(writes).await;
        self.record(&due, &outcomes);
        true
    }

    /// Takes the outcomes of KV writes into the publisher, its rows and the log.
    fn record(&self, due: &[(String, u64, bool)], outcomes: &[KvResult]) {
        let finished = now();
        let at = burgee_core::time::format_rfc3339(finished as i64);
        let rows = self.rows();
        let mut current = self.current.borrow_mut();
        let Some(c) = current.as_mut() else { return };
        for ((key, revision, delete), outcome) in due.iter().zip(outcomes) {
            if let Some(note) = c.publisher.finish(key, *revision, outcome, finished) {
                log_error(&format!("publishing {key} at {revision}: {}", note.message));
                let _ = rows.log_publication(&at, key, *revision, &note.message);
            }
            if *delete && *outcome == KvResult::Written {
                c.publisher.forget(key);
                let _ = rows.forget_key(key);
            } else if let Some(state) = c.publisher.get(key) {
                let _ = rows.save_key(key, &state.stored);
            }
        }
        drop(current);
        self.relays.borrow_mut().bump();
    }

    /// Pushes the beacon, and the snapshots each relay lacks, to every relay that is due.
    async fn push_relays(&self) {
        let due = self.relays.borrow().due(now());
        if due.is_empty() {
            return;
        }
        let Ok(update) = self.update() else { return };
        let seq = self.relays.borrow().seq;
        let keys: Vec<(String, u64)> = {
            let current = self.current.borrow();
            current.as_ref().map_or_else(Vec::new, |c| {
                c.publisher
                    .keys()
                    .filter(|(_, s)| !s.delete)
                    .map(|(k, s)| (k.clone(), s.stored.revision))
                    .collect()
            })
        };
        let pushes = due.iter().map(|name| {
            let missing = self.relays.borrow().missing(name, &keys);
            self.push_one(name.clone(), missing, &update)
        });
        let results = join_all(pushes).await;
        let mut relays = self.relays.borrow_mut();
        for (name, result) in due.iter().zip(results) {
            match result {
                Ok(pushed) => relays.acked(name, seq, &pushed),
                Err(e) => {
                    log_error(&format!("relay {name}: {e}"));
                    relays.failed(name, now());
                }
            }
        }
    }

    /// Sends one relay the snapshots it lacks, then the beacon; the keys it now holds.
    async fn push_one(
        &self,
        name: String,
        missing: Vec<(String, u64)>,
        update: &RelayUpdate,
    ) -> Result<Vec<(String, u64)>, String> {
        let namespace = self
            .env
            .durable_object(bindings::RELAY)
            .map_err(|e| e.to_string())?;
        let stub = namespace.get_by_name(&name).map_err(|e| e.to_string())?;
        for (key, _) in &missing {
            let built = self.bytes_for(key).map_err(|e| e.message)?;
            let headers = Headers::new();
            headers
                .set(internal::REVISION, &built.revision.to_string())
                .map_err(|e| e.to_string())?;
            let body = worker::js_sys::Uint8Array::from(built.bytes.as_slice());
            let mut init = RequestInit::new();
            init.with_method(Method::Put)
                .with_headers(headers)
                .with_body(Some(body.into()));
            let url = format!(
                "https://relay{}{}",
                internal::relay::SNAPSHOT,
                burgee_api::percent_encode(key)
            );
            send(&stub, &url, init).await?;
        }
        let body = serde_json::to_string(update).map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Put)
            .with_body(Some(wasm_bindgen::JsValue::from_str(&body)));
        send(
            &stub,
            &format!("https://relay{}", internal::relay::BEACON),
            init,
        )
        .await?;
        Ok(missing)
    }
}

async fn send(stub: &worker::Stub, url: &str, init: RequestInit) -> Result<(), String> {
    let request = worker::Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let response = stub
        .fetch_with_request(request)
        .await
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&response.status_code()) {
        Ok(())
    } else {
        Err(format!("{url} answered {}", response.status_code()))
    }
}
