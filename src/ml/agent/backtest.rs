//! Out-of-sample backtest of the agent against buy-and-hold and against
//! holding whenever the price model predicts a rise.
//!
//! Every strategy starts in cash on the first test day, decides once per
//! day from that day's data, earns the next day's log return while it holds
//! the coin and pays the same fee on every switch between cash and coin.
//! An open position is not sold at the end, so buy-and-hold pays one fee.

use super::episode::{AgentStep, Episode};
use super::learn::QAgent;
use crate::ml::nan_as_null;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Trading days per year for annualizing; crypto markets trade every day.
const DAYS_PER_YEAR: f64 = 365.0;

/// Figures of one strategy over the test period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StrategyResult {
    /// Compounded return as a fraction (0.5 is +50%), fees included.
    #[serde(with = "nan_as_null")]
    pub total_return: f64,
    /// Mean over standard deviation (n - 1) of the daily log returns, times √365.
    /// NaN with fewer than 2 days or when every daily return is equal.
    #[serde(with = "nan_as_null")]
    pub sharpe: f64,
    /// Largest fall of the equity curve from its running peak, as a fraction
    /// (0.3 is a 30% drawdown); the starting equity counts as a peak.
    #[serde(with = "nan_as_null")]
    pub max_drawdown: f64,
    /// Switches between cash and coin; a mean over coins in `mean_of_coins`.
    pub trades: f64,
    /// Share of days spent holding the coin.
    #[serde(with = "nan_as_null")]
    pub exposure: f64,
}

/// The agent next to its two benchmarks on the same days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub agent: StrategyResult,
    pub buy_and_hold: StrategyResult,
    /// Holds the coin on days with `predicted_return_7d > 0`, cash otherwise.
    pub predicted_rise: StrategyResult,
}

/// One coin's test period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoinBacktest {
    pub coin_id: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Days with a known next-day return, the days traded.
    pub days: usize,
    pub results: Comparison,
}

/// All coins together, two ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverallBacktest {
    pub coins: usize,
    /// Each figure averaged over the coins with equal weight, NaN figures skipped.
    pub mean_of_coins: Comparison,
    /// A portfolio that splits its capital equally over the coins traded each
    /// day, rebalanced daily at no cost; trades are summed over coins.
    pub pooled: Comparison,
    /// Calendar days the pooled portfolio covers.
    pub pooled_days: usize,
}

/// The backtest written to `metadata.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// First test day; the agent was trained on earlier days only.
    pub test_from: NaiveDate,
    pub fee_rate: f64,
    pub per_coin: Vec<CoinBacktest>,
    /// Coins left out because they have no tradable day in the test period.
    pub skipped_coins: Vec<String>,
    pub overall: OverallBacktest,
}

/// Daily results of one strategy on one coin.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyPath {
    pub dates: Vec<NaiveDate>,
    /// Log return of each day, the switch fee included.
    pub log_returns: Vec<f64>,
    pub holds_coin: Vec<bool>,
    pub trades: usize,
}

/// Trades `steps` with `decide(step, in_position) -> hold the coin?`,
/// starting in cash. A day with an unknown next-day return is skipped
/// without a decision, and the position carries over it.
///
/// NOTE: a position held across such a day misses that day's price move
/// from the books, because the return over the gap is unknown.
pub fn simulate(
    steps: &[AgentStep],
    fee_rate: f64,
    mut decide: impl FnMut(&AgentStep, bool) -> bool,
) -> DailyPath {
    let switch_cost = (1.0 - fee_rate).ln();
    let mut path = DailyPath::default();
    let mut in_position = false;

    for step in steps {
        if !step.log_return_next.is_finite() {
            continue;
        }
        let hold = decide(step, in_position);
        let mut log_return = if hold { step.log_return_next } else { 0.0 };
        if hold != in_position {
            log_return += switch_cost;
            path.trades += 1;
        }
        in_position = hold;

        path.dates.push(step.date);
        path.log_returns.push(log_return);
        path.holds_coin.push(hold);
    }
    path
}

/// Total return, Sharpe ratio, maximum drawdown, trades and exposure of a path.
pub fn summarize(path: &DailyPath) -> StrategyResult {
    let days = path.log_returns.len();
    let held = path.holds_coin.iter().filter(|hold| **hold).count();
    StrategyResult {
        total_return: total_return(&path.log_returns),
        sharpe: sharpe_ratio(&path.log_returns),
        max_drawdown: max_drawdown(&path.log_returns),
        trades: path.trades as f64,
        exposure: if days == 0 {
            f64::NAN
        } else {
            held as f64 / days as f64
        },
    }
}

