//! A fast 64-bit string hash for lookups (flag keys, target lists, `in` sets).
//!
//! Context strings are hashed once when the context is bound and literals once at compile
//! time, so a lookup compares integers and touches string bytes only to confirm a hit. This is
//! not the bucketing hash (that is murmur3, a public contract), but it is part of the binary
//! snapshot format: literal sets are stored in its order and decoding checks that order, so
//! changing it is a new format version (docs/snapshot-format.md).

const K: u64 = 0x517c_c1b7_2722_0a95;

#[inline]
fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(K)
}

pub(crate) fn hash_str(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut h = mix(0, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        if let Some(dst) = word.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = mix(h, u64::from_le_bytes(word));
    }
    // Final avalanche, so that sorted order spreads short keys.
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// A string with its hash, computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    hash: u64,
    /// A `String`, not a boxed `str`, so that [`Text::assign`] can reuse its room.
    text: alloc::string::String,
}

impl Text {
    pub fn new(text: &str) -> Text {
        Text {
            hash: hash_str(text),
            text: text.into(),
        }
    }

    /// Makes this `text`, in the room it has when that is enough: a binding that reads one
    /// context after another allocates nothing once its strings have grown to size.
    /// A slot often gets the value the last context had (a role, a plan, a region): that is
    /// not copied again. The hash is compared first: it is needed anyway when the text
    /// differs, and comparing bytes costs a call in wasm, where a different id of the same
    /// length (the usual targeting key) would be compared to its last byte.
    pub fn assign(&mut self, text: &str) {
        let hash = hash_str(text);
        if hash == self.hash && self.text == text {
            return;
        }
        self.text.clear();
        self.text.push_str(text);
        self.hash = hash;
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_lengths_and_tails() {
        let words = [
            "",
            "a",
            "a\0",
            "ab",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "vip-7-19",
            "vip-7-1",
        ];
        for (i, a) in words.iter().enumerate() {
            for b in words.iter().skip(i + 1) {
                assert_ne!(hash_str(a), hash_str(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn assign_leaves_text_and_hash_as_new_would() {
        let mut t = Text::new("user-100001");
        // Another id of the same length, a shorter and a longer one, the same one, and back.
        for next in [
            "user-100002",
            "u",
            "user-1000020",
            "user-1000020",
            "",
            "user-100001",
        ] {
            t.assign(next);
            assert_eq!(t, Text::new(next), "after assigning {next:?}");
        }
    }
}
