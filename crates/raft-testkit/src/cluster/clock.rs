//! Clock skew: each simulated machine's clock runs at its own rate.

use crate::rng::SimRng;

/// The slowest and fastest clock rates, per mille of the cluster's tick.
const RATE_PER_MILLE: (u32, u32) = (500, 2000);

/// One machine's clock: its rate, and the fraction of a tick it owes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    /// Node ticks per thousand cluster ticks.
    rate: u32,
    /// Thousandths of a node tick accumulated and not yet taken.
    owed: u32,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            rate: 1000,
            owed: 0,
        }
    }
}

impl Clock {
    /// A clock with a rate drawn uniformly from `500..=2000` per mille.
    pub(crate) fn skewed(rng: &mut SimRng) -> Self {
        let (slowest, fastest) = RATE_PER_MILLE;
        let spread = u64::from(fastest - slowest) + 1;
        let extra = u32::try_from(rng.below(spread)).unwrap_or(0);
        Self {
            rate: slowest + extra,
            owed: 0,
        }
    }

    /// How many times the machine ticks in this cluster tick: once without
    /// skew; with skew, `rate / 1000` on average (0, 1 or 2 times).
    pub(crate) fn ticks(&mut self, skewed: bool) -> u32 {
        if !skewed {
            return 1;
        }
        self.owed += self.rate;
        let ticks = self.owed / 1000;
        self.owed %= 1000;
        ticks
    }

    /// Sets the rate, clamped to the skew range `500..=2000` per mille.
    pub(crate) fn set_rate(&mut self, rate: u32) {
        let (slowest, fastest) = RATE_PER_MILLE;
        self.rate = rate.clamp(slowest, fastest);
    }

    /// The rate in per mille.
    pub(crate) fn rate(self) -> u32 {
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_at_its_rate_only_when_skewed() {
        let mut rng = SimRng::new(3);
        for _ in 0..50 {
            let mut clock = Clock::skewed(&mut rng);
            assert!((500..=2000).contains(&clock.rate()));
            let ticks: u32 = (0..1000).map(|_| clock.ticks(true)).sum();
            assert_eq!(ticks, clock.rate());
            assert_eq!(clock.ticks(false), 1);
        }
    }
}
