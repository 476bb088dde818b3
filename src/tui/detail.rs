//! Chart series for the detail view, computed from one coin's history.

use crate::features::indicators::{macd, rsi, sma};
use crate::market::History;
use chrono::NaiveDate;

/// Days of history the detail chart shows.
pub const CHART_DAYS: usize = 180;

/// Points of every line in the detail view. The x value of a point is its
/// day index within the window (0 = first day shown), so all panels share
/// one x axis. Warm-up days of an indicator have no point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailSeries {
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub closes: Vec<(f64, f64)>,
    pub sma_20: Vec<(f64, f64)>,
    pub sma_50: Vec<(f64, f64)>,
    pub rsi_14: Vec<(f64, f64)>,
    pub macd_line: Vec<(f64, f64)>,
    pub macd_signal: Vec<(f64, f64)>,
    pub macd_hist: Vec<(f64, f64)>,
}

impl DetailSeries {
    /// Lowest and highest value over the given lines, for a y axis; `None`
    /// when the lines have no points.
    pub fn bounds(lines: &[&[(f64, f64)]]) -> Option<(f64, f64)> {
        let mut values = lines.iter().flat_map(|line| line.iter().map(|(_, y)| *y));
        let first = values.next()?;
        Some(values.fold((first, first), |(low, high), y| (low.min(y), high.max(y))))
    }
}

/// Builds the chart series of the last [`CHART_DAYS`] days. Indicators are
/// computed over the whole history before the window is cut, so lines
/// start at the left edge whenever enough older data exists.
pub fn detail_series(history: &History) -> DetailSeries {
    let start = history.len().saturating_sub(CHART_DAYS);
    let window = &history[start..];
    let closes: Vec<f64> = history.iter().map(|candle| candle.close).collect();

    let mut series = DetailSeries {
        first_day: window.first().map(|c| c.date),
        last_day: window.last().map(|c| c.date),
        closes: points(&closes, start),
        ..DetailSeries::default()
    };
    add_indicators(&mut series, &closes, start);
    series
}

fn add_indicators(series: &mut DetailSeries, closes: &[f64], start: usize) {
    series.sma_20 = points(&sma(closes, 20), start);
    series.sma_50 = points(&sma(closes, 50), start);
    series.rsi_14 = points(&rsi(closes, 14), start);

    let macd = macd(closes, 12, 26, 9);
    series.macd_line = points(&macd.line, start);
    series.macd_signal = points(&macd.signal, start);
    series.macd_hist = points(&macd.hist, start);
}

/// Chart points of `values[start..]`, skipping NaN (warm-up) values.
fn points(values: &[f64], start: usize) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, value)| value.is_finite())
        .map(|(index, value)| ((index - start) as f64, *value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;

    fn history(days: usize) -> History {
        let first = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        (0..days)
            .map(|day| {
                Candle::close_only(first + chrono::Days::new(day as u64), 100.0 + day as f64)
            })
            .collect()
    }

    #[test]
    fn window_is_last_180_days() {
        let series = detail_series(&history(400));
        assert_eq!(series.closes.len(), CHART_DAYS);
        assert_eq!(series.closes[0], (0.0, 320.0));
        assert_eq!(series.last_day, NaiveDate::from_ymd_opt(2022, 2, 4));
    }

    #[test]
    fn short_history_keeps_all() {
        let series = detail_series(&history(30));
        assert_eq!(series.closes.len(), 30);
        assert_eq!(
            DetailSeries::bounds(&[&series.closes]),
            Some((100.0, 129.0))
        );
    }

    #[test]
    fn indicators_skip_warm_up() {
        let series = detail_series(&history(60));
        assert_eq!(series.sma_20.len(), 41);
        assert_eq!(series.sma_20[0], (19.0, 109.5));
        assert_eq!(series.sma_50.len(), 11);
        // Closes that only rise have no losses, so RSI is 100 after its warm-up.
        assert_eq!(series.rsi_14.first(), Some(&(14.0, 100.0)));
        // TA-Lib starts MACD once the signal line is defined: day 25 + 8.
        assert_eq!(series.macd_line.first().map(|p| p.0), Some(33.0));
        assert_eq!(series.macd_signal.first().map(|p| p.0), Some(33.0));
        assert_eq!(series.macd_hist.len(), 27);
    }

    #[test]
    fn indicators_use_days_before_window() {
        let series = detail_series(&history(400));
        assert_eq!(series.sma_50.len(), CHART_DAYS);
        assert_eq!(series.rsi_14.len(), CHART_DAYS);
        assert_eq!(series.sma_50[0].0, 0.0);
    }

    #[test]
    fn empty_history_has_no_points() {
        let series = detail_series(&History::new());
        assert!(series.closes.is_empty());
        assert_eq!(series.first_day, None);
        assert_eq!(DetailSeries::bounds(&[&series.closes]), None);
    }
}
