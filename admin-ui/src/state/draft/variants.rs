//! A flag's variants: values typed in the flag's kind, and names that the rest of the flag
//! refers to (see the module above for why a variant has a key apart from its typed name).

use std::collections::BTreeMap;

use burgee_core::Code;
use burgee_core::key::key_problem;
use burgee_core::model::Document;

use super::FlagDraft;
use crate::state::fields::{
    DUPLICATE_VARIANT, MISSING_KEY, Problem, Problems, flag_pointer, key_pointer, pointer,
};
use crate::state::values::{format_variant, zero_value};

#[derive(Clone, Debug, PartialEq)]
pub struct VariantDraft {
    /// The name as typed (change it with [`FlagDraft::rename_variant`]).
    pub name: String,
    /// The value as typed: bare text for string flags, JSON otherwise.
    pub text: String,
    /// The name the rest of the draft calls this variant (off variants, targets, serves, the
    /// model and its pointers): the typed name whenever that is usable, else the last usable
    /// one. Unique among the flag's variants.
    pub(super) key: String,
    /// The name in the stored flag, which other flags' prerequisites use (`None`: new).
    saved: Option<String>,
}

impl VariantDraft {
    pub(super) fn new(name: &str, text: String, saved: bool) -> VariantDraft {
        VariantDraft {
            name: name.into(),
            text,
            key: name.into(),
            saved: saved.then(|| name.into()),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl FlagDraft {
    /// The pointer of variant `i`'s value (its name's is [`key_pointer`] of it).
    pub fn variant_pointer(&self, i: usize) -> String {
        let key = self
            .variants
            .get(i)
            .map(|v| v.key.as_str())
            .unwrap_or_default();
        self.at(&["variants", key])
    }

    /// The names the rest of the flag can use: each variant's key, in order.
    pub fn variant_names(&self) -> Vec<String> {
        self.variants
            .iter()
            .filter(|v| !v.key.is_empty())
            .map(|v| v.key.clone())
            .collect()
    }

    /// The variant that turns the flag on, which new rules, new target lists and the
    /// progressive rollout serve unless told otherwise: the one whose value is `true`, else
    /// the first that is neither `off_variant` (the environment's) nor named `off` (else the
    /// first). Variants are kept in name order, so "the first" alone would often be `off`.
    pub fn on_variant(&self, off_variant: &str) -> String {
        let names = self.variant_names();
        let is_true = |v: &&VariantDraft| {
            self.kind == burgee_core::model::Kind::Boolean && v.text.trim() == "true"
        };
        self.variants
            .iter()
            .filter(|v| !v.key.is_empty())
            .find(is_true)
            .map(|v| v.key.clone())
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.as_str() != off_variant && n.as_str() != "off")
                    .cloned()
            })
            .or_else(|| names.first().cloned())
            .unwrap_or_default()
    }

    /// Adds a variant with an unused name; returns its index.
    pub fn add_variant(&mut self) -> usize {
        let mut n = self.variants.len() + 1;
        let name = loop {
            let candidate = format!("variant-{n}");
            if !self
                .variants
                .iter()
                .any(|v| v.name == candidate || v.key == candidate)
            {
                break candidate;
            }
            n += 1;
        };
        let text = format_variant(&self.kind, &zero_value(&self.kind));
        self.variants.push(VariantDraft::new(&name, text, false));
        self.variants.len() - 1
    }

    pub fn remove_variant(&mut self, index: usize) {
        super::remove_item(&mut self.variants, index);
    }

