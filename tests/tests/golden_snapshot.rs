//! The binary snapshot format does not drift by accident (docs/snapshot-format.md).
//!
//! Snapshots outlive the build that wrote them: the control plane publishes them to KV, browsers
//! keep the last good one in `localStorage`, and the worker and the npm package decode what
//! they are given. So the bytes of a fixed document are committed in `tests/golden/`, and any
//! change to what the codec writes must be a deliberate format change, with a new version.
//!
//! Regenerate the committed file after a deliberate change with
//! `BURGEE_BLESS=1 cargo test -p burgee-tests --test golden_snapshot`.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use burgee_core::{
    DecodeError, Snapshot, ValueType, compile_client_side, load, time::parse_rfc3339,
};
use serde_json::Value;

/// The format version the codec writes today: the digit that ends the magic `BRG1`.
const FORMAT_VERSION: u8 = 1;
/// The environment of the golden document that is compiled.
const ENVIRONMENT: &str = "production";

const VERSIONING_RULE: &str = "\
A snapshot decoder reads exactly one format version, named by the magic's last digit, and \
refuses every other one with BadMagic; nothing promises that old bytes still decode. So a \
change to the bytes the codec writes is a format change: bump the digit in the magic \
(core/src/codec/), set FORMAT_VERSION in this test to it, commit the new golden file \
(tests/golden/snapshot-v<N>.json and .bin, made with BURGEE_BLESS=1), keep the old golden \
files (this test checks that they are refused cleanly, never misread), and update \
docs/snapshot-format.md. If the change was not meant to alter the format, undo it.";

fn golden(version: u8, extension: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(format!("snapshot-v{version}.{extension}"))
}

/// The golden document, loaded.
fn document() -> burgee_core::Loaded {
    let path = golden(FORMAT_VERSION, "json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    load(&text).expect("the golden document is a JSON object")
}

/// The bytes the codec writes today for the golden document.
fn encoded_today() -> Vec<u8> {
    document().compile(ENVIRONMENT).snapshot.encode()
}

fn blessing() -> bool {
    std::env::var_os("BURGEE_BLESS").is_some_and(|v| v == "1")
}

/// The committed bytes; while blessing, the bytes about to be committed (the tests run at the
/// same time as the one that writes them).
fn committed() -> Vec<u8> {
    if blessing() {
        return encoded_today();
    }
    let path = golden(FORMAT_VERSION, "bin");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with BURGEE_BLESS=1 cargo test -p burgee-tests \
             --test golden_snapshot",
            path.display()
        )
    })
}

#[test]
fn the_codec_writes_the_committed_bytes() {
    let today = encoded_today();
    let path = golden(FORMAT_VERSION, "bin");
    if blessing() {
        std::fs::write(&path, &today).expect("write the golden snapshot");
        eprintln!("wrote {} ({} bytes)", path.display(), today.len());
    }
    let magic = [b'B', b'R', b'G', b'0' + FORMAT_VERSION];
    assert!(
        today.starts_with(&magic),
        "the codec no longer writes the magic {:?} of format version {FORMAT_VERSION} (it writes \
         {:?}).\n{VERSIONING_RULE}",
        String::from_utf8_lossy(&magic),
        String::from_utf8_lossy(today.get(..4).unwrap_or_default()),
    );
    let committed = committed();
    if today != committed {
        let first = today
            .iter()
            .zip(&committed)
            .position(|(a, b)| a != b)
            .unwrap_or(today.len().min(committed.len()));
        panic!(
            "compiling and encoding {} gives other bytes than {} ({} bytes today, {} committed; \
             first difference at byte {first}).\n{VERSIONING_RULE}",
            golden(FORMAT_VERSION, "json").display(),
            path.display(),
            today.len(),
            committed.len(),
        );
    }
}

