//! Change requests (four eyes): a write to an environment that requires approvals is held as a
//! request instead of stored; other people with the right role approve or reject it; applying
//! it writes it as one version. A request stands on the version it was made on: applying it
//! when that version is no longer current rebases it with the core's three-way merge (the one
//! the admin app's editor uses after a `412`) and asks for the approvals again, or, where the
//! same fields were changed since, refuses with the fields. Every step is in the audit log.

pub mod rows;

use burgee_api::{
    ApiError, ChangeRequest, ChangeRequestBody, ChangeRequestsBody, Code, NewChangeRequest,
    RequestStatus, Review, Route, RouteId, Verdict, body_limit,
};
use burgee_core::edit::{Edit, EntryChanges};
use burgee_core::model::Document;
use serde_json::{Value, json};

use super::answer::{Answer, internal, number, parse_body};
use super::commit::{self, Caller, Committed, Held, Outcome, Rules, Write};
use super::rows::Rows;
use super::sql::Sql;
use rows::{Changes, Filter, Stored};

/// The most a request's changes may take as JSON (a Durable Object's row holds 2 MB).
const MAX_CHANGES_BYTES: usize = 1_500_000;
/// The longest comment kept.
const MAX_COMMENT_CHARS: usize = 2000;

/// What a request route works on.
#[derive(Debug)]
pub struct Ctx<'a, S: Sql> {
    pub rows: &'a Rows<'a, S>,
    pub version: u64,
    pub document: &'a Document,
    pub rules: &'a Rules,
    pub now_ms: i64,
}

/// A request route's answer, and the version it committed (apply), for publication.
#[derive(Debug)]
pub struct Reply {
    pub answer: Answer,
    pub committed: Option<Committed>,
}

impl<S: Sql> Ctx<'_, S> {
    fn at(&self) -> String {
        burgee_core::time::format_rfc3339(self.now_ms)
    }

    fn audit(&self, actor: &str, action: &str, id: u64, summary: &str) -> Result<(), ApiError> {
        let target = format!("change-requests/{id}");
        self.rows
            .audit_event(&self.at(), actor, action, &target, self.version, summary)
            .map_err(internal)
    }

    fn load(&self, id: u64) -> Result<Stored, ApiError> {
        let mut s = rows::get(self.rows, id).map_err(internal)?.ok_or_else(|| {
            ApiError::new(
                Code::ChangeRequestNotFound,
                format!("no change request #{id}"),
            )
        })?;
        s.request.approvals_required = self.required(&s.request);
        Ok(s)
    }

    /// Approvals needed now, from the policies of the request's environments.
    fn required(&self, r: &ChangeRequest) -> u8 {
        self.rules
            .policies
            .approvals(r.environments.iter().map(String::as_str))
    }

    fn body(&self, request: ChangeRequest, status: u16) -> Result<Answer, ApiError> {
        let body = ChangeRequestBody {
            request,
            version: self.version,
        };
        Answer::json(status, &body)
    }
}

/// Stores a write that was held for approval as a request of `caller`'s on `base_version`, and
/// answers `202` with it.
pub fn hold<S: Sql>(
    ctx: &Ctx<'_, S>,
    base_version: u64,
    caller: &Caller,
    held: Held,
) -> Result<Answer, ApiError> {
    let changes = changes_of(&held.after, &held.entries);
    let mut request = ChangeRequest {
        id: 0,
        status: RequestStatus::Open,
        author: caller.actor.clone(),
        created_at: ctx.at(),
        base_version,
        summary: held.summary,
        reason: caller.reason.clone(),
        environments: held.environments,
        flags: held.entries.flags,
        segments: held.entries.segments,
        approvals_required: 0,
        reviews: Vec::new(),
        applied_version: None,
        document: None,
    };
    check_size(&changes)?;
    request.id = rows::insert(ctx.rows, &request, &changes).map_err(internal)?;
    request.approvals_required = ctx.required(&request);
    let needs = request.approvals_required;
    let summary = format!(
        "requested: {} (needs {needs} approval{})",
        request.summary,
        if needs == 1 { "" } else { "s" }
    );
    ctx.audit(&caller.actor, "change-request", request.id, &summary)?;
    ctx.body(request, 202)
}