    /// Sets the typed name of variant `index`. Every variant whose typed name is usable (not
    /// empty, no other variant's name, and not the key of a variant that keeps it) takes it as
    /// its key, and every reference in this flag (off variants, targets, serves) follows, all
    /// at once: references follow a variant, whatever names it passes through, and names can
    /// be swapped. A name that is not usable is an error at its input (see `to_flag`); the
    /// variant keeps its last usable name meanwhile, so it never takes over another's
    /// references.
    pub fn rename_variant(&mut self, index: usize, to: &str) {
        if let Some(v) = self.variants.get_mut(index) {
            v.name = to.into();
        }
        let usable = |i: usize, v: &VariantDraft| {
            burgee_core::valid_key(&v.name)
                && v.name != v.key
                && !self
                    .variants
                    .iter()
                    .enumerate()
                    .any(|(j, w)| j != i && w.name == v.name)
        };
        let mut moving: Vec<usize> = self
            .variants
            .iter()
            .enumerate()
            .filter(|(i, v)| usable(*i, v))
            .map(|(i, _)| i)
            .collect();
        // A variant that stays keeps its key: a name equal to it must wait.
        loop {
            let before = moving.clone();
            moving.retain(|&i| {
                self.variants.iter().enumerate().all(|(j, w)| {
                    j == i
                        || before.contains(&j)
                        || self.variants.get(i).is_none_or(|v| w.key != v.name)
                })
            });
            if moving.len() == before.len() {
                break;
            }
        }
        let mut renames = BTreeMap::new();
        for &i in &moving {
            if let Some(v) = self.variants.get_mut(i) {
                renames.insert(v.key.clone(), v.name.clone());
                v.key = v.name.clone();
            }
        }
        if !renames.is_empty() {
            for env in &mut self.environments {
                env.rename_variants(&renames);
            }
        }
    }

    /// Why variant `i`'s typed name is not (yet) its name: `(code, message)`.
    pub(super) fn name_problem(&self, i: usize) -> Option<(&'static str, String)> {
        let v = self.variants.get(i)?;
        if v.name.trim().is_empty() {
            return Some((MISSING_KEY, "a variant needs a name".into()));
        }
        if v.name == v.key {
            return None;
        }
        if !burgee_core::valid_key(&v.name) {
            // Not a name the document can hold: references stay on the last good one.
            return Some((
                Code::InvalidKey.as_str(),
                key_problem("a variant's name", &v.name),
            ));
        }
        let others = || self.variants.iter().enumerate().filter(|(j, _)| *j != i);
        if others().any(|(_, w)| w.name == v.name) {
            Some((
                DUPLICATE_VARIANT,
                format!("another variant is called `{}`", v.name),
            ))
        } else if others().any(|(_, w)| w.key == v.name) {
            Some((
                DUPLICATE_VARIANT,
                format!(
                    "`{}` is still another variant's name until that one has a new name",
                    v.name
                ),
            ))
        } else {
            None
        }
    }

