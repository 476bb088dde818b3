//! Connects the trading agent to the rest of the pipeline: episodes built
//! from histories and price-model predictions, and today's signal per coin.

use super::agent::{episode_from_series, Episode, QAgent, Signal};
use super::dataset::Dataset;
use crate::features::indicators::{macd, rsi, sma};
use crate::market::History;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// Predicted 7-day returns per coin and day.
pub type PredictionsByDay = HashMap<String, HashMap<NaiveDate, f64>>;

/// Groups one prediction per dataset row by coin and day.
pub fn predictions_by_day(
    dataset: &Dataset,
    rows: &[usize],
    predicted: &[f64],
) -> PredictionsByDay {
    let mut out: PredictionsByDay = HashMap::new();
    for (row, value) in rows.iter().zip(predicted) {
        let key = dataset.keys[*row];
        out.entry(dataset.coins[key.coin].clone())
            .or_default()
            .insert(key.date, *value);
    }
    out
}

/// Builds one episode per coin that is not in `excluded`; days without a
/// prediction get NaN, which the agent treats as an unknown bucket.
pub fn build_episodes(
    histories: &BTreeMap<String, History>,
    predictions: &PredictionsByDay,
    excluded: &dyn Fn(&str) -> bool,
) -> Vec<Episode> {
    histories
        .iter()
        .filter(|(id, history)| !excluded(id) && history.len() > 1)
        .map(|(id, history)| episode_for(id, history, predictions.get(id)))
        .collect()
}

fn episode_for(
    id: &str,
    history: &History,
    predictions: Option<&HashMap<NaiveDate, f64>>,
) -> Episode {
    let dates: Vec<NaiveDate> = history.iter().map(|candle| candle.date).collect();
    let closes: Vec<f64> = history.iter().map(|candle| candle.close).collect();
    let predicted: Vec<f64> = dates
        .iter()
        .map(|date| {
            predictions
                .and_then(|by_day| by_day.get(date))
                .copied()
                .unwrap_or(f64::NAN)
        })
        .collect();
    episode_from_series(
        id,
        &dates,
        &closes,
        &rsi(&closes, 14),
        &macd(&closes, 12, 26, 9).hist,
        &sma(&closes, 50),
        &predicted,
    )
}

/// Days of policy the signal follows to learn the agent's current position.
pub const SIGNAL_LOOKBACK_DAYS: usize = 60;

/// Today's signal for one coin: the agent's policy is followed over the last
/// [`SIGNAL_LOOKBACK_DAYS`] days, starting in cash, to learn whether it would
/// hold the coin now, and the last day's advice is returned from there.
pub fn latest_signal(agent: &QAgent, episode: &Episode) -> Option<Signal> {
    let (last, earlier) = episode.steps.split_last()?;
    let earlier = &earlier[earlier.len().saturating_sub(SIGNAL_LOOKBACK_DAYS - 1)..];
    let mut in_position = false;
    for step in earlier {
        // Days with an unknown next-day return are not decided on.
        if step.log_return_next.is_finite() {
            in_position = agent.action(step, in_position).holds_coin();
        }
    }
    Some(agent.signal(last, in_position))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;
    use crate::ml::agent::{train, AgentParams, SignalAction};

    fn rising_history(days: i64) -> History {
        let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        (0..days)
            .map(|day| {
                Candle::close_only(
                    start + chrono::Duration::days(day),
                    100.0 * 1.01f64.powi(day as i32),
                )
            })
            .collect()
    }

    #[test]
    fn agent_on_a_steady_rise_says_buy_or_hold() {
        let histories = BTreeMap::from([("up".to_string(), rising_history(200))]);
        let predictions: PredictionsByDay = HashMap::new();
        let episodes = build_episodes(&histories, &predictions, &|_| false);
        assert_eq!(episodes.len(), 1);
        assert_eq!(episodes[0].steps.len(), 200);

        let params = AgentParams {
            passes: 30,
            ..AgentParams::default()
        };
        let until = NaiveDate::from_ymd_opt(2021, 6, 1).unwrap();
        let agent = train(&episodes, until, &params).unwrap();
        let signal = latest_signal(&agent, &episodes[0]).unwrap();
        assert_ne!(signal.action, SignalAction::Sell, "{signal:?}");
    }

    #[test]
    fn excluded_coins_get_no_episode() {
        let histories = BTreeMap::from([
            ("tether".to_string(), rising_history(10)),
            ("bitcoin".to_string(), rising_history(10)),
        ]);
        let episodes = build_episodes(&histories, &HashMap::new(), &|id| id == "tether");
        let ids: Vec<&str> = episodes.iter().map(|e| e.coin_id.as_str()).collect();
        assert_eq!(ids, ["bitcoin"]);
    }
}
