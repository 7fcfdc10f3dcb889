//! The bodies of the metrics routes (`/api/v1/metrics…`), which the metrics store answers and
//! the admin app reads. Times are RFC 3339 strings, as everywhere in the admin API; counts and
//! the arithmetic behind them are burgee-metrics'.

use std::collections::BTreeMap;

use burgee_metrics::readout::Readout;
use burgee_metrics::series::{Resolution, Totals};
use serde::{Deserialize, Serialize};

/// One step of `GET /api/v1/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsPoint {
    /// The step's start.
    pub start: String,
    pub evaluations: u64,
    /// By variant served (evaluations that served the caller's default are not here).
    pub variants: BTreeMap<String, u64>,
    /// By reason (`SPLIT`, `TARGETING_MATCH`, …).
    pub reasons: BTreeMap<String, u64>,
}

/// `GET /api/v1/metrics?environment=&flag=&from=&to=&step=`: one flag's evaluations over time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsBody {
    pub environment: String,
    pub flag: String,
    pub from: String,
    pub to: String,
    /// The step used, in seconds (the one asked, widened to whole buckets and the point cap).
    pub step: i64,
    /// Minute points (kept 48 h) or hour points (kept 90 days).
    pub resolution: Resolution,
    /// Every step of the range, oldest first, empty ones included.
    pub series: Vec<MetricsPoint>,
    pub totals: Totals,
    /// When the flag was last counted in `environment`.
    pub last_evaluated_at: Option<String>,
    /// … and in every environment that ever counted it.
    pub last_evaluated_at_by_environment: BTreeMap<String, String>,
}

/// `GET /api/v1/metrics/readout?environment=&flag=&event=&from=&to=&control=`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadoutBody {
    pub environment: String,
    pub flag: String,
    /// The event that measures the flag.
    pub event: String,
    pub from: String,
    pub to: String,
    /// Exposures and conversions are unique contexts over the days the range touches.
    pub readout: Readout,
}

/// One flag's use in one environment, in `GET /api/v1/metrics/usage`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageEntry {
    pub environment: String,
    pub flag: String,
    pub last_evaluated_at: Option<String>,
    /// Evaluations over the body's `days`.
    pub evaluations: u64,
    /// Of those, by variant served.
    pub variants: BTreeMap<String, u64>,
}

/// `GET /api/v1/metrics/usage?days=N`: every flag counted, per environment, over the last
/// `days` days (default 30).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageBody {
    /// When this was answered.
    pub now: String,
    pub days: u32,
    /// The oldest hour the store holds: the usage rules may judge only periods after it
    /// (`None`: nothing was ever counted).
    pub counting_since: Option<String>,
    pub flags: Vec<UsageEntry>,
}
