//! Where the publisher writes: Workers KV, behind a trait so that the same driver runs against
//! the real binding and against the strict double ([`super::faults`]).

use std::cell::RefCell;
use std::rc::Rc;

use burgee_edge_shared::kv::Published;
use futures_util::future::LocalBoxFuture;

use super::KvResult;
use super::faults::{Decision, StrictKv};

/// Writes and deletes of published keys.
pub trait KvSink {
    fn put(
        &self,
        key: String,
        bytes: Rc<Vec<u8>>,
        meta: Published,
    ) -> LocalBoxFuture<'static, KvResult>;
    fn delete(&self, key: String) -> LocalBoxFuture<'static, KvResult>;
}

/// A KV error's outcome: `429` is the rate limit; anything else may have reached KV before it
/// failed, so it counts as unknown (the publisher then waits out the straggler window).
pub fn classify(error: &str) -> KvResult {
    if error.contains("429") || error.contains("Too Many Requests") {
        KvResult::RateLimited
    } else {
        KvResult::Unknown(error.to_string())
    }
}

/// The real binding.
#[derive(Debug)]
pub struct WorkersKv(pub worker::Env);

impl KvSink for WorkersKv {
    fn put(
        &self,
        key: String,
        bytes: Rc<Vec<u8>>,
        meta: Published,
    ) -> LocalBoxFuture<'static, KvResult> {
        let kv = self.0.kv(burgee_edge_shared::bindings::FLAGS);
        Box::pin(async move {
            let result = async {
                let kv = kv.map_err(|e| e.to_string())?;
                kv.put_bytes(&key, &bytes)
                    .map_err(|e| e.to_string())?
                    .metadata(meta)
                    .map_err(|e| e.to_string())?
                    .execute()
                    .await
                    .map_err(|e| e.to_string())
            };
            match result.await {
                Ok(()) => KvResult::Written,
                Err(e) => classify(&e.to_string()),
            }
        })
    }

    fn delete(&self, key: String) -> LocalBoxFuture<'static, KvResult> {
        let kv = self.0.kv(burgee_edge_shared::bindings::FLAGS);
        Box::pin(async move {
            let result = async {
                let kv = kv.map_err(|e| e.to_string())?;
                kv.delete(&key).await.map_err(|e| e.to_string())
            };
            match result.await {
                Ok(()) => KvResult::Written,
                Err(e) => classify(&e.to_string()),
            }
        })
    }
}

/// Waits `ms` milliseconds (the runtime's timer; in tests, a simulated one).
pub type Sleep = Rc<dyn Fn(f64) -> LocalBoxFuture<'static, ()>>;
/// Runs a task on its own (a write that lands after its caller was told it timed out).
pub type Spawn = Rc<dyn Fn(LocalBoxFuture<'static, ()>)>;

/// A sink whose writes go through [`StrictKv`] first: rate-limited, failed, delayed or
/// stranded as the plan says, then applied to `inner`.
pub struct Faulty<K> {
    pub inner: Rc<K>,
    pub strict: Rc<RefCell<StrictKv>>,
    pub now: Rc<dyn Fn() -> f64>,
    pub sleep: Sleep,
    pub spawn: Spawn,
}

impl<K> std::fmt::Debug for Faulty<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faulty")
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl<K: KvSink + 'static> Faulty<K> {
    fn through(
        &self,
        key: String,
        apply: LocalBoxFuture<'static, KvResult>,
    ) -> LocalBoxFuture<'static, KvResult> {
        let decision = self.strict.borrow_mut().decide(&key, (self.now)());
        let sleep = self.sleep.clone();
        let spawn = self.spawn.clone();
        Box::pin(async move {
            match decision {
                Decision::RateLimited => KvResult::RateLimited,
                Decision::Fail { after } => {
                    sleep(after).await;
                    KvResult::Failed(format!("{key}: injected 503"))
                }
                Decision::Land { after } => {
                    sleep(after).await;
                    apply.await
                }
                Decision::Unknown { after, lands } => {
                    if let Some(lands) = lands {
                        let late = sleep(lands);
                        spawn(Box::pin(async move {
                            late.await;
                            let _ = apply.await;
                        }));
                    }
                    sleep(after).await;
                    KvResult::Unknown(format!("{key}: injected timeout"))
                }
            }
        })
    }
}

impl<K: KvSink + 'static> KvSink for Faulty<K> {
    fn put(
        &self,
        key: String,
        bytes: Rc<Vec<u8>>,
        meta: Published,
    ) -> LocalBoxFuture<'static, KvResult> {
        let apply = self.inner.put(key.clone(), bytes, meta);
        self.through(key, apply)
    }

    fn delete(&self, key: String) -> LocalBoxFuture<'static, KvResult> {
        let apply = self.inner.delete(key.clone());
        self.through(key, apply)
    }
}
