//! Summary statistics of durations and counts: n, median, p90, mean, exactly as defined in
//! docs/METRICS.md ("Statistics").

use serde::{Deserialize, Serialize};

/// n, median, 90th percentile and mean of a set of values. All `None` when n = 0.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub n: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
}

impl Summary {
    /// Median: the middle value, or the mean of the two middle values when n is even.
    /// p90: nearest rank, the value at rank ceil(0.9 n) in ascending order.
    /// Mean: the arithmetic mean, no trimming.
    pub fn of(values: &mut [f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self::default();
        }
        values.sort_unstable_by(|a, b| a.total_cmp(b));
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        let rank = (0.9 * n as f64).ceil() as usize;
        let p90 = values[rank.clamp(1, n) - 1];
        let mean = values.iter().sum::<f64>() / n as f64;
        Self {
            n: n as u64,
            median: Some(median),
            p90: Some(p90),
            mean: Some(round6(mean)),
        }
    }

    pub fn of_ints(values: impl IntoIterator<Item = i64>) -> Self {
        let mut v: Vec<f64> = values.into_iter().map(|x| x as f64).collect();
        Self::of(&mut v)
    }
}

/// Ratio rounded to 6 decimals (JSON and HTML show the same number); `None` when `den` is 0.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| round6(num as f64 / den as f64))
}

pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions() {
        let s = Summary::of_ints([10, 1, 4, 7]);
        assert_eq!(s.n, 4);
        assert_eq!(s.median, Some(5.5));
        assert_eq!(s.p90, Some(10.0)); // ceil(3.6) = rank 4
        assert_eq!(s.mean, Some(5.5));
        let s = Summary::of_ints([3]);
        assert_eq!((s.median, s.p90, s.mean), (Some(3.0), Some(3.0), Some(3.0)));
        let s = Summary::of_ints(1..=10);
        assert_eq!(s.p90, Some(9.0));
        assert_eq!(Summary::of_ints([]), Summary::default());
        assert_eq!(ratio(1, 3), Some(0.333333));
        assert_eq!(ratio(1, 0), None);
    }
}
