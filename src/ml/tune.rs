//! A small hyperparameter grid chosen on a validation period that ends an
//! embargo before the test period, so the choice never uses test days.

use super::forest::ForestParams;
use super::TrainError;
use serde::{Deserialize, Serialize};

/// Depths and leaf sizes tried; the tree count is the configured one.
const DEPTHS: [u16; 3] = [6, 10, 14];
const MIN_LEAF_SIZES: [usize; 2] = [5, 25];

/// One grid point and its validation score (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    #[serde(with = "super::nan_as_null")]
    pub score: f64,
}

/// The grid's result: every point, and the parameters chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// Name of the score, such as "validation daily rank IC".
    pub objective: String,
    pub points: Vec<GridPoint>,
    pub chosen: ForestParams,
}

/// Scores every grid point with `score(params)` and keeps the best. A point
/// whose score is NaN never wins, and when all are NaN `base` is kept.
/// Grid points are scored with half the trees (at least 10) to save time,
/// because more trees average the same splits and change the depth choice
/// little. The chosen parameters keep `base.n_trees`.
pub fn choose(
    base: ForestParams,
    objective: &str,
    mut score: impl FnMut(ForestParams) -> Result<f64, TrainError>,
) -> Result<Tuning, TrainError> {
    let mut points = Vec::new();
    let mut chosen = base;
    let mut best = f64::NEG_INFINITY;
    for max_depth in DEPTHS {
        for min_samples_leaf in MIN_LEAF_SIZES {
            let params = ForestParams {
                max_depth,
                min_samples_leaf,
                ..base
            };
            let value = score(ForestParams {
                n_trees: (base.n_trees / 2).max(10),
                ..params
            })?;
            points.push(GridPoint {
                max_depth,
                min_samples_leaf,
                score: value,
            });
            if value > best {
                best = value;
                chosen = params;
            }
        }
    }
    Ok(Tuning {
        objective: objective.to_string(),
        points,
        chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_best_point_and_skips_nan() {
        let tuning = choose(ForestParams::default(), "test", |params| {
            Ok(match (params.max_depth, params.min_samples_leaf) {
                (10, 25) => 0.3,
                (14, 5) => f64::NAN,
                _ => 0.1,
            })
        })
        .unwrap();
        assert_eq!(tuning.points.len(), 6);
        assert_eq!(tuning.chosen.max_depth, 10);
        assert_eq!(tuning.chosen.min_samples_leaf, 25);
        assert_eq!(tuning.chosen.n_trees, ForestParams::default().n_trees);
    }

    #[test]
    fn all_nan_keeps_the_base() {
        let base = ForestParams {
            max_depth: 8,
            ..ForestParams::default()
        };
        let tuning = choose(base, "test", |_| Ok(f64::NAN)).unwrap();
        assert_eq!(tuning.chosen, base);
    }
}
