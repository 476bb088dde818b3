//! A snapshot folder as a market source: the bodies the live APIs would have
//! returned on one day, parsed by the same parsers as live bodies.
//!
//! Layout: `coins_markets.json` (CoinGecko `/coins/markets`, all pages in one
//! array), `market_chart/<coin-id>.json` (CoinGecko daily chart) and
//! `histoday/<SYMBOL>.json` (CryptoCompare `/data/v2/histoday`, optional).

use super::error::MarketError;
use super::merge::{last_complete_day, with_chart_caps};
use super::parse::{parse_histoday, parse_market_chart, parse_markets};
use super::types::{Coin, History, MarketSnapshot};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads one snapshot folder.
#[derive(Debug, Clone)]
pub struct SnapshotSource {
    dir: PathBuf,
}

fn read_file(path: &Path) -> Result<Option<String>, MarketError> {
    match std::fs::read_to_string(path) {
        Ok(body) => Ok(Some(body)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(MarketError::Snapshot {
            path: path.to_path_buf(),
            message: error.to_string(),
        }),
    }
}

fn snapshot_error(path: &Path, error: MarketError) -> MarketError {
    MarketError::Snapshot {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// Returns the upper-case symbols that belong to exactly one coin of `coins`.
pub fn unique_symbols(coins: &[Coin]) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for coin in coins {
        *counts.entry(coin.symbol.to_uppercase()).or_default() += 1;
    }
    counts.retain(|_, count| *count == 1);
    counts
}

impl SnapshotSource {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the coin list and the snapshot's time: the latest `last_updated`
    /// of the listed coins, else the end of the last day of any chart. Never
    /// the wall clock, so ages are measured against the data.
    pub fn load_coins(&self) -> Result<(Vec<Coin>, DateTime<Utc>), MarketError> {
        let path = self.dir.join("coins_markets.json");
        let body = read_file(&path)?.ok_or_else(|| MarketError::Snapshot {
            path: path.clone(),
            message: "file is missing".to_string(),
        })?;
        let coins =
            parse_markets(&body, "coins_markets.json").map_err(|e| snapshot_error(&path, e))?;

        if let Some(as_of) = coins.iter().filter_map(|c| c.last_updated).max() {
            return Ok((coins, as_of));
        }
        let mut last_day = None;
        for coin in &coins {
            if let Some(candle) = self.chart(&coin.id)?.and_then(|h| h.last().copied()) {
                last_day = last_day.max(Some(candle.date));
            }
        }
        let as_of = last_day
            .and_then(|day| day.and_hms_opt(23, 59, 59))
            .map(|t| t.and_utc())
            .ok_or_else(|| MarketError::Snapshot {
                path: self.dir.clone(),
                message: "no coin has last_updated and no chart has a candle, so the snapshot has no date"
                    .to_string(),
            })?;
        Ok((coins, as_of))
    }

    fn chart(&self, id: &str) -> Result<Option<History>, MarketError> {
        if id.contains('/') || id.contains("..") {
            return Err(MarketError::NotFound {
                what: format!("coin id {id:?}"),
            });
        }
        let path = self.dir.join("market_chart").join(format!("{id}.json"));
        let Some(body) = read_file(&path)? else {
            return Ok(None);
        };
        parse_market_chart(&body, "market_chart")
            .map(Some)
            .map_err(|e| snapshot_error(&path, e))
    }

    fn histoday(&self, symbol: &str) -> Result<Option<History>, MarketError> {
        let path = self.dir.join("histoday").join(format!("{symbol}.json"));
        let Some(body) = read_file(&path)? else {
            return Ok(None);
        };
        parse_histoday(&body, "histoday", "snapshot")
            .map(|page| Some(page.candles))
            .map_err(|e| snapshot_error(&path, e))
    }

    /// Reads the history of `coin`.
    ///
    /// When `histoday/<SYMBOL>.json` exists and the symbol is unique among
    /// `coins`, its OHLCV is used with market caps from the chart; otherwise
    /// the chart alone. `NotFound` when neither file exists.
    pub fn history(&self, coin: &Coin, coins: &[Coin]) -> Result<History, MarketError> {
        let symbol = coin.symbol.to_uppercase();
        let symbol_is_unique = unique_symbols(coins).contains_key(&symbol);
        let safe_symbol = !symbol.is_empty() && symbol.chars().all(|c| c.is_ascii_alphanumeric());
        let ohlcv = if symbol_is_unique && safe_symbol {
            self.histoday(&symbol)?
        } else {
            None
        };
        let chart = self.chart(&coin.id)?;
        match (ohlcv, chart) {
            (Some(ohlcv), Some(chart)) => Ok(with_chart_caps(&ohlcv, &chart)),
            (Some(ohlcv), None) => Ok(ohlcv),
            (None, Some(chart)) => Ok(chart),
            (None, None) => Err(MarketError::NotFound {
                what: format!("history of {} in snapshot {}", coin.id, self.dir.display()),
            }),
        }
    }

    /// Reads the whole snapshot: coins, time and every coin's history up to
    /// the snapshot's last complete day. A coin without history files is
    /// listed without a history.
    pub fn load(&self) -> Result<MarketSnapshot, MarketError> {
        let (coins, as_of) = self.load_coins()?;
        let up_to = last_complete_day(as_of);
        let mut histories = std::collections::BTreeMap::new();
        for coin in &coins {
            match self.history(coin, &coins) {
                Ok(mut history) => {
                    history.retain(|c| c.date <= up_to);
                    histories.insert(coin.id.clone(), history);
                }
                Err(MarketError::NotFound { what }) => {
                    tracing::warn!(coin = %coin.id, %what, "snapshot has no history for coin");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(MarketSnapshot {
            as_of,
            coins,
            histories,
        })
    }
}
