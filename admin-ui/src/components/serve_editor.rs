//! What to serve: one variant, or a percentage rollout whose shares always add up to 100 %
//! (moving one moves the others), with the split drawn. Shares are typed and dragged as whole
//! percentages, whatever scale the weights are stored on (see `state::weights`).

use leptos::prelude::*;

use super::field_id;
use super::field_problems::{FieldProblems, invalid};
use super::rows::{Rows, indices, remove_button};
use super::split_bar::SplitBar;
use super::variant_field::variant_field;
use super::variant_options;
use crate::lens::FlagEdit;
use crate::state::draft::{ServeDraft, ServeEdit, ServeMode};
use crate::state::fields::pointer as join;
use crate::state::weights;

/// One serve editor's inputs and where its changes go (shared by its parts).
#[derive(Clone, Copy)]
struct Serving {
    serve: Signal<ServeDraft>,
    on_edit: Callback<ServeEdit>,
    variants: Signal<Vec<String>>,
    pointer: Signal<String>,
    /// Makes the ids of this editor's inputs unique on the page.
    prefix: StoredValue<String>,
}

#[component]
pub fn ServeEditor(
    /// Makes the ids of this editor's inputs unique on the page.
    id_prefix: String,
    #[prop(into)] serve: Signal<ServeDraft>,
    on_edit: Callback<ServeEdit>,
    #[prop(into)] variants: Signal<Vec<String>>,
    #[prop(into)] pointer: Signal<String>,
    /// May serve nothing (an environment's default; rules and steps must serve something).
    allow_none: bool,
) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let mode = move || serve.with(|s| s.mode);
    let s = Serving {
        serve,
        on_edit,
        variants,
        pointer,
        prefix: StoredValue::new(id_prefix.clone()),
    };
    let name = format!("{id_prefix}-mode");
    let radio = move |m: ServeMode, label: &'static str| {
        // An id holds no spaces (HTML): the mode's name, not its label.
        let slug = match m {
            ServeMode::None => "none",
            ServeMode::Variant => "variant",
            ServeMode::Rollout => "rollout",
        };
        let id = format!("{}-mode-{slug}", s.prefix.get_value());
        view! {
            <span class="radio">
                <input
                    type="radio"
                    id=id.clone()
                    name=name.clone()
                    disabled=ro
                    prop:checked=move || mode() == m
                    on:change=move |_| on_edit.run(ServeEdit::Mode(m))
                />
                <label for=id>{label}</label>
            </span>
        }
    };
    let variant_id = format!("{id_prefix}-variant");
    let variant_pointer = Signal::derive(move || join(&pointer.get(), &["variant"]));

    view! {
        <div class="serve" data-pointer=move || pointer.get()>
            <div class="radios" role="radiogroup" aria-label="What to serve">
                {allow_none.then(|| radio(ServeMode::None, "nothing"))}
                {radio(ServeMode::Variant, "a variant")}
                {radio(ServeMode::Rollout, "a percentage rollout")}
            </div>
            <FieldProblems problems pointer/>
            <Show when=move || mode() == ServeMode::Variant>
                {variant_field(
                    variant_id.clone(),
                    "Variant",
                    variant_pointer,
                    Signal::derive(move || serve.with(|s| s.variant.clone())),
                    Callback::new(move |v| on_edit.run(ServeEdit::Variant(v))),
                )}
            </Show>
            <Show when=move || mode() == ServeMode::Rollout>
                {rollout_editor(s)}
            </Show>
        </div>
    }
}

