//! Schedule steps, and the progressive-rollout form that writes a whole schedule at once.

use burgee_core::Code;
use burgee_core::model::Extra;
use burgee_core::time::{format_rfc3339, parse_rfc3339};

use super::{EnvDraft, ServeDraft};
use crate::state::fields::{Problem, Problems};
use crate::state::values::{DAY_MS, input_to_at, tomorrow_morning};
use crate::state::weights;

#[derive(Clone, Debug, PartialEq)]
pub struct StepDraft {
    /// RFC 3339.
    pub at: String,
    pub serve: ServeDraft,
    pub(super) extra: Extra,
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

impl EnvDraft {
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
                let at = format_rfc3339(start_ms + interval_ms * i as i64);
                StepDraft::new(at, serve)
            })
            .collect();
    }

    /// Adds a schedule step serving `variant`. It starts a day after the latest step, and never
    /// before [`tomorrow_morning`] (no step is added in the past, where it would take effect as
    /// soon as it is saved), so it never shares a time with another step.
    pub fn add_step(&mut self, now_ms: i64, variant: &str) {
        let earliest = tomorrow_morning(now_ms);
        let at = self
            .schedule
            .iter()
            .filter_map(|s| parse_rfc3339(&s.at))
            .max()
            .map_or(earliest, |latest| (latest + DAY_MS).max(earliest));
        self.schedule.push(StepDraft::new(
            format_rfc3339(at),
            ServeDraft::variant(variant),
        ));
    }
}

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
        let start = parse_rfc3339(&input_to_at(&self.start));
        if start.is_none() {
            problems.push(Problem::error(
                RAMP_START,
                Code::InvalidTimestamp.as_str(),
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
                Code::InvalidValue.as_str(),
                "the interval is a positive number of hours",
            ));
        }
        let percents = weights::parse_percents(&self.percents);
        if let Err(message) = &percents {
            problems.push(Problem::error(
                RAMP_PERCENTS,
                Code::InvalidWeight.as_str(),
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
                Code::NoVariants.as_str(),
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

#[cfg(test)]
mod tests {
    use super::super::FlagDraft;
    use super::super::fixtures::*;
    use super::*;
    use burgee_core::model::{self, Kind};
    use serde_json::json;

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
}
