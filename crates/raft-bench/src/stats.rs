//! Medians, spreads and ratios of repeated measurements.

/// Repeated measurements of one quantity.
#[derive(Clone, Debug, Default)]
pub(crate) struct Samples(pub(crate) Vec<f64>);

impl Samples {
    /// Adds one measurement.
    pub(crate) fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut values = self.0.clone();
        values.sort_by(f64::total_cmp);
        values
    }

    /// The median (the mean of the middle two for an even count).
    pub(crate) fn median(&self) -> f64 {
        let values = self.sorted();
        match values.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        }
    }

    /// (max - min) / median, in percent: how far apart the rounds were.
    pub(crate) fn spread_percent(&self) -> f64 {
        let values = self.sorted();
        match (values.first(), values.last()) {
            (Some(min), Some(max)) => (max - min) / self.median() * 100.0,
            _ => f64::NAN,
        }
    }

    /// `median ±spread%` for a table cell, with `unit` after the median.
    pub(crate) fn cell(&self, format: impl Fn(f64) -> String) -> String {
        format!(
            "{} (±{:.0}%)",
            format(self.median()),
            self.spread_percent() / 2.0
        )
    }
}

/// `ours / other` of the medians, for a table cell.
pub(crate) fn ratio(ours: &Samples, other: &Samples) -> String {
    format!("{:.2}×", ours.median() / other.median())
}

/// A count, with a K suffix past 10,000 and an M suffix past 1,000,000.
pub(crate) fn rate(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 10_000.0 {
        format!("{:.0} K", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread_of_odd_and_even_counts() {
        let odd = Samples(vec![3.0, 1.0, 2.0]);
        assert_eq!(odd.median(), 2.0);
        assert_eq!(odd.spread_percent(), 100.0);
        let even = Samples(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!(even.median(), 2.5);
        assert_eq!(ratio(&odd, &even), "0.80×");
        assert_eq!(rate(12_345.0), "12 K");
        assert_eq!(rate(950.0), "950");
        assert_eq!(rate(1_000_000.0), "1.00 M");
    }
}
