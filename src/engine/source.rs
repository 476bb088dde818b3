//! The interface the engine reads market data through, so it can run on
//! live APIs, a snapshot folder, or a fake in tests.

use super::DataOrigin;
use crate::market::{Coin, History};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::future::Future;

/// The coin list and the moment it describes.
#[derive(Debug, Clone)]
pub struct LoadedMarket {
    pub coins: Vec<Coin>,
    /// Now for live data; the last day for a snapshot folder.
    pub as_of: DateTime<Utc>,
    pub origin: DataOrigin,
}

/// How far a history load has come.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryProgress {
    pub done: usize,
    pub total: usize,
    pub detail: String,
}

/// A source of coins and daily histories.
pub trait MarketData: Send + Sync + 'static {
    /// Loads the coin list, largest market cap first.
    fn load_coins(&self) -> impl Future<Output = Result<LoadedMarket, String>> + Send;

    /// Returns the coin list and histories saved by the last successful
    /// refresh, so the app can show them at once, and offline. Sources
    /// without a cache return `None`.
    fn load_cached(
        &self,
    ) -> impl Future<Output = Option<(LoadedMarket, BTreeMap<String, History>)>> + Send {
        async { None }
    }

    /// Loads the daily history of each coin, from the cache where it is up to
    /// date; a coin that fails keeps its cached history.
    fn load_histories(
        &self,
        coins: &[Coin],
        progress: Box<dyn FnMut(HistoryProgress) + Send>,
    ) -> impl Future<Output = Result<BTreeMap<String, History>, String>> + Send;
}
