//! The shared corpus of command-line cases (tests/cli/cases.json) against the native binary.
//! npm/test/cli.test.mjs runs the same cases against the npm package's `bin/burgee.mjs`: the
//! two hosts of the command must answer them the same.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/cli")
}

/// `actual` against the case's exact text (`name`) or prefix (`nameStartsWith`); a problem
/// in words, or nothing.
fn check_text(case: &Value, name: &str, actual: &str) -> Option<String> {
    if let Some(exact) = case.get(name).and_then(Value::as_str) {
        return (actual != exact).then(|| format!("{name}: expected {exact:?}, got {actual:?}"));
    }
    let key = format!("{name}StartsWith");
    let prefix = case.get(&key).and_then(Value::as_str)?;
    (!actual.starts_with(prefix)).then(|| format!("{key}: expected {prefix:?}, got {actual:?}"))
}

#[test]
fn every_case_answers_as_the_corpus_says() {
    let dir = corpus_dir();
    let corpus: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_burgee"))
            .args(&args)
            .current_dir(&dir)
            .env_remove("BURGEE_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = case["stdin"].as_str().unwrap_or("");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let mut problems = Vec::new();
        if out.status.code() != case["exit"].as_i64().map(|c| c as i32) {
            problems.push(format!(
                "exit: expected {}, got {:?}",
                case["exit"],
                out.status.code()
            ));
        }
        if let Some(file) = case.get("stdoutFile").and_then(Value::as_str) {
            if std::fs::read(dir.join(file)).unwrap() != out.stdout {
                problems.push(format!("stdout differs from {file}"));
            }
        } else {
            problems.extend(check_text(
                case,
                "stdout",
                &String::from_utf8_lossy(&out.stdout),
            ));
        }
        problems.extend(check_text(
            case,
            "stderr",
            &String::from_utf8_lossy(&out.stderr),
        ));
        if !problems.is_empty() {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
