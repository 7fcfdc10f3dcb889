//! A diff between two versions, grouped by flag and segment: in words, with the pointers the
//! store's diff names under them.

use burgee_api::DiffBody;
use burgee_core::describe::DocumentChanges;
use leptos::prelude::*;

use crate::state::history::{group, op_name, relative, show};

/// The diff's changes, each group (a flag, a segment, the document) first in words (`words`,
/// the core's, when both versions could be loaded), then by pointer.
/// `on_revert`, for editors: each flag's and segment's "Restore … as it was in version
/// `from`" button, called with the group's `(noun, key)`.
#[component]
pub fn DiffView(
    diff: DiffBody,
    words: Option<DocumentChanges>,
    on_revert: Option<Callback<(String, String)>>,
    /// The heading, when the diff is not between two versions (a change request's).
    #[prop(optional)]
    title: Option<String>,
) -> impl IntoView {
    let from = diff.from;
    let groups = group(&diff.changes);
    let said = move |label: &str| -> Vec<String> {
        let Some(w) = &words else { return Vec::new() };
        if label == "document" {
            return w.document.clone();
        }
        w.entries
            .iter()
            .find(|e| label == format!("{} {}", e.noun, e.key))
            .map(|e| e.lines.clone())
            .unwrap_or_default()
    };
    let empty = groups.is_empty();
    view! {
        <div class="diff-view" data-testid="diff" data-from=diff.from data-to=diff.to>
            <h3>{title.unwrap_or_else(|| format!("From version {} to version {}", diff.from, diff.to))}</h3>
            {empty.then(|| view! { <p class="muted">"No differences."</p> })}
            {groups
                .into_iter()
                .map(|g| {
                    let prefix = g.prefix.clone();
                    let lines = said(&g.label);
                    let entry = g.label.split_once(' ').map(|(n, k)| (n.to_string(), k.to_string()));
                    let revert = on_revert.zip(entry).map(|(run, (noun, key))| {
                        let label = format!("Restore {noun} {key} as it was in version {from}");
                        view! {
                            <button type="button" class="button small" data-testid="revert" on:click=move |_| run.run((noun.clone(), key.clone()))>
                                {label}
                            </button>
                        }
                    });
                    view! {
                        <section class="diff-group">
                            <h4>{g.label.clone()} " " {revert}</h4>
                            {(!lines.is_empty()).then(|| view! {
                                <ul class="diff-words" data-testid="diff-words">
                                    {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                                </ul>
                            })}
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
