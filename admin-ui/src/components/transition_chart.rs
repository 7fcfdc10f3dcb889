//! The change preview's chart: one bar per "from → to" move, as long as its count, plus the
//! share of each variant before and after.

use leptos::prelude::*;

use crate::state::preview::Preview;

pub fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        return "0 %".into();
    }
    let p = n as f64 * 100.0 / total as f64;
    if p >= 10.0 || p == 0.0 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

#[component]
pub fn TransitionChart(preview: Preview) -> impl IntoView {
    let total = preview.total;
    let max = preview
        .transitions
        .iter()
        .map(|t| t.count)
        .max()
        .unwrap_or(1)
        .max(1);
    let headline = format!(
        "{} of {} contexts ({}) would change variant",
        preview.changed,
        total,
        pct(preview.changed, total)
    );
    let distribution = |title: &'static str, rows: Vec<(String, usize)>| {
        view! {
            <div class="dist">
                <h4>{title}</h4>
                <ul>
                    {rows
                        .into_iter()
                        .map(|(v, n)| {
                            view! {
                                <li data-variant=v.clone() data-count=n>
                                    <span class="dist-label">{v.clone()}</span>
                                    <span class="dist-bar"><span style=format!("width:{:.2}%", n as f64 * 100.0 / total.max(1) as f64)></span></span>
                                    <span class="dist-n">{format!("{n} ({})", pct(n, total))}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    };
    view! {
        <div
            class="preview-result"
            data-testid="preview-result"
            data-total=total
            data-changed=preview.changed
            role="region"
            aria-label="Preview result"
        >
            <p class="headline">{headline}</p>
            {if preview.transitions.is_empty() {
                view! { <p class="muted">"Nobody in the sample changes variant."</p> }.into_any()
            } else {
                view! {
                    <figure class="chart">
                        <figcaption>"Contexts that change, by move"</figcaption>
                        <ul class="bars">
                            {preview
                                .transitions
                                .iter()
                                .map(|t| {
                                    let width = t.count as f64 * 100.0 / max as f64;
                                    view! {
                                        <li class="transition" data-from=t.from.clone() data-to=t.to.clone() data-count=t.count>
                                            <span class="bar-label">{format!("{} → {}", t.from, t.to)}</span>
                                            <span class="bar"><span style=format!("width:{width:.2}%")></span></span>
                                            <span class="bar-n">{format!("{} ({})", t.count, pct(t.count, total))}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </figure>
                }
                .into_any()
            }}
            <div class="grid two">
                {distribution("Now", preview.before.clone())}
                {distribution("After saving", preview.after.clone())}
            </div>
            {(!preview.dependents.is_empty()).then(|| view! {
                <div class="dependents-changed">
                    <h4>"Flags that require this one change too"</h4>
                    <ul>
                        {preview
                            .dependents
                            .iter()
                            .map(|(k, n)| view! { <li data-flag=k.clone() data-count=*n>{format!("{k}: {n} context(s)")}</li> })
                            .collect_view()}
                    </ul>
                </div>
            })}
        </div>
    }
}
