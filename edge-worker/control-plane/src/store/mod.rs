//! The control plane's Durable Object (`FlagStore`, bound as `STORE`): the single writer of
//! the flag document, and nothing else.
//!
//! Requests come only from the data plane, which has authenticated them and vouches for the
//! caller with internal headers. A read is answered from memory and SQLite ([`read`]); a write
//! is read into the core's edits ([`write`]), committed ([`commit`]) with no `await` from
//! reading the current version to storing the new one (so a Durable Object's input gate makes
//! it atomic and writes are serialised without a lock), and then handed to publication
//! ([`publishing`]), which runs after the answer: the writer answers in the time of a commit
//! whatever Workers KV or the relays are doing.

pub mod answer;
pub mod commit;
mod policy;
mod protected;
mod publishing;
pub mod read;
pub mod requests;
pub mod rows;
pub mod sign_in;
pub mod sql;
pub mod write;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use burgee_api::{ApiError, Code, Miss, Role, Route, RouteId, ShortcutBody, SwitchedBody, Written};
use burgee_core::model::Document;
use burgee_edge_shared::{bindings, internal, query};
use worker::{
    DurableObject, Env, Headers, Request, Response, Result, State, Storage, durable_object,
};

use crate::publish::faults::{FaultPlan, StrictKv};
use crate::publish::relays::Relays;
use crate::publish::snapshots::Built;
use crate::publish::{Publisher, kv::KvSink};
use answer::{Answer, check_if_match, internal as internal_error, log_error};
use commit::{Caller, Committed};
use rows::Rows;
use sql::DurableSql;
use write::{Plan, Reply};

/// Versions kept in history unless `HISTORY_LIMIT` says otherwise (the audit log keeps all).
const HISTORY_LIMIT_DEFAULT: u64 = 1000;

/// What the store holds in memory, read from SQLite on first use.
#[derive(Debug)]
struct Current {
    version: u64,
    document: Rc<Document>,
    /// Epoch ms of the newest commit (for the beacon).
    committed_at: f64,
    publisher: Publisher,
}

/// Everything the object keeps, shared with the publication that runs after an answer.
pub struct Inner {
    env: Env,
    storage: Storage,
    sql: DurableSql,
    current: RefCell<Option<Current>>,
    compiled: RefCell<read::Compiled>,
    /// The newest bytes of each key, by key.
    bytes: RefCell<HashMap<String, Built>>,
    relays: RefCell<Relays>,
    /// Test deployments only: the double KV writes go through.
    faults: RefCell<Option<Rc<RefCell<StrictKv>>>>,
    publishing: Cell<bool>,
    again: Cell<bool>,
    /// Recent failed admin sign-ins by client address (the data plane reports them).
    sign_ins: RefCell<sign_in::Failures>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

#[durable_object]
pub struct FlagStore {
    state: State,
    inner: Rc<Inner>,
}

impl std::fmt::Debug for FlagStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlagStore").finish_non_exhaustive()
    }
}

pub fn now() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// The longest reason kept; a longer one is cut.
const MAX_REASON_CHARS: usize = 500;

fn to_response(answer: Answer) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    if let Some(version) = answer.etag {
        headers.set("ETag", &format!("\"{version}\""))?;
    }
    for (name, value) in &answer.headers {
        // Several cookies are several headers; any other name is set once.
        if *name == "Set-Cookie" {
            headers.append(name, value)?;
        } else {
            headers.set(name, value)?;
        }
    }
    Ok(Response::ok(answer.body)?
        .with_status(answer.status)
        .with_headers(headers))
}

impl DurableObject for FlagStore {
    fn new(state: State, env: Env) -> Self {
        let storage = state.storage();
        let sql = DurableSql(storage.sql());
        let rows = Rows::new(&sql);
        if let Err(e) = rows
            .ensure_schema()
            .and_then(|()| requests::rows::ensure(&rows))
        {
            log_error(&format!("FlagStore schema: {e}"));
        }
        let inner = Rc::new(Inner {
            env,
            storage,
            sql,
            current: RefCell::new(None),
            compiled: RefCell::new(HashMap::new()),
            bytes: RefCell::new(HashMap::new()),
            relays: RefCell::new(Relays::default()),
            faults: RefCell::new(None),
            publishing: Cell::new(false),
            again: Cell::new(false),
            sign_ins: RefCell::new(sign_in::Failures::default()),
        });
        inner.load_relays();
        FlagStore { state, inner }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let inner = self.inner.clone();
        let (answer, publish) = inner.handle(req).await;
        if publish {
            // The alarm is the backstop should the object stop before the pass finishes.
            let _ = inner.storage.set_alarm(2_000).await;
            self.state.wait_until(inner.clone().publish_pass());
        }
        match answer {
            Ok(Out::Json(answer)) => to_response(answer),
            Ok(Out::Bytes(bytes, revision)) => {
                let headers = Headers::new();
                headers.set("Content-Type", "application/octet-stream")?;
                headers.set(internal::REVISION, &revision.to_string())?;
                Ok(Response::from_bytes(bytes)?.with_headers(headers))
            }
            Err(e) => to_response(Answer::error(&e)),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.inner.clone().publish_pass().await;
        Response::ok("ok")
    }
}

/// What the object answers: JSON, or snapshot bytes (to a relay) with their revision.
pub(crate) enum Out {
    Json(Answer),
    Bytes(Vec<u8>, u64),
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

impl Inner {
    fn rows(&self) -> Rows<'_, DurableSql> {
        Rows::new(&self.sql)
    }

