//! One coin's history as cleaned columns with a calendar index.

use super::indicators::ratio;
use crate::market::History;
use chrono::{Datelike, NaiveDate};

/// Columns of one coin's candles, one row per candle, plus a map from calendar
/// day to row so that "N days earlier" finds the right candle across gaps.
///
/// Values that cannot be a real observation become NaN here, so every feature
/// sees one kind of missing value: non-finite numbers, a close, high or low
/// that is not positive, and a volume or market cap that is zero or negative
/// (sources write 0 when they have no figure, as the 2013 rows of many
/// exchanges do).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub dates: Vec<NaiveDate>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub market_cap: Vec<f64>,
    /// Day number (days from the common era) of the first candle.
    pub first_day: i64,
    /// Row of each day from `first_day` on, `u32::MAX` when the day is missing.
    row_of_day: Vec<u32>,
}

const NO_ROW: u32 = u32::MAX;

fn positive_or_nan(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        f64::NAN
    }
}

pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

impl Series {
    /// Builds the columns; an unsorted history is sorted, and of two candles
    /// on one date the later one in the input is kept.
    pub fn from_history(history: &History) -> Self {
        let sorted = history.windows(2).all(|pair| pair[0].date < pair[1].date);
        let mut candles = history.clone();
        if !sorted {
            candles.sort_by_key(|candle| candle.date);
            // dedup_by_key keeps the first of equal keys, so reverse around it.
            candles.reverse();
            candles.dedup_by_key(|candle| candle.date);
            candles.reverse();
        }

        let first_day = candles.first().map_or(0, |candle| day_number(candle.date));
        let span = candles
            .last()
            .map_or(0, |candle| day_number(candle.date) - first_day + 1);
        let mut row_of_day = vec![NO_ROW; span as usize];
        for (row, candle) in candles.iter().enumerate() {
            row_of_day[(day_number(candle.date) - first_day) as usize] = row as u32;
        }

        Self {
            dates: candles.iter().map(|c| c.date).collect(),
            high: candles.iter().map(|c| positive_or_nan(c.high)).collect(),
            low: candles.iter().map(|c| positive_or_nan(c.low)).collect(),
            close: candles.iter().map(|c| positive_or_nan(c.close)).collect(),
            volume: candles.iter().map(|c| positive_or_nan(c.volume)).collect(),
            market_cap: candles
                .iter()
                .map(|c| positive_or_nan(c.market_cap))
                .collect(),
            first_day,
            row_of_day,
        }
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Returns the row of the given day number, if the coin has a candle then.
    pub fn row_on_day(&self, day: i64) -> Option<usize> {
        let offset = usize::try_from(day - self.first_day).ok()?;
        match self.row_of_day.get(offset) {
            Some(&row) if row != NO_ROW => Some(row as usize),
            _ => None,
        }
    }

    /// Returns, for each row, `values` on the calendar day `days` earlier, or
    /// NaN when the coin has no candle on that day.
    pub fn days_earlier(&self, values: &[f64], days: i64) -> Vec<f64> {
        self.dates
            .iter()
            .map(|&date| match self.row_on_day(day_number(date) - days) {
                Some(row) => values[row],
                None => f64::NAN,
            })
            .collect()
    }

    /// Returns `value / value days earlier - 1` for each row.
    pub fn change_over_days(&self, values: &[f64], days: i64) -> Vec<f64> {
        let earlier = self.days_earlier(values, days);
        values
            .iter()
            .zip(&earlier)
            .map(|(&now, &then)| ratio(now, then) - 1.0)
            .collect()
    }

    /// Daily log returns, NaN when the previous calendar day is missing.
    pub fn log_returns(&self) -> Vec<f64> {
        let previous = self.days_earlier(&self.close, 1);
        self.close
            .iter()
            .zip(&previous)
            .map(|(&now, &then)| ratio(now, then).ln())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 3, day).expect("valid date")
    }

    #[test]
    fn days_earlier_is_nan_across_gap() {
        let history: History = [1, 2, 4, 5]
            .iter()
            .map(|&d| Candle::close_only(date(d), f64::from(d)))
            .collect();
        let series = Series::from_history(&history);
        let earlier = series.days_earlier(&series.close, 1);
        assert!(earlier[0].is_nan());
        assert_eq!(earlier[1], 1.0);
        assert!(earlier[2].is_nan(), "3 March is missing");
        assert_eq!(earlier[3], 4.0);
    }

    #[test]
    fn unsorted_history_is_sorted_and_deduplicated() {
        let history: History = vec![
            Candle::close_only(date(3), 3.0),
            Candle::close_only(date(1), 1.0),
            Candle::close_only(date(3), 30.0),
        ];
        let series = Series::from_history(&history);
        assert_eq!(series.dates, vec![date(1), date(3)]);
        assert_eq!(series.close, vec![1.0, 30.0]);
    }

    #[test]
    fn zero_volume_and_market_cap_become_nan() {
        let mut candle = Candle::close_only(date(1), 5.0);
        candle.volume = 0.0;
        candle.market_cap = -1.0;
        let series = Series::from_history(&vec![candle]);
        assert!(series.volume[0].is_nan());
        assert!(series.market_cap[0].is_nan());
    }

    #[test]
    fn empty_history_has_no_rows() {
        let series = Series::from_history(&Vec::new());
        assert_eq!(series.len(), 0);
        assert_eq!(series.row_on_day(0), None);
    }
}
