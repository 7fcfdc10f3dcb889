//! A flag's saved settings in two environments side by side, in the core's words, with the
//! fields that differ marked; and the copy of one environment's settings over the other's
//! (`POST …/promote`), which is how a change tried in staging goes to production whole. The
//! copy asks first, listing what it changes in the target environment, with a reason (required
//! where the target's policy requires one); where the target needs approvals the store holds
//! it as a change request, which the notice links to.

use std::sync::Arc;

use burgee_core::describe::{copy_changes, side_by_side};
use leptos::prelude::*;

use super::reason_question::ask_why;
use crate::api::ApiError;
use crate::context::{Confirm, Notices, Question, Session, Store, Tone};
use crate::state::catalog::is_production;
use crate::state::document::DocState;

/// The environment named `preferred` if the document has it, else the one at `fallback`.
fn pick(envs: &[String], preferred: &str, last: bool) -> String {
    let fallback = if last { envs.last() } else { envs.first() };
    envs.iter()
        .find(|e| *e == preferred)
        .or(fallback)
        .cloned()
        .unwrap_or_default()
}

#[component]
pub fn EnvCompare(key: String, doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let notices = expect_context::<Notices>();
    let confirm = expect_context::<Confirm>();
    let envs = doc.document.environments.clone();
    let left = RwSignal::new(pick(&envs, "staging", false));
    let right = RwSignal::new(pick(&envs, "production", true));
    let flag = doc.document.flags.get(&key).cloned().unwrap_or_default();
    let flag = StoredValue::new(flag);
    let settings = move |env: &str| flag.with_value(|f| f.environments.get(env).cloned());
    let rows = Memo::new(move |_| {
        let (l, r) = (settings(&left.get()), settings(&right.get()));
        side_by_side(l.as_ref(), r.as_ref())
    });
    let differing = move || rows.with(|r| r.iter().filter(|r| r.differs).count());
    let copy = move |_| {
        let (from, to) = (left.get_untracked(), right.get_untracked());
        let list = copy_changes(settings(&from).as_ref(), settings(&to).as_ref());
        let k = key.clone();
        ask_why(
            confirm,
            session.api(),
            vec![to.clone()],
            true,
            move |reason| Question {
                title: format!("Copy {from} → {to}?"),
                body: format!(
                    "{k}'s settings in {to} become exactly its settings in {from}, as saved. In {to}, this:"
                ),
                list,
                confirm: format!("Copy to {to}"),
                reason: None,
                reason_required: false,
                danger: is_production(&to),
                on_confirm: Callback::new(move |_| {
                    let api = session.api().with_reason(&reason.get_untracked());
                    let (k, from, to) = (k.clone(), from.clone(), to.clone());
                    leptos::task::spawn_local(async move {
                        match api.promote(&k, &from, &to).await {
                            Ok(w) => {
                                let done =
                                    format!("Copied {from} → {to} for {k} (version {})", w.version);
                                notices.push(Tone::Success, done);
                                store.reload();
                            }
                            Err(ApiError::Unauthenticated(_)) => session.sign_out(),
                            Err(e) => {
                                notices.failed(&format!("{from} was not copied to {to}: "), e)
                            }
                        }
                    });
                }),
            },
        );
    };
    let select = move |id: &'static str, label: &'static str, side: RwSignal<String>| {
        let options = envs
            .iter()
            .map(|e| {
                let (value, name) = (e.clone(), e.clone());
                view! { <option value=value.clone() selected=move || side.with(|s| *s == value)>{name}</option> }
            })
            .collect_view();
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id on:change=move |ev| side.set(event_target_value(&ev))>{options}</select>
            </div>
        }
    };
    view! {
        <section class="card compare" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare environments"</h2>
            <p class="hint">"The saved settings: unsaved edits are not compared or copied."</p>
            <div class="grid two">
                {select("compare-left", "From", left)}
                {select("compare-right", "To", right)}
            </div>
            <p data-testid="compare-summary" role="status">
                {move || match differing() {
                    0 => "The same in both.".to_string(),
                    1 => "1 setting differs.".to_string(),
                    n => format!("{n} settings differ."),
                }}
            </p>
            <table class="compare-table" data-testid="compare">
                <thead>
                    <tr>
                        <th scope="col">"Setting"</th>
                        <th scope="col">{move || left.get()}</th>
                        <th scope="col">{move || right.get()}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || rows.get().into_iter().map(|r| view! {
                        <tr data-field=r.field class:differs=r.differs data-differs=r.differs.to_string()>
                            <th scope="row">
                                {r.field}
                                {r.differs.then(|| view! { <span class="badge warn">"differs"</span> })}
                            </th>
                            <td>{r.left}</td>
                            <td>{r.right}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <button
                    type="button"
                    class="button primary"
                    data-testid="copy-env"
                    disabled=move || !session.can_edit() || differing() == 0 || left.with(|l| right.with(|r| l == r))
                    on:click=copy
                >
                    {move || format!("Copy {} → {}", left.get(), right.get())}
                </button>
            </div>
        </section>
    }
}