/// `(flag, context, now, expected type, expected result without errorMessage)`; the caller's
/// default is `null`.
const CASES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    // Targets: a listed key, a number and a boolean on another attribute.
    (
        "checkout-v2",
        r#"{"targetingKey":"user-vip"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"TARGETING_MATCH"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u1","orgId":42}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"TARGETING_MATCH"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u1","orgId":true}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"TARGETING_MATCH"}"#,
    ),
    // The segment: by include, by its rule, and excluded (then the default rollout:
    // murmur3("checkout-v2" + "user-banned") puts it in bucket 41 of 100, off).
    (
        "checkout-v2",
        r#"{"targetingKey":"user-beta"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"TARGETING_MATCH","ruleId":"beta"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u2","email":"ann@example.com"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"TARGETING_MATCH","ruleId":"beta"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"user-banned","email":"ann@example.com"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"SPLIT"}"#,
    ),
    // A rule of four clauses serving a rollout by orgId with salt "checkout": org-1 is in
    // bucket 36 of 100 (on), org-3 in 95 (off).
    (
        "checkout-v2",
        r#"{"targetingKey":"u3","country":"DE","appVersion":"2.4.0","age":30,"email":"a@b.de","orgId":"org-1"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"SPLIT","ruleId":"modern-dach"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u3","country":"CH","appVersion":"v2.5","age":18,"email":"a@b.ch","orgId":"org-3"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"SPLIT","ruleId":"modern-dach"}"#,
    ),
    // The negated clause fails, or the rollout has no orgId: the default rollout places u3
    // (bucket 46 of 100: off).
    (
        "checkout-v2",
        r#"{"targetingKey":"u3","country":"DE","appVersion":"2.4.0","age":30,"email":"a+test@b.de","orgId":"org-1"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"SPLIT"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u3","country":"DE","appVersion":"2.4.0","age":30,"email":"a@b.de"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"SPLIT"}"#,
    ),
    // before, exists and $now: the rule holds from 2026-01-01 on; earlier, u4's bucket is 4 of
    // 100, within the default's 10 % on.
    (
        "checkout-v2",
        r#"{"targetingKey":"u4","signupAt":"2024-06-01T00:00:00Z","plan":"free"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"TARGETING_MATCH","ruleId":"early-adopters"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"u4","signupAt":"2024-06-01T00:00:00Z","plan":"free"}"#,
        "2025-06-01T00:00:00Z",
        None,
        r#"{"value":true,"variant":"on","reason":"SPLIT"}"#,
    ),
    // The unknown operator never matches (u5: bucket 90, off); no key for the default rollout.
    (
        "checkout-v2",
        r#"{"targetingKey":"u5","plan":"pro"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":false,"variant":"off","reason":"SPLIT"}"#,
    ),
    (
        "checkout-v2",
        r#"{}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"TARGETING_KEY_MISSING"}"#,
    ),
    (
        "checkout-v2",
        r#"{"targetingKey":"user-vip"}"#,
        "2026-06-01T00:00:00Z",
        Some("string"),
        r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"TYPE_MISMATCH"}"#,
    ),
    (
        "checkout-v2",
        r#"[]"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"INVALID_CONTEXT"}"#,
    ),
    // The schedule: its second step starts at 2026-12-20T00:00:00+01:00.
    (
        "banner-text",
        r#"{}"#,
        "2026-12-19T22:59:59.999Z",
        None,
        r#"{"value":"Welcome","variant":"plain","reason":"DEFAULT"}"#,
    ),
    (
        "banner-text",
        r#"{}"#,
        "2026-12-19T23:00:00Z",
        None,
        r#"{"value":"Happy holidays!","variant":"holiday","reason":"DEFAULT"}"#,
    ),
    (
        "banner-text",
        r#"{}"#,
        "2027-02-01T00:00:00Z",
        Some("string"),
        r#"{"value":"Welcome","variant":"plain","reason":"DEFAULT"}"#,
    ),
    (
        "broken-switch",
        r#"{}"#,
        "2026-06-01T00:00:00Z",
        Some("boolean"),
        r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"PARSE_ERROR"}"#,
    ),
    (
        "dark-mode",
        r#"{}"#,
        "2026-06-01T00:00:00Z",
        Some("object"),
        r##"{"value":{"background":"#fff","contrast":1},"variant":"light","reason":"DISABLED"}"##,
    ),
    (
        "search-v3",
        r#"{"targetingKey":"u1"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":null,"variant":null,"reason":"DISABLED"}"#,
    ),
    // Dotted attributes, gt, startsWith and semverLt.
    (
        "max-items",
        r#"{"device":{"width":1440,"model":"desk-2"},"appVersion":"2.9.1"}"#,
        "2026-06-01T00:00:00Z",
        Some("number"),
        r#"{"value":100.5,"variant":"many","reason":"TARGETING_MATCH","ruleId":"big-screens"}"#,
    ),
    (
        "max-items",
        r#"{"device":{"width":1440,"model":"desk-2"},"appVersion":"3.0.0"}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":10,"variant":"few","reason":"DEFAULT"}"#,
    ),
    // A rule without an id: TARGETING_MATCH, and no ruleId.
    (
        "max-items",
        r#"{"tier":3}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":100.5,"variant":"many","reason":"TARGETING_MATCH"}"#,
    ),
    (
        "payments",
        r#"{}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":"on","variant":"enabled","reason":"STATIC"}"#,
    ),
    (
        "no-such-flag",
        r#"{}"#,
        "2026-06-01T00:00:00Z",
        None,
        r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"FLAG_NOT_FOUND"}"#,
    ),
];