/// Answers one of the change-request routes.
pub fn handle<S: Sql>(
    ctx: &Ctx<'_, S>,
    route: &Route,
    caller: &Caller,
    body: &[u8],
    query: &[(String, String)],
) -> Result<Reply, ApiError> {
    let answer = |answer| {
        Ok(Reply {
            answer,
            committed: None,
        })
    };
    match route.id {
        RouteId::ChangeRequests => answer(list(ctx, query)?),
        RouteId::ChangeRequest => {
            let s = ctx.load(id_param(route)?)?;
            let base = base_document(ctx, s.request.base_version)?;
            let proposed = apply_changes(&base, &s.changes)?;
            let mut request = s.request;
            request.document = Some(serde_json::to_value(&proposed).map_err(internal)?);
            answer(ctx.body(request, 200)?)
        }
        RouteId::CreateChangeRequest => answer(create(ctx, caller, body)?),
        RouteId::ApproveChangeRequest | RouteId::RejectChangeRequest => {
            let approve = route.id == RouteId::ApproveChangeRequest;
            answer(review(ctx, id_param(route)?, caller, body, approve)?)
        }
        RouteId::ApplyChangeRequest => apply(ctx, id_param(route)?, caller),
        _ => Err(ApiError::new(Code::NotFound, "not a change-request route")),
    }
}

fn id_param(route: &Route) -> Result<u64, ApiError> {
    route.param().parse::<u64>().map_err(|_| {
        ApiError::new(
            Code::InvalidParameter,
            format!("{:?} is not a change request's number", route.param()),
        )
    })
}

fn list<S: Sql>(ctx: &Ctx<'_, S>, query: &[(String, String)]) -> Result<Answer, ApiError> {
    let param = |name| burgee_edge_shared::query::param(query, name).map(str::to_string);
    let status = match param("status") {
        None => None,
        Some(s) => Some(RequestStatus::parse(&s).ok_or_else(|| {
            ApiError::new(
                Code::InvalidParameter,
                format!("`status` is open, rejected or applied, not {s:?}"),
            )
        })?),
    };
    let filter = Filter {
        status,
        author: param("author"),
        flag: param("flag"),
        environment: param("environment"),
        limit: number(query, "limit")?.unwrap_or(100).clamp(1, 500),
    };
    let mut requests = rows::list(ctx.rows, &filter).map_err(internal)?;
    for r in &mut requests {
        r.approvals_required = ctx.required(r);
    }
    Answer::ok(&ChangeRequestsBody { requests })
}

/// The document at `version`, which a request stands on.
fn base_document<S: Sql>(ctx: &Ctx<'_, S>, version: u64) -> Result<Document, ApiError> {
    if version == ctx.version {
        return Ok(ctx.document.clone());
    }
    ctx.rows
        .document_at(version)
        .map_err(internal)?
        .ok_or_else(|| {
            ApiError::new(
                Code::VersionNotFound,
                format!("version {version} is not in the history any more"),
            )
        })
}

/// `POST /api/v1/change-requests`: a whole document proposed on `baseVersion`, held whatever
/// the policies say.
fn create<S: Sql>(ctx: &Ctx<'_, S>, caller: &Caller, body: &[u8]) -> Result<Answer, ApiError> {
    let value = parse_body(body, body_limit(RouteId::CreateChangeRequest))?;
    let new: NewChangeRequest = serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            Code::InvalidBody,
            format!("a change request is {{\"baseVersion\", \"document\", \"reason\"?}}: {e}"),
        )
    })?;
    let document = super::write::document(new.document)?;
    let base = base_document(ctx, new.base_version)?;
    let mut caller = caller.clone();
    if new.reason.is_some() {
        caller.reason = new.reason;
    }
    let w = Write {
        edits: vec![Edit::ReplaceDocument {
            document: Box::new(document),
            import: false,
        }],
        caller: &caller,
        now_ms: ctx.now_ms,
        label: None,
        approved: false,
        hold: true,
    };
    match commit::write(ctx.rows, (new.base_version, &base), w, ctx.rules)? {
        Outcome::Held(held) => hold(ctx, new.base_version, &caller, held),
        Outcome::Committed(_) => Err(ApiError::new(
            Code::InvalidBody,
            "the document is the same as the base version: there is nothing to request",
        )),
    }
}

