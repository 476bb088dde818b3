//! Parsers of the CoinGecko and CryptoCompare bodies, shared by the live
//! clients and the snapshot folder.
//!
//! Parsing is tolerant: any numeric or date field may be null, missing or of
//! another type, unknown fields are ignored and numbers may use scientific
//! notation. Only a body that is not the expected JSON shape is an error.

use super::error::{snippet, MarketError};
use super::types::{Candle, Coin, History};
use chrono::{DateTime, Duration as DayCount, NaiveDate, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const MS_PER_DAY: i64 = 86_400_000;

fn bad_body(url_path: &str, body: &str) -> MarketError {
    MarketError::BadBody {
        url_path: url_path.to_string(),
        snippet: snippet(body),
    }
}

fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value?.as_str().map(str::to_string)
}

fn timestamp(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let raw = value?.as_str()?;
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses a `/coins/markets` body. Rows without an id are skipped because a
/// coin is keyed by its id.
pub fn parse_markets(body: &str, url_path: &str) -> Result<Vec<Coin>, MarketError> {
    let rows: Vec<Value> = serde_json::from_str(body).map_err(|_| bad_body(url_path, body))?;
    let mut coins = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(id) = text(row.get("id")).filter(|id| !id.is_empty()) else {
            tracing::warn!(url_path, "skipped a market row without an id");
            continue;
        };
        coins.push(Coin {
            id,
            symbol: text(row.get("symbol")).unwrap_or_default().to_lowercase(),
            name: text(row.get("name")).unwrap_or_default(),
            current_price: number(row.get("current_price")),
            market_cap: number(row.get("market_cap")),
            market_cap_rank: number(row.get("market_cap_rank"))
                .filter(|rank| *rank >= 1.0 && *rank <= u32::MAX as f64)
                .map(|rank| rank as u32),
            total_volume: number(row.get("total_volume")),
            price_change_percentage_24h: number(row.get("price_change_percentage_24h")),
            price_change_percentage_7d: number(row.get("price_change_percentage_7d_in_currency")),
            price_change_percentage_30d: number(row.get("price_change_percentage_30d_in_currency")),
            ath: number(row.get("ath")),
            last_updated: timestamp(row.get("last_updated")),
        });
    }
    Ok(coins)
}

/// Returns the day a CoinGecko chart point describes, or `None` for a point
/// that is not a daily close.
///
/// A daily close is stamped 00:00 UTC of the next day, so the candle's date is
/// the stamp's date minus one day. A point at any other time of day is the
/// live price of the still-open current day (the last point of a live chart),
/// or a point of an hourly chart, and is dropped.
pub fn chart_point_date(stamp_ms: i64) -> Option<NaiveDate> {
    if stamp_ms.rem_euclid(MS_PER_DAY) != 0 {
        return None;
    }
    let stamp = DateTime::from_timestamp_millis(stamp_ms)?;
    stamp.date_naive().checked_sub_signed(DayCount::days(1))
}