/// Evaluates one case as every host would print it, without the free-text `errorMessage`.
fn evaluate(
    snapshot: &Snapshot,
    flag: &str,
    context: &str,
    now: &str,
    kind: Option<&str>,
) -> Value {
    let context = snapshot.context(&serde_json::from_str(context).expect("context JSON"));
    let now = parse_rfc3339(now).expect("an RFC 3339 time");
    let expected = kind.map(|k| ValueType::parse(k).expect("a value type"));
    let mut out = String::new();
    snapshot
        .evaluate(flag, &context, now, expected)
        .write_json(&mut out, flag, false, "null");
    let mut result: Value = serde_json::from_str(&out).expect("results are JSON");
    if let Some(object) = result.as_object_mut() {
        object.remove("errorMessage");
    }
    result
}

#[test]
fn the_committed_snapshot_decodes_and_evaluates() {
    let bytes = committed();
    let snapshot = Snapshot::decode(&bytes).expect("the committed snapshot decodes");
    assert_eq!(snapshot.environment(), ENVIRONMENT);
    assert_eq!(snapshot.version(), 42);
    assert_eq!(
        snapshot.flag_keys().collect::<Vec<_>>(),
        [
            "banner-text",
            "broken-switch",
            "checkout-v2",
            "dark-mode",
            "max-items",
            "payments",
            "search-v3"
        ]
    );
    let mut failures = Vec::new();
    for &(flag, context, now, kind, expect) in CASES {
        let expect: Value = serde_json::from_str(expect).expect("expected JSON");
        let got = evaluate(&snapshot, flag, context, now, kind);
        if got != expect {
            failures.push(format!(
                "{flag} {context} at {now}: got {got}, expected {expect}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        snapshot.encode(),
        bytes,
        "decoding and encoding again must give back the committed bytes"
    );
}

#[test]
fn an_override_is_written_as_a_forced_body() {
    let mut snapshot = Snapshot::decode(&committed()).expect("decodes");
    snapshot.force("payments", "disabled").expect("a variant");
    let bytes = snapshot.encode();
    let again = Snapshot::decode(&bytes).expect("a forced snapshot decodes");
    assert_eq!(again, snapshot);
    let at = "2026-06-01T00:00:00Z";
    assert_eq!(
        evaluate(&again, "payments", "{}", at, None),
        serde_json::json!({"value": "off", "variant": "disabled", "reason": "STATIC"})
    );
    assert_eq!(
        evaluate(
            &again,
            "checkout-v2",
            r#"{"targetingKey":"user-vip"}"#,
            at,
            None
        ),
        serde_json::json!({"value": false, "variant": "off", "reason": "PREREQUISITE_FAILED",
            "prerequisite": "payments"})
    );
}

#[test]
fn the_public_snapshot_of_the_golden_document_agrees() {
    let loaded = document();
    let public = compile_client_side(&loaded.document, ENVIRONMENT).snapshot;
    let public = Snapshot::decode(&public.encode()).expect("the public snapshot decodes");
    assert_eq!(public.flag_keys().collect::<Vec<_>>(), ["banner-text"]);
    assert_eq!(public.attributes().collect::<Vec<_>>(), ["targetingKey"]);
    let full = Snapshot::decode(&committed()).expect("decodes");
    for &(flag, context, now, kind, _) in CASES.iter().filter(|c| c.0 == "banner-text") {
        assert_eq!(
            evaluate(&public, flag, context, now, kind),
            evaluate(&full, flag, context, now, kind),
            "{flag} at {now}"
        );
    }
}

#[test]
fn other_format_versions_are_refused_cleanly() {
    let mut bytes = committed();
    for digit in (b'0'..=b'9').filter(|&d| d != b'0' + FORMAT_VERSION) {
        if let Some(magic) = bytes.get_mut(3) {
            *magic = digit;
        }
        assert_eq!(
            Snapshot::decode(&bytes),
            Err(DecodeError::BadMagic),
            "format version {}",
            char::from(digit)
        );
    }
    // Golden files of earlier versions stay committed: this decoder must refuse them, never
    // misread them.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
    for entry in std::fs::read_dir(&dir).expect("tests/golden") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(version) = name
            .strip_prefix("snapshot-v")
            .and_then(|rest| rest.strip_suffix(".bin"))
        else {
            continue;
        };
        if version != FORMAT_VERSION.to_string() {
            let old = std::fs::read(&path).expect("readable");
            assert_eq!(Snapshot::decode(&old), Err(DecodeError::BadMagic), "{name}");
        }
    }
}
