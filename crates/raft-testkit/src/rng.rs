//! The simulator's deterministic RNG (wyrand): every random choice of a run
//! (faults, delays, workload) comes from here, so one seed replays it.

/// A small, fast, seedable RNG. Not cryptographic.
///
/// ```
/// use raft_testkit::SimRng;
/// let mut a = SimRng::new(7);
/// let mut b = SimRng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// An RNG whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits (wyrand, Wang Yi 2019).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xA076_1D64_78BD_642F);
        let product = u128::from(self.state) * u128::from(self.state ^ 0xE703_7ED1_A0B4_28DB);
        #[allow(clippy::cast_possible_truncation, reason = "folding 128 bits to 64")]
        let folded = ((product >> 64) ^ product) as u64;
        folded
    }

    /// Uniform in `0..bound` (`0` when `bound` is `0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    /// A uniformly chosen element index for a slice of `len` items.
    pub fn pick(&mut self, len: usize) -> usize {
        #[allow(clippy::cast_possible_truncation, reason = "result is below len")]
        let index = self.below(len as u64) as usize;
        index
    }
}
