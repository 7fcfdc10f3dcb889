//! One flag: its kind, variants and prerequisites hold in every environment, so they are checked
//! whichever environment compiles; only the settings of the one being compiled are.

use alloc::format;
use alloc::vec::Vec;

use super::{Compiler, FlagScope, describe, list};
use crate::diagnostic::{Code, Severity};
use crate::hash::hash_str;
use crate::key::{event_name_problem, valid_event_name};
use crate::model;
use crate::pointer::Path;
use crate::snapshot::{Body, FlagEntry, Kind, Prerequisite, Settings, Variant};

impl<'d> Compiler<'d> {
    // Its parts stay out of line too (`variants`, `prerequisites`, `settings`): see `run`.
    #[inline(never)]
    pub(super) fn flag(
        &mut self,
        flag: &'d model::Flag,
        scope: &mut FlagScope<'d>,
        environment: Option<&'d str>,
    ) -> FlagEntry {
        let key = scope.key;
        let root = Path::ROOT;
        let flags_at = root.key("flags");
        let at = flags_at.key(key);
        self.check_key("flag key", key, &at);
        let kind = self.kind(flag, scope, &at.key("kind"));
        let variants = self.variants(flag, kind, scope, &at.key("variants"));
        let prerequisites = self.prerequisites(flag, scope, &at.key("prerequisites"));
        self.lifecycle(flag, &at);
        self.experiment(flag, &at.key("experiment").key("events"));

        let envs_at = at.key("environments");
        self.unknown_environments(flag, &envs_at);
        let settings = match environment.and_then(|e| flag.environments.get(e).map(|s| (e, s))) {
            Some((env, settings)) => {
                self.settings(settings, scope, prerequisites, &envs_at.key(env))
            }
            None => Settings {
                enabled: false,
                off: None,
                prerequisites,
                targets: Vec::new(),
                rules: Vec::new(),
                default: None,
                schedule: Vec::new(),
            },
        };
        let body = match scope.broken.take() {
            Some(why) => Body::Broken(why.into()),
            None => Body::Live(settings),
        };
        FlagEntry {
            key: key.into(),
            hash: hash_str(key),
            kind,
            variants,
            body,
        }
    }

    fn kind(
        &mut self,
        flag: &model::Flag,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<Kind> {
        match &flag.kind {
            model::Kind::Boolean => Some(Kind::Boolean),
            model::Kind::String => Some(Kind::String),
            model::Kind::Number => Some(Kind::Number),
            model::Kind::Json => Some(Kind::Json),
            model::Kind::Unknown(name) => {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidKind,
                    at,
                    format!(
                        "unknown kind `{name}`; a flag's kind is one of {}",
                        list(model::Kind::NAMES.iter())
                    ),
                );
                None
            }
        }
    }

    /// The variants in name order, each value checked against the flag's kind.
    #[inline(never)]
    fn variants(
        &mut self,
        flag: &model::Flag,
        kind: Option<Kind>,
        scope: &mut FlagScope<'d>,
        variants_at: &Path<'_>,
    ) -> Vec<Variant> {
        if flag.variants.is_empty() {
            self.fatal(
                &mut scope.broken,
                Code::NoVariants,
                variants_at,
                "a flag needs at least one variant".into(),
            );
        }
        let mut variants = Vec::with_capacity(flag.variants.len());
        for (name, value) in &flag.variants {
            let v_at = variants_at.key(name);
            self.check_key("variant name", name, &v_at);
            let fits = match kind {
                Some(Kind::Boolean) => value.is_boolean(),
                Some(Kind::String) => value.is_string(),
                Some(Kind::Number) => value.is_number(),
                Some(Kind::Json) | None => true,
            };
            if !fits {
                let kind_name = kind.map_or("?", Kind::as_str);
                self.fatal(
                    &mut scope.broken,
                    Code::WrongKind,
                    &v_at,
                    format!(
                        "variant `{name}` is {}, but this is a {kind_name} flag",
                        describe(value)
                    ),
                );
            }
            variants.push(Variant {
                name: name.as_str().into(),
                json: serde_json::to_string(value)
                    .unwrap_or_else(|_| "null".into())
                    .into(),
            });
        }
        variants
    }

