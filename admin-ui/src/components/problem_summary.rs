//! Every problem of a draft in one list, each a button that shows its field.

use leptos::prelude::*;

use crate::state::fields::{Problems, Severity};

#[component]
pub fn ProblemSummary(
    #[prop(into)] problems: Signal<Problems>,
    /// Pointers are shown relative to this (the flag's or segment's pointer).
    #[prop(into)]
    prefix: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let counts = move || {
        problems.with(|p| {
            let errors = p.all().iter().filter(|x| x.is_error()).count();
            (errors, p.all().len() - errors)
        })
    };
    view! {
        <Show when=move || !problems.with(Problems::is_empty)>
            <section class="summary" aria-labelledby="summary-title">
                <h2 id="summary-title">
                    {move || {
                        let (e, w) = counts();
                        match (e, w) {
                            (0, w) => format!("{w} warning(s)"),
                            (e, 0) => format!("{e} error(s) to fix before saving"),
                            (e, w) => format!("{e} error(s) to fix before saving, {w} warning(s)"),
                        }
                    }}
                </h2>
                <ul>
                    {move || {
                        problems
                            .get()
                            .all()
                            .iter()
                            .map(|p| {
                                let pointer = p.pointer.clone();
                                let shown = prefix.with(|prefix| shown_pointer(&p.pointer, prefix));
                                let class = match p.severity {
                                    Severity::Error => "problem error",
                                    Severity::Warning => "problem warning",
                                };
                                view! {
                                    <li class=class>
                                        <button
                                            type="button"
                                            class="link"
                                            on:click=move |_| on_pick.run(pointer.clone())
                                        >
                                            <code>{shown}</code>
                                        </button>
                                        " " {p.message.clone()}
                                        " " <span class="code">{format!("[{}]", p.code)}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}

/// A problem's place as the list shows it: relative to the entry, `›` between steps, a
/// member's name (`…#key`) as "(name)", and the editor's own fields (`#ramp-start`) by name.
fn shown_pointer(pointer: &str, prefix: &str) -> String {
    let (path, name) = match pointer.strip_suffix("#key") {
        Some(p) => (p, " (name)"),
        None => (pointer, ""),
    };
    let place = match path.strip_prefix(prefix) {
        Some("") => "(this entry)".to_string(),
        Some(rest) => {
            // Positions read as the page numbers them: `rules/2/clauses/0` is "rule 3 ›
            // condition 1".
            let mut steps: Vec<String> = Vec::new();
            for token in rest.trim_start_matches('/').split('/') {
                match (token.parse::<usize>(), steps.last_mut()) {
                    (Ok(n), Some(list)) => *list = format!("{} {}", singular(list), n + 1),
                    _ => steps.push(crate::state::history::unescape(token)),
                }
            }
            steps.join(" › ")
        }
        None => path.trim_start_matches('#').to_string(),
    };
    format!("{place}{name}")
}

/// What one element of a list in the document is called on the page.
fn singular(list: &str) -> &str {
    match list {
        "rules" => "rule",
        "clauses" => "condition",
        "targets" => "target list",
        "values" => "value",
        "schedule" => "step",
        "weights" => "share",
        "prerequisites" => "prerequisite",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_as_words() {
        let flag = "/flags/a";
        assert_eq!(shown_pointer("/flags/a", flag), "(this entry)");
        assert_eq!(
            shown_pointer("/flags/a/environments/production/offVariant", flag),
            "environments › production › offVariant"
        );
        assert_eq!(
            shown_pointer("/flags/a/variants/gree#key", flag),
            "variants › gree (name)"
        );
        assert_eq!(
            shown_pointer("/flags/a/variants/a~1b", flag),
            "variants › a/b"
        );
        assert_eq!(shown_pointer("#ramp-start", flag), "ramp-start");
        assert_eq!(
            shown_pointer(
                "/flags/a/environments/production/rules/2/clauses/0/values/1",
                flag
            ),
            "environments › production › rule 3 › condition 1 › value 2"
        );
        assert_eq!(
            shown_pointer("/segments/s/include/0", "/segments/s"),
            "include 1"
        );
        assert_eq!(
            shown_pointer("/flags/other/prerequisites/0", flag),
            "/flags/other/prerequisites/0"
        );
    }
}
