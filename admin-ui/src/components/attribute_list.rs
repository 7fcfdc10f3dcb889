//! Suggestions for attribute inputs: every attribute the document's rules and targets read.

use std::sync::Arc;

use leptos::prelude::*;

use crate::state::document::DocState;

#[component]
pub fn AttributeList(doc: Arc<DocState>) -> impl IntoView {
    view! {
        <datalist id="attributes">
            {doc.attributes().into_iter().map(|a| view! { <option value=a/> }).collect_view()}
        </datalist>
    }
}