/// Compounded return of daily log returns; NaN when there are none.
pub fn total_return(log_returns: &[f64]) -> f64 {
    if log_returns.is_empty() {
        return f64::NAN;
    }
    log_returns.iter().sum::<f64>().exp() - 1.0
}

/// Annualized Sharpe ratio of daily log returns with a zero risk-free rate.
pub fn sharpe_ratio(log_returns: &[f64]) -> f64 {
    let n = log_returns.len();
    if n < 2 {
        return f64::NAN;
    }
    let mean = log_returns.iter().sum::<f64>() / n as f64;
    let variance = log_returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    if variance <= 0.0 {
        return f64::NAN;
    }
    mean / variance.sqrt() * DAYS_PER_YEAR.sqrt()
}

/// Largest peak-to-trough fall of the equity curve, starting from equity 1.
pub fn max_drawdown(log_returns: &[f64]) -> f64 {
    if log_returns.is_empty() {
        return f64::NAN;
    }
    let mut log_equity = 0.0;
    let mut log_peak = 0.0f64;
    let mut worst = 0.0f64;
    for r in log_returns {
        log_equity += r;
        log_peak = log_peak.max(log_equity);
        worst = worst.max(1.0 - (log_equity - log_peak).exp());
    }
    worst
}

/// Backtests `agent` and both benchmarks on the days of `episodes` dated on
/// or after `test_from`, with the agent's fee.
pub fn backtest(agent: &QAgent, episodes: &[Episode], test_from: NaiveDate) -> BacktestReport {
    let fee_rate = agent.params().fee_rate;
    let mut per_coin = Vec::new();
    let mut skipped_coins = Vec::new();
    let mut paths: Vec<[DailyPath; 3]> = Vec::new();

    for episode in episodes {
        let steps = episode.from_date(test_from);
        let coin_paths = [
            simulate(steps, fee_rate, |step, held| {
                agent.action(step, held).holds_coin()
            }),
            simulate(steps, fee_rate, |_, _| true),
            simulate(steps, fee_rate, |step, _| step.predicted_return_7d > 0.0),
        ];
        let (Some(first_day), Some(last_day)) =
            (coin_paths[0].dates.first(), coin_paths[0].dates.last())
        else {
            skipped_coins.push(episode.coin_id.clone());
            continue;
        };
        per_coin.push(CoinBacktest {
            coin_id: episode.coin_id.clone(),
            first_day: *first_day,
            last_day: *last_day,
            days: coin_paths[0].dates.len(),
            results: comparison(|i| summarize(&coin_paths[i])),
        });
        paths.push(coin_paths);
    }

    let pooled_paths: Vec<(DailyPath, f64)> = (0..3)
        .map(|i| pool(paths.iter().map(|coin| &coin[i])))
        .collect();
    let overall = OverallBacktest {
        coins: per_coin.len(),
        mean_of_coins: comparison(|i| mean_of(per_coin.iter().map(|coin| pick(&coin.results, i)))),
        pooled: comparison(|i| {
            let (path, exposure) = &pooled_paths[i];
            StrategyResult {
                exposure: *exposure,
                ..summarize(path)
            }
        }),
        pooled_days: pooled_paths[0].0.dates.len(),
    };
    BacktestReport {
        test_from,
        fee_rate,
        per_coin,
        skipped_coins,
        overall,
    }
}

/// Builds a comparison from a function of the strategy index: 0 agent,
/// 1 buy-and-hold, 2 predicted rise.
fn comparison(mut result: impl FnMut(usize) -> StrategyResult) -> Comparison {
    Comparison {
        agent: result(0),
        buy_and_hold: result(1),
        predicted_rise: result(2),
    }
}

fn pick(comparison: &Comparison, index: usize) -> StrategyResult {
    match index {
        0 => comparison.agent,
        1 => comparison.buy_and_hold,
        _ => comparison.predicted_rise,
    }
}

