//! The control plane's Durable Object (`FlagStore`, bound as `STORE`): the single writer of the
//! flag document (DESIGN §5).
//!
//! Storage is the object's SQLite: `versions` (every version's document, who, when, what; the
//! newest is the current document), `audit` (append-only, never trimmed), `meta` (what has been
//! published). Each accepted write inserts its version and its audit entry with no `await` in
//! between, which Durable Objects commit atomically; a refused write touches neither. Then the
//! write publishes one compiled snapshot per environment to KV and tells the change streams.
//! Writes (commit and publish) are serialised by a lock, so KV can never end up holding an older
//! version than a newer write published.
//!
//! Requests come only from the worker, which has authenticated them: it sets `X-Burgee-Actor`
//! and `X-Burgee-Role` (and strips any a client sent). What each write does to the document is
//! decided in [`crate::admin`]; this module stores, orders and publishes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burgee_core::{Snapshot, compile, compile_client_side};
use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::lock::Mutex;
use serde_json::{Value, json};
use worker::{
    DurableObject, Env, Headers, Request, Response, Result, SqlStorageValue, State, durable_object,
};

use crate::admin::{self, ApiError, Change, Item, Op};
use crate::auth::Role;
use crate::bindings;

/// `flags` or `segments`, from a path.
fn item_of(member: &str) -> Item {
    if member == "flags" {
        Item::Flag
    } else {
        Item::Segment
    }
}

/// The largest integer SQLite parameters carry through JavaScript exactly (2^53 - 1).
const JS_SAFE_MAX: u64 = (1 << 53) - 1;
/// Versions kept in history (the audit log keeps everything).
const HISTORY_LIMIT_DEFAULT: u64 = 1000;
/// Seconds between keep-alive comments on open change streams.
const KEEP_ALIVE_SECONDS: i64 = 25;

type Chunk = std::result::Result<Vec<u8>, worker::Error>;

struct Subscriber {
    environment: String,
    sender: UnboundedSender<Chunk>,
}

#[durable_object]
pub struct FlagStore {
    state: State,
    env: Env,
    /// `(version, document)` of the newest version, read from SQLite on first use.
    current: RefCell<Option<(u64, Rc<Value>)>>,
    /// Compiled snapshots of the current version, for the read-your-writes evaluate route.
    compiled: RefCell<HashMap<String, (u64, Rc<Snapshot>)>>,
    subscribers: RefCell<Vec<Subscriber>>,
    /// Serialises writes: commit, then publish, one at a time.
    writing: Mutex<()>,
}

impl std::fmt::Debug for FlagStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlagStore").finish_non_exhaustive()
    }
}

fn json_response(status: u16, body: &Value) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

fn error_response(e: &ApiError) -> Result<Response> {
    let mut response = json_response(e.status, &e.body())?;
    if let Some(current) = e
        .details
        .as_ref()
        .and_then(|d| d.get("currentVersion"))
        .and_then(Value::as_u64)
    {
        response
            .headers_mut()
            .set("ETag", &format!("\"{current}\""))?;
    }
    Ok(response)
}

fn with_etag(mut response: Response, version: u64) -> Result<Response> {
    response
        .headers_mut()
        .set("ETag", &format!("\"{version}\""))?;
    Ok(response)
}

fn empty_document() -> Value {
    json!({"environments": [], "flags": {}})
}

fn now() -> f64 {
    worker::Date::now().as_millis() as f64
}

