//! The flag as a whole: made new, loaded from the store, and built back into the wire model.

use std::collections::BTreeMap;

use burgee_core::Code;
use burgee_core::model::{self, Extra, Flag, Kind, Prerequisite};

use super::{EnvDraft, LifecycleDraft, MetadataDraft, ServeDraft, VariantDraft};
use crate::state::fields::{Problem, Problems, flag_pointer, key_pointer, pointer};
use crate::state::values::{convert_variant, format_variant, optional, parse_variant, zero_value};

#[derive(Clone, Debug, PartialEq)]
pub struct PrereqDraft {
    pub flag: String,
    pub variant: String,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlagDraft {
    pub key: String,
    pub is_new: bool,
    pub name: String,
    pub description: String,
    /// Comma-separated.
    pub tags: String,
    pub kind: Kind,
    pub client_side: bool,
    pub variants: Vec<VariantDraft>,
    pub prerequisites: Vec<PrereqDraft>,
    pub environments: Vec<EnvDraft>,
    /// Lifecycle, expected lifetime and experiment events.
    pub life: LifecycleDraft,
    /// Owner, ticket and notes.
    pub metadata: MetadataDraft,
    /// The flag as loaded: what the editor does not show is written back from here.
    base: Flag,
}

impl FlagDraft {
    /// A new flag: off everywhere, serving its first variant once switched on.
    pub fn new_flag(key: &str, kind: Kind, environments: &[String]) -> FlagDraft {
        let variants: Vec<(&str, &str)> = match kind {
            Kind::Boolean => vec![("on", "true"), ("off", "false")],
            Kind::String => vec![("control", "control"), ("treatment", "treatment")],
            Kind::Number => vec![("control", "0"), ("treatment", "1")],
            Kind::Json | Kind::Unknown(_) => vec![("control", "{}"), ("treatment", "{}")],
        };
        let (first, second) = (variants[0].0, variants[1].0);
        FlagDraft {
            key: key.into(),
            is_new: true,
            name: String::new(),
            description: String::new(),
            tags: String::new(),
            kind,
            client_side: false,
            variants: variants
                .iter()
                .map(|(n, t)| VariantDraft::new(n, (*t).into(), false))
                .collect(),
            prerequisites: Vec::new(),
            environments: environments
                .iter()
                .map(|e| EnvDraft {
                    present: true,
                    enabled_written: true,
                    off_variant: second.into(),
                    default_serve: ServeDraft::variant(first),
                    ..EnvDraft::from_model(e, None)
                })
                .collect(),
            life: LifecycleDraft::default(),
            metadata: MetadataDraft::default(),
            base: Flag::default(),
        }
    }

    /// The editor's state for a saved flag. Environments follow the document's order; settings
    /// for environments the document does not list come last (the validator reports them).
    pub fn from_flag(key: &str, flag: &Flag, environments: &[String]) -> FlagDraft {
        let mut envs: Vec<EnvDraft> = environments
            .iter()
            .map(|e| EnvDraft::from_model(e, flag.environments.get(e)))
            .collect();
        for (name, env) in &flag.environments {
            if !environments.contains(name) {
                envs.push(EnvDraft::from_model(name, Some(env)));
            }
        }
        FlagDraft {
            key: key.into(),
            is_new: false,
            name: flag.name.clone().unwrap_or_default(),
            description: flag.description.clone().unwrap_or_default(),
            tags: flag.tags.join(", "),
            kind: flag.kind.clone(),
            client_side: flag.is_client_side(),
            variants: flag
                .variants
                .iter()
                .map(|(name, value)| {
                    VariantDraft::new(name, format_variant(&flag.kind, value), true)
                })
                .collect(),
            prerequisites: flag
                .prerequisites
                .iter()
                .map(|p| PrereqDraft {
                    flag: p.flag.clone(),
                    variant: p.variant.clone(),
                    extra: p.extra.clone(),
                })
                .collect(),
            environments: envs,
            life: LifecycleDraft::from_flag(flag),
            metadata: MetadataDraft::from_model(flag.metadata.as_ref()),
            base: flag.clone(),
        }
    }

    pub fn pointer(&self) -> String {
        flag_pointer(&self.key)
    }

