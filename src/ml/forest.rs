//! A random forest built from smartcore regression trees, trained on all
//! cores, that keeps each tree's prediction so the spread can be reported.
//!
//! smartcore's `RandomForestRegressor` only returns the mean over its trees,
//! so this forest holds many small smartcore forests ("members") with
//! distinct seeds. With one tree per member, the member predictions are the
//! individual tree predictions. The same forest serves the gem detector: a
//! regression tree on 0/1 labels picks the same splits as a two-class Gini
//! tree (squared error on a 0/1 target is proportional to Gini impurity) and
//! its leaf means are class frequencies, so the mean prediction is a
//! probability.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

type Member = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// Hyperparameters of a forest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    pub n_trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    /// Features tried per split; `None` means the square root of the feature count.
    pub max_features: Option<usize>,
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            max_depth: 10,
            min_samples_leaf: 5,
            max_features: None,
            seed: 7,
        }
    }
}

/// Errors from fitting or applying a forest.
#[derive(Debug, thiserror::Error)]
pub enum ForestError {
    #[error(
        "cannot train on {rows} rows of {columns} features: need at least 2 rows and 1 feature"
    )]
    TooLittleData { rows: usize, columns: usize },
    #[error("training data has {values} values, expected {rows} rows x {columns} features")]
    ShapeMismatch {
        values: usize,
        rows: usize,
        columns: usize,
    },
    #[error("a feature value or label is not finite; impute and clean the rows before fitting")]
    NotFinite,
    #[error("smartcore failed: {0}")]
    Smartcore(String),
}

/// A fitted forest.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forest {
    params: ForestParams,
    n_features: usize,
    members: Vec<Member>,
}

/// A forest's prediction for one row: the mean and the spread of its trees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreePrediction {
    pub mean: f64,
    /// Population standard deviation of the members' predictions.
    pub spread: f64,
}

impl Forest {
    /// Fits `params.n_trees` trees on row-major `x` (`rows` x `columns`) and
    /// labels `y`, spreading the trees over the available cores. Values must
    /// be finite: impute missing features before calling this.
    pub fn fit(
        x: &[f64],
        columns: usize,
        y: &[f64],
        params: ForestParams,
    ) -> Result<Self, ForestError> {
        let rows = y.len();
        if rows < 2 || columns == 0 {
            return Err(ForestError::TooLittleData { rows, columns });
        }
        if x.len() != rows * columns {
            return Err(ForestError::ShapeMismatch {
                values: x.len(),
                rows,
                columns,
            });
        }
        if !x.iter().chain(y).all(|value| value.is_finite()) {
            return Err(ForestError::NotFinite);
        }

        let matrix = DenseMatrix::new(rows, columns, x.to_vec(), false)
            .map_err(|error| ForestError::Smartcore(error.to_string()))?;
        let labels = y.to_vec();
        let n_trees = params.n_trees.max(1);
        let threads = std::thread::available_parallelism()
            .map(|count| count.get())
            .unwrap_or(1)
            .min(n_trees);

        // Thread t fits trees t, t + threads, t + 2 * threads, ... so the
        // result does not depend on the number of threads.
        let mut fitted: Vec<(usize, Member)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let matrix = &matrix;
                    let labels = &labels;
                    scope.spawn(move || {
                        (thread..n_trees)
                            .step_by(threads)
                            .map(|tree| fit_member(matrix, labels, params, tree).map(|m| (tree, m)))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(n_trees);
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| ForestError::Smartcore("a training thread panicked".into()))??;
                all.extend(part);
            }
            Ok::<_, ForestError>(all)
        })?;
        fitted.sort_by_key(|(tree, _)| *tree);

        Ok(Self {
            params,
            n_features: columns,
            members: fitted.into_iter().map(|(_, member)| member).collect(),
        })
    }

    pub fn params(&self) -> ForestParams {
        self.params
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Predicts every row of row-major `x`, returning the mean and spread per row.
    pub fn predict(&self, x: &[f64]) -> Result<Vec<TreePrediction>, ForestError> {
        let columns = self.n_features;
        if columns == 0 || x.len() % columns != 0 {
            return Err(ForestError::ShapeMismatch {
                values: x.len(),
                rows: x.len() / columns.max(1),
                columns,
            });
        }
        let rows = x.len() / columns;
        if rows == 0 {
            return Ok(Vec::new());
        }
        if !x.iter().all(|value| value.is_finite()) {
            return Err(ForestError::NotFinite);
        }

        let matrix = DenseMatrix::new(rows, columns, x.to_vec(), false)
            .map_err(|error| ForestError::Smartcore(error.to_string()))?;
        let mut sums = vec![0.0; rows];
        let mut squares = vec![0.0; rows];
        for member in &self.members {
            let predictions = member
                .predict(&matrix)
                .map_err(|error| ForestError::Smartcore(error.to_string()))?;
            for (row, value) in predictions.iter().enumerate() {
                sums[row] += value;
                squares[row] += value * value;
            }
        }

        let count = self.members.len() as f64;
        Ok(sums
            .iter()
            .zip(&squares)
            .map(|(sum, square)| {
                let mean = sum / count;
                let variance = (square / count - mean * mean).max(0.0);
                TreePrediction {
                    mean,
                    spread: variance.sqrt(),
                }
            })
            .collect())
    }
}

