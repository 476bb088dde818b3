//! Per-coin feature columns written into a row-major [`FeatureTable`].

use super::indicators::{self as ind, ratio};
use super::schema::Feature;
use super::series::Series;
use super::{feature_names, FeatureTable};

impl FeatureTable {
    /// Creates a table of `dates` with every value NaN.
    pub(crate) fn filled_with_nan(dates: Vec<chrono::NaiveDate>) -> Self {
        let values = vec![f64::NAN; dates.len() * feature_names().len()];
        Self { dates, values }
    }

    /// Drops all but the last `rows` rows and releases their memory.
    pub(crate) fn keep_last(&mut self, rows: usize) {
        let first = self.len().saturating_sub(rows);
        self.dates.drain(..first);
        self.values.drain(..first * feature_names().len());
        self.dates.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// Writes one column; infinities become NaN so no caller ever sees them.
    pub(crate) fn set_column(&mut self, feature: Feature, column: &[f64]) {
        let width = feature_names().len();
        debug_assert_eq!(column.len(), self.dates.len(), "column {}", feature.name());
        for (row, &value) in column.iter().enumerate() {
            self.values[row * width + feature.index()] =
                if value.is_finite() { value } else { f64::NAN };
        }
    }
}

fn ratio_to_close(values: &[f64], close: &[f64]) -> Vec<f64> {
    values
        .iter()
        .zip(close)
        .map(|(&v, &c)| ratio(v, c) - 1.0)
        .collect()
}

fn share_of_close(values: &[f64], close: &[f64]) -> Vec<f64> {
    values
        .iter()
        .zip(close)
        .map(|(&v, &c)| ratio(v, c))
        .collect()
}

/// Writes every feature that needs only this coin's own rows.
pub(crate) fn write_single_coin_features(series: &Series, table: &mut FeatureTable) {
    write_price_features(series, table);
    write_oscillator_features(series, table);
    write_volume_features(series, table);
}

fn write_price_features(series: &Series, table: &mut FeatureTable) {
    let close = &series.close;
    let returns = [
        (Feature::Return1d, 1),
        (Feature::Return3d, 3),
        (Feature::Return7d, 7),
        (Feature::Return14d, 14),
        (Feature::Return30d, 30),
        (Feature::Return90d, 90),
    ];
    for (feature, days) in returns {
        table.set_column(feature, &series.change_over_days(close, days));
    }

    let averages = [
        (Feature::Sma7Ratio, ind::sma(close, 7)),
        (Feature::Sma20Ratio, ind::sma(close, 20)),
        (Feature::Sma50Ratio, ind::sma(close, 50)),
        (Feature::Sma200Ratio, ind::sma(close, 200)),
        (Feature::Ema12Ratio, ind::ema(close, 12)),
        (Feature::Ema26Ratio, ind::ema(close, 26)),
    ];
    for (feature, average) in averages {
        table.set_column(feature, &ratio_to_close(&average, close));
    }

    let macd = ind::macd(close, 12, 26, 9);
    table.set_column(Feature::MacdLine, &share_of_close(&macd.line, close));
    table.set_column(Feature::MacdSignal, &share_of_close(&macd.signal, close));
    table.set_column(Feature::MacdHist, &share_of_close(&macd.hist, close));

    let bands = ind::bollinger(close, 20, 2.0);
    table.set_column(Feature::BollingerPercentB, &bands.percent_b);
    table.set_column(Feature::BollingerBandwidth, &bands.bandwidth);

    let log_returns = series.log_returns();
    table.set_column(Feature::Volatility7d, &ind::rolling_std(&log_returns, 7));
    table.set_column(Feature::Volatility30d, &ind::rolling_std(&log_returns, 30));

    table.set_column(
        Feature::Drawdown30,
        &close_relative_to(close, &ind::rolling_max(close, 30)),
    );
    table.set_column(
        Feature::Drawdown90,
        &close_relative_to(close, &ind::rolling_max(close, 90)),
    );
    table.set_column(
        Feature::AthDistance,
        &close_relative_to(close, &running_max(close)),
    );

    let range: Vec<f64> = series
        .high
        .iter()
        .zip(&series.low)
        .map(|(h, l)| h - l)
        .collect();
    table.set_column(Feature::HighLowRangePct, &share_of_close(&range, close));
}

/// Returns `close / reference - 1` for each row.
fn close_relative_to(close: &[f64], reference: &[f64]) -> Vec<f64> {
    close
        .iter()
        .zip(reference)
        .map(|(&c, &r)| ratio(c, r) - 1.0)
        .collect()
}

/// Maximum of the finite values so far; NaN on rows whose own value is NaN.
fn running_max(values: &[f64]) -> Vec<f64> {
    let mut max = f64::NEG_INFINITY;
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return f64::NAN;
            }
            max = max.max(v);
            max
        })
        .collect()
}

