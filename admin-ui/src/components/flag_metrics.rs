//! A stored flag's Metrics tab: its evaluations over time and, for every event its
//! `experiment.events` names, the experiment readout, in the environment chosen. Both read the
//! flag as saved (its events, each environment's `offVariant` as the control), not the draft.

use leptos::prelude::*;

use super::env_select::env_select;
use super::readout_table::ReadoutTable;
use super::usage_chart::UsageChart;
use crate::lens::FlagEdit;
use crate::state::catalog::preferred_env;

#[component]
pub fn FlagMetrics(key: String) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let doc = edit.doc.get_value();
    let envs = doc.document.environments.clone();
    let env = RwSignal::new(preferred_env(&envs));
    let flag = doc.document.flags.get(&key).cloned().unwrap_or_default();
    let events = flag.experiment_events().to_vec();
    let control = Signal::derive(move || {
        env.with(|e| flag.environments.get(e).and_then(|s| s.off_variant.clone()))
    });
    let readouts = if events.is_empty() {
        view! {
            <p class="muted" data-testid="no-events">
                "This flag names no experiment events. Add them under Settings, Lifecycle, to compare its variants by conversions."
            </p>
        }
        .into_any()
    } else {
        events
            .into_iter()
            .map(|event| view! { <ReadoutTable key=key.clone() event env control/> })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="flag-metrics">
            <div class="toolbar">{env_select("metrics-env", envs, env)}</div>
            <UsageChart key=key.clone() env/>
            <section aria-labelledby="readout-title">
                <h2 id="readout-title">"Experiment readout"</h2>
                {readouts}
            </section>
        </div>
    }
}
