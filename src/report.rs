//! Plain-text, JSON and CSV output of rankings and model reports for the
//! headless commands.

use crate::analysis::ScoredCoin;
use crate::ml::agent::BacktestReport;
use crate::ml::{Metric, ModelReport};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::{self, Write};

/// One ranked coin as `scan --format json|csv` prints it.
#[derive(Debug, Serialize)]
struct ScanRow<'a> {
    rank: usize,
    id: &'a str,
    symbol: &'a str,
    name: &'a str,
    price: Option<f64>,
    market_cap: Option<f64>,
    change_24h_percent: Option<f64>,
    change_7d_percent: Option<f64>,
    predicted_return_7d_percent: Option<f64>,
    prediction_spread_percent: Option<f64>,
    out_of_range: bool,
    gem_probability: Option<f64>,
    is_gem: bool,
    score: f64,
    signal: Option<&'static str>,
    signal_value: Option<f64>,
    note: Option<&'a str>,
}

impl<'a> ScanRow<'a> {
    fn new(coin: &'a ScoredCoin) -> Self {
        Self {
            rank: coin.rank,
            id: &coin.coin.id,
            symbol: &coin.coin.symbol,
            name: &coin.coin.name,
            price: coin.coin.current_price,
            market_cap: coin.coin.market_cap,
            change_24h_percent: coin.coin.price_change_percentage_24h,
            change_7d_percent: coin.coin.price_change_percentage_7d,
            predicted_return_7d_percent: coin.predicted_return_7d.map(|r| r * 100.0),
            prediction_spread_percent: coin.prediction_spread.map(|s| s * 100.0),
            out_of_range: coin.out_of_range,
            gem_probability: coin.gem_probability,
            is_gem: coin.is_gem,
            score: coin.score,
            signal: coin.signal.map(|signal| signal.action.label()),
            signal_value: coin.signal.map(|signal| signal.value),
            note: coin.note.as_deref(),
        }
    }
}

/// Writes the ranking as a JSON array, one object per coin.
pub fn write_scan_json(coins: &[ScoredCoin], out: &mut impl Write) -> io::Result<()> {
    let rows: Vec<ScanRow> = coins.iter().map(ScanRow::new).collect();
    serde_json::to_writer_pretty(&mut *out, &rows)?;
    writeln!(out)
}

/// Writes the ranking as CSV with a header row; unknown values are empty.
pub fn write_scan_csv(coins: &[ScoredCoin], out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "rank,id,symbol,name,price,market_cap,change_24h_percent,change_7d_percent,predicted_return_7d_percent,prediction_spread_percent,out_of_range,gem_probability,is_gem,score,signal,signal_value,note"
    )?;
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    for coin in coins {
        let row = ScanRow::new(coin);
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4},{},{},{}",
            row.rank,
            csv_field(row.id),
            csv_field(row.symbol),
            csv_field(row.name),
            number(row.price),
            number(row.market_cap),
            number(row.change_24h_percent),
            number(row.change_7d_percent),
            number(row.predicted_return_7d_percent),
            number(row.prediction_spread_percent),
            row.out_of_range,
            number(row.gem_probability),
            row.is_gem,
            row.score,
            row.signal.unwrap_or(""),
            number(row.signal_value),
            csv_field(row.note.unwrap_or("")),
        )?;
    }
    Ok(())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes the ranking as an aligned text table.
pub fn write_scan_table(
    coins: &[ScoredCoin],
    as_of: DateTime<Utc>,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "coinlens ranking, data as of {}",
        as_of.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "{:>4}  {:<22} {:<7} {:>14} {:>8} {:>9} {:>6} {:>6}  {:<6} note",
        "rank", "name", "symbol", "price", "7d pred", "± spread", "gem", "score", "signal"
    )?;
    let percent =
        |value: Option<f64>| value.map_or("—".to_string(), |v| format!("{:+.2}%", v * 100.0));
    let spread =
        |value: Option<f64>| value.map_or("—".to_string(), |v| format!("±{:.2}%", v * 100.0));
    for coin in coins {
        let marker = if coin.out_of_range { "!" } else { "" };
        writeln!(
            out,
            "{:>4}  {:<22} {:<7} {:>14} {:>8} {:>9} {:>6} {:>6.1}  {:<6} {}{}",
            coin.rank,
            truncate(&coin.coin.name, 22),
            coin.coin.symbol.to_uppercase(),
            coin.coin
                .current_price
                .map_or("—".to_string(), |p| format!("{p:.6}")),
            percent(coin.predicted_return_7d),
            format!("{}{marker}", spread(coin.prediction_spread)),
            coin.gem_probability
                .map_or("—".to_string(), |p| format!("{:.0}%", p * 100.0)),
            coin.score,
            coin.signal.map_or("—", |signal| signal.action.label()),
            if coin.is_gem { "gem " } else { "" },
            coin.note.as_deref().unwrap_or(""),
        )?;
    }
    Ok(())
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(width - 1).collect();
        short.push('…');
        short
    }
}

