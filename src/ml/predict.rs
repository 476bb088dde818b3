//! Predictions of a trained model set for each coin's latest day.

use super::agent;
use super::dataset::{is_pegged, market_cap_ranks, GemRule};
use super::drivers::top_drivers;
use super::forest::ForestError;
use super::trading;
use super::train::{CoinPrediction, ModelSet};
use crate::features::{self, FeatureTable};
use crate::market::History;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Features listed per coin as the drivers of its price prediction.
const DRIVERS_SHOWN: usize = 6;

/// A coin's prediction, or the reason it has none.
pub type CoinOutcome = Result<CoinPrediction, String>;

/// Rows at the end of each coin's feature table that
/// [`ModelSet::predict_latest`] reads: the latest row and the days of the
/// trading signal. Tables cut to these rows give the same predictions.
pub const SCORING_ROWS: usize = trading::SIGNAL_LOOKBACK_DAYS;

impl ModelSet {
    /// Predicts each coin's forward return and gem probability from its
    /// latest feature row. A coin that cannot be predicted gets the reason.
    pub fn predict_latest(
        &self,
        histories: &BTreeMap<String, History>,
        tables: &BTreeMap<String, FeatureTable>,
        gem_rule: &GemRule,
    ) -> Result<BTreeMap<String, CoinOutcome>, ForestError> {
        let latest_days: HashSet<NaiveDate> = tables
            .values()
            .filter_map(|table| table.dates.last())
            .copied()
            .collect();
        let ranks = market_cap_ranks(histories, |date| latest_days.contains(&date));
        let mut out = BTreeMap::new();
        for (id, table) in tables {
            if let Some(prediction) = self.predict_coin(id, table, histories, &ranks, gem_rule)? {
                out.insert(id.clone(), prediction);
            }
        }
        Ok(out)
    }

    /// Predicts as [`ModelSet::predict_latest`] does on the full tables, but
    /// builds each coin's last [`SCORING_ROWS`] feature rows in turn and drops
    /// them after use, so the rows of all coins are never held at once. The
    /// coins are shared out over the available cores.
    pub fn predict_latest_from_histories(
        &self,
        histories: &BTreeMap<String, History>,
        gem_rule: &GemRule,
    ) -> Result<BTreeMap<String, CoinOutcome>, ForestError> {
        // A table's last row is its history's latest date.
        let latest_days: HashSet<NaiveDate> = histories
            .values()
            .filter_map(|history| history.iter().map(|candle| candle.date).max())
            .collect();
        let ranks = market_cap_ranks(histories, |date| latest_days.contains(&date));
        let recent = features::RecentTables::prepare(histories, SCORING_ROWS);
        let coins: Vec<(&String, &History)> = histories.iter().collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |count| count.get())
            .min(coins.len())
            .max(1);

        // Each thread builds and predicts one contiguous share of the coins.
        let shares: Vec<Result<Vec<(String, CoinOutcome)>, ForestError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = coins
                    .chunks(coins.len().div_ceil(threads).max(1))
                    .map(|share| {
                        let (recent, ranks) = (&recent, &ranks);
                        scope.spawn(move || {
                            let mut out = Vec::with_capacity(share.len());
                            for (id, history) in share {
                                let table = recent.table(history);
                                if let Some(outcome) =
                                    self.predict_coin(id, &table, histories, ranks, gem_rule)?
                                {
                                    out.push(((*id).clone(), outcome));
                                }
                            }
                            Ok(out)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
        let mut out = BTreeMap::new();
        for share in shares {
            out.extend(share?);
        }
        Ok(out)
    }

    /// Predicts one coin from the last row of its table; `None` for an
    /// empty table.
    fn predict_coin(
        &self,
        id: &str,
        table: &FeatureTable,
        histories: &BTreeMap<String, History>,
        ranks: &HashMap<(NaiveDate, String), usize>,
        gem_rule: &GemRule,
    ) -> Result<Option<CoinOutcome>, ForestError> {
        let names = features::feature_names();
        let Some(last) = table.len().checked_sub(1) else {
            return Ok(None);
        };
        let date = table.dates[last];
        let raw = table.row(last);
        let close = histories
            .get(id)
            .and_then(|history| history.last())
            .map_or(f64::NAN, |candle| candle.close);
        if is_pegged(close, raw[features::Feature::Volatility30d.index()]) {
            return Ok(Some(
                Err("USD-pegged stablecoin: no prediction".to_string()),
            ));
        }
        let out_of_range = self
            .scaler
            .out_of_range(raw, names)
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut scaled = raw.to_vec();
        self.scaler.transform(&mut scaled);

        let price = self.price.predict(&scaled)?[0];
        let drivers = top_drivers(
            &self.price,
            &self.scaler,
            raw,
            &scaled,
            names,
            DRIVERS_SHOWN,
        )?;
        let rank = ranks.get(&(date, id.to_string())).copied();
        let (gem_probability, gem_note) = match (&self.gem, rank) {
            (None, _) => (None, self.report.gem_unavailable.clone()),
            _ if gem_rule.excluded_ids.iter().any(|excluded| excluded == id) => {
                (None, Some("stablecoin or wrapped token".to_string()))
            }
            (Some(_), None) => (None, Some("no market cap".to_string())),
            (Some(_), Some(rank)) if rank <= gem_rule.top_n_excluded => (
                None,
                Some(format!("top {} by market cap", gem_rule.top_n_excluded)),
            ),
            (Some(gem), Some(_)) => (Some(gem.predict(&scaled)?[0].mean), None),
        };
        let signal = match (&self.agent, histories.get(id)) {
            (Some(agent), Some(history))
                if !gem_rule.excluded_ids.iter().any(|excluded| excluded == id) =>
            {
                trading::latest_signal(agent, &self.episode_for(id, history, table)?)
            }
            _ => None,
        };

        Ok(Some(Ok(CoinPrediction {
            date,
            predicted_return: price.mean,
            spread: price.spread,
            out_of_range,
            gem_probability,
            gem_note,
            signal,
            drivers,
        })))
    }

    /// Builds a coin's agent episode over its whole history, with this price
    /// model's prediction for the last [`trading::SIGNAL_LOOKBACK_DAYS`] days
    /// of its feature table (earlier days are not needed for the signal, and
    /// predicting every day of every coin would dominate scoring time).
    fn episode_for(
        &self,
        id: &str,
        history: &History,
        table: &FeatureTable,
    ) -> Result<agent::Episode, ForestError> {
        let first = table.len().saturating_sub(trading::SIGNAL_LOOKBACK_DAYS);
        let width = features::feature_names().len();
        let mut x = table.values[first * width..].to_vec();
        self.scaler.transform(&mut x);
        let predicted = self.price.predict(&x)?;
        let by_day: HashMap<NaiveDate, f64> = table.dates[first..]
            .iter()
            .zip(&predicted)
            .map(|(date, prediction)| (*date, prediction.mean))
            .collect();
        let predictions = HashMap::from([(id.to_string(), by_day)]);
        let histories = BTreeMap::from([(id.to_string(), history.clone())]);
        let mut episodes = trading::build_episodes(&histories, &predictions, &|_| false);
        Ok(episodes.pop().unwrap_or(agent::Episode {
            coin_id: id.to_string(),
            steps: Vec::new(),
        }))
    }
}
