//! Training of the scaler, the price model, the gem detector and the
//! trading agent, with walk-forward out-of-sample metrics next to naive
//! baselines.

use super::agent::{self, AgentParams, QAgent, Signal};
use super::clean::{self, CleaningRules};
use super::dataset::{build_dataset, Dataset, GemRule};
use super::drivers::Driver;
use super::evaluate;
use super::forest::{Forest, ForestError, ForestParams};
use super::metrics;
use super::scaler::Scaler;
use super::trading;
use super::tune;
use super::ModelReport;
use crate::features::{self, FeatureTable};
use crate::market::History;
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
/// Fewest labelled rows of each class the gem detector needs to train.
const MIN_GEM_CLASS_ROWS: usize = 20;

/// Settings of a training run.
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
    pub cleaning: CleaningRules,
    /// Consecutive folds the test period is cut into for walk-forward evaluation.
    pub walk_forward_folds: usize,
    /// Chooses depth and leaf size from a small grid on a validation period.
    pub tune: bool,
    /// Maximum rows one forest is fitted on. When more are labelled, a seeded
    /// uniform sample of this many is used, so training time stays bounded
    /// on large coin lists. Predictions and metrics still use every row.
    #[serde(default = "default_max_fit_rows")]
    pub max_fit_rows: usize,
}

/// Default of [`TrainSettings::max_fit_rows`]: about 100 coins of four years.
pub const DEFAULT_MAX_FIT_ROWS: usize = 150_000;

fn default_max_fit_rows() -> usize {
    DEFAULT_MAX_FIT_ROWS
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
            cleaning: CleaningRules::default(),
            walk_forward_folds: 4,
            tune: true,
            max_fit_rows: DEFAULT_MAX_FIT_ROWS,
        }
    }
}

/// Error that stops a training run.
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
    /// The trading agent; `None` when it could not be trained (the report gives the reason).
    pub agent: Option<QAgent>,
    pub report: ModelReport,
}

