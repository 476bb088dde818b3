//! Momentum oscillators: RSI, MACD, Stochastic, Williams %R, CCI, MFI, ROC.

use super::average::{ema, rolling_max, rolling_min, sma, wilder_average};
use super::{nan_vec, ratio, valid_runs};

/// Relative strength index with Wilder smoothing; first valid row `period`.
///
/// The average gain and loss are seeded with the simple mean of the first
/// `period` changes, then smoothed as `a = (a * (period - 1) + x) / period`.
pub fn rsi(close: &[f64], period: usize) -> Vec<f64> {
    let len = close.len();
    let mut gains = nan_vec(len);
    let mut losses = nan_vec(len);
    for i in 1..len {
        let change = close[i] - close[i - 1];
        if change.is_finite() {
            gains[i] = change.max(0.0);
            losses[i] = (-change).max(0.0);
        }
    }
    let average_gain = wilder_average(&gains, period);
    let average_loss = wilder_average(&losses, period);
    average_gain
        .iter()
        .zip(&average_loss)
        .map(|(&gain, &loss)| 100.0 * ratio(gain, gain + loss))
        .collect()
}

/// MACD line, signal line and histogram, in the price's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Macd {
    pub line: Vec<f64>,
    pub signal: Vec<f64>,
    pub hist: Vec<f64>,
}

/// MACD as TA-Lib computes it; all three outputs start at row
/// `slow + signal - 2`.
///
/// TA-Lib seeds the fast EMA with the mean of the `fast` closes that end at
/// row `slow - 1`, so both EMAs start on the same row. The fast EMA therefore
/// differs from a standalone `ema(close, fast)` early on. The signal is an
/// SMA-seeded EMA of the line, and the line is hidden until the signal exists.
pub fn macd(close: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let len = close.len();
    let (fast, slow) = if fast > slow {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let mut result = Macd {
        line: nan_vec(len),
        signal: nan_vec(len),
        hist: nan_vec(len),
    };
    if fast == 0 || signal == 0 {
        return result;
    }
    for run in valid_runs(len, |i| close[i].is_finite()) {
        let x = &close[run.clone()];
        if x.len() < slow + signal - 1 {
            continue;
        }
        let slow_ema = ema(x, slow);
        let fast_ema = ema(&x[slow - fast..], fast);
        let line: Vec<f64> = (slow - 1..x.len())
            .map(|i| fast_ema[i - (slow - fast)] - slow_ema[i])
            .collect();
        let signal_line = ema(&line, signal);
        for j in signal - 1..line.len() {
            let row = run.start + slow - 1 + j;
            result.line[row] = line[j];
            result.signal[row] = signal_line[j];
            result.hist[row] = line[j] - signal_line[j];
        }
    }
    result
}

/// Slow Stochastic %K and %D, both on the 0..100 scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Stochastic {
    pub k: Vec<f64>,
    pub d: Vec<f64>,
}

/// Fast %K over the highest high and lowest low of `period` rows, on its own.
/// Defined from row `period - 1`; NaN when the range is flat.
fn fast_k(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let highest = rolling_max(high, period);
    let lowest = rolling_min(low, period);
    (0..close.len())
        .map(|i| 100.0 * ratio(close[i] - lowest[i], highest[i] - lowest[i]))
        .collect()
}

/// Slow Stochastic: %K = SMA(fast %K, `slow_k`), %D = SMA(%K, `slow_d`).
/// Like TA-Lib, both start at row `period + slow_k + slow_d - 3`.
pub fn stochastic(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    slow_k: usize,
    slow_d: usize,
) -> Stochastic {
    let len = close.len();
    let mut k = sma(&fast_k(high, low, close, period), slow_k);
    let d = sma(&k, slow_d);
    for i in 0..len {
        if d[i].is_nan() {
            k[i] = f64::NAN;
        }
    }
    Stochastic { k, d }
}

/// Williams %R on the -100..0 scale; first valid row `period - 1`.
pub fn williams_r(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let highest = rolling_max(high, period);
    let lowest = rolling_min(low, period);
    (0..close.len())
        .map(|i| -100.0 * ratio(highest[i] - close[i], highest[i] - lowest[i]))
        .collect()
}