    /// What the variants editor shows, each at its input: the problems inside `variants`
    /// (names at their [`key_pointer`]), plus other flags' problems with a prerequisite on one
    /// of these variants, at that variant's name. Renaming (or removing) a variant that other
    /// flags require breaks them; the core reports it at those flags, which are not on this
    /// page.
    pub fn variant_problems(&self, document: &Document, problems: &Problems) -> Problems {
        let mut out = problems.keys_apart(&self.at(&["variants"]));
        for (other, flag) in document.flags.iter().filter(|(k, _)| **k != self.key) {
            for (j, p) in flag.prerequisites.iter().enumerate() {
                let Some(i) = (p.flag == self.key)
                    .then(|| {
                        self.variants
                            .iter()
                            .position(|v| v.saved.as_deref() == Some(p.variant.as_str()))
                    })
                    .flatten()
                else {
                    continue;
                };
                let at = pointer(
                    &flag_pointer(other),
                    &["prerequisites", &j.to_string(), "variant"],
                );
                let name_at = key_pointer(&self.variant_pointer(i));
                let moved: Vec<Problem> = problems
                    .at(&at)
                    .into_iter()
                    .map(|x| Problem {
                        pointer: name_at.clone(),
                        message: format!("`{other}` requires `{}`: {}", p.variant, x.message),
                        ..x
                    })
                    .collect();
                out.extend(moved);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::state::document::DocState;
    use burgee_core::model::{Extra, Flag, Kind, Prerequisite};
    use serde_json::json;

    #[test]
    fn the_on_variant_is_true_or_the_first_that_is_not_off() {
        // A stored boolean flag lists its variants by name: `off` comes first.
        let flag: Flag = serde_json::from_value(
            json!({"kind": "boolean", "variants": {"on": true, "off": false}}),
        )
        .unwrap();
        let draft = FlagDraft::from_flag("f", &flag, &envs());
        assert_eq!(draft.variant_names()[0], "off");
        assert_eq!(draft.on_variant("off"), "on");
        let flag: Flag = serde_json::from_value(
            json!({"kind": "boolean", "variants": {"disabled": false, "enabled": true}}),
        )
        .unwrap();
        let draft = FlagDraft::from_flag("f", &flag, &envs());
        assert_eq!(draft.on_variant(""), "enabled");
        let flag: Flag = serde_json::from_value(
            json!({"kind": "string", "variants": {"control": "a", "off": "x", "treatment": "b"}}),
        )
        .unwrap();
        let draft = FlagDraft::from_flag("f", &flag, &envs());
        assert_eq!(draft.on_variant("control"), "treatment");
        assert_eq!(draft.on_variant(""), "control");
    }

    #[test]
    fn variant_problems_point_at_the_variant() {
        let mut draft = FlagDraft::new_flag("f", Kind::Number, &envs());
        draft.variants[0].text = "abc".into();
        draft.rename_variant(1, "control");
        let (flag, problems) = draft.to_flag();
        // The value's problem is at the value, the name's at the name; both variants stay.
        let value = problems.at("/flags/f/variants/control");
        assert_eq!(value.len(), 1, "{value:?}");
        assert!(value[0].is(Code::InvalidValue));
        let name = problems.at("/flags/f/variants/treatment#key");
        assert_eq!(name.len(), 1, "{name:?}");
        assert_eq!(name[0].message, "another variant is called `control`");
        assert!(problems.at("/flags/f/variants/control#key").is_empty());
        assert_eq!(
            serde_json::to_value(&flag.variants).unwrap(),
            json!({"control": 0, "treatment": 1})
        );
    }

    /// Types `text` into variant `i`'s name one character at a time, after selecting it all.
    fn type_name(draft: &mut FlagDraft, i: usize, text: &str) {
        let mut typed = String::new();
        for c in text.chars() {
            typed.push(c);
            draft.rename_variant(i, &typed);
        }
    }

    /// The production rollout of a flag as `variant:weight` pairs.
    fn production_split(flag: &Flag) -> String {
        let serve = flag.environments["production"].default_serve.as_ref();
        serve
            .and_then(|s| s.rollout.as_ref())
            .map(|r| {
                r.weights
                    .iter()
                    .map(|w| format!("{}:{}", w.variant, w.weight))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    #[test]
    fn typing_a_name_through_another_never_merges_them() {
        let (doc, mut draft) = checkout();
        let blue = draft
            .variants
            .iter()
            .position(|v| v.name == "blue")
            .unwrap();
        type_name(&mut draft, blue, "greenish");
        let (flag, problems) = draft.to_flag();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(errors(&doc, &draft).is_empty());
        let prod = &flag.environments["production"];
        assert_eq!(prod.off_variant.as_deref(), Some("greenish"));
        assert_eq!(production_split(&flag), "greenish:34 green:33 orange:33");
        assert_eq!(
            flag.environments["development"].default_serve,
            doc.flags["checkout-button-color"].environments["development"].default_serve,
            "green's references stay green's"
        );
        assert_eq!(flag.variants["greenish"], json!("#1f6feb"));
        assert_eq!(flag.variants["green"], json!("#2da44e"));
    }

    #[test]
    fn a_name_that_collides_is_an_error_at_that_name_only() {
        let (doc, mut draft) = checkout();
        type_name(&mut draft, 0, "green");
        let (flag, problems) = draft.to_flag();
        // It keeps its last usable name (`gree`) meanwhile, with everything that refers to it.
        assert_eq!(draft.variants[0].key(), "gree");
        let at = problems.at("/flags/checkout-button-color/variants/gree#key");
        assert_eq!(at.len(), 1, "{problems:?}");
        assert_eq!(at[0].message, "another variant is called `green`");
        assert!(
            problems
                .at("/flags/checkout-button-color/variants/green#key")
                .is_empty(),
            "the existing `green` is not at fault"
        );
        assert_eq!(problems.all().len(), 1);
        assert_eq!(
            flag.environments["production"].off_variant.as_deref(),
            Some("gree")
        );
        // Only that error: the model is otherwise sound.
        assert_eq!(errors(&doc, &draft).len(), 1);
    }

    #[test]
    fn an_emptied_name_is_an_error_and_points_nothing_at_nothing() {
        let (doc, mut draft) = checkout();
        for len in (0..4).rev() {
            draft.rename_variant(0, &"blue"[..len]);
        }
        let (flag, problems) = draft.to_flag();
        let at = problems.at("/flags/checkout-button-color/variants/b#key");
        assert_eq!(at.len(), 1, "{problems:?}");
        assert_eq!(at[0].message, "a variant needs a name");
        let prod = &flag.environments["production"];
        assert_eq!(prod.off_variant.as_deref(), Some("b"), "kept, not dropped");
        assert!(production_split(&flag).starts_with("b:34 "));
        assert_eq!(errors(&doc, &draft).len(), 1, "{:?}", errors(&doc, &draft));
        // Typing a name again: references follow.
        draft.rename_variant(0, "sky");
        let (flag, problems) = draft.to_flag();
        assert!(problems.is_empty());
        assert_eq!(
            flag.environments["staging"].off_variant.as_deref(),
            Some("sky")
        );
    }

    #[test]
    fn names_can_be_swapped() {
        let (doc, mut draft) = checkout();
        // blue → green while green still exists: an error, until green becomes blue.
        draft.rename_variant(0, "green");
        assert!(!draft.to_flag().1.is_empty());
        draft.rename_variant(1, "blue");
        let (flag, problems) = draft.to_flag();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(errors(&doc, &draft).is_empty());
        assert_eq!(flag.variants["green"], json!("#1f6feb"));
        assert_eq!(flag.variants["blue"], json!("#2da44e"));
        assert_eq!(production_split(&flag), "green:34 blue:33 orange:33");
        assert_eq!(
            serde_json::to_value(&flag.environments["development"].default_serve).unwrap(),
            json!({"variant": "blue"}),
            "development served green, the colour now called blue"
        );
    }

    #[test]
    fn names_still_held_or_typed_twice_wait() {
        let (doc, mut draft) = checkout();
        let keys = |d: &FlagDraft| -> Vec<String> {
            d.variants.iter().map(|v| v.key().to_string()).collect()
        };
        // blue emptied keeps its key; green may not take `blue` while blue holds it.
        draft.rename_variant(0, "");
        draft.rename_variant(1, "blue");
        assert_eq!(keys(&draft), ["blue", "green", "orange"]);
        let (_, problems) = draft.to_flag();
        assert_eq!(
            problems.at("/flags/checkout-button-color/variants/green#key")[0].message,
            "`blue` is still another variant's name until that one has a new name"
        );
        // Once blue has a new name, green's waiting one applies too.
        draft.rename_variant(0, "sky");
        assert_eq!(keys(&draft), ["sky", "blue", "orange"]);
        assert!(draft.to_flag().1.is_empty());
        assert!(errors(&doc, &draft).is_empty());

        // Two names typed the same while a third variant holds it: neither takes it when it
        // is free, they would merge.
        let (_, mut draft) = checkout();
        draft.rename_variant(0, "orange");
        draft.rename_variant(1, "orange");
        draft.rename_variant(2, "amber");
        assert_eq!(keys(&draft), ["blue", "green", "amber"]);
        let (flag, problems) = draft.to_flag();
        for key in ["blue", "green"] {
            assert_eq!(
                problems.at(&format!("/flags/checkout-button-color/variants/{key}#key"))[0].message,
                "another variant is called `orange`"
            );
        }
        assert_eq!(production_split(&flag), "blue:34 green:33 amber:33");
    }

    #[test]
    fn other_flags_requiring_a_renamed_variant_say_so_at_its_name() {
        let mut doc = example();
        let key = "checkout-button-color";
        doc.flags
            .get_mut("daily-planning")
            .unwrap()
            .prerequisites
            .push(Prerequisite {
                flag: key.into(),
                variant: "blue".into(),
                extra: Extra::new(),
            });
        let mut draft = FlagDraft::from_flag(key, &doc.flags[key], &doc.environments);
        let state = DocState {
            version: 1,
            document: doc.clone(),
        };
        let check = |draft: &FlagDraft| {
            let (flag, _) = draft.to_flag();
            draft.variant_problems(&doc, &state.validate_flag(key, &flag))
        };
        assert!(check(&draft).is_empty());
        draft.rename_variant(0, "azure");
        let shown = check(&draft);
        let at = shown.at("/flags/checkout-button-color/variants/azure#key");
        assert_eq!(at.len(), 1, "{shown:?}");
        assert!(
            at[0]
                .message
                .starts_with("`daily-planning` requires `blue`: "),
            "{}",
            at[0].message
        );
        assert!(
            at[0].message.contains("no variant `blue`"),
            "{}",
            at[0].message
        );
        // The core's own report, where it belongs, is an error too: the draft cannot be saved.
        let (flag, _) = draft.to_flag();
        assert!(
            state
                .validate_flag(key, &flag)
                .at("/flags/daily-planning/prerequisites/1/variant")
                .iter()
                .any(Problem::is_error)
        );
    }

    #[test]
    fn renaming_a_variant_renames_its_uses() {
        let doc = example();
        let flag = &doc.flags["daily-planning"];
        let mut draft = FlagDraft::from_flag("daily-planning", flag, &doc.environments);
        let i = draft.variants.iter().position(|v| v.name == "on").unwrap();
        draft.rename_variant(i, "enabled");
        let (back, problems) = draft.to_flag();
        assert!(problems.is_empty());
        let prod = &back.environments["production"];
        assert_eq!(prod.rules[0].serve.variant.as_deref(), Some("enabled"));
        assert!(back.variants.contains_key("enabled") && !back.variants.contains_key("on"));
        let mut doc2 = doc.clone();
        doc2.flags.insert("daily-planning".into(), back);
        assert!(burgee_core::validate(&doc2).iter().all(|d| !d.is_error()));
    }

    #[test]
    fn a_name_the_document_cannot_hold_stays_a_typed_name_with_its_error() {
        let doc = example();
        let key = "checkout-button-color";
        let mut draft = FlagDraft::from_flag(key, &doc.flags[key], &doc.environments);
        let long = "x".repeat(300);
        draft.rename_variant(0, &long);
        let (flag, problems) = draft.to_flag();
        assert!(
            flag.variants.contains_key("blue"),
            "references stay on `blue`"
        );
        let at = problems.at("/flags/checkout-button-color/variants/blue#key");
        assert_eq!(at.len(), 1, "{problems:?}");
        assert!(at[0].message.contains("at most 128"));
        draft.rename_variant(0, "");
        let (_, problems) = draft.to_flag();
        let messages: Vec<&str> = problems.all().iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            ["a variant needs a name"],
            "no error about the long name left"
        );
        draft.rename_variant(0, "a b");
        assert!(draft.to_flag().0.variants.contains_key("blue"));
    }
}