/// The models' output for one coin on its latest day.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinPrediction {
    pub date: NaiveDate,
    pub predicted_return: f64,
    pub spread: f64,
    /// Features outside the range seen in training, by name.
    pub out_of_range: Vec<String>,
    pub gem_probability: Option<f64>,
    /// Reason for a missing gem probability.
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
    const STEPS: usize = 9;
    progress(0, STEPS, "building and cleaning the training set");
    let names = features::feature_names();
    let dataset = build_dataset(
        histories,
        tables,
        names.len(),
        settings.price_horizon_days,
        &settings.gem_rule,
    );
    let price_horizon = settings.price_horizon_days;
    let gem_horizon = settings.gem_rule.horizon_days;
    let (price_usable, cleaning) = clean::usable_rows(
        histories,
        &dataset,
        &settings.cleaning,
        price_horizon,
        |row| dataset.forward_return[row].is_finite(),
    );
    let (gem_usable, _) = clean::usable_rows(
        histories,
        &dataset,
        &settings.cleaning,
        gem_horizon,
        |row| dataset.gem[row].is_some(),
    );
    let labelled: Vec<usize> = (0..dataset.len())
        .filter(|row| price_usable[*row])
        .collect();
    let gem_rows: Vec<usize> = (0..dataset.len()).filter(|row| gem_usable[*row]).collect();

    let dates = distinct_dates(&dataset, &labelled);
    let folds = evaluate::folds(&dates, settings.test_fraction, settings.walk_forward_folds);
    let test_start = folds.first().map(|fold| fold.start);
    let first_fold_train = test_start.map_or(0, |start| {
        let train_end = start - Duration::days(price_horizon);
        labelled
            .iter()
            .filter(|row| dataset.keys[**row].date < train_end)
            .count()
    });
    if dates.len() < 60 || first_fold_train == 0 {
        return Err(TrainError::NotEnoughData {
            labelled: labelled.len(),
            days: dates.len(),
        });
    }
    let test_start = test_start.unwrap_or(NaiveDate::MAX);

    let mut report = ModelReport {
        trained_at: Utc::now(),
        coins: dataset.coins.clone(),
        feature_names: names.iter().map(|name| name.to_string()).collect(),
        schema_hash: features::schema_hash(),
        test_start: Some(test_start),
        max_fit_rows: settings.max_fit_rows,
        folds: folds.len(),
        train_rows: first_fold_train,
        final_rows: labelled.len(),
        cleaning,
        data_start: dates.first().copied(),
        data_end: dates.last().copied(),
        ..ModelReport::default()
    };

    progress(1, STEPS, "tuning the price model on the validation period");
    let price_tuning = if settings.tune {
        let validation = validation_split(&dataset, &labelled, test_start, price_horizon, settings);
        Some(tune::choose(
            settings.price_forest,
            "validation daily rank IC",
            |params| {
                let predicted = fit_predict(
                    &dataset,
                    &validation.0,
                    &validation.1,
                    Model::Price,
                    params,
                    settings,
                )?;
                let actual: Vec<f64> = validation
                    .1
                    .iter()
                    .map(|row| dataset.forward_return[*row])
                    .collect();
                let dates: Vec<NaiveDate> = validation
                    .1
                    .iter()
                    .map(|row| dataset.keys[*row].date)
                    .collect();
                Ok(metrics::mean_daily_rank_ic(&dates, &predicted, &actual))
            },
        )?)
    } else {
        None
    };
    let price_params = price_tuning
        .as_ref()
        .map_or(settings.price_forest, |t| t.chosen);
    report.price_params = Some(price_params);
    report.price_tuning = price_tuning;

    progress(2, STEPS, "walk-forward evaluation of the price model");
    let (price_tested, price_predicted) =
        evaluate::walk_forward(&dataset, &labelled, &folds, price_horizon, |train, test| {
            fit_predict(&dataset, train, test, Model::Price, price_params, settings)
        })?;
    report.test_rows = price_tested.len();
    report.price_metrics = evaluate::price_metrics(&dataset, &price_tested, &price_predicted);

    report.gem_unavailable = gem_unavailable_reason(histories, &dataset, &gem_rows);
    let mut gem_params = settings.gem_forest;
    if report.gem_unavailable.is_none() {
        progress(3, STEPS, "tuning the gem detector on the validation period");
        if settings.tune {
            let validation =
                validation_split(&dataset, &gem_rows, test_start, gem_horizon, settings);
            let tuning = tune::choose(settings.gem_forest, "validation ROC-AUC", |params| {
                let scores = fit_predict(
                    &dataset,
                    &validation.0,
                    &validation.1,
                    Model::Gem,
                    params,
                    settings,
                )?;
                let labels: Vec<bool> = validation
                    .1
                    .iter()
                    .map(|row| dataset.gem[*row] == Some(true))
                    .collect();
                Ok(metrics::roc_auc(&scores, &labels))
            })?;
            gem_params = tuning.chosen;
            report.gem_tuning = Some(tuning);
        }

        progress(4, STEPS, "walk-forward evaluation of the gem detector");
        let (tested, scores) =
            evaluate::walk_forward(&dataset, &gem_rows, &folds, gem_horizon, |train, test| {
                fit_predict(&dataset, train, test, Model::Gem, gem_params, settings)
            })?;
        report.gem_metrics = evaluate::gem_metrics(&dataset, &tested, &scores);
        report.gem_params = Some(gem_params);
    }
    report.warnings = evaluate::leakage_warnings(&report);

    progress(5, STEPS, "training and backtesting the trading agent");
    let excluded = agent_exclusions(&dataset, &settings.gem_rule);
    let is_excluded = |id: &str| excluded.contains(id);
    let all_rows: Vec<usize> = (0..dataset.len()).collect();
    let before_test: Vec<usize> = labelled
        .iter()
        .copied()
        .filter(|row| dataset.keys[*row].date < test_start - Duration::days(price_horizon))
        .collect();
    // The agent trains on predictions of a model fit before the test period
    // (in sample for its training days) and is backtested on the
    // walk-forward predictions, which are out of sample.
    let mut eval_predictions = fit_predict(
        &dataset,
        &before_test,
        &all_rows,
        Model::Price,
        price_params,
        settings,
    )?;
    for (row, value) in price_tested.iter().zip(&price_predicted) {
        eval_predictions[*row] = *value;
    }
    let eval_episodes = trading::build_episodes(
        histories,
        &trading::predictions_by_day(&dataset, &all_rows, &eval_predictions),
        &is_excluded,
    );
    match agent::train(&eval_episodes, test_start, &settings.agent) {
        Ok(eval_agent) => {
            report.backtest = Some(agent::backtest(&eval_agent, &eval_episodes, test_start))
        }
        Err(error) => report.agent_unavailable = Some(error.to_string()),
    }

    progress(6, STEPS, "fitting the final price model");
    let scaler = Scaler::fit(&dataset.gather(&labelled), dataset.columns);
    let (price, clipped) = fit_forest(
        &dataset,
        &labelled,
        &scaler,
        Model::Price,
        price_params,
        settings,
    )?;
    report.clipped_labels = clipped;

    progress(7, STEPS, "fitting the final gem detector");
    let gem = if report.has_gem_model() {
        let gems = gem_rows
            .iter()
            .filter(|row| dataset.gem[**row] == Some(true))
            .count();
        report.gem_base_rate = Some(gems as f64 / gem_rows.len().max(1) as f64);
        Some(
            fit_forest(
                &dataset,
                &gem_rows,
                &scaler,
                Model::Gem,
                gem_params,
                settings,
            )?
            .0,
        )
    } else {
        None
    };

    progress(8, STEPS, "training the final trading agent");
    let agent = if report.agent_unavailable.is_none() {
        let mut x = dataset.x.clone();
        scaler.transform(&mut x);
        let predictions: Vec<f64> = price
            .predict(&x)
            .map_err(|source| TrainError::Fit {
                model: "price model",
                source,
            })?
            .iter()
            .map(|p| p.mean)
            .collect();
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
        let until = last_day.map_or(NaiveDate::MAX, |last| last + Duration::days(1));
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

/// Forest being fit; the label and the error message depend on it.
#[derive(Clone, Copy)]
enum Model {
    Price,
    Gem,
}

impl Model {
    fn name(self) -> &'static str {
        match self {
            Model::Price => "price model",
            Model::Gem => "gem detector",
        }
    }
}

