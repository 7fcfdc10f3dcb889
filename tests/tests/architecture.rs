//! The architecture holds and the documents stay true.
//!
//! Dependency rules, read from `cargo metadata` and `cargo tree`: the core depends on no
//! binding; no binding depends on another (the bindings share only the core, the metrics
//! crate, the admin-API contract and, between the edge worker's two scripts, their shared
//! crate); the admin app does not import the worker; the data plane does not link the compiler. Documents: every workspace
//! member has a paragraph in ARCHITECTURE.md's code map; docs/semantics.md names every reason,
//! error code and diagnostic code the core emits, and the corpus cases it cites exist and cover
//! the whole corpus.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use burgee_core::{Code, ErrorCode, Reason};
use serde_json::Value;

const ARCHITECTURE: &str = include_str!("../../ARCHITECTURE.md");
const SEMANTICS: &str = include_str!("../../docs/semantics.md");
const WORKSPACE: &str = include_str!("../../Cargo.toml");

/// The workspace members, as `Cargo.toml` lists them (on one line or several).
fn members() -> Vec<&'static str> {
    let start = WORKSPACE.find("members = [").expect("a members list");
    let rest = &WORKSPACE[start..];
    let list = &rest[..rest.find(']').expect("the end of the members list")];
    list.split('"').skip(1).step_by(2).collect()
}

#[test]
fn every_workspace_member_is_in_the_code_map() {
    let members = members();
    assert!(members.len() >= 9, "{members:?}");
    for member in members {
        assert!(
            ARCHITECTURE.contains(&format!("### `{member}/`")),
            "ARCHITECTURE.md has no code-map entry `### `{member}/`` for workspace member {member}"
        );
    }
}

#[test]
fn reasons_and_error_codes_are_documented() {
    let reasons = Reason::ALL.map(Reason::as_str);
    let errors = ErrorCode::ALL.map(ErrorCode::as_str);
    for name in reasons.into_iter().chain(errors) {
        assert!(
            SEMANTICS.contains(&format!("`{name}`")),
            "{name} is not in docs/semantics.md"
        );
    }
    for code in Code::ALL {
        assert!(
            SEMANTICS.contains(&format!("`{}`", code.as_str())),
            "diagnostic code {} is not in docs/semantics.md",
            code.as_str()
        );
    }
}

/// Every case id of the corpus (evaluation cases, distributions, hashes, buckets, validation).
fn corpus_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for (name, text) in burgee_tests::FILES {
        let file: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for list in ["cases", "distributions", "hashes", "buckets"] {
            for item in file[list].as_array().into_iter().flatten() {
                if let Some(id) = item["id"].as_str() {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// Whether `id` matches `pattern`, where `*` stands for any run of characters.
fn matches(pattern: &str, id: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The code spans of docs/semantics.md that name corpus cases: dotted words whose first part
/// is the first part of some case id.
fn cited(ids: &[String]) -> BTreeSet<String> {
    let prefixes: BTreeSet<&str> = ids.iter().filter_map(|id| id.split('.').next()).collect();
    SEMANTICS
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            span.contains('.')
                && span
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_' | '$'))
                && span
                    .split('.')
                    .next()
                    .is_some_and(|first| prefixes.contains(first))
        })
        .map(String::from)
        .collect()
}

#[test]
fn the_corpus_cases_cited_exist_and_cover_the_corpus() {
    let ids = corpus_ids();
    assert!(ids.len() > 600, "only {} corpus ids", ids.len());
    let patterns = cited(&ids);
    assert!(patterns.len() > 100, "only {} citations", patterns.len());
    let unknown: Vec<&String> = patterns
        .iter()
        .filter(|p| !ids.iter().any(|id| matches(p, id)))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/semantics.md cites corpus cases that do not exist: {unknown:?}"
    );
    let uncited: Vec<&String> = ids
        .iter()
        .filter(|id| !patterns.iter().any(|p| matches(p, id)))
        .collect();
    assert!(
        uncited.is_empty(),
        "docs/semantics.md names no rule for these corpus cases: {uncited:?}"
    );
}

#[test]
fn patterns_match_as_globs() {
    assert!(matches("rollout.*", "rollout.sticky.on.plain"));
    assert!(matches("op.in.dotted-*", "op.in.dotted-path-nested"));
    assert!(matches("flag.unknown*", "flag.unknown"));
    assert!(matches("flag.unknown*", "flag.unknown.case-sensitive"));
    assert!(matches("type.absent-means-any", "type.absent-means-any"));
    assert!(!matches("type.absent", "type.absent-means-any"));
    assert!(!matches("op.in.*", "op.inSegment.excluded"));
    assert!(matches("a*b*c", "a-x-b-y-c"));
    assert!(!matches("a*b*c", "a-x-c"));
}

/// What a workspace package is, for the dependency rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Core,
    /// The admin API's contract, shared by the worker and the admin app.
    Contract,
    /// Shared by the edge worker's two scripts only.
    EdgeShared,
    /// Usage metrics: pure arithmetic on the core's types, for the hosts that count.
    Metrics,
    /// A host of the core: CLI, data plane, control plane, npm package, admin app.
    Binding,
    /// Tests and build orchestration: may use anything.
    Tooling,
}

fn role(package: &str) -> Role {
    match package {
        "burgee-core" => Role::Core,
        "burgee-api" => Role::Contract,
        "burgee-edge-shared" => Role::EdgeShared,
        "burgee-metrics" => Role::Metrics,
        "burgee-cli" | "burgee-edge" | "burgee-control" | "burgee-npm" | "burgee-admin-ui" => {
            Role::Binding
        }
        "burgee-tests" | "xtask" => Role::Tooling,
        other => panic!("workspace package {other} has no role in tests/tests/architecture.rs"),
    }
}

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `(package, its normal dependencies on workspace packages)`.
fn workspace_dependencies() -> Vec<(String, Vec<String>)> {
    let metadata: Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--no-deps"]))
            .expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(d))
                .map(String::from)
                .collect();
            (p["name"].as_str().unwrap_or_default().to_string(), deps)
        })
        .collect()
}

