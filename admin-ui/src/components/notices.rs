//! Short messages after actions, announced to screen readers.

use leptos::prelude::*;

use crate::context::{Notices, Tone};

#[component]
pub fn NoticeList() -> impl IntoView {
    let notices = expect_context::<Notices>();
    view! {
        <div class="notices" role="status" aria-live="polite">
            <For
                each=move || notices.list.get()
                key=|n| n.id
                children=move |n| {
                    let class = match n.tone {
                        Tone::Info => "notice info",
                        Tone::Success => "notice success",
                        Tone::Error => "notice error",
                    };
                    let id = n.id;
                    view! {
                        <div class=class>
                            <span>{n.text.clone()}</span>
                            {n.link.clone().map(|(href, label)| view! { <a href=href>{label}</a> })}
                            <button
                                type="button"
                                class="icon"
                                aria-label="Dismiss"
                                on:click=move |_| notices.dismiss(id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}