/// Fits a scaler and a forest on `train` rows and predicts `test` rows.
fn fit_predict(
    dataset: &Dataset,
    train: &[usize],
    test: &[usize],
    model: Model,
    params: ForestParams,
    settings: &TrainSettings,
) -> Result<Vec<f64>, TrainError> {
    let scaler = Scaler::fit(&dataset.gather(train), dataset.columns);
    let (forest, _) = fit_forest(dataset, train, &scaler, model, params, settings)?;
    let predictions = forest
        .predict(&scaled_rows(dataset, test, &scaler))
        .map_err(|source| TrainError::Fit {
            model: model.name(),
            source,
        })?;
    Ok(predictions.iter().map(|p| p.mean).collect())
}

/// Splits the rows before the test period into a training part and a
/// validation part (the last `test_fraction` of those days), with an
/// embargo of `horizon` days between them and before the test period.
fn validation_split(
    dataset: &Dataset,
    rows: &[usize],
    test_start: NaiveDate,
    horizon: i64,
    settings: &TrainSettings,
) -> (Vec<usize>, Vec<usize>) {
    let pre_test_end = test_start - Duration::days(horizon);
    let pre_test: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|row| dataset.keys[*row].date < pre_test_end)
        .collect();
    let dates = distinct_dates(dataset, &pre_test);
    let folds = evaluate::folds(&dates, settings.test_fraction, 1);
    evaluate::fold_rows(dataset, &pre_test, &folds, horizon)
        .pop()
        .map_or((Vec::new(), Vec::new()), |fold| (fold.train, fold.test))
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

/// Sorted distinct dates of `rows`.
fn distinct_dates(dataset: &Dataset, rows: &[usize]) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = rows.iter().map(|i| dataset.keys[*i].date).collect();
    dates.sort_unstable();
    dates.dedup();
    dates
}

fn scaled_rows(dataset: &Dataset, rows: &[usize], scaler: &Scaler) -> Vec<f64> {
    let mut x = dataset.gather(rows);
    scaler.transform(&mut x);
    x
}

