//! From document to snapshot, checking as it goes.
//!
//! Validation and compilation are one pass on purpose: the diagnostics the store refuses a
//! write for, the ones the admin app shows inline, and what the evaluator does with a flag can
//! then never disagree. An error inside a flag makes that flag "broken" (it evaluates to
//! `PARSE_ERROR`) without touching the others; an unknown operator only makes its clause never
//! match, so an older evaluator reading a newer document degrades safely.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::Value;

use crate::MAX_DEPTH;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::hash::hash_str;
use crate::key::{key_problem, valid_key};
use crate::load::Loaded;
use crate::model::{self, Document, Op};
use crate::pointer::Path;
use crate::semver::Version;
use crate::snapshot::{
    AttrPath, Body, Clause, ClauseId, Cmp, FlagEntry, Kind, Lit, LitSet, NOW, Prerequisite,
    Rollout, Rule, SegmentEntry, SemverLit, Serve, Settings, Snapshot, TARGETING_KEY, Target, Test,
    Variant, index_of, layout_of,
};
use crate::time::parse_rfc3339;

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

/// Flag fields that change evaluation: inside an environment they are an error, not ignored.
const FLAG_ONLY: &[&str] = &[
    "kind",
    "variants",
    "prerequisites",
    "clientSide",
    "environments",
];

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

