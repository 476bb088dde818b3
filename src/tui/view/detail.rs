//! Detail view of the selected coin: price chart with SMA 20 and SMA 50,
//! RSI 14 and MACD panels, market data and the model's predictions: the
//! predicted 7-day path with its band on the price chart, and the features
//! that drive the prediction in the details panel.

use crate::analysis::ScoredCoin;
use crate::tui::app::App;
use crate::tui::detail::{detail_series, forecast, DetailSeries, Forecast, FORECAST_DAYS};
use crate::tui::format;
use crate::tui::rows::Row as CoinRow;
use crate::tui::theme::Theme;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, LegendPosition, Paragraph, Wrap};
use ratatui::Frame;

const INFO_WIDTH: u16 = 38;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    let Some(row) = app.selected_row() else {
        let message = Paragraph::new("No coin selected")
            .alignment(Alignment::Center)
            .block(Block::bordered());
        frame.render_widget(message, area);
        return;
    };

    let [charts_area, info_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(INFO_WIDTH)]).areas(area);
    draw_info(frame, info_area, &row, theme);

    let Some(history) = app.history(&row.coin.id).filter(|h| !h.is_empty()) else {
        let message = Paragraph::new(vec![
            Line::raw(""),
            Line::styled("No price history for this coin yet", theme.muted()),
        ])
        .alignment(Alignment::Center)
        .block(
            Block::bordered()
                .title(" Price ")
                .title_style(theme.title()),
        );
        frame.render_widget(message, charts_area);
        return;
    };

    let series = detail_series(history, app.chart_days());
    let forecast = row.scored.and_then(|scored| {
        forecast(
            &series.closes,
            scored.predicted_return_7d?,
            scored.prediction_spread?,
        )
    });
    let x_max = x_max(&series, forecast.is_some());
    let [price_area, rsi_area, macd_area] = Layout::vertical([
        Constraint::Percentage(56),
        Constraint::Percentage(22),
        Constraint::Percentage(22),
    ])
    .areas(charts_area);
    draw_price(frame, price_area, &series, forecast.as_ref(), x_max, theme);
    draw_rsi(frame, rsi_area, &series, x_max, theme);
    draw_macd(frame, macd_area, &series, x_max, theme);
}

/// Right end of the shared x axis: the last day, or day +7 with a forecast.
fn x_max(series: &DetailSeries, with_forecast: bool) -> f64 {
    let last = series.closes.len().saturating_sub(1) as f64;
    if with_forecast {
        last + FORECAST_DAYS as f64
    } else {
        last
    }
}

fn draw_price(
    frame: &mut Frame,
    area: Rect,
    series: &DetailSeries,
    forecast: Option<&Forecast>,
    x_max: f64,
    theme: &Theme,
) {
    // Empty lines are left out so the legend lists only what is drawn.
    let mut datasets: Vec<Dataset> = [
        line("close", &series.closes, theme.accent),
        line("SMA 20", &series.sma_20, Color::Yellow),
        line("SMA 50", &series.sma_50, Color::Magenta),
    ]
    .into_iter()
    .zip([&series.closes, &series.sma_20, &series.sma_50])
    .filter(|(_, data)| !data.is_empty())
    .map(|(dataset, _)| dataset)
    .collect();
    let mut lines_for_bounds = vec![&series.closes[..], &series.sma_20, &series.sma_50];
    if let Some(forecast) = forecast {
        // The band goes first so the predicted path is drawn over it.
        datasets.insert(0, line("± spread", &forecast.band, theme.muted));
        datasets.push(line("7d forecast", &forecast.path, theme.highlight));
        lines_for_bounds.push(&forecast.band);
    }

    let mut title = match (series.first_day, series.last_day) {
        (Some(first), Some(last)) => format!(" Price · {first} to {last} "),
        _ => " Price ".to_string(),
    };
    if let Some(forecast) = forecast {
        title.push_str(&format!(
            "· day +{FORECAST_DAYS}: {} ({} to {}) ",
            format::price(Some(forecast.target)),
            format::price(Some(forecast.low)),
            format::price(Some(forecast.high)),
        ));
    }
    let bounds = DetailSeries::bounds(&lines_for_bounds);
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(title).title_style(theme.title()))
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Ratio(1, 3), Constraint::Ratio(1, 2)))
        .x_axis(x_axis(series, forecast.is_some(), x_max, theme))
        .y_axis(y_axis(bounds, theme, |v| format::price(Some(v))));
    frame.render_widget(chart, area);
}