impl DurableObject for FlagStore {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for statement in [
            "CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, summary TEXT NOT NULL, document TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, version INTEGER NOT NULL, summary TEXT NOT NULL, flags TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ] {
            if let Err(e) = sql.exec(statement, None) {
                worker::console_error!("FlagStore schema: {e}");
            }
        }
        Self {
            state,
            env,
            current: RefCell::new(None),
            compiled: RefCell::new(HashMap::new()),
            subscribers: RefCell::new(Vec::new()),
            writing: Mutex::new(()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(response) => Ok(response),
            Err(e) => error_response(&e),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        // Keep-alive for change streams, and a retry of a publish that failed.
        self.broadcast_raw(None, b": keep-alive\n\n");
        if self.published_version() < self.current_version().unwrap_or(0) {
            let _guard = self.writing.lock().await;
            let _ = self.publish().await;
        }
        self.arm_alarm().await;
        Response::ok("ok")
    }
}

struct Ctx {
    actor: String,
    role: Role,
    if_match: Option<String>,
    environment: Option<String>,
}

fn role_of(header: Option<String>) -> Role {
    match header.as_deref() {
        Some("admin") => Role::Admin,
        Some("editor") => Role::Editor,
        _ => Role::Viewer,
    }
}

fn query(req: &Request) -> Vec<(String, String)> {
    crate::routes::query_pairs(&req.inner().url())
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number(pairs: &[(String, String)], name: &str) -> std::result::Result<Option<u64>, ApiError> {
    match param(pairs, name) {
        None => Ok(None),
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            ApiError::new(
                400,
                "invalid_parameter",
                format!("`{name}` must be a whole number, not {text:?}"),
            )
        }),
    }
}

fn version_segment(text: &str) -> std::result::Result<u64, ApiError> {
    text.parse::<u64>().map_err(|_| {
        ApiError::new(
            400,
            "invalid_parameter",
            format!("{text:?} is not a version"),
        )
    })
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    worker::console_error!("FlagStore: {e}");
    ApiError::new(
        500,
        "internal",
        "the flag store failed; nothing was changed",
    )
}

impl FlagStore {
    fn sql(&self) -> worker::SqlStorage {
        self.state.storage().sql()
    }