fn fit_member(
    matrix: &DenseMatrix<f64>,
    labels: &Vec<f64>,
    params: ForestParams,
    tree: usize,
) -> Result<Member, ForestError> {
    let columns = matrix_columns(matrix);
    let max_features = params
        .max_features
        .unwrap_or_else(|| (columns as f64).sqrt().floor().max(1.0) as usize)
        .clamp(1, columns);
    let member_params = RandomForestRegressorParameters::default()
        .with_n_trees(1)
        .with_max_depth(params.max_depth)
        .with_min_samples_leaf(params.min_samples_leaf.max(1))
        .with_min_samples_split((2 * params.min_samples_leaf).max(2))
        .with_m(max_features)
        .with_seed(
            params
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(tree as u64),
        );
    RandomForestRegressor::fit(matrix, labels, member_params)
        .map_err(|error| ForestError::Smartcore(error.to_string()))
}

fn matrix_columns(matrix: &DenseMatrix<f64>) -> usize {
    use smartcore::linalg::basic::arrays::Array;
    matrix.shape().1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of two features where the label is 1 exactly when x0 > 0.5.
    fn step_data(rows: usize) -> (Vec<f64>, Vec<f64>) {
        let mut x = Vec::with_capacity(rows * 2);
        let mut y = Vec::with_capacity(rows);
        for i in 0..rows {
            let x0 = (i as f64 * 0.618_033_988_7).fract();
            let x1 = (i as f64 * 0.414_213_562_3).fract();
            x.extend([x0, x1]);
            y.push(if x0 > 0.5 { 1.0 } else { 0.0 });
        }
        (x, y)
    }

    fn small_params() -> ForestParams {
        ForestParams {
            n_trees: 12,
            max_depth: 4,
            min_samples_leaf: 2,
            max_features: Some(2),
            seed: 1,
        }
    }

    #[test]
    fn learns_a_step_function() {
        let (x, y) = step_data(400);
        let forest = Forest::fit(&x, 2, &y, small_params()).unwrap();

        let predictions = forest.predict(&[0.9, 0.3, 0.1, 0.3]).unwrap();
        assert!(predictions[0].mean > 0.9, "{predictions:?}");
        assert!(predictions[1].mean < 0.1, "{predictions:?}");
    }

    #[test]
    fn classifier_output_is_a_probability() {
        let (x, y) = step_data(300);
        let forest = Forest::fit(&x, 2, &y, small_params()).unwrap();
        let grid: Vec<f64> = (0..50).flat_map(|i| [i as f64 / 49.0, 0.5]).collect();

        for prediction in forest.predict(&grid).unwrap() {
            assert!((0.0..=1.0).contains(&prediction.mean), "{prediction:?}");
        }
    }

    #[test]
    fn same_seed_gives_same_forest() {
        let (x, y) = step_data(200);
        let first = Forest::fit(&x, 2, &y, small_params()).unwrap();
        let second = Forest::fit(&x, 2, &y, small_params()).unwrap();
        let probe = [0.49, 0.2, 0.51, 0.7];
        assert_eq!(
            first.predict(&probe).unwrap(),
            second.predict(&probe).unwrap()
        );
    }

    #[test]
    fn spread_is_zero_when_labels_are_constant() {
        let (x, _) = step_data(100);
        let y = vec![0.25; 100];
        let forest = Forest::fit(&x, 2, &y, small_params()).unwrap();
        let prediction = forest.predict(&[0.3, 0.3]).unwrap()[0];
        assert!((prediction.mean - 0.25).abs() < 1e-12);
        assert!(prediction.spread < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        let (x, y) = step_data(10);
        assert!(matches!(
            Forest::fit(&x[..5], 2, &y, small_params()),
            Err(ForestError::ShapeMismatch { .. })
        ));
        let mut with_nan = x.clone();
        with_nan[3] = f64::NAN;
        assert!(matches!(
            Forest::fit(&with_nan, 2, &y, small_params()),
            Err(ForestError::NotFinite)
        ));
        assert!(matches!(
            Forest::fit(&x[..2], 2, &y[..1], small_params()),
            Err(ForestError::TooLittleData { .. })
        ));
    }
}
