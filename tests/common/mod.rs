//! Minimal test-only reader of the shared snapshot folders: CoinGecko
//! `market_chart` bodies for closes, volumes and caps, plus CryptoCompare
//! `histoday` bodies for open, high and low.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate};
use coinlens::market::{Candle, History};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CMC_2021: &str = "cmc-2021-23coins";
pub const YAHOO_2025: &str = "yahoo-2025-14coins";

pub fn snapshot_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/snapshots")
        .join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| {
        panic!(
            "snapshot file {} is missing or unreadable: {error}",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("invalid JSON in {}: {error}", path.display()))
}

/// Returns `(date, value)` pairs of a `[ms, value]` array, dated the day before
/// the stamp because CoinGecko stamps a daily close at 00:00 UTC of the next day.
fn chart_points(body: &Value, key: &str) -> Vec<(NaiveDate, f64)> {
    let points = body[key].as_array().cloned().unwrap_or_default();
    points
        .iter()
        .filter_map(|point| {
            let ms = point[0]
                .as_i64()
                .or_else(|| point[0].as_f64().map(|v| v as i64))?;
            let value = point[1].as_f64()?;
            let date = DateTime::from_timestamp_millis(ms)?
                .date_naive()
                .pred_opt()?;
            Some((date, value))
        })
        .collect()
}

/// Returns `(open, high, low)` by date from a CryptoCompare histoday body.
fn histoday_ohlc(body: &Value) -> BTreeMap<NaiveDate, (f64, f64, f64)> {
    let rows = body["Data"]["Data"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .filter_map(|row| {
            let date = DateTime::from_timestamp(row["time"].as_i64()?, 0)?.date_naive();
            let field = |name: &str| row[name].as_f64().unwrap_or(f64::NAN);
            Some((date, (field("open"), field("high"), field("low"))))
        })
        .collect()
}

/// Loads the histories of `ids` (CoinGecko ids) from a snapshot folder.
pub fn load_histories(snapshot: &str, ids: &[&str]) -> BTreeMap<String, History> {
    let dir = snapshot_dir(snapshot);
    let markets = read_json(&dir.join("coins_markets.json"));
    let symbol_of = |id: &str| -> String {
        markets
            .as_array()
            .and_then(|coins| coins.iter().find(|coin| coin["id"] == id))
            .and_then(|coin| coin["symbol"].as_str())
            .map(str::to_uppercase)
            .unwrap_or_else(|| panic!("coin {id} not in {}/coins_markets.json", dir.display()))
    };

    ids.iter()
        .map(|&id| {
            let chart = read_json(&dir.join("market_chart").join(format!("{id}.json")));
            let ohlc = histoday_ohlc(&read_json(
                &dir.join("histoday").join(format!("{}.json", symbol_of(id))),
            ));
            let volumes: BTreeMap<NaiveDate, f64> =
                chart_points(&chart, "total_volumes").into_iter().collect();
            let caps: BTreeMap<NaiveDate, f64> =
                chart_points(&chart, "market_caps").into_iter().collect();
            let mut history: History = chart_points(&chart, "prices")
                .into_iter()
                .map(|(date, close)| {
                    let mut candle = Candle::close_only(date, close);
                    if let Some(&(open, high, low)) = ohlc.get(&date) {
                        (candle.open, candle.high, candle.low) = (open, high, low);
                    }
                    candle.volume = volumes.get(&date).copied().unwrap_or(f64::NAN);
                    candle.market_cap = caps.get(&date).copied().unwrap_or(f64::NAN);
                    candle
                })
                .collect();
            history.sort_by_key(|candle| candle.date);
            history.dedup_by_key(|candle| candle.date);
            (id.to_owned(), history)
        })
        .collect()
}

/// Returns the CoinGecko ids of every coin in a snapshot's `market_chart` folder.
pub fn snapshot_ids(snapshot: &str) -> Vec<String> {
    let dir = snapshot_dir(snapshot).join("market_chart");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|error| {
        panic!(
            "snapshot folder {} is missing or unreadable: {error}",
            dir.display()
        )
    });
    let mut ids: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids
}
