//! Versions of the document: who saved what and when; a diff between any two; restore (admins,
//! with confirmation).

use std::sync::Arc;

use burgee_api::VersionEntry;
use leptos::prelude::*;

use super::audit_log::summary_cell;
use super::diff_view::DiffView;
use super::error_line::error_line;
use burgee_core::describe::{DocumentChanges, flag_changes, segment_changes};
use burgee_core::model::Document;

use crate::api::{Api, ApiError};
use crate::context::{Confirm, Notices, Question, Session, Store, Tone};
use crate::state::document::DocState;
use crate::state::history::restore_list;
use crate::state::values::display_stamp;

const PAGE: u32 = 50;

#[component]
pub fn HistoryPage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let current = doc.version;
    let from = RwSignal::new(current.saturating_sub(1).to_string());
    let to = RwSignal::new(current.to_string());
    let shown = RwSignal::new(None::<(u64, u64)>);
    // What is wrong with the form's versions, if anything: shown instead of an old answer.
    let form_error = RwSignal::new(None::<String>);
    let diff = LocalResource::new(move || {
        let api = session.api();
        let pair = shown.get();
        async move {
            match pair {
                Some((a, b)) => {
                    let diff = api.diff(a, b).await?;
                    Ok::<_, ApiError>(Some((diff, words_between(&api, a, b).await)))
                }
                None => Ok(None),
            }
        }
    });
    let revert = revert_action(StoredValue::new(doc.clone()));
    let show_diff = Callback::new(move |(a, b): (u64, u64)| {
        form_error.set(None);
        from.set(a.to_string());
        to.set(b.to_string());
        shown.set(Some((a, b)));
    });

    view! {
        <section class="page history-page">
            <div class="page-head">
                <h1>"History"</h1>
            </div>
            {diff_form(current, from, to, shown, form_error)}
            <Transition fallback=|| view! { <p class="loading">"Computing the diff…"</p> }>
                <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                    {move || Suspend::new(async move {
                        let d = diff.await?;
                        Ok::<_, ApiError>(d.map(|(diff, words)| {
                            let from = diff.from;
                            let on_revert = session.can_edit_untracked().then(|| {
                                Callback::new(move |(noun, key): (String, String)| revert(noun, key, from))
                            });
                            view! { <DiffView diff words on_revert/> }
                        }))
                    })}
                </ErrorBoundary>
            </Transition>
            <h2>"Versions"</h2>
            {versions(doc, show_diff)}
        </section>
    }
}

/// The two versions to compare, as typed (`from`, `to`), and the pair whose diff is `shown`; a
/// version the document has not got is an error of the form, shown instead of an old answer.
fn diff_form(
    current: u64,
    from: RwSignal<String>,
    to: RwSignal<String>,
    shown: RwSignal<Option<(u64, u64)>>,
    form_error: RwSignal<Option<String>>,
) -> impl IntoView {
    let compare = move || {
        let read = |field: RwSignal<String>, name: &str| {
            field
                .get_untracked()
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|v| *v <= current)
                .ok_or_else(|| format!("{name}: a version number from 0 to {current}"))
        };
        match (read(from, "From version"), read(to, "To version")) {
            (Ok(a), Ok(b)) => {
                form_error.set(None);
                shown.set(Some((a, b)));
            }
            (Err(e), _) | (_, Err(e)) => {
                form_error.set(Some(e));
                shown.set(None);
            }
        }
    };
    let invalid = move |field: &'static str| {
        move || {
            form_error
                .with(|e| e.as_ref().is_some_and(|e| e.starts_with(field)))
                .to_string()
        }
    };
    view! {
        <form class="toolbar" novalidate on:submit=move |ev| { ev.prevent_default(); compare(); }>
            <div class="field">
                <label for="diff-from">"From version"</label>
                <input id="diff-from" type="number" min="0" max=current aria-describedby="diff-form-error" aria-invalid=invalid("From") prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="diff-to">"To version"</label>
                <input id="diff-to" type="number" min="0" max=current aria-describedby="diff-form-error" aria-invalid=invalid("To") prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
            </div>
            <div class="field end">
                <button type="submit" class="button">"Show the diff"</button>
            </div>
        </form>
        <p class="form-error" id="diff-form-error" role="alert">{move || form_error.get()}</p>
    }
}

