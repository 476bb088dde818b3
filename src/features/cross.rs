//! Features that compare a coin with the other coins of the same day:
//! market-cap rank and the relation to bitcoin.

use super::indicators::{ratio, valid_runs};
use super::schema::Feature;
use super::series::{day_number, Series};
use super::FeatureTable;
use std::collections::HashMap;

/// CoinGecko id of the coin that relative returns, correlation and beta refer to.
pub const BTC_ID: &str = "bitcoin";

/// Writes the market-cap rank and its 7-day change for every coin.
///
/// The rank of a coin on a day is 1 plus the number of coins in the input with
/// a larger market cap on that day, so equal caps share a rank. Coins without
/// a market cap that day are not ranked and do not count.
pub(crate) fn write_rank_features(series: &[&Series], tables: &mut [FeatureTable]) {
    let ranks = market_cap_ranks(series);
    for ((coin, table), rank) in series.iter().zip(tables.iter_mut()).zip(&ranks) {
        write_rank_columns(coin, rank, table);
    }
}

/// Days back that the rank change compares with.
pub(crate) const RANK_CHANGE_DAYS: i64 = 7;

/// Writes the rank column and its change from `rank`, the coin's rank per row.
pub(crate) fn write_rank_columns(coin: &Series, rank: &[f64], table: &mut FeatureTable) {
    table.set_column(Feature::MarketCapRank, rank);
    let earlier = coin.days_earlier(rank, RANK_CHANGE_DAYS);
    let climb: Vec<f64> = earlier
        .iter()
        .zip(rank)
        .map(|(then, now)| then - now)
        .collect();
    table.set_column(Feature::MarketCapRankChange7d, &climb);
}

/// The market caps of every coin on a chosen set of days, sorted largest
/// first, so that a coin's rank on one of those days can be found without
/// holding every coin's rows at once.
pub(crate) struct CapsOnDays {
    by_day: HashMap<i64, Vec<f64>>,
}

impl CapsOnDays {
    /// Creates an empty set of the given day numbers.
    pub fn for_days(days: impl IntoIterator<Item = i64>) -> Self {
        let by_day = days.into_iter().map(|day| (day, Vec::new())).collect();
        Self { by_day }
    }

    /// Adds one coin's caps on the chosen days; call once per coin.
    pub fn add(&mut self, coin: &Series) {
        for (date, &cap) in coin.dates.iter().zip(&coin.market_cap) {
            if cap.is_finite() {
                if let Some(caps) = self.by_day.get_mut(&day_number(*date)) {
                    caps.push(cap);
                }
            }
        }
    }

    /// Sorts each day's caps; call after the last [`CapsOnDays::add`].
    pub fn finish(&mut self) {
        for caps in self.by_day.values_mut() {
            caps.sort_unstable_by(|a, b| b.total_cmp(a));
        }
    }

    /// Returns the coin's rank per row as [`write_rank_features`] computes it
    /// on the chosen days, and NaN on the other rows.
    pub fn ranks(&self, coin: &Series) -> Vec<f64> {
        coin.dates
            .iter()
            .zip(&coin.market_cap)
            .map(|(date, &cap)| match self.by_day.get(&day_number(*date)) {
                Some(caps) if cap.is_finite() => (caps.partition_point(|&c| c > cap) + 1) as f64,
                _ => f64::NAN,
            })
            .collect()
    }
}

/// Returns each coin's rank per row; sorts each day's caps once, so the cost is
/// O(coin-days * log(coins)).
fn market_cap_ranks(series: &[&Series]) -> Vec<Vec<f64>> {
    let mut ranks: Vec<Vec<f64>> = series
        .iter()
        .map(|coin| vec![f64::NAN; coin.len()])
        .collect();
    let Some(first_day) = series
        .iter()
        .filter_map(|coin| coin.dates.first())
        .map(|&d| day_number(d))
        .min()
    else {
        return ranks;
    };
    let last_day = series
        .iter()
        .filter_map(|coin| coin.dates.last())
        .map(|&d| day_number(d))
        .max()
        .unwrap_or(first_day);

    // Bucket (cap, coin, row) entries by day with a counting sort.
    let span = (last_day - first_day + 1) as usize;
    let mut counts = vec![0usize; span + 1];
    for coin in series {
        for (row, date) in coin.dates.iter().enumerate() {
            if coin.market_cap[row].is_finite() {
                counts[(day_number(*date) - first_day) as usize + 1] += 1;
            }
        }
    }
    for day in 0..span {
        counts[day + 1] += counts[day];
    }
    let mut next = counts.clone();
    let mut entries = vec![(0.0f64, 0u32, 0u32); counts[span]];
    for (coin_index, coin) in series.iter().enumerate() {
        for (row, date) in coin.dates.iter().enumerate() {
            let cap = coin.market_cap[row];
            if cap.is_finite() {
                let slot = &mut next[(day_number(*date) - first_day) as usize];
                entries[*slot] = (cap, coin_index as u32, row as u32);
                *slot += 1;
            }
        }
    }

    for day in 0..span {
        let bucket = &mut entries[counts[day]..counts[day + 1]];
        bucket.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut rank = 1;
        for position in 0..bucket.len() {
            if position > 0 && bucket[position].0 < bucket[position - 1].0 {
                rank = position + 1;
            }
            let (_, coin_index, row) = bucket[position];
            ranks[coin_index as usize][row as usize] = rank as f64;
        }
    }
    ranks
}

