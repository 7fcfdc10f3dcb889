//! A structural diff between two versions, grouped by flag and segment.

use burgee_api::DiffBody;
use leptos::prelude::*;

use crate::state::history::{group, op_name, relative, show};

#[component]
pub fn DiffView(
    diff: DiffBody,
    /// The heading, when the diff is not between two versions (a change request's).
    #[prop(optional)]
    title: Option<String>,
) -> impl IntoView {
    let groups = group(&diff.changes);
    let empty = groups.is_empty();
    view! {
        <div class="diff-view" data-testid="diff" data-from=diff.from data-to=diff.to>
            <h3>{title.unwrap_or_else(|| format!("From version {} to version {}", diff.from, diff.to))}</h3>
            {empty.then(|| view! { <p class="muted">"No differences."</p> })}
            {groups
                .into_iter()
                .map(|g| {
                    let prefix = g.prefix.clone();
                    view! {
                        <section class="diff-group">
                            <h4>{g.label.clone()}</h4>
                            <table class="diff">
                                <thead>
                                    <tr>
                                        <th scope="col">"Field"</th>
                                        <th scope="col">"Change"</th>
                                        <th scope="col">"Before"</th>
                                        <th scope="col">"After"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {g.changes
                                        .into_iter()
                                        .map(|c| view! {
                                            <tr class=format!("op-{}", op_name(c.op)) data-pointer=c.pointer.clone()>
                                                <td><code>{relative(&c.pointer, &prefix)}</code></td>
                                                <td>{op_name(c.op)}</td>
                                                <td class="before"><code>{show(&c.before)}</code></td>
                                                <td class="after"><code>{show(&c.after)}</code></td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
}
