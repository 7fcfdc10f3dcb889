//! The behaviour corpus, and the one checker every host runs it through.
//!
//! A host (the core natively, the npm package, the worker over HTTP) supplies a function from a
//! case's inputs to the result JSON it returns; [`run_cases`] feeds it every case and compares
//! with [`check`]. The corpus is compiled in (see `build.rs`), so hosts need no filesystem.

// A test harness: a corpus file that does not parse must stop the run loudly.
#![allow(clippy::panic)]

use serde::Deserialize;
use serde_json::Value;

include!(concat!(env!("OUT_DIR"), "/files.rs"));

/// The default evaluation time of a case without `now`.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

/// A file of evaluation cases over one document.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalFile {
    #[serde(default)]
    pub description: String,
    pub document: Value,
    /// True for the file whose document is broken on purpose.
    #[serde(default)]
    pub document_has_errors: bool,
    pub cases: Vec<Case>,
    #[serde(default)]
    pub distributions: Vec<Distribution>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub env: String,
    pub flag: String,
    pub context: Value,
    pub now: Option<String>,
    #[serde(default)]
    pub default: Value,
    #[serde(rename = "type")]
    pub value_type: Option<String>,
    pub expect: Expect,
}

impl Case {
    pub fn now(&self) -> &str {
        self.now.as_deref().unwrap_or(DEFAULT_NOW)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expect {
    pub value: Value,
    /// `null` when the caller's default is served; required in the file.
    pub variant: Option<String>,
    pub reason: String,
    pub rule_id: Option<String>,
    pub error_code: Option<String>,
    pub prerequisite: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub env: String,
    pub flag: String,
    pub count: u32,
    pub id_prefix: String,
    #[serde(default)]
    pub context: Value,
    pub now: Option<String>,
    /// Percent of contexts per variant.
    pub expect: std::collections::BTreeMap<String, f64>,
    pub tolerance: f64,
}

impl Distribution {
    pub fn now(&self) -> &str {
        self.now.as_deref().unwrap_or(DEFAULT_NOW)
    }

    /// The context of the `i`th synthetic user.
    pub fn context(&self, i: u32) -> Value {
        let mut context = match &self.context {
            Value::Object(m) => m.clone(),
            _ => serde_json::Map::new(),
        };
        context.insert(
            "targetingKey".into(),
            Value::String(format!("{}{i}", self.id_prefix)),
        );
        Value::Object(context)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Murmur3File {
    pub hashes: Vec<HashVector>,
    pub buckets: Vec<BucketVector>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HashVector {
    pub id: String,
    pub input: String,
    pub hash: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BucketVector {
    pub id: String,
    pub salt: String,
    pub value: String,
    pub total: u32,
    pub bucket: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ValidationFile {
    pub cases: Vec<ValidationCase>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ValidationCase {
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub document: Option<Value>,
    /// Raw text, for documents that are not JSON.
    pub text: Option<String>,
    pub expect: Vec<ExpectedDiagnostic>,
}

impl ValidationCase {
    /// The document as text, whichever way the case gives it.
    pub fn text(&self) -> String {
        match (&self.text, &self.document) {
            (Some(text), _) => text.clone(),
            (None, Some(doc)) => doc.to_string(),
            (None, None) => String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedDiagnostic {
    pub severity: String,
    pub code: String,
    pub pointer: String,
}

/// Names of the files that hold evaluation cases.
pub fn is_eval_file(name: &str) -> bool {
    name != "murmur3.json" && name != "validation.json"
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("corpus file {name} does not parse: {e}"),
    }
}

/// Every evaluation file, by name.
pub fn eval_files() -> Vec<(&'static str, EvalFile)> {
    FILES
        .iter()
        .filter(|(name, _)| is_eval_file(name))
        .map(|(name, text)| (*name, parse(name, text)))
        .collect()
}

pub fn murmur3() -> Murmur3File {
    let (name, text) = FILES
        .iter()
        .find(|(n, _)| *n == "murmur3.json")
        .copied()
        .unwrap_or(("murmur3.json", r#"{"hashes":[],"buckets":[]}"#));
    parse(name, text)
}

pub fn validation() -> ValidationFile {
    let (name, text) = FILES
        .iter()
        .find(|(n, _)| *n == "validation.json")
        .copied()
        .unwrap_or(("validation.json", r#"{"cases":[]}"#));
    parse(name, text)
}

/// JSON equality as the core defines it (`1` equals `1.0`).
use burgee_core::json::same_json;

/// Compares a host's result JSON with a case's expectation. Optional fields are strict: absent
/// in the expectation means absent in the result.
pub fn check(expect: &Expect, actual: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    let field = |name: &str| actual.get(name).filter(|v| !v.is_null());
    if !actual
        .get("value")
        .is_some_and(|v| same_json(v, &expect.value))
    {
        problems.push(format!(
            "value: expected {}, got {}",
            expect.value,
            actual.get("value").unwrap_or(&Value::Null)
        ));
    }
    let mut text = |name: &str, want: Option<&str>| {
        let got = field(name).map(|v| v.as_str().map(String::from).unwrap_or(v.to_string()));
        if got.as_deref() != want {
            problems.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    };
    text("variant", expect.variant.as_deref());
    text("reason", Some(&expect.reason));
    text("ruleId", expect.rule_id.as_deref());
    text("errorCode", expect.error_code.as_deref());
    text("prerequisite", expect.prerequisite.as_deref());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// What a host failed, case by case.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<String>,
}

impl Report {
    pub fn assert_clean(&self, host: &str) {
        if !self.failures.is_empty() {
            panic!(
                "{host}: {} of {} corpus cases failed:\n{}",
                self.failures.len(),
                self.failures.len() + self.passed,
                self.failures.join("\n")
            );
        }
    }
}

/// Runs every evaluation case through `host`, which returns the result JSON (or why it could
/// not evaluate).
pub fn run_cases(mut host: impl FnMut(&str, &EvalFile, &Case) -> Result<Value, String>) -> Report {
    let mut report = Report::default();
    for (name, file) in eval_files() {
        for case in &file.cases {
            match host(name, &file, case).and_then(|actual| {
                check(&case.expect, &actual).map_err(|e| format!("{e} (result: {actual})"))
            }) {
                Ok(()) => report.passed += 1,
                Err(e) => report.failures.push(format!("{name} {}: {e}", case.id)),
            }
        }
    }
    report
}

/// Runs every distribution through `host` (which returns the variant name, if any) and checks
/// each variant's share against the expected percentages.
pub fn run_distributions(
    mut host: impl FnMut(&str, &EvalFile, &Distribution, u32) -> Result<Option<String>, String>,
) -> Report {
    let mut report = Report::default();
    for (name, file) in eval_files() {
        for dist in &file.distributions {
            let mut counts = std::collections::BTreeMap::<String, u32>::new();
            let mut error = None;
            for i in 0..dist.count {
                match host(name, &file, dist, i) {
                    Ok(Some(v)) => *counts.entry(v).or_default() += 1,
                    Ok(None) => *counts.entry("(default)".into()).or_default() += 1,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let mut problems = Vec::new();
            if let Some(e) = error {
                problems.push(e);
            }
            let variants: std::collections::BTreeSet<&String> =
                counts.keys().chain(dist.expect.keys()).collect();
            for v in variants {
                let want = dist.expect.get(v).copied().unwrap_or(0.0);
                let got = f64::from(counts.get(v).copied().unwrap_or(0)) * 100.0
                    / f64::from(dist.count.max(1));
                if (got - want).abs() > dist.tolerance {
                    problems.push(format!(
                        "{v}: expected {want}% ± {}, got {got:.3}%",
                        dist.tolerance
                    ));
                }
            }
            if problems.is_empty() {
                report.passed += 1;
            } else {
                report
                    .failures
                    .push(format!("{name} {}: {}", dist.id, problems.join("; ")));
            }
        }
    }
    report
}

/// The benchmark document every benchmark uses (criterion, Node, wrk): `flags` targeted
/// boolean flags `flag-000…` (a 20-id target list, a role rule, an environment rule and a 25 %
/// rollout) plus `split`, a string flag with a 34/33/33 split. One environment, `production`.
pub fn benchmark_document(flags: usize) -> Value {
    let mut all = serde_json::Map::new();
    for i in 0..flags {
        let ids: Vec<Value> = (0..20)
            .map(|j| Value::String(format!("vip-{i}-{j}")))
            .collect();
        all.insert(
            format!("flag-{i:03}"),
            serde_json::json!({
                "name": format!("Targeted flag {i}"),
                "kind": "boolean",
                "clientSide": true,
                "variants": { "on": true, "off": false },
                "environments": { "production": {
                    "enabled": true,
                    "offVariant": "off",
                    "targets": [{ "values": ids, "variant": "on" }],
                    "rules": [
                        { "id": "roles", "clauses": [{ "attribute": "role", "op": "in", "values": ["admin", "beta"] }], "serve": { "variant": "on" } },
                        { "id": "environment", "clauses": [{ "attribute": "environment", "op": "in", "values": ["staging", "development"] }], "serve": { "variant": "on" } }
                    ],
                    "defaultServe": { "rollout": { "weights": [{ "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 }] } }
                }}
            }),
        );
    }
    all.insert(
        "split".into(),
        serde_json::json!({
            "kind": "string",
            "clientSide": true,
            "variants": { "a": "control", "b": "treatment-1", "c": "treatment-2" },
            "environments": { "production": {
                "enabled": true,
                "offVariant": "a",
                "defaultServe": { "rollout": { "weights": [
                    { "variant": "a", "weight": 34 }, { "variant": "b", "weight": 33 }, { "variant": "c", "weight": 33 }
                ] } }
            }}
        }),
    );
    serde_json::json!({ "environments": ["production"], "flags": all })
}

/// The context the benchmarks evaluate for: in no target list and no rule, so every targeted
/// flag runs all the way to its rollout (the slowest path).
pub fn benchmark_context() -> Value {
    serde_json::json!({
        "targetingKey": "user-123456",
        "role": "member",
        "environment": "production",
        "plan": "pro",
        "email": "someone@example.com"
    })
}

/// [`benchmark_document`] in flagd's format (JSON Logic: `in` for the target list and the two
/// rules, `fractional` for the rollouts, which buckets exactly as Burgee does), for benchmarks
/// that compare with `@openfeature/flagd-core`.
pub fn benchmark_document_flagd(flags: usize) -> Value {
    let mut all = serde_json::Map::new();
    for i in 0..flags {
        let ids: Vec<Value> = (0..20)
            .map(|j| Value::String(format!("vip-{i}-{j}")))
            .collect();
        all.insert(
            format!("flag-{i:03}"),
            serde_json::json!({
                "state": "ENABLED",
                "variants": { "on": true, "off": false },
                "defaultVariant": "off",
                "targeting": { "if": [
                    { "in": [{ "var": "targetingKey" }, ids] }, "on",
                    { "in": [{ "var": "role" }, ["admin", "beta"]] }, "on",
                    { "in": [{ "var": "environment" }, ["staging", "development"]] }, "on",
                    { "fractional": [["on", 25], ["off", 75]] }
                ] }
            }),
        );
    }
    all.insert(
        "split".into(),
        serde_json::json!({
            "state": "ENABLED",
            "variants": { "a": "control", "b": "treatment-1", "c": "treatment-2" },
            "defaultVariant": "a",
            "targeting": { "fractional": [["a", 34], ["b", 33], ["c", 33]] }
        }),
    );
    serde_json::json!({ "flags": all })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(same_json(&serde_json::json!(1), &serde_json::json!(1.0)));
        assert!(!same_json(&serde_json::json!(1), &serde_json::json!("1")));
        assert!(same_json(
            &serde_json::json!({"a": [1, {"b": 2.0}]}),
            &serde_json::json!({"a": [1.0, {"b": 2}]})
        ));
    }

    #[test]
    fn absent_optional_fields_must_be_absent() {
        let expect: Expect = serde_json::from_value(
            serde_json::json!({"value": true, "variant": "on", "reason": "STATIC"}),
        )
        .unwrap();
        assert!(
            check(
                &expect,
                &serde_json::json!({"value": true, "variant": "on", "reason": "STATIC"})
            )
            .is_ok()
        );
        let extra =
            serde_json::json!({"value": true, "variant": "on", "reason": "STATIC", "ruleId": "r"});
        assert!(check(&expect, &extra).is_err());
        let wrong = serde_json::json!({"value": false, "variant": "on", "reason": "STATIC"});
        assert!(check(&expect, &wrong).is_err());
    }
}