    /// The prerequisites that name a flag and one of its variants, as indices.
    #[inline(never)]
    fn prerequisites(
        &mut self,
        flag: &model::Flag,
        scope: &mut FlagScope<'d>,
        prerequisites_at: &Path<'_>,
    ) -> Vec<Prerequisite> {
        let doc = self.doc;
        let key = scope.key;
        let mut prerequisites = Vec::with_capacity(flag.prerequisites.len());
        for (i, p) in flag.prerequisites.iter().enumerate() {
            let p_at = prerequisites_at.index(i);
            if doc.flags.get(&p.flag).is_some_and(model::Flag::is_archived) {
                self.fatal(
                    &mut scope.broken,
                    Code::ArchivedPrerequisite,
                    &p_at.key("flag"),
                    format!(
                        "prerequisite `{}` is archived, so it is in no snapshot; restore it or remove this requirement",
                        p.flag
                    ),
                );
                continue;
            }
            if flag.is_client_side() && doc.flags.get(&p.flag).is_some_and(|r| !r.is_client_side())
            {
                self.fatal(
                    &mut scope.broken,
                    Code::ServerOnlyPrerequisite,
                    &p_at.key("flag"),
                    format!(
                        "`{key}` is client-side but its prerequisite `{}` is not, so browsers could not evaluate it as the edge does; mark `{}` clientSide too",
                        p.flag, p.flag
                    ),
                );
                continue;
            }
            let Ok(index) = self.flag_keys.binary_search(&p.flag.as_str()) else {
                self.fatal(
                    &mut scope.broken,
                    Code::UnknownPrerequisite,
                    &p_at.key("flag"),
                    format!("prerequisite `{}` is not a flag in this document", p.flag),
                );
                continue;
            };
            let variant = match doc.flags.get(&p.flag) {
                Some(required) => match required.variants.keys().position(|k| *k == p.variant) {
                    Some(v) => v as u32,
                    None => {
                        self.fatal(
                            &mut scope.broken,
                            Code::UnknownVariant,
                            &p_at.key("variant"),
                            format!(
                                "`{}` has no variant `{}`; its variants are {}",
                                p.flag,
                                p.variant,
                                list(required.variants.keys())
                            ),
                        );
                        continue;
                    }
                },
                // The prerequisite could not be read: its own diagnostic says why, and the
                // requirement can never hold.
                None => u32::MAX,
            };
            prerequisites.push(Prerequisite {
                flag: index as u32,
                variant,
            });
        }
        prerequisites
    }

    /// The lifecycle and lifetime feed stale-flag rules only, so their errors break nothing.
    fn lifecycle(&mut self, flag: &model::Flag, at: &Path<'_>) {
        if let Some(model::Lifecycle::Unknown(name)) = &flag.lifecycle {
            self.report(
                Severity::Error,
                Code::InvalidLifecycle,
                &at.key("lifecycle"),
                format!(
                    "unknown lifecycle `{name}`; a flag's lifecycle is one of {}",
                    list(model::Lifecycle::NAMES.iter())
                ),
            );
        }
        if flag.expected_lifetime_days == Some(0) {
            self.report(
                Severity::Error,
                Code::InvalidLifecycle,
                &at.key("expectedLifetimeDays"),
                "`expectedLifetimeDays` is a whole number of days, at least 1".into(),
            );
        }
    }

    /// Event names only label the experiment readout, so their errors break nothing.
    fn experiment(&mut self, flag: &model::Flag, events_at: &Path<'_>) {
        let events = flag.experiment_events();
        for (i, name) in events.iter().enumerate() {
            let e_at = events_at.index(i);
            if !valid_event_name(name) {
                self.report(
                    Severity::Error,
                    Code::InvalidEvent,
                    &e_at,
                    event_name_problem(name),
                );
            } else if events.iter().take(i).any(|e| e == name) {
                self.report(
                    Severity::Error,
                    Code::DuplicateEvent,
                    &e_at,
                    format!("event `{name}` is listed twice"),
                );
            }
        }
    }

    /// Settings for an environment the document does not have are an error: they would never
    /// be used, and the name is likely a typo.
    fn unknown_environments(&mut self, flag: &model::Flag, envs_at: &Path<'_>) {
        let doc = self.doc;
        for env in flag.environments.keys() {
            if !doc.environments.iter().any(|e| e == env) {
                self.report(
                    Severity::Error,
                    Code::UnknownEnvironment,
                    &envs_at.key(env),
                    format!(
                        "`{env}` is not one of the document's environments ({}), so these settings are never used",
                        list(doc.environments.iter())
                    ),
                );
            }
        }
    }
}
