//! A rollout's split, drawn: one coloured segment per variant, as wide as its share.

use leptos::prelude::*;

use crate::state::draft::ServeDraft;
use crate::state::weights;

#[component]
pub fn SplitBar(#[prop(into)] serve: Signal<ServeDraft>) -> impl IntoView {
    let parts = move || {
        serve.with(|s| {
            let ws = s.weights();
            let total = weights::total(&ws);
            weights::bar(&ws)
                .into_iter()
                .zip(s.rollout.weights.iter())
                .enumerate()
                .map(|(i, ((start, width), w))| {
                    (
                        i,
                        start,
                        width,
                        w.variant.clone(),
                        weights::percent(w.weight, total),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let label = move || {
        parts()
            .into_iter()
            .map(|(_, _, _, v, p)| format!("{p} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <div class="split" role="img" aria-label=move || format!("Split: {}", label()) data-testid="split">
            {move || {
                parts()
                    .into_iter()
                    .map(|(i, start, width, variant, percent)| {
                        view! {
                            <span
                                class=format!("split-part c{}", i % 6)
                                style=format!("left:{start:.3}%;width:{width:.3}%")
                                title=format!("{percent} {variant}")
                            >
                                {(width >= 8.0).then(|| format!("{variant} {percent}"))}
                            </span>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}
