//! How much search the checker may spend before answering `Unknown`.

use std::time::{Duration, Instant};

/// Limits on the checker's search. Linearizability checking is NP-complete
/// in general: a history with many overlapping operations can take
/// exponential time, so the checker gives up with
/// [`Verdict::Unknown`](crate::Verdict::Unknown) rather than run forever.
///
/// A step is one move of the search (try an operation, or undo one). The
/// step limit applies to each partition separately; the time limit to the
/// whole check. Step limits are deterministic, time limits are not.
///
/// ```
/// use std::time::Duration;
/// use raft_testkit::Budget;
///
/// let budget = Budget::steps(1_000_000).with_time_limit(Duration::from_secs(5));
/// assert_eq!(budget.max_steps(), 1_000_000);
/// assert_eq!(budget.time_limit(), Some(Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    max_steps: u64,
    time_limit: Option<Duration>,
}

impl Budget {
    /// The default: 10 million steps per partition (about a second), no time limit.
    pub const DEFAULT_STEPS: u64 = 10_000_000;

    /// At most `max_steps` steps per partition, no time limit.
    #[must_use]
    pub fn steps(max_steps: u64) -> Self {
        Self {
            max_steps,
            time_limit: None,
        }
    }

    /// No limit at all: the check may run for as long as the search takes.
    #[must_use]
    pub fn unlimited() -> Self {
        Self::steps(u64::MAX)
    }

    /// Also gives up once the whole check has run for `limit`.
    #[must_use]
    pub fn with_time_limit(self, limit: Duration) -> Self {
        Self {
            time_limit: Some(limit),
            ..self
        }
    }

    /// The step limit per partition.
    #[must_use]
    pub fn max_steps(&self) -> u64 {
        self.max_steps
    }

    /// The time limit of the whole check, if any.
    #[must_use]
    pub fn time_limit(&self) -> Option<Duration> {
        self.time_limit
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::steps(Self::DEFAULT_STEPS)
    }
}

/// Which limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A partition used its steps (the limit given).
    Steps(u64),
    /// The check ran out of time (the limit given).
    Time(Duration),
}

/// Counts steps against a [`Budget`] during one check.
#[derive(Debug)]
pub(crate) struct Meter {
    max_steps: u64,
    steps: u64,
    deadline: Option<(Instant, Duration)>,
}

impl Meter {
    /// How often (in steps) the clock is read.
    const CLOCK_EVERY: u64 = 1024;

    /// Starts the clock of the whole check.
    pub(crate) fn start(budget: Budget) -> Self {
        Self {
            max_steps: budget.max_steps,
            steps: 0,
            deadline: budget
                .time_limit
                .map(|limit| (Instant::now() + limit, limit)),
        }
    }

    /// Resets the step count for the next partition.
    pub(crate) fn next_partition(&mut self) {
        self.steps = 0;
    }

    /// Counts one step; `Err` with the exhausted limit when one ran out.
    pub(crate) fn step(&mut self) -> Result<(), Limit> {
        if self.steps >= self.max_steps {
            return Err(Limit::Steps(self.max_steps));
        }
        self.steps += 1;
        if let Some((deadline, limit)) = self.deadline
            && self.steps.is_multiple_of(Self::CLOCK_EVERY)
            && Instant::now() >= deadline
        {
            return Err(Limit::Time(limit));
        }
        Ok(())
    }

    /// Whether the time limit has passed (checked between partitions).
    pub(crate) fn out_of_time(&self) -> Option<Limit> {
        self.deadline
            .filter(|&(deadline, _)| Instant::now() >= deadline)
            .map(|(_, limit)| Limit::Time(limit))
    }
}
