//! Each environment's review policy (approvals a change needs, whether it must say why, whether
//! kill switches skip review), which admins change here; everyone else reads it.

use burgee_api::Policy;
use leptos::prelude::*;

use super::error_line::error_line;
use crate::api::ApiError;
use crate::context::{Notices, Session, Tone};
use crate::state::review::parse_approvals;

#[component]
pub fn EnvironmentPolicies(environments: Vec<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let admin = session
        .identity
        .with_untracked(|i| i.as_ref().is_some_and(|i| i.role.can_admin()));
    let policies = LocalResource::new(move || {
        let api = session.api();
        async move { api.policies().await }
    });
    view! {
        <section class="card policies" aria-labelledby="policies-title">
            <h2 id="policies-title">"Review policies"</h2>
            <p class="hint">
                "A change to what an environment serves waits for this many approvals by other people before it is written."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading the policies…"</p> }>
                <ErrorBoundary fallback=|errors| view! { {error_line(errors)} }>
                    {
                        let environments = environments.clone();
                        move || {
                            let environments = environments.clone();
                            Suspend::new(async move {
                                let body = policies.await?;
                                let rows = environments
                                    .into_iter()
                                    .map(|env| {
                                        let policy = body.policies.get(&env).copied().unwrap_or_default();
                                        policy_row(env, policy, admin)
                                    })
                                    .collect_view();
                                Ok::<_, ApiError>(view! {
                                    <table class="policies">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Environment"</th>
                                                <th scope="col">"Policy"</th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// One environment's policy; a form for admins.
fn policy_row(env: String, policy: Policy, admin: bool) -> impl IntoView {
    let saved = RwSignal::new(policy);
    let words = move || saved.get().describe();
    if !admin {
        let name = env.clone();
        return view! {
            <tr data-env=env>
                <th scope="row">{name}</th>
                <td data-testid="policy">{words}</td>
            </tr>
        }
        .into_any();
    }
    let session = expect_context::<Session>();
    let notices = expect_context::<Notices>();
    let approvals = RwSignal::new(policy.approvals.to_string());
    let reason = RwSignal::new(policy.reason_required);
    let exempt = RwSignal::new(policy.kill_switch_exempt);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = |what: &str| format!("policy-{what}-{env}");
    let (approvals_id, reason_id, exempt_id, error_id) =
        (id("approvals"), id("reason"), id("exempt"), id("error"));
    let name = env.clone();
    let save = move |_| {
        let approvals = match parse_approvals(&approvals.get_untracked()) {
            Ok(n) => n,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let policy = Policy {
            approvals,
            reason_required: reason.get_untracked(),
            kill_switch_exempt: exempt.get_untracked(),
        };
        let (api, env) = (session.api(), name.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api.put_policy(&env, &policy).await {
                Ok(body) => {
                    error.try_set(None);
                    saved.try_set(body.policy);
                    let words = body.policy.describe();
                    notices.push(
                        Tone::Success,
                        format!("Review policy of {env} saved: {words}"),
                    );
                }
                Err(ApiError::Unauthenticated(_)) => session.sign_out(),
                Err(e) => {
                    error.try_set(Some(format!("The policy of {env} was not saved: {e}")));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <tr data-env=env.clone()>
            <th scope="row">{env.clone()}</th>
            <td>
                <span class="muted" data-testid="policy">{words}</span>
                <form class="toolbar" on:submit=|ev| ev.prevent_default()>
                    <div class="field">
                        <label for=approvals_id.clone()>{format!("Approvals in {env}")}</label>
                        <input
                            id=approvals_id
                            type="number"
                            min="0"
                            max=burgee_api::MAX_APPROVALS
                            aria-describedby=error_id.clone()
                            prop:value=move || approvals.get()
                            on:input=move |ev| approvals.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field checkbox">
                        <input id=reason_id.clone() type="checkbox" prop:checked=move || reason.get() on:change=move |ev| reason.set(event_target_checked(&ev))/>
                        <label for=reason_id>"Reason required"</label>
                    </div>
                    <div class="field checkbox">
                        <input id=exempt_id.clone() type="checkbox" prop:checked=move || exempt.get() on:change=move |ev| exempt.set(event_target_checked(&ev))/>
                        <label for=exempt_id>"Kill switches exempt (audited)"</label>
                    </div>
                    <div class="field end">
                        <button type="button" class="button small" disabled=move || busy.get() on:click=save>
                            {format!("Save the policy of {env}")}
                        </button>
                    </div>
                </form>
                <p class="form-error" id=error_id role="alert">{move || error.get()}</p>
            </td>
        </tr>
    }
    .into_any()
}