/// Writes a model report: what was trained, on what, and how it did out of
/// sample next to its baselines.
pub fn write_model_report(
    report: &ModelReport,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> io::Result<()> {
    let age = now - report.trained_at;
    writeln!(
        out,
        "trained at {} ({} days {} hours ago)",
        report.trained_at.format("%Y-%m-%d %H:%M UTC"),
        age.num_days(),
        age.num_hours() % 24
    )?;
    let date = |d: Option<chrono::NaiveDate>| d.map_or("—".to_string(), |d| d.to_string());
    writeln!(
        out,
        "data {} .. {}, test period from {}, {} coins, {} features (schema {:016x})",
        date(report.data_start),
        date(report.data_end),
        date(report.test_start),
        report.coins.len(),
        report.feature_names.len(),
        report.schema_hash
    )?;
    writeln!(
        out,
        "evaluation: walk-forward over {} folds (expanding window, embargo of one label horizon); first fold trains on {} rows, {} test rows in all; final fit on {} rows",
        report.folds, report.train_rows, report.test_rows, report.final_rows
    )?;
    if report.max_fit_rows > 0 && report.final_rows > report.max_fit_rows {
        writeln!(
            out,
            "each forest was fitted on a seeded sample of at most {} rows (training.max_fit_rows); metrics use every test row",
            report.max_fit_rows
        )?;
    }
    let removed: Vec<String> = report
        .cleaning
        .iter()
        .map(|count| format!("{} ({} rows)", count.rule, count.rows))
        .collect();
    if !removed.is_empty() {
        writeln!(out, "cleaning removed: {}", removed.join("; "))?;
    }
    writeln!(
        out,
        "labels clipped to the 1% and 99% quantiles: {}",
        report.clipped_labels
    )?;
    if let Some(params) = report.price_params {
        writeln!(
            out,
            "price forest: {} trees, depth {}, min {} rows per leaf",
            params.n_trees, params.max_depth, params.min_samples_leaf
        )?;
    }
    if let Some(params) = report.gem_params {
        writeln!(
            out,
            "gem forest: {} trees, depth {}, min {} rows per leaf",
            params.n_trees, params.max_depth, params.min_samples_leaf
        )?;
    }
    for (model, tuning) in [("price", &report.price_tuning), ("gem", &report.gem_tuning)] {
        if let Some(tuning) = tuning {
            let points: Vec<String> = tuning
                .points
                .iter()
                .map(|point| {
                    format!(
                        "depth {} leaf {}: {}",
                        point.max_depth,
                        point.min_samples_leaf,
                        metric_value(point.score)
                    )
                })
                .collect();
            writeln!(
                out,
                "{model} tuning by {}: {}",
                tuning.objective,
                points.join(", ")
            )?;
        }
    }

    writeln!(out, "\nprice model (forward 7-day return), out of sample:")?;
    write_metrics(&report.price_metrics, out)?;
    writeln!(out, "\ngem detector, out of sample:")?;
    match &report.gem_unavailable {
        Some(reason) => writeln!(out, "  not trained: {reason}")?,
        None => write_metrics(&report.gem_metrics, out)?,
    }
    writeln!(out, "\ntrading agent, out of sample:")?;
    match (&report.backtest, &report.agent_unavailable) {
        (_, Some(reason)) => writeln!(out, "  not trained: {reason}")?,
        (Some(backtest), None) => write_backtest(backtest, out)?,
        (None, None) => writeln!(out, "  no backtest recorded")?,
    }
    for warning in &report.warnings {
        writeln!(out, "\nwarning: {warning}")?;
    }
    Ok(())
}

fn write_backtest(backtest: &BacktestReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "  from {}, {} coins, {:.1}% fee per switch; equal-weight portfolio rebalanced daily:",
        backtest.test_from,
        backtest.overall.coins,
        backtest.fee_rate * 100.0
    )?;
    writeln!(
        out,
        "  {:<28} {:>12} {:>8} {:>13} {:>8}",
        "strategy", "total return", "Sharpe", "max drawdown", "trades"
    )?;
    let pooled = &backtest.overall.pooled;
    for (name, result) in [
        ("agent", &pooled.agent),
        ("buy and hold", &pooled.buy_and_hold),
        ("hold when model predicts up", &pooled.predicted_rise),
    ] {
        writeln!(
            out,
            "  {:<28} {:>12} {:>8} {:>13} {:>8.0}",
            name,
            percent_or_dash(result.total_return),
            metric_value(result.sharpe),
            if result.max_drawdown.is_finite() {
                format!("{:.1}%", result.max_drawdown * 100.0)
            } else {
                "—".to_string()
            },
            result.trades
        )?;
    }
    Ok(())
}

fn percent_or_dash(value: f64) -> String {
    if value.is_finite() {
        format!("{:+.1}%", value * 100.0)
    } else {
        "—".to_string()
    }
}

fn write_metrics(metrics: &[Metric], out: &mut impl Write) -> io::Result<()> {
    for metric in metrics {
        let baselines: Vec<String> = metric
            .baselines
            .iter()
            .map(|baseline| format!("{} {}", baseline.name, metric_value(baseline.value)))
            .collect();
        let versus = if baselines.is_empty() {
            String::new()
        } else {
            format!("   vs {}", baselines.join(", "))
        };
        writeln!(
            out,
            "  {:<20} {:>8}{versus}",
            metric.name,
            metric_value(metric.model)
        )?;
    }
    Ok(())
}

/// A metric to 4 decimals, or "—" where it is undefined (such as the
/// direction of a zero-return prediction).
fn metric_value(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        "—".to_string()
    }
}