    /// The newest version and its document (`0` and an empty document before any write).
    fn current(&self) -> std::result::Result<(u64, Rc<Value>), ApiError> {
        if let Some(c) = self.current.borrow().as_ref() {
            return Ok(c.clone());
        }
        let rows: Vec<Value> = self
            .sql()
            .exec(
                "SELECT version, document FROM versions ORDER BY version DESC LIMIT 1",
                None,
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        let loaded = match rows.first() {
            Some(row) => {
                let version = row.get("version").and_then(Value::as_u64).unwrap_or(0);
                let text = row.get("document").and_then(Value::as_str).unwrap_or("{}");
                let document: Value = serde_json::from_str(text).map_err(internal)?;
                (version, Rc::new(document))
            }
            None => (0, Rc::new(empty_document())),
        };
        *self.current.borrow_mut() = Some(loaded.clone());
        Ok(loaded)
    }

    fn current_version(&self) -> std::result::Result<u64, ApiError> {
        self.current().map(|(v, _)| v)
    }

    fn published_version(&self) -> u64 {
        self.sql()
            .exec("SELECT value FROM meta WHERE key = 'published'", None)
            .and_then(|c| c.to_array::<Value>())
            .ok()
            .and_then(|rows| {
                rows.first()
                    .and_then(|r| r.get("value")?.as_str()?.parse().ok())
            })
            .unwrap_or(0)
    }

    fn history_limit(&self) -> u64 {
        self.env
            .var(bindings::HISTORY_LIMIT)
            .ok()
            .and_then(|v| v.to_string().trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(HISTORY_LIMIT_DEFAULT)
    }

    async fn route(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let method = req.method().to_string();
        let path = req.path();
        let headers = req.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        let ctx = Ctx {
            actor: header("X-Burgee-Actor").unwrap_or_else(|| "unknown".into()),
            role: role_of(header("X-Burgee-Role")),
            if_match: header("If-Match"),
            environment: header("X-Burgee-Environment"),
        };
        let segments: Vec<String> = path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .map(crate::routes::percent_decode)
            .collect();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let pairs = query(&req);
        let body = |bytes: Vec<u8>| admin::parse_body(&bytes);
        match (method.as_str(), segs.as_slice()) {
            ("GET", ["v1", "stream", env]) => self.stream(env).await.map_err(internal),
            ("GET", ["api", "v1", "document"]) => {
                let (version, document) = self.current()?;
                with_etag(
                    json_response(200, &json!({"version": version, "document": *document}))
                        .map_err(internal)?,
                    version,
                )
                .map_err(internal)
            }
            ("GET", ["api", "v1", "export"]) => {
                let (version, document) = self.current()?;
                let mut document = (*document).clone();
                if let Some(fields) = document.as_object_mut() {
                    fields.insert("version".into(), json!(version));
                }
                let mut response =
                    with_etag(json_response(200, &document).map_err(internal)?, version)
                        .map_err(internal)?;
                response
                    .headers_mut()
                    .set(
                        "Content-Disposition",
                        &format!("attachment; filename=\"burgee-v{version}.json\""),
                    )
                    .map_err(internal)?;
                Ok(response)
            }
            ("POST", ["api", "v1", "validate"]) => {
                let document = body(req.bytes().await.map_err(internal)?)?;
                let diagnostics = match burgee_core::load_value(document) {
                    Ok(loaded) => loaded.validate(),
                    Err(d) => vec![d],
                };
                let valid = !diagnostics.iter().any(|d| d.is_error());
                json_response(200, &json!({"valid": valid, "diagnostics": diagnostics}))
                    .map_err(internal)
            }
            ("PUT", ["api", "v1", "document"]) => {
                let document = body(req.bytes().await.map_err(internal)?)?;
                self.write(
                    &ctx,
                    Op::ReplaceDocument {
                        document,
                        import: false,
                    },
                    true,
                )
                .await
            }
            ("POST", ["api", "v1", "import"]) => {
                let document = body(req.bytes().await.map_err(internal)?)?;
                self.write(
                    &ctx,
                    Op::ReplaceDocument {
                        document,
                        import: true,
                    },
                    true,
                )
                .await
            }
            ("GET", ["api", "v1", kind @ ("flags" | "segments")]) => {
                let (version, document) = self.current()?;
                let all = document.get(*kind).cloned().unwrap_or_else(|| json!({}));
                with_etag(
                    json_response(200, &json!({"version": version, *kind: all}))
                        .map_err(internal)?,
                    version,
                )
                .map_err(internal)
            }
            ("GET", ["api", "v1", member @ ("flags" | "segments"), key]) => {
                let item = item_of(member);
                let (version, document) = self.current()?;
                let value = document
                    .get(item.member())
                    .and_then(|m| m.get(*key))
                    .cloned()
                    .ok_or_else(|| item.not_found(key))?;
                with_etag(
                    json_response(200, &json!({"version": version, item.noun(): value}))
                        .map_err(internal)?,
                    version,
                )
                .map_err(internal)
            }
            (
                method @ ("PUT" | "PATCH" | "DELETE"),
                ["api", "v1", member @ ("flags" | "segments"), key],
            ) => {
                let (item, key) = (item_of(member), key.to_string());
                let op = match method {
                    "PUT" => Op::Put {
                        item,
                        key,
                        value: body(req.bytes().await.map_err(internal)?)?,
                    },
                    "PATCH" => Op::Patch {
                        item,
                        key,
                        patch: body(req.bytes().await.map_err(internal)?)?,
                    },
                    _ => Op::Delete { item, key },
                };
                self.write(&ctx, op, true).await
            }
            ("POST", ["api", "v1", "flags", key, "toggle"]) => {
                let b = body(req.bytes().await.map_err(internal)?)?;
                let environment = b
                    .get("environment")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ApiError::new(400, "invalid_body", "`environment` (a string) is required")
                    })?
                    .to_string();
                let enabled = b.get("enabled").and_then(Value::as_bool).ok_or_else(|| {
                    ApiError::new(400, "invalid_body", "`enabled` (true or false) is required")
                })?;
                self.write(
                    &ctx,
                    Op::Toggle {
                        key: key.to_string(),
                        environment,
                        enabled,
                    },
                    true,
                )
                .await
            }
            ("GET", ["api", "v1", "history"]) => self.history(&pairs),
            ("GET", ["api", "v1", "history", version]) => {
                let version = version_segment(version)?;
                let row = self.version_row(version)?;
                json_response(200, &row).map_err(internal)
            }
            ("GET", ["api", "v1", "diff"]) => {
                let current = self.current_version()?;
                let from = number(&pairs, "from")?.unwrap_or(current.saturating_sub(1));
                let to = number(&pairs, "to")?.unwrap_or(current);
                let document = |v: u64| -> std::result::Result<Value, ApiError> {
                    if v == 0 {
                        return Ok(empty_document());
                    }
                    let mut d = self
                        .version_row(v)?
                        .get("document")
                        .cloned()
                        .unwrap_or(Value::Null);
                    if let Some(fields) = d.as_object_mut() {
                        fields.remove("version");
                    }
                    Ok(d)
                };
                let changes = admin::diff(&document(from)?, &document(to)?);
                json_response(200, &json!({"from": from, "to": to, "changes": changes}))
                    .map_err(internal)
            }
            ("POST", ["api", "v1", "restore", version]) => {
                let version = version_segment(version)?;
                let mut document = self
                    .version_row(version)?
                    .get("document")
                    .cloned()
                    .unwrap_or(Value::Null);
                if let Some(fields) = document.as_object_mut() {
                    fields.remove("version");
                }
                self.write(&ctx, Op::Restore { version, document }, true)
                    .await
            }
            ("GET", ["api", "v1", "audit"]) => self.audit(&ctx, &pairs),
            ("POST", ["api", "v1", "evaluate"]) => {
                let b = body(req.bytes().await.map_err(internal)?)?;
                self.evaluate(&b)
            }
            ("PUT", ["feature-flags", key]) => {
                let b = body(req.bytes().await.map_err(internal)?)?;
                let enabled = b.get("enabled").and_then(Value::as_bool).ok_or_else(|| {
                    ApiError::new(400, "invalid_body", "send {\"enabled\": true | false}")
                })?;
                let environment = self.shortcut_environment(&ctx, &pairs);
                self.shortcut(
                    &ctx,
                    key,
                    &environment,
                    Op::Toggle {
                        key: key.to_string(),
                        environment: environment.clone(),
                        enabled,
                    },
                )
                .await
            }
            ("POST", ["feature-flags", key, who @ ("user" | "org"), id]) => {
                let b = body(req.bytes().await.map_err(internal)?)?;
                let enabled = b.get("enabled").and_then(Value::as_bool).ok_or_else(|| {
                    ApiError::new(400, "invalid_body", "send {\"enabled\": true | false}")
                })?;
                let environment = self.shortcut_environment(&ctx, &pairs);
                let attribute = (*who == "org").then(|| "orgId".to_string());
                let op = Op::Target {
                    key: key.to_string(),
                    environment: environment.clone(),
                    attribute,
                    id: id.to_string(),
                    enabled,
                };
                self.shortcut(&ctx, key, &environment, op).await
            }
            _ => Err(ApiError::new(
                404,
                "not_found",
                format!("no route for {method} {path}"),
            )),
        }
    }

