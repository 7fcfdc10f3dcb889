//! `tests/vectors/validation.json`: every diagnostic code, with the exact pointers the store,
//! the CLI and the admin app report.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use burgee_core::{Code, load};
use burgee_tests::{ExpectedDiagnostic, validation};

fn reported(text: &str) -> BTreeSet<ExpectedDiagnostic> {
    let diagnostics = match load(text) {
        Ok(loaded) => loaded.validate(),
        Err(d) => vec![d],
    };
    diagnostics
        .into_iter()
        .map(|d| ExpectedDiagnostic {
            severity: serde_json::to_value(d.severity)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            code: d.code.as_str().to_string(),
            pointer: d.pointer,
        })
        .collect()
}

#[test]
fn every_validation_case() {
    let file = validation();
    let mut failures = Vec::new();
    for case in &file.cases {
        let want: BTreeSet<ExpectedDiagnostic> = case.expect.iter().cloned().collect();
        let got = reported(&case.text());
        if want != got {
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {:?}",
                case.id,
                want.iter()
                    .map(|d| format!("{} {} {}", d.severity, d.code, d.pointer))
                    .collect::<Vec<_>>(),
                got.iter()
                    .map(|d| format!("{} {} {}", d.severity, d.code, d.pointer))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} validation cases failed:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_is_exercised() {
    let file = validation();
    let used: BTreeSet<String> = file
        .cases
        .iter()
        .flat_map(|c| c.expect.iter().map(|d| d.code.clone()))
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !used.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "no validation case exercises {missing:?}"
    );
}

#[test]
fn text_and_value_loading_agree() {
    use burgee_core::load_value;
    let mut documents: Vec<serde_json::Value> = burgee_tests::eval_files()
        .into_iter()
        .map(|(_, f)| f.document)
        .collect();
    documents.extend(validation().cases.into_iter().filter_map(|c| c.document));
    for doc in documents {
        let from_text = load(&doc.to_string());
        let from_value = load_value(doc.clone());
        assert_eq!(from_text, from_value, "{doc}");
    }
}
