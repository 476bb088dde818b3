//! Models panel: when and on what the models were trained, and their
//! out-of-sample metrics next to the baselines.

use super::centered;
use crate::engine::Job;
use crate::ml::{Metric, ModelReport};
use crate::tui::app::App;
use crate::tui::format;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: DateTime<Utc>) {
    let theme = app.theme();
    let lines = match app.report() {
        Some(report) => report_lines(report, app, now),
        None if app.jobs().iter().any(|p| p.job == Job::Train) => {
            vec![Line::styled(
                "Training is running; the report appears when it finishes.",
                theme.muted(),
            )]
        }
        None => vec![Line::styled(
            format!(
                "No trained models yet: press {} to train.",
                app.keys().label(Action::Retrain)
            ),
            theme.muted(),
        )],
    };

    // Count the rows each line takes once wrapped inside the borders.
    const WIDTH: u16 = 96;
    let width = WIDTH.min(area.width);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(inner_width))
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
    // Rows that do not fit can be scrolled to.
    let hidden = height.saturating_sub(popup.height);
    let scroll = app.overlay_scroll(hidden);
    let title = if hidden > 0 {
        format!(
            " Models · {} {} to scroll ",
            app.keys().label(Action::Up),
            app.keys().label(Action::Down)
        )
    } else {
        " Models ".to_string()
    };
    let panel = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(
            Block::bordered()
                .title(title)
                .title_style(theme.title())
                .border_style(Style::new().fg(theme.accent)),
        );
    frame.render_widget(Clear, popup);
    frame.render_widget(panel, popup);
}

fn report_lines(report: &ModelReport, app: &App, now: DateTime<Utc>) -> Vec<Line<'static>> {
    let theme = app.theme();
    let source = if app.models_loaded_from_disk() {
        "loaded from disk"
    } else {
        "trained this session"
    };
    let range = match (report.data_start, report.data_end) {
        (Some(start), Some(end)) => format!("{start} to {end}"),
        _ => format::MISSING.to_string(),
    };

    let mut lines = vec![
        Line::from(format!(
            "Trained {} ({} ago), {source}",
            report.trained_at.format("%Y-%m-%d %H:%M UTC"),
            format::age(now - report.trained_at)
        )),
        Line::from(format!(
            "Data {range} · {} coins · {} features · {} train rows, {} test rows",
            report.coins.len(),
            report.feature_names.len(),
            report.train_rows,
            report.test_rows
        )),
    ];
    if let Some(test_start) = report.test_start {
        lines.push(Line::styled(
            format!("Metrics below are out of sample: the test period starts {test_start}"),
            theme.muted(),
        ));
    }
    if report.max_fit_rows > 0 && report.final_rows > report.max_fit_rows {
        lines.push(Line::styled(
            format!(
                "Each forest was fitted on a sample of {} of the labelled rows",
                report.max_fit_rows
            ),
            theme.muted(),
        ));
    }
    lines.push(Line::raw(""));
    lines.extend(metric_lines(
        "Price model (7-day return)",
        &report.price_metrics,
        theme,
    ));
    lines.push(Line::raw(""));
    match &report.gem_unavailable {
        Some(reason) => {
            lines.push(Line::styled(
                "Gem model".to_string(),
                Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::styled(
                format!("  not trained: {reason}"),
                theme.muted(),
            ));
        }
        None => lines.extend(metric_lines("Gem model", &report.gem_metrics, theme)),
    }
    lines.push(Line::raw(""));
    lines.extend(agent_lines(report, theme));
    for warning in &report.warnings {
        lines.push(Line::styled(
            format!("warning: {warning}"),
            Style::new().fg(theme.warning),
        ));
    }
    lines
}

/// Builds the lines of the trading agent's backtest next to its benchmarks.
fn agent_lines(report: &ModelReport, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        "Trading agent (equal-weight portfolio, 0.1% fee per switch)".to_string(),
        Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
    )];
    let backtest = match (&report.backtest, &report.agent_unavailable) {
        (_, Some(reason)) => {
            lines.push(Line::styled(
                format!("  not trained: {reason}"),
                theme.muted(),
            ));
            return lines;
        }
        (Some(backtest), None) => backtest,
        (None, None) => {
            lines.push(Line::styled("  no backtest recorded", theme.muted()));
            return lines;
        }
    };
    let pooled = &backtest.overall.pooled;
    for (name, result) in [
        ("agent", &pooled.agent),
        ("buy and hold", &pooled.buy_and_hold),
        ("model predicts up", &pooled.predicted_rise),
    ] {
        lines.push(Line::raw(format!(
            "  {name:<18} return {:>9}  Sharpe {:>6}  max drawdown {:>7}  trades {:>5.0}",
            format::fraction_as_percent(Some(result.total_return).filter(|v| v.is_finite())),
            metric_value(result.sharpe),
            Some(result.max_drawdown).filter(|v| v.is_finite()).map_or(
                format::MISSING.to_string(),
                |v| format!("{:.2}%", v * 100.0)
            ),
            result.trades
        )));
    }
    lines
}

/// Builds a section title and one line per metric, such as
/// `  MAE  0.0412   baselines: zero 0.0455, mean 0.0461`.
fn metric_lines(title: &str, metrics: &[Metric], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        title.to_string(),
        Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
    )];
    let name_width = metrics
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    if metrics.is_empty() {
        lines.push(Line::styled("  no metrics recorded", theme.muted()));
    }
    for metric in metrics {
        let baselines = metric
            .baselines
            .iter()
            .map(|baseline| format!("{} {}", baseline.name, metric_value(baseline.value)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut spans = vec![
            Span::raw(format!("  {:<name_width$}", metric.name)),
            Span::styled(
                metric_value(metric.model),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        ];
        if !baselines.is_empty() {
            spans.push(Span::styled(
                format!("   baselines: {baselines}"),
                theme.muted(),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

fn metric_value(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        format::MISSING.to_string()
    }
}
