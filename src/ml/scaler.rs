//! Median imputation and standard scaling, fit on training rows only.

use serde::{Deserialize, Serialize};

/// Per-feature statistics of the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Median of the finite training values; replaces NaN before scaling.
    pub medians: Vec<f64>,
    pub means: Vec<f64>,
    /// Population standard deviation after imputation; 1 where it is 0.
    pub std_devs: Vec<f64>,
    /// Smallest and largest finite training value, for the out-of-range flag.
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl Scaler {
    /// Fits on row-major `x` with `columns` features. A column with no finite
    /// value gets median 0 and scale 1, so it becomes a constant 0.
    pub fn fit(x: &[f64], columns: usize) -> Self {
        let rows = x.len().checked_div(columns).unwrap_or(0);
        let mut scaler = Self {
            medians: vec![0.0; columns],
            means: vec![0.0; columns],
            std_devs: vec![1.0; columns],
            min: vec![f64::NAN; columns],
            max: vec![f64::NAN; columns],
        };

        let mut column = Vec::with_capacity(rows);
        for feature in 0..columns {
            column.clear();
            column.extend(
                (0..rows)
                    .map(|row| x[row * columns + feature])
                    .filter(|value| value.is_finite()),
            );
            if column.is_empty() {
                continue;
            }
            column.sort_by(f64::total_cmp);
            let median = median_of_sorted(&column);
            scaler.medians[feature] = median;
            scaler.min[feature] = column[0];
            scaler.max[feature] = column[column.len() - 1];

            // Statistics after imputation: missing rows count as the median.
            let missing = (rows - column.len()) as f64;
            let sum: f64 = column.iter().sum::<f64>() + missing * median;
            let mean = sum / rows as f64;
            let squares: f64 = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                + missing * (median - mean).powi(2);
            let std_dev = (squares / rows as f64).sqrt();
            scaler.means[feature] = mean;
            scaler.std_devs[feature] = if std_dev > 0.0 && std_dev.is_finite() {
                std_dev
            } else {
                1.0
            };
        }
        scaler
    }

    pub fn columns(&self) -> usize {
        self.medians.len()
    }

    /// Imputes and scales row-major `x` in place.
    pub fn transform(&self, x: &mut [f64]) {
        let columns = self.columns();
        if columns == 0 {
            return;
        }
        for row in x.chunks_mut(columns) {
            for (feature, value) in row.iter_mut().enumerate() {
                let raw = if value.is_finite() {
                    *value
                } else {
                    self.medians[feature]
                };
                *value = (raw - self.means[feature]) / self.std_devs[feature];
            }
        }
    }

    /// Names the features of one raw row that lie outside the training range.
    pub fn out_of_range<'a>(&self, row: &[f64], names: &[&'a str]) -> Vec<&'a str> {
        row.iter()
            .enumerate()
            .filter(|(feature, value)| {
                value.is_finite()
                    && self.min[*feature].is_finite()
                    && (**value < self.min[*feature] || **value > self.max[*feature])
            })
            .filter_map(|(feature, _)| names.get(feature).copied())
            .collect()
    }
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imputes_with_training_median() {
        let x = [1.0, 10.0, 2.0, f64::NAN, 3.0, 30.0, f64::NAN, 20.0];
        let scaler = Scaler::fit(&x, 2);
        assert_eq!(scaler.medians, vec![2.0, 20.0]);

        let mut row = [f64::NAN, f64::NAN];
        scaler.transform(&mut row);
        let expected0 = (2.0 - scaler.means[0]) / scaler.std_devs[0];
        assert!((row[0] - expected0).abs() < 1e-12);
    }

    #[test]
    fn scaled_training_column_has_zero_mean_unit_variance() {
        let x: Vec<f64> = (0..100).map(|i| i as f64 * 3.0 + 7.0).collect();
        let scaler = Scaler::fit(&x, 1);
        let mut scaled = x.clone();
        scaler.transform(&mut scaled);
        let mean: f64 = scaled.iter().sum::<f64>() / 100.0;
        let variance: f64 = scaled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 100.0;
        assert!(mean.abs() < 1e-12);
        assert!((variance - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_and_empty_columns_stay_finite() {
        let x = [5.0, f64::NAN, 5.0, f64::NAN];
        let scaler = Scaler::fit(&x, 2);
        let mut row = [5.0, f64::NAN];
        scaler.transform(&mut row);
        assert_eq!(row, [0.0, 0.0]);
    }

    #[test]
    fn flags_values_outside_training_range() {
        let x = [0.0, 1.0, 10.0, 2.0];
        let scaler = Scaler::fit(&x, 2);
        let names = ["rsi_14", "volatility_30d"];
        assert_eq!(scaler.out_of_range(&[5.0, 1.5], &names), Vec::<&str>::new());
        assert_eq!(scaler.out_of_range(&[11.0, 1.5], &names), vec!["rsi_14"]);
        assert_eq!(
            scaler.out_of_range(&[f64::NAN, 0.5], &names),
            vec!["volatility_30d"]
        );
    }
}