fn draw_rsi(frame: &mut Frame, area: Rect, series: &DetailSeries, x_max: f64, theme: &Theme) {
    let block = Block::bordered()
        .title(" RSI 14 ")
        .title_style(theme.title());
    if series.rsi_14.is_empty() {
        frame.render_widget(unavailable(block, theme), area);
        return;
    }
    let oversold = [(0.0, 30.0), (x_max, 30.0)];
    let overbought = [(0.0, 70.0), (x_max, 70.0)];
    let datasets = vec![
        line("", &oversold, theme.muted),
        line("", &overbought, theme.muted),
        line("RSI", &series.rsi_14, theme.accent),
    ];
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(Axis::default().bounds([0.0, x_max]))
        .y_axis(
            Axis::default()
                .bounds([0.0, 100.0])
                .labels(["0", "50", "100"].map(|t| Span::styled(t, theme.muted())))
                .style(theme.muted()),
        );
    frame.render_widget(chart, area);
}

fn draw_macd(frame: &mut Frame, area: Rect, series: &DetailSeries, x_max: f64, theme: &Theme) {
    let block = Block::bordered()
        .title(" MACD 12 26 9: line, signal, histogram ")
        .title_style(theme.title());
    if series.macd_line.is_empty() {
        frame.render_widget(unavailable(block, theme), area);
        return;
    }
    let histogram = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Bar)
        .style(theme.muted())
        .data(&series.macd_hist);
    let datasets = vec![
        histogram,
        line("MACD", &series.macd_line, theme.accent),
        line("signal", &series.macd_signal, Color::Yellow),
    ];
    let bounds = DetailSeries::bounds(&[&series.macd_line, &series.macd_signal, &series.macd_hist]);
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(Axis::default().bounds([0.0, x_max]))
        .y_axis(y_axis(bounds, theme, |v| format::price(Some(v))));
    frame.render_widget(chart, area);
}

fn unavailable<'a>(block: Block<'a>, theme: &Theme) -> Paragraph<'a> {
    Paragraph::new(Line::styled(
        "Not enough history for this indicator",
        theme.muted(),
    ))
    .alignment(Alignment::Center)
    .block(block)
}

fn line<'a>(name: &'static str, data: &'a [(f64, f64)], color: Color) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(color))
        .data(data)
}

/// Labels the first and the right-most day; with a forecast that is the
/// last day plus [`FORECAST_DAYS`].
fn x_axis(series: &DetailSeries, with_forecast: bool, x_max: f64, theme: &Theme) -> Axis<'static> {
    let right = if with_forecast {
        series
            .last_day
            .map(|last| last + chrono::Days::new(FORECAST_DAYS as u64))
    } else {
        series.last_day
    };
    let labels = match (series.first_day, right) {
        (Some(first), Some(right)) => vec![first.to_string(), right.to_string()],
        _ => Vec::new(),
    };
    Axis::default()
        .bounds([0.0, x_max])
        .labels(labels.into_iter().map(|t| Span::styled(t, theme.muted())))
        .style(theme.muted())
}

/// Builds a y axis over `bounds` with 5% padding and three labels.
fn y_axis(
    bounds: Option<(f64, f64)>,
    theme: &Theme,
    label: impl Fn(f64) -> String,
) -> Axis<'static> {
    let (low, high) = bounds.unwrap_or((0.0, 1.0));
    let padding = ((high - low) * 0.05)
        .max(high.abs() * 1e-6)
        .max(f64::MIN_POSITIVE);
    let (low, high) = (low - padding, high + padding);
    Axis::default()
        .bounds([low, high])
        .labels([low, (low + high) / 2.0, high].map(|v| Span::styled(label(v), theme.muted())))
        .style(theme.muted())
}

fn draw_info(frame: &mut Frame, area: Rect, row: &CoinRow<'_>, theme: &Theme) {
    let coin = row.coin;
    let label = |text: &'static str| Span::styled(format!("{text:<16}"), theme.muted());
    let value_line =
        |name: &'static str, value: String| Line::from(vec![label(name), Span::raw(value)]);
    let change_line = |name: &'static str, value: Option<f64>| {
        Line::from(vec![
            label(name),
            Span::styled(format::percent(value), theme.change(value)),
        ])
    };

    let mut title = vec![Span::styled(
        format!("{} ({})", coin.name, coin.symbol.to_uppercase()),
        theme.title(),
    )];
    if row.favorite {
        title.push(Span::styled(" ★", Style::new().fg(theme.highlight)));
    }
    let mut lines = vec![
        Line::from(title),
        Line::raw(""),
        value_line(
            "Market-cap rank",
            coin.market_cap_rank
                .map_or(format::MISSING.to_string(), |r| format!("#{r}")),
        ),
        value_line("Price", format::price(coin.current_price)),
        change_line("24h", coin.price_change_percentage_24h),
        change_line("7d", coin.price_change_percentage_7d),
        change_line("30d", coin.price_change_percentage_30d),
        value_line("Market cap", format::compact(coin.market_cap)),
        value_line("Volume 24h", format::compact(coin.total_volume)),
        value_line("All-time high", format::price(coin.ath)),
        value_line(
            "Updated",
            coin.last_updated.map_or(format::MISSING.to_string(), |t| {
                t.format("%Y-%m-%d %H:%M").to_string()
            }),
        ),
        Line::raw(""),
    ];
    lines.extend(prediction_lines(row, theme, &label));

    let panel = Paragraph::new(lines).wrap(Wrap { trim: true }).block(
        Block::bordered()
            .title(" Details ")
            .title_style(theme.title()),
    );
    frame.render_widget(panel, area);
}

