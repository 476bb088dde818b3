//! Writes a [`MarketSnapshot`] as a snapshot folder, so a live session can be
//! replayed with `--snapshot`.
//!
//! The parsed data is serialized again in the shapes the APIs return, so
//! recorded files contain no keys and no fields coinlens does not read.

use super::error::MarketError;
use super::parse::chart_stamp_ms;
use super::snapshot::unique_symbols;
use super::types::{Coin, History, MarketSnapshot};
use serde_json::{json, Value};
use std::path::Path;

fn write_json(path: &Path, value: &Value) -> Result<(), MarketError> {
    let error = |message: String| MarketError::Snapshot {
        path: path.to_path_buf(),
        message,
    };
    let text = serde_json::to_string(value).map_err(|e| error(e.to_string()))?;
    crate::binfile::write_atomic(path, text.as_bytes())
        .map_err(|e| error(format!("write failed: {e}")))
}

fn market_row(coin: &Coin) -> Value {
    json!({
        "id": coin.id,
        "symbol": coin.symbol,
        "name": coin.name,
        "current_price": coin.current_price,
        "market_cap": coin.market_cap,
        "market_cap_rank": coin.market_cap_rank,
        "total_volume": coin.total_volume,
        "price_change_percentage_24h": coin.price_change_percentage_24h,
        "ath": coin.ath,
        "last_updated": coin.last_updated.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "price_change_percentage_7d_in_currency": coin.price_change_percentage_7d,
        "price_change_percentage_30d_in_currency": coin.price_change_percentage_30d,
    })
}

fn chart_body(history: &History) -> Value {
    let series = |field: fn(&super::types::Candle) -> f64| -> Vec<Value> {
        history
            .iter()
            .filter(|c| field(c).is_finite())
            .map(|c| json!([chart_stamp_ms(c.date), field(c)]))
            .collect()
    };
    json!({
        "prices": series(|c| c.close),
        "market_caps": series(|c| c.market_cap),
        "total_volumes": series(|c| c.volume),
    })
}

fn histoday_body(history: &History) -> Value {
    let rows: Vec<Value> = history
        .iter()
        .filter(|c| c.has_ohlc())
        .filter_map(|c| {
            let time = c.date.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
            Some(json!({
                "time": time, "open": c.open, "high": c.high, "low": c.low,
                "close": c.close, "volumeto": c.volume,
            }))
        })
        .collect();
    json!({"Response": "Success", "Message": "", "Type": 100, "Data": {"Data": rows}})
}

/// Writes `snapshot` to `dir` in the snapshot layout: `coins_markets.json`,
/// `market_chart/<id>.json` per history, and `histoday/<SYMBOL>.json` for
/// histories with open/high/low whose symbol is unique among the coins.
pub fn record_snapshot(dir: &Path, snapshot: &MarketSnapshot) -> Result<(), MarketError> {
    let rows: Vec<Value> = snapshot.coins.iter().map(market_row).collect();
    write_json(&dir.join("coins_markets.json"), &Value::Array(rows))?;

    let unique = unique_symbols(&snapshot.coins);
    for coin in &snapshot.coins {
        let Some(history) = snapshot.histories.get(&coin.id) else {
            continue;
        };
        let safe_id = !coin.id.contains('/') && !coin.id.contains("..");
        if !safe_id {
            tracing::warn!(coin = %coin.id, "not recording a coin whose id is not a file name");
            continue;
        }
        write_json(
            &dir.join("market_chart").join(format!("{}.json", coin.id)),
            &chart_body(history),
        )?;

        let symbol = coin.symbol.to_uppercase();
        let safe_symbol = !symbol.is_empty() && symbol.chars().all(|c| c.is_ascii_alphanumeric());
        if safe_symbol && unique.contains_key(&symbol) && history.iter().any(|c| c.has_ohlc()) {
            write_json(
                &dir.join("histoday").join(format!("{symbol}.json")),
                &histoday_body(history),
            )?;
        }
    }
    Ok(())
}
