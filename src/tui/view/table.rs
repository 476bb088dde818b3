//! The coin table of the current view, or the message that replaces it
//! while loading, after a failure or when the view is empty.

use crate::ml::agent::SignalAction;
use crate::tui::app::{App, Mode};
use crate::tui::format;
use crate::tui::rows::{Row as CoinRow, SortColumn};
use crate::tui::theme::Theme;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// Column titles, the sort column each one belongs to, and its width.
const COLUMNS: [(&str, SortColumn, Constraint); 12] = [
    ("#", SortColumn::Rank, Constraint::Length(5)),
    ("Name", SortColumn::Name, Constraint::Min(10)),
    ("Symbol", SortColumn::Symbol, Constraint::Length(7)),
    ("Price", SortColumn::Price, Constraint::Length(14)),
    ("24h", SortColumn::Change24h, Constraint::Length(8)),
    ("7d", SortColumn::Change7d, Constraint::Length(8)),
    ("Mkt cap", SortColumn::MarketCap, Constraint::Length(9)),
    ("Volume", SortColumn::Volume, Constraint::Length(9)),
    ("Pred 7d", SortColumn::Predicted, Constraint::Length(16)),
    ("Gem", SortColumn::GemProbability, Constraint::Length(5)),
    ("Score", SortColumn::Score, Constraint::Length(6)),
    ("Signal", SortColumn::Signal, Constraint::Length(6)),
];

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let block = Block::bordered()
        .title(title(app))
        .border_style(app.theme().muted())
        .title_style(app.theme().title());

    let rows = app.visible_rows();
    if rows.is_empty() {
        let message = Paragraph::new(placeholder(app))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(block);
        frame.render_widget(message, area);
        return;
    }

    let theme = app.theme();
    let sort = app.sort();
    let shown = shown_columns(area.width);
    let header = Row::new(
        shown
            .iter()
            .map(|index| COLUMNS[*index])
            .map(|(name, column, _)| {
                let marker = match (column == sort.column, sort.descending) {
                    (true, true) => "▼",
                    (true, false) => "▲",
                    (false, _) => "",
                };
                let text = format!("{name}{marker}");
                if is_numeric(column) {
                    Cell::from(Line::from(text).right_aligned())
                } else {
                    Cell::from(text)
                }
            }),
    )
    .style(Style::new().fg(theme.accent).add_modifier(Modifier::BOLD));

    // Only the rows that fit are built: the selection stays on screen, as
    // ratatui would scroll it, without formatting every coin on each frame.
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = app.selected_index().min(rows.len() - 1);
    let first = selected.saturating_sub(height - 1);
    let body = rows[first..(first + height).min(rows.len())]
        .iter()
        .map(|row| {
            let mut cells: Vec<Option<Cell>> =
                table_cells(row, theme).into_iter().map(Some).collect();
            Row::new(
                shown
                    .iter()
                    .filter_map(|index| cells[*index].take())
                    .collect::<Vec<_>>(),
            )
        });
    let widths: Vec<Constraint> = shown.iter().map(|index| COLUMNS[*index].2).collect();
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(
            Style::new()
                .bg(theme.selection)
                .add_modifier(Modifier::BOLD),
        )
        .highlight_symbol("▶ ");

    let mut state = TableState::default().with_selected(Some(selected - first));
    frame.render_stateful_widget(table, area, &mut state);
}

fn title(app: &App) -> Line<'static> {
    let sort = app.sort();
    let column = COLUMNS
        .iter()
        .find(|(_, column, _)| *column == sort.column)
        .map_or("?", |(name, _, _)| *name);
    let direction = if sort.descending {
        "descending"
    } else {
        "ascending"
    };
    let count = app.visible_rows().len();
    let noun = if count == 1 { "coin" } else { "coins" };
    let mut spans = vec![Span::raw(format!(
        " {} · {count} {noun} · by {column} {direction} ",
        app.view().title()
    ))];

    if app.mode() == Mode::Filtering {
        spans.push(Span::styled(
            format!(" filter: {}▏", app.filter()),
            Style::new().fg(app.theme().warning),
        ));
    } else if !app.filter().is_empty() {
        spans.push(Span::styled(
            format!(" filter: {} ", app.filter()),
            Style::new().fg(app.theme().warning),
        ));
    }
    Line::from(spans)
}