fn prediction_lines(
    row: &CoinRow<'_>,
    theme: &Theme,
    label: &dyn Fn(&'static str) -> Span<'static>,
) -> Vec<Line<'static>> {
    let Some(scored) = row.scored else {
        return vec![Line::styled("No scores yet", theme.muted())];
    };
    let predicted = scored.predicted_return_7d;
    let mut prediction = vec![
        label("Predicted 7d"),
        Span::styled(
            format::fraction_as_percent(predicted),
            theme.change(predicted),
        ),
    ];
    if let (Some(_), Some(spread)) = (predicted, scored.prediction_spread) {
        prediction.push(Span::styled(
            format!(" ±{:.2}%", spread * 100.0),
            theme.muted(),
        ));
    }

    let mut gem = vec![
        label("Gem probability"),
        Span::raw(format::probability(scored.gem_probability)),
    ];
    if scored.is_gem {
        gem.push(Span::styled(
            " ◆ gem",
            Style::new()
                .fg(theme.highlight)
                .add_modifier(Modifier::BOLD),
        ));
    }

    let mut lines = vec![
        Line::from(prediction),
        Line::from(gem),
        Line::from(vec![
            label("Score"),
            Span::raw(
                scored
                    .real_score()
                    .map_or(format::MISSING.to_string(), |score| {
                        format!("{score:.2} (rank {})", scored.rank)
                    }),
            ),
        ]),
        Line::from(vec![
            label("Agent signal"),
            Span::raw(scored.signal.map_or(format::MISSING.to_string(), |signal| {
                format!(
                    "{} (Q advantage {:.4})",
                    signal.action.label(),
                    signal.value
                )
            })),
        ]),
    ];
    if scored.out_of_range {
        lines.push(Line::styled(
            "! Features outside the training range: treat the prediction with care",
            Style::new().fg(theme.warning),
        ));
    }
    if let Some(note) = &scored.note {
        lines.push(Line::styled(note.clone(), theme.muted()));
    }
    lines.extend(driver_lines(scored, theme));
    lines
}

/// Widths of the driver columns: feature name, its value, its effect.
const DRIVER_NAME_WIDTH: usize = 18;
const DRIVER_VALUE_WIDTH: usize = 9;
const DRIVER_EFFECT_WIDTH: usize = 7;

/// Lists the features that move the predicted return most, with the coin's
/// value of each and the change in the prediction when that feature is set
/// to its training median instead.
fn driver_lines(scored: &ScoredCoin, theme: &Theme) -> Vec<Line<'static>> {
    if scored.drivers.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            format!(
                "{:<name$} {:>value$} {:>effect$}",
                "Driver",
                "value",
                "effect",
                name = DRIVER_NAME_WIDTH,
                value = DRIVER_VALUE_WIDTH,
                effect = DRIVER_EFFECT_WIDTH
            ),
            theme.muted(),
        ),
    ];
    for driver in &scored.drivers {
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<name$} {:>value$} ",
                truncate(&driver.feature, DRIVER_NAME_WIDTH),
                format::feature_value(driver.value),
                name = DRIVER_NAME_WIDTH,
                value = DRIVER_VALUE_WIDTH,
            )),
            Span::styled(
                format!(
                    "{:>effect$}",
                    format::fraction_as_percent(Some(driver.effect)),
                    effect = DRIVER_EFFECT_WIDTH
                ),
                theme.change(Some(driver.effect)),
            ),
        ]));
    }
    lines.push(Line::styled(
        "effect: vs. the feature at its median",
        theme.muted(),
    ));
    lines
}

/// Cuts `text` to `width` characters, ending in "…" when it was longer.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
