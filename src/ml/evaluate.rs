//! Walk-forward evaluation: the test period is cut into consecutive folds,
//! and each fold is predicted by a model fit only on rows that end an
//! embargo before the fold starts (an expanding window).

use super::dataset::Dataset;
use super::metrics;
use super::{Baseline, Metric, ModelReport, TrainError};
use crate::features::Feature;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Out-of-sample R² above this suggests the features see the future: a
/// random forest on similar daily features scores about 0 out of sample.
const SUSPICIOUS_R_SQUARED: f64 = 0.05;
/// Out-of-sample ROC-AUC above this suggests the features see the future.
const SUSPICIOUS_AUC: f64 = 0.65;

/// One fold of the test period: days from `start` up to, not including, `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Cuts the last `test_fraction` of `dates` (sorted, distinct) into
/// `count` folds of about equal length. Returns no folds when there are too
/// few dates to keep any training days.
pub fn folds(dates: &[NaiveDate], test_fraction: f64, count: usize) -> Vec<Fold> {
    if dates.len() < 2 || count == 0 {
        return Vec::new();
    }
    let test_days = ((dates.len() as f64) * test_fraction.clamp(0.0, 1.0)).round() as usize;
    let test_days = test_days.clamp(1, dates.len() - 1);
    let count = count.min(test_days);
    let first = dates.len() - test_days;

    (0..count)
        .map(|fold| {
            let start = first + fold * test_days / count;
            let end = first + (fold + 1) * test_days / count;
            Fold {
                start: dates[start],
                end: dates
                    .get(end)
                    .copied()
                    .unwrap_or(dates[dates.len() - 1] + Duration::days(1)),
            }
        })
        .collect()
}

