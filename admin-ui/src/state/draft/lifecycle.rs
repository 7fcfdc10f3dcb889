//! What a flag is for and how long it should live (`lifecycle`, `expectedLifetimeDays`), and
//! the events that measure it as an experiment (`experiment.events`): read by the stale-flag
//! rules and the experiment readout, never by evaluation.

use burgee_core::Code;
use burgee_core::model::{Experiment, Flag, Lifecycle};

use crate::state::fields::{Problem, pointer};

/// The lifecycles a flag may have, in the order the editor offers them.
pub const LIFECYCLES: [&str; 4] = ["release", "experiment", "operational", "permission"];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LifecycleDraft {
    /// A name from [`LIFECYCLES`]; empty: none written (a release flag).
    pub lifecycle: String,
    /// Whole days; empty: the lifecycle's default.
    pub lifetime_days: String,
    /// Comma-separated event names.
    pub events: String,
}

impl LifecycleDraft {
    pub fn from_flag(flag: &Flag) -> LifecycleDraft {
        LifecycleDraft {
            lifecycle: flag
                .lifecycle
                .as_ref()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            lifetime_days: flag
                .expected_lifetime_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            events: flag.experiment_events().join(", "),
        }
    }

    /// The lifetime the flag has with this draft: the one typed, else the lifecycle's default
    /// (`None`: permanent), for the hint beside the field.
    pub fn default_lifetime(&self) -> Option<u64> {
        Lifecycle::from_name(self.lifecycle_name()).default_lifetime_days()
    }

    fn lifecycle_name(&self) -> &str {
        if self.lifecycle.is_empty() {
            "release"
        } else {
            &self.lifecycle
        }
    }

    /// Writes the three fields into `flag` (the flag at `at`), adding the problems only the
    /// editor can see (a lifetime that is not a whole number of days).
    pub fn apply(&self, flag: &mut Flag, at: &str, problems: &mut Vec<Problem>) {
        flag.lifecycle =
            (!self.lifecycle.is_empty()).then(|| Lifecycle::from_name(&self.lifecycle));
        let days = self.lifetime_days.trim();
        flag.expected_lifetime_days = if days.is_empty() {
            None
        } else {
            match days.parse::<u64>() {
                Ok(d) if d > 0 => Some(d),
                _ => {
                    problems.push(Problem::error(
                        pointer(at, &["expectedLifetimeDays"]),
                        Code::InvalidValue.as_str(),
                        format!("{days:?} is not a whole number of days (1 or more)"),
                    ));
                    flag.expected_lifetime_days
                }
            }
        };
        let mut events: Vec<String> = Vec::new();
        for e in self.events.split(',').map(str::trim) {
            if !e.is_empty() && !events.iter().any(|x| x == e) {
                events.push(e.to_string());
            }
        }
        match (&mut flag.experiment, events.is_empty()) {
            (Some(experiment), _) => experiment.events = events,
            (None, true) => {}
            (None, false) => {
                flag.experiment = Some(Experiment {
                    events,
                    ..Experiment::default()
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fields_round_trip_and_are_checked() {
        let mut flag = Flag::default();
        let draft = LifecycleDraft {
            lifecycle: "experiment".into(),
            lifetime_days: " 14 ".into(),
            events: "purchase, signup,purchase,".into(),
        };
        let mut problems = Vec::new();
        draft.apply(&mut flag, "/flags/a", &mut problems);
        assert!(problems.is_empty());
        assert_eq!(flag.lifecycle, Some(Lifecycle::Experiment));
        assert_eq!(flag.expected_lifetime_days, Some(14));
        assert_eq!(flag.experiment_events(), ["purchase", "signup"]);
        let back = LifecycleDraft::from_flag(&flag);
        assert_eq!(back.events, "purchase, signup");
        assert_eq!(back.lifetime_days, "14");

        // Cleared: nothing written, the defaults apply.
        let cleared = LifecycleDraft::default();
        cleared.apply(&mut flag, "/flags/a", &mut problems);
        assert_eq!(
            (flag.lifecycle.clone(), flag.expected_lifetime_days),
            (None, None)
        );
        assert!(flag.experiment_events().is_empty());
        assert_eq!(cleared.default_lifetime(), Some(40));

        let wrong = LifecycleDraft {
            lifecycle: "permission".into(),
            lifetime_days: "two weeks".into(),
            ..LifecycleDraft::default()
        };
        wrong.apply(&mut flag, "/flags/a", &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pointer, "/flags/a/expectedLifetimeDays");
        assert_eq!(wrong.default_lifetime(), None);
    }
}
