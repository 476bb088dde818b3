//! Per-coin attribution of a forest prediction to its features.
//!
//! A feature's effect is how much the forest's mean prediction drops when
//! that one feature is replaced by its training median and the others stay
//! as they are. This is a one-at-a-time ablation, not a Shapley value:
//! effects of correlated features overlap and need not sum to the
//! prediction. It costs one forest pass per feature, so about
//! features × trees tree walks per coin.

use super::forest::{Forest, ForestError};
use super::scaler::Scaler;
use serde::Serialize;

/// One feature's contribution to a coin's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    pub feature: String,
    /// The coin's raw value of the feature; NaN when it is missing (the
    /// model then sees the training median, so the effect is 0).
    pub value: f64,
    /// Prediction minus the prediction with this feature at its training
    /// median, in the model's unit (a fraction for the 7-day return).
    pub effect: f64,
}

/// Returns the `top` features with the largest absolute effect on the
/// forest's prediction for one row, largest first. `raw` is the unscaled
/// row and `scaled` the same row after `scaler.transform`. Features whose
/// effect is exactly 0 are left out.
pub fn top_drivers(
    forest: &Forest,
    scaler: &Scaler,
    raw: &[f64],
    scaled: &[f64],
    names: &[&str],
    top: usize,
) -> Result<Vec<Driver>, ForestError> {
    let columns = scaled.len();
    let base = forest.predict(scaled)?[0].mean;

    let mut ablated = Vec::with_capacity(columns * columns);
    for feature in 0..columns {
        let mut row = scaled.to_vec();
        row[feature] = scaled_median(scaler, feature);
        ablated.extend_from_slice(&row);
    }
    let predictions = forest.predict(&ablated)?;

    let mut drivers: Vec<Driver> = predictions
        .iter()
        .enumerate()
        .map(|(feature, prediction)| Driver {
            feature: names
                .get(feature)
                .map_or_else(|| format!("feature {feature}"), |name| (*name).to_string()),
            value: raw.get(feature).copied().unwrap_or(f64::NAN),
            effect: base - prediction.mean,
        })
        .filter(|driver| driver.effect != 0.0)
        .collect();
    drivers.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
    drivers.truncate(top);
    Ok(drivers)
}

/// The training median of `feature` in scaled units.
fn scaled_median(scaler: &Scaler, feature: usize) -> f64 {
    (scaler.medians[feature] - scaler.means[feature]) / scaler.std_devs[feature]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::ForestParams;

    /// Rows where the label is 10 × feature 0 and feature 1 is noise-free
    /// but unused, so feature 0 must be the only driver.
    fn fitted() -> (Forest, Scaler, Vec<f64>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let signal = (i % 20) as f64;
            let unused = ((i * 7) % 13) as f64;
            x.extend_from_slice(&[signal, unused]);
            y.push(10.0 * signal);
        }
        let scaler = Scaler::fit(&x, 2);
        let mut scaled = x.clone();
        scaler.transform(&mut scaled);
        let params = ForestParams {
            n_trees: 10,
            max_depth: 6,
            min_samples_leaf: 1,
            max_features: Some(2),
            seed: 3,
        };
        let forest = Forest::fit(&scaled, 2, &y, params).unwrap();
        (forest, scaler, x)
    }

    #[test]
    fn signal_feature_leads() {
        let (forest, scaler, _) = fitted();
        let raw = [19.0, 5.0];
        let mut scaled = raw.to_vec();
        scaler.transform(&mut scaled);
        let drivers =
            top_drivers(&forest, &scaler, &raw, &scaled, &["signal", "unused"], 6).unwrap();
        assert_eq!(drivers[0].feature, "signal");
        assert_eq!(drivers[0].value, 19.0);
        // The median of 0..20 is 9.5, so the label moves by about 10 × 9.5.
        assert!(drivers[0].effect > 50.0, "effect {}", drivers[0].effect);
        assert!(drivers
            .iter()
            .all(|d| d.feature != "unused" || d.effect.abs() < 1.0));
    }

    #[test]
    fn missing_value_has_no_effect() {
        let (forest, scaler, _) = fitted();
        let raw = [f64::NAN, 5.0];
        let mut scaled = raw.to_vec();
        scaler.transform(&mut scaled);
        let drivers =
            top_drivers(&forest, &scaler, &raw, &scaled, &["signal", "unused"], 6).unwrap();
        assert!(drivers.iter().all(|d| d.feature != "signal"));
    }

    #[test]
    fn top_limits_the_list() {
        let (forest, scaler, _) = fitted();
        let raw = [0.0, 12.0];
        let mut scaled = raw.to_vec();
        scaler.transform(&mut scaled);
        let drivers = top_drivers(&forest, &scaler, &raw, &scaled, &["a", "b"], 1).unwrap();
        assert!(drivers.len() <= 1);
    }
}