/// Fits one forest on `rows` scaled by `scaler`, or on a seeded sample of
/// [`TrainSettings::max_fit_rows`] of them. The price label is clipped to
/// quantiles first; returns the forest and how many labels were clipped.
fn fit_forest(
    dataset: &Dataset,
    rows: &[usize],
    scaler: &Scaler,
    model: Model,
    params: ForestParams,
    settings: &TrainSettings,
) -> Result<(Forest, usize), TrainError> {
    let sample = sample_fit_rows(rows, settings.max_fit_rows, params.seed);
    let rows = sample.as_deref().unwrap_or(rows);
    let x = scaled_rows(dataset, rows, scaler);
    let (y, clipped) = match model {
        Model::Price => {
            let mut y: Vec<f64> = rows
                .iter()
                .map(|row| dataset.forward_return[*row])
                .collect();
            let clipped = clip_to_quantiles(&mut y, settings.label_clip_quantile);
            (y, clipped)
        }
        Model::Gem => {
            let y = rows
                .iter()
                .map(|row| f64::from(u8::from(dataset.gem[*row] == Some(true))))
                .collect();
            (y, 0)
        }
    };
    let forest =
        Forest::fit(&x, dataset.columns, &y, params).map_err(|source| TrainError::Fit {
            model: model.name(),
            source,
        })?;
    Ok((forest, clipped))
}

/// Returns `max` of `rows` drawn uniformly without replacement, in their
/// original order, or `None` when there are not more than `max` rows. Each
/// forest fit draws with its own seed; the benchmarks draw the same rows.
pub fn sample_fit_rows(rows: &[usize], max: usize, seed: u64) -> Option<Vec<usize>> {
    if rows.len() <= max.max(1) {
        return None;
    }
    let mut rng = agent::rng::SplitMix64::new(seed ^ 0x5A4D_504C_4552_5321);
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    // The first `max` steps of a Fisher-Yates shuffle pick a uniform subset.
    for i in 0..max.max(1) {
        let j = i + (rng.next_u64() % (rows.len() - i) as u64) as usize;
        positions.swap(i, j);
    }
    positions.truncate(max.max(1));
    positions.sort_unstable();
    Some(
        positions
            .into_iter()
            .map(|position| rows[position])
            .collect(),
    )
}

/// Clips values to the `quantile` and `1 - quantile` quantiles so a few
/// extreme returns do not dominate the squared-error fit; returns how many
/// values changed.
fn clip_to_quantiles(values: &mut [f64], quantile: f64) -> usize {
    if values.is_empty() || quantile <= 0.0 {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let low = sorted[((last as f64) * quantile).round() as usize];
    let high = sorted[((last as f64) * (1.0 - quantile)).round() as usize];
    let mut clipped = 0;
    for value in values {
        if *value < low || *value > high {
            clipped += 1;
            *value = value.clamp(low, high);
        }
    }
    clipped
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_bounds_outliers() {
        let mut values: Vec<f64> = (0..101).map(|i| i as f64).collect();
        values[100] = 1e9;
        assert_eq!(clip_to_quantiles(&mut values, 0.01), 2);
        assert_eq!(values[0], 1.0);
        assert_eq!(values[100], 99.0);
    }

    #[test]
    fn small_row_sets_are_not_sampled() {
        assert_eq!(sample_fit_rows(&[3, 5, 8], 3, 1), None);
        assert_eq!(sample_fit_rows(&[], 10, 1), None);
    }

    #[test]
    fn sample_is_a_uniform_ordered_subset() {
        let rows: Vec<usize> = (0..10_000).map(|i| i * 3).collect();
        let sample = sample_fit_rows(&rows, 1_000, 7).expect("more rows than the cap");
        assert_eq!(sample.len(), 1_000);
        assert!(sample.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(sample.iter().all(|row| row % 3 == 0 && *row < 30_000));
        assert_eq!(sample_fit_rows(&rows, 1_000, 7), Some(sample.clone()));
        assert_ne!(sample_fit_rows(&rows, 1_000, 8), Some(sample.clone()));
        // Each tenth of the rows gets about a tenth of the sample.
        for tenth in 0..10 {
            let inside = sample
                .iter()
                .filter(|row| (tenth * 3_000..(tenth + 1) * 3_000).contains(*row))
                .count();
            assert!((60..=140).contains(&inside), "tenth {tenth}: {inside}");
        }
    }

    #[test]
    fn random_baseline_is_uniform_enough() {
        let values = evaluate::seeded_uniform(10_000, 1);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
