//! JSON Pointers (RFC 6901) to the field a diagnostic is about.
//!
//! Compiling a healthy document must not build strings it never shows, so paths are a chain of
//! borrowed segments on the stack and become text only when a diagnostic is emitted.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Option<Seg<'a>>,
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: None,
    };

    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Key(key)),
        }
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Index(index)),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if let Some(seg) = p.seg {
                segs.push(seg);
            }
            at = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            out.push('/');
            match seg {
                Seg::Key(k) => push_escaped(&mut out, k),
                Seg::Index(i) => {
                    let _ = write!(out, "{i}");
                }
            }
        }
        out
    }
}

/// Appends one reference token, escaped.
pub(crate) fn push_escaped(out: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_escapes() {
        let root = Path::ROOT;
        let flags = root.key("flags");
        let flag = flags.key("a/b~c");
        let rules = flag.key("rules");
        let rule = rules.index(3);
        assert_eq!(rule.render(), "/flags/a~1b~0c/rules/3");
        assert_eq!(Path::ROOT.render(), "");
    }
}
