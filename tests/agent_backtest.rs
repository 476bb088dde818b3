//! Trains the RL agent on the real daily closes of 23 coins before 2020 and
//! backtests it from 2020-01-01 against buy-and-hold and a momentum rule.
//!
//! The indicators are computed by plain test-only helpers here, and the
//! past 7-day return replaces the price model's prediction. Run with
//! `cargo test --test agent_backtest -- --nocapture` to see the figures.

use chrono::{DateTime, Duration, NaiveDate};
use coinlens::ml::agent::{
    self, backtest::simulate, episode_from_series, AgentParams, Comparison, Episode, StrategyResult,
};
use std::path::{Path, PathBuf};

const CHART_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/snapshots/cmc-2021-23coins/market_chart"
);

fn split_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
}

/// Daily closes of one CoinGecko `market_chart` body. A close is stamped
/// 00:00 UTC of the following day, so each date is the stamp's day minus one.
fn read_closes(path: &Path) -> (Vec<NaiveDate>, Vec<f64>) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
    let prices = body["prices"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no prices array", path.display()));

    let mut dates: Vec<NaiveDate> = Vec::new();
    let mut closes: Vec<f64> = Vec::new();
    for pair in prices {
        let (Some(ms), Some(close)) = (pair[0].as_i64(), pair[1].as_f64()) else {
            continue;
        };
        let Some(stamp) = DateTime::from_timestamp_millis(ms) else {
            continue;
        };
        let date = stamp.date_naive() - Duration::days(1);
        if dates.last() == Some(&date) {
            // A repeated day keeps its latest value.
            *closes.last_mut().unwrap() = close;
        } else {
            dates.push(date);
            closes.push(close);
        }
    }
    (dates, closes)
}

fn sma(values: &[f64], period: usize) -> Vec<f64> {
    (0..values.len())
        .map(|t| {
            if t + 1 < period {
                f64::NAN
            } else {
                values[t + 1 - period..=t].iter().sum::<f64>() / period as f64
            }
        })
        .collect()
}

/// Exponential moving average seeded with the first value.
fn ema(values: &[f64], period: usize) -> Vec<f64> {
    let alpha = 2.0 / (period as f64 + 1.0);
    let mut out = Vec::with_capacity(values.len());
    let mut current = f64::NAN;
    for value in values {
        current = if current.is_nan() {
            *value
        } else {
            alpha * value + (1.0 - alpha) * current
        };
        out.push(current);
    }
    out
}

/// MACD(12, 26, 9) histogram, NaN for the first 33 days while the EMAs settle.
fn macd_hist(closes: &[f64]) -> Vec<f64> {
    let fast = ema(closes, 12);
    let slow = ema(closes, 26);
    let line: Vec<f64> = fast.iter().zip(&slow).map(|(f, s)| f - s).collect();
    let signal = ema(&line, 9);
    line.iter()
        .zip(&signal)
        .enumerate()
        .map(|(t, (m, s))| if t < 33 { f64::NAN } else { m - s })
        .collect()
}

/// Wilder's RSI: simple averages of the first `period` changes, then
/// smoothing by (period - 1) / period.
fn rsi(closes: &[f64], period: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; closes.len()];
    if closes.len() <= period {
        return out;
    }
    let change = |t: usize| closes[t] - closes[t - 1];
    let mut gain = (1..=period).map(|t| change(t).max(0.0)).sum::<f64>() / period as f64;
    let mut loss = (1..=period).map(|t| (-change(t)).max(0.0)).sum::<f64>() / period as f64;
    let value = |gain: f64, loss: f64| {
        if loss == 0.0 {
            100.0
        } else {
            100.0 - 100.0 / (1.0 + gain / loss)
        }
    };
    out[period] = value(gain, loss);
    let n = period as f64;
    for (t, slot) in out.iter_mut().enumerate().skip(period + 1) {
        gain = (gain * (n - 1.0) + change(t).max(0.0)) / n;
        loss = (loss * (n - 1.0) + (-change(t)).max(0.0)) / n;
        *slot = value(gain, loss);
    }
    out
}

/// Close over the close 7 days earlier, minus 1: the stand-in prediction.
fn past_return_7d(closes: &[f64]) -> Vec<f64> {
    (0..closes.len())
        .map(|t| {
            if t < 7 {
                f64::NAN
            } else {
                closes[t] / closes[t - 7] - 1.0
            }
        })
        .collect()
}

