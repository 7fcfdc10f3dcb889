//! The hash that decides which users are in a rollout.
//!
//! Bucketing is a public contract: if these numbers change, users move between variants. The
//! function is MurmurHash3 x86_32 with seed 0 over the UTF-8 bytes of `salt ++ value`, hashed as
//! one stream so no concatenated string is ever allocated. `tests/vectors/murmur3.json` pins it.

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

#[inline]
fn mix_k(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

#[inline]
fn mix_h(h: u32, k: u32) -> u32 {
    (h ^ mix_k(k))
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

#[inline]
fn word(block: &[u8]) -> u32 {
    <[u8; 4]>::try_from(block).map_or(0, u32::from_le_bytes)
}

/// MurmurHash3 x86_32 as a stream: hash a rollout's salt once, at compile time, then each
/// evaluation only feeds in the user's id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Murmur3 {
    h: u32,
    len: u32,
    /// 0 to 3 bytes carried over from earlier input, little-endian in the low `bits` of `k`.
    k: u32,
    bits: u32,
}

impl Murmur3 {
    pub fn new(seed: u32) -> Self {
        Murmur3 {
            h: seed,
            ..Murmur3::default()
        }
    }

    /// Feeds bytes. A part that starts mid-block is read a word at a time and shifted into
    /// place, never byte by byte.
    #[inline]
    pub fn update(&mut self, part: &[u8]) {
        let Murmur3 {
            mut h,
            mut k,
            mut bits,
            ..
        } = *self;
        self.len = self.len.wrapping_add(part.len() as u32);
        let mut blocks = part.chunks_exact(4);
        if bits == 0 {
            for block in &mut blocks {
                h = mix_h(h, word(block));
            }
        } else {
            for block in &mut blocks {
                let w = word(block);
                h = mix_h(h, k | (w << bits));
                k = w >> (32 - bits);
            }
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            // Up to 3 bytes join the carried ones; a full word is mixed, the rest carried.
            let mut t: u64 = 0;
            for (i, &b) in tail.iter().enumerate() {
                t |= u64::from(b) << (8 * i);
            }
            let merged = u64::from(k) | (t << bits);
            bits += 8 * tail.len() as u32;
            if bits >= 32 {
                h = mix_h(h, merged as u32);
                k = (merged >> 32) as u32;
                bits -= 32;
            } else {
                k = merged as u32;
            }
        }
        self.h = h;
        self.k = k;
        self.bits = bits;
    }

    #[inline]
    pub fn finish(&self) -> u32 {
        let mut h = self.h;
        if self.bits != 0 {
            h ^= mix_k(self.k);
        }
        h ^= self.len;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ (h >> 16)
    }
}

/// MurmurHash3 x86_32 of the concatenation of `parts`, as if they were one byte string.
pub fn murmur3_x86_32(parts: &[&[u8]], seed: u32) -> u32 {
    let mut m = Murmur3::new(seed);
    for part in parts {
        m.update(part);
    }
    m.finish()
}

/// MurmurHash3 x86_32 of `bytes` under each of `seeds`, in one pass: a block's mixed word does
/// not depend on the seed, so it is computed once for all of them (the same values as
/// [`murmur3_x86_32`] per seed, at about half the cost for two).
pub fn murmur3_x86_32_seeds<const N: usize>(bytes: &[u8], seeds: [u32; N]) -> [u32; N] {
    let mut hs = seeds;
    let mut blocks = bytes.chunks_exact(4);
    for block in &mut blocks {
        let k = mix_k(word(block));
        for h in &mut hs {
            *h = (*h ^ k)
                .rotate_left(13)
                .wrapping_mul(5)
                .wrapping_add(0xe654_6b64);
        }
    }
    let tail = blocks.remainder();
    let mut tail_k: u32 = 0;
    for (i, &b) in tail.iter().enumerate() {
        tail_k |= u32::from(b) << (8 * i);
    }
    let tail_k = mix_k(tail_k);
    for h in &mut hs {
        if !tail.is_empty() {
            *h ^= tail_k;
        }
        *h ^= bytes.len() as u32;
        *h ^= *h >> 16;
        *h = h.wrapping_mul(0x85eb_ca6b);
        *h ^= *h >> 13;
        *h = h.wrapping_mul(0xc2b2_ae35);
        *h ^= *h >> 16;
    }
    hs
}

/// `(h × total) >> 32`: the bucket of a hash among `total`.
#[inline]
pub fn scale(h: u32, total: u32) -> u32 {
    ((u64::from(h) * u64::from(total)) >> 32) as u32
}

/// The bucket of `value` under `salt` among `total` buckets: `(h × total) >> 32`, integers only.
/// Always `< total` when `total > 0`.
pub fn bucket(salt: &str, value: &str, total: u32) -> u32 {
    scale(
        murmur3_x86_32(&[salt.as_bytes(), value.as_bytes()], 0),
        total,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values of MurmurHash3 x86_32 (seed 0) published with the algorithm and its ports.
    // Do not change these values.
    #[test]
    fn known_values() {
        assert_eq!(murmur3_x86_32(&[b""], 0), 0);
        assert_eq!(murmur3_x86_32(&[b""], 1), 0x514e_28b7);
        assert_eq!(murmur3_x86_32(&[b"hello"], 0), 0x248b_fa47);
        assert_eq!(
            murmur3_x86_32(&[b"The quick brown fox jumps over the lazy dog"], 0),
            0x2e4f_f723
        );
    }

    #[test]
    fn split_points_do_not_matter() {
        let text = b"flag-key-user-\xc3\xbc-12345";
        let whole = murmur3_x86_32(&[text], 0);
        for i in 0..=text.len() {
            let (a, b) = text.split_at(i);
            assert_eq!(murmur3_x86_32(&[a, b], 0), whole, "split at {i}");
            for j in i..=text.len() {
                let (b1, b2) = b.split_at(j - i);
                assert_eq!(murmur3_x86_32(&[a, b1, b2], 0), whole, "split at {i},{j}");
            }
        }
    }

    #[test]
    fn several_seeds_in_one_pass_give_each_seeds_hash() {
        let text: [u8; 40] = core::array::from_fn(|i| (i as u8).wrapping_mul(37));
        for len in 0..=text.len() {
            let bytes = &text[..len];
            let [a, b] = murmur3_x86_32_seeds(bytes, [0x5bd1_e995, 0x1b87_3593]);
            assert_eq!(a, murmur3_x86_32(&[bytes], 0x5bd1_e995), "length {len}");
            assert_eq!(b, murmur3_x86_32(&[bytes], 0x1b87_3593), "length {len}");
        }
        assert_eq!(murmur3_x86_32_seeds(b"hello", [0]), [0x248b_fa47]);
    }

    #[test]
    fn bucket_is_below_total() {
        for total in [1u32, 2, 3, 100, 10_000, u32::MAX] {
            for v in ["", "a", "user-1", "日本語"] {
                assert!(bucket("salt", v, total) < total);
            }
        }
    }
}
