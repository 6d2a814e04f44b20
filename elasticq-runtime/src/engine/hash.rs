//! A hash that is the same in every run and process, for routing keys to partitions.
//!
//! Persistence relies on it: a message recovered from disk must land in the partition it was
//! written from. The standard library's `DefaultHasher` promises no such thing across
//! releases, and `RandomState` differs per process by design.

use std::hash::{Hash, Hasher};

/// Hashes `key` with [`StableHasher`]. Values equal under `Borrow` hash equally (`String` and
/// `str`, `Vec<u8>` and `[u8]`), as the `Hash` contract requires.
///
/// ```
/// use elasticq_runtime::stable_hash;
///
/// assert_eq!(stable_hash("client-1"), stable_hash(&String::from("client-1")));
/// assert_ne!(stable_hash(&1u64), stable_hash(&2u64));
/// ```
pub fn stable_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut hasher = StableHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// A fixed-seed, platform-independent [`Hasher`]: integers are hashed as little-endian 64-bit
/// words whatever their width on the machine, bytes eight at a time, and the result is
/// finished with the SplitMix64 mixer so that every output bit depends on every input bit
/// (partitions are chosen by the remainder, which reads the low bits).
///
/// ```
/// use std::hash::Hasher;
/// use elasticq_runtime::StableHasher;
///
/// let mut hasher = StableHasher::new();
/// hasher.write_usize(7);
/// let mut wider = StableHasher::new();
/// wider.write_u64(7);
/// assert_eq!(hasher.finish(), wider.finish()); // usize hashes as u64 on every platform
/// ```
#[derive(Clone, Debug)]
pub struct StableHasher {
    state: u64,
}

const SEED: u64 = 0x243f_6a88_85a3_08d3; // the fractional digits of pi
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15; // 2^64 / golden ratio

impl StableHasher {
    /// A hasher in its fixed initial state.
    ///
    /// ```
    /// use std::hash::Hasher;
    /// assert_eq!(
    ///     elasticq_runtime::StableHasher::new().finish(),
    ///     elasticq_runtime::StableHasher::new().finish()
    /// );
    /// ```
    pub fn new() -> Self {
        Self { state: SEED }
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Default for StableHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher for StableHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length tells "ab" from "ab\0".
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }
    fn write_u128(&mut self, n: u128) {
        self.mix(n as u64);
        self.mix((n >> 64) as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
    fn write_i8(&mut self, n: i8) {
        self.write_u8(n as u8);
    }
    fn write_i16(&mut self, n: i16) {
        self.write_u16(n as u16);
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u32(n as u32);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_i128(&mut self, n: i128) {
        self.write_u128(n as u128);
    }
    fn write_isize(&mut self, n: isize) {
        self.write_usize(n as usize);
    }

    fn finish(&self) -> u64 {
        // SplitMix64's finaliser.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The partition `hash` routes to among `partitions` (at least 1).
#[inline]
pub(crate) fn partition_index(hash: u64, partitions: usize) -> usize {
    (hash % partitions as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: a change here re-routes persisted messages, so it must be deliberate.
    #[test]
    fn hashes_are_pinned_across_releases() {
        let pinned = [
            stable_hash(&0u64),
            stable_hash("client-1"),
            stable_hash(&(7u32, "topic")),
        ];
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u64; 3] = [
        6_865_367_062_379_461_896,
        14_053_370_167_043_623_230,
        7_667_930_437_483_446_757,
    ];

    #[test]
    fn integer_widths_agree_with_their_u64_value() {
        assert_eq!(stable_hash(&7usize), stable_hash(&7u64));
        assert_eq!(stable_hash(&7u8), stable_hash(&7u64));
        assert_eq!(stable_hash(&-1i64), stable_hash(&u64::MAX));
    }

    #[test]
    fn borrowed_forms_hash_alike() {
        assert_eq!(stable_hash("abc"), stable_hash(&String::from("abc")));
        assert_eq!(stable_hash(&[1u8, 2][..]), stable_hash(&vec![1u8, 2]));
        assert_ne!(stable_hash("ab"), stable_hash("ab\0"));
    }

    #[test]
    fn keys_spread_over_partitions() {
        let mut counts = [0usize; 4];
        for client in 0..4000 {
            counts[partition_index(stable_hash(&format!("client-{client}")), 4)] += 1;
        }
        assert!(
            counts.iter().all(|&n| (800..1200).contains(&n)),
            "{counts:?}"
        );
    }
}
