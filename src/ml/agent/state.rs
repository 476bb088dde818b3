//! Discretization of a day's indicators and the current position into one
//! of [`STATE_COUNT`] table states.
//!
//! Each indicator has an "unknown" bucket (index 0) for NaN values, so
//! warm-up days still map to a state instead of being dropped.

use super::episode::AgentStep;
use serde::{Deserialize, Serialize};

/// RSI(14) zones: unknown, below 30, 30 to 50, 50 to 70, 70 and above.
const RSI_BUCKETS: usize = 5;
/// MACD histogram: unknown, negative, zero or positive.
const MACD_BUCKETS: usize = 3;
/// Close against its 50-day SMA: unknown, below, at or above.
const TREND_BUCKETS: usize = 3;
/// Predicted 7-day return: unknown, below -2%, -2% to +2%, above +2%.
const PREDICTION_BUCKETS: usize = 4;
/// Predicted returns beyond this fraction, either way, leave the middle bucket.
const PREDICTION_BAND: f64 = 0.02;

/// Number of distinct states, the position included.
pub const STATE_COUNT: usize = RSI_BUCKETS * MACD_BUCKETS * TREND_BUCKETS * PREDICTION_BUCKETS * 2;

/// Position the agent takes from one day to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    HoldCash = 0,
    HoldCoin = 1,
}

impl Action {
    pub const ALL: [Action; 2] = [Action::HoldCash, Action::HoldCoin];

    pub fn from_position(in_position: bool) -> Self {
        if in_position {
            Action::HoldCoin
        } else {
            Action::HoldCash
        }
    }

    pub fn holds_coin(self) -> bool {
        self == Action::HoldCoin
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Index of the state for `step` when the agent enters the day holding the
/// coin (`in_position`) or cash.
pub fn state_index(step: &AgentStep, in_position: bool) -> usize {
    let mut index = rsi_bucket(step.rsi_14);
    index = index * MACD_BUCKETS + macd_bucket(step.macd_hist);
    index = index * TREND_BUCKETS + trend_bucket(step.close_over_sma_50);
    index = index * PREDICTION_BUCKETS + prediction_bucket(step.predicted_return_7d);
    index * 2 + usize::from(in_position)
}

fn rsi_bucket(rsi: f64) -> usize {
    if rsi.is_nan() {
        0
    } else if rsi < 30.0 {
        1
    } else if rsi < 50.0 {
        2
    } else if rsi < 70.0 {
        3
    } else {
        4
    }
}

fn macd_bucket(histogram: f64) -> usize {
    if histogram.is_nan() {
        0
    } else if histogram < 0.0 {
        1
    } else {
        2
    }
}

fn trend_bucket(close_over_sma: f64) -> usize {
    if close_over_sma.is_nan() {
        0
    } else if close_over_sma < 1.0 {
        1
    } else {
        2
    }
}

fn prediction_bucket(predicted: f64) -> usize {
    if predicted.is_nan() {
        0
    } else if predicted < -PREDICTION_BAND {
        1
    } else if predicted <= PREDICTION_BAND {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn step(rsi: f64, macd: f64, trend: f64, predicted: f64) -> AgentStep {
        AgentStep {
            date: NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
            rsi_14: rsi,
            macd_hist: macd,
            close_over_sma_50: trend,
            predicted_return_7d: predicted,
            log_return_next: 0.0,
        }
    }

    #[test]
    fn every_combination_gets_its_own_index() {
        let rsi = [f64::NAN, 10.0, 40.0, 60.0, 80.0];
        let macd = [f64::NAN, -1.0, 1.0];
        let trend = [f64::NAN, 0.9, 1.1];
        let predicted = [f64::NAN, -0.05, 0.0, 0.05];
        let mut seen = vec![false; STATE_COUNT];
        for r in rsi {
            for m in macd {
                for t in trend {
                    for p in predicted {
                        for position in [false, true] {
                            let index = state_index(&step(r, m, t, p), position);
                            assert!(!seen[index], "index {index} reused");
                            seen[index] = true;
                        }
                    }
                }
            }
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn bucket_edges() {
        assert_eq!(rsi_bucket(30.0), 2);
        assert_eq!(rsi_bucket(70.0), 4);
        assert_eq!(macd_bucket(0.0), 2);
        assert_eq!(trend_bucket(1.0), 2);
        assert_eq!(prediction_bucket(0.02), 2);
        assert_eq!(prediction_bucket(-0.0201), 1);
        assert_eq!(prediction_bucket(f64::NAN), 0);
    }
}
