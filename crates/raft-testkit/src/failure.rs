//! `SimFailure`: a failed simulated run, with the seed that replays it.

/// Why a simulated run failed, with the seed and tick that reproduce it.
///
/// ```
/// use raft_testkit::SimFailure;
/// let failure = SimFailure { seed: 42, tick: 7, reason: "example".into() };
/// assert!(failure.to_string().contains("cargo xtask sim --seed 0x2a"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFailure {
    /// The run's seed.
    pub seed: u64,
    /// The tick the failure was detected at.
    pub tick: u64,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for SimFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {:#x} failed at tick {}: {}\n  replay: cargo xtask sim --seed {:#x}",
            self.seed, self.tick, self.reason, self.seed
        )
    }
}

impl std::error::Error for SimFailure {}

/// Result of a simulation call.
pub type SimResult<T = ()> = Result<T, SimFailure>;