fn load_episodes() -> Vec<Episode> {
    let dir = PathBuf::from(CHART_DIR);
    assert!(
        dir.is_dir(),
        "missing test data: {} (the shared data folder next to the crate)",
        dir.display()
    );
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();

    paths
        .iter()
        .map(|path| {
            let coin = path.file_stem().unwrap().to_string_lossy().into_owned();
            let (dates, closes) = read_closes(path);
            episode_from_series(
                &coin,
                &dates,
                &closes,
                &rsi(&closes, 14),
                &macd_hist(&closes),
                &sma(&closes, 50),
                &past_return_7d(&closes),
            )
        })
        .collect()
}

fn row(name: &str, result: &StrategyResult) {
    println!(
        "  {name:<16} total {:>9.1}%  sharpe {:>6.2}  max drawdown {:>5.1}%  trades {:>7.1}  exposure {:>5.1}%",
        result.total_return * 100.0,
        result.sharpe,
        result.max_drawdown * 100.0,
        result.trades,
        result.exposure * 100.0
    );
}

fn print_comparison(title: &str, comparison: &Comparison) {
    println!("{title}");
    row("agent", &comparison.agent);
    row("buy and hold", &comparison.buy_and_hold);
    row("7d momentum", &comparison.predicted_rise);
}

fn assert_finite(coin: &str, name: &str, result: &StrategyResult) {
    assert!(
        result.total_return.is_finite(),
        "{coin} {name}: total return {}",
        result.total_return
    );
    assert!(
        result.max_drawdown.is_finite(),
        "{coin} {name}: drawdown {}",
        result.max_drawdown
    );
    assert!(
        result.trades >= 0.0,
        "{coin} {name}: trades {}",
        result.trades
    );
}

#[test]
fn agent_backtest_on_real_closes() {
    let episodes = load_episodes();
    assert!(
        episodes.len() >= 20,
        "expected 23 coins, found {}",
        episodes.len()
    );

    let params = AgentParams::default();
    let started = std::time::Instant::now();
    let trained = agent::train(&episodes, split_date(), &params).expect("training failed");
    let training_time = started.elapsed();
    let report = agent::backtest(&trained, &episodes, split_date());

    let training_days: usize = episodes
        .iter()
        .map(|episode| episode.before(split_date()).len())
        .sum();
    println!(
        "trained on {training_days} coin-days before {} in {:.2?} ({} passes, seed {})",
        split_date(),
        training_time,
        params.passes,
        params.seed
    );
    println!(
        "test from {}: {} coins, {} pooled days, skipped {:?}",
        report.test_from, report.overall.coins, report.overall.pooled_days, report.skipped_coins
    );
    for coin in &report.per_coin {
        let r = &coin.results;
        println!(
            "  {:<18} {} days  agent {:>8.1}% ({:>3} trades)  hold {:>8.1}%  momentum {:>8.1}%",
            coin.coin_id,
            coin.days,
            r.agent.total_return * 100.0,
            r.agent.trades,
            r.buy_and_hold.total_return * 100.0,
            r.predicted_rise.total_return * 100.0
        );
    }
    print_comparison("mean of coins:", &report.overall.mean_of_coins);
    print_comparison("pooled equal-weight portfolio:", &report.overall.pooled);

    assert!(
        report.overall.coins >= 20,
        "{} coins backtested",
        report.overall.coins
    );
    for coin in &report.per_coin {
        assert!(coin.days > 0, "{} has no test days", coin.coin_id);
        assert!(
            coin.first_day >= split_date(),
            "{} starts {}",
            coin.coin_id,
            coin.first_day
        );
        assert_finite(&coin.coin_id, "agent", &coin.results.agent);
        assert_finite(&coin.coin_id, "buy and hold", &coin.results.buy_and_hold);
        assert_finite(&coin.coin_id, "momentum", &coin.results.predicted_rise);
    }
    assert!(report.overall.pooled.agent.total_return.is_finite());

    // The greedy policy over all test days: does it ever hold, ever stay out?
    let mut held = 0usize;
    let mut total = 0usize;
    for episode in &episodes {
        let path = simulate(
            episode.from_date(split_date()),
            params.fee_rate,
            |step, in_position| trained.action(step, in_position).holds_coin(),
        );
        held += path.holds_coin.iter().filter(|hold| **hold).count();
        total += path.holds_coin.len();
    }
    println!("agent holds a coin on {held} of {total} test coin-days");
    if held == 0 || held == total {
        println!("the learned policy is constant on the test period");
    }
    assert!(total > 0, "no test coin-days");

    let json = serde_json::to_string(&report).expect("report serializes");
    assert!(json.contains("\"per_coin\""));
}
