//! A double of Workers KV's write side as strict as the real service, faults included.
//!
//! `wrangler dev`'s local KV takes any write rate and is consistent at once; Cloudflare's takes
//! one write per second per key (`429` past it), fails some writes, times some out (they may
//! still land, late) and is slow. [`StrictKv`] decides what happens to each write the way the
//! real service can: it enforces the rate limit always, and fails, delays or strands writes at
//! the rates of a [`FaultPlan`]. The publisher is tested against it natively, and the control
//! plane wraps the real local KV with it in end-to-end tests (`ALLOW_FAULT_INJECTION`), so the
//! same faults run in workerd.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::MIN_WRITE_INTERVAL_MS;

/// How often and how badly writes fail. The default is the healthy service: only the rate
/// limit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    /// Percent of writes refused with a `5xx` (not applied).
    #[serde(default)]
    pub fail_percent: u8,
    /// Percent of writes whose outcome is unknown (a timeout): they land late, or not at all.
    #[serde(default)]
    pub unknown_percent: u8,
    /// Each write takes between these many milliseconds.
    #[serde(default)]
    pub delay_ms: [f64; 2],
    /// How late a write of unknown outcome may still land, at most (milliseconds).
    #[serde(default)]
    pub straggle_ms: f64,
    /// Seeds the choices, so a run can be repeated.
    #[serde(default)]
    pub seed: u64,
}

impl FaultPlan {
    /// Reads a plan from JSON, refusing rates over 100 % and delays that cannot happen.
    pub fn parse(text: &str) -> Result<FaultPlan, String> {
        let plan: FaultPlan = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let [low, high] = plan.delay_ms;
        if plan.fail_percent > 100
            || plan.unknown_percent > 100
            || u16::from(plan.fail_percent) + u16::from(plan.unknown_percent) > 100
        {
            return Err("failPercent + unknownPercent must be at most 100".into());
        }
        if !(0.0..=60_000.0).contains(&low) || high < low || high > 60_000.0 {
            return Err("delayMs must be [low, high] within 0..=60000".into());
        }
        if !(0.0..=super::STRAGGLER_WINDOW_MS).contains(&plan.straggle_ms) {
            return Err("straggleMs must be within the publisher's straggler window".into());
        }
        Ok(plan)
    }
}

/// What happens to one write.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Applied `after` ms, then reported written.
    Land { after: f64 },
    /// Refused at once with `429`: the key was written less than a second ago.
    RateLimited,
    /// Refused after `after` ms with a `5xx`; not applied.
    Fail { after: f64 },
    /// Reported as a timeout after `after` ms; applied at `lands` ms (later), or never.
    Unknown { after: f64, lands: Option<f64> },
}

/// The double's memory: the plan, its random source and when each key was last written.
#[derive(Clone, Debug, Default)]
pub struct StrictKv {
    pub plan: FaultPlan,
    state: u64,
    accepted: HashMap<String, f64>,
}

impl StrictKv {
    pub fn new(plan: FaultPlan) -> StrictKv {
        StrictKv {
            state: plan.seed ^ 0x9E37_79B9_7F4A_7C15,
            plan,
            accepted: HashMap::new(),
        }
    }

    /// A number in `0..1` (xorshift64*: small, seedable, good enough for fault rates).
    fn next(&mut self) -> f64 {
        let mut x = self.state.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn delay(&mut self) -> f64 {
        let [low, high] = self.plan.delay_ms;
        low + (high - low) * self.next()
    }

    /// Decides the fate of a write of `key` sent at `now`.
    pub fn decide(&mut self, key: &str, now: f64) -> Decision {
        if self
            .accepted
            .get(key)
            .is_some_and(|last| now - last < MIN_WRITE_INTERVAL_MS)
        {
            return Decision::RateLimited;
        }
        self.accepted.insert(key.to_string(), now);
        let roll = self.next() * 100.0;
        let after = self.delay();
        let fail = f64::from(self.plan.fail_percent);
        if roll < fail {
            Decision::Fail { after }
        } else if roll < fail + f64::from(self.plan.unknown_percent) {
            let lands = (self.next() < 0.5).then(|| after + self.plan.straggle_ms * self.next());
            Decision::Unknown { after, lands }
        } else {
            Decision::Land { after }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_is_always_enforced() {
        let mut kv = StrictKv::new(FaultPlan::default());
        assert_eq!(kv.decide("a", 0.0), Decision::Land { after: 0.0 });
        assert_eq!(kv.decide("a", 999.0), Decision::RateLimited);
        assert_eq!(kv.decide("b", 999.0), Decision::Land { after: 0.0 });
        assert_eq!(kv.decide("a", 1_000.0), Decision::Land { after: 0.0 });
    }

    #[test]
    fn faults_come_at_their_rates() {
        let plan = FaultPlan::parse(
            r#"{"failPercent": 20, "unknownPercent": 10, "delayMs": [50, 400], "straggleMs": 3000, "seed": 7}"#,
        )
        .unwrap_or_default();
        let mut kv = StrictKv::new(plan);
        let (mut fail, mut unknown, mut land) = (0, 0, 0);
        for i in 0..2_000 {
            match kv.decide(&format!("k{i}"), 0.0) {
                Decision::Fail { after }
                | Decision::Land { after }
                | Decision::Unknown { after, .. }
                    if !(50.0..=400.0).contains(&after) =>
                {
                    unreachable!("delay {after} out of range")
                }
                Decision::Fail { .. } => fail += 1,
                Decision::Unknown { .. } => unknown += 1,
                Decision::Land { .. } => land += 1,
                Decision::RateLimited => unreachable!("distinct keys"),
            }
        }
        assert!((300..500).contains(&fail), "{fail}");
        assert!((120..280).contains(&unknown), "{unknown}");
        assert_eq!(fail + unknown + land, 2_000);
        assert!(FaultPlan::parse(r#"{"failPercent": 90, "unknownPercent": 20}"#).is_err());
        assert!(FaultPlan::parse(r#"{"delayMs": [5, 1]}"#).is_err());
        assert!(FaultPlan::parse(r#"{"typo": 1}"#).is_err());
    }
}
