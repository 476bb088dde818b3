//! The market feed the app runs on: a live or snapshot source, the history
//! cache for live data, and optional recording of what was fetched.

use crate::config::{Config, Paths};
use crate::engine::{DataOrigin, HistoryProgress, LoadedMarket, MarketData};
use crate::market::{
    record_snapshot, ApiKey, CoinGeckoPlan, LiveClients, MarketError, MarketSettings,
    MarketSnapshot, MarketSource, SnapshotSource,
};
use crate::market::{Coin, History};
use crate::store::HistoryStore;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A market source with its cache, implementing [`MarketData`] for the engine.
pub struct MarketFeed {
    source: MarketSource,
    store: HistoryStore,
    record_dir: Option<PathBuf>,
    /// Path of the last live coin list, read on the next start.
    coin_list_path: PathBuf,
}

impl MarketFeed {
    /// Creates a feed on a snapshot folder; nothing is cached or recorded.
    pub fn snapshot(dir: PathBuf, paths: &Paths) -> Self {
        Self {
            source: MarketSource::Snapshot(SnapshotSource::new(dir)),
            store: HistoryStore::new(&paths.data_dir),
            record_dir: None,
            coin_list_path: paths.data_dir.join("coins.json"),
        }
    }

    /// Creates a feed on the live APIs with the settings and keys from `config`.
    pub fn live(
        config: &Config,
        paths: &Paths,
        record_dir: Option<PathBuf>,
    ) -> Result<Self, MarketError> {
        let clients = LiveClients::new(&market_settings(config))?;
        Ok(Self {
            source: MarketSource::Live(clients),
            store: HistoryStore::new(&paths.data_dir),
            record_dir,
            coin_list_path: paths.data_dir.join("coins.json"),
        })
    }

    fn origin(&self) -> DataOrigin {
        match &self.source {
            MarketSource::Live(_) => DataOrigin::Live,
            MarketSource::Snapshot(snapshot) => {
                DataOrigin::Snapshot(snapshot.dir().display().to_string())
            }
        }
    }
}

/// The coin list of the last successful live refresh, in `coins.json`.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedCoinList {
    as_of: chrono::DateTime<chrono::Utc>,
    coins: Vec<Coin>,
}

impl MarketFeed {
    /// Saves the coin list for the next start; a failure is logged, not fatal.
    fn save_coin_list(&self, coins: &[Coin], as_of: chrono::DateTime<chrono::Utc>) {
        let path = &self.coin_list_path;
        let saved = SavedCoinList {
            as_of,
            coins: coins.to_vec(),
        };
        let result = serde_json::to_vec(&saved)
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::binfile::write_atomic(path, &bytes));
        if let Err(error) = result {
            tracing::warn!(path = %path.display(), %error, "could not save the coin list");
        }
    }
}

/// Builds the live clients' settings from the config: the plan follows the
/// key that is set (pro before demo), and the base URLs may be overridden.
pub fn market_settings(config: &Config) -> MarketSettings {
    let api = &config.api;
    let (plan, key) = match (&api.coingecko_pro_key, &api.coingecko_demo_key) {
        (Some(key), _) => (CoinGeckoPlan::Pro, Some(ApiKey::new(key.clone()))),
        (None, Some(key)) => (CoinGeckoPlan::Demo, Some(ApiKey::new(key.clone()))),
        (None, None) => (CoinGeckoPlan::Public, None),
    };
    MarketSettings {
        vs_currency: config.vs_currency.clone(),
        coin_count: config.coin_count,
        coingecko_base_url: api.coingecko_url.clone(),
        coingecko_key: key,
        coingecko_plan: plan,
        cryptocompare_base_url: api.cryptocompare_url.clone(),
        cryptocompare_key: api.cryptocompare_key.clone().map(ApiKey::new),
        ..MarketSettings::default()
    }
}

/// Formats the error and what to do about it, without repeating a hint
/// that the message already contains.
fn describe(error: &MarketError) -> String {
    let message = error.to_string();
    let hint = error.hint();
    if message.contains(&hint) {
        message
    } else {
        format!("{message} ({hint})")
    }
}

