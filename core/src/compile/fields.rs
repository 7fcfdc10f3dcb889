//! Fields this version does not know are kept and warned about, never dropped: a document
//! written for a newer Burgee must survive an older editor. A field one level off (`enabled` on
//! the flag) is an error instead, because ignoring it would do something its author did not mean.

use alloc::format;
use alloc::vec::Vec;

use super::Compiler;
use crate::diagnostic::{Code, Severity};
use crate::model::{self, Document};
use crate::pointer::Path;

/// Flag fields that change evaluation: inside an environment they are an error, not ignored.
const FLAG_ONLY: &[&str] = &[
    "kind",
    "variants",
    "prerequisites",
    "clientSide",
    "environments",
];

/// Levenshtein distance, for "did you mean" hints on short field names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != *cb);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = cost.min(above + 1).min(left + 1);
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

impl<'d> Compiler<'d> {
    pub(super) fn unknown(&mut self, extra: &model::Extra, known: &[&str], at: &Path<'_>) {
        self.unknown_or_misplaced(extra, known, None, at);
    }

    /// Like [`Self::unknown`], and a field that belongs one level up or down (`enabled` on the
    /// flag, `variants` in an environment) is an error: ignoring it would silently do something
    /// else than its author meant (a kill switch that does not switch anything off).
    pub(super) fn unknown_or_misplaced(
        &mut self,
        extra: &model::Extra,
        known: &[&str],
        elsewhere: Option<(&[&str], &str)>,
        at: &Path<'_>,
    ) {
        for key in extra.keys() {
            let field = at.key(key);
            if let Some((fields, place)) = elsewhere
                && fields.contains(&key.as_str())
            {
                self.report(
                    Severity::Error,
                    Code::MisplacedField,
                    &field,
                    format!("`{key}` belongs {place}, not here; here it would be ignored"),
                );
                continue;
            }
            let hint = known
                .iter()
                .filter(|k| distance(key, k) <= 2)
                .min_by_key(|k| distance(key, k))
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            self.report(
                Severity::Warning,
                Code::UnknownField,
                &field,
                format!("unknown field `{key}` is kept but ignored{hint}"),
            );
        }
    }

    pub(super) fn unknown_in_clauses(&mut self, clauses: &[model::Clause], at: &Path<'_>) {
        let clauses_at = at.key("clauses");
        for (i, clause) in clauses.iter().enumerate() {
            self.unknown(&clause.extra, model::Clause::FIELDS, &clauses_at.index(i));
        }
    }

    pub(super) fn unknown_in_serve(&mut self, serve: &model::Serve, at: &Path<'_>) {
        self.unknown(&serve.extra, model::Serve::FIELDS, at);
        if let Some(rollout) = &serve.rollout {
            let rollout_at = at.key("rollout");
            self.unknown(&rollout.extra, model::Rollout::FIELDS, &rollout_at);
            let weights = rollout_at.key("weights");
            for (i, w) in rollout.weights.iter().enumerate() {
                self.unknown(&w.extra, model::Weight::FIELDS, &weights.index(i));
            }
        }
    }

    /// Warns about every field this version does not know (they are kept, not used); fields
    /// that change evaluation and sit one level off are errors.
    #[inline(never)]
    pub(super) fn unknown_fields(&mut self) {
        let doc = self.doc;
        let root = Path::ROOT;
        self.unknown(&doc.extra, Document::FIELDS, &root);
        let segments = root.key("segments");
        for (key, segment) in &doc.segments {
            let at = segments.key(key);
            self.unknown(&segment.extra, model::Segment::FIELDS, &at);
            let rules = at.key("rules");
            for (i, rule) in segment.rules.iter().enumerate() {
                let rule_at = rules.index(i);
                self.unknown(&rule.extra, model::SegmentRule::FIELDS, &rule_at);
                self.unknown_in_clauses(&rule.clauses, &rule_at);
            }
        }
        let flags = root.key("flags");
        for (key, flag) in doc.flags.iter().filter(|(_, f)| !f.is_archived()) {
            let at = flags.key(key);
            if let Some(experiment) = &flag.experiment {
                self.unknown(
                    &experiment.extra,
                    model::Experiment::FIELDS,
                    &at.key("experiment"),
                );
            }
            self.unknown_or_misplaced(
                &flag.extra,
                model::Flag::FIELDS,
                Some((
                    model::Environment::FIELDS,
                    "in each environment (`environments.<name>`)",
                )),
                &at,
            );
            let prerequisites = at.key("prerequisites");
            for (i, p) in flag.prerequisites.iter().enumerate() {
                self.unknown(
                    &p.extra,
                    model::Prerequisite::FIELDS,
                    &prerequisites.index(i),
                );
            }
            let envs = at.key("environments");
            for (env, settings) in &flag.environments {
                let env_at = envs.key(env);
                self.unknown_or_misplaced(
                    &settings.extra,
                    model::Environment::FIELDS,
                    Some((FLAG_ONLY, "on the flag, for all its environments")),
                    &env_at,
                );
                let targets = env_at.key("targets");
                for (i, t) in settings.targets.iter().enumerate() {
                    self.unknown(&t.extra, model::Target::FIELDS, &targets.index(i));
                }
                let rules = env_at.key("rules");
                for (i, rule) in settings.rules.iter().enumerate() {
                    let rule_at = rules.index(i);
                    self.unknown(&rule.extra, model::Rule::FIELDS, &rule_at);
                    self.unknown_in_clauses(&rule.clauses, &rule_at);
                    self.unknown_in_serve(&rule.serve, &rule_at.key("serve"));
                }
                if let Some(serve) = &settings.default_serve {
                    self.unknown_in_serve(serve, &env_at.key("defaultServe"));
                }
                let schedule = env_at.key("schedule");
                for (i, step) in settings.schedule.iter().enumerate() {
                    let step_at = schedule.index(i);
                    self.unknown(&step.extra, model::ScheduleStep::FIELDS, &step_at);
                    self.unknown_in_serve(&step.default_serve, &step_at.key("defaultServe"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("enabeld", "enabled"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kind", "kind"), 0);
    }
}