/// Levenshtein distance, for "did you mean" hints on short field names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != *cb);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = cost.min(above + 1).min(left + 1);
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Strongly connected components (Tarjan, iterative so that long chains cannot overflow a
/// wasm stack). Components come out in reverse topological order: every component is emitted
/// after all the components it reaches.
fn components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index.get(root).copied() != Some(usize::MAX) {
            continue;
        }
        // (node, position in its edge list)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0
                && let (Some(i), Some(l), Some(s)) =
                    (index.get_mut(v), low.get_mut(v), on_stack.get_mut(v))
                && *i == usize::MAX
            {
                *i = next;
                *l = next;
                *s = true;
                next += 1;
                stack.push(v);
            }
            let out_edges = edges.get(v).map_or(&[][..], Vec::as_slice);
            if let Some(&w) = out_edges.get(*pos) {
                *pos += 1;
                let w_index = index.get(w).copied().unwrap_or(0);
                if w_index == usize::MAX {
                    work.push((w, 0));
                } else if on_stack.get(w).copied().unwrap_or(false) {
                    let lw = low.get(v).copied().unwrap_or(0).min(w_index);
                    if let Some(l) = low.get_mut(v) {
                        *l = lw;
                    }
                }
                continue;
            }
            work.pop();
            let lv = low.get(v).copied().unwrap_or(0);
            if let Some(&(parent, _)) = work.last() {
                let lp = low.get(parent).copied().unwrap_or(0).min(lv);
                if let Some(l) = low.get_mut(parent) {
                    *l = lp;
                }
            }
            if Some(lv) == index.get(v).copied() {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    if let Some(s) = on_stack.get_mut(w) {
                        *s = false;
                    }
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// For each node: `None` when it sits on a cycle, else the length of the longest chain of
/// edges from it (ignoring edges into cycles).
fn heights(edges: &[Vec<usize>]) -> (Vec<bool>, Vec<usize>) {
    let n = edges.len();
    let mut cyclic = vec![false; n];
    let mut height = vec![0usize; n];
    for component in components(edges) {
        let is_cycle = component.len() > 1
            || component
                .first()
                .is_some_and(|&v| edges.get(v).is_some_and(|e| e.contains(&v)));
        for &v in &component {
            if is_cycle {
                if let Some(c) = cyclic.get_mut(v) {
                    *c = true;
                }
                continue;
            }
            let h = edges
                .get(v)
                .map(|e| {
                    e.iter()
                        .filter(|&&w| !cyclic.get(w).copied().unwrap_or(true))
                        .map(|&w| height.get(w).copied().unwrap_or(0) + 1)
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            if let Some(slot) = height.get_mut(v) {
                *slot = h;
            }
        }
    }
    (cyclic, height)
}

/// The segments the given flags use, directly or through other segments.
fn used_segments<'d>(doc: &'d Document, flags: &[&str]) -> Vec<&'d str> {
    let mut used: BTreeSet<&'d str> = BTreeSet::new();
    let mut todo: Vec<&'d str> = Vec::new();
    let visit = |clauses: &'d [model::Clause], todo: &mut Vec<&'d str>| {
        for c in clauses.iter().filter(|c| c.op == Op::InSegment) {
            for v in c.values.iter().filter_map(Value::as_str) {
                if let Some((key, _)) = doc.segments.get_key_value(v) {
                    todo.push(key);
                }
            }
        }
    };
    for flag in flags.iter().filter_map(|k| doc.flags.get(*k)) {
        for settings in flag.environments.values() {
            for rule in &settings.rules {
                visit(&rule.clauses, &mut todo);
            }
        }
    }
    while let Some(key) = todo.pop() {
        if used.insert(key) {
            for rule in doc.segments.get(key).map_or(&[][..], |s| &s.rules[..]) {
                visit(&rule.clauses, &mut todo);
            }
        }
    }
    used.into_iter().collect()
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
    clause_ids: BTreeMap<(u32, bool, u8), Vec<u32>>,
    diagnostics: Vec<Diagnostic>,
}

impl<'d> Compiler<'d> {
    fn new(
        doc: &'d Document,
        broken_flags: &'d BTreeMap<String, String>,
        broken_segments: &'d BTreeMap<String, String>,
        client_side_only: bool,
    ) -> Self {
        let mut flag_keys: Vec<&str> = if client_side_only {
            doc.flags
                .iter()
                .filter(|(_, f)| f.is_client_side())
                .map(|(k, _)| k.as_str())
                .collect()
        } else {
            doc.flags
                .keys()
                .chain(broken_flags.keys())
                .map(String::as_str)
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

    /// Warns about target entries that can never apply: the first target that lists a value
    /// wins, so the same value again (in a later target on the same attribute, or twice in
    /// one) is dead, and usually a mistake (a user in "on" and in "off").
    fn shadowed_targets(&mut self, targets: &[model::Target], at: &Path<'_>) {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        enum Id<'v> {
            Str(&'v str),
            /// The bits of the number as an `f64` (`1` and `1.0` are one value; `-0` is `0`).
            Num(u64),
            Bool(bool),
        }
        let mut first: BTreeMap<(&str, Id<'_>), usize> = BTreeMap::new();
        for (i, target) in targets.iter().enumerate() {
            let attribute = target.attribute.as_deref().unwrap_or("targetingKey");
            let values_at = at.index(i);
            let values_at = values_at.key("values");
            for (j, value) in target.values.iter().enumerate() {
                let id = match value {
                    Value::String(s) => Id::Str(s),
                    Value::Number(n) => {
                        let f = n.as_f64().unwrap_or(f64::NAN);
                        Id::Num(if f == 0.0 { 0 } else { f.to_bits() })
                    }
                    Value::Bool(b) => Id::Bool(*b),
                    _ => continue,
                };
                match first.entry((attribute, id)) {
                    alloc::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(i);
                    }
                    alloc::collections::btree_map::Entry::Occupied(e) => {
                        let k = *e.get();
                        let shown = match value {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let message = if k == i {
                            format!("`{shown}` is listed twice in this target")
                        } else {
                            format!(
                                "`{shown}` is already in target {} (checked first), so this entry never applies",
                                k + 1
                            )
                        };
                        self.report(
                            Severity::Warning,
                            Code::ShadowedTarget,
                            &values_at.index(j),
                            message,
                        );
                    }
                }
            }
        }
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

    fn unknown(&mut self, extra: &model::Extra, known: &[&str], at: &Path<'_>) {
        self.unknown_or_misplaced(extra, known, None, at);
    }

    /// Like [`Self::unknown`], and a field that belongs one level up or down (`enabled` on the
    /// flag, `variants` in an environment) is an error: ignoring it would silently do something
    /// else than its author meant (a kill switch that does not switch anything off).
    fn unknown_or_misplaced(
        &mut self,
        extra: &model::Extra,
        known: &[&str],
        elsewhere: Option<(&[&str], &str)>,
        at: &Path<'_>,
    ) {
        for key in extra.keys() {
            let field = at.key(key);
            if let Some((fields, place)) = elsewhere
                && fields.contains(&key.as_str())
            {
                self.report(
                    Severity::Error,
                    Code::MisplacedField,
                    &field,
                    format!("`{key}` belongs {place}, not here; here it would be ignored"),
                );
                continue;
            }
            let hint = known
                .iter()
                .filter(|k| distance(key, k) <= 2)
                .min_by_key(|k| distance(key, k))
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            self.report(
                Severity::Warning,
                Code::UnknownField,
                &field,
                format!("unknown field `{key}` is kept but ignored{hint}"),
            );
        }
    }

    fn unknown_in_clauses(&mut self, clauses: &[model::Clause], at: &Path<'_>) {
        let clauses_at = at.key("clauses");
        for (i, clause) in clauses.iter().enumerate() {
            self.unknown(&clause.extra, model::Clause::FIELDS, &clauses_at.index(i));
        }
    }

    fn unknown_in_serve(&mut self, serve: &model::Serve, at: &Path<'_>) {
        self.unknown(&serve.extra, model::Serve::FIELDS, at);
        if let Some(rollout) = &serve.rollout {
            let rollout_at = at.key("rollout");
            self.unknown(&rollout.extra, model::Rollout::FIELDS, &rollout_at);
            let weights = rollout_at.key("weights");
            for (i, w) in rollout.weights.iter().enumerate() {
                self.unknown(&w.extra, model::Weight::FIELDS, &weights.index(i));
            }
        }
    }

    /// Warns about every field this version does not know (they are kept, not used); fields
    /// that change evaluation and sit one level off are errors.
    fn unknown_fields(&mut self) {
        let doc = self.doc;
        let root = Path::ROOT;
        self.unknown(&doc.extra, Document::FIELDS, &root);
        let segments = root.key("segments");
        for (key, segment) in &doc.segments {
            let at = segments.key(key);
            self.unknown(&segment.extra, model::Segment::FIELDS, &at);
            let rules = at.key("rules");
            for (i, rule) in segment.rules.iter().enumerate() {
                let rule_at = rules.index(i);
                self.unknown(&rule.extra, model::SegmentRule::FIELDS, &rule_at);
                self.unknown_in_clauses(&rule.clauses, &rule_at);
            }
        }
        let flags = root.key("flags");
        for (key, flag) in &doc.flags {
            let at = flags.key(key);
            self.unknown_or_misplaced(
                &flag.extra,
                model::Flag::FIELDS,
                Some((
                    model::Environment::FIELDS,
                    "in each environment (`environments.<name>`)",
                )),
                &at,
            );
            let prerequisites = at.key("prerequisites");
            for (i, p) in flag.prerequisites.iter().enumerate() {
                self.unknown(
                    &p.extra,
                    model::Prerequisite::FIELDS,
                    &prerequisites.index(i),
                );
            }
            let envs = at.key("environments");
            for (env, settings) in &flag.environments {
                let env_at = envs.key(env);
                self.unknown_or_misplaced(
                    &settings.extra,
                    model::Environment::FIELDS,
                    Some((FLAG_ONLY, "on the flag, for all its environments")),
                    &env_at,
                );
                let targets = env_at.key("targets");
                for (i, t) in settings.targets.iter().enumerate() {
                    self.unknown(&t.extra, model::Target::FIELDS, &targets.index(i));
                }
                let rules = env_at.key("rules");
                for (i, rule) in settings.rules.iter().enumerate() {
                    let rule_at = rules.index(i);
                    self.unknown(&rule.extra, model::Rule::FIELDS, &rule_at);
                    self.unknown_in_clauses(&rule.clauses, &rule_at);
                    self.unknown_in_serve(&rule.serve, &rule_at.key("serve"));
                }
                if let Some(serve) = &settings.default_serve {
                    self.unknown_in_serve(serve, &env_at.key("defaultServe"));
                }
                let schedule = env_at.key("schedule");
                for (i, step) in settings.schedule.iter().enumerate() {
                    let step_at = schedule.index(i);
                    self.unknown(&step.extra, model::ScheduleStep::FIELDS, &step_at);
                    self.unknown_in_serve(&step.default_serve, &step_at.key("defaultServe"));
                }
            }
        }
    }

    /// Cycles and depth of prerequisite chains: flag index → why it is broken.
    fn prerequisite_graph(&mut self) -> BTreeMap<usize, String> {
        let doc = self.doc;
        let keys = self.flag_keys.clone();
        let position = |k: &str| keys.binary_search(&k).ok();
        let edges: Vec<Vec<usize>> = keys
            .iter()
            .map(|k| {
                doc.flags.get(*k).map_or_else(Vec::new, |f| {
                    f.prerequisites
                        .iter()
                        .filter_map(|p| position(&p.flag))
                        .collect()
                })
            })
            .collect();
        let (cyclic, height) = heights(&edges);
        let components = components(&edges);
        let component_of = |v: usize| components.iter().position(|c| c.contains(&v));
        let mut broken = BTreeMap::new();
        let root = Path::ROOT;
        let flags_at = root.key("flags");
        for (i, key) in keys.iter().enumerate() {
            let Some(flag) = doc.flags.get(*key) else {
                continue;
            };
            let at = flags_at.key(key);
            let prerequisites_at = at.key("prerequisites");
            let mut why = None;
            if cyclic.get(i).copied().unwrap_or(false) {
                let mine = component_of(i);
                let mut members: Vec<&str> = mine
                    .and_then(|c| components.get(c))
                    .map(|c| c.iter().filter_map(|&v| keys.get(v).copied()).collect())
                    .unwrap_or_default();
                members.sort_unstable();
                for (j, p) in flag.prerequisites.iter().enumerate() {
                    let Some(target) = position(&p.flag) else {
                        continue;
                    };
                    if component_of(target) == mine {
                        self.fatal(
                            &mut why,
                            Code::PrerequisiteCycle,
                            &prerequisites_at.index(j),
                            format!(
                                "prerequisite `{}` leads back to `{key}`: the flags {} require each other in a cycle",
                                p.flag,
                                list(members.iter())
                            ),
                        );
                    }
                }
            } else if height.get(i).copied().unwrap_or(0) > MAX_DEPTH {
                self.fatal(
                    &mut why,
                    Code::PrerequisiteTooDeep,
                    &prerequisites_at,
                    format!(
                        "prerequisites of `{key}` chain {} flags deep; at most {MAX_DEPTH} are evaluated",
                        height.get(i).copied().unwrap_or(0)
                    ),
                );
            }
            if let Some(why) = why {
                broken.insert(i, why);
            }
        }
        broken
    }

    fn segments(&mut self) -> Vec<SegmentEntry> {
        let doc = self.doc;
        let keys = self.segment_keys.clone();
        let position = |k: &str| keys.binary_search(&k).ok();
        // Segment → segments its rules refer to, with where each reference sits.
        let mut references: Vec<Vec<(usize, usize, usize)>> = Vec::with_capacity(keys.len());
        for key in &keys {
            let mut refs = Vec::new();
            if let Some(segment) = doc.segments.get(*key) {
                for (r, rule) in segment.rules.iter().enumerate() {
                    for (c, clause) in rule.clauses.iter().enumerate() {
                        if clause.op == Op::InSegment {
                            for v in &clause.values {
                                if let Some(target) = v.as_str().and_then(position) {
                                    refs.push((target, r, c));
                                }
                            }
                        }
                    }
                }
            }
            references.push(refs);
        }
        let edges: Vec<Vec<usize>> = references
            .iter()
            .map(|refs| refs.iter().map(|&(t, _, _)| t).collect())
            .collect();
        let (cyclic, height) = heights(&edges);
        let components = components(&edges);
        let component_of = |v: usize| components.iter().position(|c| c.contains(&v));

        let root = Path::ROOT;
        let segments_at = root.key("segments");
        let mut out = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let at = segments_at.key(key);
            let Some(segment) = doc.segments.get(*key) else {
                out.push(SegmentEntry {
                    key: (*key).into(),
                    broken: true,
                    include: LitSet::default(),
                    exclude: LitSet::default(),
                    rules: Vec::new(),
                });
                continue;
            };
            let mut broken = None;
            self.check_key("segment key", key, &at);
            let rules_at = at.key("rules");
            if cyclic.get(i).copied().unwrap_or(false) {
                let mine = component_of(i);
                let refs = references.get(i).cloned().unwrap_or_default();
                let mut reported = BTreeSet::new();
                for (target, r, c) in refs {
                    if component_of(target) == mine && reported.insert((r, c)) {
                        let rule_at = rules_at.index(r);
                        let clauses_at = rule_at.key("clauses");
                        let target_key = keys.get(target).copied().unwrap_or("");
                        self.fatal(
                            &mut broken,
                            Code::SegmentCycle,
                            &clauses_at.index(c),
                            format!(
                                "segment `{target_key}` leads back to `{key}`: segments cannot contain themselves"
                            ),
                        );
                    }
                }
            } else if height.get(i).copied().unwrap_or(0) > MAX_DEPTH {
                self.fatal(
                    &mut broken,
                    Code::SegmentCycle,
                    &rules_at,
                    format!("segments nested in `{key}` go deeper than {MAX_DEPTH} levels"),
                );
            }
            let mut rules = Vec::with_capacity(segment.rules.len());
            for (r, rule) in segment.rules.iter().enumerate() {
                let rule_at = rules_at.index(r);
                rules.push(self.clauses(&rule.clauses, &rule_at, &mut broken));
            }
            let strings =
                |ids: &[String]| LitSet::from_lits(ids.iter().map(|s| Lit::Str(s.as_str().into())));
            out.push(SegmentEntry {
                key: (*key).into(),
                broken: broken.is_some(),
                include: strings(&segment.include),
                exclude: strings(&segment.exclude),
                rules,
            });
        }
        out
    }

    fn clauses(
        &mut self,
        clauses: &'d [model::Clause],
        rule_at: &Path<'_>,
        broken: &mut Option<String>,
    ) -> Vec<ClauseId> {
        let clauses_at = rule_at.key("clauses");
        clauses
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let clause = self.clause(c, &clauses_at.index(i), broken);
                self.intern(clause)
            })
            .collect()
    }

    /// The id of an equal clause already in the table, or of this one, added.
    fn intern(&mut self, clause: Clause) -> ClauseId {
        let key = (clause.slot, clause.negate, clause.test.tag());
        let candidates = self.clause_ids.entry(key).or_default();
        for &id in candidates.iter() {
            if self.clauses.get(id as usize) == Some(&clause) {
                return id;
            }
        }
        let id = self.clauses.len() as ClauseId;
        candidates.push(id);
        self.clauses.push(clause);
        id
    }

    fn clause(
        &mut self,
        clause: &'d model::Clause,
        at: &Path<'_>,
        broken: &mut Option<String>,
    ) -> Clause {
        let negate = clause.negate.unwrap_or(false);
        let never = Clause {
            slot: TARGETING_KEY,
            negate,
            test: Test::Never,
        };
        let op = &clause.op;
        if let Op::Unknown(name) = op {
            self.report(
                Severity::Error,
                Code::UnknownOperator,
                &at.key("op"),
                format!(
                    "unknown operator `{name}` (this clause never matches); operators are {}",
                    list(Op::NAMES.iter())
                ),
            );
            return never;
        }
        let slot = match (&clause.attribute, op) {
            (_, Op::InSegment) => TARGETING_KEY,
            (Some(attribute), _) => self.slot(attribute),
            (None, _) => {
                self.fatal(
                    broken,
                    Code::MissingAttribute,
                    at,
                    format!("operator `{}` needs an `attribute` to test", op.as_str()),
                );
                return never;
            }
        };
        if clause.values.is_empty() && *op != Op::Exists {
            self.report(
                Severity::Warning,
                Code::EmptyValues,
                &at.key("values"),
                "`values` is empty, so this clause never matches".into(),
            );
        }
        let values_at = at.key("values");
        let mut strings = Vec::new();
        let mut lits = Vec::new();
        let mut numbers = Vec::new();
        let mut versions = Vec::new();
        let mut times = Vec::new();
        let mut segments = Vec::new();
        for (i, value) in clause.values.iter().enumerate() {
            let value_at = values_at.index(i);
            match op {
                Op::In => match value {
                    Value::String(s) => lits.push(Lit::Str(s.as_str().into())),
                    Value::Bool(b) => lits.push(Lit::Bool(*b)),
                    Value::Number(n) => lits.push(Lit::Num(n.as_f64().unwrap_or(f64::NAN))),
                    other => self.fatal(
                        broken,
                        Code::InvalidValue,
                        &value_at,
                        format!(
                            "`in` compares strings, numbers and booleans, not {}",
                            describe(other)
                        ),
                    ),
                },
                Op::StartsWith | Op::EndsWith | Op::Contains => match value {
                    Value::String(s) => strings.push(Box::<str>::from(s.as_str())),
                    other => self.fatal(
                        broken,
                        Code::InvalidValue,
                        &value_at,
                        format!(
                            "`{}` needs string values, not {}",
                            op.as_str(),
                            describe(other)
                        ),
                    ),
                },
                Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte => match value.as_f64() {
                    Some(n) => numbers.push(n),
                    None => self.fatal(
                        broken,
                        Code::InvalidValue,
                        &value_at,
                        format!(
                            "`{}` compares numbers; {} is not one",
                            op.as_str(),
                            describe(value)
                        ),
                    ),
                },
                Op::SemverEq | Op::SemverLt | Op::SemverLte | Op::SemverGt | Op::SemverGte => {
                    match value.as_str().and_then(Version::parse) {
                        Some(v) => versions.push(SemverLit {
                            major: v.major,
                            minor: v.minor,
                            patch: v.patch,
                            pre: v.pre.into(),
                        }),
                        None => self.fatal(
                            broken,
                            Code::InvalidSemver,
                            &value_at,
                            format!(
                                "{} is not a semantic version (like `2.4.0` or `v2.4.0-beta.1`)",
                                describe(value)
                            ),
                        ),
                    }
                }
                Op::Before | Op::After => {
                    let at_ms = match value {
                        Value::String(s) => parse_rfc3339(s),
                        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                        _ => None,
                    };
                    match at_ms {
                        Some(ms) => times.push(ms),
                        None => self.fatal(
                            broken,
                            Code::InvalidTimestamp,
                            &value_at,
                            format!(
                                "{} is not a time: use RFC 3339 (`2026-12-01T09:00:00Z`) or epoch milliseconds",
                                describe(value)
                            ),
                        ),
                    }
                }
                Op::InSegment => {
                    let found = value
                        .as_str()
                        .and_then(|k| self.segment_keys.binary_search(&k).ok());
                    match found {
                        Some(s) => segments.push(s as u32),
                        None => self.fatal(
                            broken,
                            Code::UnknownSegment,
                            &value_at,
                            format!(
                                "{} is not a segment; segments are {}",
                                describe(value),
                                list(self.segment_keys.iter())
                            ),
                        ),
                    }
                }
                Op::Exists | Op::Unknown(_) => {}
            }
        }
        let cmp = match op {
            Op::Eq | Op::SemverEq => Cmp::Eq,
            Op::Lt | Op::SemverLt => Cmp::Lt,
            Op::Lte | Op::SemverLte => Cmp::Lte,
            Op::Gt | Op::SemverGt => Cmp::Gt,
            _ => Cmp::Gte,
        };
        let test = match op {
            Op::In => Test::In(LitSet::from_lits(lits)),
            Op::StartsWith => Test::StartsWith(strings),
            Op::EndsWith => Test::EndsWith(strings),
            Op::Contains => Test::Contains(strings),
            Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte => Test::Number(cmp, numbers),
            Op::SemverEq | Op::SemverLt | Op::SemverLte | Op::SemverGt | Op::SemverGte => {
                Test::Semver(cmp, versions)
            }
            Op::Before => Test::Before(times),
            Op::After => Test::After(times),
            Op::InSegment => Test::InSegment(segments),
            Op::Exists => Test::Exists,
            Op::Unknown(_) => Test::Never,
        };
        Clause { slot, negate, test }
    }

    fn serve(
        &mut self,
        serve: &'d model::Serve,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<Serve> {
        match (&serve.variant, &serve.rollout) {
            (Some(name), None) => {
                let index = scope.variant(name);
                if index.is_none() {
                    self.unknown_variant(scope, name, &at.key("variant"));
                }
                index.map(Serve::Variant)
            }
            (None, Some(rollout)) => self.rollout(rollout, scope, &at.key("rollout")),
            (variant, _) => {
                let message = if variant.is_some() {
                    "a serve has either `variant` or `rollout`, not both"
                } else {
                    "a serve needs `variant` (one variant) or `rollout` (a weighted split)"
                };
                self.fatal(&mut scope.broken, Code::InvalidServe, at, message.into());
                None
            }
        }
    }

    fn unknown_variant(&mut self, scope: &mut FlagScope<'d>, name: &str, at: &Path<'_>) {
        let message = format!(
            "unknown variant `{name}`; this flag's variants are {}",
            list(scope.variants.keys())
        );
        self.fatal(&mut scope.broken, Code::UnknownVariant, at, message);
    }

    fn rollout(
        &mut self,
        rollout: &'d model::Rollout,
        scope: &mut FlagScope<'d>,
        at: &Path<'_>,
    ) -> Option<Serve> {
        let weights_at = at.key("weights");
        let mut steps = Vec::with_capacity(rollout.weights.len());
        let mut total: u32 = 0;
        let mut ok = true;
        for (i, w) in rollout.weights.iter().enumerate() {
            let w_at = weights_at.index(i);
            let variant = scope.variant(&w.variant);
            if variant.is_none() {
                self.unknown_variant(scope, &w.variant, &w_at.key("variant"));
                ok = false;
            }
            let weight = w.weight.as_u64().and_then(|n| u32::try_from(n).ok());
            let Some(weight) = weight else {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidWeight,
                    &w_at.key("weight"),
                    format!(
                        "a weight is a whole number from 0 to {}, not {}",
                        u32::MAX,
                        match &w.weight {
                            Value::Number(n) => n.to_string(),
                            other => describe(other),
                        }
                    ),
                );
                ok = false;
                continue;
            };
            let Some(sum) = total.checked_add(weight) else {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidWeight,
                    &w_at.key("weight"),
                    format!("the weights add up to more than {}", u32::MAX),
                );
                ok = false;
                continue;
            };
            total = sum;
            if let (Some(v), true) = (variant, weight > 0) {
                steps.push((total, v));
            }
        }
        if total == 0 && ok {
            self.fatal(
                &mut scope.broken,
                Code::ZeroTotalWeight,
                &weights_at,
                "the weights add up to 0, so nobody can be placed; give some variant a positive weight".into(),
            );
            ok = false;
        }
        let slot = self.slot(rollout.bucket_by.as_deref().unwrap_or("targetingKey"));
        ok.then(|| {
            Serve::Rollout(Rollout::new(
                slot,
                rollout.salt.as_deref().unwrap_or(scope.key),
                steps,
                total,
            ))
        })
    }

    fn flag(
        &mut self,
        flag: &'d model::Flag,
        scope: &mut FlagScope<'d>,
        environment: Option<&'d str>,
    ) -> FlagEntry {
        let doc = self.doc;
        let key = scope.key;
        let root = Path::ROOT;
        let flags_at = root.key("flags");
        let at = flags_at.key(key);
        self.check_key("flag key", key, &at);
        let kind = match &flag.kind {
            model::Kind::Boolean => Some(Kind::Boolean),
            model::Kind::String => Some(Kind::String),
            model::Kind::Number => Some(Kind::Number),
            model::Kind::Json => Some(Kind::Json),
            model::Kind::Unknown(name) => {
                self.fatal(
                    &mut scope.broken,
                    Code::InvalidKind,
                    &at.key("kind"),
                    format!(
                        "unknown kind `{name}`; a flag's kind is one of {}",
                        list(model::Kind::NAMES.iter())
                    ),
                );
                None
            }
        };
        let variants_at = at.key("variants");
        if flag.variants.is_empty() {
            self.fatal(
                &mut scope.broken,
                Code::NoVariants,
                &variants_at,
                "a flag needs at least one variant".into(),
            );
        }
        let mut variants = Vec::with_capacity(flag.variants.len());
        for (name, value) in &flag.variants {
            let v_at = variants_at.key(name);
            self.check_key("variant name", name, &v_at);
            let fits = match kind {
                Some(Kind::Boolean) => value.is_boolean(),
                Some(Kind::String) => value.is_string(),
                Some(Kind::Number) => value.is_number(),
                Some(Kind::Json) | None => true,
            };
            if !fits {
                let kind_name = kind.map_or("?", Kind::as_str);
                self.fatal(
                    &mut scope.broken,
                    Code::WrongKind,
                    &v_at,
                    format!(
                        "variant `{name}` is {}, but this is a {kind_name} flag",
                        describe(value)
                    ),
                );
            }
            variants.push(Variant {
                name: name.as_str().into(),
                json: serde_json::to_string(value)
                    .unwrap_or_else(|_| "null".into())
                    .into(),
            });
        }

        let prerequisites_at = at.key("prerequisites");
        let mut prerequisites = Vec::with_capacity(flag.prerequisites.len());
        for (i, p) in flag.prerequisites.iter().enumerate() {
            let p_at = prerequisites_at.index(i);
            if flag.is_client_side() && doc.flags.get(&p.flag).is_some_and(|r| !r.is_client_side())
            {
                self.fatal(
                    &mut scope.broken,
                    Code::ServerOnlyPrerequisite,
                    &p_at.key("flag"),
                    format!(
                        "`{key}` is client-side but its prerequisite `{}` is not, so browsers could not evaluate it as the edge does; mark `{}` clientSide too",
                        p.flag, p.flag
                    ),
                );
                continue;
            }
            let Ok(index) = self.flag_keys.binary_search(&p.flag.as_str()) else {
                self.fatal(
                    &mut scope.broken,
                    Code::UnknownPrerequisite,
                    &p_at.key("flag"),
                    format!("prerequisite `{}` is not a flag in this document", p.flag),
                );
                continue;
            };
            let variant = match doc.flags.get(&p.flag) {
                Some(required) => match required.variants.keys().position(|k| *k == p.variant) {
                    Some(v) => v as u32,
                    None => {
                        self.fatal(
                            &mut scope.broken,
                            Code::UnknownVariant,
                            &p_at.key("variant"),
                            format!(
                                "`{}` has no variant `{}`; its variants are {}",
                                p.flag,
                                p.variant,
                                list(required.variants.keys())
                            ),
                        );
                        continue;
                    }
                },
                // The prerequisite could not be read: its own diagnostic says why, and the
                // requirement can never hold.
                None => u32::MAX,
            };
            prerequisites.push(Prerequisite {
                flag: index as u32,
                variant,
            });
        }

        let envs_at = at.key("environments");
        for env in flag.environments.keys() {
            if !doc.environments.iter().any(|e| e == env) {
                self.report(
                    Severity::Error,
                    Code::UnknownEnvironment,
                    &envs_at.key(env),
                    format!(
                        "`{env}` is not one of the document's environments ({}), so these settings are never used",
                        list(doc.environments.iter())
                    ),
                );
            }
        }

        let settings = match environment.and_then(|e| flag.environments.get(e).map(|s| (e, s))) {
            Some((env, settings)) => {
                self.settings(settings, scope, prerequisites, &envs_at.key(env))
            }
            None => Settings {
                enabled: false,
                off: None,
                prerequisites,
                targets: Vec::new(),
                rules: Vec::new(),
                default: None,
                schedule: Vec::new(),
            },
        };
        let body = match scope.broken.take() {
            Some(why) => Body::Broken(why.into()),
            None => Body::Live(settings),
        };
        FlagEntry {
            key: key.into(),
            hash: hash_str(key),
            kind,
            variants,
            body,
        }
    }

    fn settings(
        &mut self,
        settings: &'d model::Environment,
        scope: &mut FlagScope<'d>,
        prerequisites: Vec<Prerequisite>,
        at: &Path<'_>,
    ) -> Settings {
        let off = match &settings.off_variant {
            Some(name) => {
                let index = scope.variant(name);
                if index.is_none() {
                    self.unknown_variant(scope, name, &at.key("offVariant"));
                }
                index
            }
            None => {
                self.report(
                    Severity::Warning,
                    Code::MissingOffVariant,
                    at,
                    "no `offVariant`: while disabled (or when a prerequisite fails) callers get their own default".into(),
                );
                None
            }
        };

        let targets_at = at.key("targets");
        let mut targets = Vec::with_capacity(settings.targets.len());
        for (i, target) in settings.targets.iter().enumerate() {
            let t_at = targets_at.index(i);
            let variant = scope.variant(&target.variant);
            if variant.is_none() {
                self.unknown_variant(scope, &target.variant, &t_at.key("variant"));
            }
            let values_at = t_at.key("values");
            let mut lits = Vec::with_capacity(target.values.len());
            for (j, value) in target.values.iter().enumerate() {
                match value {
                    Value::String(s) => lits.push(Lit::Str(s.as_str().into())),
                    Value::Number(n) => lits.push(Lit::Num(n.as_f64().unwrap_or(f64::NAN))),
                    Value::Bool(b) => lits.push(Lit::Bool(*b)),
                    other => self.fatal(
                        &mut scope.broken,
                        Code::InvalidValue,
                        &values_at.index(j),
                        format!(
                            "target values are ids (strings, numbers or booleans), not {}",
                            describe(other)
                        ),
                    ),
                }
            }
            let slot = self.slot(target.attribute.as_deref().unwrap_or("targetingKey"));
            if let Some(variant) = variant {
                targets.push(Target {
                    slot,
                    values: LitSet::from_lits(lits),
                    variant,
                });
            }
        }

        self.shadowed_targets(&settings.targets, &targets_at);

        let rules_at = at.key("rules");
        let mut rules = Vec::with_capacity(settings.rules.len());
        for (i, rule) in settings.rules.iter().enumerate() {
            let r_at = rules_at.index(i);
            if let Some(id) = &rule.id {
                let id_at = r_at.key("id");
                self.check_key("rule id", id, &id_at);
                if settings
                    .rules
                    .iter()
                    .take(i)
                    .any(|r| r.id.as_ref() == Some(id))
                {
                    self.report(
                        Severity::Error,
                        Code::DuplicateRuleId,
                        &id_at,
                        format!("rule id `{id}` is used by an earlier rule; results could not tell them apart"),
                    );
                }
            }
            let clauses = self.clauses(&rule.clauses, &r_at, &mut scope.broken);
            if let Some(serve) = self.serve(&rule.serve, scope, &r_at.key("serve")) {
                rules.push(Rule {
                    id: rule.id.as_deref().map(Into::into),
                    clauses,
                    serve,
                });
            }
        }

        let enabled = settings.is_enabled();
        let default = match &settings.default_serve {
            Some(serve) => self.serve(serve, scope, &at.key("defaultServe")),
            None => {
                if enabled {
                    self.fatal(
                        &mut scope.broken,
                        Code::MissingDefaultServe,
                        at,
                        "an enabled environment needs a `defaultServe` for contexts no target or rule matches".into(),
                    );
                }
                None
            }
        };

        let schedule_at = at.key("schedule");
        let mut schedule: Vec<(i64, Serve)> = Vec::with_capacity(settings.schedule.len());
        let mut times: Vec<i64> = Vec::with_capacity(settings.schedule.len());
        for (i, step) in settings.schedule.iter().enumerate() {
            let s_at = schedule_at.index(i);
            let when = parse_rfc3339(&step.at);
            match when {
                None => self.fatal(
                    &mut scope.broken,
                    Code::InvalidTimestamp,
                    &s_at.key("at"),
                    format!(
                        "{:?} is not an RFC 3339 time such as `2026-12-01T09:00:00Z`",
                        step.at
                    ),
                ),
                Some(t) if times.contains(&t) => self.fatal(
                    &mut scope.broken,
                    Code::DuplicateScheduleTime,
                    &s_at.key("at"),
                    format!("another step already starts at {}", step.at),
                ),
                Some(t) => times.push(t),
            }
            let serve = self.serve(&step.default_serve, scope, &s_at.key("defaultServe"));
            if let (Some(t), Some(serve)) = (when, serve)
                && !schedule.iter().any(|(at, _)| *at == t)
            {
                schedule.push((t, serve));
            }
        }
        schedule.sort_by_key(|(t, _)| *t);

        Settings {
            enabled,
            off,
            prerequisites,
            targets,
            rules,
            default,
            schedule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("enabeld", "enabled"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kind", "kind"), 0);
    }

    #[test]
    fn cycles_and_heights() {
        // 0 → 1 → 2, 3 ⇄ 4, 5 → 5, 6 → 3
        let edges = vec![vec![1], vec![2], vec![], vec![4], vec![3], vec![5], vec![3]];
        let (cyclic, height) = heights(&edges);
        assert_eq!(cyclic, vec![false, false, false, true, true, true, false]);
        assert_eq!(height[0], 2);
        assert_eq!(height[1], 1);
        assert_eq!(height[2], 0);
        assert_eq!(height[6], 0);
    }
}

#[cfg(test)]
mod client_side_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_public_snapshot_holds_client_side_flags_and_their_segments_only() {
        let doc = json!({"environments": ["prod"],
        "segments": {
            "beta": {"include": ["user-beta"], "rules": [{"clauses": [{"op": "inSegment", "values": ["staff"]}]}]},
            "staff": {"rules": [{"clauses": [{"attribute": "email", "op": "endsWith", "values": ["@us.example"]}]}]},
            "vip-customers": {"include": ["org-secret-customer"]}
        },
        "flags": {
            "public": {"kind": "boolean", "clientSide": true, "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "rules": [{"id": "beta", "clauses": [{"op": "inSegment", "values": ["beta"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}},
            "private": {"kind": "boolean", "variants": {"on": true, "off": false},
                "environments": {"prod": {"enabled": true, "offVariant": "off",
                    "targets": [{"attribute": "orgId", "values": ["org-secret-customer"], "variant": "on"}],
                    "rules": [{"id": "vip", "clauses": [{"op": "inSegment", "values": ["vip-customers"]}], "serve": {"variant": "on"}}],
                    "defaultServe": {"variant": "off"}}}}
        }});
        let loaded = crate::load_value(doc).unwrap();
        let public = compile_client_side(&loaded.document, "prod").snapshot;
        assert_eq!(public.flag_keys().collect::<Vec<_>>(), ["public"]);
        let segments: Vec<&str> = public.segments.iter().map(|s| &*s.key).collect();
        assert_eq!(segments, ["beta", "staff"]);
        assert!(!public.attributes().any(|a| a == "orgId"));
        let bytes = public.encode();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["org-secret-customer", "vip-customers", "private", "orgId"] {
            assert!(!text.contains(secret), "the public snapshot leaks {secret}");
        }
        // It evaluates exactly as the full snapshot does.
        let full = compile(&loaded.document, "prod").snapshot;
        for ctx in [
            json!({"targetingKey": "user-beta"}),
            json!({"targetingKey": "x", "email": "a@us.example"}),
            json!({"targetingKey": "y"}),
        ] {
            let (a, b) = (public.context(&ctx), full.context(&ctx));
            assert_eq!(
                public.evaluate("public", &a, 0, None).outcome(),
                full.evaluate("public", &b, 0, None).outcome()
            );
        }
    }
}