/// A percentage rollout: the split drawn, one row per share, a way to add a variant to it,
/// and how contexts are bucketed.
fn rollout_editor(s: Serving) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let problems = edit.problems;
    let serve = s.serve;
    let total = move || serve.with(|s| weights::total(&s.weights()));
    let count = move || serve.with(|s| s.rollout.weights.len());
    let weights_pointer = Signal::derive(move || join(&s.pointer.get(), &["rollout", "weights"]));
    let add_id = move || format!("{}-add", s.prefix.get_value());
    view! {
        <SplitBar serve/>
        <p class="hint">
            "The shares always add up to 100 %; moving one moves the others."
            {move || {
                let total = total();
                (total != weights::DEFAULT_TOTAL).then(|| format!(" Stored as weights out of {total}."))
            }}
        </p>
        <FieldProblems problems pointer=weights_pointer/>
        <ol class="weights">
            <Rows keys=indices(count) row=Callback::new(move |i: usize| view! { {weight_row(
                s,
                i,
            )} }.into_any())/>
        </ol>
        <Show when=move || edit.can_edit.get()>
            <div class="row">
                <label class="sr-only" for=add_id>"Add a variant to the split"</label>
                <select
                    id=add_id
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if !v.is_empty() {
                            s.on_edit.run(ServeEdit::AddWeight(v));
                        }
                    }
                >
                    <option value="" selected=true>"Add a variant to the split…"</option>
                    {move || {
                        let used: Vec<String> = serve.with(|s| s.rollout.weights.iter().map(|w| w.variant.clone()).collect());
                        s.variants
                            .get()
                            .into_iter()
                            .filter(|v| !used.contains(v))
                            .map(|v| view! { <option value=v.clone()>{v.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
        </Show>
        {bucketing(s)}
    }
}

/// Share `i` of the rollout: its variant, a slider and a number, both in percent.
fn weight_row(s: Serving, i: usize) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let problems = edit.problems;
    let ro = move || !edit.can_edit.get();
    let serve = s.serve;
    let on_edit = s.on_edit;
    let total = move || serve.with(|s| weights::total(&s.weights()));
    let count = move || serve.with(|s| s.rollout.weights.len());
    let shown = move || serve.with(|s| s.percent_text(i));
    let weight = move || serve.with(|s| s.rollout.weights.get(i).map(|w| w.weight).unwrap_or(0));
    let variant = move || {
        serve.with(|s| {
            s.rollout
                .weights
                .get(i)
                .map(|w| w.variant.clone())
                .unwrap_or_default()
        })
    };
    let w_pointer =
        Signal::derive(move || join(&s.pointer.get(), &["rollout", "weights", &i.to_string()]));
    let p = s.prefix.get_value();
    let slider_id = format!("{p}-w{i}-slider");
    let number_id = format!("{p}-w{i}-number");
    let select_id = format!("{p}-w{i}-variant");
    let set = move |text: String| on_edit.run(ServeEdit::Percent(i, text));
    view! {
        <li class="weight-row" data-pointer=move || w_pointer.get() data-weight-variant=variant>
            <label class="sr-only" for=select_id.clone()>{move || format!("Variant of share {}", i + 1)}</label>
            <select
                id=select_id.clone()
                disabled=ro
                on:change=move |ev| on_edit.run(ServeEdit::WeightVariant(i, event_target_value(&ev)))
            >
                {move || variant_options(s.variants.get(), variant())}
            </select>
            <label class="sr-only" for=slider_id.clone()>{move || format!("Share of {} (slider)", variant())}</label>
            <input
                id=slider_id.clone()
                type="range"
                min="0"
                max="100"
                step="1"
                disabled=move || ro() || count() < 2
                prop:value=move || weights::percent_number(weight(), total())
                on:input=move |ev| set(event_target_value(&ev))
            />
            <label class="sr-only" for=number_id.clone()>{move || format!("Share of {} in percent", variant())}</label>
            <input
                id=number_id.clone()
                class="weight-number"
                type="number"
                min="0"
                max="100"
                step="1"
                data-testid="weight"
                data-pointer=move || join(&w_pointer.get(), &["weight"])
                readonly=move || ro() || count() < 2
                aria-describedby=move || field_id(&w_pointer.get())
                aria-invalid=move || invalid(problems, &w_pointer.get(), true).to_string()
                prop:value=shown
                on:change=move |ev| set(event_target_value(&ev))
            />
            <span class="percent" title=move || format!("weight {} of {}", weight(), total())>"%"</span>
            {remove_button(
                Signal::derive(move || format!("Remove {} from the split", variant())),
                Signal::derive(move || ro() || count() < 2),
                format!("{p}-add"),
                Callback::new(move |_| on_edit.run(ServeEdit::RemoveWeight(i))),
            )}
            <FieldProblems problems pointer=w_pointer under=true/>
        </li>
    }
}

/// Which attribute a context is bucketed by, and the salt of the hash.
fn bucketing(s: Serving) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let ro = move || !edit.can_edit.get();
    let serve = s.serve;
    let on_edit = s.on_edit;
    let p = s.prefix.get_value();
    let bucket_id = format!("{p}-bucket");
    let salt_id = format!("{p}-salt");
    view! {
        <details class="advanced">
            <summary>"Bucketing"</summary>
            <div class="grid two">
                <div class="field">
                    <label for=bucket_id.clone()>"Bucket by attribute"</label>
                    <input
                        id=bucket_id.clone()
                        type="text"
                        list="attributes"
                        placeholder="targetingKey"
                        readonly=ro
                        prop:value=move || serve.with(|s| s.rollout.bucket_by.clone())
                        on:input=move |ev| on_edit.run(ServeEdit::BucketBy(event_target_value(&ev)))
                    />
                </div>
                <div class="field">
                    <label for=salt_id.clone()>"Salt"</label>
                    <input
                        id=salt_id.clone()
                        type="text"
                        placeholder=move || edit.key.get()
                        readonly=ro
                        prop:value=move || serve.with(|s| s.rollout.salt.clone())
                        on:input=move |ev| on_edit.run(ServeEdit::Salt(event_target_value(&ev)))
                    />
                    <p class="hint">"Changing the salt reshuffles everyone: leave it empty to use the flag key."</p>
                </div>
            </div>
        </details>
    }
}
