//! The `burgee` binary's contract: exit codes, output shapes, one-line errors.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/tasks-app.json");

fn burgee(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burgee"))
        .args(args)
        .output()
        .expect("burgee runs")
}

fn burgee_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_burgee"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("burgee runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("burgee exits")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn validate_accepts_the_example() {
    let out = burgee(&["validate", EXAMPLE]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(": ok: 13 flags, 1 segment, 3 environments; 0 errors"),
        "{stdout}"
    );
}

#[test]
fn validate_lists_every_diagnostic_and_exits_1() {
    let doc = r#"{"environments":["prod"],"flags":{
        "a":{"kind":"boolean","variants":{"on":true,"off":false},
             "environments":{"prod":{"enabled":true,"offVariant":"of","defaultServe":{"variant":"on"}}}},
        "b":{"kind":"boolean","variants":{"on":1},"environments":{"prod":{"offVariant":"on"}}}}}"#;
    let out = burgee_stdin(&["validate", "-"], doc);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "error[unknown-variant] /flags/a/environments/prod/offVariant: unknown variant `of`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("error[wrong-kind] /flags/b/variants/on:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("invalid: 2 flags, 0 segments, 1 environment; 2 errors"),
        "{stdout}"
    );
}

#[test]
fn validate_json_format() {
    let out = burgee(&["validate", EXAMPLE, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["valid"], true);
    assert_eq!(report["errors"], 0);
}

#[test]
fn eval_one_flag() {
    let out = burgee(&[
        "eval",
        EXAMPLE,
        "--env",
        "production",
        "--flag",
        "outbound_calling",
        "--context",
        r#"{"targetingKey":"u1","role":"admin"}"#,
        "--now",
        "2026-12-10T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = lines(&out);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["flag"], "outbound_calling");
    assert_eq!(results[0]["value"], true);
    assert_eq!(results[0]["reason"], "TARGETING_MATCH");
    assert_eq!(results[0]["ruleId"], "admins-and-premium");
}

#[test]
fn eval_all_flags_in_key_order() {
    let out = burgee(&[
        "eval",
        EXAMPLE,
        "--env=staging",
        "--context={\"userId\":\"u2\"}",
        "--now=2026-12-10T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = lines(&out);
    assert_eq!(results.len(), 13);
    let keys: Vec<&str> = results
        .iter()
        .map(|r| r["flag"].as_str().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    for r in &results {
        assert!(
            r.get("value").is_some() && r.get("variant").is_some() && r.get("reason").is_some(),
            "{r}"
        );
    }
}

#[test]
fn eval_unknown_flag_is_a_result_not_a_failure() {
    let out = burgee(&[
        "eval",
        EXAMPLE,
        "--env",
        "production",
        "--flag",
        "nope",
        "--default",
        "false",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let r = &lines(&out)[0];
    assert_eq!(r["value"], false);
    assert_eq!(r["variant"], serde_json::Value::Null);
    assert_eq!(r["reason"], "ERROR");
    assert_eq!(r["errorCode"], "FLAG_NOT_FOUND");
}

#[test]
fn eval_type_mismatch() {
    let out = burgee(&[
        "eval",
        EXAMPLE,
        "--env",
        "production",
        "--flag",
        "max-upload-mb",
        "--type",
        "boolean",
        "--default",
        "true",
    ]);
    let r = &lines(&out)[0];
    assert_eq!(r["errorCode"], "TYPE_MISMATCH");
    assert_eq!(r["value"], true);
}

#[test]
fn input_problems_exit_2_with_one_line() {
    let dir = std::env::temp_dir().join(format!("burgee-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_json = dir.join("bad.json");
    std::fs::write(&bad_json, "{ not json").unwrap();
    let bad = bad_json.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["validate", "/nonexistent/flags.json"],
        vec!["eval", "/nonexistent/flags.json", "--env", "production"],
        vec!["validate", bad],
        vec!["eval", bad, "--env", "production"],
        vec!["eval", EXAMPLE, "--env", "moon"],
        vec!["eval", EXAMPLE],
        vec!["eval", EXAMPLE, "--env", "production", "--context", "{oops"],
        vec!["eval", EXAMPLE, "--env", "production", "--now", "yesterday"],
        vec!["eval", EXAMPLE, "--env", "production", "--bogus", "1"],
        vec!["frobnicate", EXAMPLE],
    ];
    for args in cases {
        let out = burgee(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("burgee: "), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn broken_flags_answer_parse_error_and_others_still_work() {
    let doc = r#"{"environments":["prod"],"flags":{
        "good":{"kind":"boolean","variants":{"on":true,"off":false},"environments":{"prod":{"enabled":true,"offVariant":"off","defaultServe":{"variant":"on"}}}},
        "bad":{"kind":"boolean","variants":{"on":true,"off":false},"environments":{"prod":{"enabled":"yes"}}}}}"#;
    let out = burgee_stdin(&["eval", "-", "--env", "prod"], doc);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("1 errors") || text(&out.stderr).contains("has 1"));
    let results = lines(&out);
    let bad = results.iter().find(|r| r["flag"] == "bad").unwrap();
    assert_eq!(bad["errorCode"], "PARSE_ERROR");
    let good = results.iter().find(|r| r["flag"] == "good").unwrap();
    assert_eq!(good["reason"], "STATIC");
    assert_eq!(good["value"], true);
}

#[test]
fn compile_writes_a_snapshot_that_evaluates_like_the_document() {
    let dir = std::env::temp_dir().join(format!("burgee-cli-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let full = dir.join("production.bin");
    let public = dir.join("production-public.bin");
    let out = burgee(&[
        "compile",
        EXAMPLE,
        "--env",
        "production",
        "--out",
        full.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = burgee(&[
        "compile",
        EXAMPLE,
        "--env",
        "production",
        "--client-side",
        "--out",
        public.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let full = burgee_core::Snapshot::decode(&std::fs::read(&full).unwrap()).unwrap();
    let public = burgee_core::Snapshot::decode(&std::fs::read(&public).unwrap()).unwrap();
    assert_eq!(full.len(), 13);
    assert!(public.len() < full.len(), "server-only flags are left out");
    assert!(public.flag_keys().all(|k| full.flag_keys().any(|f| f == k)));
    assert!(!public.flag_keys().any(|k| k == "ai_voice_cloning"));
    let to_stdout = burgee(&["compile", EXAMPLE, "--env", "production"]);
    assert_eq!(
        burgee_core::Snapshot::decode(&to_stdout.stdout).unwrap(),
        full
    );
    std::fs::remove_dir_all(&dir).ok();
}
