//! A small deterministic RNG (SplitMix64): the only source of randomness in
//! the core, seeded from the config so a run replays exactly.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny state, good enough spread for
/// election timeouts, and no dependency.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `min..=max` (`min <= max`).
    pub(crate) fn in_range(&mut self, min: u32, max: u32) -> u32 {
        debug_assert!(min <= max, "empty range {min}..={max}");
        let span = u64::from(max - min) + 1;
        // The modulo bias is at most span / 2^64: irrelevant for timeouts.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the remainder is below span <= 2^32"
        )]
        let offset = (self.next_u64() % span) as u32;
        min + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_stays_in_range() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            let x = a.in_range(10, 20);
            assert_eq!(x, b.in_range(10, 20));
            assert!((10..=20).contains(&x));
        }
        assert_eq!(Rng::new(5).in_range(3, 3), 3);
    }
}
