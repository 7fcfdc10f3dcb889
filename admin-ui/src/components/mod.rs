//! One component per file (a page, an editor, a control several of them use). Its parts are
//! plain functions beside it, not components: with the components' views erased
//! (`erase_components`), each component costs wasm of its own (measured: about 150 B gzip
//! each). Pages take the loaded document as a prop; editors keep a draft from
//! [`crate::state`] in a signal and change it only through its methods.

pub mod archive_button;
pub mod archived_list;
pub mod attribute_list;
pub mod audit_log;
pub mod audit_page;
pub mod change_preview;
pub mod clause_editor;
pub mod confirm_dialog;
pub mod conflict_panel;
pub mod context_fields;
pub mod diff_view;
pub mod editor_frame;
pub mod env_compare;
pub mod env_editor;
pub mod env_select;
pub mod environment_policies;
pub mod error_line;
pub mod evaluate_page;
pub mod evaluate_results;
pub mod field_problems;
pub mod flag_code;
pub mod flag_details;
pub mod flag_editor;
pub mod flag_metrics;
pub mod flag_row;
pub mod flag_tabs;
pub mod flags_page;
pub mod history_page;
pub mod kill_switch;
pub mod lifecycle_fields;
pub mod login;
pub mod metadata_fields;
pub mod new_entry_conflict;
pub mod notices;
pub mod prerequisites_editor;
pub mod problem_summary;
pub mod readout_table;
pub mod reason_question;
pub mod request_page;
pub mod requests_page;
pub mod review;
pub mod rows;
pub mod rule_card;
pub mod rule_head;
pub mod rules_builder;
pub mod schedule_editor;
pub mod segment_editor;
pub mod segment_rules;
pub mod segments_page;
pub mod serve_editor;
pub mod shell;
pub mod split_bar;
pub mod stale_page;
pub mod status_counts;
pub mod targets_editor;
pub mod transition_chart;
pub mod usage_chart;
pub mod variant_field;
pub mod variants_editor;

/// A DOM id derived from a JSON Pointer (for `aria-describedby` and the problem summary).
pub fn field_id(pointer: &str) -> String {
    let mut id = String::from("f");
    for c in pointer.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            id.push(c);
        } else {
            id.push_str(&format!("_{:x}_", c as u32));
        }
    }
    id
}

/// The `<option>`s of a variant picker: the flag's variants, and `current` selected, listed
/// too when the flag no longer has it (a removed variant stays visible, and its problem says
/// why, until another is chosen).
pub fn variant_options(mut names: Vec<String>, current: String) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    if !current.is_empty() && !names.contains(&current) {
        names.push(current.clone());
    }
    names
        .into_iter()
        .map(|v| {
            let selected = v == current;
            let label = v.clone();
            view! { <option value=v selected=selected>{label}</option> }
        })
        .collect_view()
        .into_any()
}

/// Moves keyboard focus to the first of `ids` that is on the page and not disabled, after the
/// next frame (when a list has re-rendered).
pub fn focus_first(ids: Vec<String>) {
    #[cfg(target_arch = "wasm32")]
    leptos::prelude::request_animation_frame(move || {
        ids.iter().any(|id| focus_id(id));
    });
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ids;
}

/// Focuses the element with this id now, if it is there and not disabled.
pub fn focus_id(id: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = leptos::prelude::document().get_element_by_id(id)
            && !el.matches(":disabled").unwrap_or(true)
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            return el.focus().is_ok();
        }
        false
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = id;
        false
    }
}

/// Moves keyboard focus to the input that edits `pointer` (or the nearest enclosing field),
/// after the next frame so that a tab switched to show it has rendered.
pub fn focus_pointer(pointer: String) {
    #[cfg(target_arch = "wasm32")]
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let document = leptos::prelude::document();
        let mut p = pointer.as_str();
        loop {
            let selector = format!("[data-pointer=\"{}\"]", p.replace('"', "\\\""));
            if let Ok(Some(el)) = document.query_selector(&selector)
                && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
            {
                let _ = el.focus();
                el.scroll_into_view_with_bool(false);
                return;
            }
            match p.rfind('/') {
                Some(i) if i > 0 => p = &p[..i],
                _ => return,
            }
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    let _ = pointer;
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_ids_are_safe() {
        assert_eq!(super::field_id("/flags/a.b/x"), "f_2f_flags_2f_a_2e_b_2f_x");
    }
}
