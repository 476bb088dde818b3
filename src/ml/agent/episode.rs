//! The agent's input: one row of indicators per coin and day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Inputs of the agent on one day, and the return of holding the coin that day.
///
/// Every field is NaN where it is unknown (indicator warm-up, a missing
/// close). An unknown indicator falls into its own "unknown" bucket of the
/// state; a day with an unknown `log_return_next` is not traded (see
/// [`super::train`] and [`super::backtest`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AgentStep {
    pub date: NaiveDate,
    /// Relative strength index over 14 days, 0 to 100.
    pub rsi_14: f64,
    /// MACD line minus its signal line; only the sign is used.
    pub macd_hist: f64,
    /// Close over its 50-day simple moving average; above 1 is an uptrend.
    pub close_over_sma_50: f64,
    /// The price model's predicted 7-day return as a fraction (0.02 is +2%).
    pub predicted_return_7d: f64,
    /// ln(close[t+1] / close[t]): what holding the coin from this day to the
    /// next earns. The agent decides on day t without seeing it.
    pub log_return_next: f64,
}

/// One coin's days in date order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Episode {
    pub coin_id: String,
    pub steps: Vec<AgentStep>,
}

impl Episode {
    /// Returns the steps dated before `until`, the training part.
    pub fn before(&self, until: NaiveDate) -> &[AgentStep] {
        let end = self.steps.partition_point(|step| step.date < until);
        &self.steps[..end]
    }

    /// Returns the steps dated on or after `from`, the test part.
    pub fn from_date(&self, from: NaiveDate) -> &[AgentStep] {
        let start = self.steps.partition_point(|step| step.date < from);
        &self.steps[start..]
    }
}

/// Builds an episode from aligned daily columns of one coin.
///
/// All slices are indexed by day like `dates`, which must be ascending. A
/// slice shorter than `dates` counts as NaN for the missing days. `log_return_next` on day t is ln(closes[t+1] / closes[t]) when the
/// next day is the next calendar day and both closes are positive, and NaN
/// otherwise, so the last day always has NaN. `close_over_sma_50` is
/// closes[t] / sma_50[t].
pub fn episode_from_series(
    coin_id: &str,
    dates: &[NaiveDate],
    closes: &[f64],
    rsi_14: &[f64],
    macd_hist: &[f64],
    sma_50: &[f64],
    predicted: &[f64],
) -> Episode {
    let value = |column: &[f64], index: usize| column.get(index).copied().unwrap_or(f64::NAN);

    let steps = dates
        .iter()
        .enumerate()
        .map(|(t, date)| {
            let close = value(closes, t);
            let next_is_next_day = dates
                .get(t + 1)
                .is_some_and(|next| *next == *date + chrono::Duration::days(1));
            let next_close = value(closes, t + 1);
            let log_return_next = if next_is_next_day && close > 0.0 && next_close > 0.0 {
                (next_close / close).ln()
            } else {
                f64::NAN
            };

            let sma = value(sma_50, t);
            let close_over_sma_50 = if sma > 0.0 { close / sma } else { f64::NAN };

            AgentStep {
                date: *date,
                rsi_14: value(rsi_14, t),
                macd_hist: value(macd_hist, t),
                close_over_sma_50,
                predicted_return_7d: value(predicted, t),
                log_return_next,
            }
        })
        .collect();

    Episode {
        coin_id: coin_id.to_string(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 3, d).unwrap()
    }

    #[test]
    fn aligns_next_day_return() {
        let dates = [day(1), day(2), day(3)];
        let closes = [100.0, 110.0, 99.0];
        let episode = episode_from_series(
            "x",
            &dates,
            &closes,
            &[50.0; 3],
            &[1.0; 3],
            &[100.0; 3],
            &[0.01; 3],
        );

        let returns: Vec<f64> = episode.steps.iter().map(|s| s.log_return_next).collect();
        assert!((returns[0] - (1.1f64).ln()).abs() < 1e-12);
        assert!((returns[1] - (0.9f64).ln()).abs() < 1e-12);
        assert!(returns[2].is_nan());
        assert!((episode.steps[1].close_over_sma_50 - 1.1).abs() < 1e-12);
        assert_eq!(episode.steps[2].predicted_return_7d, 0.01);
    }

    #[test]
    fn gaps_and_short_columns_give_nan() {
        let dates = [day(1), day(3), day(4)];
        let closes = [100.0, 110.0, 0.0];
        let episode = episode_from_series("x", &dates, &closes, &[50.0], &[], &[f64::NAN; 3], &[]);

        assert!(episode.steps[0].log_return_next.is_nan(), "day gap");
        assert!(episode.steps[1].log_return_next.is_nan(), "zero close");
        assert!(episode.steps[1].rsi_14.is_nan());
        assert!(episode.steps[0].macd_hist.is_nan());
        assert!(episode.steps[0].close_over_sma_50.is_nan());
    }

    #[test]
    fn splits_by_date() {
        let dates = [day(1), day(2), day(3), day(4)];
        let episode = episode_from_series("x", &dates, &[1.0; 4], &[], &[], &[], &[]);
        assert_eq!(episode.before(day(3)).len(), 2);
        assert_eq!(episode.from_date(day(3))[0].date, day(3));
        assert_eq!(episode.from_date(day(3)).len(), 2);
    }
}