/// What changed from version `a` to `b` in words (the core's, as in the review before a save);
/// `None` when either document is not kept, and the diff's pointers are all there is.
async fn words_between(api: &Api, a: u64, b: u64) -> Option<DocumentChanges> {
    let before = api.version(a).await.ok()?;
    let after = api.version(b).await.ok()?;
    Some(DocumentChanges::between(&before.document, &after.document))
}

/// The versions, newest first, a page at a time.
fn versions(doc: Arc<DocState>, show_diff: Callback<(u64, u64)>) -> impl IntoView {
    let doc = StoredValue::new(doc);
    let session = expect_context::<Session>();
    let versions = LocalResource::new(move || {
        let api = session.api();
        async move { api.history(PAGE, None).await }
    });
    let older = RwSignal::new(Vec::<VersionEntry>::new());
    let load_older = move |_| {
        let api = session.api();
        let last = older
            .with_untracked(|o| o.last().map(|v| v.version))
            .or_else(|| {
                versions
                    .get_untracked()
                    .and_then(|r| r.ok())
                    .and_then(|v| v.last().map(|v| v.version))
            });
        leptos::task::spawn_local(async move {
            if let Ok(more) = api.history(PAGE, last).await {
                older.try_update(|o| o.extend(more));
            }
        });
    };
    let row = move |v: VersionEntry| version_row(v, doc, show_diff);
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading the history…"</p> }>
            <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                {move || Suspend::new(async move {
                    let list = versions.await?;
                    let short = list.len() < PAGE as usize;
                    Ok::<_, ApiError>(view! {
                        <div class="table-wrap">
                            <table class="versions" data-testid="versions">
                                <thead>
                                    <tr>
                                        <th scope="col" class="num">"Version"</th>
                                        <th scope="col">"When"</th>
                                        <th scope="col">"Who"</th>
                                        <th scope="col">"Action"</th>
                                        <th scope="col">"Summary"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(row).collect_view()}
                                    {move || older.get().into_iter().map(row).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {(!short).then(|| view! { <button type="button" class="button" on:click=load_older>"Older versions"</button> })}
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// One version, and what can be done from it: its own change, a diff to now, a restore.
fn version_row(
    v: VersionEntry,
    doc: StoredValue<Arc<DocState>>,
    show_diff: Callback<(u64, u64)>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let current = doc.with_value(|d| d.version);
    let restore = restore_action(doc);
    let n = v.version;
    view! {
        <tr data-version=n class:current=n == current>
            <td class="num">{n}</td>
            <td>{display_stamp(&v.at)}</td>
            <td>{v.actor.clone()}</td>
            <td><span class="tag">{v.action.clone()}</span></td>
            <td>{summary_cell(v.summary.clone(), v.reason.clone())}</td>
            <td class="row-actions">
                {(n > 1).then(|| view! {
                    <button type="button" class="button small" on:click=move |_| show_diff.run((n - 1, n))>
                        "What changed"
                    </button>
                })}
                {(n != current).then(|| view! {
                    <button type="button" class="button small" on:click=move |_| show_diff.run((n, current))>
                        "Compare with now"
                    </button>
                })}
                <Show when=move || session.can_admin() && n != current>
                    <button type="button" class="button small danger" on:click=move |_| restore(n)>
                        "Restore"
                    </button>
                </Show>
            </td>
        </tr>
    }
}

/// What Restore does: loads version `target`, asks, listing every flag and segment the restore
/// creates, removes or changes, then makes it the document again, as a new version after the
/// current one (`doc`).
fn restore_action(doc: StoredValue<Arc<DocState>>) -> impl Fn(u64) + Copy + 'static {
    let session = expect_context::<Session>();
    let confirm = expect_context::<Confirm>();
    let store = expect_context::<Store>();
    let notices = expect_context::<Notices>();
    move |target| {
        let api = session.api();
        let now = doc.get_value();
        let current = now.version;
        leptos::task::spawn_local(async move {
            let list = match api.version(target).await {
                Ok(old) => restore_list(&DocumentChanges::between(&now.document, &old.document)),
                Err(e) => vec![format!("What it changes could not be loaded: {e}")],
            };
            let reason = RwSignal::new(String::new());
            let write = move |_| {
                let api = session.api().with_reason(&reason.get_untracked());
                restore(api, target, current, store, notices)
            };
            confirm.ask(Question {
                title: format!("Restore version {target}?"),
                body: format!(
                    "The document becomes what it was in version {target}, saved as a new version after {current}. Changes made since then are undone (they stay in the history). It:"
                ),
                list,
                confirm: format!("Restore version {target}"),
                reason: Some(reason),
                reason_required: false,
                danger: true,
                on_confirm: Callback::new(write),
            });
        });
    }
}

/// What "Restore flag x as it was in version N" does: asks, saying what it changes, then brings
/// that one entry back (`POST …/revert`), as a new version after the current one (`doc`).
fn revert_action(doc: StoredValue<Arc<DocState>>) -> impl Fn(String, String, u64) + Copy + 'static {
    let session = expect_context::<Session>();
    let confirm = expect_context::<Confirm>();
    let store = expect_context::<Store>();
    let notices = expect_context::<Notices>();
    move |noun, key, target| {
        let api = session.api();
        let now = doc.get_value();
        let current = now.version;
        let segment = noun == "segment";
        leptos::task::spawn_local(async move {
            let list = match api.version(target).await {
                Ok(old) => entry_lines(&now.document, &old.document, segment, &key),
                Err(e) => vec![format!("What it changes could not be loaded: {e}")],
            };
            let named = format!("{noun} {key}");
            let title = format!("Restore {named} as it was in version {target}?");
            let body = format!(
                "Only this {noun} changes, saved as a new version after {current}; the rest of the document stays as it is. It:"
            );
            let reason = RwSignal::new(String::new());
            let write = move |_| {
                let api = session.api().with_reason(&reason.get_untracked());
                let (named, key) = (named.clone(), key.clone());
                leptos::task::spawn_local(async move {
                    match api.revert(segment, &key, target, current).await {
                        Ok(w) => {
                            let message = format!(
                                "Restored {named} as it was in version {target} (version {})",
                                w.version
                            );
                            notices.push(Tone::Success, message);
                            store.reload();
                        }
                        Err(e) => notices.failed(&format!("{named} was not restored: "), e),
                    }
                });
            };
            confirm.ask(Question {
                title,
                body,
                list,
                confirm: "Restore".into(),
                reason: Some(reason),
                reason_required: false,
                danger: true,
                on_confirm: Callback::new(write),
            });
        });
    }
}

/// What bringing back entry `key` from `then` changes in `now`, in words.
fn entry_lines(now: &Document, then: &Document, segment: bool, key: &str) -> Vec<String> {
    let lines = if segment {
        segment_changes(now.segments.get(key), then.segments.get(key))
    } else {
        flag_changes(now.flags.get(key), then.flags.get(key))
    };
    if lines.is_empty() {
        vec!["changes nothing: it is the same as now".into()]
    } else {
        lines
    }
}

/// Makes version `target` the document again, based on `current`.
fn restore(api: Api, target: u64, current: u64, store: Store, notices: Notices) {
    leptos::task::spawn_local(async move {
        match api.restore(target, current).await {
            Ok(w) => {
                let message = format!("Restored version {target} as version {}", w.version);
                notices.push(Tone::Success, message);
                store.reload();
            }
            Err(ApiError::Conflict { current: now, .. }) => {
                let now = now.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
                notices.push(
                    Tone::Error,
                    format!("Someone saved version {now} meanwhile; reloaded. Review it, then restore again."),
                );
                store.reload();
            }
            Err(e) => notices.failed("Not restored: ", e),
        }
    });
}
