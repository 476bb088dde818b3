//! Out-of-sample metrics for the price model and the gem detector.
//!
//! Every function takes aligned slices of predictions and actual values and
//! returns NaN when the metric is undefined (no rows, a single class).

use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Mean absolute error.
pub fn mae(predicted: &[f64], actual: &[f64]) -> f64 {
    if actual.is_empty() {
        return f64::NAN;
    }
    let total: f64 = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum();
    total / actual.len() as f64
}

/// Coefficient of determination against the mean of `actual`; 0 means no
/// better than predicting that mean, negative means worse.
pub fn r_squared(predicted: &[f64], actual: &[f64]) -> f64 {
    if actual.len() < 2 {
        return f64::NAN;
    }
    let mean = actual.iter().sum::<f64>() / actual.len() as f64;
    let residual: f64 = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (a - p).powi(2))
        .sum();
    let total: f64 = actual.iter().map(|a| (a - mean).powi(2)).sum();
    if total == 0.0 {
        return f64::NAN;
    }
    1.0 - residual / total
}

/// Share of rows where the predicted and actual signs agree; rows where
/// either is exactly zero are skipped.
pub fn direction_hit_rate(predicted: &[f64], actual: &[f64]) -> f64 {
    let mut hits = 0usize;
    let mut counted = 0usize;
    for (p, a) in predicted.iter().zip(actual) {
        if *p == 0.0 || *a == 0.0 {
            continue;
        }
        counted += 1;
        if p.signum() == a.signum() {
            hits += 1;
        }
    }
    if counted == 0 {
        f64::NAN
    } else {
        hits as f64 / counted as f64
    }
}

/// Mean over days of the Spearman rank correlation between predicted and
/// actual values across coins (the daily rank information coefficient).
/// Days with fewer than 3 coins are skipped.
pub fn mean_daily_rank_ic(dates: &[NaiveDate], predicted: &[f64], actual: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = predicted
        .iter()
        .copied()
        .zip(actual.iter().copied())
        .collect();
    mean_over_days(dates, &pairs, |day| {
        if day.len() < 3 {
            return f64::NAN;
        }
        let (p, a): (Vec<f64>, Vec<f64>) = day.iter().copied().unzip();
        spearman(&p, &a)
    })
}

/// Groups rows by date and averages `per_day` over the days where it is
/// finite; NaN when no day is.
fn mean_over_days<T: Copy>(dates: &[NaiveDate], rows: &[T], per_day: impl Fn(&[T]) -> f64) -> f64 {
    let mut by_day: BTreeMap<NaiveDate, Vec<T>> = BTreeMap::new();
    for (date, row) in dates.iter().zip(rows) {
        by_day.entry(*date).or_default().push(*row);
    }
    let daily: Vec<f64> = by_day
        .values()
        .map(|day| per_day(day))
        .filter(|value| value.is_finite())
        .collect();
    if daily.is_empty() {
        f64::NAN
    } else {
        daily.iter().sum::<f64>() / daily.len() as f64
    }
}

/// Spearman rank correlation with average ranks for ties.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&average_ranks(x), &average_ranks(y))
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return f64::NAN;
    }
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let mut covariance = 0.0;
    let mut var_x = 0.0;
    let mut var_y = 0.0;
    for (a, b) in x.iter().zip(y) {
        covariance += (a - mean_x) * (b - mean_y);
        var_x += (a - mean_x).powi(2);
        var_y += (b - mean_y).powi(2);
    }
    if var_x == 0.0 || var_y == 0.0 {
        return f64::NAN;
    }
    covariance / (var_x * var_y).sqrt()
}

/// 1-based ranks, ties sharing their average rank.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for index in &order[start..=end] {
            ranks[*index] = rank;
        }
        start = end + 1;
    }
    ranks
}

/// Area under the ROC curve: the probability that a random positive scores
/// above a random negative, ties counting half.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let positives = labels.iter().filter(|label| **label).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    let ranks = average_ranks(scores);
    let positive_rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, label)| **label)
        .map(|(rank, _)| rank)
        .sum();
    let positives = positives as f64;
    (positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives as f64)
}

