//! A flag's kill switch in one environment: on or off, with a confirmation on production.
//!
//! The switch sets an absolute state ("off in production"), so when someone else saved in the
//! meantime (`412`) it is applied again on top of their version instead of failing: an
//! operator turning a flag off must not lose a race.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::context::{Confirm, Notices, Question, Session, Store, Tone};
use crate::state::catalog::{Status, is_production};
use crate::state::served::Served;

#[component]
pub fn KillSwitch(
    key: String,
    env: String,
    status: Status,
    /// What the environment serves, in words and colour (`state::served`).
    served: Served,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let store = expect_context::<Store>();
    let notices = expect_context::<Notices>();
    let confirm = expect_context::<Confirm>();
    let busy = RwSignal::new(false);
    let on = status.is_on();
    let label = format!("{key} in {env}");
    let data_env = env.clone();

    // The handlers hold their own copies of the key and environment rather than values owned by
    // this component: a reload of the document re-renders the list, and a click that lands on
    // the outgoing row while that happens must not touch a disposed value (it aborts the app).
    // `ask` is the question before the write, with a reason field; the write asks it when the
    // store says the environment needs a reason.
    let ask: StoredValue<Option<Callback<()>>> = StoredValue::new(None);
    let run = {
        let (key, env) = (key.clone(), env.clone());
        move |reason: String| {
            let (key, env) = (key.clone(), env.clone());
            let api = session.api().with_reason(&reason);
            let Some(version) = store.current().map(|d| d.version) else {
                return;
            };
            busy.try_set(true);
            leptos::task::spawn_local(async move {
                let mut result = api.toggle(&key, &env, !on, version).await;
                if let Err(ApiError::Conflict {
                    current: Some(current),
                    ..
                }) = result
                {
                    notices.push(
                        Tone::Info,
                        format!(
                            "Someone saved version {current} meanwhile; applying on top of it."
                        ),
                    );
                    result = api.toggle(&key, &env, !on, current).await;
                }
                match result {
                    Ok(w) => {
                        notices.push(
                            Tone::Success,
                            format!(
                                "{key} is now {} in {env} (version {})",
                                if on { "off" } else { "on" },
                                w.version
                            ),
                        );
                        store.reload();
                    }
                    Err(ApiError::Unauthenticated(_)) => session.sign_out(),
                    Err(ApiError::Other {
                        code: burgee_api::Code::ReasonRequired,
                        ..
                    }) if reason.trim().is_empty() => {
                        if let Some(question) = ask.try_get_value().flatten() {
                            question.run(());
                        }
                    }
                    Err(e) => notices.failed(&format!("{key} in {env}: "), e),
                }
                busy.try_set(false);
            });
        }
    };
    let question = {
        let (k, e, run) = (key.clone(), env.clone(), run.clone());
        move || {
            let reason = RwSignal::new(String::new());
            let run = run.clone();
            confirm.ask(Question {
                title: if on {
                    format!("Turn {k} off in {e}?")
                } else {
                    format!("Turn {k} on in {e}?")
                },
                body: if on {
                    format!("Every context in {e} gets the flag's off variant within seconds.")
                } else {
                    format!("{e} starts serving {k}'s targeting and default within seconds.")
                },
                confirm: if on {
                    "Turn off".into()
                } else {
                    "Turn on".into()
                },
                list: Vec::new(),
                reason: Some(reason),
                reason_required: false,
                danger: on,
                on_confirm: Callback::new(move |_| run(reason.get_untracked())),
            });
        }
    };
    ask.set_value(Some(Callback::new({
        let question = question.clone();
        move |()| question()
    })));

    let click = move |_| {
        if is_production(&env) {
            question();
        } else {
            run(String::new());
        }
    };

    view! {
        // The colour, of the switch as of the words, is what people get (`Tone`).
        <span class="switch-cell" data-served=served.tone.as_str()>
            <button
                type="button"
                role="switch"
                class="switch"
                class:on=on
                aria-checked=on.to_string()
                aria-label=label
                aria-busy=move || busy.try_get().unwrap_or(false).to_string()
                data-env=data_env
                title=move || {
                    if session.can_edit() { String::new() } else { "Viewers cannot change flags".into() }
                }
                disabled=move || busy.try_get().unwrap_or(false) || !session.can_edit()
                on:click=click
            >
                <span class="knob" aria-hidden="true"></span>
            </button>
            <span class="status" data-testid="served">{served.words}</span>
        </span>
    }
}
