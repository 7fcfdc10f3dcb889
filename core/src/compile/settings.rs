//! The settings of a flag in one environment: what it serves when off, to whom (targets,
//! rules, the default) and from when (the schedule). Every variant they name must exist, and a
//! rollout must be able to place everyone.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

use serde_json::Value;

use super::{Compiler, FlagScope, describe, list};
use crate::diagnostic::{Code, Severity};
use crate::model;
use crate::pointer::Path;
use crate::snapshot::{Lit, LitSet, Prerequisite, Rollout, Rule, Serve, Settings, Target};
use crate::time::parse_rfc3339;

impl<'d> Compiler<'d> {
    // Its parts stay out of line too (`targets`, `rules`, `schedule`, `shadowed_targets`): see
    // `Compiler::run`.
    #[inline(never)]
    pub(super) fn settings(
        &mut self,
        settings: &'d model::Environment,
        scope: &mut FlagScope<'d>,
        prerequisites: Vec<Prerequisite>,
        at: &Path<'_>,
    ) -> Settings {
        let off = self.off_variant(settings, scope, at);
        let targets = self.targets(settings, scope, &at.key("targets"));
        let rules = self.rules(settings, scope, &at.key("rules"));
        let enabled = settings.is_enabled();
        let default = match &settings.default_serve {
            Some(serve) => self.serve(serve, scope, &at.key("defaultServe")),
            None => {
                if enabled {
                    self.fatal(
                        &mut scope.broken,
                        Code::MissingDefaultServe,
                        at,
                        "an enabled environment needs a `defaultServe` for contexts no target or rule matches".into(),
                    );
                }
                None
            }
        };
        let schedule = self.schedule(settings, scope, &at.key("schedule"));
        Settings {
            enabled,
            off,
            prerequisites,
            targets,
            rules,
            default,
            schedule,
        }
    }