    /// The pointer of a field of this flag: `draft.at(&["environments", "production"])`.
    pub fn at(&self, tokens: &[&str]) -> String {
        pointer(&self.pointer(), tokens)
    }

    /// The wire model, and the problems only the editor can see: names that cannot be names
    /// yet, values that are not of the flag's kind, percentages that are not. Those are errors,
    /// so the draft cannot be saved; meanwhile the model keeps every variant under its key (a
    /// value that does not parse as its kind's zero value), so that what refers to it stays
    /// valid and the core reports nothing that is not wrong.
    pub fn to_flag(&self) -> (Flag, Problems) {
        let mut problems = Vec::new();
        let mut variants = BTreeMap::new();
        for (i, v) in self.variants.iter().enumerate() {
            let at = self.at(&["variants", &v.key]);
            if let Some((code, message)) = self.name_problem(i) {
                problems.push(Problem::error(key_pointer(&at), code, message));
            }
            let value = parse_variant(&self.kind, &v.text).unwrap_or_else(|message| {
                problems.push(Problem::error(at, Code::InvalidValue.as_str(), message));
                zero_value(&self.kind)
            });
            variants.insert(v.key.clone(), value);
        }
        for e in self.environments.iter().filter(|e| e.present) {
            e.problems(&self.at(&["environments", &e.name]), &mut problems);
        }
        let mut flag = self.base.clone();
        flag.name = optional(&self.name);
        flag.description = optional(&self.description);
        // Comma-separated, each tag once (in the order first written).
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags.split(',').map(str::trim) {
            if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        }
        flag.tags = tags;
        flag.kind = self.kind.clone();
        flag.client_side = if self.client_side || self.base.client_side.is_some() {
            Some(self.client_side)
        } else {
            None
        };
        flag.variants = variants;
        flag.prerequisites = self
            .prerequisites
            .iter()
            .map(|p| Prerequisite {
                flag: p.flag.clone(),
                variant: p.variant.clone(),
                extra: p.extra.clone(),
            })
            .collect();
        // Inserted one by one: `collect` into a map would compile a sort for this type.
        flag.environments.clear();
        for e in self.environments.iter().filter(|e| e.present) {
            flag.environments.insert(e.name.clone(), e.to_model());
        }
        self.life.apply(&mut flag, &self.pointer(), &mut problems);
        flag.metadata = self.metadata.to_model(&self.pointer(), &mut problems);
        (flag, Problems::new(problems))
    }

    pub fn env(&self, name: &str) -> Option<&EnvDraft> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// An environment to change; changing it gives the flag settings there.
    pub fn env_mut(&mut self, name: &str) -> Option<&mut EnvDraft> {
        let env = self.environments.iter_mut().find(|e| e.name == name)?;
        env.present = true;
        Some(env)
    }

    /// Changes the kind, converting each value that converts (see [`convert_variant`]); one
    /// that does not keeps its text and shows the error at its input.
    pub fn set_kind(&mut self, kind: Kind) {
        for v in &mut self.variants {
            v.text = convert_variant(&self.kind, &kind, &v.text);
        }
        self.kind = kind;
    }

    pub fn add_prerequisite(&mut self, flag: &str, variant: &str) {
        self.prerequisites.push(PrereqDraft {
            flag: flag.into(),
            variant: variant.into(),
            extra: Extra::new(),
        });
    }

