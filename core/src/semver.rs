//! Semantic versions for the `semver*` operators: semver 2.0 precedence without allocating.
//!
//! App versions arrive in contexts as strings such as `v2.4.0-beta.3`; they are parsed on every
//! comparison, so parsing borrows the input. A leading `v` is accepted and missing minor or patch
//! numbers count as zero (`2.4` is `2.4.0`), because that is what clients send. Build metadata is
//! ignored, as the specification says.

use core::cmp::Ordering;

/// A parsed version borrowing its pre-release part from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version<'a> {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Dot-separated pre-release identifiers, empty for a release.
    pub pre: &'a str,
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn identifiers_ok(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl<'a> Version<'a> {
    /// Parses `[v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`; `None` when it is not a version.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(text);
        let (text, build) = match text.split_once('+') {
            Some((t, b)) => (t, Some(b)),
            None => (text, None),
        };
        if let Some(build) = build
            && !identifiers_ok(build)
        {
            return None;
        }
        let (core, pre) = match text.split_once('-') {
            Some((c, p)) => {
                if !identifiers_ok(p) {
                    return None;
                }
                (c, p)
            }
            None => (text, ""),
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = match parts.next() {
            Some(p) => number(p)?,
            None => 0,
        };
        let patch = match parts.next() {
            Some(p) => number(p)?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// Semver 2.0 precedence.
    pub fn precedence(&self, other: &Version<'_>) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(self.pre, other.pre))
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        // A release ranks above any of its pre-releases.
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (number(x), number(y)) {
                    (Some(m), Some(n)) => m.cmp(&n),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Version::parse(a)
            .unwrap()
            .precedence(&Version::parse(b).unwrap())
    }

    #[test]
    fn specification_order() {
        // The chain from semver.org §11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in chain.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(cmp("v1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp("1.2", "1.2.0"), Ordering::Equal);
        assert_eq!(cmp("2", "2.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.2.3+build.5", "1.2.3"), Ordering::Equal);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "v",
            "1.",
            "1..2",
            "1.2.3.4",
            "a.b.c",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "-1.0.0",
            "1.2.x",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }
}