fn write_oscillator_features(series: &Series, table: &mut FeatureTable) {
    let (high, low, close) = (&series.high, &series.low, &series.close);

    table.set_column(Feature::Rsi7, &ind::rsi(close, 7));
    table.set_column(Feature::Rsi14, &ind::rsi(close, 14));
    table.set_column(
        Feature::Atr14Pct,
        &share_of_close(&ind::atr(high, low, close, 14), close),
    );

    let stochastic = ind::stochastic(high, low, close, 14, 3, 3);
    table.set_column(Feature::StochK, &stochastic.k);
    table.set_column(Feature::StochD, &stochastic.d);
    table.set_column(Feature::WilliamsR14, &ind::williams_r(high, low, close, 14));
    table.set_column(Feature::Cci20, &ind::cci(high, low, close, 20));
    table.set_column(
        Feature::Mfi14,
        &ind::mfi(high, low, close, &series.volume, 14),
    );

    let adx = ind::adx(high, low, close, 14);
    table.set_column(Feature::Adx14, &adx.adx);
    table.set_column(Feature::PlusDi14, &adx.plus_di);
    table.set_column(Feature::MinusDi14, &adx.minus_di);

    table.set_column(
        Feature::ObvSlope14,
        &ind::obv_slope(close, &series.volume, 14),
    );
    table.set_column(Feature::Roc10, &ind::roc(close, 10));
}

fn write_volume_features(series: &Series, table: &mut FeatureTable) {
    let volume = &series.volume;
    let len = series.len();

    table.set_column(Feature::VolumeChange1d, &series.change_over_days(volume, 1));

    let weekly = ind::sma(volume, 7);
    let weekly_change: Vec<f64> = (0..len)
        .map(|i| match i.checked_sub(7) {
            Some(j) => ratio(weekly[i], weekly[j]) - 1.0,
            None => f64::NAN,
        })
        .collect();
    table.set_column(Feature::VolumeChange7d, &weekly_change);
    table.set_column(Feature::VolumeZscore30, &zscore(volume, 30));

    let turnover: Vec<f64> = volume
        .iter()
        .zip(&series.market_cap)
        .map(|(&v, &m)| ratio(v, m))
        .collect();
    table.set_column(Feature::VolumeToMarketCap, &turnover);
    let log_cap: Vec<f64> = series.market_cap.iter().map(|m| m.ln()).collect();
    table.set_column(Feature::LogMarketCap, &log_cap);
}

/// `(x - mean) / sample std` over the last `period` rows, with the deviation
/// computed in two passes per window because volumes span many magnitudes.
fn zscore(values: &[f64], period: usize) -> Vec<f64> {
    let mean = ind::sma(values, period);
    (0..values.len())
        .map(|i| {
            if mean[i].is_nan() || period < 2 {
                return f64::NAN;
            }
            let window = &values[i + 1 - period..=i];
            let squares: f64 = window.iter().map(|v| (v - mean[i]) * (v - mean[i])).sum();
            let std = (squares / (period - 1) as f64).sqrt();
            ratio(values[i] - mean[i], std)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_max_skips_nan_rows() {
        let got = running_max(&[1.0, 3.0, f64::NAN, 2.0, 4.0]);
        assert_eq!(got[1], 3.0);
        assert!(got[2].is_nan());
        assert_eq!(got[3], 3.0);
        assert_eq!(got[4], 4.0);
    }

    #[test]
    fn zscore_of_constant_volume_is_nan() {
        let got = zscore(&[5.0; 40], 30);
        assert!(got.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn zscore_of_last_outlier() {
        let mut volume = vec![1.0, 3.0];
        volume.push(8.0);
        let got = zscore(&volume, 3);
        let mean = 4.0;
        let std = ((9.0 + 1.0 + 16.0) / 2.0_f64).sqrt();
        assert!((got[2] - (8.0 - mean) / std).abs() < 1e-12);
    }
}
