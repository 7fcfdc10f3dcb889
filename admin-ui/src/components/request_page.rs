//! One change request: what it is, who reviewed it, what it changes (a diff from the document
//! it was made on to the one it proposes), and Approve, Reject and Apply, each with the store's
//! refusal in words beside it.

use std::sync::Arc;

use burgee_api::{ChangeRequest, DiffBody, RequestStatus};
use burgee_core::describe::DocumentChanges;
use burgee_core::json::JsonChange;
use burgee_core::model::Document;
use leptos::prelude::*;
use serde_json::Value;

use super::diff_view::DiffView;
use super::error_line::error_line;
use crate::api::{Api, ApiError};
use crate::context::{Notices, Session, Store, Tone};
use crate::state::document::DocState;
use crate::state::review::{Refusal, approvals_words, cannot_apply, cannot_approve, cannot_reject};
use crate::state::route::Route;
use crate::state::values::display_stamp;

/// A request with what it changes.
#[derive(Clone, Debug)]
struct Loaded {
    request: ChangeRequest,
    changes: Vec<JsonChange>,
    /// The changes in words (the core's, as the history and the review say them).
    words: Option<DocumentChanges>,
    /// What the changes are measured from, in words.
    compared_with: String,
}

/// The document the request was made on, and what it is in words: its base version from the
/// history, or the current document when the history no longer has it.
async fn base_of(api: &Api, doc: &DocState, base: u64) -> Result<(Document, String), ApiError> {
    if base == doc.version {
        return Ok((doc.document.clone(), format!("version {base}")));
    }
    match api.version(base).await {
        Ok(v) => Ok((v.document, format!("version {base}"))),
        Err(ApiError::NotFound(_)) => Ok((
            doc.document.clone(),
            format!(
                "the current version {} (version {base} is no longer in the history)",
                doc.version
            ),
        )),
        Err(e) => Err(e),
    }
}

async fn load(api: Api, doc: Arc<DocState>, id: u64) -> Result<Loaded, ApiError> {
    let mut body = api.change_request(id).await?;
    let proposed = body.request.document.take().unwrap_or(Value::Null);
    let (base, compared_with) = base_of(&api, &doc, body.request.base_version).await?;
    // Both sides as the app writes documents, so that only what differs shows.
    let typed = serde_json::from_value::<Document>(proposed.clone()).ok();
    let words = typed.as_ref().map(|p| DocumentChanges::between(&base, p));
    let proposed = typed
        .and_then(|d| serde_json::to_value(d).ok())
        .unwrap_or(proposed);
    let base = serde_json::to_value(base).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(Loaded {
        request: body.request,
        changes: burgee_core::json::diff(&base, &proposed),
        words,
        compared_with,
    })
}

/// The page's signals for the three actions (`Copy`).
#[derive(Clone, Copy)]
struct Actions {
    approve_comment: RwSignal<String>,
    reject_comment: RwSignal<String>,
    approve_error: RwSignal<Option<String>>,
    reject_error: RwSignal<Option<String>>,
    apply_error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    /// Bumped to load the request again.
    tick: RwSignal<u64>,
    session: Session,
    notices: Notices,
    store: Store,
}

