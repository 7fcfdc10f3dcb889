//! Contexts are counted by a keyed hash of their targeting key, never by the key: SipHash-2-4
//! under a secret 128-bit key, so the stored sketches hold nothing that names a user, and a
//! guessed id cannot be checked against them without the key. Every producer that feeds one
//! environment's sketches must use the same key, or one context would count once per key.

/// A keyed 64-bit hash of targeting keys (SipHash-2-4).
#[derive(Clone, Copy, Debug)]
pub struct ContextHasher {
    k0: u64,
    k1: u64,
}

impl ContextHasher {
    /// A hasher under `key` (16 secret bytes, for example derived from the environment's
    /// evaluation key).
    pub const fn new(key: [u8; 16]) -> ContextHasher {
        let [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            b0,
            b1,
            b2,
            b3,
            b4,
            b5,
            b6,
            b7,
        ] = key;
        ContextHasher {
            k0: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            k1: u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
        }
    }

    /// The hash of one targeting key.
    pub fn hash(&self, targeting_key: &str) -> u64 {
        self.hash_bytes(targeting_key.as_bytes())
    }

    /// The hash of raw bytes.
    pub fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        let mut v = [
            self.k0 ^ 0x736f_6d65_7073_6575,
            self.k1 ^ 0x646f_7261_6e64_6f6d,
            self.k0 ^ 0x6c79_6765_6e65_7261,
            self.k1 ^ 0x7465_6462_7974_6573,
        ];
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            compress(&mut v, u64::from_le_bytes(word), 2);
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        for (slot, byte) in last.iter_mut().zip(rest) {
            *slot = *byte;
        }
        let m = u64::from_le_bytes(last) | ((bytes.len() as u64 & 0xff) << 56);
        compress(&mut v, m, 2);
        v[2] ^= 0xff;
        for _ in 0..4 {
            round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }
}

fn compress(v: &mut [u64; 4], m: u64, rounds: usize) {
    v[3] ^= m;
    for _ in 0..rounds {
        round(v);
    }
    v[0] ^= m;
}

fn round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_key() -> ContextHasher {
        let mut key = [0u8; 16];
        for (i, b) in key.iter_mut().enumerate() {
            *b = i as u8;
        }
        ContextHasher::new(key)
    }

    #[test]
    fn matches_the_siphash_reference_vectors() {
        let h = reference_key();
        assert_eq!(h.hash_bytes(&[]), 0x726f_db47_dd0e_0e31);
        let message: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(h.hash_bytes(&message), 0xa129_ca61_49be_45e5);
    }

    #[test]
    #[allow(deprecated)]
    fn agrees_with_the_core_library_siphash_at_every_length() {
        use core::hash::Hasher;
        let h = ContextHasher::new(*b"0123456789abcdef");
        let text = "user-42 with a longer tail to cross several words";
        for len in 0..text.len() {
            let bytes = &text.as_bytes()[..len];
            let mut reference = core::hash::SipHasher::new_with_keys(h.k0, h.k1);
            reference.write(bytes);
            assert_eq!(h.hash_bytes(bytes), reference.finish(), "length {len}");
        }
    }

    #[test]
    fn the_key_changes_the_hash() {
        let a = ContextHasher::new([1; 16]);
        let b = ContextHasher::new([2; 16]);
        assert_ne!(a.hash("user-1"), b.hash("user-1"));
        assert_eq!(a.hash("user-1"), a.hash("user-1"));
    }
}