/// Rows of each fold with the rows its model may be trained on.
pub struct FoldRows {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Assigns `rows` to folds: a fold tests its own days and trains on rows
/// dated before `fold.start - embargo_days`. Folds without training or test
/// rows are left out.
pub fn fold_rows(
    dataset: &Dataset,
    rows: &[usize],
    folds: &[Fold],
    embargo_days: i64,
) -> Vec<FoldRows> {
    folds
        .iter()
        .map(|fold| {
            let train_end = fold.start - Duration::days(embargo_days);
            FoldRows {
                train: rows
                    .iter()
                    .copied()
                    .filter(|row| dataset.keys[*row].date < train_end)
                    .collect(),
                test: rows
                    .iter()
                    .copied()
                    .filter(|row| {
                        let date = dataset.keys[*row].date;
                        date >= fold.start && date < fold.end
                    })
                    .collect(),
            }
        })
        .filter(|fold| !fold.train.is_empty() && !fold.test.is_empty())
        .collect()
}

/// Runs `fit_predict(train, test)` on every fold and returns the test rows
/// with their out-of-sample predictions, in fold order.
pub fn walk_forward(
    dataset: &Dataset,
    rows: &[usize],
    folds: &[Fold],
    embargo_days: i64,
    mut fit_predict: impl FnMut(&[usize], &[usize]) -> Result<Vec<f64>, TrainError>,
) -> Result<(Vec<usize>, Vec<f64>), TrainError> {
    let mut tested = Vec::new();
    let mut predictions = Vec::new();
    for fold in fold_rows(dataset, rows, folds, embargo_days) {
        predictions.extend(fit_predict(&fold.train, &fold.test)?);
        tested.extend(fold.test);
    }
    Ok((tested, predictions))
}

/// Computes the price model's out-of-sample metrics on `test` rows next to
/// the zero-return and 7-day momentum baselines.
pub fn price_metrics(dataset: &Dataset, test: &[usize], predicted: &[f64]) -> Vec<Metric> {
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
        model: metric(predicted),
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
    vec![
        with_baselines("MAE", &|p| metrics::mae(p, &actual)),
        with_baselines("R²", &|p| metrics::r_squared(p, &actual)),
        with_baselines("direction hit rate", &|p| {
            metrics::direction_hit_rate(p, &actual)
        }),
        with_baselines("daily rank IC", &|p| {
            metrics::mean_daily_rank_ic(&dates, p, &actual)
        }),
    ]
}

/// Computes the gem detector's out-of-sample metrics on `test` rows next to
/// a constant base-rate score, a random ranking and a volatility ranking.
pub fn gem_metrics(dataset: &Dataset, test: &[usize], scores: &[f64]) -> Vec<Metric> {
    let labels: Vec<bool> = test.iter().map(|i| dataset.gem[*i] == Some(true)).collect();
    let dates: Vec<NaiveDate> = test.iter().map(|i| dataset.keys[*i].date).collect();
    let base_rate =
        labels.iter().filter(|label| **label).count() as f64 / labels.len().max(1) as f64;
    let constant = vec![base_rate; test.len()];
    let random = seeded_uniform(test.len(), 0x5eed);
    // Gems are large moves, which volatile coins make more often: this
    // baseline shows how much of the detector's ranking volatility alone gives.
    let volatility_column = Feature::Volatility30d.index();
    let volatility: Vec<f64> = test
        .iter()
        .map(|row| dataset.row(*row)[volatility_column])
        .map(|value| if value.is_finite() { value } else { 0.0 })
        .collect();

    let with_baselines = |name: &str, metric: &dyn Fn(&[f64]) -> f64| Metric {
        name: name.to_string(),
        model: metric(scores),
        baselines: vec![
            Baseline {
                name: "base rate".to_string(),
                value: metric(&constant),
            },
            Baseline {
                name: "random ranking".to_string(),
                value: metric(&random),
            },
            Baseline {
                name: "30-day volatility".to_string(),
                value: metric(&volatility),
            },
        ],
    };
    vec![
        with_baselines("ROC-AUC", &|s| metrics::roc_auc(s, &labels)),
        with_baselines("daily ROC-AUC", &|s| {
            metrics::mean_daily_roc_auc(&dates, s, &labels)
        }),
        with_baselines("precision@10", &|s| {
            metrics::mean_daily_precision_at_k(&dates, s, &labels, 10)
        }),
        with_baselines("recall@gem count", &|s| {
            metrics::recall_at_gem_count(s, &labels)
        }),
        Metric {
            name: "gem base rate".to_string(),
            model: base_rate,
            baselines: Vec::new(),
        },
    ]
}

/// Deterministic uniform values in [0, 1) from a 64-bit LCG, for the random-ranking baseline.
pub(crate) fn seeded_uniform(count: usize, seed: u64) -> Vec<f64> {
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

/// Flags out-of-sample results too good to be believed on daily crypto data.
pub fn leakage_warnings(report: &ModelReport) -> Vec<String> {
    let mut warnings = Vec::new();
    let find = |list: &[Metric], name: &str| list.iter().find(|m| m.name == name).map(|m| m.model);
    if let Some(r2) = find(&report.price_metrics, "R²").filter(|r2| *r2 > SUSPICIOUS_R_SQUARED) {
        warnings.push(format!(
            "price model R² {r2:.3} is above {SUSPICIOUS_R_SQUARED}: suspected leakage or a survivor-biased coin list; see \"What the models are worth\" in the README before trusting it"
        ));
    }
    if let Some(auc) = find(&report.gem_metrics, "ROC-AUC").filter(|auc| *auc > SUSPICIOUS_AUC) {
        warnings.push(format!(
            "gem detector ROC-AUC {auc:.3} is above {SUSPICIOUS_AUC}: suspected leakage or a survivor-biased coin list; see \"What the models are worth\" in the README before trusting it"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::dataset::RowKey;

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days(offset)
    }

    #[test]
    fn folds_cover_the_test_period_in_order() {
        let dates: Vec<NaiveDate> = (0..100).map(day).collect();
        let folds = folds(&dates, 0.2, 4);
        assert_eq!(folds.len(), 4);
        assert_eq!(folds[0].start, day(80));
        for pair in folds.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(folds[3].end, day(100));
    }

    #[test]
    fn each_fold_trains_only_before_its_embargo() {
        let dataset = Dataset {
            coins: vec!["coin".to_string()],
            keys: (0..100)
                .map(|d| RowKey {
                    coin: 0,
                    date: day(d),
                })
                .collect(),
            ..Dataset::default()
        };
        let rows: Vec<usize> = (0..100).collect();
        let dates: Vec<NaiveDate> = (0..100).map(day).collect();
        let folds = folds(&dates, 0.2, 4);

        let mut seen = Vec::new();
        walk_forward(&dataset, &rows, &folds, 7, |train, test| {
            let last_train = dataset.keys[*train.last().unwrap()].date;
            let first_test = dataset.keys[test[0]].date;
            assert!(
                last_train + Duration::days(7) < first_test,
                "{last_train} vs {first_test}"
            );
            seen.extend_from_slice(test);
            Ok(vec![0.0; test.len()])
        })
        .unwrap();
        assert_eq!(seen, (80..100).collect::<Vec<_>>());
    }
}