/// Mean over days of the ROC-AUC among that day's coins, so telling good
/// days from bad ones earns nothing. Days with one class are skipped.
pub fn mean_daily_roc_auc(dates: &[NaiveDate], scores: &[f64], labels: &[bool]) -> f64 {
    let pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    mean_over_days(dates, &pairs, |day| {
        let (scores, labels): (Vec<f64>, Vec<bool>) = day.iter().copied().unzip();
        roc_auc(&scores, &labels)
    })
}

/// Mean over days of the share of gems among the `k` highest-scored coins of
/// that day. Days with fewer than `k` coins use all of them.
pub fn mean_daily_precision_at_k(
    dates: &[NaiveDate],
    scores: &[f64],
    labels: &[bool],
    k: usize,
) -> f64 {
    let pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    mean_over_days(dates, &pairs, |day| {
        let mut day = day.to_vec();
        day.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top = &day[..k.min(day.len())];
        top.iter().filter(|(_, label)| *label).count() as f64 / top.len() as f64
    })
}

/// Share of actual gems among the `n` highest scores, where `n` is the
/// number of actual gems: the recall (and precision) of a detector that
/// flags as many rows as there are gems. Ties are broken by row order.
pub fn recall_at_gem_count(scores: &[f64], labels: &[bool]) -> f64 {
    let positives = labels.iter().filter(|label| **label).count();
    if positives == 0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let found = order[..positives]
        .iter()
        .filter(|row| labels[**row])
        .count();
    found as f64 / positives as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 1, d).unwrap()
    }

    #[test]
    fn regression_metrics_on_known_values() {
        let actual = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mae(&[1.0, 2.0, 3.0, 5.0], &actual), 0.25);
        assert_eq!(r_squared(&actual, &actual), 1.0);
        assert_eq!(r_squared(&[2.5; 4], &actual), 0.0);
        assert_eq!(direction_hit_rate(&[1.0, -1.0, 0.0], &[2.0, 3.0, 1.0]), 0.5);
    }

    #[test]
    fn spearman_handles_ties_and_order() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(average_ranks(&[5.0, 1.0, 5.0]), vec![2.5, 1.0, 2.5]);
    }

    #[test]
    fn rank_ic_averages_days() {
        let dates = [day(1), day(1), day(1), day(2), day(2), day(2)];
        let predicted = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
        let actual = [1.0, 2.0, 3.0, 3.0, 2.0, 1.0];
        assert!(mean_daily_rank_ic(&dates, &predicted, &actual).abs() < 1e-12);
    }

    #[test]
    fn auc_of_perfect_random_and_inverted_scores() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), 1.0);
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), 0.0);
        assert_eq!(roc_auc(&[0.5; 4], &labels), 0.5);
        assert!(roc_auc(&[0.5; 2], &[true, true]).is_nan());
    }

    #[test]
    fn daily_auc_ignores_which_day_is_better() {
        // Day 1 has all the high scores and one gem. Within each day the
        // ranking is perfect, so the daily AUC is 1 and day effects add nothing.
        let dates = [day(1), day(1), day(2), day(2)];
        let scores = [0.9, 0.8, 0.2, 0.1];
        let labels = [true, false, true, false];
        assert_eq!(mean_daily_roc_auc(&dates, &scores, &labels), 1.0);
        assert_eq!(roc_auc(&scores, &labels), 0.75);
    }

    #[test]
    fn precision_at_k_per_day() {
        let dates = [day(1), day(1), day(1), day(2), day(2), day(2)];
        let scores = [0.9, 0.8, 0.1, 0.9, 0.8, 0.1];
        let labels = [true, false, false, false, false, true];
        assert_eq!(mean_daily_precision_at_k(&dates, &scores, &labels, 2), 0.25);
        assert_eq!(recall_at_gem_count(&scores, &labels), 0.5);
    }
}
