//! Trend and volume-trend indicators: directional movement, ADX, OBV.

use super::average::{wilder_average, wilder_sum};
use super::volatility::true_range;
use super::{nan_vec, ratio, valid_runs};

/// Wilder's directional indicators, on the 0..100 scale.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionalMovement {
    pub plus_di: Vec<f64>,
    pub minus_di: Vec<f64>,
    /// `100 * |+DI - -DI| / (+DI + -DI)`.
    pub dx: Vec<f64>,
}

/// +DI, -DI and DX as TA-Lib computes them; first valid row `period`.
///
/// +DM is `high - previous high` when that exceeds `previous low - low` and is
/// positive, else 0 (-DM mirrors it). DM and true range are accumulated with
/// Wilder running sums seeded with the plain sum of rows 1..period.
pub fn directional_movement(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> DirectionalMovement {
    let len = close.len();
    let mut plus_dm = nan_vec(len);
    let mut minus_dm = nan_vec(len);
    for i in 1..len {
        let up = high[i] - high[i - 1];
        let down = low[i - 1] - low[i];
        if !(up.is_finite() && down.is_finite()) {
            continue;
        }
        plus_dm[i] = if up > down && up > 0.0 { up } else { 0.0 };
        minus_dm[i] = if down > up && down > 0.0 { down } else { 0.0 };
    }
    let range = wilder_sum(&true_range(high, low, close), period);
    let plus_sum = wilder_sum(&plus_dm, period);
    let minus_sum = wilder_sum(&minus_dm, period);

    let mut result = DirectionalMovement {
        plus_di: nan_vec(len),
        minus_di: nan_vec(len),
        dx: nan_vec(len),
    };
    for i in 0..len {
        let plus = 100.0 * ratio(plus_sum[i], range[i]);
        let minus = 100.0 * ratio(minus_sum[i], range[i]);
        result.plus_di[i] = plus;
        result.minus_di[i] = minus;
        result.dx[i] = 100.0 * ratio((plus - minus).abs(), plus + minus);
    }
    result
}

/// Average directional index with its directional indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct Adx {
    pub adx: Vec<f64>,
    pub plus_di: Vec<f64>,
    pub minus_di: Vec<f64>,
}

/// ADX: Wilder average of DX seeded with the mean of the first `period` DX
/// values; first valid row `2 * period - 1`.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Adx {
    let movement = directional_movement(high, low, close, period);
    Adx {
        adx: wilder_average(&movement.dx, period),
        plus_di: movement.plus_di,
        minus_di: movement.minus_di,
    }
}

/// On-balance volume starting at `volume[0]` as in TA-Lib, then adding the
/// volume on up closes and subtracting it on down closes. A NaN close or
/// volume starts a new run at that run's first volume.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    let mut out = nan_vec(close.len());
    for run in valid_runs(close.len(), |i| {
        close[i].is_finite() && volume[i].is_finite()
    }) {
        let mut total = volume[run.start];
        out[run.start] = total;
        for i in run.start + 1..run.end {
            if close[i] > close[i - 1] {
                total += volume[i];
            } else if close[i] < close[i - 1] {
                total -= volume[i];
            }
            out[i] = total;
        }
    }
    out
}

/// OBV change over the last `period` rows divided by the volume traded in
/// those rows: +1 when every close rose, -1 when every close fell. First valid
/// row `period`; NaN when no volume traded.
pub fn obv_slope(close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    let len = close.len();
    let mut signed = nan_vec(len);
    let mut traded = nan_vec(len);
    for i in 1..len {
        let change = close[i] - close[i - 1];
        if !(change.is_finite() && volume[i].is_finite()) {
            continue;
        }
        signed[i] = if change > 0.0 {
            volume[i]
        } else if change < 0.0 {
            -volume[i]
        } else {
            0.0
        };
        traded[i] = volume[i];
    }
    let signed_mean = super::average::sma(&signed, period);
    let traded_mean = super::average::sma(&traded, period);
    (0..len)
        .map(|i| ratio(signed_mean[i], traded_mean[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obv_restarts_after_missing_volume() {
        let close = [1.0, 2.0, 1.0, 3.0, 4.0];
        let volume = [10.0, 5.0, f64::NAN, 7.0, 2.0];
        let got = obv(&close, &volume);
        assert_eq!(got[0], 10.0);
        assert_eq!(got[1], 15.0);
        assert!(got[2].is_nan());
        assert_eq!(got[3], 7.0);
        assert_eq!(got[4], 9.0);
    }

    #[test]
    fn obv_slope_of_rising_closes_is_one() {
        let close: Vec<f64> = (0..20).map(f64::from).collect();
        let got = obv_slope(&close, &[3.0; 20], 14);
        assert!(got[13].is_nan());
        assert!((got[14] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn directional_movement_of_flat_bars_is_nan() {
        let flat = [5.0; 40];
        let got = adx(&flat, &flat, &flat, 14);
        assert!(got
            .plus_di
            .iter()
            .chain(&got.minus_di)
            .chain(&got.adx)
            .all(|v| v.is_nan()));
    }
}
