//! The flag editor's state: a flag as its inputs hold it.
//!
//! Inputs hold text (a variant's JSON, a clause's list of values, a schedule time), and text
//! that is half typed must survive until it is finished, so the draft keeps the text and builds
//! the wire model from it on demand ([`FlagDraft::to_flag`]). Every list in the draft has the
//! same order and indices as the model it becomes, so a JSON Pointer from the validator
//! (`…/rules/2/clauses/0/values/1`) names exactly one input. Anything the editor does not
//! show (metadata, timestamps, fields of a newer version) is carried over untouched.

use std::collections::BTreeMap;

use burgee_core::model::{
    self, Clause, Environment, Extra, Flag, Kind, Op, Prerequisite, Rollout, Rule, ScheduleStep,
    Serve, Target, Weight,
};
use serde_json::Value;

use super::fields::{Problem, Problems, flag_pointer, pointer};
use super::values::{format_values, format_variant, parse_values, parse_variant};
use super::weights;

fn opt(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantDraft {
    pub name: String,
    /// The value as typed: bare text for string flags, JSON otherwise.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrereqDraft {
    pub flag: String,
    pub variant: String,
    extra: Extra,
}

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
    extra: Extra,
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
    /// Sets one weight; the others move so the total stays.
    Weight(usize, u64),
    WeightVariant(usize, String),
    AddWeight(String),
    RemoveWeight(usize),
    BucketBy(String),
    Salt(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClauseDraft {
    pub attribute: String,
    pub op: Op,
    /// The values as typed (see [`super::values`]).
    pub values: String,
    pub negate: bool,
    extra: Extra,
}

/// One change to a clause, from its editor.
#[derive(Clone, Debug, PartialEq)]
pub enum ClauseEdit {
    Attribute(String),
    Op(Op),
    Values(String),
    Negate(bool),
    /// Adds or removes one segment key of an `inSegment` clause.
    ToggleSegment(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetDraft {
    /// Empty means `targetingKey`.
    pub attribute: String,
    pub values: String,
    pub variant: String,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleDraft {
    pub id: String,
    pub description: String,
    pub clauses: Vec<ClauseDraft>,
    pub serve: ServeDraft,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepDraft {
    /// RFC 3339.
    pub at: String,
    pub serve: ServeDraft,
    extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnvDraft {
    pub name: String,
    /// Whether the flag has settings for this environment (an edit adds them).
    pub present: bool,
    pub enabled: bool,
    enabled_written: bool,
    /// Empty: no off variant.
    pub off_variant: String,
    pub targets: Vec<TargetDraft>,
    pub rules: Vec<RuleDraft>,
    pub default_serve: ServeDraft,
    pub schedule: Vec<StepDraft>,
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
    /// The flag as loaded: what the editor does not show is written back from here.
    base: Flag,
}

// -- serves -----------------------------------------------------------------------------------

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
            .map(|(v, w)| WeightDraft {
                variant: (*v).into(),
                weight: *w,
                extra: Extra::new(),
            })
            .collect();
        serve
    }

    fn from_model(serve: Option<&Serve>) -> ServeDraft {
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
                    bucket_by: opt(&self.rollout.bucket_by),
                    salt: opt(&self.rollout.salt),
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
    fn to_required(&self) -> Serve {
        self.to_model().unwrap_or_else(|| Serve {
            extra: self.extra.clone(),
            ..Serve::default()
        })
    }

    pub fn weights(&self) -> Vec<u64> {
        self.rollout.weights.iter().map(|w| w.weight).collect()
    }

    pub fn apply(&mut self, edit: ServeEdit, variants: &[String]) {
        match edit {
            ServeEdit::Mode(mode) => {
                self.mode = mode;
                if mode == ServeMode::Variant && self.variant.is_empty() {
                    self.variant = variants.first().cloned().unwrap_or_default();
                }
                if mode == ServeMode::Rollout && self.rollout.weights.is_empty() {
                    let split = weights::even(variants.len(), weights::DEFAULT_TOTAL);
                    self.rollout.weights = variants
                        .iter()
                        .zip(split)
                        .map(|(v, w)| WeightDraft {
                            variant: v.clone(),
                            weight: w,
                            extra: Extra::new(),
                        })
                        .collect();
                }
            }
            ServeEdit::Variant(v) => self.variant = v,
            ServeEdit::Weight(i, value) => {
                let mut ws = self.weights();
                weights::set(&mut ws, i, value);
                for (w, v) in self.rollout.weights.iter_mut().zip(ws) {
                    w.weight = v;
                }
            }
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
                self.rollout.weights.push(WeightDraft {
                    variant: v,
                    weight,
                    extra: Extra::new(),
                });
            }
            ServeEdit::RemoveWeight(i) => {
                if i < self.rollout.weights.len() {
                    let mut ws = self.weights();
                    weights::remove(&mut ws, i);
                    self.rollout.weights.remove(i);
                    for (w, v) in self.rollout.weights.iter_mut().zip(ws) {
                        w.weight = v;
                    }
                }
            }
            ServeEdit::BucketBy(v) => self.rollout.bucket_by = v,
            ServeEdit::Salt(v) => self.rollout.salt = v,
        }
    }

    fn rename_variant(&mut self, from: &str, to: &str) {
        if self.variant == from {
            self.variant = to.into();
        }
        for w in &mut self.rollout.weights {
            if w.variant == from {
                w.variant = to.into();
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

// -- clauses, targets, rules, steps -----------------------------------------------------------

impl ClauseDraft {
    pub fn new() -> ClauseDraft {
        ClauseDraft {
            attribute: String::new(),
            op: Op::In,
            values: String::new(),
            negate: false,
            extra: Extra::new(),
        }
    }

    pub fn from_model(clause: &Clause) -> ClauseDraft {
        ClauseDraft {
            attribute: clause.attribute.clone().unwrap_or_default(),
            op: clause.op.clone(),
            values: format_values(&clause.op, &clause.values),
            negate: clause.negate.unwrap_or(false),
            extra: clause.extra.clone(),
        }
    }

    pub fn to_model(&self) -> Clause {
        Clause {
            attribute: if self.op == Op::InSegment {
                None
            } else {
                opt(&self.attribute)
            },
            op: self.op.clone(),
            values: parse_values(&self.op, &self.values),
            negate: self.negate.then_some(true),
            extra: self.extra.clone(),
        }
    }

    pub fn apply(&mut self, edit: ClauseEdit) {
        match edit {
            ClauseEdit::Attribute(a) => self.attribute = a,
            ClauseEdit::Op(op) => self.op = op,
            ClauseEdit::Values(v) => self.values = v,
            ClauseEdit::Negate(n) => self.negate = n,
            ClauseEdit::ToggleSegment(key) => {
                let mut keys = super::values::parse_ids(&self.values);
                if let Some(i) = keys.iter().position(|k| *k == key) {
                    keys.remove(i);
                } else {
                    keys.push(key);
                }
                self.values = super::values::format_ids(&keys);
            }
        }
    }

    /// The segment keys of an `inSegment` clause.
    pub fn segments(&self) -> Vec<String> {
        super::values::parse_ids(&self.values)
    }
}

impl Default for ClauseDraft {
    fn default() -> Self {
        ClauseDraft::new()
    }
}

impl TargetDraft {
    fn from_model(t: &Target) -> TargetDraft {
        TargetDraft {
            attribute: t.attribute.clone().unwrap_or_default(),
            values: format_values(&Op::In, &t.values),
            variant: t.variant.clone(),
            extra: t.extra.clone(),
        }
    }

    fn to_model(&self) -> Target {
        Target {
            attribute: opt(&self.attribute).filter(|a| a != "targetingKey"),
            values: parse_values(&Op::In, &self.values),
            variant: self.variant.clone(),
            extra: self.extra.clone(),
        }
    }

    /// How many ids are listed.
    pub fn count(&self) -> usize {
        parse_values(&Op::In, &self.values).len()
    }
}

impl RuleDraft {
    pub fn new(variant: &str) -> RuleDraft {
        RuleDraft {
            id: String::new(),
            description: String::new(),
            clauses: vec![ClauseDraft::new()],
            serve: ServeDraft::variant(variant),
            extra: Extra::new(),
        }
    }

    fn from_model(rule: &Rule) -> RuleDraft {
        RuleDraft {
            id: rule.id.clone().unwrap_or_default(),
            description: rule.description.clone().unwrap_or_default(),
            clauses: rule.clauses.iter().map(ClauseDraft::from_model).collect(),
            serve: ServeDraft::from_model(Some(&rule.serve)),
            extra: rule.extra.clone(),
        }
    }

    fn to_model(&self) -> Rule {
        Rule {
            id: opt(&self.id),
            description: opt(&self.description),
            clauses: self.clauses.iter().map(ClauseDraft::to_model).collect(),
            serve: self.serve.to_required(),
            extra: self.extra.clone(),
        }
    }
}

impl StepDraft {
    pub fn new(at: String, serve: ServeDraft) -> StepDraft {
        StepDraft {
            at,
            serve,
            extra: Extra::new(),
        }
    }
}

/// Moves element `i` by `delta` places (clamped); false when it cannot move.
pub fn move_item<T>(list: &mut [T], i: usize, delta: isize) -> bool {
    let Some(j) = i.checked_add_signed(delta) else {
        return false;
    };
    if i >= list.len() || j >= list.len() || i == j {
        return false;
    }
    if j < i {
        list[j..=i].rotate_right(1);
    } else {
        list[i..=j].rotate_left(1);
    }
    true
}

// -- environments -----------------------------------------------------------------------------

impl EnvDraft {
    fn from_model(name: &str, env: Option<&Environment>) -> EnvDraft {
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

    fn to_model(&self) -> Environment {
        Environment {
            enabled: (self.enabled || self.enabled_written).then_some(self.enabled),
            off_variant: opt(&self.off_variant),
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

    /// Replaces the schedule with a progressive rollout of `on` against `off`: one step per
    /// percentage, `interval_ms` apart from `start_ms` (100 % serves `on` alone).
    pub fn ramp(&mut self, start_ms: i64, interval_ms: i64, percents: &[u64], on: &str, off: &str) {
        self.schedule = percents
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let p = p.min(100);
                let serve = match p {
                    100 => ServeDraft::variant(on),
                    0 => ServeDraft::variant(off),
                    _ => ServeDraft::rollout(&[(on, p), (off, 100 - p)]),
                };
                let at = super::values::rfc3339(start_ms + interval_ms * i as i64);
                StepDraft::new(at, serve)
            })
            .collect();
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

    fn serves_mut(&mut self) -> impl Iterator<Item = &mut ServeDraft> {
        self.rules
            .iter_mut()
            .map(|r| &mut r.serve)
            .chain(std::iter::once(&mut self.default_serve))
            .chain(self.schedule.iter_mut().map(|s| &mut s.serve))
    }
}

// -- the flag ---------------------------------------------------------------------------------

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
                .map(|(n, t)| VariantDraft {
                    name: (*n).into(),
                    text: (*t).into(),
                })
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
                .map(|(name, value)| VariantDraft {
                    name: name.clone(),
                    text: format_variant(&flag.kind, value),
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

    /// The wire model, and the problems only the editor can see (values that are not of the
    /// flag's kind, variant names used twice). Those are errors: the model leaves them out.
    pub fn to_flag(&self) -> (Flag, Problems) {
        let mut problems = Vec::new();
        let mut variants = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.variants {
            let at = self.at(&["variants", &v.name]);
            if v.name.trim().is_empty() {
                problems.push(Problem::error(at, "invalid-key", "a variant needs a name"));
                continue;
            }
            if !seen.insert(v.name.as_str()) {
                problems.push(Problem::error(
                    at,
                    "duplicate-variant",
                    format!("two variants are called `{}`", v.name),
                ));
                continue;
            }
            match parse_variant(&self.kind, &v.text) {
                Ok(value) => {
                    variants.insert(v.name.clone(), value);
                }
                Err(message) => problems.push(Problem::error(at, "invalid-value", message)),
            }
        }
        let mut flag = self.base.clone();
        flag.name = opt(&self.name);
        flag.description = opt(&self.description);
        flag.tags = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
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
        flag.environments = self
            .environments
            .iter()
            .filter(|e| e.present)
            .map(|e| (e.name.clone(), e.to_model()))
            .collect();
        (flag, Problems::new(problems))
    }

    pub fn variant_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for v in &self.variants {
            if !v.name.is_empty() && !names.contains(&v.name) {
                names.push(v.name.clone());
            }
        }
        names
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

    pub fn set_kind(&mut self, kind: Kind) {
        // Values typed for the old kind are re-read as the new one; those that do not fit show
        // an error at their input instead of being thrown away.
        if let Ok(old) = self.to_flag_variants() {
            for v in &mut self.variants {
                if let Some(value) = old.get(&v.name) {
                    v.text = format_variant(&kind, value);
                    if kind == Kind::String
                        && let Value::String(s) = value
                    {
                        v.text = s.clone();
                    }
                }
            }
        }
        self.kind = kind;
    }

    fn to_flag_variants(&self) -> Result<BTreeMap<String, Value>, ()> {
        let mut out = BTreeMap::new();
        for v in &self.variants {
            out.insert(
                v.name.clone(),
                parse_variant(&self.kind, &v.text).map_err(|_| ())?,
            );
        }
        Ok(out)
    }

    /// Adds a variant with an unused name; returns its index.
    pub fn add_variant(&mut self) -> usize {
        let mut n = self.variants.len() + 1;
        let name = loop {
            let candidate = format!("variant-{n}");
            if !self.variants.iter().any(|v| v.name == candidate) {
                break candidate;
            }
            n += 1;
        };
        let text = match self.kind {
            Kind::Boolean => "false",
            Kind::String => "",
            Kind::Number => "0",
            Kind::Json | Kind::Unknown(_) => "null",
        };
        self.variants.push(VariantDraft {
            name,
            text: text.into(),
        });
        self.variants.len() - 1
    }

    pub fn remove_variant(&mut self, index: usize) {
        if index < self.variants.len() {
            self.variants.remove(index);
        }
    }

    /// Renames a variant and every reference to it in this flag (off variants, targets,
    /// serves), so that renaming never leaves dangling names behind.
    pub fn rename_variant(&mut self, index: usize, to: &str) {
        let Some(from) = self.variants.get(index).map(|v| v.name.clone()) else {
            return;
        };
        let shared = self
            .variants
            .iter()
            .enumerate()
            .any(|(i, v)| i != index && v.name == from);
        if let Some(v) = self.variants.get_mut(index) {
            v.name = to.into();
        }
        if from.is_empty() || shared {
            return;
        }
        for env in &mut self.environments {
            if env.off_variant == from {
                env.off_variant = to.into();
            }
            for t in &mut env.targets {
                if t.variant == from {
                    t.variant = to.into();
                }
            }
            for serve in env.serves_mut() {
                serve.rename_variant(&from, to);
            }
        }
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

/// The flags a draft's environments name, for summaries: `model::Kind` names.
pub fn kind_label(kind: &Kind) -> &str {
    kind.as_str()
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
    use super::*;
    use serde_json::json;

    const ENVS: &[&str] = &["development", "staging", "production"];

    fn envs() -> Vec<String> {
        ENVS.iter().map(|s| s.to_string()).collect()
    }

    fn example() -> model::Document {
        let text = include_str!("../../../examples/tasks-app.json");
        burgee_core::load(text).unwrap().document
    }

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
    fn unknown_fields_and_explicit_defaults_survive() {
        let flag: Flag = serde_json::from_value(json!({
            "kind": "boolean", "owner": "team-x", "clientSide": false,
            "variants": {"on": true, "off": false},
            "metadata": {"jira": "T-1"},
            "environments": {"production": {"enabled": false, "x-note": 1,
                "rules": [{"clauses": [{"op": "in", "attribute": "a", "values": ["x"], "x": 2}],
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
    fn variant_problems_point_at_the_variant() {
        let mut draft = FlagDraft::new_flag("f", Kind::Number, &envs());
        draft.variants[0].text = "abc".into();
        draft.variants[1].name = "control".into();
        let (flag, problems) = draft.to_flag();
        assert_eq!(flag.variants.len(), 0);
        let at = problems.at("/flags/f/variants/control");
        assert_eq!(at.len(), 2, "{at:?}");
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
    fn kind_changes_keep_what_fits() {
        let mut draft = FlagDraft::new_flag("f", Kind::Number, &envs());
        draft.set_kind(Kind::String);
        assert_eq!(draft.variants[0].text, "0");
        let (flag, _) = draft.to_flag();
        assert_eq!(flag.variants["control"], json!("0"));
        draft.set_kind(Kind::Json);
        assert_eq!(draft.variants[0].text, "\"0\"");
    }

    #[test]
    fn serve_edits_keep_weights_whole() {
        let variants = vec!["on".to_string(), "off".to_string()];
        let mut serve = ServeDraft::variant("on");
        serve.apply(ServeEdit::Mode(ServeMode::Rollout), &variants);
        assert_eq!(serve.weights(), vec![50, 50]);
        serve.apply(ServeEdit::Weight(0, 25), &variants);
        assert_eq!(serve.weights(), vec![25, 75]);
        assert_eq!(serve.summary(), "25 % on / 75 % off");
        serve.apply(ServeEdit::AddWeight("x".into()), &variants);
        serve.apply(ServeEdit::Weight(2, 10), &variants);
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
    fn rules_move_and_clauses_edit() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let env = draft.env_mut("production").unwrap();
        env.add_rule("on");
        env.add_rule("off");
        env.rules[0].id = "first".into();
        env.rules[1].id = "second".into();
        assert!(move_item(&mut env.rules, 1, -1));
        assert!(!move_item(&mut env.rules, 0, -1));
        assert_eq!(env.rules[0].id, "second");
        let clause = &mut env.rules[0].clauses[0];
        clause.apply(ClauseEdit::Attribute("plan".into()));
        clause.apply(ClauseEdit::Values("pro, 3".into()));
        clause.apply(ClauseEdit::Negate(true));
        let (flag, _) = draft.to_flag();
        let rule = &flag.environments["production"].rules[0];
        assert_eq!(
            serde_json::to_value(&rule.clauses[0]).unwrap(),
            json!({"attribute": "plan", "op": "in", "values": ["pro", 3], "negate": true})
        );
    }

    #[test]
    fn segment_clauses_toggle_keys() {
        let mut clause = ClauseDraft::new();
        clause.apply(ClauseEdit::Op(Op::InSegment));
        clause.apply(ClauseEdit::ToggleSegment("beta".into()));
        clause.apply(ClauseEdit::ToggleSegment("staff".into()));
        clause.apply(ClauseEdit::ToggleSegment("beta".into()));
        assert_eq!(clause.segments(), vec!["staff".to_string()]);
        assert_eq!(
            serde_json::to_value(clause.to_model()).unwrap(),
            json!({"op": "inSegment", "values": ["staff"]})
        );
    }

    #[test]
    fn a_ramp_makes_steps() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let env = draft.env_mut("production").unwrap();
        env.ramp(
            1_796_720_400_000,
            86_400_000,
            &[5, 25, 50, 100],
            "on",
            "off",
        );
        let (flag, _) = draft.to_flag();
        let steps = &flag.environments["production"].schedule;
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[0].at, "2026-12-08T09:00:00Z");
        assert_eq!(steps[3].at, "2026-12-11T09:00:00Z");
        assert_eq!(
            serde_json::to_value(&steps[1].default_serve).unwrap(),
            json!({"rollout": {"weights": [{"variant": "on", "weight": 25}, {"variant": "off", "weight": 75}]}})
        );
        assert_eq!(
            serde_json::to_value(&steps[3].default_serve).unwrap(),
            json!({"variant": "on"})
        );
    }

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
