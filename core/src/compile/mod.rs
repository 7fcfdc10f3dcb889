//! From document to snapshot, checking as it goes.
//!
//! Validation and compilation are one pass on purpose: the diagnostics the store refuses a
//! write for, the ones the admin app shows inline, and what the evaluator does with a flag can
//! then never disagree. An error inside a flag makes that flag "broken" (it evaluates to
//! `PARSE_ERROR`) without touching the others; an unknown operator only makes its clause never
//! match, so an older evaluator reading a newer document degrades safely.

mod clauses;
mod client_side;
mod fields;
mod flag;
mod graph;
mod reach;
mod segments;
mod settings;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::hash::hash_str;
use crate::key::{key_problem, valid_key};
use crate::load::Loaded;
use crate::model::Document;
use crate::pointer::Path;
use crate::snapshot::{
    AttrPath, Body, Clause, FlagEntry, NOW, Snapshot, TARGETING_KEY, index_of, layout_of,
};
pub use client_side::public_is_full;
use client_side::used_segments;

/// A compiled environment and everything found wrong on the way.
#[derive(Clone, Debug)]
pub struct Compilation {
    pub snapshot: Snapshot,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles one environment of a document.
pub fn compile(document: &Document, environment: &str) -> Compilation {
    let none = BTreeMap::new();
    Compiler::new(document, &none, &none, false).run(Some(environment))
}

/// Compiles the public snapshot of one environment: only flags marked `clientSide`, the
/// segments they use and the attributes they read. This is what may ship to browsers; a flag
/// whose rules name customers stays at the edge.
pub fn compile_client_side(document: &Document, environment: &str) -> Compilation {
    let none = BTreeMap::new();
    Compiler::new(document, &none, &none, true).run(Some(environment))
}

/// Every diagnostic of a document, across all its environments.
pub fn validate(document: &Document) -> Vec<Diagnostic> {
    let none = BTreeMap::new();
    validate_with(document, &none, &none, Vec::new())
}

impl Loaded {
    /// Compiles one environment, keeping flags that could not be read as broken entries.
    pub fn compile(&self, environment: &str) -> Compilation {
        let mut compilation = Compiler::new(
            &self.document,
            &self.broken_flags,
            &self.broken_segments,
            false,
        )
        .run(Some(environment));
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.append(&mut compilation.diagnostics);
        compilation.diagnostics = diagnostics;
        compilation
    }

    /// Every diagnostic: what reading found, then what validation finds.
    pub fn validate(&self) -> Vec<Diagnostic> {
        validate_with(
            &self.document,
            &self.broken_flags,
            &self.broken_segments,
            self.diagnostics.clone(),
        )
    }

    /// The error diagnostics only, as text (`error[code] pointer: message`): what refuses a
    /// document.
    pub fn errors(&self) -> Vec<String> {
        self.validate()
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect()
    }
}

fn validate_with(
    document: &Document,
    broken_flags: &BTreeMap<String, String>,
    broken_segments: &BTreeMap<String, String>,
    mut out: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut seen: BTreeSet<(Code, String, String)> = out
        .iter()
        .map(|d| (d.code, d.pointer.clone(), d.message.clone()))
        .collect();
    let mut environments: Vec<Option<&str>> = Vec::new();
    for env in &document.environments {
        if !environments.contains(&Some(env.as_str())) {
            environments.push(Some(env));
        }
    }
    if environments.is_empty() {
        environments.push(None);
    }
    for env in environments {
        let compilation = Compiler::new(document, broken_flags, broken_segments, false).run(env);
        for d in compilation.diagnostics {
            if seen.insert((d.code, d.pointer.clone(), d.message.clone())) {
                out.push(d);
            }
        }
    }
    out
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn list(names: impl Iterator<Item = impl AsRef<str>>) -> String {
    let mut out = String::new();
    for (i, n) in names.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(n.as_ref());
        out.push('`');
    }
    if out.is_empty() {
        out.push_str("(none)");
    }
    out
}

/// Per-flag context while compiling it.
struct FlagScope<'d> {
    key: &'d str,
    variants: &'d BTreeMap<String, Value>,
    /// Set by the first error that makes the flag unusable.
    broken: Option<String>,
}

impl FlagScope<'_> {
    fn variant(&self, name: &str) -> Option<u32> {
        self.variants
            .keys()
            .position(|k| k == name)
            .map(|i| i as u32)
    }
}

struct Compiler<'d> {
    doc: &'d Document,
    broken_flags: &'d BTreeMap<String, String>,
    /// Every flag key, sorted: typed and broken alike. A key's position is its index.
    flag_keys: Vec<&'d str>,
    segment_keys: Vec<&'d str>,
    attributes: Vec<AttrPath>,
    slots: BTreeMap<&'d str, u32>,
    /// The distinct clauses seen so far, and where to find equal ones.
    clauses: Vec<Clause>,
    clause_ids: BTreeMap<Vec<u8>, Vec<u32>>,
    diagnostics: Vec<Diagnostic>,
}