    fn off_variant(
        &mut self,
        settings: &model::Environment,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<u32> {
        match &settings.off_variant {
            Some(name) => {
                let index = scope.variant(name);
                if index.is_none() {
                    self.unknown_variant(scope, name, &at.key("offVariant"));
                }
                index
            }
            None => {
                self.report(
                    Severity::Warning,
                    Code::MissingOffVariant,
                    at,
                    "no `offVariant`: while disabled (or when a prerequisite fails) callers get their own default".into(),
                );
                None
            }
        }
    }

    #[inline(never)]
    fn targets(
        &mut self,
        settings: &'d model::Environment,
        scope: &mut FlagScope<'d>,
        targets_at: &Path<'_>,
    ) -> Vec<Target> {
        let mut targets = Vec::with_capacity(settings.targets.len());
        for (i, target) in settings.targets.iter().enumerate() {
            let t_at = targets_at.index(i);
            let variant = scope.variant(&target.variant);
            if variant.is_none() {
                self.unknown_variant(scope, &target.variant, &t_at.key("variant"));
            }
            let values_at = t_at.key("values");
            let mut lits = Vec::with_capacity(target.values.len());
            for (j, value) in target.values.iter().enumerate() {
                match value {
                    Value::String(s) => lits.push(Lit::Str(s.as_str().into())),
                    Value::Number(n) => lits.push(Lit::Num(n.as_f64().unwrap_or(f64::NAN))),
                    Value::Bool(b) => lits.push(Lit::Bool(*b)),
                    other => self.fatal(
                        &mut scope.broken,
                        Code::InvalidValue,
                        &values_at.index(j),
                        format!(
                            "target values are ids (strings, numbers or booleans), not {}",
                            describe(other)
                        ),
                    ),
                }
            }
            let slot = self.slot(target.attribute.as_deref().unwrap_or("targetingKey"));
            if let Some(variant) = variant {
                targets.push(Target {
                    slot,
                    values: LitSet::from_lits(lits),
                    variant,
                });
            }
        }
        self.shadowed_targets(&settings.targets, targets_at);
        targets
    }

    #[inline(never)]
    fn rules(
        &mut self,
        settings: &'d model::Environment,
        scope: &mut FlagScope<'d>,
        rules_at: &Path<'_>,
    ) -> Vec<Rule> {
        let mut rules = Vec::with_capacity(settings.rules.len());
        for (i, rule) in settings.rules.iter().enumerate() {
            let r_at = rules_at.index(i);
            if let Some(id) = &rule.id {
                let id_at = r_at.key("id");
                self.check_key("rule id", id, &id_at);
                if settings
                    .rules
                    .iter()
                    .take(i)
                    .any(|r| r.id.as_ref() == Some(id))
                {
                    self.report(
                        Severity::Error,
                        Code::DuplicateRuleId,
                        &id_at,
                        format!("rule id `{id}` is used by an earlier rule; results could not tell them apart"),
                    );
                }
            }
            let clauses = self.clauses(&rule.clauses, &r_at, &mut scope.broken);
            if let Some(serve) = self.serve(&rule.serve, scope, &r_at.key("serve")) {
                rules.push(Rule {
                    id: rule.id.as_deref().map(Into::into),
                    clauses,
                    serve,
                });
            }
        }
        rules
    }

    /// The schedule's steps, sorted by time; each time at most once.
    #[inline(never)]
    fn schedule(
        &mut self,
        settings: &'d model::Environment,
        scope: &mut FlagScope<'d>,
        schedule_at: &Path<'_>,
    ) -> Vec<(i64, Serve)> {
        let mut schedule: Vec<(i64, Serve)> = Vec::with_capacity(settings.schedule.len());
        let mut times: Vec<i64> = Vec::with_capacity(settings.schedule.len());
        for (i, step) in settings.schedule.iter().enumerate() {
            let s_at = schedule_at.index(i);
            let when = parse_rfc3339(&step.at);
            match when {
                None => self.fatal(
                    &mut scope.broken,
                    Code::InvalidTimestamp,
                    &s_at.key("at"),
                    format!(
                        "{:?} is not an RFC 3339 time such as `2026-12-01T09:00:00Z`",
                        step.at
                    ),
                ),
                Some(t) if times.contains(&t) => self.fatal(
                    &mut scope.broken,
                    Code::DuplicateScheduleTime,
                    &s_at.key("at"),
                    format!("another step already starts at {}", step.at),
                ),
                Some(t) => times.push(t),
            }
            let serve = self.serve(&step.default_serve, scope, &s_at.key("defaultServe"));
            if let (Some(t), Some(serve)) = (when, serve)
                && !schedule.iter().any(|(at, _)| *at == t)
            {
                schedule.push((t, serve));
            }
        }
        schedule.sort_by_key(|(t, _)| *t);
        schedule
    }

    /// Warns about target entries that can never apply: the first target that lists a value
    /// wins, so the same value again (in a later target on the same attribute, or twice in
    /// one) is dead, and usually a mistake (a user in "on" and in "off").
    #[inline(never)]
    fn shadowed_targets(&mut self, targets: &[model::Target], at: &Path<'_>) {
        use crate::hash::hash_str;
        // Keyed by hashes, so that a long target list costs integer comparisons (this runs on
        // every load); a hit is confirmed on the values, so a collision only misses a warning.
        let mut first: BTreeMap<(u64, u8, u64), (usize, &Value)> = BTreeMap::new();
        for (i, target) in targets.iter().enumerate() {
            let attribute = hash_str(target.attribute.as_deref().unwrap_or("targetingKey"));
            let values_at = at.index(i);
            let values_at = values_at.key("values");
            for (j, value) in target.values.iter().enumerate() {
                let id = match value {
                    Value::String(s) => (0, hash_str(s)),
                    Value::Number(n) => {
                        // The bits of the number as an `f64` (`1` and `1.0` are one value; `-0`
                        // is `0`).
                        let f = n.as_f64().unwrap_or(f64::NAN);
                        (1, if f == 0.0 { 0 } else { f.to_bits() })
                    }
                    Value::Bool(b) => (2, u64::from(*b)),
                    _ => continue,
                };
                match first.entry((attribute, id.0, id.1)) {
                    alloc::collections::btree_map::Entry::Vacant(e) => {
                        e.insert((i, value));
                    }
                    alloc::collections::btree_map::Entry::Occupied(e) => {
                        let (k, seen) = *e.get();
                        if id.0 == 0 && seen != value {
                            continue;
                        }
                        let shown = match value {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let message = if k == i {
                            format!("`{shown}` is listed twice in this target")
                        } else {
                            format!(
                                "`{shown}` is already in target {} (checked first), so this entry never applies",
                                k + 1
                            )
                        };
                        self.report(
                            Severity::Warning,
                            Code::ShadowedTarget,
                            &values_at.index(j),
                            message,
                        );
                    }
                }
            }
        }
    }

    fn serve(
        &mut self,
        serve: &'d model::Serve,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<Serve> {
        match (&serve.variant, &serve.rollout) {
            (Some(name), None) => {
                let index = scope.variant(name);
                if index.is_none() {
                    self.unknown_variant(scope, name, &at.key("variant"));
                }
                index.map(Serve::Variant)
            }
            (None, Some(rollout)) => self.rollout(rollout, scope, &at.key("rollout")),
            (variant, _) => {
                let message = if variant.is_some() {
                    "a serve has either `variant` or `rollout`, not both"
                } else {
                    "a serve needs `variant` (one variant) or `rollout` (a weighted split)"
                };
                self.fatal(&mut scope.broken, Code::InvalidServe, at, message.into());
                None
            }
        }
    }

    fn unknown_variant(&mut self, scope: &mut FlagScope<'d>, name: &str, at: &Path<'_>) {
        let message = format!(
            "unknown variant `{name}`; this flag's variants are {}",
            list(scope.variants.keys())
        );
        self.fatal(&mut scope.broken, Code::UnknownVariant, at, message);
    }

    fn rollout(
        &mut self,
        rollout: &'d model::Rollout,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<Serve> {
        let weights_at = at.key("weights");
        let mut steps = Vec::with_capacity(rollout.weights.len());
        let mut total: u32 = 0;
        let mut ok = true;
        for (i, w) in rollout.weights.iter().enumerate() {
            let w_at = weights_at.index(i);
            let variant = scope.variant(&w.variant);
            if variant.is_none() {
                self.unknown_variant(scope, &w.variant, &w_at.key("variant"));
                ok = false;
            }
            let weight = w.weight.as_u64().and_then(|n| u32::try_from(n).ok());
            let Some(weight) = weight else {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidWeight,
                    &w_at.key("weight"),
                    format!(
                        "a weight is a whole number from 0 to {}, not {}",
                        u32::MAX,
                        match &w.weight {
                            Value::Number(n) => n.to_string(),
                            other => describe(other),
                        }
                    ),
                );
                ok = false;
                continue;
            };
            let Some(sum) = total.checked_add(weight) else {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidWeight,
                    &w_at.key("weight"),
                    format!("the weights add up to more than {}", u32::MAX),
                );
                ok = false;
                continue;
            };
            total = sum;
            if let (Some(v), true) = (variant, weight > 0) {
                steps.push((total, v));
            }
        }
        if total == 0 && ok {
            self.fatal(
                &mut scope.broken,
                Code::ZeroTotalWeight,
                &weights_at,
                "the weights add up to 0, so nobody can be placed; give some variant a positive weight".into(),
            );
            ok = false;
        }
        let slot = self.slot(rollout.bucket_by.as_deref().unwrap_or("targetingKey"));
        ok.then(|| {
            Serve::Rollout(Rollout::new(
                slot,
                rollout.salt.as_deref().unwrap_or(scope.key),
                steps,
                total,
            ))
        })
    }
}
