//! The stale flags: those ready to be cleaned up, each with every reason in words. Judged by
//! burgee-metrics' rules (`state::usage::stale_flags`) from the document and one usage
//! request, over periods the page lets people change.

use std::sync::Arc;

use burgee_api::UsageBody;
use burgee_metrics::stale::DEFAULT_DAYS;
use leptos::prelude::*;

use crate::context::Session;
use crate::state::document::DocState;
use crate::state::route::Route;
use crate::state::usage::{reason_text, stale_flags};
use crate::state::values::display_stamp;

/// The longest period the usage API answers.
const MAX_DAYS: u32 = 90;

#[component]
pub fn StalePage(doc: Arc<DocState>) -> impl IntoView {
    let session = expect_context::<Session>();
    let unused = RwSignal::new(DEFAULT_DAYS);
    let single = RwSignal::new(DEFAULT_DAYS);
    // The one-variant rule reads the evaluations over its own period.
    let usage = LocalResource::new(move || {
        let days = single.get();
        let api = session.api();
        async move { api.usage(days).await }
    });
    let shown = move || {
        let doc = doc.clone();
        Suspend::new(async move {
            match usage.await {
                Ok(body) => stale_list(&doc, &body, unused.get_untracked(), single.get_untracked()).into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{format!("The usage could not be loaded: {e}")}</p> }
                    .into_any(),
            }
        })
    };
    // The unused period changes the judgement, not the request: read it here so the list follows.
    let keyed = move || {
        unused.track();
        shown()
    };
    view! {
        <section class="page stale-page">
            <div class="page-head">
                <h1>"Stale flags"</h1>
            </div>
            <p class="muted">
                "Flags ready to be cleaned up: unused, serving one variant to everyone, or temporary and past their expected lifetime. Archived flags are not listed."
            </p>
            <div class="toolbar">
                {days_field("stale-unused", "Not evaluated for (days)", unused)}
                {days_field("stale-single", "One variant for (days)", single)}
            </div>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the usage…"</p> }>
                {keyed}
            </Transition>
        </section>
    }
}

/// A period in days, 1 to 90; what is not such a number leaves the period as it was.
fn days_field(id: &'static str, label: &'static str, days: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                min="1"
                max=MAX_DAYS
                prop:value=move || days.get().to_string()
                on:change=move |ev| {
                    if let Ok(d) = event_target_value(&ev).trim().parse::<u32>()
                        && (1..=MAX_DAYS).contains(&d)
                    {
                        days.set(d);
                    }
                }
            />
        </div>
    }
}

fn stale_list(doc: &DocState, usage: &UsageBody, unused: u32, single: u32) -> impl IntoView {
    let now = crate::now_ms();
    let listed = stale_flags(&doc.document, usage, unused, single, now);
    let since = match &usage.counting_since {
        Some(at) => format!(
            "Counting since {}: a flag is judged unused or serving one variant only once counting covers the whole period.",
            display_stamp(at)
        ),
        None => "Nothing has been counted yet.".into(),
    };
    let count = listed.len();
    let items = listed
        .into_iter()
        .map(|s| {
            let reasons = s
                .reasons
                .iter()
                .map(|r| view! { <li>{reason_text(r, now)}</li> })
                .collect_view();
            view! {
                <li data-key=s.flag.clone()>
                    <a href=Route::Flag(s.flag.clone()).href() class="flag-key">{s.flag.clone()}</a>
                    <ul class="reasons">{reasons}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="hint" data-testid="counting-since">{since}</p>
        <p class="muted result-count" aria-live="polite" data-testid="stale-count">
            {format!("{count} stale flag(s)")}
        </p>
        <ul class="stale-list">{items}</ul>
    }
}
