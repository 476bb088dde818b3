//! Merging of histories: cached with fresh, and OHLCV with chart market caps.

use super::types::{Candle, History};
use chrono::{DateTime, Duration as DayCount, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Returns the last day whose candle is complete at time `at`.
///
/// The day of `at` is complete only at its last second (23:59:59, the stamp a
/// snapshot's `last_updated` carries); earlier it is still open.
pub fn last_complete_day(at: DateTime<Utc>) -> NaiveDate {
    let next_second = at + DayCount::seconds(1);
    next_second.date_naive() - DayCount::days(1)
}

/// Merges `fresh` into `cached` by date; on a shared date the fresh candle wins.
pub fn merge_by_date(cached: &[Candle], fresh: &[Candle]) -> History {
    let mut by_date: BTreeMap<NaiveDate, Candle> = cached.iter().map(|c| (c.date, *c)).collect();
    for candle in fresh {
        by_date.insert(candle.date, *candle);
    }
    by_date.into_values().collect()
}

/// Combines OHLCV candles with the market caps of a chart history.
///
/// Days present in `ohlcv` keep its open, high, low, close and volume and take
/// the chart's market cap. Days only in the chart are kept as the chart has
/// them, so a gap in the OHLCV source does not remove a day.
pub fn with_chart_caps(ohlcv: &[Candle], chart: &[Candle]) -> History {
    let mut by_date: BTreeMap<NaiveDate, Candle> = chart.iter().map(|c| (c.date, *c)).collect();
    for candle in ohlcv {
        let market_cap = by_date.get(&candle.date).map_or(f64::NAN, |c| c.market_cap);
        by_date.insert(
            candle.date,
            Candle {
                market_cap,
                ..*candle
            },
        );
    }
    by_date.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 7, d).unwrap()
    }

    #[test]
    fn complete_day_rule() {
        let end_of_day = day(6).and_hms_opt(23, 59, 59).unwrap().and_utc();
        assert_eq!(last_complete_day(end_of_day), day(6));
        let afternoon = day(8).and_hms_opt(16, 49, 40).unwrap().and_utc();
        assert_eq!(last_complete_day(afternoon), day(7));
    }

    #[test]
    fn fresh_candle_wins() {
        let cached = vec![
            Candle::close_only(day(1), 1.0),
            Candle::close_only(day(2), 2.0),
        ];
        let fresh = vec![
            Candle::close_only(day(2), 5.0),
            Candle::close_only(day(3), 3.0),
        ];
        let merged = merge_by_date(&cached, &fresh);
        let closes: Vec<f64> = merged.iter().map(|c| c.close).collect();
        assert_eq!(closes, vec![1.0, 5.0, 3.0]);
    }

    #[test]
    fn caps_join_ohlcv_by_date() {
        let ohlcv = vec![Candle {
            open: 1.0,
            high: 2.0,
            low: 0.5,
            volume: 9.0,
            ..Candle::close_only(day(2), 1.5)
        }];
        let chart = vec![
            Candle {
                market_cap: 100.0,
                ..Candle::close_only(day(1), 1.0)
            },
            Candle {
                market_cap: 200.0,
                ..Candle::close_only(day(2), 1.4)
            },
        ];
        let merged = with_chart_caps(&ohlcv, &chart);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[1].close, 1.5);
        assert_eq!(merged[1].high, 2.0);
        assert_eq!(merged[1].market_cap, 200.0);
        assert_eq!(merged[0].market_cap, 100.0);
    }
}
