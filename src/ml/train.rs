//! Training of the scaler, the price model and the gem detector, with
//! out-of-sample metrics next to naive baselines, and prediction.

use super::agent::{self, AgentParams, QAgent, Signal};
use super::dataset::{build_dataset, is_pegged, market_cap_ranks, Dataset, GemRule};
use super::drivers::{top_drivers, Driver};
use super::forest::{Forest, ForestError, ForestParams};
use super::metrics;
use super::scaler::Scaler;
use super::split::chronological_split;
use super::trading;
use super::{Baseline, Metric, ModelReport};
use crate::features::{self, FeatureTable};
use crate::market::History;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Out-of-sample R² above this suggests the features see the future.
const SUSPICIOUS_R_SQUARED: f64 = 0.05;
/// Out-of-sample ROC-AUC above this suggests the features see the future.
const SUSPICIOUS_AUC: f64 = 0.65;
/// Fewest labelled rows of each class the gem detector needs to train.
const MIN_GEM_CLASS_ROWS: usize = 20;

/// How models are trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub price_forest: ForestParams,
    pub gem_forest: ForestParams,
    /// Horizon of the price label: the forward return over this many days.
    pub price_horizon_days: i64,
    /// Share of the distinct days, at the end, held out as the test period.
    pub test_fraction: f64,
    /// Labels are clipped to this quantile and its mirror for fitting only.
    pub label_clip_quantile: f64,
    pub gem_rule: GemRule,
    pub agent: AgentParams,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            price_forest: ForestParams::default(),
            gem_forest: ForestParams {
                seed: 11,
                ..ForestParams::default()
            },
            price_horizon_days: 7,
            test_fraction: 0.2,
            label_clip_quantile: 0.01,
            gem_rule: GemRule::default(),
            agent: AgentParams::default(),
        }
    }
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("not enough history to train: {labelled} labelled coin-days over {days} days (need at least 60 days)")]
    NotEnoughData { labelled: usize, days: usize },
    #[error("fitting the {model} failed: {source}")]
    Fit {
        model: &'static str,
        #[source]
        source: ForestError,
    },
}

/// The trained models that are saved and loaded together.
#[derive(Debug)]
pub struct ModelSet {
    pub scaler: Scaler,
    pub price: Forest,
    pub gem: Option<Forest>,
    /// The trading agent; `None` when it could not be trained (the report says why).
    pub agent: Option<QAgent>,
    pub report: ModelReport,
}

/// Features listed per coin as the drivers of its price prediction.
const DRIVERS_SHOWN: usize = 6;

/// The models' output for one coin on its latest day.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinPrediction {
    pub date: NaiveDate,
    pub predicted_return: f64,
    pub spread: f64,
    /// Features outside the range seen in training, by name.
    pub out_of_range: Vec<String>,
    pub gem_probability: Option<f64>,
    /// Why there is no gem probability, when there is none.
    pub gem_note: Option<String>,
    /// The trading agent's advice for today.
    pub signal: Option<Signal>,
    /// Features that move the price prediction most, largest effect first.
    pub drivers: Vec<Driver>,
}