/// Commodity channel index: the typical price's distance from its `period`-row
/// mean over 0.015 times its mean absolute deviation; first valid row
/// `period - 1`.
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let len = close.len();
    let typical: Vec<f64> = (0..len)
        .map(|i| (high[i] + low[i] + close[i]) / 3.0)
        .collect();
    let mut out = nan_vec(len);
    if period == 0 {
        return out;
    }
    for run in valid_runs(len, |i| typical[i].is_finite()) {
        for i in run.start + period - 1..run.end {
            // TA-Lib sums each window afresh instead of keeping a running sum;
            // near a zero crossing the CCI is the small difference of two
            // large numbers, and a running sum's rounding would show there.
            let window = &typical[i + 1 - period..=i];
            let mean = window.iter().sum::<f64>() / period as f64;
            let deviation = window.iter().map(|tp| (tp - mean).abs()).sum::<f64>() / period as f64;
            out[i] = ratio(typical[i] - mean, 0.015 * deviation);
        }
    }
    out
}

/// Money flow index with plain `period`-row sums of positive and negative
/// money flow (typical price times volume), as TA-Lib does; first valid row
/// `period`. NaN when no money flowed.
pub fn mfi(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    let len = close.len();
    let typical: Vec<f64> = (0..len)
        .map(|i| (high[i] + low[i] + close[i]) / 3.0)
        .collect();
    let mut positive = nan_vec(len);
    let mut negative = nan_vec(len);
    for i in 1..len {
        let flow = typical[i] * volume[i];
        if !(flow.is_finite() && typical[i - 1].is_finite()) {
            continue;
        }
        positive[i] = if typical[i] > typical[i - 1] {
            flow
        } else {
            0.0
        };
        negative[i] = if typical[i] < typical[i - 1] {
            flow
        } else {
            0.0
        };
    }
    let positive_sum = sma(&positive, period);
    let negative_sum = sma(&negative, period);
    (0..len)
        .map(|i| 100.0 * ratio(positive_sum[i], positive_sum[i] + negative_sum[i]))
        .collect()
}

/// Rate of change in percent: `100 * (close / close[i - period] - 1)`; first
/// valid row `period`.
pub fn roc(close: &[f64], period: usize) -> Vec<f64> {
    (0..close.len())
        .map(|i| match i.checked_sub(period) {
            Some(j) if period > 0 => 100.0 * (ratio(close[i], close[j]) - 1.0),
            _ => f64::NAN,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsi_of_flat_prices_is_nan() {
        let got = rsi(&[5.0; 20], 14);
        assert!(got.iter().all(|v| v.is_nan()), "{got:?}");
    }

    #[test]
    fn rsi_of_rising_prices_is_100() {
        let close: Vec<f64> = (0..20).map(f64::from).collect();
        let got = rsi(&close, 14);
        assert!(got[13].is_nan());
        assert_eq!(got[14], 100.0);
        assert_eq!(got[19], 100.0);
    }

    #[test]
    fn stochastic_of_flat_range_is_nan() {
        let flat = [3.0; 30];
        let got = stochastic(&flat, &flat, &flat, 14, 3, 3);
        assert!(got.k.iter().chain(&got.d).all(|v| v.is_nan()));
        assert!(williams_r(&flat, &flat, &flat, 14)
            .iter()
            .all(|v| v.is_nan()));
        assert!(cci(&flat, &flat, &flat, 20).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn mfi_with_zero_volume_is_nan() {
        let close: Vec<f64> = (0..30).map(|i| 10.0 + (i % 3) as f64).collect();
        let got = mfi(&close, &close, &close, &[0.0; 30], 14);
        assert!(got.iter().all(|v| v.is_nan()), "{got:?}");
    }

    #[test]
    fn roc_of_zero_base_is_nan() {
        let got = roc(&[0.0, 1.0, 2.0], 1);
        assert!(got[0].is_nan());
        assert!(got[1].is_nan());
        assert_eq!(got[2], 100.0);
    }

    #[test]
    fn macd_short_input_is_all_nan() {
        let close: Vec<f64> = (0..33).map(f64::from).collect();
        let got = macd(&close, 12, 26, 9);
        assert!(got.line.iter().all(|v| v.is_nan()));
        let close: Vec<f64> = (0..34).map(f64::from).collect();
        let got = macd(&close, 12, 26, 9);
        assert!(got.line[32].is_nan());
        assert!(got.hist[33].is_finite());
    }
}
