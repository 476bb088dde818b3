//! The engine's entry point to market data, live or from a snapshot folder.
//!
//! [`MarketSource::load_coins`] returns the coin table from the markets call
//! alone, so the UI can show it before any history arrives.
//! [`MarketSource::refresh_histories`] then brings each coin's cached history
//! up to its last complete day, fetching only what is new.

use super::coingecko::{CoinGeckoClient, HistoryDays};
use super::cryptocompare::CryptoCompareClient;
use super::error::MarketError;
use super::merge::{last_complete_day, merge_by_date, with_chart_caps};
use super::settings::MarketSettings;
use super::snapshot::{unique_symbols, SnapshotSource};
use super::types::{Coin, History};
use crate::store::HistoryStore;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Clients of the live APIs. CryptoCompare is present only when its key is
/// set. Clones share the clients, so they share rate limits and counters.
#[derive(Debug, Clone)]
pub struct LiveClients {
    pub coingecko: Arc<CoinGeckoClient>,
    pub cryptocompare: Option<Arc<CryptoCompareClient>>,
    /// Set after CryptoCompare rejected the key, so later coins skip it.
    cryptocompare_rejected: Arc<AtomicBool>,
}

impl LiveClients {
    pub fn new(settings: &MarketSettings) -> Result<Self, MarketError> {
        let cryptocompare = match settings.cryptocompare_key {
            Some(_) => Some(Arc::new(CryptoCompareClient::new(settings)?)),
            None => None,
        };
        Ok(Self {
            coingecko: Arc::new(CoinGeckoClient::new(settings)?),
            cryptocompare,
            cryptocompare_rejected: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Requests sent to all hosts so far, retries included.
    pub fn request_count(&self) -> u64 {
        let extra = self
            .cryptocompare
            .as_ref()
            .map_or(0, |c| c.http().request_count());
        self.coingecko.http().request_count() + extra
    }

    /// Requests currently waiting on any host's rate limiter.
    pub fn waiting_on_limiter(&self) -> usize {
        let extra = self
            .cryptocompare
            .as_ref()
            .map_or(0, |c| c.http().waiting_on_limiter());
        self.coingecko.http().waiting_on_limiter() + extra
    }

    /// Fetches the candles of `coin` after `since` up to `up_to`.
    ///
    /// With CryptoCompare and a symbol unique among the listed coins, OHLCV
    /// comes from CryptoCompare and market caps from the CoinGecko chart. A
    /// CryptoCompare failure falls back to the chart alone and is returned as
    /// the second value, so the caller can count it.
    async fn fetch(
        &self,
        coin: &Coin,
        since: Option<NaiveDate>,
        up_to: NaiveDate,
        symbol_is_unique: bool,
    ) -> Result<(History, Option<MarketError>), MarketError> {
        let days = match since {
            None => HistoryDays::All,
            Some(since) => {
                // `days=N` counts back from the host's now, not from `up_to`.
                let today = Utc::now().date_naive();
                let span = (today - since).num_days().clamp(1, i64::from(u32::MAX));
                HistoryDays::Last(span as u32 + 1)
            }
        };
        let chart = self.coingecko.daily_history(&coin.id, days).await?;

        let Some(cryptocompare) = &self.cryptocompare else {
            return Ok((chart, None));
        };
        if !symbol_is_unique || self.cryptocompare_rejected.load(Ordering::SeqCst) {
            return Ok((chart, None));
        }
        match cryptocompare
            .daily_history(&coin.symbol, since, up_to)
            .await
        {
            Ok(ohlcv) => Ok((with_chart_caps(&ohlcv, &chart), None)),
            Err(error) => {
                if error.stops_host() {
                    self.cryptocompare_rejected.store(true, Ordering::SeqCst);
                }
                tracing::warn!(coin = %coin.id, %error, "CryptoCompare failed, using the CoinGecko chart alone");
                Ok((chart, Some(error)))
            }
        }
    }
}

/// Source of market data: the live APIs or a snapshot folder.
#[derive(Debug)]
pub enum MarketSource {
    Live(LiveClients),
    Snapshot(SnapshotSource),
}

/// Progress of [`MarketSource::refresh_histories`], reported before each coin
/// and once at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryProgress {
    pub done: usize,
    pub total: usize,
    /// Requests waiting on a rate limiter at the time of the report.
    pub waiting_on_limiter: usize,
    /// Coin about to be refreshed; empty in the final report.
    pub coin_id: String,
    /// The most recent failure of this refresh so far, so a rate limit
    /// reaches the screen while the refresh goes on.
    pub last_failure: Option<String>,
}

/// One coin whose refresh failed; its cached history was kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinFailure {
    pub coin_id: String,
    pub error: String,
}

/// Outcome of one refresh.
#[derive(Debug, Clone, Default)]
pub struct RefreshSummary {
    /// Coins whose history was fetched and saved.
    pub updated: usize,
    /// Coins whose cache already reached their last complete day.
    pub up_to_date: usize,
    /// Coins that failed, or fell back to the chart alone; see `error`.
    pub failures: Vec<CoinFailure>,
    /// HTTP requests this refresh sent (0 for a snapshot).
    pub requests: u64,
    /// Every coin's history after the refresh, cached or fresh.
    pub histories: BTreeMap<String, History>,
}

impl MarketSource {
    /// Lists the coins and the time the data describes: for live data the
    /// latest `last_updated` (else now), for a snapshot its last day.
    pub async fn load_coins(&self) -> Result<(Vec<Coin>, DateTime<Utc>), MarketError> {
        match self {
            Self::Live(live) => {
                let coins = live.coingecko.markets().await?;
                let as_of = coins
                    .iter()
                    .filter_map(|c| c.last_updated)
                    .max()
                    .unwrap_or_else(Utc::now);
                Ok((coins, as_of))
            }
            Self::Snapshot(snapshot) => snapshot.load_coins(),
        }
    }

