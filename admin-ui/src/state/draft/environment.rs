//! One environment of a flag: its switch, off variant, targets, rules, default serve and
//! schedule. An environment the flag has no settings for stays absent until it is edited.

use std::collections::BTreeMap;

use burgee_core::model::{Environment, Extra, ScheduleStep};

use super::{RuleDraft, ServeDraft, StepDraft, TargetDraft, rename};
use crate::state::fields::{Problem, pointer};
use crate::state::values::optional;

#[derive(Clone, Debug, PartialEq)]
pub struct EnvDraft {
    pub name: String,
    /// Whether the flag has settings for this environment (an edit adds them).
    pub present: bool,
    pub enabled: bool,
    pub(super) enabled_written: bool,
    /// Empty: no off variant.
    pub off_variant: String,
    pub targets: Vec<TargetDraft>,
    pub rules: Vec<RuleDraft>,
    pub default_serve: ServeDraft,
    pub schedule: Vec<StepDraft>,
    pub(super) extra: Extra,
}

impl EnvDraft {
    pub(super) fn from_model(name: &str, env: Option<&Environment>) -> EnvDraft {
        let empty = Environment::default();
        let e = env.unwrap_or(&empty);
        EnvDraft {
            name: name.into(),
            present: env.is_some(),
            enabled: e.is_enabled(),
            enabled_written: e.enabled.is_some(),
            off_variant: e.off_variant.clone().unwrap_or_default(),
            targets: e.targets.iter().map(TargetDraft::from_model).collect(),
            rules: e.rules.iter().map(RuleDraft::from_model).collect(),
            default_serve: ServeDraft::from_model(e.default_serve.as_ref()),
            schedule: e
                .schedule
                .iter()
                .map(|s| StepDraft {
                    at: s.at.clone(),
                    serve: ServeDraft::from_model(Some(&s.default_serve)),
                    extra: s.extra.clone(),
                })
                .collect(),
            extra: e.extra.clone(),
        }
    }

    pub(super) fn to_model(&self) -> Environment {
        Environment {
            enabled: (self.enabled || self.enabled_written).then_some(self.enabled),
            off_variant: optional(&self.off_variant),
            targets: self.targets.iter().map(TargetDraft::to_model).collect(),
            rules: self.rules.iter().map(RuleDraft::to_model).collect(),
            default_serve: self.default_serve.to_model(),
            schedule: self
                .schedule
                .iter()
                .map(|s| ScheduleStep {
                    at: s.at.clone(),
                    default_serve: s.serve.to_required(),
                    extra: s.extra.clone(),
                })
                .collect(),
            extra: self.extra.clone(),
        }
    }

    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.enabled_written = true;
    }

    pub fn add_rule(&mut self, variant: &str) {
        self.rules.push(RuleDraft::new(variant));
    }

    pub fn add_target(&mut self, attribute: &str, variant: &str) {
        self.targets.push(TargetDraft {
            attribute: attribute.into(),
            values: String::new(),
            variant: variant.into(),
            extra: Extra::new(),
        });
    }

    /// What this environment does, in a few words, for the flag list and summaries.
    pub fn summary(&self) -> String {
        if !self.enabled {
            return if self.off_variant.is_empty() {
                "off".into()
            } else {
                format!("off: serves {}", self.off_variant)
            };
        }
        let mut parts = Vec::new();
        if !self.targets.is_empty() {
            parts.push(format!("{} target list(s)", self.targets.len()));
        }
        if !self.rules.is_empty() {
            parts.push(format!("{} rule(s)", self.rules.len()));
        }
        if !self.schedule.is_empty() {
            parts.push(format!("{} scheduled step(s)", self.schedule.len()));
        }
        parts.push(format!("default {}", self.default_serve.summary()));
        parts.join(", ")
    }

    /// Re-points references to renamed variants (`old key → new key`, all at once).
    pub(super) fn rename_variants(&mut self, renames: &BTreeMap<String, String>) {
        rename(&mut self.off_variant, renames);
        for t in &mut self.targets {
            rename(&mut t.variant, renames);
        }
        for r in &mut self.rules {
            r.serve.rename_variants(renames);
        }
        self.default_serve.rename_variants(renames);
        for s in &mut self.schedule {
            s.serve.rename_variants(renames);
        }
    }

    /// The editor's own problems with this environment (at `at`).
    pub(super) fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        for (i, r) in self.rules.iter().enumerate() {
            r.serve
                .problems(&pointer(at, &["rules", &i.to_string(), "serve"]), out);
        }
        self.default_serve
            .problems(&pointer(at, &["defaultServe"]), out);
        for (i, s) in self.schedule.iter().enumerate() {
            s.serve.problems(
                &pointer(at, &["schedule", &i.to_string(), "defaultServe"]),
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::FlagDraft;
    use super::super::fixtures::*;
    use burgee_core::model::Flag;
    use serde_json::json;

    #[test]
    fn untouched_environments_stay_absent() {
        let flag: Flag =
            serde_json::from_value(json!({"kind": "boolean", "variants": {"on": true}})).unwrap();
        let mut draft = FlagDraft::from_flag("f", &flag, &envs());
        assert_eq!(draft.to_flag().0.environments.len(), 0);
        draft.env_mut("staging").unwrap().set_enabled(false);
        let (back, _) = draft.to_flag();
        assert_eq!(
            serde_json::to_value(&back.environments).unwrap(),
            json!({"staging": {"enabled": false}})
        );
    }
}