    fn shortcut_environment(&self, ctx: &Ctx, pairs: &[(String, String)]) -> String {
        param(pairs, "env")
            .map(String::from)
            .or_else(|| ctx.environment.clone())
            .unwrap_or_else(|| crate::config::get(&self.env).default_environment.clone())
    }

    /// An operators' shortcut: applied to the current version (no `If-Match`), answered with
    /// the flag's new settings in that environment.
    async fn shortcut(
        &self,
        ctx: &Ctx,
        key: &str,
        environment: &str,
        op: Op,
    ) -> std::result::Result<Response, ApiError> {
        let (version, change) = self.commit(ctx, op, false).await?;
        let settings = change
            .document
            .get("flags")
            .and_then(|f| f.get(key))
            .and_then(|f| f.get("environments"))
            .and_then(|e| e.get(environment))
            .cloned()
            .unwrap_or(Value::Null);
        let response = json_response(
            200,
            &json!({"version": version, "flag": key, "environment": environment, "settings": settings}),
        )
        .map_err(internal)?;
        with_etag(response, version).map_err(internal)
    }

    /// A write from the admin API, answered with the new version.
    async fn write(
        &self,
        ctx: &Ctx,
        op: Op,
        check: bool,
    ) -> std::result::Result<Response, ApiError> {
        let (version, change) = self.commit(ctx, op, check).await?;
        let status = if change.created { 201 } else { 200 };
        let response = json_response(
            status,
            &json!({"version": version, "summary": change.summary}),
        )
        .map_err(internal)?;
        with_etag(response, version).map_err(internal)
    }