/// Trains all models from the histories and their feature tables.
/// `progress(done, total, step)` is called before each step.
pub fn train(
    histories: &BTreeMap<String, History>,
    tables: &BTreeMap<String, FeatureTable>,
    settings: &TrainSettings,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<ModelSet, TrainError> {
    const STEPS: usize = 7;
    progress(0, STEPS, "building the training set");
    let names = features::feature_names();
    let columns = names.len();
    let dataset = build_dataset(
        histories,
        tables,
        columns,
        settings.price_horizon_days,
        &settings.gem_rule,
    );

    let has_price_label =
        |index: usize| dataset.forward_return[index].is_finite() && !dataset.pegged[index];
    let split = chronological_split(
        &dataset.keys,
        has_price_label,
        settings.test_fraction,
        settings.price_horizon_days,
    );
    let labelled: Vec<usize> = (0..dataset.len()).filter(|i| has_price_label(*i)).collect();
    let distinct_days = distinct_dates(&dataset, &labelled);
    if distinct_days < 60 || split.train.is_empty() || split.test.is_empty() {
        return Err(TrainError::NotEnoughData {
            labelled: labelled.len(),
            days: distinct_days,
        });
    }

    let mut report = ModelReport {
        trained_at: Utc::now(),
        coins: dataset.coins.clone(),
        feature_names: names.iter().map(|name| name.to_string()).collect(),
        schema_hash: features::schema_hash(),
        price_params: Some(settings.price_forest),
        test_start: split.test_start,
        train_rows: split.train.len(),
        test_rows: split.test.len(),
        final_rows: labelled.len(),
        ..ModelReport::default()
    };
    report.data_start = labelled.iter().map(|i| dataset.keys[*i].date).min();
    report.data_end = labelled.iter().map(|i| dataset.keys[*i].date).max();

    progress(1, STEPS, "evaluating the price model on the test period");
    let eval_scaler = Scaler::fit(&dataset.gather(&split.train), columns);
    let eval_price = fit_price(&dataset, &split.train, &eval_scaler, settings)?;
    report.price_metrics = price_metrics(&dataset, &split.test, &eval_scaler, &eval_price)?;

    progress(2, STEPS, "evaluating the gem detector on the test period");
    let gem_rows: Vec<usize> = (0..dataset.len())
        .filter(|i| dataset.gem[*i].is_some())
        .collect();
    let gem_unavailable = gem_unavailable_reason(histories, &dataset, &gem_rows);
    if gem_unavailable.is_none() {
        let gem_split = chronological_split(
            &dataset.keys,
            |index| dataset.gem[index].is_some(),
            settings.test_fraction,
            settings.gem_rule.horizon_days,
        );
        let gem_model = fit_gem(&dataset, &gem_split.train, &eval_scaler, settings)?;
        report.gem_metrics = gem_metrics(&dataset, &gem_split.test, &eval_scaler, &gem_model)?;
        report.gem_params = Some(settings.gem_forest);
    }
    report.gem_unavailable = gem_unavailable;
    report.warnings = leakage_warnings(&report);

    progress(3, STEPS, "training and backtesting the trading agent");
    let all_rows: Vec<usize> = (0..dataset.len()).collect();
    let excluded = agent_exclusions(&dataset, &settings.gem_rule);
    let is_excluded = |id: &str| excluded.contains(id);
    let eval_predictions = predict_rows(&dataset, &all_rows, &eval_scaler, &eval_price)?;
    let eval_episodes = trading::build_episodes(
        histories,
        &trading::predictions_by_day(&dataset, &all_rows, &eval_predictions),
        &is_excluded,
    );
    match (
        split.test_start,
        split
            .test_start
            .map(|start| agent::train(&eval_episodes, start, &settings.agent)),
    ) {
        (Some(start), Some(Ok(eval_agent))) => {
            report.backtest = Some(agent::backtest(&eval_agent, &eval_episodes, start));
        }
        (_, Some(Err(error))) => report.agent_unavailable = Some(error.to_string()),
        _ => report.agent_unavailable = Some("no test period to backtest on".to_string()),
    }

    progress(4, STEPS, "fitting the final price model");
    let scaler = Scaler::fit(&dataset.gather(&labelled), columns);
    let price = fit_price(&dataset, &labelled, &scaler, settings)?;

    progress(5, STEPS, "fitting the final gem detector");
    let gem = if report.has_gem_model() {
        let gems = gem_rows
            .iter()
            .filter(|i| dataset.gem[**i] == Some(true))
            .count();
        report.gem_base_rate = Some(gems as f64 / gem_rows.len().max(1) as f64);
        Some(fit_gem(&dataset, &gem_rows, &scaler, settings)?)
    } else {
        None
    };

    progress(6, STEPS, "training the final trading agent");
    let agent = if report.agent_unavailable.is_none() {
        let predictions = predict_rows(&dataset, &all_rows, &scaler, &price)?;
        let episodes = trading::build_episodes(
            histories,
            &trading::predictions_by_day(&dataset, &all_rows, &predictions),
            &is_excluded,
        );
        // The final agent learns from every day, up to and including the last.
        let last_day = histories
            .values()
            .filter_map(|h| h.last())
            .map(|c| c.date)
            .max();
        let until = last_day.map_or(NaiveDate::MAX, |last| last + chrono::Duration::days(1));
        match agent::train(&episodes, until, &settings.agent) {
            Ok(agent) => Some(agent),
            Err(error) => {
                report.agent_unavailable = Some(error.to_string());
                None
            }
        }
    } else {
        None
    };

    progress(STEPS, STEPS, "done");
    Ok(ModelSet {
        scaler,
        price,
        gem,
        agent,
        report,
    })
}

/// Coins the trading agent leaves out: stablecoins and wrapped tokens, and
/// coins whose latest day looks pegged.
fn agent_exclusions(dataset: &Dataset, rule: &GemRule) -> HashSet<String> {
    let mut excluded: HashSet<String> = rule.excluded_ids.iter().cloned().collect();
    let mut latest: HashMap<usize, (NaiveDate, bool)> = HashMap::new();
    for (row, key) in dataset.keys.iter().enumerate() {
        let entry = latest.entry(key.coin).or_insert((key.date, false));
        if key.date >= entry.0 {
            *entry = (key.date, dataset.pegged[row]);
        }
    }
    for (coin, (_, pegged)) in latest {
        if pegged {
            excluded.insert(dataset.coins[coin].clone());
        }
    }
    excluded
}

/// Predicts the forward return of the given rows.
fn predict_rows(
    dataset: &Dataset,
    rows: &[usize],
    scaler: &Scaler,
    model: &Forest,
) -> Result<Vec<f64>, TrainError> {
    let predictions = model
        .predict(&scaled_rows(dataset, rows, scaler))
        .map_err(|source| TrainError::Fit {
            model: "price model",
            source,
        })?;
    Ok(predictions.iter().map(|p| p.mean).collect())
}

fn distinct_dates(dataset: &Dataset, rows: &[usize]) -> usize {
    let mut dates: Vec<NaiveDate> = rows.iter().map(|i| dataset.keys[*i].date).collect();
    dates.sort_unstable();
    dates.dedup();
    dates.len()
}

fn scaled_rows(dataset: &Dataset, rows: &[usize], scaler: &Scaler) -> Vec<f64> {
    let mut x = dataset.gather(rows);
    scaler.transform(&mut x);
    x
}

fn fit_price(
    dataset: &Dataset,
    rows: &[usize],
    scaler: &Scaler,
    settings: &TrainSettings,
) -> Result<Forest, TrainError> {
    let x = scaled_rows(dataset, rows, scaler);
    let mut y: Vec<f64> = rows.iter().map(|i| dataset.forward_return[*i]).collect();
    clip_to_quantiles(&mut y, settings.label_clip_quantile);
    Forest::fit(&x, dataset.columns, &y, settings.price_forest).map_err(|source| TrainError::Fit {
        model: "price model",
        source,
    })
}

fn fit_gem(
    dataset: &Dataset,
    rows: &[usize],
    scaler: &Scaler,
    settings: &TrainSettings,
) -> Result<Forest, TrainError> {
    let x = scaled_rows(dataset, rows, scaler);
    let y: Vec<f64> = rows
        .iter()
        .map(|i| {
            if dataset.gem[*i] == Some(true) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Forest::fit(&x, dataset.columns, &y, settings.gem_forest).map_err(|source| TrainError::Fit {
        model: "gem detector",
        source,
    })
}

/// Clips values to the `quantile` and `1 - quantile` quantiles so a few
/// extreme returns do not dominate the squared-error fit.
fn clip_to_quantiles(values: &mut [f64], quantile: f64) {
    if values.is_empty() || quantile <= 0.0 {
        return;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let low = sorted[((last as f64) * quantile).round() as usize];
    let high = sorted[((last as f64) * (1.0 - quantile)).round() as usize];
    for value in values {
        *value = value.clamp(low, high);
    }
}

fn price_metrics(
    dataset: &Dataset,
    test: &[usize],
    scaler: &Scaler,
    model: &Forest,
) -> Result<Vec<Metric>, TrainError> {
    let predictions = model
        .predict(&scaled_rows(dataset, test, scaler))
        .map_err(|source| TrainError::Fit {
            model: "price model",
            source,
        })?;
    let predicted: Vec<f64> = predictions.iter().map(|p| p.mean).collect();
    let actual: Vec<f64> = test.iter().map(|i| dataset.forward_return[*i]).collect();
    let dates: Vec<NaiveDate> = test.iter().map(|i| dataset.keys[*i].date).collect();
    let zero = vec![0.0; test.len()];
    // Momentum predicts that the last 7 days repeat; where that is unknown it predicts 0.
    let momentum: Vec<f64> = test
        .iter()
        .map(|i| dataset.past_return[*i])
        .map(|value| if value.is_finite() { value } else { 0.0 })
        .collect();

    let with_baselines = |name: &str, metric: &dyn Fn(&[f64]) -> f64| Metric {
        name: name.to_string(),
        model: metric(&predicted),
        baselines: vec![
            Baseline {
                name: "zero return".to_string(),
                value: metric(&zero),
            },
            Baseline {
                name: "7-day momentum".to_string(),
                value: metric(&momentum),
            },
        ],
    };
    Ok(vec![
        with_baselines("MAE", &|p| metrics::mae(p, &actual)),
        with_baselines("R²", &|p| metrics::r_squared(p, &actual)),
        with_baselines("direction hit rate", &|p| {
            metrics::direction_hit_rate(p, &actual)
        }),
        with_baselines("daily rank IC", &|p| {
            metrics::mean_daily_rank_ic(&dates, p, &actual)
        }),
    ])
}

fn gem_metrics(
    dataset: &Dataset,
    test: &[usize],
    scaler: &Scaler,
    model: &Forest,
) -> Result<Vec<Metric>, TrainError> {
    let predictions = model
        .predict(&scaled_rows(dataset, test, scaler))
        .map_err(|source| TrainError::Fit {
            model: "gem detector",
            source,
        })?;
    let scores: Vec<f64> = predictions.iter().map(|p| p.mean).collect();
    let labels: Vec<bool> = test.iter().map(|i| dataset.gem[*i] == Some(true)).collect();
    let dates: Vec<NaiveDate> = test.iter().map(|i| dataset.keys[*i].date).collect();
    let base_rate =
        labels.iter().filter(|label| **label).count() as f64 / labels.len().max(1) as f64;
    let constant = vec![base_rate; test.len()];
    let random = seeded_uniform(test.len(), 0x5eed);

    let with_baselines = |name: &str, metric: &dyn Fn(&[f64]) -> f64| Metric {
        name: name.to_string(),
        model: metric(&scores),
        baselines: vec![
            Baseline {
                name: "base rate".to_string(),
                value: metric(&constant),
            },
            Baseline {
                name: "random ranking".to_string(),
                value: metric(&random),
            },
        ],
    };
    Ok(vec![
        with_baselines("ROC-AUC", &|s| metrics::roc_auc(s, &labels)),
        with_baselines("precision@10", &|s| {
            metrics::mean_daily_precision_at_k(&dates, s, &labels, 10)
        }),
        with_baselines("recall@0.5", &|s| metrics::recall(s, &labels, 0.5)),
        Metric {
            name: "gem base rate".to_string(),
            model: base_rate,
            baselines: Vec::new(),
        },
    ])
}

/// Deterministic uniform values in [0, 1) from a 64-bit LCG, for the random-ranking baseline.
fn seeded_uniform(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn gem_unavailable_reason(
    histories: &BTreeMap<String, History>,
    dataset: &Dataset,
    gem_rows: &[usize],
) -> Option<String> {
    let any_market_cap = histories
        .values()
        .flatten()
        .any(|candle| candle.market_cap.is_finite());
    if !any_market_cap {
        return Some(
            "no market caps in this data: the gem rule needs market-cap ranks".to_string(),
        );
    }
    if !histories.contains_key(super::dataset::BENCHMARK_COIN) {
        return Some("no bitcoin history: gem labels compare returns with bitcoin's".to_string());
    }
    let positives = gem_rows
        .iter()
        .filter(|i| dataset.gem[**i] == Some(true))
        .count();
    let negatives = gem_rows.len() - positives;
    if positives < MIN_GEM_CLASS_ROWS || negatives < MIN_GEM_CLASS_ROWS {
        return Some(format!(
            "too few labelled coin-days for the gem detector: {positives} gems and {negatives} others (need {MIN_GEM_CLASS_ROWS} of each)"
        ));
    }
    None
}

fn leakage_warnings(report: &ModelReport) -> Vec<String> {
    let mut warnings = Vec::new();
    let find = |list: &[Metric], name: &str| list.iter().find(|m| m.name == name).map(|m| m.model);
    if let Some(r2) = find(&report.price_metrics, "R²").filter(|r2| *r2 > SUSPICIOUS_R_SQUARED) {
        warnings.push(format!(
            "price model R² {r2:.3} is above {SUSPICIOUS_R_SQUARED}: suspected leakage, check the features before trusting it"
        ));
    }
    if let Some(auc) = find(&report.gem_metrics, "ROC-AUC").filter(|auc| *auc > SUSPICIOUS_AUC) {
        warnings.push(format!(
            "gem detector ROC-AUC {auc:.3} is above {SUSPICIOUS_AUC}: suspected leakage, check the features before trusting it"
        ));
    }
    warnings
}

impl ModelSet {
    /// Predicts each coin's forward return and gem probability from its
    /// latest feature row. A coin that cannot be predicted gets the reason.
    pub fn predict_latest(
        &self,
        histories: &BTreeMap<String, History>,
        tables: &BTreeMap<String, FeatureTable>,
        gem_rule: &GemRule,
    ) -> Result<BTreeMap<String, Result<CoinPrediction, String>>, ForestError> {
        let names = features::feature_names();
        let ranks = market_cap_ranks(histories);
        let mut out = BTreeMap::new();

        for (id, table) in tables {
            let Some(last) = table.len().checked_sub(1) else {
                continue;
            };
            let date = table.dates[last];
            let raw = table.row(last);
            let close = histories
                .get(id)
                .and_then(|history| history.last())
                .map_or(f64::NAN, |candle| candle.close);
            if is_pegged(close, raw[features::Feature::Volatility30d.index()]) {
                out.insert(
                    id.clone(),
                    Err("USD-pegged stablecoin: no prediction".to_string()),
                );
                continue;
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
            let rank = ranks.get(&(date, id.clone())).copied();
            let (gem_probability, gem_note) = match (&self.gem, rank) {
                (None, _) => (None, self.report.gem_unavailable.clone()),
                _ if gem_rule.excluded_ids.contains(id) => {
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
                (Some(agent), Some(history)) if !gem_rule.excluded_ids.contains(id) => {
                    trading::latest_signal(agent, &self.episode_for(id, history, table)?)
                }
                _ => None,
            };

            out.insert(
                id.clone(),
                Ok(CoinPrediction {
                    date,
                    predicted_return: price.mean,
                    spread: price.spread,
                    out_of_range,
                    gem_probability,
                    gem_note,
                    signal,
                    drivers,
                }),
            );
        }
        Ok(out)
    }

    /// Builds a coin's agent episode with this price model's prediction for
    /// every day of its feature table.
    fn episode_for(
        &self,
        id: &str,
        history: &History,
        table: &FeatureTable,
    ) -> Result<agent::Episode, ForestError> {
        let mut x = table.values.clone();
        self.scaler.transform(&mut x);
        let predicted = self.price.predict(&x)?;
        let by_day: HashMap<NaiveDate, f64> = table
            .dates
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_bounds_outliers() {
        let mut values: Vec<f64> = (0..101).map(|i| i as f64).collect();
        values[100] = 1e9;
        clip_to_quantiles(&mut values, 0.01);
        assert_eq!(values[0], 1.0);
        assert_eq!(values[100], 99.0);
    }

    #[test]
    fn random_baseline_is_uniform_enough() {
        let values = seeded_uniform(10_000, 1);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