#[component]
pub fn RequestPage(doc: Arc<DocState>, id: u64) -> impl IntoView {
    let session = expect_context::<Session>();
    let actions = Actions {
        approve_comment: RwSignal::new(String::new()),
        reject_comment: RwSignal::new(String::new()),
        approve_error: RwSignal::new(None),
        reject_error: RwSignal::new(None),
        apply_error: RwSignal::new(None),
        busy: RwSignal::new(false),
        tick: RwSignal::new(0),
        session,
        notices: expect_context::<Notices>(),
        store: expect_context::<Store>(),
    };
    let loaded = LocalResource::new(move || {
        actions.tick.track();
        load(session.api(), doc.clone(), id)
    });
    #[cfg(target_arch = "wasm32")]
    follow(loaded, actions, id);
    view! {
        <section class="page request-page">
            <div class="page-head">
                <h1>{format!("Change request #{id}")}</h1>
                <a href=Route::Requests(Default::default()).href()>"All change requests"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the request…"</p> }>
                <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                    {move || Suspend::new(async move {
                        let l = loaded.await?;
                        let diff = DiffBody {
                            from: l.request.base_version,
                            to: l.request.base_version,
                            changes: l.changes.clone(),
                        };
                        let title = format!("What it changes, from {}", l.compared_with);
                        Ok::<_, ApiError>(view! {
                            {facts(&l.request)}
                            {reviews(&l.request)}
                            {action_forms(l.request.clone(), actions)}
                            <DiffView diff words=l.words.clone() on_revert=None title/>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// How often an open request page asks whether someone else acted on it.
#[cfg(target_arch = "wasm32")]
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Someone else may approve, reject, apply or rebase the request while it is on screen: it is
/// read again every few seconds while the tab is visible, and at once when the tab or window
/// comes back, until the page is left. The page is drawn again only when the request changed,
/// so a comment being typed keeps its focus.
#[cfg(target_arch = "wasm32")]
fn follow(loaded: LocalResource<Result<Loaded, ApiError>>, a: Actions, id: u64) {
    let check = move || {
        if document().hidden() || a.busy.get_untracked() {
            return;
        }
        let Some(Ok(shown)) = loaded.get_untracked() else {
            return;
        };
        let api = a.session.api();
        leptos::task::spawn_local(async move {
            if let Ok(mut body) = api.change_request(id).await {
                body.request.document = None;
                if body.request != shown.request {
                    a.tick.try_update(|t| *t += 1);
                }
            }
        });
    };
    let every = set_interval_with_handle(check, FOLLOW_EVERY).ok();
    let focus = window_event_listener_untyped("focus", move |_| check());
    let visible = window_event_listener_untyped("visibilitychange", move |_| check());
    on_cleanup(move || {
        if let Some(every) = every {
            every.clear();
        }
        focus.remove();
        visible.remove();
    });
}

fn facts(r: &ChangeRequest) -> impl IntoView + use<> {
    let links = |keys: &[String], route: fn(String) -> Route| {
        keys.iter()
            .map(|k| view! { <a class="tag" href=route(k.clone()).href()>{k.clone()}</a> " " })
            .collect_view()
    };
    view! {
        <dl class="facts" data-testid="request-facts">
            <dt>"Status"</dt>
            <dd><span class=format!("tag request-{}", r.status.as_str()) data-testid="request-status">{r.status.as_str()}</span></dd>
            <dt>"Author"</dt>
            <dd data-testid="request-author">{r.author.clone()}</dd>
            <dt>"Created"</dt>
            <dd>{display_stamp(&r.created_at)}</dd>
            <dt>"Base version"</dt>
            <dd data-testid="request-base">{r.base_version}</dd>
            <dt>"Summary"</dt>
            <dd>{r.summary.clone()}</dd>
            <dt>"Reason"</dt>
            <dd>{r.reason.clone().unwrap_or_else(|| "(none given)".into())}</dd>
            <dt>"Environments"</dt>
            <dd>{r.environments.join(", ")}</dd>
            <dt>"Flags"</dt>
            <dd data-testid="request-flags">{links(&r.flags, Route::Flag)}</dd>
            {(!r.segments.is_empty()).then(|| view! {
                <dt>"Segments"</dt>
                <dd>{links(&r.segments, Route::Segment)}</dd>
            })}
            <dt>"Approvals"</dt>
            <dd data-testid="approvals">{approvals_words(r)}</dd>
            {r.applied_version.map(|v| view! {
                <dt>"Applied as"</dt>
                <dd>{format!("version {v}")}</dd>
            })}
        </dl>
    }
}

fn reviews(r: &ChangeRequest) -> impl IntoView + use<> {
    let rows = r
        .reviews
        .iter()
        .map(|v| {
            view! {
                <tr data-verdict=v.verdict.clone()>
                    <td>{v.actor.clone()}</td>
                    <td>{if v.verdict == "approve" { "approved" } else { "rejected" }}</td>
                    <td>{v.comment.clone()}</td>
                    <td>{display_stamp(&v.at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Reviews"</h2>
        {r.reviews.is_empty().then(|| view! { <p class="muted">"No reviews since it was made (or last rebased)."</p> })}
        {(!r.reviews.is_empty()).then(|| view! {
            <div class="table-wrap">
                <table class="reviews" data-testid="reviews">
                    <thead>
                        <tr>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Verdict"</th>
                            <th scope="col">"Comment"</th>
                            <th scope="col">"When"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })}
    }
}

/// What the action does once the store said yes.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    Approve,
    Reject,
    Apply,
}

/// Runs `act` on request `r`; its refusal goes beside its button.
fn run(act: Act, r: ChangeRequest, a: Actions) {
    let Actions {
        session,
        notices,
        store,
        ..
    } = a;
    let (error, comment) = match act {
        Act::Approve => (a.approve_error, a.approve_comment.get_untracked()),
        Act::Reject => (a.reject_error, a.reject_comment.get_untracked()),
        Act::Apply => (a.apply_error, String::new()),
    };
    if act == Act::Reject && comment.trim().is_empty() {
        error.set(Some(
            "Say why you reject it: a rejection needs a comment.".into(),
        ));
        return;
    }
    for e in [a.approve_error, a.reject_error, a.apply_error] {
        e.set(None);
    }
    let api = session.api();
    let id = r.id;
    a.busy.set(true);
    leptos::task::spawn_local(async move {
        let result = match act {
            Act::Approve => api.review_request(id, true, &comment).await,
            Act::Reject => api.review_request(id, false, &comment).await,
            Act::Apply => api.apply_request(id).await,
        };
        match result {
            Ok(body) => {
                let words = match act {
                    Act::Approve => format!("Approved change request #{id}"),
                    Act::Reject => format!("Rejected change request #{id}: it changes nothing"),
                    Act::Apply => {
                        format!("Applied change request #{id} as version {}", body.version)
                    }
                };
                notices.push(Tone::Success, words);
                a.approve_comment.try_set(String::new());
                a.reject_comment.try_set(String::new());
                if act == Act::Apply {
                    store.reload();
                }
                a.tick.try_update(|t| *t += 1);
            }
            Err(ApiError::Unauthenticated(_)) => session.sign_out(),
            Err(e) => {
                let refusal = Refusal::from_error(&e, &r);
                error.try_set(Some(refusal.words));
                if refusal.rebased.is_some() {
                    // It stands on a newer version now, with its approvals cleared: show that.
                    a.tick.try_update(|t| *t += 1);
                }
            }
        }
        a.busy.try_set(false);
    });
}

/// Approve, Reject and Apply, for an open request; why one is not possible is said beside it.
fn action_forms(r: ChangeRequest, a: Actions) -> impl IntoView {
    let session = a.session;
    if r.status != RequestStatus::Open {
        return ().into_any();
    }
    // The role as of the page's loading: signing in again mounts every page anew.
    let Some(me) = session.identity.get_untracked() else {
        return ().into_any();
    };
    let no_approve = cannot_approve(&r, &me);
    let no_reject = cannot_reject(&r, &me);
    let no_apply = cannot_apply(&r, &me);
    let approve_disabled = no_approve.is_some();
    let reject_disabled = no_reject.is_some();
    let apply_disabled = no_apply.is_some();
    let busy = move || a.busy.try_get().unwrap_or(true);
    let (r1, r2, r3) = (r.clone(), r.clone(), r);
    view! {
        <h2>"Review"</h2>
        <div class="grid two review-actions">
            <form class="card" aria-label="Approve" on:submit=move |ev| { ev.prevent_default(); run(Act::Approve, r1.clone(), a); }>
                <div class="field">
                    <label for="approve-comment">"Comment (optional)"</label>
                    <textarea id="approve-comment" rows="2" disabled=approve_disabled prop:value=move || a.approve_comment.get() on:input=move |ev| a.approve_comment.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="button primary" disabled=move || approve_disabled || busy()>"Approve"</button>
                {no_approve.map(|why| view! { <p class="hint" data-testid="approve-why">{why}</p> })}
                <p class="form-error" role="alert" data-testid="approve-error">{move || a.approve_error.get()}</p>
            </form>
            <form class="card" aria-label="Reject" on:submit=move |ev| { ev.prevent_default(); run(Act::Reject, r2.clone(), a); }>
                <div class="field">
                    <label for="reject-comment">"Why reject it (required)"</label>
                    <textarea id="reject-comment" rows="2" disabled=reject_disabled prop:value=move || a.reject_comment.get() on:input=move |ev| a.reject_comment.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="button danger" disabled=move || reject_disabled || busy()>"Reject"</button>
                {no_reject.map(|why| view! { <p class="hint" data-testid="reject-why">{why}</p> })}
                <p class="form-error" role="alert" data-testid="reject-error">{move || a.reject_error.get()}</p>
            </form>
        </div>
        <div class="card apply">
            <button type="button" class="button primary" disabled=move || apply_disabled || busy() on:click=move |_| run(Act::Apply, r3.clone(), a)>
                "Apply"
            </button>
            {no_apply.map(|why| view! { <p class="hint" data-testid="apply-why">{why}</p> })}
            <p class="form-error" role="alert" data-testid="apply-error">{move || a.apply_error.get()}</p>
        </div>
    }
    .into_any()
}