    fn request_count(&self) -> u64 {
        match self {
            Self::Live(live) => live.request_count(),
            Self::Snapshot(_) => 0,
        }
    }

    fn waiting_on_limiter(&self) -> usize {
        match self {
            Self::Live(live) => live.waiting_on_limiter(),
            Self::Snapshot(_) => 0,
        }
    }

    /// Brings each coin's cached history up to its last complete day.
    ///
    /// Per coin: load the cache, skip the coin when the cache already contains
    /// the last complete day (from the coin's `last_updated`), otherwise fetch
    /// the missing days (everything when nothing is cached), merge and save.
    /// Coins are refreshed one after another, so the rate limiter paces them.
    ///
    /// A coin whose fetch or save fails keeps its cached history and is listed
    /// in [`RefreshSummary::failures`]. Only an error that every further
    /// request would repeat (a rejected key, a blocked network) stops the
    /// refresh and is returned. Coins refreshed before it are already saved.
    ///
    /// With a snapshot source the "fetch" reads the snapshot's files, so give
    /// snapshot sessions a store of their own.
    pub async fn refresh_histories(
        &self,
        coins: &[Coin],
        store: &HistoryStore,
        mut progress: impl FnMut(HistoryProgress),
    ) -> Result<RefreshSummary, MarketError> {
        let requests_before = self.request_count();
        let unique: HashMap<String, usize> = unique_symbols(coins);
        let mut summary = RefreshSummary::default();

        for (index, coin) in coins.iter().enumerate() {
            progress(HistoryProgress {
                done: index,
                total: coins.len(),
                waiting_on_limiter: self.waiting_on_limiter(),
                coin_id: coin.id.clone(),
                last_failure: summary
                    .failures
                    .last()
                    .map(|failure| format!("{}: {}", failure.coin_id, failure.error)),
            });

            let cached = match store.load(&coin.id) {
                Ok(cached) => cached.unwrap_or_default(),
                Err(error) => {
                    tracing::warn!(coin = %coin.id, %error, "history cache unreadable, fetching again");
                    History::new()
                }
            };
            let up_to = last_complete_day(coin.last_updated.unwrap_or_else(Utc::now));
            let cached_last = cached.last().map(|c| c.date);
            if cached_last.is_some_and(|last| last >= up_to) {
                summary.up_to_date += 1;
                summary.histories.insert(coin.id.clone(), cached);
                continue;
            }

            let symbol_is_unique = unique.contains_key(&coin.symbol.to_uppercase());
            let fetched = match self {
                Self::Live(live) => live.fetch(coin, cached_last, up_to, symbol_is_unique).await,
                Self::Snapshot(snapshot) => snapshot.history(coin, coins).map(|h| (h, None)),
            };
            let (fresh, partial_error) = match fetched {
                Ok(result) => result,
                Err(error) if error.stops_host() => {
                    tracing::error!(coin = %coin.id, %error, "refresh stopped");
                    return Err(error);
                }
                Err(error) => {
                    tracing::warn!(coin = %coin.id, %error, "history fetch failed, keeping the cached history");
                    summary.failures.push(CoinFailure {
                        coin_id: coin.id.clone(),
                        error: error.to_string(),
                    });
                    summary.histories.insert(coin.id.clone(), cached);
                    continue;
                }
            };
            if let Some(error) = partial_error {
                summary.failures.push(CoinFailure {
                    coin_id: coin.id.clone(),
                    error: error.to_string(),
                });
            }

            let mut merged = merge_by_date(&cached, &fresh);
            merged.retain(|c| c.date <= up_to);
            match store.save(&coin.id, &merged) {
                Ok(()) => summary.updated += 1,
                Err(error) => {
                    tracing::warn!(coin = %coin.id, %error, "could not save the history cache");
                    summary.failures.push(CoinFailure {
                        coin_id: coin.id.clone(),
                        error: error.to_string(),
                    });
                }
            }
            summary.histories.insert(coin.id.clone(), merged);
        }

        summary.requests = self.request_count().saturating_sub(requests_before);
        progress(HistoryProgress {
            done: coins.len(),
            total: coins.len(),
            waiting_on_limiter: self.waiting_on_limiter(),
            coin_id: String::new(),
            last_failure: summary
                .failures
                .last()
                .map(|failure| format!("{}: {}", failure.coin_id, failure.error)),
        });
        tracing::info!(
            coins = coins.len(),
            updated = summary.updated,
            up_to_date = summary.up_to_date,
            failed = summary.failures.len(),
            requests = summary.requests,
            "history refresh finished"
        );
        Ok(summary)
    }
}