/// Equal-weight mean of each figure, skipping NaN values.
fn mean_of(results: impl Iterator<Item = StrategyResult>) -> StrategyResult {
    let results: Vec<StrategyResult> = results.collect();
    let mean = |field: fn(&StrategyResult) -> f64| {
        let values: Vec<f64> = results.iter().map(field).filter(|v| !v.is_nan()).collect();
        if values.is_empty() {
            f64::NAN
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    StrategyResult {
        total_return: mean(|r| r.total_return),
        sharpe: mean(|r| r.sharpe),
        max_drawdown: mean(|r| r.max_drawdown),
        trades: mean(|r| r.trades),
        exposure: mean(|r| r.exposure),
    }
}

/// Daily path of an equal-weight portfolio over the coins traded each day,
/// whose simple return is the mean of the coins' simple returns, and the
/// share of coin-days held.
fn pool<'a>(paths: impl Iterator<Item = &'a DailyPath>) -> (DailyPath, f64) {
    let mut days: BTreeMap<NaiveDate, (f64, usize, bool)> = BTreeMap::new();
    let mut trades = 0;
    let mut coin_days = 0usize;
    let mut held_days = 0usize;
    for path in paths {
        trades += path.trades;
        coin_days += path.holds_coin.len();
        held_days += path.holds_coin.iter().filter(|hold| **hold).count();
        for ((date, log_return), hold) in path
            .dates
            .iter()
            .zip(&path.log_returns)
            .zip(&path.holds_coin)
        {
            let day = days.entry(*date).or_insert((0.0, 0, false));
            day.0 += log_return.exp() - 1.0;
            day.1 += 1;
            day.2 |= *hold;
        }
    }

    let mut pooled = DailyPath {
        trades,
        ..DailyPath::default()
    };
    for (date, (sum, count, any_held)) in days {
        pooled.dates.push(date);
        pooled.log_returns.push((sum / count as f64).ln_1p());
        pooled.holds_coin.push(any_held);
    }
    let exposure = if coin_days == 0 {
        f64::NAN
    } else {
        held_days as f64 / coin_days as f64
    };
    (pooled, exposure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::agent::learn::{train, AgentParams};
    use chrono::Duration;

    const FEE: f64 = 0.001;

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days(offset)
    }

    fn step(offset: i64, rsi: f64, predicted: f64, log_return_next: f64) -> AgentStep {
        AgentStep {
            date: day(offset),
            rsi_14: rsi,
            macd_hist: 1.0,
            close_over_sma_50: 1.1,
            predicted_return_7d: predicted,
            log_return_next,
        }
    }

    fn steps_with_returns(returns: &[f64]) -> Vec<AgentStep> {
        returns
            .iter()
            .enumerate()
            .map(|(i, r)| step(i as i64, 50.0, 0.0, *r))
            .collect()
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-12
    }

    #[test]
    fn buy_and_hold_pays_one_fee() {
        let steps = steps_with_returns(&[0.1, -0.2, 0.05, 0.0, f64::NAN]);
        let path = simulate(&steps, FEE, |_, _| true);
        let result = summarize(&path);

        assert_eq!(path.log_returns.len(), 4, "the NaN day is skipped");
        assert_eq!(result.trades, 1.0);
        let expected = (-0.05f64).exp() * (1.0 - FEE) - 1.0;
        assert!(close(result.total_return, expected), "{result:?}");
        assert!(close(result.exposure, 1.0));
    }

    #[test]
    fn switching_pays_fee_each_time() {
        let steps = steps_with_returns(&[0.1, -0.2, 0.05, 0.3]);
        let mut day_index = 0;
        let path = simulate(&steps, FEE, |_, _| {
            day_index += 1;
            day_index % 2 == 1
        });
        let result = summarize(&path);

        assert_eq!(path.holds_coin, vec![true, false, true, false]);
        assert_eq!(result.trades, 4.0);
        let expected = (0.15f64).exp() * (1.0 - FEE).powi(4) - 1.0;
        assert!(close(result.total_return, expected), "{result:?}");
        assert!(close(result.exposure, 0.5));
    }

    #[test]
    fn staying_in_cash_costs_nothing() {
        let steps = steps_with_returns(&[0.1, -0.2]);
        let result = summarize(&simulate(&steps, FEE, |_, _| false));
        assert_eq!(result.trades, 0.0);
        assert_eq!(result.total_return, 0.0);
        assert_eq!(result.max_drawdown, 0.0);
        assert!(result.sharpe.is_nan(), "zero variance");
    }

    #[test]
    fn sharpe_of_known_series() {
        // Mean 0.02, sample standard deviation 0.01.
        let sharpe = sharpe_ratio(&[0.01, 0.02, 0.03]);
        assert!(close(sharpe, 2.0 * 365f64.sqrt()), "{sharpe}");
        assert!(sharpe_ratio(&[0.01]).is_nan());
        assert!(sharpe_ratio(&[0.01, 0.01]).is_nan());
    }

    #[test]
    fn max_drawdown_of_known_series() {
        // Equity 2, 1, 0.5, 2: the fall from 2 to 0.5 is 75%.
        let returns = [2f64.ln(), 0.5f64.ln(), 0.5f64.ln(), 4f64.ln()];
        assert!(close(max_drawdown(&returns), 0.75));
        // A loss on the first day counts from the starting equity.
        assert!(close(max_drawdown(&[0.8f64.ln(), 0.1]), 0.2));
        assert_eq!(max_drawdown(&[0.1, 0.2]), 0.0);
        assert!(max_drawdown(&[]).is_nan());
        assert!(total_return(&[]).is_nan());
    }

    #[test]
    fn pool_averages_simple_returns() {
        let first = DailyPath {
            dates: vec![day(0), day(1)],
            log_returns: vec![1.1f64.ln(), 0.9f64.ln()],
            holds_coin: vec![true, true],
            trades: 1,
        };
        let second = DailyPath {
            dates: vec![day(1), day(2)],
            log_returns: vec![1.2f64.ln(), 0.0],
            holds_coin: vec![true, false],
            trades: 2,
        };
        let (pooled, exposure) = pool([&first, &second].into_iter());

        assert_eq!(pooled.dates, vec![day(0), day(1), day(2)]);
        assert_eq!(pooled.trades, 3);
        assert!(close(total_return(&pooled.log_returns), 1.1 * 1.05 - 1.0));
        assert!(close(exposure, 0.75));
    }

    #[test]
    fn nan_figures_serialize_as_null() {
        let result = summarize(&simulate(&steps_with_returns(&[0.1]), FEE, |_, _| true));
        let json = serde_json::to_string(&result).unwrap();
        assert!(json.contains("\"sharpe\":null"), "{json}");

        let back: StrategyResult = serde_json::from_str(&json).unwrap();
        assert!(back.sharpe.is_nan());
        assert_eq!(back.trades, 1.0);
    }

    /// Alternating days where holding earns +1% after RSI 20 and loses 1%
    /// after RSI 80; the price model predicts a rise on the losing days.
    fn chain(coin: &str, first: i64, days: i64) -> Episode {
        let steps = (first..first + days)
            .map(|i| {
                if i % 2 == 0 {
                    step(i, 20.0, -0.05, 0.01)
                } else {
                    step(i, 80.0, 0.05, -0.01)
                }
            })
            .collect();
        Episode {
            coin_id: coin.into(),
            steps,
        }
    }

    #[test]
    fn report_compares_agent_with_benchmarks() {
        let params = AgentParams {
            passes: 200,
            alpha: 0.1,
            alpha_decay: 0.0,
            gamma: 0.5,
            epsilon_start: 0.3,
            epsilon_end: 0.3,
            fee_rate: FEE,
            seed: 1,
        };
        let test_from = day(300);
        let training = [chain("a", 0, 300)];
        let agent = train(&training, test_from, &params).unwrap();

        let episodes = [chain("a", 0, 304), chain("early", 0, 100)];
        let report = backtest(&agent, &episodes, test_from);
        assert_eq!(report.skipped_coins, vec!["early".to_string()]);
        assert_eq!(report.per_coin.len(), 1);
        let coin = &report.per_coin[0];
        assert_eq!(
            (coin.first_day, coin.last_day, coin.days),
            (day(300), day(303), 4)
        );

        // The agent holds on the two rising days and pays four fees.
        let cost = (1.0 - FEE).ln();
        let agent_result = coin.results.agent;
        assert_eq!(agent_result.trades, 4.0);
        assert!(close(
            agent_result.total_return,
            (0.02 + 4.0 * cost).exp() - 1.0
        ));

        let hold = coin.results.buy_and_hold;
        assert_eq!(hold.trades, 1.0);
        assert!(close(hold.total_return, cost.exp() - 1.0));

        // Predicting a rise on the falling days buys on day 301, sells on
        // 302 and buys on 303: three fees and two 1% losses.
        let rise = coin.results.predicted_rise;
        assert_eq!(rise.trades, 3.0);
        assert!(close(rise.total_return, (-0.02 + 3.0 * cost).exp() - 1.0));

        assert_eq!(report.overall.coins, 1);
        assert_eq!(report.overall.mean_of_coins, coin.results);
        assert!(close(
            report.overall.pooled.agent.total_return,
            agent_result.total_return
        ));
        assert_eq!(report.overall.pooled_days, 4);
    }
}