    /// Validates, commits and publishes one write; refused writes change nothing.
    async fn commit(
        &self,
        ctx: &Ctx,
        op: Op,
        check: bool,
    ) -> std::result::Result<(u64, Change), ApiError> {
        let _guard = self.writing.lock().await;
        let (current, document) = self.current()?;
        if check {
            admin::check_if_match(ctx.if_match.as_deref(), current)?;
        }
        let at = admin::rfc3339(now());
        // A kill switch set to what it already is (an operator acting on a stale list, a
        // retried request) writes nothing: no version, no history, no audit entry.
        let toggle = matches!(op, Op::Toggle { .. });
        let mut change = admin::apply(&document, op, &ctx.actor, &at)?;
        if toggle && admin::same_but_stamps(&document, &change.document) {
            change
                .summary
                .push_str(" (it already was: nothing written)");
            return Ok((current, change));
        }
        admin::validate(&change.document)?;
        let version = current + 1;
        let mut stored = change.document.clone();
        if let Some(fields) = stored.as_object_mut() {
            fields.insert("version".into(), json!(version));
        }
        let text = stored.to_string();
        let flags = serde_json::to_string(&change.flags).map_err(internal)?;
        // No `await` from here to the end of the inserts: the Durable Object commits them
        // together, or not at all.
        let sql = self.sql();
        let v = SqlStorageValue::Integer(version as i64);
        sql.exec(
            "INSERT INTO versions (version, at, actor, action, summary, document) VALUES (?, ?, ?, ?, ?, ?)",
            vec![v.clone(), at.clone().into(), ctx.actor.clone().into(), change.action.into(), change.summary.clone().into(), text.into()],
        )
        .map_err(internal)?;
        sql.exec(
            "INSERT INTO audit (at, actor, action, target, version, summary, flags) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![at.into(), ctx.actor.clone().into(), change.action.into(), change.target.clone().into(), v, change.summary.clone().into(), flags.into()],
        )
        .map_err(internal)?;
        let keep = self.history_limit();
        if version > keep {
            sql.exec(
                "DELETE FROM versions WHERE version <= ?",
                vec![SqlStorageValue::Integer((version - keep) as i64)],
            )
            .map_err(internal)?;
        }
        let previous = document;
        *self.current.borrow_mut() = Some((version, Rc::new(stored)));
        self.compiled.borrow_mut().clear();
        let _ = ctx.role;
        if let Err(e) = self.publish().await {
            // Committed but not published: the alarm retries; evaluation keeps the last good one.
            worker::console_error!("publishing version {version}: {e:?}");
            self.arm_alarm().await;
        }
        self.announce(&previous, &change.document, version);
        Ok((version, change))
    }

    /// Publishes the current version: full and client-side snapshots per environment, with
    /// their metadata; the snapshots of environments the document no longer has are deleted.
    async fn publish(&self) -> std::result::Result<(), ApiError> {
        let (version, document) = self.current()?;
        let loaded =
            burgee_core::load_value((*document).clone()).map_err(|d| internal(d.message))?;
        let mut doc = loaded.document.clone();
        doc.version = Some(version);
        let kv = self.env.kv(bindings::FLAGS).map_err(internal)?;
        let metadata = json!({"version": version, "publishedAt": now()});
        // Every environment's two snapshots are written at once (KV writes are independent).
        let mut puts = Vec::with_capacity(doc.environments.len() * 2);
        for environment in &doc.environments {
            for (prefix, snapshot) in [
                ("snapshot", compile(&doc, environment).snapshot),
                ("public", compile_client_side(&doc, environment).snapshot),
            ] {
                puts.push(
                    kv.put_bytes(&format!("{prefix}:{environment}"), &snapshot.encode())
                        .map_err(internal)?
                        .metadata(&metadata)
                        .map_err(internal)?
                        .execute(),
                );
            }
        }
        futures_util::future::try_join_all(puts)
            .await
            .map_err(internal)?;
        let published_before: Vec<String> = self
            .sql()
            .exec("SELECT value FROM meta WHERE key = 'environments'", None)
            .and_then(|c| c.to_array::<Value>())
            .ok()
            .and_then(|rows| {
                rows.first()
                    .and_then(|r| r.get("value")?.as_str().map(String::from))
            })
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        for gone in published_before
            .iter()
            .filter(|e| !doc.environments.contains(e))
        {
            for prefix in ["snapshot", "public"] {
                kv.delete(&format!("{prefix}:{gone}"))
                    .await
                    .map_err(internal)?;
            }
        }
        let environments = serde_json::to_string(&doc.environments).map_err(internal)?;
        let sql = self.sql();
        sql.exec(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('published', ?), ('environments', ?)",
            vec![version.to_string().into(), environments.into()],
        )
        .map_err(internal)?;
        Ok(())
    }

