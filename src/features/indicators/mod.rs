//! Technical indicators on plain slices, following the conventions of TA-Lib
//! (seeds, first valid row, population deviation in Bollinger bands). The
//! parity tests check them against values computed by the TA-Lib C library.
//!
//! Every function returns vectors as long as its input, with NaN where the
//! value is undefined. Two rules differ from TA-Lib, which assumes clean input:
//!
//! - A NaN input splits the series into runs of rows whose inputs are all
//!   finite. Each run is computed on its own and starts a new warm-up, so one
//!   missing value costs one window instead of poisoning every later row.
//! - A division by zero (flat prices, zero volume) gives NaN where TA-Lib
//!   writes 0.

mod average;
mod oscillators;
mod trend;
mod volatility;

pub use average::{ema, rolling_max, rolling_min, rolling_std, sma, wilder_average, wilder_sum};
pub use oscillators::{cci, macd, mfi, roc, rsi, stochastic, williams_r, Macd, Stochastic};
pub use trend::{adx, directional_movement, obv, obv_slope, Adx, DirectionalMovement};
pub use volatility::{atr, bollinger, true_range, Bollinger};

use std::ops::Range;

/// Returns the maximal ranges of consecutive rows for which `is_valid` holds.
pub(crate) fn valid_runs(len: usize, is_valid: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for i in 0..len {
        match (is_valid(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..len);
    }
    runs
}

/// Returns `numerator / denominator`, or NaN when the denominator is zero or
/// the result is not finite.
pub(crate) fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        return f64::NAN;
    }
    let value = numerator / denominator;
    if value.is_finite() {
        value
    } else {
        f64::NAN
    }
}

pub(crate) fn nan_vec(len: usize) -> Vec<f64> {
    vec![f64::NAN; len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_runs_split_at_invalid_rows() {
        let values = [1.0, f64::NAN, 2.0, 3.0, f64::NAN, f64::NAN, 4.0];
        let runs = valid_runs(values.len(), |i| values[i].is_finite());
        assert_eq!(runs, vec![0..1, 2..4, 6..7]);
    }

    #[test]
    fn ratio_of_zero_denominator_is_nan() {
        assert!(ratio(1.0, 0.0).is_nan());
        assert!(ratio(0.0, 0.0).is_nan());
        assert!(ratio(1e308, 1e-308).is_nan());
        assert_eq!(ratio(1.0, 4.0), 0.25);
    }
}
