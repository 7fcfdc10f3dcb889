//! Clauses compile to tests with their values parsed once (numbers, versions, times, segment
//! indices), and equal clauses are stored once per snapshot, so a bulk evaluation decides each
//! distinct clause once per context.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use super::{Compiler, describe, list};
use crate::diagnostic::{Code, Severity};
use crate::model::{self, Op};
use crate::pointer::Path;
use crate::semver::Version;
use crate::snapshot::{Clause, ClauseId, Cmp, Lit, LitSet, SemverLit, TARGETING_KEY, Test};
use crate::time::parse_rfc3339;

impl<'d> Compiler<'d> {
    pub(super) fn clauses(
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

    /// The id of an equal clause already in the table, or of this one, added. The table is
    /// keyed by the clause's encoded bytes, so a document of many distinct clauses compiles in
    /// `n log n`, not `n²`; candidates are still compared as clauses.
    fn intern(&mut self, clause: Clause) -> ClauseId {
        let candidates = self
            .clause_ids
            .entry(crate::codec::clause_bytes(&clause))
            .or_default();
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
        let mut literals = Literals::default();
        for (i, value) in clause.values.iter().enumerate() {
            self.literal(op, value, &values_at.index(i), broken, &mut literals);
        }
        Clause {
            slot,
            negate,
            test: literals.test(op),
        }
    }

    /// Parses one value of a clause for its operator into `out`; a value the operator cannot
    /// use breaks the flag (or segment).
    fn literal(
        &mut self,
        op: &Op,
        value: &'d Value,
        at: &Path<'_>,
        broken: &mut Option<String>,
        out: &mut Literals,
    ) {
        match op {
            Op::In => match value {
                Value::String(s) => out.lits.push(Lit::Str(s.as_str().into())),
                Value::Bool(b) => out.lits.push(Lit::Bool(*b)),
                Value::Number(n) => out.lits.push(Lit::Num(n.as_f64().unwrap_or(f64::NAN))),
                other => self.fatal(
                    broken,
                    Code::InvalidValue,
                    at,
                    format!(
                        "`in` compares strings, numbers and booleans, not {}",
                        describe(other)
                    ),
                ),
            },
            Op::StartsWith | Op::EndsWith | Op::Contains => match value {
                Value::String(s) => out.strings.push(Box::<str>::from(s.as_str())),
                other => self.fatal(
                    broken,
                    Code::InvalidValue,
                    at,
                    format!(
                        "`{}` needs string values, not {}",
                        op.as_str(),
                        describe(other)
                    ),
                ),
            },
            Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte => match value.as_f64() {
                Some(n) => out.numbers.push(n),
                None => self.fatal(
                    broken,
                    Code::InvalidValue,
                    at,
                    format!(
                        "`{}` compares numbers; {} is not one",
                        op.as_str(),
                        describe(value)
                    ),
                ),
            },
            Op::SemverEq | Op::SemverLt | Op::SemverLte | Op::SemverGt | Op::SemverGte => {
                match value.as_str().and_then(Version::parse) {
                    Some(v) => out.versions.push(SemverLit {
                        major: v.major,
                        minor: v.minor,
                        patch: v.patch,
                        pre: v.pre.into(),
                    }),
                    None => self.fatal(
                        broken,
                        Code::InvalidSemver,
                        at,
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
                    Some(ms) => out.times.push(ms),
                    None => self.fatal(
                        broken,
                        Code::InvalidTimestamp,
                        at,
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
                    Some(s) => out.segments.push(s as u32),
                    None => self.fatal(
                        broken,
                        Code::UnknownSegment,
                        at,
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
}

/// The values of one clause, parsed for its operator (only the list the operator reads fills).
#[derive(Default)]
struct Literals {
    strings: Vec<Box<str>>,
    lits: Vec<Lit>,
    numbers: Vec<f64>,
    versions: Vec<SemverLit>,
    times: Vec<i64>,
    segments: Vec<u32>,
}

impl Literals {
    /// The test `op` makes of these values.
    fn test(self, op: &Op) -> Test {
        let Literals {
            strings,
            lits,
            numbers,
            versions,
            times,
            segments,
        } = self;
        let cmp = match op {
            Op::Eq | Op::SemverEq => Cmp::Eq,
            Op::Lt | Op::SemverLt => Cmp::Lt,
            Op::Lte | Op::SemverLte => Cmp::Lte,
            Op::Gt | Op::SemverGt => Cmp::Gt,
            _ => Cmp::Gte,
        };
        match op {
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
        }
    }
}
