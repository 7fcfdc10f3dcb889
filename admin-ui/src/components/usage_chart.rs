//! A flag's evaluations over time in one environment: stacked bars by variant over the last
//! 24 hours, 7 or 30 days, with the range's totals and unique contexts beside them. The SVG
//! is drawn from [`Chart`] (tested natively); hovering a step shows its numbers (`<title>`).

use burgee_api::MetricsBody;
use leptos::prelude::*;

use crate::context::Session;
use crate::state::chart::{Chart, DEFAULT_SERIES, RANGES, thousands};
use crate::state::usage::ago;
use crate::state::values::display_stamp;

#[component]
pub fn UsageChart(key: String, #[prop(into)] env: Signal<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let range = RwSignal::new(0usize);
    let data = LocalResource::new({
        let key = key.clone();
        move || {
            let (env, range) = (env.get(), RANGES.get(range.get()).copied());
            let (api, key) = (session.api(), key.clone());
            async move {
                let r = range.unwrap_or(RANGES[0]);
                let now = crate::now_ms();
                api.metrics(&env, &key, (now - r.span_ms, now), r.step)
                    .await
            }
        }
    });
    let buttons = RANGES
        .iter()
        .enumerate()
        .map(|(i, r)| {
            view! {
                <button
                    type="button"
                    class="button small"
                    aria-pressed=move || (range.get() == i).to_string()
                    on:click=move |_| range.set(i)
                >
                    {r.label}
                </button>
            }
        })
        .collect_view();
    let shown = move || {
        Suspend::new(async move {
            match data.await {
                Ok(body) => chart_view(&body).into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{format!("The metrics could not be loaded: {e}")}</p> }
                    .into_any(),
            }
        })
    };
    view! {
        <section class="card usage" aria-labelledby="usage-title" data-testid="usage">
            <div class="card-head">
                <h2 id="usage-title">"Evaluations"</h2>
                <div class="range" role="group" aria-label="Range">
                    {buttons}
                    <button type="button" class="button small" on:click=move |_| data.refetch()>"Refresh"</button>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the metrics…"</p> }>
                {shown}
            </Transition>
        </section>
    }
}

/// The chart, its legend and the range's totals.
fn chart_view(body: &MetricsBody) -> impl IntoView {
    let chart = Chart::new(body);
    let svg = chart.svg(&format!(
        "Evaluations of {} in {} by variant",
        body.flag, body.environment
    ));
    let totals = &body.totals;
    let legend = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let count = if name == DEFAULT_SERIES {
                totals
                    .evaluations
                    .saturating_sub(totals.variants.values().sum::<u64>())
            } else {
                totals.variants.get(name).copied().unwrap_or(0)
            };
            let users = totals.unique_contexts_by_variant.get(name).copied();
            view! {
                <li data-variant=name.clone()>
                    <span class=format!("swatch s{}", i % 8) aria-hidden="true"></span>
                    <span class="name">{name.clone()}</span>
                    <span class="count" data-testid="variant-total">{thousands(count)}</span>
                    {users.map(|u| view! { <span class="muted">{format!("{} contexts", thousands(u))}</span> })}
                </li>
            }
        })
        .collect_view();
    // How long ago, its time on hover.
    let last = body.last_evaluated_at.as_deref();
    let last_text = ago(
        crate::now_ms(),
        last.and_then(burgee_core::time::parse_rfc3339),
    );
    let last_stamp = last.map(display_stamp);
    view! {
        <div class="usage-body">
            <div class="chart-wrap" inner_html=svg></div>
            <aside class="usage-totals" aria-label="Totals over the range">
                <dl>
                    <dt>"Evaluations"</dt>
                    <dd data-testid="total-evaluations">{thousands(totals.evaluations)}</dd>
                    <dt>"Unique contexts"</dt>
                    <dd data-testid="unique-contexts">{thousands(totals.unique_contexts)}</dd>
                    <dt>"Last evaluated here"</dt>
                    <dd data-testid="last-evaluated" title=last_stamp>{last_text}</dd>
                </dl>
                <ul class="legend" aria-label="Variants">{legend}</ul>
                <p class="hint">{format!("Steps of {}; unique contexts are counted per day.", step_text(body.step))}</p>
            </aside>
        </div>
    }
}

fn step_text(step: i64) -> String {
    match step {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        s => format!("{} minute(s)", s / 60),
    }
}