    /// The rules of a write: the history's length and the environments' policies, with
    /// `PROTECTED_ENVIRONMENTS`. A malformed variable refuses writes (`500 misconfigured`)
    /// rather than let a protected environment be changed without a reason.
    fn rules(&self) -> std::result::Result<commit::Rules, ApiError> {
        let protected =
            protected::Protected::parse(self.variable(bindings::PROTECTED_ENVIRONMENTS).as_deref())
                .map_err(|why| {
                    log_error(&why);
                    ApiError::new(Code::Misconfigured, "PROTECTED_ENVIRONMENTS is malformed")
                })?;
        Ok(commit::Rules {
            keep: self.keep(),
            policies: policy::Policies::load(&self.rows(), protected).map_err(internal_error)?,
        })
    }

    fn keep(&self) -> u64 {
        self.env
            .var(bindings::HISTORY_LIMIT)
            .ok()
            .and_then(|v| v.to_string().trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(HISTORY_LIMIT_DEFAULT)
    }

    fn variable(&self, name: &str) -> Option<String> {
        bindings::setting(&self.env, name)
    }

    /// The current version and document, loading them on first use.
    fn current(&self) -> std::result::Result<(u64, Rc<Document>), ApiError> {
        if let Some(c) = self.current.borrow().as_ref() {
            return Ok((c.version, c.document.clone()));
        }
        let rows = self.rows();
        let (version, document) = rows.current().map_err(internal_error)?;
        let publisher = Publisher::from_stored(rows.publication().map_err(internal_error)?);
        let committed_at = rows
            .version_entry(version)
            .ok()
            .flatten()
            .and_then(|v| burgee_core::time::parse_rfc3339(&v.at))
            .map_or(0.0, |ms| ms as f64);
        let document = Rc::new(document);
        *self.current.borrow_mut() = Some(Current {
            version,
            document: document.clone(),
            committed_at,
            publisher,
        });
        Ok((version, document))
    }

    /// Answers one request; `true` when publication has something new to do.
    async fn handle(&self, mut req: Request) -> (std::result::Result<Out, ApiError>, bool) {
        let path = req.path();
        let url = req.inner().url();
        let method = req.method().to_string();
        if let Some(project) = header(&req, internal::PROJECT) {
            self.remember_project(&project);
        }
        if method == "GET" && path.starts_with(internal::RELAY_STATE) {
            return (self.relay_pull(&path, &url), false);
        }
        if let Some(address) = header(&req, internal::CLIENT_ADDRESS) {
            let denied = header(&req, internal::DENIED);
            if let Some(refusal) = self.sign_in(&address, denied.as_deref(), &method, &path) {
                return (refusal.map(Out::Json), false);
            }
        }
        let route = match Route::parse(&method, &path) {
            Ok(route) => route,
            Err(Miss::NotAdmin) => {
                let e = ApiError::new(Code::NotFound, format!("no route for {method} {path}"));
                return (Err(e), false);
            }
            Err(Miss::MethodNotAllowed(allowed)) => {
                let e = ApiError::new(
                    Code::MethodNotAllowed,
                    format!("{path} takes {}, not {method}", allowed.join(", ")),
                );
                return (Err(e), false);
            }
        };
        if route.id.is_public() {
            return (
                self.sign_in_route(route.id, &req).await.map(Out::Json),
                false,
            );
        }
        let body = if route.id.method() == "GET" {
            Vec::new()
        } else {
            req.bytes().await.unwrap_or_default()
        };
        let mut caller = Caller {
            actor: header(&req, internal::ACTOR).unwrap_or_else(|| "unknown".into()),
            role: header(&req, internal::ROLE)
                .and_then(|r| Role::parse(&r))
                .unwrap_or(Role::Viewer),
            environments: header(&req, internal::ENVIRONMENT_ROLES)
                .map(|h| burgee_api::roles_from_header(&h))
                .unwrap_or_default(),
            reason: header(&req, internal::REASON)
                .map(|r| {
                    burgee_api::percent_decode(&r)
                        .trim()
                        .chars()
                        .take(MAX_REASON_CHARS)
                        .collect::<String>()
                })
                .filter(|r| !r.is_empty()),
            bypass: header(&req, internal::BYPASS_APPROVALS).as_deref() == Some("1"),
        };
        if let Some(assertion) = header(&req, internal::ACCESS_ASSERTION) {
            let origin = header(&req, internal::ORIGIN);
            match self
                .access_caller(&assertion, &route, origin.as_deref(), &url)
                .await
            {
                Ok(person) => {
                    (caller.actor, caller.role, caller.environments) =
                        (person.name, person.role, person.environments);
                }
                Err(e) => return (Err(e), false),
            }
        }
        let query = query::query_pairs(&url);
        let if_match = header(&req, "If-Match");
        let environment = header(&req, internal::ENVIRONMENT);
        let request = write::Request {
            body: &body,
            query: &query,
            environment: environment.as_deref(),
            default_environment: &self
                .variable(bindings::ENVIRONMENT_DEFAULT)
                .unwrap_or_else(|| "production".into()),
            keep: self.keep(),
        };
        if route.id == RouteId::Faults {
            return (self.set_faults(&body).map(Out::Json), false);
        }
        if route.id.is_review() {
            return match self.review_route(&route, &caller, &body, &query) {
                Ok((answer, publish)) => (Ok(Out::Json(answer)), publish),
                Err(e) => (Err(e), false),
            };
        }
        match write::plan(&route, &request, &self.rows()) {
            Some(Ok(plan)) => match self.write(plan, &caller, if_match.as_deref()) {
                Ok((answer, publish)) => (Ok(Out::Json(answer)), publish),
                Err(e) => (Err(e), false),
            },
            Some(Err(e)) => (Err(e), false),
            None => (
                self.read(&route, &caller, &query, &body).map(Out::Json),
                false,
            ),
        }
    }

    fn read(
        &self,
        route: &Route,
        caller: &Caller,
        query: &[(String, String)],
        body: &[u8],
    ) -> std::result::Result<Answer, ApiError> {
        let (version, document) = self.current()?;
        let rows = self.rows();
        let keep = self.keep();
        match route.id {
            RouteId::Document => read::document(version, &document),
            RouteId::Export => read::export(version, &document),
            RouteId::Flags => read::entries(version, &document, false),
            RouteId::Segments => read::entries(version, &document, true),
            RouteId::Flag => read::entry(version, &document, route.param(), false),
            RouteId::Segment => read::entry(version, &document, route.param(), true),
            RouteId::History => read::history(&rows, query),
            RouteId::Version => read::version(&rows, route.param(), keep),
            RouteId::Diff => read::diff(&rows, version, query, keep),
            RouteId::Audit => read::audit(&rows, caller.role, query),
            RouteId::Whoami => Answer::ok(&burgee_api::Identity {
                name: caller.actor.clone(),
                role: caller.role,
                environments: caller.environments.clone(),
            }),
            RouteId::Validate => read::validate(body),
            RouteId::Evaluate => {
                let mut cache = self.compiled.borrow_mut();
                read::evaluate(&mut cache, version, &document, body, now() as i64)
            }
            RouteId::Publication => {
                let current = self.current.borrow();
                let publisher = current.as_ref().map(|c| &c.publisher);
                let empty = Publisher::default();
                read::publication(&rows, version, publisher.unwrap_or(&empty))
            }
            _ => Err(ApiError::new(
                Code::NotFound,
                format!("{:?} is answered by the data plane", route.id),
            )),
        }
    }

    /// Commits a write and answers it; `true` when there is something new to publish.
    fn write(
        &self,
        plan: Plan,
        caller: &Caller,
        if_match: Option<&str>,
    ) -> std::result::Result<(Answer, bool), ApiError> {
        let (version, before) = self.current()?;
        if plan.if_match {
            check_if_match(if_match, version)?;
        }
        let now_ms = now();
        let rows = self.rows();
        let rules = self.rules()?;
        let w = commit::Write {
            edits: plan.edits,
            caller,
            now_ms: now_ms as i64,
            label: plan.label,
            approved: false,
            hold: false,
        };
        let committed = match commit::write(&rows, (version, &before), w, &rules)? {
            commit::Outcome::Committed(c) => c,
            commit::Outcome::Held(held) => {
                let ctx = self.review_ctx(&rows, (version, &before), &rules, now_ms);
                return Ok((requests::hold(&ctx, version, caller, held)?, false));
            }
        };
        let answer = reply(&plan.reply, &committed)?;
        let wrote = committed.version != version;
        if wrote {
            self.remember(committed, now_ms)?;
        }
        Ok((answer, wrote))
    }

    fn review_ctx<'a>(
        &self,
        rows: &'a Rows<'a, DurableSql>,
        (version, document): (u64, &'a Document),
        rules: &'a commit::Rules,
        now_ms: f64,
    ) -> requests::Ctx<'a, DurableSql> {
        requests::Ctx {
            rows,
            version,
            document,
            rules,
            now_ms: now_ms as i64,
        }
    }

