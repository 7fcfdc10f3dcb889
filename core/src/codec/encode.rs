//! Writing a snapshot's binary form (the layout is in the parent module's docs).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::snapshot::{Body, Clause, ClauseId, Kind, LitSet, NOW, Serve, Settings, Snapshot, Test};

use super::MAGIC;

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    fn count(&mut self, n: usize) {
        self.varint(n as u64);
    }

    fn i64(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn f64(&mut self, v: f64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn lit_set(&mut self, set: &LitSet) {
        self.count(set.str_count());
        for i in 0..set.str_count() {
            self.str(set.str_at(i).unwrap_or_default());
        }
        self.count(set.nums.len());
        for &n in &set.nums {
            self.f64(n);
        }
        let [no, yes] = set.bools;
        self.u8(u8::from(no) | (u8::from(yes) << 1));
    }

    fn strs(&mut self, strs: &[Box<str>]) {
        self.count(strs.len());
        for s in strs {
            self.str(s);
        }
    }

    fn clause(&mut self, clause: &Clause) {
        self.varint(if clause.slot == NOW {
            0
        } else {
            u64::from(clause.slot) + 1
        });
        self.u8(u8::from(clause.negate));
        self.u8(clause.test.tag());
        match &clause.test {
            Test::In(set) => self.lit_set(set),
            Test::StartsWith(v) | Test::EndsWith(v) | Test::Contains(v) => self.strs(v),
            Test::Number(cmp, values) => {
                self.u8(*cmp as u8);
                self.count(values.len());
                for &v in values {
                    self.f64(v);
                }
            }
            Test::Semver(cmp, values) => {
                self.u8(*cmp as u8);
                self.count(values.len());
                for v in values {
                    self.varint(v.major);
                    self.varint(v.minor);
                    self.varint(v.patch);
                    self.str(&v.pre);
                }
            }
            Test::Before(times) | Test::After(times) => {
                self.count(times.len());
                for &t in times {
                    self.i64(t);
                }
            }
            Test::InSegment(segments) => {
                self.count(segments.len());
                for &s in segments {
                    self.varint(u64::from(s));
                }
            }
            Test::Exists | Test::Never => {}
        }
    }

    fn ids(&mut self, ids: &[ClauseId]) {
        self.count(ids.len());
        for &id in ids {
            self.varint(u64::from(id));
        }
    }

    fn serve(&mut self, serve: &Serve) {
        match serve {
            Serve::Variant(v) => {
                self.u8(0);
                self.varint(u64::from(*v));
            }
            Serve::Rollout(r) => {
                self.u8(1);
                self.varint(u64::from(r.slot));
                self.str(&r.salt);
                self.count(r.steps.len());
                for &(sum, variant) in &r.steps {
                    self.varint(u64::from(sum));
                    self.varint(u64::from(variant));
                }
                self.varint(u64::from(r.total));
            }
        }
    }

    fn settings(&mut self, s: &Settings) {
        self.u8(u8::from(s.enabled));
        self.varint(s.off.map_or(0, |v| u64::from(v) + 1));
        self.count(s.prerequisites.len());
        for p in &s.prerequisites {
            self.varint(u64::from(p.flag));
            self.varint(u64::from(p.variant));
        }
        self.count(s.targets.len());
        for t in &s.targets {
            self.varint(u64::from(t.slot));
            self.lit_set(&t.values);
            self.varint(u64::from(t.variant));
        }
        self.count(s.rules.len());
        for r in &s.rules {
            match &r.id {
                Some(id) => {
                    self.u8(1);
                    self.str(id);
                }
                None => self.u8(0),
            }
            self.ids(&r.clauses);
            self.serve(&r.serve);
        }
        match &s.default {
            Some(serve) => {
                self.u8(1);
                self.serve(serve);
            }
            None => self.u8(0),
        }
        self.count(s.schedule.len());
        for (at, serve) in &s.schedule {
            self.i64(*at);
            self.serve(serve);
        }
    }
}

/// The bytes `clause` encodes to in a snapshot: equal clauses give equal bytes, so the compiler
/// keys its table of distinct clauses by them.
#[cfg(feature = "compile")]
pub(crate) fn clause_bytes(clause: &Clause) -> Vec<u8> {
    let mut w = Writer { out: Vec::new() };
    w.clause(clause);
    w.out
}

impl Snapshot {
    /// The snapshot in the binary format [`Snapshot::decode`] reads.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer { out: Vec::new() };
        w.out.extend_from_slice(MAGIC);
        w.varint(self.version);
        w.str(&self.environment);
        w.count(self.attributes.len().saturating_sub(1));
        for a in self.attributes.iter().skip(1) {
            w.str(a.name());
        }
        w.count(self.clauses.len());
        for c in &self.clauses {
            w.clause(c);
        }
        w.count(self.segments.len());
        for s in &self.segments {
            w.str(&s.key);
            w.u8(u8::from(s.broken));
            w.lit_set(&s.include);
            w.lit_set(&s.exclude);
            w.count(s.rules.len());
            for rule in &s.rules {
                w.ids(rule);
            }
        }
        w.count(self.flags.len());
        for f in &self.flags {
            w.str(&f.key);
            w.u8(match f.kind {
                Some(Kind::Boolean) => 0,
                Some(Kind::String) => 1,
                Some(Kind::Number) => 2,
                Some(Kind::Json) => 3,
                None => 4,
            });
            w.count(f.variants.len());
            for v in &f.variants {
                w.str(&v.name);
                w.str(&v.json);
            }
            match &f.body {
                Body::Live(s) => {
                    w.u8(0);
                    w.settings(s);
                }
                Body::Broken(why) => {
                    w.u8(1);
                    w.str(why);
                }
                Body::Forced(v) => {
                    w.u8(2);
                    w.varint(u64::from(*v));
                }
            }
        }
        w.out
    }
}
