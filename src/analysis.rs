//! Scores, ranks and gem flags from model predictions.
//!
//! The score is a 0–100 blend that a user can reproduce by hand. 70% is the
//! coin's percentile among all coins by predicted 7-day return, and 30% is
//! its gem probability (0 when it has none). The total is halved when the
//! coin's features lie outside what the models were trained on, because the
//! forest then extrapolates blindly.

use crate::market::Coin;
use crate::ml::agent::Signal;
use crate::ml::{CoinPrediction, Driver};
use serde::Serialize;
use std::collections::BTreeMap;

const RETURN_WEIGHT: f64 = 0.7;
const GEM_WEIGHT: f64 = 0.3;
const OUT_OF_RANGE_FACTOR: f64 = 0.5;

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
    /// The trading agent's advice for today, with how strongly it prefers it.
    pub signal: Option<Signal>,
    /// Reason for a missing prediction or gem probability.
    pub note: Option<String>,
    /// Features that move the predicted return most, largest effect first.
    pub drivers: Vec<Driver>,
}

impl ScoredCoin {
    /// Returns the score of a coin with a prediction. A coin without one has
    /// `score` 0 only so that it sorts last; it has no real score.
    pub fn real_score(&self) -> Option<f64> {
        self.predicted_return_7d.map(|_| self.score)
    }
}

/// Scores and ranks `coins`; a coin without a prediction ranks last with
/// score 0. A coin is flagged as a gem when its gem probability reaches
/// `gem_threshold`.
pub fn rank_coins(
    coins: &[Coin],
    predictions: &BTreeMap<String, Result<CoinPrediction, String>>,
    gem_threshold: f64,
) -> Vec<ScoredCoin> {
    let mut returns: Vec<f64> = predictions
        .values()
        .filter_map(|p| p.as_ref().ok())
        .map(|p| p.predicted_return)
        .filter(|value| value.is_finite())
        .collect();
    returns.sort_by(f64::total_cmp);

    let mut scored: Vec<ScoredCoin> = coins
        .iter()
        .map(|coin| match predictions.get(&coin.id) {
            Some(Ok(prediction)) => score_one(coin, prediction, &returns, gem_threshold),
            Some(Err(reason)) => unscored(coin, reason),
            None => unscored(coin, "no history to predict from"),
        })
        .collect();

    // Coins without a prediction go last; ties keep the source's market-cap order.
    scored.sort_by(|a, b| {
        let has_a = a.predicted_return_7d.is_some();
        let has_b = b.predicted_return_7d.is_some();
        has_b.cmp(&has_a).then(b.score.total_cmp(&a.score))
    });
    for (index, coin) in scored.iter_mut().enumerate() {
        coin.rank = index + 1;
    }
    scored
}

fn unscored(coin: &Coin, reason: &str) -> ScoredCoin {
    ScoredCoin {
        coin: coin.clone(),
        predicted_return_7d: None,
        prediction_spread: None,
        out_of_range: false,
        gem_probability: None,
        score: 0.0,
        rank: 0,
        is_gem: false,
        signal: None,
        note: Some(reason.to_string()),
        drivers: Vec::new(),
    }
}

fn score_one(
    coin: &Coin,
    prediction: &CoinPrediction,
    sorted_returns: &[f64],
    gem_threshold: f64,
) -> ScoredCoin {
    let percentile = percentile_of(sorted_returns, prediction.predicted_return);
    let gem = prediction.gem_probability.unwrap_or(0.0);
    let out_of_range = !prediction.out_of_range.is_empty();
    let mut score = 100.0 * (RETURN_WEIGHT * percentile + GEM_WEIGHT * gem);
    if out_of_range {
        score *= OUT_OF_RANGE_FACTOR;
    }

    ScoredCoin {
        coin: coin.clone(),
        predicted_return_7d: Some(prediction.predicted_return),
        prediction_spread: Some(prediction.spread),
        out_of_range,
        gem_probability: prediction.gem_probability,
        score,
        rank: 0,
        is_gem: prediction
            .gem_probability
            .is_some_and(|probability| probability >= gem_threshold),
        signal: prediction.signal,
        note: prediction.gem_note.clone(),
        drivers: prediction.drivers.clone(),
    }
}

/// Share of values at or below `value`, in [0, 1]; ties count half.
fn percentile_of(sorted: &[f64], value: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|x| *x < value);
    let at_or_below = sorted.partition_point(|x| *x <= value);
    (below as f64 + (at_or_below - below) as f64 / 2.0) / sorted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn coin(id: &str) -> Coin {
        Coin {
            id: id.to_string(),
            symbol: id[..3].to_string(),
            name: id.to_string(),
            ..Coin::default()
        }
    }

    fn prediction(predicted_return: f64, gem: Option<f64>) -> CoinPrediction {
        CoinPrediction {
            date: NaiveDate::from_ymd_opt(2021, 7, 6).unwrap(),
            predicted_return,
            spread: 0.01,
            out_of_range: Vec::new(),
            gem_probability: gem,
            gem_note: None,
            signal: None,
            drivers: Vec::new(),
        }
    }

    #[test]
    fn ranks_by_score_and_flags_gems() {
        let coins = [
            coin("bitcoin"),
            coin("solana"),
            coin("dogecoin"),
            coin("tether"),
            coin("unknown"),
        ];
        let predictions = BTreeMap::from([
            ("bitcoin".to_string(), Ok(prediction(0.01, None))),
            ("solana".to_string(), Ok(prediction(0.05, Some(0.8)))),
            ("dogecoin".to_string(), Ok(prediction(-0.02, Some(0.1)))),
            (
                "tether".to_string(),
                Err("USD-pegged stablecoin: no prediction".to_string()),
            ),
        ]);

        let ranked = rank_coins(&coins, &predictions, 0.5);
        let order: Vec<&str> = ranked.iter().map(|s| s.coin.id.as_str()).collect();
        assert_eq!(
            order,
            ["solana", "bitcoin", "dogecoin", "tether", "unknown"]
        );
        assert_eq!(
            ranked[3].note.as_deref(),
            Some("USD-pegged stablecoin: no prediction")
        );
        assert_eq!(ranked[0].rank, 1);
        assert!(ranked[0].is_gem);
        assert!(!ranked[2].is_gem);
        assert_eq!(ranked[4].score, 0.0);
        assert_eq!(ranked[4].real_score(), None);
        assert_eq!(ranked[0].real_score(), Some(ranked[0].score));
        assert!(ranked[4].note.is_some());
    }

    #[test]
    fn out_of_range_halves_the_score() {
        let coins = [coin("bitcoin")];
        let mut flagged = prediction(0.01, None);
        flagged.out_of_range = vec!["rsi_14".to_string()];
        let normal = rank_coins(
            &coins,
            &BTreeMap::from([("bitcoin".into(), Ok(prediction(0.01, None)))]),
            0.5,
        );
        let halved = rank_coins(
            &coins,
            &BTreeMap::from([("bitcoin".into(), Ok(flagged))]),
            0.5,
        );
        assert!((halved[0].score - normal[0].score / 2.0).abs() < 1e-12);
        assert!(halved[0].out_of_range);
    }

    #[test]
    fn percentile_counts_ties_half() {
        let sorted = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(percentile_of(&sorted, 2.0), 0.5);
        assert_eq!(percentile_of(&sorted, 0.0), 0.0);
        assert_eq!(percentile_of(&sorted, 9.0), 1.0);
    }
}