impl MarketData for MarketFeed {
    async fn load_coins(&self) -> Result<LoadedMarket, String> {
        let (coins, as_of) = self
            .source
            .load_coins()
            .await
            .map_err(|error| describe(&error))?;
        if matches!(self.source, MarketSource::Live(_)) {
            self.save_coin_list(&coins, as_of);
        }
        Ok(LoadedMarket {
            coins,
            as_of,
            origin: self.origin(),
        })
    }

    async fn load_cached(&self) -> Option<(LoadedMarket, BTreeMap<String, History>)> {
        if !matches!(self.source, MarketSource::Live(_)) {
            return None;
        }
        let path = &self.coin_list_path;
        let bytes = std::fs::read(path).ok()?;
        let saved: SavedCoinList = match serde_json::from_slice(&bytes) {
            Ok(saved) => saved,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cached coin list unreadable, ignoring it");
                return None;
            }
        };
        let mut histories = BTreeMap::new();
        for coin in &saved.coins {
            match self.store.load(&coin.id) {
                Ok(Some(history)) => {
                    histories.insert(coin.id.clone(), history);
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(coin = %coin.id, %error, "cached history unreadable"),
            }
        }
        tracing::info!(
            coins = saved.coins.len(),
            histories = histories.len(),
            "showing cached market data"
        );
        let market = LoadedMarket {
            coins: saved.coins,
            as_of: saved.as_of,
            origin: DataOrigin::Cache,
        };
        Some((market, histories))
    }

    async fn load_histories(
        &self,
        coins: &[Coin],
        mut progress: Box<dyn FnMut(HistoryProgress) + Send>,
    ) -> Result<BTreeMap<String, History>, String> {
        let report = |p: crate::market::HistoryProgress| {
            let detail = match (p.coin_id.is_empty(), p.waiting_on_limiter) {
                (true, _) => "histories loaded".to_string(),
                (false, 0) => p.coin_id.clone(),
                (false, waiting) => format!("{} ({waiting} waiting on the rate limit)", p.coin_id),
            };
            // A failed coin keeps its cached history; report it while the rest load.
            let detail = match &p.last_failure {
                Some(failure) => format!("{detail} · last failure {failure}"),
                None => detail,
            };
            progress(HistoryProgress {
                done: p.done,
                total: p.total,
                detail,
            });
        };

        let histories = match &self.source {
            MarketSource::Snapshot(snapshot) => snapshot_histories(snapshot, coins, report)?,
            MarketSource::Live(_) => {
                let summary = self
                    .source
                    .refresh_histories(coins, &self.store, report)
                    .await
                    .map_err(|error| describe(&error))?;
                for failure in &summary.failures {
                    tracing::warn!(coin = %failure.coin_id, error = %failure.error, "coin kept its cached history");
                }
                summary.histories
            }
        };

        if let Some(dir) = &self.record_dir {
            let snapshot = MarketSnapshot {
                as_of: chrono::Utc::now(),
                coins: coins.to_vec(),
                histories: histories.clone(),
            };
            match record_snapshot(dir, &snapshot) {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "recorded the fetched data as a snapshot")
                }
                Err(error) => {
                    tracing::error!(dir = %dir.display(), %error, "recording the snapshot failed")
                }
            }
        }
        Ok(histories)
    }
}

/// Reads each coin's history from the snapshot folder; a coin without a
/// readable chart is left out and logged.
fn snapshot_histories(
    snapshot: &SnapshotSource,
    coins: &[Coin],
    mut report: impl FnMut(crate::market::HistoryProgress),
) -> Result<BTreeMap<String, History>, String> {
    let mut histories = BTreeMap::new();
    for (index, coin) in coins.iter().enumerate() {
        report(crate::market::HistoryProgress {
            done: index,
            total: coins.len(),
            waiting_on_limiter: 0,
            coin_id: coin.id.clone(),
            last_failure: None,
        });
        match snapshot.history(coin, coins) {
            Ok(history) => {
                histories.insert(coin.id.clone(), history);
            }
            Err(error) => tracing::warn!(coin = %coin.id, %error, "no history in the snapshot"),
        }
    }
    report(crate::market::HistoryProgress {
        done: coins.len(),
        total: coins.len(),
        waiting_on_limiter: 0,
        coin_id: String::new(),
        last_failure: None,
    });
    if histories.is_empty() && !coins.is_empty() {
        return Err(format!(
            "the snapshot {} has no readable market_chart files",
            snapshot.dir().display()
        ));
    }
    Ok(histories)
}
