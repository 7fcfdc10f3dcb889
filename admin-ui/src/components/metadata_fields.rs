//! Who owns a flag, the ticket it was made for, and a team's other notes (`metadata`): what
//! people ask about a flag before they change or remove it. Evaluation never reads them.

use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use crate::lens::FlagEdit;
use crate::state::draft::{MetadataDraft, remove_item, ticket_link};
use crate::state::fields::key_pointer;

#[component]
pub fn MetadataFields() -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let draft = edit.draft;
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let meta = Memo::new(move |_| draft.with(|d| d.metadata.clone()));
    let set = move |f: &dyn Fn(&mut MetadataDraft)| draft.update(|d| f(&mut d.metadata));
    let ticket = move || meta.with(|m| ticket_link(&m.ticket).map(str::to_string));
    let count = Memo::new(move |_| meta.with(|m| m.pairs.len()));
    let row = move |i: usize| {
        let pointer = Signal::derive(move || key_pointer(&edit.at(&["metadata", &i.to_string()])));
        let pair = move |f: fn(&(String, String)) -> String| {
            meta.with(|m| m.pairs.get(i).map(f).unwrap_or_default())
        };
        view! {
            <li class="note-row" data-testid="metadata-note">
                <input
                    type="text"
                    aria-label=format!("Note {} key", i + 1)
                    data-pointer=move || pointer.get()
                    aria-describedby=move || field_id(&pointer.get())
                    aria-invalid=move || invalid(problems, &pointer.get(), false).to_string()
                    readonly=ro
                    prop:value=move || pair(|p| p.0.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set(&|m| if let Some(p) = m.pairs.get_mut(i) { p.0 = v.clone() })
                    }
                />
                <input
                    type="text"
                    aria-label=format!("Note {} value", i + 1)
                    readonly=ro
                    prop:value=move || pair(|p| p.1.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set(&|m| if let Some(p) = m.pairs.get_mut(i) { p.1 = v.clone() })
                    }
                />
                <button
                    type="button"
                    class="button small"
                    aria-label=format!("Remove note {}", i + 1)
                    disabled=ro
                    on:click=move |_| set(&|m| remove_item(&mut m.pairs, i))
                >
                    "Remove"
                </button>
                <FieldProblems problems pointer/>
            </li>
        }
    };
    view! {
        <section class="card" aria-labelledby="metadata-title">
            <h2 id="metadata-title">"Owner and notes"</h2>
            <div class="grid two">
                <div class="field">
                    <label for="flag-owner">"Owner"</label>
                    <input
                        id="flag-owner"
                        type="text"
                        placeholder="a person or a team"
                        data-pointer=move || edit.at(&["metadata", "owner"])
                        readonly=ro
                        prop:value=move || meta.with(|m| m.owner.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            set(&|m| m.owner = v.clone())
                        }
                    />
                </div>
                <div class="field">
                    <label for="flag-ticket">"Ticket"</label>
                    <input
                        id="flag-ticket"
                        type="text"
                        placeholder="PROJ-12 or a link"
                        data-pointer=move || edit.at(&["metadata", "ticket"])
                        readonly=ro
                        prop:value=move || meta.with(|m| m.ticket.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            set(&|m| m.ticket = v.clone())
                        }
                    />
                    {move || ticket().map(|href| view! {
                        <a class="hint" data-testid="ticket-link" href=href target="_blank" rel="noopener noreferrer">
                            "Open the ticket"
                        </a>
                    })}
                </div>
            </div>
            <h3>"Notes"</h3>
            <ul class="notes">
                {move || (0..count.get()).map(row).collect_view()}
                {move || meta.with(MetadataDraft::kept).into_iter().map(|(k, v)| view! {
                    <li class="note-row kept" data-testid="metadata-kept">
                        <code>{k}</code>
                        <code>{v}</code>
                        <span class="muted">"not text: kept as it is"</span>
                    </li>
                }).collect_view()}
            </ul>
            <button
                type="button"
                class="button small"
                disabled=ro
                on:click=move |_| set(&|m| m.pairs.push((String::new(), String::new())))
            >
                "Add a note"
            </button>
        </section>
    }
}
