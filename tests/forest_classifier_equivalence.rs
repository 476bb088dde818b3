//! The gem detector is a regression forest on 0/1 labels. This checks that
//! a regression tree on such labels splits as a two-class Gini tree does,
//! so its leaf means are the class frequencies a classifier would vote on:
//! squared error on a 0/1 target is proportional to Gini impurity.

use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters, SplitCriterion,
};
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

/// Rows of four continuous features with a noisy, non-linear class rule.
fn noisy_classes(rows: usize) -> (Vec<Vec<f64>>, Vec<u32>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(rows);
    let mut y = Vec::with_capacity(rows);
    for _ in 0..rows {
        let row: Vec<f64> = (0..4).map(|_| uniform()).collect();
        let signal = row[0] * row[1] + 0.3 * row[2] - 0.2;
        let label = u32::from(signal + 0.3 * (uniform() - 0.5) > 0.25);
        x.push(row);
        y.push(label);
    }
    (x, y)
}

#[test]
fn regression_tree_on_labels_matches_gini_tree() {
    let (rows, labels) = noisy_classes(2_000);
    let matrix = DenseMatrix::from_2d_vec(&rows).unwrap();
    let targets: Vec<f64> = labels.iter().map(|label| f64::from(*label)).collect();

    for depth in [2u16, 4, 6] {
        let classifier = DecisionTreeClassifier::fit(
            &matrix,
            &labels,
            DecisionTreeClassifierParameters::default()
                .with_criterion(SplitCriterion::Gini)
                .with_max_depth(depth),
        )
        .unwrap();
        let regressor = DecisionTreeRegressor::fit(
            &matrix,
            &targets,
            DecisionTreeRegressorParameters::default().with_max_depth(depth),
        )
        .unwrap();

        let votes: Vec<u32> = classifier.predict(&matrix).unwrap();
        let means: Vec<f64> = regressor.predict(&matrix).unwrap();
        // A leaf mean of exactly 0.5 is a tie the classifier breaks its own way.
        let compared: Vec<(u32, f64)> = votes
            .iter()
            .zip(&means)
            .filter(|(_, mean)| (**mean - 0.5).abs() > 1e-12)
            .map(|(vote, mean)| (*vote, *mean))
            .collect();
        let agree = compared
            .iter()
            .filter(|(vote, mean)| *vote == u32::from(*mean > 0.5))
            .count();
        assert!(compared.len() > 1_900, "depth {depth}: too many ties");
        assert_eq!(
            agree,
            compared.len(),
            "depth {depth}: the regression tree's majority differs from the Gini tree's vote"
        );
        assert!(means.iter().all(|mean| (0.0..=1.0).contains(mean)));
    }
}
