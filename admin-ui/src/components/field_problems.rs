//! The problems about one field, under it.

use leptos::prelude::*;

use super::field_id;
use crate::state::fields::{Problem, Problems, Severity};

/// Lists the problems at `pointer` (or, with `under`, inside it too). Its id is
/// `field_id(pointer)`, for the input's `aria-describedby`.
#[component]
pub fn FieldProblems(
    #[prop(into)] problems: Signal<Problems>,
    #[prop(into)] pointer: Signal<String>,
    #[prop(optional)] under: bool,
) -> impl IntoView {
    // A memo: the list below is drawn again only when this field's problems change.
    let list = Memo::new(move |_| -> Vec<Problem> {
        pointer.with(|p| {
            problems.with(|all| {
                if under {
                    all.under(p).cloned().collect()
                } else {
                    all.at(p)
                }
            })
        })
    });
    let list = move || list.get();
    view! {
        <Show when=move || !list().is_empty()>
            <ul class="problems" id=move || field_id(&pointer.get())>
                {move || {
                    list()
                        .into_iter()
                        .map(|p| {
                            let class = match p.severity {
                                Severity::Error => "problem error",
                                Severity::Warning => "problem warning",
                            };
                            view! {
                                <li class=class data-code=p.code.clone()>
                                    {p.message.clone()}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </Show>
    }
}

/// `aria-invalid` for an input: true when an error is about it.
pub fn invalid(problems: Signal<Problems>, pointer: &str, under: bool) -> bool {
    problems.with(|all| {
        if under {
            all.under(pointer).any(Problem::is_error)
        } else {
            all.at(pointer).iter().any(Problem::is_error)
        }
    })
}
