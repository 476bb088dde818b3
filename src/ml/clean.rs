//! Data-cleaning rules applied before training, each counted for the report.
//!
//! Real daily histories hold glitches (one-day moves of thousands of
//! percent), dead coins that barely trade, and pegged assets. Such rows
//! teach a forest noise, so they are left out of training and evaluation;
//! they still get predictions when they are a coin's latest day.

use super::dataset::Dataset;
use crate::market::History;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Thresholds of the cleaning rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CleaningRules {
    /// Coin-days whose mean daily volume over the last 30 days is below this
    /// (in the quote currency) are left out. Unknown volume is kept.
    pub min_dollar_volume_30d: f64,
    /// A close that is this many times the previous close, or this many times
    /// smaller, is treated as a data error: rows whose feature window (30
    /// days back) or label window reaches that day are left out.
    pub max_daily_move: f64,
}

impl Default for CleaningRules {
    fn default() -> Self {
        Self {
            min_dollar_volume_30d: 1_000_000.0,
            max_daily_move: 5.0,
        }
    }
}

/// How many labelled rows one rule removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: String,
    pub rows: usize,
}

/// Days a feature window looks back; a jump this far back taints the row.
const FEATURE_LOOKBACK_DAYS: i64 = 30;

/// Marks each dataset row as usable for training or not, and counts what
/// each rule removed among the rows `labelled` accepts. A row removed by
/// several rules counts for the first that applies, in the order: pegged,
/// low volume, impossible move.
pub fn usable_rows(
    histories: &BTreeMap<String, History>,
    dataset: &Dataset,
    rules: &CleaningRules,
    label_horizon_days: i64,
    labelled: impl Fn(usize) -> bool,
) -> (Vec<bool>, Vec<RuleCount>) {
    let low_volume = low_volume_days(histories, rules.min_dollar_volume_30d);
    let jumps = jump_days(histories, rules.max_daily_move);

    let mut usable = vec![false; dataset.len()];
    let (mut pegged, mut thin, mut jumped) = (0, 0, 0);
    for (row, key) in dataset.keys.iter().enumerate() {
        if !labelled(row) {
            continue;
        }
        let id = dataset.coins[key.coin].as_str();
        if dataset.pegged[row] {
            pegged += 1;
        } else if low_volume
            .get(id)
            .is_some_and(|days| days.contains(&key.date))
        {
            thin += 1;
        } else if jumps.get(id).is_some_and(|days| {
            days.iter().any(|day| {
                *day > key.date - Duration::days(FEATURE_LOOKBACK_DAYS)
                    && *day <= key.date + Duration::days(label_horizon_days)
            })
        }) {
            jumped += 1;
        } else {
            usable[row] = true;
        }
    }

    let counts = vec![
        RuleCount {
            rule: "USD-pegged stablecoin day".to_string(),
            rows: pegged,
        },
        RuleCount {
            rule: format!(
                "30-day mean volume under {}",
                compact_amount(rules.min_dollar_volume_30d)
            ),
            rows: thin,
        },
        RuleCount {
            rule: format!(
                "a one-day move over {}x within 30 days before or the label window after",
                rules.max_daily_move
            ),
            rows: jumped,
        },
    ];
    (usable, counts)
}

fn compact_amount(value: f64) -> String {
    match value {
        v if v >= 1e9 => format!("{:.0}B", v / 1e9),
        v if v >= 1e6 => format!("{:.0}M", v / 1e6),
        v if v >= 1e3 => format!("{:.0}K", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// Days on which a coin's mean volume over its last 30 candles is known and
/// below `minimum`.
fn low_volume_days(
    histories: &BTreeMap<String, History>,
    minimum: f64,
) -> HashMap<String, HashSet<NaiveDate>> {
    const WINDOW: usize = 30;
    let mut out = HashMap::new();
    for (id, history) in histories {
        let mut days = HashSet::new();
        for end in WINDOW..=history.len() {
            let window = &history[end - WINDOW..end];
            if window.iter().any(|candle| !candle.volume.is_finite()) {
                continue;
            }
            let mean = window.iter().map(|candle| candle.volume).sum::<f64>() / WINDOW as f64;
            if mean < minimum {
                days.insert(history[end - 1].date);
            }
        }
        // The first 29 days have no full window; judge them by what they have.
        for end in 1..WINDOW.min(history.len() + 1) {
            let window = &history[..end];
            if window.iter().all(|candle| candle.volume.is_finite()) {
                let mean = window.iter().map(|candle| candle.volume).sum::<f64>() / end as f64;
                if mean < minimum {
                    days.insert(history[end - 1].date);
                }
            }
        }
        out.insert(id.clone(), days);
    }
    out
}

/// Days whose close is more than `factor` times, or less than 1/`factor`
/// of, the previous day's close.
fn jump_days(
    histories: &BTreeMap<String, History>,
    factor: f64,
) -> HashMap<String, Vec<NaiveDate>> {
    let mut out = HashMap::new();
    for (id, history) in histories {
        let days: Vec<NaiveDate> = history
            .windows(2)
            .filter(|pair| {
                let ratio = pair[1].close / pair[0].close;
                ratio.is_finite() && (ratio > factor || ratio < 1.0 / factor)
            })
            .map(|pair| pair[1].date)
            .collect();
        if !days.is_empty() {
            out.insert(id.clone(), days);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;
    use crate::ml::dataset::RowKey;

    fn history(closes: &[f64], volume: f64) -> History {
        let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        closes
            .iter()
            .enumerate()
            .map(|(day, close)| Candle {
                volume,
                ..Candle::close_only(start + Duration::days(day as i64), *close)
            })
            .collect()
    }

    fn dataset_for(id: &str, days: usize) -> Dataset {
        let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        Dataset {
            coins: vec![id.to_string()],
            columns: 0,
            keys: (0..days)
                .map(|day| RowKey {
                    coin: 0,
                    date: start + Duration::days(day as i64),
                })
                .collect(),
            pegged: vec![false; days],
            ..Dataset::default()
        }
    }

    #[test]
    fn impossible_jump_taints_rows_around_it() {
        let mut closes = vec![10.0; 100];
        closes[60..].iter_mut().for_each(|close| *close = 1000.0);
        let histories = BTreeMap::from([("glitch".to_string(), history(&closes, 5e6))]);
        let dataset = dataset_for("glitch", 100);

        let (usable, counts) =
            usable_rows(&histories, &dataset, &CleaningRules::default(), 7, |_| true);
        // Day 60 is the jump: rows 53..=89 see it in a label or feature window.
        assert!(usable[52]);
        assert!(!usable[53]);
        assert!(!usable[89]);
        assert!(usable[90]);
        assert_eq!(counts[2].rows, 37);
    }

    #[test]
    fn thin_volume_rows_are_removed() {
        let histories = BTreeMap::from([("dead".to_string(), history(&[1.0; 40], 10.0))]);
        let dataset = dataset_for("dead", 40);
        let (usable, counts) =
            usable_rows(&histories, &dataset, &CleaningRules::default(), 7, |_| true);
        assert!(usable.iter().all(|ok| !ok));
        assert_eq!(counts[1].rows, 40);
    }

    #[test]
    fn unknown_volume_is_kept() {
        let histories = BTreeMap::from([("chart".to_string(), history(&[1.0; 40], f64::NAN))]);
        let dataset = dataset_for("chart", 40);
        let (usable, _) = usable_rows(&histories, &dataset, &CleaningRules::default(), 7, |_| true);
        assert!(usable.iter().all(|ok| *ok));
    }
}
