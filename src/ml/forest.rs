//! A random forest whose trees are grown by smartcore and then copied into
//! plain node arrays, so each tree's prediction is available (for the
//! spread) and the trees can be saved and exported.
//!
//! smartcore's `RandomForestRegressor` only returns the mean over its trees
//! and keeps the trees private. Its serde form does expose them, so after
//! fitting, each smartcore forest is serialized once and its trees are read
//! into [`Tree`]s; a test checks that these give exactly smartcore's
//! predictions. Trees are grown in fixed chunks with their own seeds, spread
//! over the cores, so the result does not depend on the core count.
//!
//! The same forest serves the gem detector: a regression tree on 0/1 labels
//! picks the same splits as a two-class Gini tree (squared error on a 0/1
//! target is proportional to Gini impurity) and its leaf means are class
//! frequencies, so the mean prediction is a probability.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

type SmartForest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// Trees grown by one smartcore call. smartcore sorts every feature column
/// once per call, so larger chunks spend less time sorting.
const TREES_PER_CHUNK: usize = 25;

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
    #[error("tree {tree} is malformed: {message}")]
    MalformedTree { tree: usize, message: String },
}

/// One node of a binary tree. A leaf has `left == 0` (the root is never a
/// child); an inner node sends a row left when `row[feature] <= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    /// Mean label of the training rows that reached this node.
    pub value: f64,
}

/// A regression tree as a node array, root first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// Follows `row` from the root to its leaf and returns the leaf value.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut index = 0usize;
        loop {
            let node = &self.nodes[index];
            if node.left == 0 {
                return node.value;
            }
            index = if row[node.feature as usize] <= node.threshold {
                node.left as usize
            } else {
                node.right as usize
            };
        }
    }
}

/// A fitted forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    params: ForestParams,
    n_features: usize,
    trees: Vec<Tree>,
}

/// A forest's prediction for one row: the mean and the spread of its trees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreePrediction {
    pub mean: f64,
    /// Population standard deviation of the trees' predictions.
    pub spread: f64,
}

impl Forest {
    /// Fits `params.n_trees` trees on row-major `x` (`rows` x `columns`) and
    /// labels `y`, spreading the work over the available cores. Values must
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
        let chunks: Vec<(usize, usize)> = (0..n_trees)
            .step_by(TREES_PER_CHUNK)
            .enumerate()
            .map(|(chunk, first)| (chunk, TREES_PER_CHUNK.min(n_trees - first)))
            .collect();
        let threads = std::thread::available_parallelism()
            .map(|count| count.get())
            .unwrap_or(1)
            .min(chunks.len());

        // Thread t grows chunks t, t + threads, ...; results are put back in chunk order.
        let mut grown: Vec<(usize, Vec<Tree>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let (matrix, labels, chunks) = (&matrix, &labels, &chunks);
                    scope.spawn(move || {
                        chunks
                            .iter()
                            .skip(thread)
                            .step_by(threads)
                            .map(|&(chunk, size)| {
                                grow_chunk(matrix, labels, columns, params, chunk, size)
                                    .map(|trees| (chunk, trees))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(chunks.len());
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| ForestError::Smartcore("a training thread panicked".into()))??;
                all.extend(part);
            }
            Ok::<_, ForestError>(all)
        })?;
        grown.sort_by_key(|(chunk, _)| *chunk);

        Ok(Self {
            params,
            n_features: columns,
            trees: grown.into_iter().flat_map(|(_, trees)| trees).collect(),
        })
    }

    pub fn params(&self) -> ForestParams {
        self.params
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Checks the structure prediction relies on, for a forest read from disk.
    /// The forest needs at least one tree and no tree may be empty. Every
    /// child index must lie after its parent and inside the node array, so a
    /// walk always ends at a leaf. Every split feature must be below `n_features`.
    pub fn validate(&self) -> Result<(), ForestError> {
        let malformed = |tree: usize, message: String| ForestError::MalformedTree { tree, message };
        if self.trees.is_empty() {
            return Err(malformed(0, "the forest has no trees".to_string()));
        }
        for (tree_index, tree) in self.trees.iter().enumerate() {
            let count = tree.nodes.len();
            if count == 0 {
                return Err(malformed(tree_index, "no nodes".to_string()));
            }
            for (index, node) in tree.nodes.iter().enumerate() {
                if node.left == 0 {
                    continue;
                }
                let (left, right) = (node.left as usize, node.right as usize);
                if left <= index || right <= index || left >= count || right >= count {
                    return Err(malformed(
                        tree_index,
                        format!("node {index} has children {left} and {right} of {count} nodes"),
                    ));
                }
                if node.feature as usize >= self.n_features {
                    return Err(malformed(
                        tree_index,
                        format!(
                            "node {index} splits on feature {} of {}",
                            node.feature, self.n_features
                        ),
                    ));
                }
            }
        }
        Ok(())
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
        if !x.iter().all(|value| value.is_finite()) {
            return Err(ForestError::NotFinite);
        }

        let count = self.trees.len() as f64;
        Ok(x.chunks(columns)
            .map(|row| {
                let (sum, squares) = self.trees.iter().fold((0.0, 0.0), |(sum, squares), tree| {
                    let value = tree.predict_row(row);
                    (sum + value, squares + value * value)
                });
                let mean = sum / count;
                TreePrediction {
                    mean,
                    spread: (squares / count - mean * mean).max(0.0).sqrt(),
                }
            })
            .collect())
    }
}

/// Grows `size` trees with smartcore and copies them out.
fn grow_chunk(
    matrix: &DenseMatrix<f64>,
    labels: &Vec<f64>,
    columns: usize,
    params: ForestParams,
    chunk: usize,
    size: usize,
) -> Result<Vec<Tree>, ForestError> {
    let max_features = params
        .max_features
        .unwrap_or_else(|| (columns as f64).sqrt().floor().max(1.0) as usize)
        .clamp(1, columns);
    let chunk_params = RandomForestRegressorParameters::default()
        .with_n_trees(size)
        .with_max_depth(params.max_depth)
        .with_min_samples_leaf(params.min_samples_leaf.max(1))
        .with_min_samples_split((2 * params.min_samples_leaf).max(2))
        .with_m(max_features)
        .with_seed(
            params
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(chunk as u64),
        );
    let forest = RandomForestRegressor::fit(matrix, labels, chunk_params)
        .map_err(|error| ForestError::Smartcore(error.to_string()))?;
    trees_of(&forest, columns)
}

/// The parts of smartcore 0.7's serde form of a regression forest that hold
/// the trees; other fields are ignored.
mod smartcore_form {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Forest {
        pub forest_regressor: Option<BaseForest>,
    }

