//! What a rule, a schedule step or an environment's default serves: one variant, or a
//! percentage rollout whose shares are edited as percentages and always add up (see
//! [`weights`]).

use std::collections::BTreeMap;

use burgee_core::Code;
use burgee_core::model::{Extra, Rollout, Serve, Weight};
use serde_json::Value;

use super::rename;
use crate::state::fields::{Problem, pointer};
use crate::state::values::optional;
use crate::state::weights;

/// Which kind of serve: nothing yet, one variant, or a percentage rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeMode {
    None,
    Variant,
    Rollout,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WeightDraft {
    pub variant: String,
    pub weight: u64,
    /// A percentage typed for this share that is not one (`33.3`, `-5`, nothing): shown, with
    /// its error, until it is fixed; the weight keeps its last value meanwhile.
    pub typed: Option<String>,
    extra: Extra,
}

impl WeightDraft {
    fn new(variant: &str, weight: u64) -> WeightDraft {
        WeightDraft {
            variant: variant.into(),
            weight,
            typed: None,
            extra: Extra::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RolloutDraft {
    pub bucket_by: String,
    pub salt: String,
    pub weights: Vec<WeightDraft>,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServeDraft {
    pub mode: ServeMode,
    pub variant: String,
    pub rollout: RolloutDraft,
    extra: Extra,
}

/// One change to a serve, from its editor.
#[derive(Clone, Debug, PartialEq)]
pub enum ServeEdit {
    Mode(ServeMode),
    Variant(String),
    /// Sets one share to a percentage as typed (see [`weights::set_percent`]); the others move
    /// so the total stays. Text that is not a whole percentage is kept, with an error.
    Percent(usize, String),
    WeightVariant(usize, String),
    AddWeight(String),
    RemoveWeight(usize),
    BucketBy(String),
    Salt(String),
}

impl ServeDraft {
    pub fn none() -> ServeDraft {
        ServeDraft {
            mode: ServeMode::None,
            variant: String::new(),
            rollout: RolloutDraft {
                bucket_by: String::new(),
                salt: String::new(),
                weights: Vec::new(),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        }
    }

    pub fn variant(name: &str) -> ServeDraft {
        ServeDraft {
            mode: ServeMode::Variant,
            variant: name.into(),
            ..ServeDraft::none()
        }
    }

    /// A rollout of `(variant, weight)` pairs.
    pub fn rollout(weights: &[(&str, u64)]) -> ServeDraft {
        let mut serve = ServeDraft::none();
        serve.mode = ServeMode::Rollout;
        serve.rollout.weights = weights
            .iter()
            .map(|(v, w)| WeightDraft::new(v, *w))
            .collect();
        serve
    }

    pub(super) fn from_model(serve: Option<&Serve>) -> ServeDraft {
        let Some(serve) = serve else {
            return ServeDraft::none();
        };
        let mut draft = ServeDraft {
            mode: ServeMode::None,
            variant: serve.variant.clone().unwrap_or_default(),
            extra: serve.extra.clone(),
            ..ServeDraft::none()
        };
        if let Some(rollout) = &serve.rollout {
            draft.mode = ServeMode::Rollout;
            draft.rollout = RolloutDraft {
                bucket_by: rollout.bucket_by.clone().unwrap_or_default(),
                salt: rollout.salt.clone().unwrap_or_default(),
                weights: rollout
                    .weights
                    .iter()
                    .map(|w| WeightDraft {
                        variant: w.variant.clone(),
                        weight: w
                            .weight
                            .as_u64()
                            .or_else(|| w.weight.as_f64().map(|f| f.max(0.0) as u64))
                            .unwrap_or(0),
                        typed: None,
                        extra: w.extra.clone(),
                    })
                    .collect(),
                extra: rollout.extra.clone(),
            };
        } else if serve.variant.is_some() {
            draft.mode = ServeMode::Variant;
        }
        draft
    }

    /// The model, or `None` when nothing is chosen.
    pub fn to_model(&self) -> Option<Serve> {
        let mut serve = Serve {
            extra: self.extra.clone(),
            ..Serve::default()
        };
        match self.mode {
            ServeMode::None => return None,
            ServeMode::Variant => serve.variant = Some(self.variant.clone()),
            ServeMode::Rollout => {
                serve.rollout = Some(Rollout {
                    bucket_by: optional(&self.rollout.bucket_by),
                    salt: optional(&self.rollout.salt),
                    weights: self
                        .rollout
                        .weights
                        .iter()
                        .map(|w| Weight {
                            variant: w.variant.clone(),
                            weight: Value::from(w.weight),
                            extra: w.extra.clone(),
                        })
                        .collect(),
                    extra: self.rollout.extra.clone(),
                })
            }
        }
        Some(serve)
    }

    /// A required serve (rules, schedule steps): nothing chosen writes `{}`, which the
    /// validator reports where it is.
    pub(super) fn to_required(&self) -> Serve {
        self.to_model().unwrap_or_else(|| Serve {
            extra: self.extra.clone(),
            ..Serve::default()
        })
    }

    pub fn weights(&self) -> Vec<u64> {
        self.rollout.weights.iter().map(|w| w.weight).collect()
    }

    /// A new split: every input shows it (text typed earlier that was not a percentage no
    /// longer stands beside a bar that says otherwise).
    fn set_weights(&mut self, ws: Vec<u64>) {
        for (w, v) in self.rollout.weights.iter_mut().zip(ws) {
            w.weight = v;
            w.typed = None;
        }
    }

    /// What share `i`'s input shows: its percentage (`33.33`), or the text typed that is not one.
    pub fn percent_text(&self, i: usize) -> String {
        let total = weights::total(&self.weights());
        self.rollout
            .weights
            .get(i)
            .map(|w| {
                w.typed
                    .clone()
                    .unwrap_or_else(|| weights::percent_number(w.weight, total))
            })
            .unwrap_or_default()
    }

    pub fn apply(&mut self, edit: ServeEdit, variants: &[String]) {
        match edit {
            ServeEdit::Mode(mode) => {
                self.mode = mode;
                for w in &mut self.rollout.weights {
                    w.typed = None;
                }
                if mode == ServeMode::Variant && self.variant.is_empty() {
                    self.variant = variants.first().cloned().unwrap_or_default();
                }
                if mode == ServeMode::Rollout && self.rollout.weights.is_empty() {
                    let split = weights::even(variants.len(), weights::DEFAULT_TOTAL);
                    self.rollout.weights = variants
                        .iter()
                        .zip(split)
                        .map(|(v, w)| WeightDraft::new(v, w))
                        .collect();
                }
            }
            ServeEdit::Variant(v) => self.variant = v,
            ServeEdit::Percent(i, text) => match weights::parse_share(&text) {
                Ok(hundredths) => {
                    let mut ws = self.weights();
                    weights::set_share(&mut ws, i, hundredths);
                    self.set_weights(ws);
                    if let Some(w) = self.rollout.weights.get_mut(i) {
                        w.typed = None;
                    }
                }
                Err(_) => {
                    if let Some(w) = self.rollout.weights.get_mut(i) {
                        w.typed = Some(text);
                    }
                }
            },
            ServeEdit::WeightVariant(i, v) => {
                if let Some(w) = self.rollout.weights.get_mut(i) {
                    w.variant = v;
                }
            }
            ServeEdit::AddWeight(v) => {
                let weight = if self.rollout.weights.is_empty() {
                    weights::DEFAULT_TOTAL
                } else {
                    0
                };
                self.rollout.weights.push(WeightDraft::new(&v, weight));
            }
            ServeEdit::RemoveWeight(i) => {
                if i < self.rollout.weights.len() {
                    let mut ws = self.weights();
                    weights::remove(&mut ws, i);
                    self.rollout.weights.remove(i);
                    self.set_weights(ws);
                }
            }
            ServeEdit::BucketBy(v) => self.rollout.bucket_by = v,
            ServeEdit::Salt(v) => self.rollout.salt = v,
        }
    }

    /// Re-points references to renamed variants (`old key → new key`, all at once).
    pub(super) fn rename_variants(&mut self, renames: &BTreeMap<String, String>) {
        rename(&mut self.variant, renames);
        for w in &mut self.rollout.weights {
            rename(&mut w.variant, renames);
        }
    }

    /// The editor's own problems with this serve at `at`: percentages typed that are not.
    pub(super) fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        if self.mode != ServeMode::Rollout {
            return;
        }
        for (i, w) in self.rollout.weights.iter().enumerate() {
            if let Some(Err(message)) = w.typed.as_deref().map(weights::parse_share) {
                out.push(Problem::error(
                    pointer(at, &["rollout", "weights", &i.to_string(), "weight"]),
                    Code::InvalidWeight.as_str(),
                    message,
                ));
            }
        }
    }

    /// One line for lists: `on`, `25 % on / 75 % off`, `—`.
    pub fn summary(&self) -> String {
        match self.mode {
            ServeMode::None => "—".into(),
            ServeMode::Variant => self.variant.clone(),
            ServeMode::Rollout => {
                let total = weights::total(&self.weights());
                self.rollout
                    .weights
                    .iter()
                    .map(|w| format!("{} {}", weights::percent(w.weight, total), w.variant))
                    .collect::<Vec<_>>()
                    .join(" / ")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::FlagDraft;
    use super::super::fixtures::*;
    use super::*;
    use burgee_core::model::Kind;
    use serde_json::json;

    #[test]
    fn serve_edits_keep_weights_whole() {
        let variants = vec!["on".to_string(), "off".to_string()];
        let mut serve = ServeDraft::variant("on");
        serve.apply(ServeEdit::Mode(ServeMode::Rollout), &variants);
        assert_eq!(serve.weights(), vec![50, 50]);
        serve.apply(ServeEdit::Percent(0, "25".into()), &variants);
        assert_eq!(serve.weights(), vec![25, 75]);
        assert_eq!(serve.summary(), "25 % on / 75 % off");
        serve.apply(ServeEdit::AddWeight("x".into()), &variants);
        serve.apply(ServeEdit::Percent(2, "10".into()), &variants);
        assert_eq!(weights::total(&serve.weights()), 100);
        serve.apply(ServeEdit::RemoveWeight(0), &variants);
        assert_eq!(weights::total(&serve.weights()), 100);
        let model = serve.to_model().unwrap();
        assert_eq!(model.rollout.unwrap().weights.len(), 2);
        serve.apply(ServeEdit::Mode(ServeMode::Variant), &variants);
        assert_eq!(
            serde_json::to_value(serve.to_model()).unwrap(),
            json!({"variant": "on"})
        );
    }

    #[test]
    fn shares_are_typed_as_percentages_on_any_scale() {
        let variants = vec!["a".to_string(), "b".to_string()];
        let mut serve = ServeDraft::rollout(&[("a", 1), ("b", 2)]);
        assert_eq!(serve.percent_text(0), "33.33");
        assert_eq!(serve.summary(), "33.33 % a / 66.67 % b");
        serve.apply(ServeEdit::Percent(0, "50".into()), &variants);
        assert_eq!(serve.weights(), vec![5000, 5000]);
        assert_eq!(serve.percent_text(0), "50");
        let mut serve = ServeDraft::rollout(&[("a", 0), ("b", 0), ("c", 5000)]);
        serve.apply(ServeEdit::Percent(0, "10".into()), &variants);
        assert_eq!(serve.summary(), "10 % a / 0 % b / 90 % c");
    }

    #[test]
    fn moving_another_share_replaces_text_that_was_not_a_percentage() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let variants = draft.variant_names();
        let serve = &mut draft.env_mut("production").unwrap().default_serve;
        serve.apply(ServeEdit::Mode(ServeMode::Rollout), &variants);
        serve.apply(ServeEdit::Percent(0, "33.333".into()), &variants);
        assert_eq!(serve.percent_text(0), "33.333");
        serve.apply(ServeEdit::Percent(1, "40".into()), &variants);
        assert_eq!(
            (serve.percent_text(0), serve.percent_text(1)),
            ("60".into(), "40".into())
        );
        let (_, problems) = draft.to_flag();
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_share_that_is_not_a_percentage_is_an_error_until_fixed() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let variants = draft.variant_names();
        let serve = &mut draft.env_mut("production").unwrap().default_serve;
        serve.apply(ServeEdit::Mode(ServeMode::Rollout), &variants);
        let at = "/flags/f/environments/production/defaultServe/rollout/weights/0/weight";
        for bad in ["33.333", "-5", "", "150"] {
            let serve = &mut draft.env_mut("production").unwrap().default_serve;
            serve.apply(ServeEdit::Percent(0, bad.into()), &variants);
            assert_eq!(serve.weights(), vec![50, 50], "{bad:?} changes nothing");
            assert_eq!(serve.percent_text(0), bad, "and stays in its input");
            let (_, problems) = draft.to_flag();
            let here = problems.at(at);
            assert_eq!(here.len(), 1, "{bad:?}: {problems:?}");
            assert!(here[0].message.contains("percentage from 0 to 100"));
        }
        let serve = &mut draft.env_mut("production").unwrap().default_serve;
        serve.apply(ServeEdit::Percent(0, "30".into()), &variants);
        assert_eq!(serve.weights(), vec![30, 70]);
        assert!(draft.to_flag().1.is_empty(), "fixed");
        // A rule's and a step's serves are checked too, at their own pointers.
        let env = draft.env_mut("production").unwrap();
        env.add_rule("on");
        env.add_step(0, "on");
        for (serve, i, text) in [
            (&mut env.rules[0].serve, 1, "x"),
            (&mut env.schedule[0].serve, 0, "101"),
        ] {
            serve.apply(ServeEdit::Mode(ServeMode::Rollout), &variants);
            serve.apply(ServeEdit::Percent(i, text.into()), &variants);
        }
        let (_, problems) = draft.to_flag();
        let base = "/flags/f/environments/production";
        assert_eq!(
            problems
                .at(&format!("{base}/rules/0/serve/rollout/weights/1/weight"))
                .len(),
            1
        );
        assert_eq!(
            problems
                .at(&format!(
                    "{base}/schedule/0/defaultServe/rollout/weights/0/weight"
                ))
                .len(),
            1
        );
        // Serving one variant instead drops what was typed for the split.
        let env = draft.env_mut("production").unwrap();
        for serve in [&mut env.rules[0].serve, &mut env.schedule[0].serve] {
            serve.apply(ServeEdit::Mode(ServeMode::Variant), &variants);
        }
        assert!(draft.to_flag().1.is_empty());
    }
}
