//! Scores, ranks and gem flags from model predictions.

use crate::market::Coin;
use serde::Serialize;

/// One coin with its predictions and its place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredCoin {
    pub coin: Coin,
    /// Predicted return over the next 7 days as a fraction (0.05 = +5%).
    pub predicted_return_7d: Option<f64>,
    /// Standard deviation of the individual trees' predictions of that return.
    pub prediction_spread: Option<f64>,
    /// True when the coin's latest features lie outside the training range.
    pub out_of_range: bool,
    /// Probability in [0, 1] that the coin is a gem by the configured rule.
    pub gem_probability: Option<f64>,
    pub score: f64,
    /// 1-based rank by score.
    pub rank: usize,
    pub is_gem: bool,
    /// Why the coin has no prediction, when it has none.
    pub note: Option<String>,
}
