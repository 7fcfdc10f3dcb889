//! How many flags are in each state, per environment; each count filters the list.

use leptos::prelude::*;

use crate::context::ListPrefs;
use crate::state::catalog::Status;

#[component]
pub fn StatusCounts(counts: Vec<(String, [usize; 5])>, total: usize) -> impl IntoView {
    let filter = expect_context::<ListPrefs>().filter;
    view! {
        <div class="counts" aria-label="Flags by state">
            <span class="count-total">{format!("{total} flags")}</span>
            {counts
                .into_iter()
                .map(|(env, c)| {
                    let env2 = env.clone();
                    view! {
                        <div class="count-env" data-env=env.clone()>
                            <span class="env-name">{env.clone()}</span>
                            {Status::ALL
                                .into_iter()
                                .zip(c)
                                .filter(|(_, n)| *n > 0)
                                .map(|(s, n)| {
                                    let env = env2.clone();
                                    let env3 = env2.clone();
                                    view! {
                                        <button
                                            type="button"
                                            class=format!("chip status-{}", s.as_str())
                                            data-status=s.as_str()
                                            aria-pressed=move || {
                                                filter.with(|f| f.env == env3 && f.status == Some(s)).to_string()
                                            }
                                            on:click=move |_| {
                                                filter.update(|f| {
                                                    if f.env == env && f.status == Some(s) {
                                                        f.env.clear();
                                                        f.status = None;
                                                    } else {
                                                        f.env = env.clone();
                                                        f.status = Some(s);
                                                    }
                                                })
                                            }
                                        >
                                            <span class="n">{n}</span>
                                            " "
                                            {s.as_str()}
                                        </button>
                                    }
                                })
                                .collect_view()}
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}