    async fn arm_alarm(&self) {
        let wanted = !self.subscribers.borrow().is_empty()
            || self.published_version() < self.current_version().unwrap_or(0);
        if wanted {
            let at = std::time::Duration::from_secs(KEEP_ALIVE_SECONDS as u64);
            if let Err(e) = self.state.storage().set_alarm(at).await {
                worker::console_error!("FlagStore alarm: {e}");
            }
        }
    }

    fn broadcast_raw(&self, environment: Option<&str>, bytes: &[u8]) {
        self.subscribers.borrow_mut().retain(|s| {
            if environment.is_some_and(|e| e != s.environment) {
                return !s.sender.is_closed();
            }
            s.sender.unbounded_send(Ok(bytes.to_vec())).is_ok()
        });
    }

    /// Tells each environment's change streams which of its flags the new version changed.
    fn announce(&self, before: &Value, after: &Value, version: u64) {
        let environments: Vec<String> = after
            .get("environments")
            .and_then(Value::as_array)
            .map(|e| {
                e.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for environment in environments {
            let changed = admin::changed_flags(before, after, &environment);
            if changed.is_empty() {
                continue;
            }
            let event = json!({"type": "refetchEvaluation", "etag": format!("\"{version}\""), "version": version, "changed": changed});
            self.broadcast_raw(Some(&environment), format!("data: {event}\n\n").as_bytes());
        }
    }

    /// `GET /v1/stream/{env}`: a Server-Sent Events response held open by this object.
    async fn stream(&self, environment: &str) -> Result<Response> {
        let (sender, receiver) = unbounded::<Chunk>();
        let version = self.current_version().unwrap_or(0);
        let hello = json!({"type": "connected", "version": version, "environment": environment});
        let _ = sender.unbounded_send(Ok(format!("retry: 3000\ndata: {hello}\n\n").into_bytes()));
        self.subscribers.borrow_mut().push(Subscriber {
            environment: environment.to_string(),
            sender,
        });
        self.arm_alarm().await;
        let headers = Headers::new();
        headers.set("Content-Type", "text/event-stream")?;
        headers.set("Cache-Control", "no-cache")?;
        headers.set("Access-Control-Allow-Origin", "*")?;
        Ok(Response::from_stream(receiver)?.with_headers(headers))
    }

    fn version_row(&self, version: u64) -> std::result::Result<Value, ApiError> {
        let rows: Vec<Value> = self
            .sql()
            .exec(
                "SELECT version, at, actor, action, summary, document FROM versions WHERE version = ?",
                vec![SqlStorageValue::Integer(version as i64)],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        let mut row = rows.into_iter().next().ok_or_else(|| {
            ApiError::new(
                404,
                "version_not_found",
                format!(
                    "version {version} is not in the history (it keeps the last {})",
                    self.history_limit()
                ),
            )
        })?;
        if let Some(fields) = row.as_object_mut() {
            let document = fields
                .get("document")
                .and_then(Value::as_str)
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .unwrap_or(Value::Null);
            fields.insert("document".into(), document);
        }
        Ok(row)
    }

    fn history(&self, pairs: &[(String, String)]) -> std::result::Result<Response, ApiError> {
        let limit = number(pairs, "limit")?.unwrap_or(50).clamp(1, 500);
        let before = number(pairs, "before")?
            .unwrap_or(JS_SAFE_MAX)
            .min(JS_SAFE_MAX);
        let rows: Vec<Value> = self
            .sql()
            .exec(
                "SELECT version, at, actor, action, summary FROM versions WHERE version < ? ORDER BY version DESC LIMIT ?",
                vec![SqlStorageValue::Integer(before as i64), SqlStorageValue::Integer(limit as i64)],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        json_response(200, &json!({"versions": rows})).map_err(internal)
    }

    fn audit(
        &self,
        ctx: &Ctx,
        pairs: &[(String, String)],
    ) -> std::result::Result<Response, ApiError> {
        let limit = number(pairs, "limit")?.unwrap_or(100).clamp(1, 1000);
        let before = number(pairs, "before")?
            .unwrap_or(JS_SAFE_MAX)
            .min(JS_SAFE_MAX);
        let flag = param(pairs, "flag");
        let actor = param(pairs, "actor");
        if actor.is_some() && ctx.role < Role::Admin {
            return Err(ApiError::new(
                403,
                "forbidden",
                "filtering the audit log by actor needs the admin role",
            ));
        }
        let mut query = String::from(
            "SELECT id, at, actor, action, target, version, summary, flags FROM audit WHERE id < ?",
        );
        let mut bindings = vec![SqlStorageValue::Integer(before as i64)];
        if let Some(flag) = flag {
            query.push_str(
                " AND EXISTS (SELECT 1 FROM json_each(audit.flags) WHERE json_each.value = ?)",
            );
            bindings.push(flag.to_string().into());
        }
        if let Some(actor) = actor {
            query.push_str(" AND actor = ?");
            bindings.push(actor.to_string().into());
        }
        query.push_str(" ORDER BY id DESC LIMIT ?");
        bindings.push(SqlStorageValue::Integer(limit as i64));
        let rows: Vec<Value> = self
            .sql()
            .exec(&query, bindings)
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        let entries: Vec<Value> = rows
            .into_iter()
            .map(|mut r| {
                if let Some(fields) = r.as_object_mut() {
                    let flags = fields
                        .get("flags")
                        .and_then(Value::as_str)
                        .and_then(|t| serde_json::from_str::<Value>(t).ok())
                        .unwrap_or(json!([]));
                    fields.insert("flags".into(), flags);
                }
                r
            })
            .collect();
        json_response(200, &json!({"entries": entries})).map_err(internal)
    }

    fn evaluate(&self, body: &Value) -> std::result::Result<Response, ApiError> {
        let environment = body
            .get("environment")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::new(400, "invalid_body", "`environment` (a string) is required")
            })?;
        let (version, document) = self.current()?;
        let cached = self
            .compiled
            .borrow()
            .get(environment)
            .filter(|(v, _)| *v == version)
            .map(|(_, s)| s.clone());
        let snapshot = match cached {
            Some(s) => s,
            None => {
                let loaded = burgee_core::load_value((*document).clone())
                    .map_err(|d| internal(d.message))?;
                if !loaded
                    .document
                    .environments
                    .iter()
                    .any(|e| e == environment)
                {
                    return Err(ApiError::new(
                        404,
                        "environment_not_found",
                        format!(
                            "environment `{environment}` is not one of the document's environments"
                        ),
                    ));
                }
                let mut snapshot = loaded.compile(environment).snapshot;
                snapshot.set_version(version);
                let snapshot = Rc::new(snapshot);
                self.compiled
                    .borrow_mut()
                    .insert(environment.to_string(), (version, snapshot.clone()));
                snapshot
            }
        };
        let context = body.get("context").cloned().unwrap_or_else(|| json!({}));
        let bound = snapshot.context(&context);
        let only: Option<Vec<&str>> = body
            .get("flags")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect());
        let mut results = serde_json::Map::new();
        let now = now() as i64;
        for (key, detail) in snapshot.evaluate_all(&bound, now) {
            if only.as_ref().is_some_and(|o| !o.contains(&key)) {
                continue;
            }
            let mut text = String::new();
            detail.write_json(&mut text, key, false, "null");
            results.insert(
                key.into(),
                serde_json::from_str(&text).unwrap_or(Value::Null),
            );
        }
        json_response(
            200,
            &json!({"version": version, "environment": environment, "results": results}),
        )
        .map_err(internal)
    }
}
