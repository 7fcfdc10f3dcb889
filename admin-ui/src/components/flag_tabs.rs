//! The flag editor's tabs: Settings, one per environment, the change preview and (a stored
//! flag) the environments compared, its metrics, the audit log and code that reads it. A WAI-ARIA tab list: the arrows move between tabs, Home and End go to
//! the ends, and only the selected tab is in the Tab order. The tab on screen is in the address
//! (`#/flags/x/env/production`), replaced rather than pushed, so a reload or a shared link opens
//! it again and Back leaves the flag.

use leptos::prelude::*;

use crate::context::Nav;
use crate::lens::FlagEdit;
use crate::state::catalog;
use crate::state::fields::{is_within, pointer};
use crate::state::route::Route;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tab {
    Settings,
    Env(String),
    Preview,
    /// Two environments side by side, and copying one over the other.
    Compare,
    Metrics,
    Audit,
    /// Code that reads the flag (npm, OpenFeature, REST).
    Code,
}

impl Tab {
    /// The tab's part of the address, after the flag's key (see `Route::part`).
    fn part(&self) -> Vec<&str> {
        match self {
            Tab::Settings => vec![],
            Tab::Env(e) => vec!["env", e],
            Tab::Preview => vec!["preview"],
            Tab::Compare => vec!["compare"],
            Tab::Metrics => vec!["metrics"],
            Tab::Audit => vec!["audit"],
            Tab::Code => vec!["code"],
        }
    }
}

/// One flag's tabs in order, and the one on screen.
#[derive(Clone, Copy, Debug)]
pub struct Tabs {
    pub selected: RwSignal<Tab>,
    order: StoredValue<Vec<Tab>>,
}

impl Tabs {
    /// The tabs of a flag with settings for `envs` (the draft's environments, in its order).
    pub fn new(envs: Vec<String>, is_new: bool) -> Tabs {
        let order = std::iter::once(Tab::Settings)
            .chain(envs.into_iter().map(Tab::Env))
            .chain(std::iter::once(Tab::Preview))
            .chain((!is_new).then_some(Tab::Compare))
            .chain((!is_new).then_some(Tab::Metrics))
            .chain((!is_new).then_some(Tab::Audit))
            .chain((!is_new).then_some(Tab::Code))
            .collect();
        Tabs {
            selected: RwSignal::new(Tab::Settings),
            order: StoredValue::new(order),
        }
    }

    /// The environments that have a tab, in order.
    fn envs(&self) -> Vec<String> {
        self.order.with_value(|o| {
            o.iter()
                .filter_map(|t| match t {
                    Tab::Env(e) => Some(e.clone()),
                    _ => None,
                })
                .collect()
        })
    }

    /// The tab's button's id (`editor-tab-2`), which also names the tab for [`crate::context::Keep`].
    pub fn id(&self, tab: &Tab) -> String {
        let n = self
            .order
            .with_value(|o| o.iter().position(|x| x == tab).unwrap_or(0));
        format!("editor-tab-{n}")
    }

    /// The id of the tab on screen (not tracked).
    pub fn selected_id(&self) -> String {
        self.selected.with_untracked(|t| self.id(t))
    }

    /// The tab with this button id.
    pub fn with_id(&self, id: &str) -> Option<Tab> {
        self.order
            .with_value(|o| o.iter().find(|t| self.id(t) == id).cloned())
    }

    /// The tab an address names: Settings when it names none, or one this flag has not got.
    pub fn named(&self, hash: &str) -> Tab {
        let part = Route::part(hash).unwrap_or_default();
        self.order
            .with_value(|o| o.iter().find(|t| t.part() == part).cloned())
            .unwrap_or(Tab::Settings)
    }

    /// Shows the tab that holds the field at `at`, a pointer into the flag at `flag`.
    pub fn show_field(&self, flag: &str, at: &str) {
        let envs_base = pointer(flag, &["environments"]);
        let env = at
            .strip_prefix(&envs_base)
            .and_then(|rest| rest.split('/').nth(1))
            .map(String::from);
        match env {
            Some(e) if is_within(at, &pointer(&envs_base, &[&e])) => self.selected.set(Tab::Env(e)),
            _ => self.selected.set(Tab::Settings),
        }
    }

