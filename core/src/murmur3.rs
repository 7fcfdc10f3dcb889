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

/// MurmurHash3 x86_32 of the concatenation of `parts`, as if they were one byte string.
pub fn murmur3_x86_32(parts: &[&[u8]], seed: u32) -> u32 {
    let mut h = seed;
    let mut len: u32 = 0;
    // Bytes left over from the previous part, waiting to complete a 4-byte block.
    let mut carry = [0u8; 4];
    let mut carried = 0usize;
    for part in parts {
        len = len.wrapping_add(part.len() as u32);
        let mut rest: &[u8] = part;
        while carried > 0 && carried < 4 {
            match rest.split_first() {
                Some((&b, tail)) => {
                    if let Some(slot) = carry.get_mut(carried) {
                        *slot = b;
                    }
                    carried += 1;
                    rest = tail;
                }
                None => break,
            }
        }
        if carried == 4 {
            h = mix_h(h, u32::from_le_bytes(carry));
            carried = 0;
        }
        let mut blocks = rest.chunks_exact(4);
        for block in &mut blocks {
            let mut word = [0u8; 4];
            word.copy_from_slice(block);
            h = mix_h(h, u32::from_le_bytes(word));
        }
        for &b in blocks.remainder() {
            if let Some(slot) = carry.get_mut(carried) {
                *slot = b;
            }
            carried += 1;
        }
    }
    if carried > 0 {
        let mut k: u32 = 0;
        for (i, &b) in carry.iter().take(carried).enumerate() {
            k |= u32::from(b) << (8 * i);
        }
        h ^= mix_k(k);
    }
    h ^= len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The bucket of `value` under `salt` among `total` buckets: `(h × total) >> 32`, integers only.
/// Always `< total` when `total > 0`.
pub fn bucket(salt: &str, value: &str, total: u32) -> u32 {
    let h = murmur3_x86_32(&[salt.as_bytes(), value.as_bytes()], 0);
    ((u64::from(h) * u64::from(total)) >> 32) as u32
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
    fn bucket_is_below_total() {
        for total in [1u32, 2, 3, 100, 10_000, u32::MAX] {
            for v in ["", "a", "user-1", "日本語"] {
                assert!(bucket("salt", v, total) < total);
            }
        }
    }
}