    /// The environments' policies and the change requests; `true` when a request was applied.
    fn review_route(
        &self,
        route: &Route,
        caller: &Caller,
        body: &[u8],
        query: &[(String, String)],
    ) -> std::result::Result<(Answer, bool), ApiError> {
        let (version, document) = self.current()?;
        let rows = self.rows();
        let mut rules = self.rules()?;
        let now_ms = now();
        if let Some(answer) = policy::route(
            &rows,
            &mut rules.policies,
            route,
            caller,
            body,
            &document.environments,
            (version, now_ms as i64),
        ) {
            return answer.map(|a| (a, false));
        }
        let ctx = self.review_ctx(&rows, (version, &document), &rules, now_ms);
        let reply = requests::handle(&ctx, route, caller, body, query)?;
        let wrote = match reply.committed {
            Some(c) if c.version != version => {
                self.remember(c, now_ms)?;
                true
            }
            _ => false,
        };
        Ok((reply.answer, wrote))
    }

    /// Takes a committed version into memory and publication (still without an `await`).
    fn remember(&self, committed: Committed, now_ms: f64) -> std::result::Result<(), ApiError> {
        let rows = self.rows();
        let mut current = self.current.borrow_mut();
        let current = current
            .as_mut()
            .ok_or_else(|| internal_error("the current version was not loaded"))?;
        current.version = committed.version;
        current.document = Rc::new(committed.document);
        current.committed_at = now_ms;
        let mut bytes = self.bytes.borrow_mut();
        for built in committed.publication.built {
            let key = built.key.to_string();
            current
                .publisher
                .want(&key, built.revision, &built.hash, now_ms);
            bytes.insert(key, built);
        }
        for key in committed.publication.removed {
            let key = key.to_string();
            current
                .publisher
                .want_deleted(&key, committed.version, now_ms);
            bytes.remove(&key);
        }
        for (key, state) in current.publisher.keys() {
            rows.save_key(key, &state.stored).map_err(internal_error)?;
        }
        self.compiled.borrow_mut().clear();
        self.relays.borrow_mut().bump();
        Ok(())
    }