/// Approves or rejects request `id`, with a comment. Self-approval is refused; so is a
/// reviewer who may not change one of the request's environments.
fn review<S: Sql>(
    ctx: &Ctx<'_, S>,
    id: u64,
    caller: &Caller,
    body: &[u8],
    approve: bool,
) -> Result<Answer, ApiError> {
    let verdict: Verdict = if body.iter().all(u8::is_ascii_whitespace) {
        Verdict::default()
    } else {
        serde_json::from_value(parse_body(body, burgee_api::MAX_BODY_BYTES)?).map_err(|e| {
            ApiError::new(
                Code::InvalidBody,
                format!("send {{\"comment\": \"...\"}}: {e}"),
            )
        })?
    };
    let comment: String = verdict
        .comment
        .trim()
        .chars()
        .take(MAX_COMMENT_CHARS)
        .collect();
    let s = ctx.load(id)?;
    open(&s.request)?;
    caller.may_change(s.request.environments.iter().map(String::as_str))?;
    if approve && caller.actor == s.request.author {
        return Err(ApiError::new(
            Code::SelfApproval,
            format!(
                "{} made change request #{id}: it needs someone else's approval",
                caller.actor
            ),
        ));
    }
    if !approve && comment.is_empty() {
        return Err(ApiError::new(
            Code::InvalidBody,
            "a rejection says why: send {\"comment\": \"...\"}",
        ));
    }
    let already = s
        .request
        .reviews
        .iter()
        .any(|r| r.actor == caller.actor && r.verdict == "approve");
    let review = Review {
        actor: caller.actor.clone(),
        verdict: if approve { "approve" } else { "reject" }.into(),
        comment: comment.clone(),
        at: ctx.at(),
    };
    if !(approve && already) {
        rows::review(ctx.rows, &s, &review).map_err(internal)?;
    }
    let (action, words) = if approve {
        ("change-request-approved", "approved")
    } else {
        rows::set_status(ctx.rows, id, RequestStatus::Rejected, None).map_err(internal)?;
        ("change-request-rejected", "rejected")
    };
    let said = if comment.is_empty() {
        String::new()
    } else {
        format!(": {comment}")
    };
    ctx.audit(
        &caller.actor,
        action,
        id,
        &format!("{words} change request #{id}{said}"),
    )?;
    ctx.body(ctx.load(id)?.request, 200)
}

/// Refuses a request that is no longer open.
fn open(r: &ChangeRequest) -> Result<(), ApiError> {
    if r.status == RequestStatus::Open {
        return Ok(());
    }
    Err(ApiError::new(
        Code::ChangeRequestClosed,
        format!("change request #{} was {} already", r.id, r.status.as_str()),
    ))
}

/// Applies request `id`: on its own base, as one version; on an older base, rebased and
/// asked again (`409 stale_base`), or refused where both sides changed a field
/// (`409 merge_conflict`).
fn apply<S: Sql>(ctx: &Ctx<'_, S>, id: u64, caller: &Caller) -> Result<Reply, ApiError> {
    let s = ctx.load(id)?;
    let r = &s.request;
    open(r)?;
    caller.may_change(r.environments.iter().map(String::as_str))?;
    let have = r.approvals();
    let need = usize::from(r.approvals_required);
    if have < need {
        return Err(ApiError::new(
            Code::ApprovalsMissing,
            format!("change request #{id} has {have} of the {need} approvals it needs"),
        ));
    }
    if r.base_version != ctx.version {
        return Err(rebase(ctx, &s, caller)?);
    }
    let proposed = apply_changes(ctx.document, &s.changes)?;
    let applier = Caller {
        reason: r.reason.clone(),
        ..caller.clone()
    };
    let w = Write {
        edits: vec![Edit::ReplaceDocument {
            document: Box::new(proposed),
            import: false,
        }],
        caller: &applier,
        now_ms: ctx.now_ms,
        label: Some(format!("applied change request #{id} by {}", r.author)),
        approved: true,
        hold: false,
    };
    let Outcome::Committed(committed) =
        commit::write(ctx.rows, (ctx.version, ctx.document), w, ctx.rules)?
    else {
        return Err(internal("an approved change request was held again"));
    };
    rows::set_status(
        ctx.rows,
        id,
        RequestStatus::Applied,
        Some(committed.version),
    )
    .map_err(internal)?;
    let after = Ctx {
        version: committed.version,
        ..*ctx
    };
    let answer = after
        .body(after.load(id)?.request, 200)?
        .at(committed.version);
    Ok(Reply {
        answer,
        committed: Some(committed),
    })
}

/// Puts request `s` on the current version: the error to answer with either way.
fn rebase<S: Sql>(ctx: &Ctx<'_, S>, s: &Stored, caller: &Caller) -> Result<ApiError, ApiError> {
    let id = s.request.id;
    let base = base_document(ctx, s.request.base_version)?;
    match rebased(&base, &s.changes, ctx.document) {
        Err(fields) => Ok(ApiError::new(
            Code::MergeConflict,
            format!(
                "change request #{id} and versions since {} changed the same fields: {}; make a new request from the current version",
                s.request.base_version,
                fields.join(", ")
            ),
        )
        .with(json!({ "fields": fields, "version": ctx.version }))),
        Ok(changes) => {
            check_size(&changes)?;
            rows::rebase(ctx.rows, id, ctx.version, &changes).map_err(internal)?;
            let summary = format!(
                "rebased change request #{id} from version {} onto {}: its approvals start again",
                s.request.base_version, ctx.version
            );
            ctx.audit(&caller.actor, "change-request-rebased", id, &summary)?;
            let request = ctx.load(id)?.request;
            Ok(ApiError::new(
                Code::StaleBase,
                format!(
                    "version {} changed since change request #{id} was made; it is rebased onto version {} and needs its {} approval(s) again",
                    s.request.base_version, ctx.version, request.approvals_required
                ),
            )
            .with(json!({ "request": request, "version": ctx.version })))
        }
    }
}

