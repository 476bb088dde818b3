//! Training rows: feature rows joined with forward-looking labels.
//!
//! Labels look into the future by design; features never do. Each row keeps
//! its date so splits can keep whole days, plus an embargo, apart.

use crate::features::{Feature, FeatureTable};
use crate::market::History;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The CoinGecko id that gem labels are measured against.
pub const BENCHMARK_COIN: &str = "bitcoin";

/// Daily 30-day volatility below which a coin trading near 1 counts as a
/// USD-pegged stablecoin. On the 2021 snapshot tether's and USD coin's 95th
/// percentiles are 0.012 and 0.008, bitcoin's 5th percentile is 0.013.
const PEGGED_MAX_VOLATILITY: f64 = 0.01;
/// Largest distance from 1.0 of a pegged coin's close.
const PEGGED_MAX_DEVIATION: f64 = 0.05;

/// Returns true for a coin-day that looks like a USD-pegged stablecoin: a
/// close within 5% of 1 and a 30-day volatility under 1% a day. Its returns
/// are noise around zero, so the price model neither learns from nor
/// predicts such days. The rule assumes prices quoted in USD.
pub fn is_pegged(close: f64, volatility_30d: f64) -> bool {
    volatility_30d.is_finite()
        && volatility_30d < PEGGED_MAX_VOLATILITY
        && (close - 1.0).abs() < PEGGED_MAX_DEVIATION
}

/// When a coin-day counts as a gem: a coin outside the day's `top_n_excluded`
/// by market cap whose forward return over `horizon_days` beats the
/// benchmark's by at least `margin` (0.20 = 20 percentage points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemRule {
    pub top_n_excluded: usize,
    pub horizon_days: i64,
    pub margin: f64,
    /// Stablecoins and wrapped tokens: never gems, never scored as gems.
    pub excluded_ids: Vec<String>,
}

impl Default for GemRule {
    fn default() -> Self {
        let excluded = [
            "tether",
            "usd-coin",
            "binance-usd",
            "dai",
            "true-usd",
            "paxos-standard",
            "first-digital-usd",
            "ethena-usde",
            "wrapped-bitcoin",
            "weth",
            "staked-ether",
            "wrapped-steth",
        ];
        Self {
            top_n_excluded: 10,
            horizon_days: 30,
            margin: 0.20,
            excluded_ids: excluded.iter().map(|id| id.to_string()).collect(),
        }
    }
}

/// One coin-day of the dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowKey {
    /// Index into [`Dataset::coins`].
    pub coin: usize,
    pub date: NaiveDate,
}

/// Feature rows of every coin with their labels; NaN or `None` where a label
/// needs days that are not in the data yet.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub coins: Vec<String>,
    pub columns: usize,
    pub keys: Vec<RowKey>,
    /// Row-major raw features, NaN where undefined.
    pub x: Vec<f64>,
    /// Close `horizon` days ahead over today's close, minus 1.
    pub forward_return: Vec<f64>,
    /// Close today over the close 7 days ago, minus 1: the momentum baseline.
    pub past_return: Vec<f64>,
    pub gem: Vec<Option<bool>>,
    /// Rows that look like a USD-pegged stablecoin; see [`is_pegged`].
    pub pegged: Vec<bool>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn row(&self, index: usize) -> &[f64] {
        &self.x[index * self.columns..(index + 1) * self.columns]
    }

    /// Copies the given rows into a new row-major matrix.
    pub fn gather(&self, indices: &[usize]) -> Vec<f64> {
        let mut out = Vec::with_capacity(indices.len() * self.columns);
        for index in indices {
            out.extend_from_slice(self.row(*index));
        }
        out
    }
}

