//! What bindings read about a snapshot once, so that most evaluations never cross into it:
//! the manifest of names and values, whether the clock matters, and the outcomes that cannot
//! depend on the context.

use super::{Body, Kind, NOW, Serve, Snapshot};

/// Appends a decimal integer (no `core::fmt`: see `EvalError::message`).
fn push_int(out: &mut alloc::string::String, n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in digits.iter().take(len).rev() {
        out.push(char::from(d));
    }
}

/// Appends a small integer, or `-1` for `u32::MAX` (the "none" of outcomes).
fn push_index(out: &mut alloc::string::String, n: u32) {
    if n == u32::MAX {
        out.push_str("-1");
    } else {
        push_int(out, u64::from(n));
    }
}

/// What bindings need to know about a snapshot without calling into it for every evaluation.
impl Snapshot {
    /// True when some evaluation can depend on the time (a schedule, or a clause on `$now`);
    /// otherwise outcomes depend on the context alone, and bindings may keep them for as long
    /// as the context stays the same.
    pub fn reads_clock(&self) -> bool {
        self.clauses.iter().any(|c| c.slot == NOW)
            || self
                .flags
                .iter()
                .any(|f| matches!(&f.body, Body::Live(s) if !s.schedule.is_empty()))
    }

    /// The outcome of the flag at `index` when it cannot depend on the context or the time
    /// (forced, disabled, broken, or a single-variant default with no targeting), for a
    /// context that is valid. Bindings answer such flags without evaluating.
    pub fn static_outcome(&self, index: usize) -> Option<crate::Outcome> {
        use crate::{ErrorCode, Outcome, Reason};
        let flag = self.flags.get(index)?;
        match &flag.body {
            Body::Forced(v) => Some(Outcome::served(Some(*v), Reason::Static)),
            Body::Broken(_) => Some(Outcome::error(ErrorCode::ParseError, Outcome::NONE)),
            Body::Live(s) if !s.enabled => Some(Outcome::served(s.off, Reason::Disabled)),
            Body::Live(s) if s.is_static() => match s.default {
                Some(Serve::Variant(v)) => Some(Outcome::served(Some(v), Reason::Static)),
                _ => None,
            },
            Body::Live(_) => None,
        }
    }

    /// Writes the snapshot's manifest as JSON, for bindings that resolve names and values on
    /// their side of a boundary:
    /// `{"version","environment","clock","attributes":[…],"flags":[[…]…]}` (`clock` is
    /// [`Snapshot::reads_clock`]) where each flag is an array
    /// (arrays parse faster than objects) of eight entries: the key; the type
    /// of its variants as a [`crate::ValueType`] index (a `json` flag is `3`, object), or `-1`
    /// when the flag could not be loaded; the variants' names; their values (the variants' JSON
    /// verbatim); the rules' ids (`null` for a rule without one); [`Snapshot::static_outcome`]
    /// as `[variant, reason, error]` integers (see [`crate::Outcome`]; `-1` for none) or `null`;
    /// for a flag with a document error, what is wrong (the `PARSE_ERROR` message says it),
    /// else `null`; and the context slots its evaluation can read ([`Snapshot::slots_read`]).
    pub fn write_manifest(&self, out: &mut alloc::string::String) {
        use crate::detail::write_json_string;
        out.reserve(256 + 96 * self.flags.len());
        out.push_str("{\"version\":");
        push_int(out, self.version);
        out.push_str(",\"environment\":");
        write_json_string(out, &self.environment);
        out.push_str(if self.reads_clock() {
            ",\"clock\":true,\"attributes\":["
        } else {
            ",\"clock\":false,\"attributes\":["
        });
        for (i, a) in self.attributes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(out, a.name());
        }
        out.push_str("],\"flags\":[");
        let mut walk = super::reads::Walk::new(self);
        for (i, f) in self.flags.iter().enumerate() {
            out.push_str(if i > 0 { ",[" } else { "[" });
            write_json_string(out, &f.key);
            out.push_str(match f.kind {
                Some(Kind::Boolean) => ",0,[",
                Some(Kind::String) => ",1,[",
                Some(Kind::Number) => ",2,[",
                Some(Kind::Json) => ",3,[",
                None => ",-1,[",
            });
            for (j, v) in f.variants.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_json_string(out, &v.name);
            }
            out.push_str("],[");
            for (j, v) in f.variants.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(&v.json);
            }
            out.push_str("],[");
            if let Body::Live(s) = &f.body {
                for (j, r) in s.rules.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    match &r.id {
                        Some(id) => write_json_string(out, id),
                        None => out.push_str("null"),
                    }
                }
            }
            out.push_str("],");
            match self.static_outcome(i) {
                Some(o) => {
                    out.push('[');
                    push_index(out, o.variant);
                    out.push(',');
                    push_index(out, u32::from(o.reason as u8));
                    out.push(',');
                    push_index(out, o.error.map_or(u32::MAX, |e| u32::from(e as u8)));
                    out.push(']');
                }
                None => out.push_str("null"),
            }
            out.push(',');
            match &f.body {
                Body::Broken(why) => write_json_string(out, why),
                _ => out.push_str("null"),
            }
            out.push_str(",[");
            for (j, slot) in walk.slots(i).into_iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_int(out, u64::from(slot));
            }
            out.push_str("]]");
        }
        out.push_str("]}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    #[test]
    fn integers_are_written_like_format() {
        for n in [0u64, 7, 10, 99, 4_294_967_295, u64::MAX] {
            let mut out = alloc::string::String::new();
            push_int(&mut out, n);
            assert_eq!(out, format!("{n}"));
        }
        for (n, text) in [
            (0u32, "0"),
            (42, "42"),
            (u32::MAX - 1, "4294967294"),
            (u32::MAX, "-1"),
        ] {
            let mut out = alloc::string::String::new();
            push_index(&mut out, n);
            assert_eq!(out, text);
        }
    }

    /// Over the whole corpus: a snapshot that says it does not read the clock gives the same
    /// outcomes at any time, for every context of its cases; and the corpus has both kinds.
    #[test]
    fn snapshots_that_do_not_read_the_clock_are_timeless() {
        extern crate std;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let (mut timeless, mut clocked) = (0, 0);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name == "murmur3.json" || name == "validation.json" {
                continue;
            }
            let file: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let loaded = crate::load_value(file["document"].clone()).unwrap();
            for env in loaded.document.environments.clone() {
                let snapshot = loaded.compile(&env).snapshot;
                if snapshot.reads_clock() {
                    clocked += 1;
                    continue;
                }
                timeless += 1;
                for case in file["cases"].as_array().unwrap() {
                    let context = snapshot.context(&case["context"]);
                    let at = |now: i64| {
                        let mut out = Vec::new();
                        snapshot.outcomes(&context, now, &mut out);
                        out
                    };
                    let reference = at(1_767_225_600_000);
                    for now in [i64::MIN, -1, 0, 1_800_000_000_000, i64::MAX] {
                        assert_eq!(at(now), reference, "{name} {env} at {now}");
                    }
                }
            }
        }
        assert!(
            timeless > 5 && clocked > 0,
            "{timeless} timeless, {clocked} clocked"
        );
    }
}
