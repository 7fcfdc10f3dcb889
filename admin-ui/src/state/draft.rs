//! The flag editor's state: a flag as its inputs hold it.
//!
//! Inputs hold text (a variant's JSON, a clause's list of values, a schedule time), and text
//! that is half typed must survive until it is finished, so the draft keeps the text and builds
//! the wire model from it on demand ([`FlagDraft::to_flag`]). Every list in the draft has the
//! same order and indices as the model it becomes, so a JSON Pointer from the validator
//! (`…/rules/2/clauses/0/values/1`) names exactly one input. Anything the editor does not
//! show (metadata, timestamps, fields of a newer version) is carried over untouched.
//!
//! Variants are referred to by name all over a flag (off variants, targets, serves), so each
//! variant draft has a key, its identity for those references, which follows its typed name
//! only while that name is usable (see [`FlagDraft::rename_variant`]): a name typed on the way
//! to another, an empty one or one that collides is an error at the name's input, never a
//! silent re-pointing of references.

use std::collections::BTreeMap;

use burgee_core::model::{
    self, Clause, Document, Environment, Extra, Flag, Kind, Op, Prerequisite, Rollout, Rule,
    ScheduleStep, Serve, Target, Weight,
};
use serde_json::Value;

use super::fields::{Problem, Problems, flag_pointer, key_pointer, pointer};
use super::values::{
    DAY_MS, convert_variant, format_values, format_variant, input_to_at, parse_values,
    parse_variant, rfc3339, tomorrow_morning, zero_value,
};
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
    /// The name as typed (change it with [`FlagDraft::rename_variant`]).
    pub name: String,
    /// The value as typed: bare text for string flags, JSON otherwise.
    pub text: String,
    /// The name the rest of the draft calls this variant (off variants, targets, serves, the
    /// model and its pointers): the typed name whenever that is usable, else the last usable
    /// one. Unique among the flag's variants.
    key: String,
    /// The name in the stored flag, which other flags' prerequisites use (`None`: new).
    saved: Option<String>,
}