/// Joins every coin's feature table with its labels.
pub fn build_dataset(
    histories: &BTreeMap<String, History>,
    tables: &BTreeMap<String, FeatureTable>,
    columns: usize,
    price_horizon_days: i64,
    gem_rule: &GemRule,
) -> Dataset {
    let closes: HashMap<&str, HashMap<NaiveDate, f64>> = histories
        .iter()
        .map(|(id, history)| {
            let by_date = history
                .iter()
                .map(|candle| (candle.date, candle.close))
                .collect();
            (id.as_str(), by_date)
        })
        .collect();
    let ranks = market_cap_ranks(histories, |_| true);
    let forward = |id: &str, date: NaiveDate, days: i64| -> f64 {
        let Some(series) = closes.get(id) else {
            return f64::NAN;
        };
        match (
            series.get(&date),
            series.get(&(date + Duration::days(days))),
        ) {
            (Some(now), Some(later)) if *now > 0.0 => later / now - 1.0,
            _ => f64::NAN,
        }
    };

    let mut dataset = Dataset {
        columns,
        ..Dataset::default()
    };
    for (id, table) in tables {
        let coin = dataset.coins.len();
        dataset.coins.push(id.clone());
        let excluded = gem_rule.excluded_ids.iter().any(|excluded| excluded == id);

        for (index, date) in table.dates.iter().enumerate() {
            dataset.keys.push(RowKey { coin, date: *date });
            dataset.x.extend_from_slice(table.row(index));
            dataset
                .forward_return
                .push(forward(id, *date, price_horizon_days));
            dataset.past_return.push(past_return(&closes, id, *date, 7));
            let close = closes
                .get(id.as_str())
                .and_then(|series| series.get(date))
                .copied()
                .unwrap_or(f64::NAN);
            let volatility = table.row(index)[Feature::Volatility30d.index()];
            dataset.pegged.push(is_pegged(close, volatility));

            let gem = if excluded {
                None
            } else {
                gem_label(id, *date, &ranks, gem_rule, &forward)
            };
            dataset.gem.push(gem);
        }
    }
    dataset
}

/// Close on `date` over the close `days` earlier, minus 1.
fn past_return(
    closes: &HashMap<&str, HashMap<NaiveDate, f64>>,
    id: &str,
    date: NaiveDate,
    days: i64,
) -> f64 {
    let Some(series) = closes.get(id) else {
        return f64::NAN;
    };
    match (
        series.get(&(date - Duration::days(days))),
        series.get(&date),
    ) {
        (Some(before), Some(now)) if *before > 0.0 => now / before - 1.0,
        _ => f64::NAN,
    }
}

fn gem_label(
    id: &str,
    date: NaiveDate,
    ranks: &HashMap<(NaiveDate, String), usize>,
    rule: &GemRule,
    forward: &dyn Fn(&str, NaiveDate, i64) -> f64,
) -> Option<bool> {
    let rank = *ranks.get(&(date, id.to_string()))?;
    if rank <= rule.top_n_excluded {
        return Some(false);
    }
    let coin_return = forward(id, date, rule.horizon_days);
    let benchmark_return = forward(BENCHMARK_COIN, date, rule.horizon_days);
    if !coin_return.is_finite() || !benchmark_return.is_finite() {
        return None;
    }
    Some(coin_return - benchmark_return >= rule.margin)
}

/// 1-based market-cap rank of each coin on each day for which `on_day`
/// holds, among the coins with a known market cap that day.
pub fn market_cap_ranks(
    histories: &BTreeMap<String, History>,
    on_day: impl Fn(NaiveDate) -> bool,
) -> HashMap<(NaiveDate, String), usize> {
    let mut by_day: BTreeMap<NaiveDate, Vec<(f64, &str)>> = BTreeMap::new();
    for (id, history) in histories {
        for candle in history {
            if candle.market_cap.is_finite() && candle.market_cap > 0.0 && on_day(candle.date) {
                by_day
                    .entry(candle.date)
                    .or_default()
                    .push((candle.market_cap, id.as_str()));
            }
        }
    }
    let mut ranks = HashMap::new();
    for (date, mut caps) in by_day {
        caps.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (position, (_, id)) in caps.iter().enumerate() {
            ranks.insert((date, id.to_string()), position + 1);
        }
    }
    ranks
}