/// Builds the message shown in place of an empty table.
fn placeholder(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme();
    if !app.has_data() {
        if let Some(job) = app.jobs().first() {
            let detail = if job.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", job.detail)
            };
            return vec![
                Line::raw(""),
                Line::styled(
                    format!(
                        "Loading market data ({} {}/{}{detail})",
                        job.job.label(),
                        job.done,
                        job.total
                    ),
                    theme.title(),
                ),
            ];
        }
        if let Some(error) = app.last_error() {
            return vec![
                Line::raw(""),
                Line::styled(
                    format!("{} failed: {}", error.job.label(), error.message),
                    Style::new().fg(theme.error),
                ),
                Line::styled(super::status::retry_hint(app, error.job), theme.muted()),
            ];
        }
        return vec![
            Line::raw(""),
            Line::styled("Waiting for the engine to send market data", theme.muted()),
        ];
    }
    vec![
        Line::raw(""),
        Line::styled(capitalize(&app.empty_reason()), theme.muted()),
    ]
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_numeric(column: SortColumn) -> bool {
    !matches!(
        column,
        SortColumn::Name | SortColumn::Symbol | SortColumn::Signal
    )
}

/// Columns dropped first when the terminal is too narrow for all of them,
/// by index into [`COLUMNS`]: volume, signal, 24h, market cap, symbol, 7d.
const DROP_ORDER: [usize; 6] = [7, 11, 4, 6, 2, 5];

/// Indices of the columns that fit in `width`, in table order. Whole
/// columns are left out rather than cutting digits off numbers.
fn shown_columns(width: u16) -> Vec<usize> {
    // Borders, the highlight symbol and the Name column's minimum.
    const FIXED: u16 = 2 + 2;
    let column_width = |index: usize| match COLUMNS[index].2 {
        Constraint::Length(width) | Constraint::Min(width) => width + 1,
        _ => 1,
    };
    let mut shown: Vec<usize> = (0..COLUMNS.len()).collect();
    for drop in DROP_ORDER {
        let needed: u16 = FIXED + shown.iter().map(|index| column_width(*index)).sum::<u16>();
        if needed <= width {
            break;
        }
        shown.retain(|index| *index != drop);
    }
    shown
}

fn table_cells(row: &CoinRow<'_>, theme: &Theme) -> Vec<Cell<'static>> {
    let coin = row.coin;
    let scored = row.scored;
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let change = |value: Option<f64>| {
        Cell::from(
            Line::from(format::percent(value))
                .right_aligned()
                .style(theme.change(value)),
        )
    };

    let rank = coin
        .market_cap_rank
        .map_or(format::MISSING.to_string(), |r| r.to_string());
    let name = if row.favorite {
        Line::from(vec![
            Span::styled("★ ", Style::new().fg(theme.highlight)),
            Span::raw(coin.name.clone()),
        ])
    } else {
        Line::raw(coin.name.clone())
    };
    let gem = match scored {
        Some(s) if s.is_gem => Line::styled(
            format!("◆{}", format::probability(s.gem_probability)),
            Style::new().fg(theme.highlight),
        ),
        Some(s) => Line::raw(format::probability(s.gem_probability)),
        None => Line::raw(format::MISSING),
    };

    vec![
        right(rank),
        Cell::from(name),
        Cell::from(coin.symbol.to_uppercase()),
        right(format::price(coin.current_price)),
        change(coin.price_change_percentage_24h),
        change(coin.price_change_percentage_7d),
        right(format::compact(coin.market_cap)),
        right(format::compact(coin.total_volume)),
        Cell::from(prediction(row, theme).right_aligned()),
        Cell::from(gem.right_aligned()),
        right(
            scored
                .and_then(|s| s.real_score())
                .map_or(format::MISSING.to_string(), |score| format!("{score:.2}")),
        ),
        Cell::from(signal(scored, theme)),
    ]
}

/// Formats the trading agent's advice, coloured: buy green, sell red, hold plain.
fn signal(scored: Option<&crate::analysis::ScoredCoin>, theme: &Theme) -> Line<'static> {
    let Some(signal) = scored.and_then(|s| s.signal) else {
        return Line::raw(format::MISSING);
    };
    let style = match signal.action {
        SignalAction::Buy => Style::new().fg(theme.up),
        SignalAction::Sell => Style::new().fg(theme.down),
        SignalAction::Hold => Style::new(),
    };
    Line::styled(signal.action.label(), style)
}

/// Predicted 7-day return with its spread, and `!` when the coin's features
/// were outside the training range: `+3.21% ±1.05!`.
fn prediction(row: &CoinRow<'_>, theme: &Theme) -> Line<'static> {
    let Some(scored) = row.scored else {
        return Line::raw(format::MISSING);
    };
    let Some(predicted) = scored.predicted_return_7d else {
        return Line::raw(format::MISSING);
    };
    let mut spans = vec![Span::styled(
        format::fraction_as_percent(Some(predicted)),
        theme.change(Some(predicted)),
    )];
    if let Some(spread) = scored.prediction_spread {
        spans.push(Span::styled(
            format!(" ±{:.2}", spread * 100.0),
            theme.muted(),
        ));
    }
    if scored.out_of_range {
        spans.push(Span::styled(
            "!",
            Style::new().fg(theme.warning).add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}
