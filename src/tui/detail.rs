//! Chart series for the detail view, computed from one coin's history.

use crate::features::indicators::{macd, rsi, sma};
use crate::market::History;
use chrono::NaiveDate;

/// Days of history the detail chart shows by default.
pub const CHART_DAYS: usize = 180;

/// Days ahead the price model predicts, and so the length of the forecast.
pub const FORECAST_DAYS: usize = 7;

/// Steps per day used to fill the confidence band with vertical strokes.
const BAND_STEPS_PER_DAY: usize = 4;

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

/// Predicted 7-day path drawn after the last close. Only day +7 is a model
/// output. The days between are a straight line from the last close, and
/// the band widens linearly from zero to ± one spread at day +7.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forecast {
    /// From the last close to close × (1 + predicted return) at day +7.
    pub path: Vec<(f64, f64)>,
    /// Upper and lower edges of the band, joined by vertical strokes so a
    /// line chart draws it filled.
    pub band: Vec<(f64, f64)>,
    /// Close × (1 + predicted − spread) and close × (1 + predicted + spread).
    pub low: f64,
    pub high: f64,
    pub target: f64,
}

/// Builds the forecast from the last point of the close line, the predicted
/// 7-day return and its spread (both fractions). Returns `None` when the
/// close line is empty or a value is not finite.
pub fn forecast(closes: &[(f64, f64)], predicted: f64, spread: f64) -> Option<Forecast> {
    let &(last_x, close) = closes.last()?;
    if !(close.is_finite() && predicted.is_finite() && spread.is_finite()) {
        return None;
    }
    let days = FORECAST_DAYS as f64;
    let target = close * (1.0 + predicted);
    let low = close * (1.0 + predicted - spread);
    let high = close * (1.0 + predicted + spread);

    let steps = FORECAST_DAYS * BAND_STEPS_PER_DAY;
    let mut band = Vec::with_capacity(2 * steps + 2);
    for step in 0..=steps {
        let share = step as f64 / steps as f64;
        let x = last_x + share * days;
        let (edge_low, edge_high) = (
            close + share * (low - close),
            close + share * (high - close),
        );
        // Alternate the stroke direction so consecutive strokes join along an edge.
        if step % 2 == 0 {
            band.extend([(x, edge_low), (x, edge_high)]);
        } else {
            band.extend([(x, edge_high), (x, edge_low)]);
        }
    }

    Some(Forecast {
        path: vec![(last_x, close), (last_x + days, target)],
        band,
        low,
        high,
        target,
    })
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

/// Builds the chart series of the last `days` days. Indicators are
/// computed over the whole history before the window is cut, so lines
/// start at the left edge whenever enough older data exists.
pub fn detail_series(history: &History, days: usize) -> DetailSeries {
    let start = history.len().saturating_sub(days);
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
        let series = detail_series(&history(400), CHART_DAYS);
        assert_eq!(series.closes.len(), CHART_DAYS);
        assert_eq!(series.closes[0], (0.0, 320.0));
        assert_eq!(series.last_day, NaiveDate::from_ymd_opt(2022, 2, 4));
    }

    #[test]
    fn window_follows_days() {
        let series = detail_series(&history(400), 30);
        assert_eq!(series.closes.len(), 30);
        assert_eq!(series.closes[0], (0.0, 470.0));
        assert_eq!(series.sma_50.len(), 30);
    }

    #[test]
    fn short_history_keeps_all() {
        let series = detail_series(&history(30), CHART_DAYS);
        assert_eq!(series.closes.len(), 30);
        assert_eq!(
            DetailSeries::bounds(&[&series.closes]),
            Some((100.0, 129.0))
        );
    }

    #[test]
    fn indicators_skip_warm_up() {
        let series = detail_series(&history(60), CHART_DAYS);
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
        let series = detail_series(&history(400), CHART_DAYS);
        assert_eq!(series.sma_50.len(), CHART_DAYS);
        assert_eq!(series.rsi_14.len(), CHART_DAYS);
        assert_eq!(series.sma_50[0].0, 0.0);
    }

    #[test]
    fn forecast_ends_at_predicted_close() {
        let series = detail_series(&history(30), CHART_DAYS);
        let forecast = forecast(&series.closes, 0.10, 0.02).unwrap();
        assert_eq!(forecast.path, vec![(29.0, 129.0), (36.0, 129.0 * 1.10)]);
        assert!((forecast.low - 129.0 * 1.08).abs() < 1e-9);
        assert!((forecast.high - 129.0 * 1.12).abs() < 1e-9);
        assert_eq!(forecast.target, 129.0 * 1.10);
    }

    #[test]
    fn band_widens_from_last_close() {
        let forecast = forecast(&[(0.0, 100.0)], 0.0, 0.05).unwrap();
        assert_eq!(forecast.band[0], (0.0, 100.0));
        assert_eq!(forecast.band[1], (0.0, 100.0));
        let last_two = &forecast.band[forecast.band.len() - 2..];
        let ys: Vec<f64> = last_two.iter().map(|p| p.1).collect();
        assert!(ys.contains(&95.0), "{ys:?}");
        assert!(ys.contains(&105.0), "{ys:?}");
        assert!(last_two.iter().all(|p| p.0 == 7.0));
        let (low, high) = DetailSeries::bounds(&[&forecast.band]).unwrap();
        assert_eq!((low, high), (95.0, 105.0));
    }

    #[test]
    fn forecast_needs_finite_inputs() {
        assert_eq!(forecast(&[], 0.1, 0.01), None);
        assert_eq!(forecast(&[(0.0, 1.0)], f64::NAN, 0.01), None);
        assert_eq!(forecast(&[(0.0, f64::NAN)], 0.1, 0.01), None);
    }

    #[test]
    fn empty_history_has_no_points() {
        let series = detail_series(&History::new(), CHART_DAYS);
        assert!(series.closes.is_empty());
        assert_eq!(series.first_day, None);
        assert_eq!(DetailSeries::bounds(&[&series.closes]), None);
    }
}
