//! Market data: domain types, the CoinGecko and CryptoCompare clients, the
//! snapshot-folder source, per-host rate limiting and the error type.

mod types;

pub use types::{Candle, Coin, History, MarketSnapshot};