#[test]
fn the_core_depends_on_no_binding_and_no_binding_on_another() {
    let graph = workspace_dependencies();
    assert!(graph.len() >= 9, "{graph:?}");
    for (package, deps) in &graph {
        for dep in deps {
            let allowed = match (role(package), role(dep)) {
                (Role::Core, _) => false,
                // The metrics routes' bodies are the metrics crate's types (readout, totals).
                (Role::Contract, Role::Core | Role::Metrics) => true,
                (Role::Metrics, Role::Core) => true,
                (Role::EdgeShared, Role::Core | Role::Contract | Role::Metrics) => true,
                (Role::Binding, Role::Core | Role::Contract | Role::Metrics) => true,
                (Role::Binding, Role::EdgeShared) => {
                    matches!(package.as_str(), "burgee-edge" | "burgee-control")
                }
                // The npm package is the `burgee` command's second host (`npx burgee`): its
                // Node build runs the CLI library rather than a copy of it.
                (Role::Binding, Role::Binding) => package == "burgee-npm" && dep == "burgee-cli",
                (Role::Tooling, _) => true,
                _ => false,
            };
            assert!(allowed, "{package} must not depend on {dep}");
        }
    }
    let app = graph
        .iter()
        .find(|(p, _)| p == "burgee-admin-ui")
        .expect("the admin app");
    assert!(
        app.1
            .iter()
            .all(|d| matches!(d.as_str(), "burgee-core" | "burgee-api" | "burgee-metrics")),
        "the admin app imports the core, the contract and the metrics rules only: {:?}",
        app.1
    );
}

/// The features of burgee-core that building `package` on its own turns on.
fn core_features(package: &str) -> BTreeSet<String> {
    let tree = cargo(&[
        "tree", "-p", package, "-e", "normal", "-f", "{p} {f}", "--prefix", "none",
    ]);
    tree.lines()
        .filter(|l| l.starts_with("burgee-core "))
        .flat_map(|l| {
            l.split(") ")
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches(" (*)")
                .split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_data_plane_does_not_link_the_compiler() {
    let edge = core_features("burgee-edge");
    assert!(edge.contains("json"), "{edge:?}");
    assert!(
        !edge.contains("compile"),
        "the data plane decodes snapshots; it must not build the compiler: {edge:?}"
    );
    assert!(!core_features("burgee-api").contains("compile"));
    assert!(!core_features("burgee-edge-shared").contains("compile"));
    assert!(
        core_features("burgee-control").contains("compile"),
        "the control plane compiles"
    );
}