    #[derive(Deserialize)]
    pub struct BaseForest {
        pub trees: Option<Vec<Tree>>,
    }

    #[derive(Deserialize)]
    pub struct Tree {
        pub nodes: Vec<Node>,
    }

    #[derive(Deserialize)]
    pub struct Node {
        pub output: f64,
        pub split_feature: usize,
        pub split_value: Option<f64>,
        pub true_child: Option<usize>,
        pub false_child: Option<usize>,
    }
}

/// Reads the trees out of a fitted smartcore forest through its serde form,
/// checking every child index and split feature.
fn trees_of(forest: &SmartForest, columns: usize) -> Result<Vec<Tree>, ForestError> {
    let malformed = |tree: usize, message: String| ForestError::MalformedTree { tree, message };
    let value = serde_json::to_value(forest).map_err(|error| malformed(0, error.to_string()))?;
    let parsed: smartcore_form::Forest =
        serde_json::from_value(value).map_err(|error| malformed(0, error.to_string()))?;
    let smart_trees = parsed
        .forest_regressor
        .and_then(|base| base.trees)
        .ok_or_else(|| malformed(0, "the fitted forest has no trees".to_string()))?;

    let mut trees = Vec::with_capacity(smart_trees.len());
    for (tree_index, smart) in smart_trees.into_iter().enumerate() {
        let node_count = smart.nodes.len();
        if node_count == 0 {
            return Err(malformed(tree_index, "no nodes".to_string()));
        }
        let mut nodes = Vec::with_capacity(node_count);
        for (node_index, node) in smart.nodes.into_iter().enumerate() {
            let converted = match (node.true_child, node.false_child) {
                (None, _) => Node {
                    feature: 0,
                    threshold: f64::NAN,
                    left: 0,
                    right: 0,
                    value: node.output,
                },
                (Some(left), Some(right))
                    if left > node_index
                        && right > node_index
                        && left < node_count
                        && right < node_count =>
                {
                    if node.split_feature >= columns {
                        return Err(malformed(
                            tree_index,
                            format!("node {node_index} splits on feature {}", node.split_feature),
                        ));
                    }
                    Node {
                        feature: node.split_feature as u32,
                        // smartcore sends a row to the true child when x <= split, and a
                        // missing split value compares false, as NaN does here.
                        threshold: node.split_value.unwrap_or(f64::NAN),
                        left: left as u32,
                        right: right as u32,
                        value: node.output,
                    }
                }
                _ => {
                    return Err(malformed(
                        tree_index,
                        format!("node {node_index} has invalid children"),
                    ));
                }
            };
            nodes.push(converted);
        }
        trees.push(Tree { nodes });
    }
    Ok(trees)
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
    fn copied_trees_predict_exactly_like_smartcore() {
        let (x, y) = step_data(300);
        let noisy: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + (i % 7) as f64 * 0.01)
            .collect();
        let matrix = DenseMatrix::new(300, 2, x.clone(), false).unwrap();
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(5)
            .with_max_depth(6)
            .with_m(1)
            .with_seed(3);
        let smart = RandomForestRegressor::fit(&matrix, &noisy, params).unwrap();
        let trees = trees_of(&smart, 2).unwrap();
        assert_eq!(trees.len(), 5);

        let expected = smart.predict(&matrix).unwrap();
        for (row, want) in x.chunks(2).zip(&expected) {
            let mean = trees.iter().map(|tree| tree.predict_row(row)).sum::<f64>() / 5.0;
            assert!((mean - want).abs() < 1e-12, "{mean} vs {want}");
        }
    }

    #[test]
    fn result_does_not_depend_on_chunking_by_thread() {
        let (x, y) = step_data(200);
        let params = ForestParams {
            n_trees: 60,
            ..small_params()
        };
        let forest = Forest::fit(&x, 2, &y, params).unwrap();
        assert_eq!(forest.trees().len(), 60);
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
