//! Help overlay: every action with its keys, generated from the key table.

use super::centered;
use crate::tui::app::App;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Clear, Row, Table};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    let keys = app.keys();
    let rows: Vec<Row> = keys
        .entries()
        .map(|(action, _)| {
            Row::new(vec![
                Cell::from(Line::styled(
                    keys.label(action),
                    Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
                )),
                Cell::from(action.description()),
            ])
        })
        .collect();

    let height = rows.len() as u16 + 2;
    let popup = centered(area, 74, height);
    let table = Table::new(rows, [Constraint::Length(16), Constraint::Min(0)])
        .block(
            Block::bordered()
                .title(" Keys ")
                .title_bottom(
                    Line::from(" While filtering: type, Backspace, Enter keeps, Esc clears ")
                        .centered(),
                )
                .title_style(theme.title())
                .border_style(Style::new().fg(theme.accent)),
        )
        .column_spacing(2);

    frame.render_widget(Clear, popup);
    frame.render_widget(table, popup);
}
