//! One experiment event's readout: per variant, its exposures, conversions, conversion rate,
//! and difference to the control with its 95 % interval and verdict (burgee-metrics'
//! arithmetic, answered by the metrics store; the words are `state::readout`'s).

use leptos::prelude::*;

use crate::context::Session;
use crate::state::readout::{rows, too_small_note};

#[component]
pub fn ReadoutTable(
    key: String,
    event: String,
    #[prop(into)] env: Signal<String>,
    /// The environment's `offVariant`, the control.
    #[prop(into)]
    control: Signal<Option<String>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let data = LocalResource::new({
        let (key, event) = (key.clone(), event.clone());
        move || {
            let (env, control) = (env.get(), control.get());
            let (api, key, event) = (session.api(), key.clone(), event.clone());
            async move { api.readout(&env, &key, &event, control.as_deref()).await }
        }
    });
    let title = format!("Converting to “{event}”");
    let shown = move || {
        Suspend::new(async move {
            let body = match data.await {
                Ok(b) => b,
                Err(e) => {
                    return view! { <p class="form-error" role="alert">{format!("The readout could not be loaded: {e}")}</p> }
                        .into_any();
                }
            };
            let too_small = body.readout.too_small;
            let table = rows(&body.readout)
                .into_iter()
                .map(|r| {
                    let variant = r.variant.clone();
                    view! {
                        <tr data-variant=variant class:control=r.is_control>
                            <th scope="row">{r.variant}</th>
                            <td class="num" data-col="exposures">{r.exposures}</td>
                            <td class="num" data-col="conversions">{r.conversions}</td>
                            <td class="num" data-col="rate">{r.rate}</td>
                            <td class="num" data-col="difference">{r.difference}</td>
                            <td class="num" data-col="interval">{r.interval}</td>
                            <td data-col="verdict">{r.verdict}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                {too_small.then(|| view! { <p class="note warn" data-testid="too-small">{too_small_note()}</p> })}
                <table class="readout">
                    <thead>
                        <tr>
                            <th scope="col">"Variant"</th>
                            <th scope="col" class="num">"Exposures"</th>
                            <th scope="col" class="num">"Conversions"</th>
                            <th scope="col" class="num">"Conversion rate"</th>
                            <th scope="col" class="num">"Difference to control"</th>
                            <th scope="col" class="num">"95 % interval"</th>
                            <th scope="col">"Verdict"</th>
                        </tr>
                    </thead>
                    <tbody>{table}</tbody>
                </table>
                <p class="hint">
                    {format!(
                        "Unique contexts from {} to {}; a context converts once however often it tracks the event.",
                        crate::state::values::display_stamp(&body.from),
                        crate::state::values::display_stamp(&body.to)
                    )}
                </p>
            }
            .into_any()
        })
    };
    view! {
        <section class="card readout-card" data-event=event.clone()>
            <div class="card-head">
                <h3>{title}</h3>
                <button type="button" class="button small" on:click=move |_| data.refetch()>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the readout…"</p> }>
                {shown}
            </Transition>
        </section>
    }
}