/// Returns the chart stamp, in milliseconds, of the close of `date`.
pub fn chart_stamp_ms(date: NaiveDate) -> i64 {
    let next = date + DayCount::days(1);
    next.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

fn chart_series(
    root: &Value,
    name: &str,
    url_path: &str,
    body: &str,
) -> Result<BTreeMap<NaiveDate, f64>, MarketError> {
    let mut series = BTreeMap::new();
    let points = match root.get(name) {
        None | Some(Value::Null) => return Ok(series),
        Some(Value::Array(points)) => points,
        Some(_) => return Err(bad_body(url_path, body)),
    };
    for point in points {
        let Some(pair) = point.as_array() else {
            continue;
        };
        let stamp = number(pair.first()).map(|ms| ms as i64);
        let value = number(pair.get(1));
        if let (Some(date), Some(value)) = (stamp.and_then(chart_point_date), value) {
            series.insert(date, value);
        }
    }
    Ok(series)
}

/// Parses a `/coins/{id}/market_chart` body into daily candles with close,
/// volume and market cap; open, high and low are NaN.
///
/// Only 00:00 UTC points are kept (see [`chart_point_date`]). A day without a
/// price is dropped; a day without a volume or market cap keeps NaN there.
pub fn parse_market_chart(body: &str, url_path: &str) -> Result<History, MarketError> {
    let root: Value = serde_json::from_str(body).map_err(|_| bad_body(url_path, body))?;
    if !root.is_object() {
        return Err(bad_body(url_path, body));
    }
    let prices = chart_series(&root, "prices", url_path, body)?;
    let caps = chart_series(&root, "market_caps", url_path, body)?;
    let volumes = chart_series(&root, "total_volumes", url_path, body)?;

    let history = prices
        .into_iter()
        .map(|(date, close)| Candle {
            volume: volumes.get(&date).copied().unwrap_or(f64::NAN),
            market_cap: caps.get(&date).copied().unwrap_or(f64::NAN),
            ..Candle::close_only(date, close)
        })
        .collect();
    Ok(history)
}

/// One parsed `/data/v2/histoday` page.
#[derive(Debug, Clone, PartialEq)]
pub struct HistodayPage {
    /// Candles in ascending date order, the all-zero rows before the coin's
    /// listing removed.
    pub candles: History,
    /// Number of rows the page held, zero rows included, for paging.
    pub row_count: usize,
    /// Earliest row time in seconds, for the next page's `toTs`.
    pub time_from: Option<i64>,
    /// True when the page reached the all-zero rows before the listing.
    pub reached_listing: bool,
}

/// Parses a CryptoCompare `/data/v2/histoday` body.
///
/// CryptoCompare reports errors as HTTP 200 with `"Response":"Error"`: type 99
/// is a rate limit, others become [`MarketError::Api`]. Volume is `volumeto`,
/// the quote-currency volume. Market cap is NaN because histoday has none.
pub fn parse_histoday(body: &str, url_path: &str, host: &str) -> Result<HistodayPage, MarketError> {
    let root: Value = serde_json::from_str(body).map_err(|_| bad_body(url_path, body))?;
    if let Some(error) = cryptocompare_error(&root, host) {
        return Err(error);
    }
    let rows = root
        .get("Data")
        .and_then(|data| data.get("Data"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad_body(url_path, body))?;

    let mut by_date = BTreeMap::new();
    let mut time_from = None;
    let mut reached_listing = false;
    for row in rows {
        let Some(time) = number(row.get("time")).map(|t| t as i64) else {
            continue;
        };
        time_from = Some(time_from.map_or(time, |t: i64| t.min(time)));
        let Some(date) = DateTime::from_timestamp(time, 0).map(|t| t.date_naive()) else {
            continue;
        };
        let field = |name: &str| number(row.get(name)).unwrap_or(f64::NAN);
        let candle = Candle {
            date,
            open: field("open"),
            high: field("high"),
            low: field("low"),
            close: field("close"),
            volume: field("volumeto"),
            market_cap: f64::NAN,
        };
        let all_zero = [candle.open, candle.high, candle.low, candle.close]
            .iter()
            .all(|price| *price == 0.0 || price.is_nan());
        if all_zero {
            // Rows before a coin's listing carry zeros; a zero row also marks
            // that paging further back would only return more of them.
            reached_listing = true;
            continue;
        }
        by_date.insert(date, candle);
    }

    let candles: History = by_date.into_values().collect();
    Ok(HistodayPage {
        row_count: rows.len(),
        candles,
        time_from,
        reached_listing,
    })
}

/// Returns the typed error of a CryptoCompare `"Response":"Error"` body.
pub fn cryptocompare_error(root: &Value, host: &str) -> Option<MarketError> {
    if root.get("Response").and_then(Value::as_str) != Some("Error") {
        return None;
    }
    let message = text(root.get("Message")).unwrap_or_else(|| "unknown error".to_string());
    if number(root.get("Type")) == Some(99.0) {
        return Some(MarketError::RateLimited {
            host: host.to_string(),
            retry_after: cryptocompare_retry_after(root),
        });
    }
    Some(MarketError::Api {
        host: host.to_string(),
        message: snippet(&message),
    })
}

/// Returns the wait a Type 99 body implies: one minute when the per-minute
/// quota is spent, one second for the per-second quota, else unknown.
fn cryptocompare_retry_after(root: &Value) -> Option<Duration> {
    let limit = root.get("RateLimit")?;
    let made = limit.get("calls_made")?;
    let left = limit.get("calls_left");
    let spent = |period: &str| {
        number(left.and_then(|l| l.get(period))).is_some_and(|n| n <= 0.0)
            || (left.is_none() && number(made.get(period)).is_some())
    };
    if spent("second") && !spent("minute") {
        Some(Duration::from_secs(1))
    } else if spent("minute") {
        Some(Duration::from_secs(60))
    } else if spent("hour") {
        Some(Duration::from_secs(3600))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn chart_date_is_stamp_minus_one_day() {
        // 2021-07-07 00:00 UTC closes 2021-07-06.
        assert_eq!(chart_point_date(1_625_616_000_000), Some(day(2021, 7, 6)));
        assert_eq!(chart_stamp_ms(day(2021, 7, 6)), 1_625_616_000_000);
    }

    #[test]
    fn chart_drops_live_point() {
        assert_eq!(chart_point_date(1_711_983_682_000), None);
    }

    #[test]
    fn chart_merges_series_by_date() {
        let body = r#"{"prices":[[86400000,1.5],[172800000,2e-12],[172900000,9]],
            "market_caps":[[86400000,null]],"total_volumes":[[172800000,7.0]],"extra":1}"#;
        let history = parse_market_chart(body, "/chart").unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].date, day(1970, 1, 1));
        assert!(history[0].market_cap.is_nan());
        assert!(history[0].volume.is_nan());
        assert_eq!(history[1].close, 2e-12);
        assert_eq!(history[1].volume, 7.0);
        assert!(history[1].open.is_nan());
    }

    #[test]
    fn chart_empty_arrays_give_empty_history() {
        let body = r#"{"prices":[],"market_caps":[],"total_volumes":[]}"#;
        assert!(parse_market_chart(body, "/chart").unwrap().is_empty());
    }

    #[test]
    fn chart_rejects_html() {
        let error = parse_market_chart("<html>oops</html>", "/coins/x/market_chart");
        assert!(matches!(error, Err(MarketError::BadBody { .. })));
    }

    #[test]
    fn markets_tolerate_nulls_and_strings() {
        let body = r#"[{"id":"a","symbol":"ABC","name":"A","current_price":"1e-8",
            "market_cap":null,"market_cap_rank":3,"last_updated":"2023-01-08T16:49:40.132Z"},
            {"symbol":"noid"},{"id":"b","last_updated":null}]"#;
        let coins = parse_markets(body, "/coins/markets").unwrap();
        assert_eq!(coins.len(), 2);
        assert_eq!(coins[0].symbol, "abc");
        assert_eq!(coins[0].current_price, Some(1e-8));
        assert_eq!(coins[0].market_cap, None);
        assert_eq!(coins[0].market_cap_rank, Some(3));
        assert!(coins[0].last_updated.is_some());
        assert_eq!(coins[1].id, "b");
        assert_eq!(coins[1].last_updated, None);
    }

    #[test]
    fn histoday_drops_leading_zero_rows() {
        let body = r#"{"Response":"Success","Data":{"Data":[
            {"time":0,"open":0,"high":0,"low":0,"close":0,"volumeto":0},
            {"time":86400,"open":0,"high":0,"low":0,"close":0,"volumeto":0},
            {"time":172800,"open":1,"high":2,"low":0.5,"close":1.5,"volumeto":10,"volumefrom":3}]}}"#;
        let page = parse_histoday(body, "/data/v2/histoday", "cc").unwrap();
        assert_eq!(page.row_count, 3);
        assert!(page.reached_listing);
        assert_eq!(page.candles.len(), 1);
        assert_eq!(page.candles[0].date, day(1970, 1, 3));
        assert_eq!(page.candles[0].volume, 10.0);
        assert_eq!(page.time_from, Some(0));
    }

    #[test]
    fn histoday_type_99_is_rate_limit() {
        let body = r#"{"Response":"Error","Message":"You are over your rate limit please upgrade your account!","Type":99,
            "RateLimit":{"calls_made":{"second":1,"minute":301},"calls_left":{"second":19,"minute":0}},"Data":{}}"#;
        let error = parse_histoday(body, "/data/v2/histoday", "cc").unwrap_err();
        assert_eq!(
            error,
            MarketError::RateLimited {
                host: "cc".into(),
                retry_after: Some(Duration::from_secs(60))
            }
        );
    }

    #[test]
    fn histoday_other_error_is_api_error() {
        let body = r#"{"Response":"Error","Message":"There is no data for the symbol XYZ .","Type":2,"Data":{}}"#;
        let error = parse_histoday(body, "/data/v2/histoday", "cc").unwrap_err();
        assert!(matches!(error, MarketError::Api { ref message, .. } if message.contains("XYZ")));
    }
}