fn check_size(changes: &Changes) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(changes).map_err(internal)?.len();
    if bytes > MAX_CHANGES_BYTES {
        return Err(ApiError::new(
            Code::DocumentTooLarge,
            format!(
                "a change request holds at most {MAX_CHANGES_BYTES} bytes of changes; this one is {bytes}"
            ),
        ));
    }
    Ok(())
}

/// The changed `entries` as they are in `after`.
pub fn changes_of(after: &Document, entries: &EntryChanges) -> Changes {
    Changes {
        flags: entries
            .flags
            .iter()
            .map(|k| (k.clone(), after.flags.get(k).cloned()))
            .collect(),
        segments: entries
            .segments
            .iter()
            .map(|k| (k.clone(), after.segments.get(k).cloned()))
            .collect(),
        top: entries.top.then(|| rows::top_of(after)),
    }
}

/// `document` with `changes` put in.
pub fn apply_changes(document: &Document, changes: &Changes) -> Result<Document, ApiError> {
    let mut out = match &changes.top {
        Some(top) => {
            let mut value = top.clone();
            if let Some(fields) = value.as_object_mut() {
                fields.insert("flags".into(), json!({}));
            }
            serde_json::from_value::<Document>(value).map_err(internal)?
        }
        None => Document {
            flags: Default::default(),
            segments: Default::default(),
            ..document.clone()
        },
    };
    out.flags = document.flags.clone();
    out.segments = document.segments.clone();
    for (key, flag) in &changes.flags {
        match flag {
            Some(f) => out.flags.insert(key.clone(), f.clone()),
            None => out.flags.remove(key),
        };
    }
    for (key, segment) in &changes.segments {
        match segment {
            Some(s) => out.segments.insert(key.clone(), s.clone()),
            None => out.segments.remove(key),
        };
    }
    Ok(out)
}

/// `changes`, made on `base`, merged onto `current` entry by entry; `Err` with the fields
/// (JSON Pointers in the document) both sides changed.
pub fn rebased(
    base: &Document,
    changes: &Changes,
    current: &Document,
) -> Result<Changes, Vec<String>> {
    let mut conflicts = Vec::new();
    let mut out = Changes::default();
    for (key, mine) in &changes.flags {
        let at = pointer("flags", key);
        let merged = entry(
            base.flags.get(key),
            mine.as_ref(),
            current.flags.get(key),
            &at,
            &mut conflicts,
        );
        out.flags.insert(key.clone(), merged);
    }
    for (key, mine) in &changes.segments {
        let at = pointer("segments", key);
        let merged = entry(
            base.segments.get(key),
            mine.as_ref(),
            current.segments.get(key),
            &at,
            &mut conflicts,
        );
        out.segments.insert(key.clone(), merged);
    }
    if let Some(top) = &changes.top {
        let (merged, both) = burgee_core::merge::three_way(
            Some(&rows::top_of(base)),
            top.clone(),
            Some(&rows::top_of(current)),
        );
        conflicts.extend(both);
        out.top = Some(merged);
    }
    if conflicts.is_empty() {
        Ok(out)
    } else {
        Err(conflicts)
    }
}

/// `/<kind>/<key>`, escaped.
fn pointer(kind: &str, key: &str) -> String {
    let mut at = format!("/{kind}");
    burgee_core::merge::push_token(&mut at, key);
    at
}

/// One entry merged: `mine` (`None`: deleted) made on `base`, onto `theirs`.
fn entry<T>(
    base: Option<&T>,
    mine: Option<&T>,
    theirs: Option<&T>,
    at: &str,
    conflicts: &mut Vec<String>,
) -> Option<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + PartialEq,
{
    let value = |v: &T| serde_json::to_value(v).unwrap_or(Value::Null);
    let Some(mine) = mine else {
        // A deletion stands if nobody changed the entry since (or deleted it too).
        if theirs.is_some() && theirs != base {
            conflicts.push(at.to_string());
        }
        return None;
    };
    let (merged, both) = burgee_core::merge::three_way(
        base.map(value).as_ref(),
        value(mine),
        theirs.map(value).as_ref(),
    );
    conflicts.extend(both.into_iter().map(|p| format!("{at}{p}")));
    match serde_json::from_value(merged) {
        Ok(v) => Some(v),
        Err(_) => {
            conflicts.push(at.to_string());
            Some(mine.clone())
        }
    }
}

#[cfg(test)]
mod tests;
