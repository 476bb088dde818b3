//! Moving averages, Wilder smoothing and rolling window statistics.

use super::{nan_vec, valid_runs};
use std::collections::VecDeque;

/// Simple moving average over `period` rows; first valid row `period - 1`.
///
/// Uses a running sum like TA-Lib, so the result is NaN while the window
/// contains a NaN and recovers `period` rows after it.
pub fn sma(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period == 0 {
        return out;
    }
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        if x.len() < period {
            continue;
        }
        let mut sum: f64 = x[..period - 1].iter().sum();
        for i in period - 1..x.len() {
            sum += x[i];
            y[i] = sum / period as f64;
            sum -= x[i + 1 - period];
        }
    }
    out
}

/// Exponential moving average with `k = 2 / (period + 1)`, seeded with the
/// simple mean of the first `period` values as TA-Lib does; first valid row
/// `period - 1`.
pub fn ema(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period == 0 {
        return out;
    }
    let k = 2.0 / (period as f64 + 1.0);
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        if x.len() < period {
            continue;
        }
        let mut value = x[..period].iter().sum::<f64>() / period as f64;
        y[period - 1] = value;
        for i in period..x.len() {
            value += (x[i] - value) * k;
            y[i] = value;
        }
    }
    out
}

/// Wilder's moving average: seeded with the simple mean of the first `period`
/// values, then `a = (a * (period - 1) + x) / period`. RSI, ATR and ADX use it.
pub fn wilder_average(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period == 0 {
        return out;
    }
    let n = period as f64;
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        if x.len() < period {
            continue;
        }
        let mut value = x[..period].iter().sum::<f64>() / n;
        y[period - 1] = value;
        for i in period..x.len() {
            value = (value * (n - 1.0) + x[i]) / n;
            y[i] = value;
        }
    }
    out
}

/// Wilder's running sum as TA-Lib's directional indicators use it: seeded with
/// the plain sum of the first `period - 1` values, then `s = s - s / period + x`
/// from the `period`-th value on, which is also the first valid row.
pub fn wilder_sum(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period < 2 {
        return out;
    }
    let n = period as f64;
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        if x.len() < period {
            continue;
        }
        let mut sum: f64 = x[..period - 1].iter().sum();
        for i in period - 1..x.len() {
            sum = sum - sum / n + x[i];
            y[i] = sum;
        }
    }
    out
}

/// Sample standard deviation (divides by `period - 1`) over `period` rows,
/// from running sums of the deviations from the run's first value, which keeps
/// the cancellation small for prices far from zero. NaN while the window holds
/// a NaN.
pub fn rolling_std(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period < 2 {
        return out;
    }
    let n = period as f64;
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        if x.len() < period {
            continue;
        }
        let shift = x[0];
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for i in 0..x.len() {
            let d = x[i] - shift;
            sum += d;
            sum_sq += d * d;
            if i + 1 >= period {
                let variance = (sum_sq - sum * sum / n) / (n - 1.0);
                y[i] = variance.max(0.0).sqrt();
                let old = x[i + 1 - period] - shift;
                sum -= old;
                sum_sq -= old * old;
            }
        }
    }
    out
}

/// Maximum over the last `period` rows, with a monotonic deque (O(n)).
pub fn rolling_max(values: &[f64], period: usize) -> Vec<f64> {
    rolling_extreme(values, period, |candidate, kept| candidate >= kept)
}

/// Minimum over the last `period` rows, with a monotonic deque (O(n)).
pub fn rolling_min(values: &[f64], period: usize) -> Vec<f64> {
    rolling_extreme(values, period, |candidate, kept| candidate <= kept)
}

/// Keeps in the deque the indices whose values may still become the extreme;
/// `dominates(new, old)` tells when a new value makes an older one useless.
fn rolling_extreme(
    values: &[f64],
    period: usize,
    dominates: impl Fn(f64, f64) -> bool,
) -> Vec<f64> {
    let mut out = nan_vec(values.len());
    if period == 0 {
        return out;
    }
    let mut deque: VecDeque<usize> = VecDeque::with_capacity(period + 1);
    for run in valid_runs(values.len(), |i| values[i].is_finite()) {
        let x = &values[run.clone()];
        let y = &mut out[run];
        deque.clear();
        for i in 0..x.len() {
            while deque.back().is_some_and(|&j| dominates(x[i], x[j])) {
                deque.pop_back();
            }
            deque.push_back(i);
            if deque.front().is_some_and(|&j| j + period <= i) {
                deque.pop_front();
            }
            if i + 1 >= period {
                if let Some(&j) = deque.front() {
                    y[i] = x[j];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "row {i}: expected NaN, got {g}");
            } else {
                assert!((g - w).abs() < 1e-12, "row {i}: expected {w}, got {g}");
            }
        }
    }

    const NAN: f64 = f64::NAN;

    #[test]
    fn sma_restarts_after_nan() {
        let got = sma(&[1.0, 2.0, 3.0, NAN, 5.0, 6.0, 7.0], 2);
        assert_close(&got, &[NAN, 1.5, 2.5, NAN, NAN, 5.5, 6.5]);
    }

    #[test]
    fn sma_shorter_than_period_is_all_nan() {
        let got = sma(&[1.0, 2.0], 3);
        assert_close(&got, &[NAN, NAN]);
        assert!(sma(&[], 3).is_empty());
    }

    #[test]
    fn ema_seeds_with_mean() {
        let got = ema(&[1.0, 2.0, 3.0, 4.0], 3);
        assert_close(&got, &[NAN, NAN, 2.0, 3.0]);
    }

    #[test]
    fn wilder_average_recursion() {
        let got = wilder_average(&[2.0, 4.0, 6.0], 2);
        assert_close(&got, &[NAN, 3.0, 4.5]);
    }

    #[test]
    fn wilder_sum_seed_and_step() {
        let got = wilder_sum(&[1.0, 2.0, 3.0, 4.0], 3);
        // seed 1 + 2 = 3; then 3 - 1 + 3 = 5; then 5 - 5/3 + 4.
        assert_close(&got, &[NAN, NAN, 5.0, 5.0 - 5.0 / 3.0 + 4.0]);
    }

    #[test]
    fn rolling_std_matches_two_pass() {
        let x = [1e5 + 1.0, 1e5 + 3.0, 1e5 + 2.0, 1e5 + 7.0];
        let got = rolling_std(&x, 3);
        let sample = |w: &[f64]| {
            let m = w.iter().sum::<f64>() / w.len() as f64;
            (w.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (w.len() - 1) as f64).sqrt()
        };
        assert_close(&got, &[NAN, NAN, sample(&x[0..3]), sample(&x[1..4])]);
    }

    #[test]
    fn rolling_max_and_min_over_window() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, NAN, 9.0, 2.0, 6.0];
        assert_close(
            &rolling_max(&x, 3),
            &[NAN, NAN, 4.0, 4.0, 5.0, NAN, NAN, NAN, 9.0],
        );
        assert_close(
            &rolling_min(&x, 3),
            &[NAN, NAN, 1.0, 1.0, 1.0, NAN, NAN, NAN, 2.0],
        );
    }
}
