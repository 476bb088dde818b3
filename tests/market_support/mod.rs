//! Helpers shared by the market integration tests: paths to the shared data,
//! settings aimed at a loopback mock server, and mock responders that serve
//! a snapshot folder the way the live APIs would.
#![allow(dead_code)]

use coinlens::market::{Candle, HostLimit, MarketSettings, RetrySettings};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use wiremock::{Request, Respond, ResponseTemplate};

/// Returns a path under the shared data folder, failing with a plain message
/// when it is missing.
pub fn shared(relative: &str) -> PathBuf {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(relative);
    assert!(
        path.exists(),
        "shared test data is missing: {}",
        path.display()
    );
    path
}

pub fn read_shared(relative: &str) -> String {
    let path = shared(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub const CMC: &str = "snapshots/cmc-2021-23coins";
pub const YAHOO: &str = "snapshots/yahoo-2025-14coins";

/// Settings aimed at `uri` for both hosts: no rate limit, tiny backoff, and
/// no waiting out `Retry-After`, so tests never sleep for real.
pub fn settings(uri: &str) -> MarketSettings {
    MarketSettings {
        coingecko_base_url: Some(uri.to_string()),
        cryptocompare_base_url: Some(uri.to_string()),
        coingecko_limit: Some(HostLimit::new(0, 1)),
        cryptocompare_limit: HostLimit::new(0, 1),
        retry: RetrySettings {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_retry_after: Duration::ZERO,
            request_timeout: Duration::from_secs(10),
        },
        ..MarketSettings::default()
    }
}

pub fn json_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

fn query_value(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Serves `/coins/markets` pages cut from one full listing by `per_page` and
/// `page`, as CoinGecko does.
pub struct MarketsPages {
    pub rows: Vec<Value>,
}

impl Respond for MarketsPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let per_page: usize = query_value(request, "per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        let page: usize = query_value(request, "page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let start = (page.saturating_sub(1) * per_page).min(self.rows.len());
        let end = (start + per_page).min(self.rows.len());
        let body = Value::Array(self.rows[start..end].to_vec()).to_string();
        json_response(body)
    }
}

/// Serves `/data/v2/histoday` from one full histoday file: the `limit + 1`
/// rows up to `toTs`, as CryptoCompare does.
pub struct HistodayPages {
    pub rows: Vec<Value>,
}

impl HistodayPages {
    pub fn from_file(relative: &str) -> Self {
        let root: Value =
            serde_json::from_str(&read_shared(relative)).expect("histoday file is JSON");
        let rows = root["Data"]["Data"]
            .as_array()
            .expect("histoday rows")
            .clone();
        Self { rows }
    }
}

impl Respond for HistodayPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let limit: usize = query_value(request, "limit")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        let to_ts: i64 = query_value(request, "toTs")
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MAX);
        let rows_up_to: Vec<&Value> = self
            .rows
            .iter()
            .filter(|row| row["time"].as_i64().unwrap_or(0) <= to_ts)
            .collect();
        let start = rows_up_to.len().saturating_sub(limit + 1);
        let page: Vec<Value> = rows_up_to[start..].iter().map(|v| (*v).clone()).collect();
        let body = serde_json::json!({"Response": "Success", "Message": "", "Type": 100, "Data": {"Data": page}});
        json_response(body.to_string())
    }
}

/// Formats candles so histories with NaN fields compare equal.
pub fn debug_rows(history: &[Candle]) -> Vec<String> {
    history.iter().map(|c| format!("{c:?}")).collect()
}