impl<'d> Compiler<'d> {
    fn new(
        doc: &'d Document,
        broken_flags: &'d BTreeMap<String, String>,
        broken_segments: &'d BTreeMap<String, String>,
        client_side_only: bool,
    ) -> Self {
        // Archived flags are in no snapshot: evaluating one is `FLAG_NOT_FOUND`, and requiring
        // one is `archived-prerequisite`. They are checked again when restored.
        let live = doc.flags.iter().filter(|(_, f)| !f.is_archived());
        let mut flag_keys: Vec<&str> = if client_side_only {
            live.filter(|(_, f)| f.is_client_side())
                .map(|(k, _)| k.as_str())
                .collect()
        } else {
            live.map(|(k, _)| k.as_str())
                .chain(broken_flags.keys().map(String::as_str))
                .collect()
        };
        flag_keys.sort_unstable();
        flag_keys.dedup();
        let mut segment_keys: Vec<&str> = if client_side_only {
            used_segments(doc, &flag_keys)
        } else {
            doc.segments
                .keys()
                .chain(broken_segments.keys())
                .map(String::as_str)
                .collect()
        };
        segment_keys.sort_unstable();
        segment_keys.dedup();
        Compiler {
            doc,
            broken_flags,
            flag_keys,
            segment_keys,
            attributes: vec![AttrPath::TargetingKey],
            slots: BTreeMap::new(),
            clauses: Vec::new(),
            clause_ids: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    fn report(&mut self, severity: Severity, code: Code, at: &Path<'_>, message: String) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            pointer: at.render(),
            message,
        });
    }

    /// Reports an error that makes the enclosing flag (or segment) unusable.
    fn fatal(&mut self, broken: &mut Option<String>, code: Code, at: &Path<'_>, message: String) {
        let pointer = at.render();
        if broken.is_none() {
            *broken = Some(format!("{pointer}: {message}"));
        }
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code,
            pointer,
            message,
        });
    }

    /// Keys of flags, segments, environments, variants and rule ids share one syntax.
    fn check_key(&mut self, what: &str, key: &str, at: &Path<'_>) {
        if !valid_key(key) {
            self.report(
                Severity::Error,
                Code::InvalidKey,
                at,
                key_problem(what, key),
            );
        }
    }

    fn slot(&mut self, name: &'d str) -> u32 {
        match name {
            "targetingKey" => TARGETING_KEY,
            "$now" => NOW,
            _ => {
                if let Some(&slot) = self.slots.get(name) {
                    return slot;
                }
                let slot = self.attributes.len() as u32;
                self.attributes.push(AttrPath::Named(name.into()));
                self.slots.insert(name, slot);
                slot
            }
        }
    }

    // The phases `run` calls are not inlined into it (`#[inline(never)]` on each): as one
    // function of tens of KB of wasm, a JavaScript engine spent over 200 ms optimizing it on
    // a second thread while the first document loaded, and compiled it whole first.
    fn run(mut self, environment: Option<&'d str>) -> Compilation {
        let doc = self.doc;
        self.document_checks(environment);
        self.unknown_fields();
        let segments = self.segments();
        let prerequisite_problems = self.prerequisite_graph();
        let mut flags = Vec::with_capacity(self.flag_keys.len());
        for i in 0..self.flag_keys.len() {
            let Some(&key) = self.flag_keys.get(i) else {
                continue;
            };
            let entry = match (doc.flags.get(key), self.broken_flags.get(key)) {
                (Some(flag), _) => {
                    let mut scope = FlagScope {
                        key,
                        variants: &flag.variants,
                        broken: prerequisite_problems.get(&i).cloned(),
                    };
                    self.flag(flag, &mut scope, environment)
                }
                (None, Some(why)) => FlagEntry {
                    key: key.into(),
                    hash: hash_str(key),
                    kind: None,
                    variants: Vec::new(),
                    body: Body::Broken(why.as_str().into()),
                },
                (None, None) => continue,
            };
            flags.push(entry);
        }
        self.bound_reach(&mut flags, &segments);
        let layout = layout_of(&self.attributes);
        let index = index_of(&flags);
        Compilation {
            snapshot: Snapshot {
                environment: environment.unwrap_or("").into(),
                version: doc.version.unwrap_or(0),
                attributes: self.attributes,
                layout,
                flags,
                clauses: self.clauses,
                index,
                segments,
            },
            diagnostics: self.diagnostics,
        }
    }

    #[inline(never)]
    fn document_checks(&mut self, environment: Option<&str>) {
        let doc = self.doc;
        let root = Path::ROOT;
        let envs = root.key("environments");
        for (i, env) in doc.environments.iter().enumerate() {
            let at = envs.index(i);
            self.check_key("environment name", env, &at);
            if doc.environments.iter().take(i).any(|e| e == env) {
                self.report(
                    Severity::Error,
                    Code::DuplicateEnvironment,
                    &at,
                    format!("environment `{env}` is listed twice"),
                );
            }
        }
        if let Some(env) = environment
            && !doc.environments.iter().any(|e| e == env)
        {
            self.report(
                Severity::Error,
                Code::UnknownEnvironment,
                &envs,
                format!(
                    "environment `{env}` is not one of the document's environments: {}",
                    list(doc.environments.iter())
                ),
            );
        }
    }
}