/// Writes returns relative to bitcoin and the 30-row correlation and beta of
/// daily log returns. Without bitcoin in the input these stay NaN.
pub(crate) fn write_btc_features(coin: &Series, btc: Option<&Series>, table: &mut FeatureTable) {
    let Some(btc) = btc else {
        return;
    };
    let on_coin_rows = |values: &[f64]| -> Vec<f64> {
        coin.dates
            .iter()
            .map(|&date| {
                btc.row_on_day(day_number(date))
                    .map_or(f64::NAN, |row| values[row])
            })
            .collect()
    };

    for (feature, days) in [(Feature::ReturnVsBtc7d, 7), (Feature::ReturnVsBtc30d, 30)] {
        let coin_return = coin.change_over_days(&coin.close, days);
        let btc_return = on_coin_rows(&btc.change_over_days(&btc.close, days));
        let excess: Vec<f64> = coin_return
            .iter()
            .zip(&btc_return)
            .map(|(c, b)| c - b)
            .collect();
        table.set_column(feature, &excess);
    }

    let coin_returns = coin.log_returns();
    let btc_returns = on_coin_rows(&btc.log_returns());
    let regression = rolling_regression(&coin_returns, &btc_returns, 30);
    table.set_column(Feature::CorrelationBtc30, &regression.correlation);
    table.set_column(Feature::BetaBtc30, &regression.beta);
}

/// Rolling Pearson correlation of `x` with `y` and beta of `x` on `y`.
pub(crate) struct Regression {
    pub correlation: Vec<f64>,
    pub beta: Vec<f64>,
}

/// Computes correlation and beta over `period` rows from running sums, NaN
/// while the window holds a row where either series is NaN.
pub(crate) fn rolling_regression(x: &[f64], y: &[f64], period: usize) -> Regression {
    let len = x.len();
    let mut result = Regression {
        correlation: vec![f64::NAN; len],
        beta: vec![f64::NAN; len],
    };
    if period < 2 {
        return result;
    }
    let n = period as f64;
    for run in valid_runs(len, |i| x[i].is_finite() && y[i].is_finite()) {
        let (xs, ys) = (&x[run.clone()], &y[run.clone()]);
        let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..xs.len() {
            sx += xs[i];
            sy += ys[i];
            sxx += xs[i] * xs[i];
            syy += ys[i] * ys[i];
            sxy += xs[i] * ys[i];
            if i + 1 < period {
                continue;
            }
            let covariance = sxy - sx * sy / n;
            let x_variance = centered_square_sum(sxx, sx, n);
            let y_variance = centered_square_sum(syy, sy, n);
            let row = run.start + i;
            result.correlation[row] =
                ratio(covariance, (x_variance * y_variance).sqrt()).clamp(-1.0, 1.0);
            result.beta[row] = ratio(covariance, y_variance);

            let j = i + 1 - period;
            sx -= xs[j];
            sy -= ys[j];
            sxx -= xs[j] * xs[j];
            syy -= ys[j] * ys[j];
            sxy -= xs[j] * ys[j];
        }
    }
    result
}

/// Returns `sum((v - mean)^2)` from the running sums, or 0 when it is lost in
/// rounding (below 1e-12 of `sum(v^2)`), so a flat series gives NaN ratios.
fn centered_square_sum(square_sum: f64, sum: f64, n: f64) -> f64 {
    let centered = square_sum - sum * sum / n;
    if centered <= square_sum * 1e-12 {
        0.0
    } else {
        centered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_of_scaled_series() {
        let y: Vec<f64> = (0..40)
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 100.0)
            .collect();
        let x: Vec<f64> = y.iter().map(|v| 2.0 * v + 0.001).collect();
        let got = rolling_regression(&x, &y, 30);
        assert!(got.beta[28].is_nan());
        assert!((got.beta[29] - 2.0).abs() < 1e-9, "{}", got.beta[29]);
        assert!(
            (got.correlation[39] - 1.0).abs() < 1e-9,
            "{}",
            got.correlation[39]
        );
    }

    #[test]
    fn regression_against_flat_series_is_nan() {
        let x: Vec<f64> = (0..35).map(|i| f64::from(i) / 100.0).collect();
        let got = rolling_regression(&x, &[0.01; 35], 30);
        assert!(got.beta.iter().chain(&got.correlation).all(|v| v.is_nan()));
    }
}
