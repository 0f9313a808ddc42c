//! Tail probabilities of the negative binomial (and, in the limit, Poisson) count model:
//! how surprising is it to see `x` or more messages when `mean` are expected with variance
//! `dispersion * mean`.
//!
//! Written by hand (regularised incomplete beta by Lentz's continued fraction, Lanczos
//! log-gamma, as in Numerical Recipes §6.1/§6.4) because the only well-kept statistics crate,
//! `statrs`, pulls in `nalgebra` and `rand` for two functions of 60 lines.

/// `-log10 P(X >= x)` for `X ~ NegBin(mean, var = dispersion * mean)`, `x` real (weighted
/// counts are allowed; the continuous extension of the survival function is used).
/// `dispersion <= 1` is treated as Poisson-like with a tiny over-dispersion.
pub fn surprise(x: f64, mean: f64, dispersion: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 0.0;
    }
    let mean = mean.max(1e-9);
    // r = mean / (phi - 1); P(X >= x) = I_q(x, r) with q = mean / (r + mean) = (phi - 1) / phi.
    let phi = dispersion.max(1.0001);
    let r = mean / (phi - 1.0);
    let q = (phi - 1.0) / phi;
    let ln_p = ln_inc_beta(x, r, q);
    (-ln_p / std::f64::consts::LN_10).max(0.0)
}

/// An upper bound of [`surprise`] without its continued fraction, where one is cheap: in the
/// tail that matters (`x` above the mean) `I_q(x, r)` is its leading factor
/// `q^x (1 - q)^r / (x B(x, r))` times a continued fraction that is at least 1 (a series of
/// positive terms), so dropping the fraction can only raise the surprise. `None` on the other
/// side of the mean, where the surprise is near 0 anyway. The detector asks this first: most
/// windows stay far below the opening threshold, and the fraction is the dear part.
pub fn surprise_bound(x: f64, mean: f64, dispersion: f64) -> Option<f64> {
    if x <= 0.0 || !x.is_finite() {
        return Some(0.0);
    }
    let mean = mean.max(1e-9);
    let phi = dispersion.max(1.0001);
    let (a, b, q) = (x, mean / (phi - 1.0), (phi - 1.0) / phi);
    if q >= (a + 1.0) / (a + b + 2.0) {
        return None;
    }
    let bound = -(ln_front(a, b, q) - a.ln()) / std::f64::consts::LN_10;
    // (A margin for rounding: the fraction is computed, not exact.)
    Some(bound.max(0.0) * (1.0 + 1e-9) + 1e-9)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error < 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln I_x(a, b)`, the log of the regularised incomplete beta function, accurate in the
/// lower tail (where the continued fraction is evaluated directly).
pub fn ln_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let ln_front = ln_front(a, b, x);
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front + beta_cf(a, b, x).ln() - a.ln()
    } else {
        let upper = (ln_front + beta_cf(b, a, 1.0 - x).ln() - b.ln()).exp();
        (1.0 - upper).max(1e-300).ln()
    }
}

/// `ln(x^a (1 - x)^b / B(a, b))`, the factor of `I_x(a, b)` outside its continued fraction.
fn ln_front(a: f64, b: f64, x: f64) -> f64 {
    ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()
}

/// Continued fraction for the incomplete beta (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-12;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    // Converges in O(sqrt(max(a, b))) steps; 5000 covers means far beyond any bin count.
    for m in 1..5000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn near_poisson_tail_matches_exact_sum() {
        // P(X >= 5) for Poisson(1) = 1 - sum_{k<5} e^-1 / k!
        let exact: f64 = 1.0
            - (0..5)
                .map(|k| (-1f64).exp() / (1..=k).product::<u64>().max(1) as f64)
                .sum::<f64>();
        let s = surprise(5.0, 1.0, 1.0001);
        assert!(
            (s - (-exact.log10())).abs() < 0.01,
            "{s} vs {}",
            -exact.log10()
        );
    }

    #[test]
    fn negative_binomial_tail_matches_pmf_sum() {
        // NB with mean 10, phi 3 -> r = 5, p(success) = r/(r+mean) = 1/3.
        let (r, mean) = (5.0f64, 10.0f64);
        let p = r / (r + mean);
        let pmf = |k: u64| -> f64 {
            (ln_gamma(k as f64 + r) - ln_gamma(r) - ln_gamma(k as f64 + 1.0)
                + r * p.ln()
                + k as f64 * (1.0 - p).ln())
            .exp()
        };
        let tail: f64 = 1.0 - (0..30).map(pmf).sum::<f64>();
        let s = surprise(30.0, mean, 3.0);
        assert!(
            (s - (-tail.log10())).abs() < 0.01,
            "{s} vs {}",
            -tail.log10()
        );
    }

    /// The bound is never below the surprise, and close to it far in the tail.
    #[test]
    fn the_bound_is_an_upper_bound() {
        let mut bounded = 0;
        for mean in [0.2, 1.0, 3.5, 10.0, 47.0, 300.0] {
            for phi in [1.0, 1.3, 2.0, 5.0] {
                for i in 0..200 {
                    let x = mean * (0.05 * i as f64);
                    let s = surprise(x, mean, phi);
                    if let Some(b) = surprise_bound(x, mean, phi) {
                        bounded += 1;
                        assert!(b >= s, "x {x} mean {mean} phi {phi}: bound {b} < {s}");
                        if s > 5.0 {
                            assert!(b < s + 2.0, "x {x} mean {mean} phi {phi}: {b} vs {s}");
                        }
                    }
                }
            }
        }
        assert!(bounded > 2_000, "{bounded}");
        assert_eq!(surprise_bound(0.0, 5.0, 2.0), Some(0.0));
    }

    #[test]
    fn more_is_more_surprising() {
        assert!(surprise(20.0, 5.0, 2.0) > surprise(10.0, 5.0, 2.0));
        assert!(surprise(20.0, 5.0, 1.5) > surprise(20.0, 5.0, 4.0));
        assert_eq!(surprise(0.0, 5.0, 2.0), 0.0);
        assert!(surprise(1e5, 100.0, 2.0).is_finite());
    }
}
