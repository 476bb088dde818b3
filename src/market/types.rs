//! Domain types shared by every market source.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One coin as listed by CoinGecko `/coins/markets`, keyed by its CoinGecko id.
///
/// Every numeric field is optional because the API returns `null` for coins it
/// has no data for (no supply data means no market cap, for example).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Coin {
    /// CoinGecko id such as `bitcoin`; unique, unlike the symbol.
    pub id: String,
    /// Lower-case ticker symbol such as `btc`; several coins may share one.
    pub symbol: String,
    pub name: String,
    pub current_price: Option<f64>,
    pub market_cap: Option<f64>,
    pub market_cap_rank: Option<u32>,
    /// 24-hour trading volume in the quote currency.
    pub total_volume: Option<f64>,
    pub price_change_percentage_24h: Option<f64>,
    pub price_change_percentage_7d: Option<f64>,
    pub price_change_percentage_30d: Option<f64>,
    pub ath: Option<f64>,
    pub last_updated: Option<DateTime<Utc>>,
}

/// One daily candle in the quote currency, for the UTC day `date`.
///
/// `close` is always present. `open`, `high`, `low`, `volume` and `market_cap`
/// are `f64::NAN` when the source does not provide them: CoinGecko charts carry
/// only closes, volumes and market caps, and some coins have no market cap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub date: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Traded volume over the day in the quote currency.
    pub volume: f64,
    pub market_cap: f64,
}

impl Candle {
    /// Creates a candle that only knows its close, as CoinGecko charts provide.
    pub fn close_only(date: NaiveDate, close: f64) -> Self {
        Self {
            date,
            open: f64::NAN,
            high: f64::NAN,
            low: f64::NAN,
            close,
            volume: f64::NAN,
            market_cap: f64::NAN,
        }
    }

    /// Returns true when open, high and low are all known.
    pub fn has_ohlc(&self) -> bool {
        self.open.is_finite() && self.high.is_finite() && self.low.is_finite()
    }
}

/// Daily candles of one coin, sorted by date ascending, one per day at most.
pub type History = Vec<Candle>;

/// Everything one refresh produced: the coin list and each coin's history.
#[derive(Debug, Clone, Default)]
pub struct MarketSnapshot {
    /// The moment the data describes. For a snapshot folder this is its last
    /// day, so ages are measured against the data and not the wall clock.
    pub as_of: DateTime<Utc>,
    /// Coins in market-cap order as the source listed them.
    pub coins: Vec<Coin>,
    /// Histories keyed by CoinGecko id; a coin may have none yet.
    pub histories: BTreeMap<String, History>,
}
