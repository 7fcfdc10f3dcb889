//! The store's audit log across every flag and segment, for a team asking "who changed what,
//! where, and when": filtered by person, flag, environment and time range. The filter lives in
//! the address (`#/audit?actor=ada&env=production`), like the other lists', so a filtered log
//! can be shared and survives a reload.

use std::sync::Arc;

use leptos::prelude::*;

use super::audit_log::AuditEntries;
use super::flags_page::filter_choice;
use super::requests_page::typed;
use crate::context::{Nav, Session};
use crate::state::audit::AuditQuery;
use crate::state::document::DocState;
use crate::state::route::Route;

#[component]
pub fn AuditPage(doc: Arc<DocState>, query: AuditQuery) -> impl IntoView {
    let session = expect_context::<Session>();
    let nav = expect_context::<Nav>();
    let filter = RwSignal::new(query);
    // The address follows the filter, in place.
    Effect::new(move |_| nav.follow(Route::Audit(filter.get())));
    // Filtering by person is for admins (the store refuses it to others): a page's role is
    // fixed while it is on screen.
    let admin = session
        .identity
        .with_untracked(|i| i.as_ref().is_some_and(|i| i.role.can_admin()));
    let environments = std::iter::once((String::new(), "Any".to_string()))
        .chain(
            doc.document
                .environments
                .iter()
                .map(|e| (e.clone(), e.clone())),
        )
        .collect();
    view! {
        <section class="page audit-page">
            <div class="page-head">
                <h1>"Audit log"</h1>
            </div>
            <form class="toolbar" role="search" aria-label="Filter the audit log" on:submit=|ev| ev.prevent_default()>
                {admin.then(|| typed(("audit-actor", "Person", "search"), filter, |f| f.actor.clone(), |f, v| f.actor = v))}
                {typed(("audit-flag", "Flag", "search"), filter, |f| f.flag.clone(), |f, v| f.flag = v)}
                {filter_choice(
                    "audit-env",
                    "Environment",
                    filter,
                    environments,
                    |f| f.env.clone(),
                    |f, v| f.env = v,
                )}
                {typed(("audit-from", "From (UTC)", "datetime-local"), filter, |f| f.from.clone(), |f, v| f.from = v)}
                {typed(("audit-to", "Until (UTC)", "datetime-local"), filter, |f| f.to.clone(), |f, v| f.to = v)}
            </form>
            {(!admin).then(|| view! { <p class="hint">"Only admins can filter by person."</p> })}
            {move || view! { <AuditEntries query=filter.get() targets=true/> }}
        </section>
    }
}
