//! Choosing the environment an evaluation or a preview is about.

use leptos::prelude::*;

pub fn env_select(id: &'static str, envs: Vec<String>, env: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Environment"</label>
            <select id=id on:change=move |ev| env.set(event_target_value(&ev))>
                {envs
                    .into_iter()
                    .map(|e| {
                        let (value, e2) = (e.clone(), e.clone());
                        view! { <option value=value selected=move || env.with(|x| *x == e2)>{e}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