impl VariantDraft {
    fn new(name: &str, text: String, saved: bool) -> VariantDraft {
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

#[derive(Clone, Debug, PartialEq)]
pub struct ClauseDraft {
    pub attribute: String,
    pub op: Op,
    /// The values as typed (see [`super::values`]).
    pub values: String,
    pub negate: bool,
    /// The stored clause said `negate` (`false` too): it is written back as it was.
    negate_written: bool,
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
    /// Empty means `targetingKey` (which is written back only if the stored list said it).
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
            .map(|(v, w)| WeightDraft::new(v, *w))
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
    fn rename_variants(&mut self, renames: &BTreeMap<String, String>) {
        rename(&mut self.variant, renames);
        for w in &mut self.rollout.weights {
            rename(&mut w.variant, renames);
        }
    }

    /// The editor's own problems with this serve at `at`: percentages typed that are not.
    fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        if self.mode != ServeMode::Rollout {
            return;
        }
        for (i, w) in self.rollout.weights.iter().enumerate() {
            if let Some(Err(message)) = w.typed.as_deref().map(weights::parse_share) {
                out.push(Problem::error(
                    pointer(at, &["rollout", "weights", &i.to_string(), "weight"]),
                    "invalid-weight",
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

// -- clauses, targets, rules, steps -----------------------------------------------------------

impl ClauseDraft {
    pub fn new() -> ClauseDraft {
        ClauseDraft {
            attribute: String::new(),
            op: Op::In,
            values: String::new(),
            negate: false,
            negate_written: false,
            extra: Extra::new(),
        }
    }

    pub fn from_model(clause: &Clause) -> ClauseDraft {
        ClauseDraft {
            attribute: clause.attribute.clone().unwrap_or_default(),
            op: clause.op.clone(),
            values: format_values(&clause.op, &clause.values),
            negate: clause.negate.unwrap_or(false),
            negate_written: clause.negate.is_some(),
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
            negate: (self.negate || self.negate_written).then_some(self.negate),
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
            attribute: opt(&self.attribute),
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

/// Re-points one reference to a variant if that variant was renamed.
fn rename(reference: &mut String, renames: &BTreeMap<String, String>) {
    if let Some(to) = renames.get(reference.as_str()) {
        *reference = to.clone();
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

    /// Adds a schedule step serving `variant`. It starts a day after the latest step, and never
    /// before [`tomorrow_morning`] (no step is added in the past, where it would take effect as
    /// soon as it is saved), so it never shares a time with another step.
    pub fn add_step(&mut self, now_ms: i64, variant: &str) {
        let earliest = tomorrow_morning(now_ms);
        let at = self
            .schedule
            .iter()
            .filter_map(|s| burgee_core::time::parse_rfc3339(&s.at))
            .max()
            .map_or(earliest, |latest| (latest + DAY_MS).max(earliest));
        self.schedule
            .push(StepDraft::new(rfc3339(at), ServeDraft::variant(variant)));
    }

    /// Re-points references to renamed variants (`old key → new key`, all at once).
    fn rename_variants(&mut self, renames: &BTreeMap<String, String>) {
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
    fn problems(&self, at: &str, out: &mut Vec<Problem>) {
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

// -- the progressive-rollout form -------------------------------------------------------------

/// Pseudo-pointers of the progressive-rollout form's inputs (it edits no field of the document
/// directly, so its problems are its own).
pub const RAMP_START: &str = "#ramp-start";
pub const RAMP_EVERY: &str = "#ramp-every";
pub const RAMP_PERCENTS: &str = "#ramp-percents";
pub const RAMP_ON: &str = "#ramp-on";

/// The progressive-rollout form as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RampForm {
    /// The first step's time, as a `datetime-local` input holds it (UTC).
    pub start: String,
    /// Hours between steps.
    pub every: String,
    /// `5, 25, 50, 100`.
    pub percents: String,
    /// The variant rolled out (empty: the first).
    pub on: String,
}

/// A progressive rollout, read from its form: see [`EnvDraft::ramp`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ramp {
    pub start_ms: i64,
    pub interval_ms: i64,
    pub percents: Vec<u64>,
    pub on: String,
    pub off: String,
}

impl RampForm {
    /// The rollout, or a problem at each input that does not hold what it should.
    pub fn parse(&self, variants: &[String]) -> Result<Ramp, Problems> {
        let mut problems = Vec::new();
        let start = burgee_core::time::parse_rfc3339(&input_to_at(&self.start));
        if start.is_none() {
            problems.push(Problem::error(
                RAMP_START,
                "invalid-timestamp",
                "choose when the first step starts",
            ));
        }
        let hours = self
            .every
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h > 0.0);
        if hours.is_none() {
            problems.push(Problem::error(
                RAMP_EVERY,
                "invalid-value",
                "the interval is a positive number of hours",
            ));
        }
        let percents = weights::parse_percents(&self.percents);
        if let Err(message) = &percents {
            problems.push(Problem::error(
                RAMP_PERCENTS,
                "invalid-weight",
                message.clone(),
            ));
        }
        let on = Some(self.on.clone())
            .filter(|v| variants.contains(v))
            .or_else(|| variants.first().cloned());
        let off = variants.iter().find(|v| Some(*v) != on.as_ref()).cloned();
        if off.is_none() {
            problems.push(Problem::error(
                RAMP_ON,
                "no-variants",
                "a rollout needs two variants",
            ));
        }
        match (start, hours, percents, on, off) {
            (Some(start_ms), Some(hours), Ok(percents), Some(on), Some(off))
                if problems.is_empty() =>
            {
                Ok(Ramp {
                    start_ms,
                    interval_ms: (hours * 3_600_000.0) as i64,
                    percents,
                    on,
                    off,
                })
            }
            _ => Err(Problems::new(problems)),
        }
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

    /// The pointer of variant `i`'s value (its name's is [`key_pointer`] of it).
    pub fn variant_pointer(&self, i: usize) -> String {
        let key = self
            .variants
            .get(i)
            .map(|v| v.key.as_str())
            .unwrap_or_default();
        self.at(&["variants", key])
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
                problems.push(Problem::error(at, "invalid-value", message));
                zero_value(&self.kind)
            });
            variants.insert(v.key.clone(), value);
        }
        for e in self.environments.iter().filter(|e| e.present) {
            e.problems(&self.at(&["environments", &e.name]), &mut problems);
        }
        let mut flag = self.base.clone();
        flag.name = opt(&self.name);
        flag.description = opt(&self.description);
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
        (flag, Problems::new(problems))
    }

    /// The names the rest of the flag can use: each variant's key, in order.
    pub fn variant_names(&self) -> Vec<String> {
        self.variants
            .iter()
            .filter(|v| !v.key.is_empty())
            .map(|v| v.key.clone())
            .collect()
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
        if index < self.variants.len() {
            self.variants.remove(index);
        }
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
    fn name_problem(&self, i: usize) -> Option<(&'static str, String)> {
        let v = self.variants.get(i)?;
        if v.name.trim().is_empty() {
            return Some(("missing-key", "a variant needs a name".into()));
        }
        if v.name == v.key {
            return None;
        }
        if !burgee_core::valid_key(&v.name) {
            // Not a name the document can hold: references stay on the last good one.
            return Some((
                "invalid-key",
                "a variant's name starts with a letter or digit and uses only letters, digits, `.`, `_` and `-` (at most 128 characters)".into(),
            ));
        }
        let others = || self.variants.iter().enumerate().filter(|(j, _)| *j != i);
        if others().any(|(_, w)| w.name == v.name) {
            Some((
                "duplicate-variant",
                format!("another variant is called `{}`", v.name),
            ))
        } else if others().any(|(_, w)| w.key == v.name) {
            Some((
                "duplicate-variant",
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
    fn variant_problems_point_at_the_variant() {
        let mut draft = FlagDraft::new_flag("f", Kind::Number, &envs());
        draft.variants[0].text = "abc".into();
        draft.rename_variant(1, "control");
        let (flag, problems) = draft.to_flag();
        // The value's problem is at the value, the name's at the name; both variants stay.
        let value = problems.at("/flags/f/variants/control");
        assert_eq!(value.len(), 1, "{value:?}");
        assert_eq!(value[0].code, "invalid-value");
        let name = problems.at("/flags/f/variants/treatment#key");
        assert_eq!(name.len(), 1, "{name:?}");
        assert_eq!(name[0].message, "another variant is called `control`");
        assert!(problems.at("/flags/f/variants/control#key").is_empty());
        assert_eq!(
            serde_json::to_value(&flag.variants).unwrap(),
            json!({"control": 0, "treatment": 1})
        );
    }

    /// `checkout-button-color` from the example, and its validation errors with `draft`.
    fn checkout() -> (model::Document, FlagDraft) {
        let doc = example();
        let key = "checkout-button-color";
        (
            doc.clone(),
            FlagDraft::from_flag(key, &doc.flags[key], &doc.environments),
        )
    }

    fn errors(doc: &model::Document, draft: &FlagDraft) -> Vec<Problem> {
        let (flag, local) = draft.to_flag();
        let mut doc = doc.clone();
        doc.flags.insert(draft.key.clone(), flag);
        let mut all = Problems::from_diagnostics(&burgee_core::validate(&doc));
        all.extend(local.all().iter().cloned());
        all.all().iter().filter(|p| p.is_error()).cloned().collect()
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
        let state = super::super::document::DocState {
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
            assert_eq!(p.code, "invalid-value");
        }
        assert_eq!(flag.variants.len(), 3, "the variants are still there");
        // Going back restores them.
        let (flag, errs) = through_kinds("checkout-button-color", &[Kind::Boolean, Kind::String]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(flag, example().flags["checkout-button-color"]);
    }

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

    #[test]
    fn a_new_step_starts_a_day_after_the_latest() {
        let mut draft = FlagDraft::new_flag("f", Kind::Boolean, &envs());
        let env = draft.env_mut("production").unwrap();
        let now = 1_796_720_400_000; // 2026-12-08T09:00:00Z
        let times =
            |env: &EnvDraft| -> Vec<String> { env.schedule.iter().map(|s| s.at.clone()).collect() };
        env.add_step(now, "on");
        assert_eq!(times(env), ["2026-12-09T09:00:00Z"], "tomorrow morning");
        env.add_step(now, "off");
        assert_eq!(
            times(env),
            ["2026-12-09T09:00:00Z", "2026-12-10T09:00:00Z"],
            "a day after it"
        );
        // After the latest, wherever it is in the list.
        env.schedule[0].at = "2027-01-10T12:30:00Z".into();
        env.add_step(now, "on");
        assert_eq!(
            times(env)[2],
            "2027-01-11T12:30:00Z",
            "a day after the latest step"
        );
        // A schedule in the past: the next step is still in the future.
        env.schedule = vec![StepDraft::new(
            "2020-01-01T00:00:00Z".into(),
            ServeDraft::variant("on"),
        )];
        env.add_step(now, "off");
        assert_eq!(env.schedule[1].at, "2026-12-09T09:00:00Z");
        let (_, problems) = draft.to_flag();
        assert!(problems.is_empty());
        let mut doc = model::Document {
            environments: envs(),
            ..Default::default()
        };
        doc.flags.insert("f".into(), draft.to_flag().0);
        assert!(
            burgee_core::validate(&doc).iter().all(|d| !d.is_error()),
            "no two steps at the same time"
        );
    }

    #[test]
    fn the_ramp_form_refuses_what_it_cannot_do() {
        let variants = vec!["on".to_string(), "off".to_string()];
        let form = RampForm {
            start: "2026-12-08T09:00".into(),
            every: "24".into(),
            percents: "5, 25, 50, 100".into(),
            on: "on".into(),
        };
        let ramp = form.parse(&variants).unwrap();
        assert_eq!(ramp.start_ms, 1_796_720_400_000);
        assert_eq!(ramp.interval_ms, 86_400_000);
        assert_eq!(ramp.percents, vec![5, 25, 50, 100]);
        assert_eq!((ramp.on.as_str(), ramp.off.as_str()), ("on", "off"));
        let bad = RampForm {
            percents: "5, 150".into(),
            ..form.clone()
        };
        let problems = bad.parse(&variants).unwrap_err();
        assert_eq!(problems.all().len(), 1);
        assert_eq!(
            problems.at(RAMP_PERCENTS)[0].message,
            "`150` is not a whole percentage from 0 to 100"
        );
        let worse = RampForm {
            start: String::new(),
            every: "0".into(),
            percents: "-5".into(),
            on: String::new(),
        };
        let problems = worse.parse(&variants[..1]).unwrap_err();
        for at in [RAMP_START, RAMP_EVERY, RAMP_PERCENTS, RAMP_ON] {
            assert_eq!(problems.at(at).len(), 1, "{at}: {problems:?}");
        }
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
