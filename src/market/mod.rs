//! Market data: domain types, the CoinGecko and CryptoCompare clients, the
//! snapshot-folder source, per-host rate limiting and the error type.

pub mod coingecko;
pub mod cryptocompare;
mod error;
pub mod http;
pub mod limiter;
pub mod merge;
pub mod parse;
mod record;
pub mod settings;
pub mod snapshot;
mod source;
mod types;

pub use error::{MarketError, SNIPPET_CHARS};
pub use record::record_snapshot;
pub use settings::{ApiKey, CoinGeckoPlan, HostLimit, MarketSettings, RetrySettings};
pub use snapshot::SnapshotSource;
pub use source::{CoinFailure, HistoryProgress, LiveClients, MarketSource, RefreshSummary};
pub use types::{Candle, Coin, History, MarketSnapshot};