    pub fn prerequisite_keys(&self) -> Vec<String> {
        self.prerequisites.iter().map(|p| p.flag.clone()).collect()
    }
}

/// Every kind a flag may have.
pub fn kinds() -> Vec<Kind> {
    model::Kind::NAMES
        .iter()
        .map(|n| Kind::from_name(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn every_example_flag_round_trips_unchanged() {
        let doc = example();
        for (key, flag) in &doc.flags {
            let draft = FlagDraft::from_flag(key, flag, &doc.environments);
            let (back, problems) = draft.to_flag();
            assert!(problems.is_empty(), "{key}: {problems:?}");
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(flag).unwrap(),
                "{key}"
            );
        }
    }

    #[test]
    fn tags_are_kept_once_each_in_the_order_written() {
        let mut draft = FlagDraft::new_flag("t", Kind::Boolean, &envs());
        draft.tags = "ai, ai,Tasks, , tasks,ai".into();
        assert_eq!(draft.to_flag().0.tags, ["ai", "Tasks", "tasks"]);
    }

    #[test]
    fn unknown_fields_and_explicit_defaults_survive() {
        let flag: Flag = serde_json::from_value(json!({
            "kind": "boolean", "owner": "team-x", "clientSide": false,
            "variants": {"on": true, "off": false},
            "metadata": {"jira": "T-1"},
            "environments": {"production": {"enabled": false, "x-note": 1,
                "targets": [{"attribute": "targetingKey", "values": ["u1"], "variant": "on"}],
                "rules": [{"clauses": [{"op": "in", "attribute": "a", "values": ["x"], "x": 2},
                                       {"op": "in", "attribute": "b", "values": ["y"], "negate": false}],
                           "serve": {"variant": "on"}}]}}
        }))
        .unwrap();
        let draft = FlagDraft::from_flag("f", &flag, &envs());
        let (back, _) = draft.to_flag();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&flag).unwrap()
        );
    }

    #[test]
    fn a_new_flag_is_valid_and_off() {
        for kind in kinds() {
            let draft = FlagDraft::new_flag("new-one", kind.clone(), &envs());
            let (flag, problems) = draft.to_flag();
            assert!(problems.is_empty());
            let mut doc = model::Document {
                environments: envs(),
                ..Default::default()
            };
            doc.flags.insert("new-one".into(), flag);
            let errors: Vec<_> = burgee_core::validate(&doc)
                .into_iter()
                .filter(|d| d.is_error())
                .collect();
            assert!(errors.is_empty(), "{kind:?}: {errors:?}");
        }
    }

    #[test]
    fn kind_changes_keep_what_fits() {
        let mut draft = FlagDraft::new_flag("f", Kind::Number, &envs());
        draft.set_kind(Kind::String);
        assert_eq!(draft.variants[0].text, "0");
        let (flag, _) = draft.to_flag();
        assert_eq!(flag.variants["control"], json!("0"));
        draft.set_kind(Kind::Json);
        assert_eq!(draft.variants[0].text, "0");
    }

    /// The draft's kind changed along `kinds`, and the errors the editor would show.
    fn through_kinds(key: &str, kinds: &[Kind]) -> (Flag, Vec<Problem>) {
        let doc = example();
        let mut draft = FlagDraft::from_flag(key, &doc.flags[key], &doc.environments);
        for k in kinds {
            draft.set_kind(k.clone());
        }
        (draft.to_flag().0, errors(&doc, &draft))
    }

    #[test]
    fn kind_round_trips_are_lossless() {
        use Kind::*;
        let (flag, errs) = through_kinds("daily-planning", &[String, Boolean]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            serde_json::to_value(&flag.variants).unwrap(),
            json!({"on": true, "off": false})
        );
        let (flag, errs) = through_kinds("max-upload-mb", &[String, Number]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(flag.variants["enterprise"], json!(500));
        let (flag, errs) = through_kinds("max-upload-mb", &[String]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(flag.variants["enterprise"], json!("500"));
        let (flag, errs) =
            through_kinds("daily-planning", &[String, Number, Json, Boolean, String]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            serde_json::to_value(&flag.variants).unwrap(),
            json!({"on": "true", "off": "false"})
        );
        let (flag, errs) = through_kinds("onboarding-config", &[String, Json]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(flag, example().flags["onboarding-config"]);
    }

    #[test]
    fn a_value_that_cannot_convert_is_an_error_at_that_value_only() {
        // Colours are neither true nor false.
        let (flag, errs) = through_kinds("checkout-button-color", &[Kind::Boolean]);
        assert_eq!(errs.len(), 3, "one per variant, nothing else: {errs:?}");
        for (p, name) in errs.iter().zip(["blue", "green", "orange"]) {
            assert_eq!(
                p.pointer,
                format!("/flags/checkout-button-color/variants/{name}")
            );
            assert!(p.is(Code::InvalidValue));
        }
        assert_eq!(flag.variants.len(), 3, "the variants are still there");
        // Going back restores them.
        let (flag, errs) = through_kinds("checkout-button-color", &[Kind::Boolean, Kind::String]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(flag, example().flags["checkout-button-color"]);
    }
}