    /// `PUT /api/v1/test/faults`: where `ALLOW_FAULT_INJECTION` is true, KV writes go through
    /// the strict double with this plan (`{}`: the rate limit only; `null`: off).
    /// The refusal of a forwarded admin request from `address`: `429` with `Retry-After` while
    /// the address is throttled, else what the data plane decided (`denied`): `401` for a
    /// token it does not know, counted and audited ([`sign_in`]), or `403` with its message;
    /// `None` lets the request through.
    /// The person a Cloudflare Access assertion names, if they may call `route` (and, for a
    /// write, the request comes from its own origin).
    async fn access_caller(
        &self,
        assertion: &str,
        route: &Route,
        origin: Option<&str>,
        url: &str,
    ) -> std::result::Result<crate::signin::access::Person, ApiError> {
        use crate::signin::access;
        let team = access::Team::of(&self.env).ok_or_else(|| {
            ApiError::new(
                Code::Unauthenticated,
                "this deployment does not accept Cloudflare Access",
            )
        })?;
        let people = crate::signin::People::parse(self.variable(bindings::ADMIN_USERS).as_deref())
            .map_err(|why| {
                log_error(&why);
                ApiError::new(Code::Misconfigured, "ADMIN_USERS is malformed")
            })?;
        let person = access::person(&team, &people, assertion, now() as i64).await?;
        let highest = burgee_api::highest_role(person.role, &person.environments);
        if highest < route.id.min_role() {
            return Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "this needs the {} role; {} is {}",
                    route.id.min_role().as_str(),
                    person.name,
                    highest.as_str()
                ),
            ));
        }
        if route.id.writes() && !access::same_origin(origin, url) {
            return Err(ApiError::new(
                Code::Forbidden,
                "a write through Cloudflare Access must come from this site's own pages (Origin)",
            ));
        }
        Ok(person)
    }

    /// A single sign-on route ([`crate::signin`]), audited here.
    async fn sign_in_route(
        &self,
        route: RouteId,
        req: &Request,
    ) -> std::result::Result<Answer, ApiError> {
        let now_ms = now();
        let (answer, audited) = crate::signin::handle(route, req, &self.env, now_ms as i64).await;
        if let Some((actor, action, summary)) = audited {
            let version = self.current().map_or(0, |(v, _)| v);
            let at = burgee_core::time::format_rfc3339(now_ms as i64);
            self.rows()
                .audit_event(&at, &actor, action, "admin", version, &summary)
                .map_err(internal_error)?;
        }
        answer
    }

    fn sign_in(
        &self,
        address: &str,
        denied: Option<&str>,
        method: &str,
        path: &str,
    ) -> Option<std::result::Result<Answer, ApiError>> {
        let now_ms = now();
        if let Some(seconds) = self.sign_ins.borrow_mut().wait(address, now_ms) {
            let refusal = ApiError::new(
                Code::RateLimited,
                "too many failed admin sign-ins from this address; try again later",
            );
            return Some(Ok(
                Answer::error(&refusal).header("Retry-After", seconds.to_string())
            ));
        }
        let refusal = ApiError::new(
            Code::Unauthenticated,
            "send Authorization: Bearer <token> with a valid admin token",
        );
        match denied? {
            "unauthenticated" => {}
            // Nothing presented: no guess to count.
            "anonymous" => {
                return Some(Ok(Answer::error(&refusal)
                    .header("WWW-Authenticate", "Bearer realm=\"burgee\"".into())));
            }
            message => {
                return Some(Ok(Answer::error(&ApiError::new(
                    Code::Forbidden,
                    message.to_string(),
                ))));
            }
        }
        self.sign_ins.borrow_mut().record(address, now_ms);
        let version = self.current().map_or(0, |(v, _)| v);
        let summary = format!("failed admin sign-in from {address} ({method} {path})");
        let at = burgee_core::time::format_rfc3339(now_ms as i64);
        if let Err(e) = self.rows().audit_event(
            &at,
            "anonymous",
            "sign-in-failed",
            "admin",
            version,
            &summary,
        ) {
            return Some(Err(internal_error(e)));
        }
        Some(Ok(Answer::error(&refusal).header(
            "WWW-Authenticate",
            "Bearer realm=\"burgee\"".into(),
        )))
    }

    fn set_faults(&self, body: &[u8]) -> std::result::Result<Answer, ApiError> {
        if self.variable(bindings::ALLOW_FAULT_INJECTION).as_deref() != Some("true") {
            return Err(ApiError::new(Code::NotFound, "fault injection is off"));
        }
        let text = String::from_utf8_lossy(body);
        if text.trim() == "null" {
            *self.faults.borrow_mut() = None;
            return Answer::ok(&serde_json::json!({"faults": null}));
        }
        let plan = FaultPlan::parse(&text)
            .map_err(|e| ApiError::new(Code::InvalidBody, format!("a fault plan: {e}")))?;
        *self.faults.borrow_mut() = Some(Rc::new(RefCell::new(StrictKv::new(plan.clone()))));
        Answer::ok(&serde_json::json!({"faults": plan}))
    }

    fn sink(&self) -> Rc<dyn KvSink> {
        publishing::sink(&self.env, self.faults.borrow().clone())
    }
}

/// The answer of a committed write.
fn reply(reply: &Reply, c: &Committed) -> std::result::Result<Answer, ApiError> {
    let answer = match reply {
        Reply::Written => Answer::json(
            if commit::created(&c.applied) {
                201
            } else {
                200
            },
            &Written {
                version: c.version,
                summary: c.applied.summary.clone(),
            },
        )?,
        Reply::Shortcut { flag, environment } => {
            let settings = c
                .document
                .flags
                .get(flag)
                .and_then(|f| f.environments.get(environment));
            Answer::ok(&ShortcutBody {
                version: c.version,
                flag: flag.clone(),
                environment: environment.clone(),
                settings,
            })?
        }
        Reply::Switched { environment } => Answer::ok(&SwitchedBody {
            version: c.version,
            environment: environment.clone(),
            summary: c.applied.summary.clone(),
            flags: c.applied.flags.clone(),
        })?,
    };
    Ok(answer.at(c.version))
}