    /// Keeps the address and the tab on screen in step, for the stored flag at `route`.
    pub fn follow_address(self, route: Route) {
        #[cfg(target_arch = "wasm32")]
        {
            // The address changed to another tab of this flag (typed, or Back within it).
            let route = route.clone();
            let listener = window_event_listener_untyped("hashchange", move |_| {
                let hash = Nav::hash();
                let t = self.named(&hash);
                if Route::parse(&hash) == route && self.selected.with_untracked(|x| *x != t) {
                    self.selected.set(t);
                }
            });
            on_cleanup(move || listener.remove());
        }
        Effect::new(move |_| {
            let href = self.selected.with(|t| route.href_with(&t.part()));
            if Route::parse(&Nav::hash()) == route {
                Nav::replace(&href);
            }
        });
    }

    fn on_key(self, ev: leptos::ev::KeyboardEvent) {
        let n = self.order.with_value(Vec::len);
        let here = self.order.with_value(|o| {
            self.selected
                .with_untracked(|t| o.iter().position(|x| x == t))
        });
        let next = match (ev.key().as_str(), here) {
            ("ArrowRight", Some(i)) => (i + 1) % n,
            ("ArrowLeft", Some(i)) => (i + n - 1) % n,
            ("Home", _) => 0,
            ("End", _) => n.saturating_sub(1),
            _ => return,
        };
        ev.prevent_default();
        if let Some(t) = self.order.with_value(|o| o.get(next).cloned()) {
            self.selected.set(t);
            // The tab buttons stay where they are: focus moves at once.
            super::focus_id(&format!("editor-tab-{next}"));
        }
    }
}

/// The tab buttons, each with the count of errors in its part of the flag.
pub fn tab_list(tabs: Tabs, is_new: bool) -> impl IntoView {
    let edit = expect_context::<FlagEdit>();
    let problems = edit.problems;
    let settings_badge = Signal::derive(move || {
        let envs = edit.at(&["environments"]);
        problems.with(|p| {
            p.all()
                .iter()
                .filter(|x| x.is_error() && !is_within(&x.pointer, &envs))
                .count()
        })
    });
    let env_tabs = tabs
        .envs()
        .into_iter()
        .map(|e| {
            let env = e.clone();
            let badge = Signal::derive(move || {
                let p = edit.at(&["environments", &env]);
                problems.with(|all| all.errors_under(&p))
            });
            let label = if catalog::is_production(&e) {
                format!("{e} ⚑")
            } else {
                e.clone()
            };
            view! { {tab_button(tabs, Tab::Env(e.clone()), label, Some(badge), Some(e))} }
        })
        .collect_view();
    view! {
        <div class="tabs" role="tablist" aria-label="Parts of the flag" on:keydown=move |ev| tabs.on_key(ev)>
            {tab_button(tabs, Tab::Settings, "Settings".into(), Some(settings_badge), None)}
            {env_tabs}
            {tab_button(tabs, Tab::Preview, "Preview change".into(), None, None)}
            {(!is_new).then(|| view! { {tab_button(tabs, Tab::Compare, "Compare environments".into(), None, None)} })}
            {(!is_new).then(|| view! { {tab_button(tabs, Tab::Metrics, "Metrics".into(), None, None)} })}
            {(!is_new).then(|| view! { {tab_button(
                tabs,
                Tab::Audit,
                "Audit log".into(),
                None,
                None)} },
            )}
            {(!is_new).then(|| view! { {tab_button(tabs, Tab::Code, "Use in code".into(), None, None)} })}
        </div>
    }
}

fn tab_button(
    tabs: Tabs,
    tab: Tab,
    label: String,
    // Errors in the tab's part of the flag.
    badge: Option<Signal<usize>>,
    // The environment of an environment's tab.
    env: Option<String>,
) -> impl IntoView {
    let id = tabs.id(&tab);
    let selected = Memo::new({
        let tab = tab.clone();
        move |_| tabs.selected.with(|x| *x == tab)
    });
    let badge = badge.unwrap_or_else(|| Signal::stored(0));
    view! {
        <button
            type="button"
            role="tab"
            class="tab"
            id=id
            aria-selected=move || selected.get().to_string()
            tabindex=move || if selected.get() { "0" } else { "-1" }
            data-env=env
            on:click=move |_| tabs.selected.set(tab.clone())
        >
            {label}
            <Show when=move || { badge.get() > 0 }>
                <span class="badge error" aria-label="errors">{move || badge.get()}</span>
            </Show>
        </button>
    }
}
