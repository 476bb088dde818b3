//! Help overlay, generated from the key table: every action with its keys.
//! Where the terminal is wide enough, it also shows the name that remaps the
//! action in the config file.

use super::centered;
use crate::tui::app::App;
use crate::tui::keymap::Action;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Clear, Row, Table};
use ratatui::Frame;

/// Width of the key column.
const KEY_WIDTH: u16 = 16;
/// Width of the column of config names: `toggle_favorite` and a space.
const NAME_WIDTH: u16 = 16;
/// Widest popup: the longest description fits beside both other columns.
const FULL_WIDTH: u16 = 92;
/// Narrowest popup that still shows the config names; below it they are
/// dropped so the descriptions keep their room.
const NAMES_MIN_WIDTH: u16 = 84;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    let keys = app.keys();
    let popup_width = FULL_WIDTH.min(area.width);
    let show_names = popup_width >= NAMES_MIN_WIDTH;
    let rows: Vec<Row> = keys
        .entries()
        .map(|(action, _)| {
            let mut cells = vec![
                Cell::from(Line::styled(
                    keys.label(action),
                    Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
                )),
                Cell::from(action.description()),
            ];
            if show_names {
                cells.push(Cell::from(Line::styled(action.name(), theme.muted())));
            }
            Row::new(cells)
        })
        .collect();

    let mut widths = vec![Constraint::Length(KEY_WIDTH), Constraint::Min(0)];
    let mut title = " Keys ".to_string();
    if show_names {
        widths.push(Constraint::Length(NAME_WIDTH));
        title =
            " Keys · last column: the action's name in the config file's [keys] table ".to_string();
    }
    let height = rows.len() as u16 + 2;
    let popup = centered(area, popup_width, height);
    let hidden = height.saturating_sub(popup.height);
    let scroll = app.overlay_scroll(hidden);
    if hidden > 0 {
        title = format!(
            " Keys · {} {} to scroll ",
            keys.label(Action::Up),
            keys.label(Action::Down)
        );
    }
    let rows: Vec<Row> = rows.into_iter().skip(usize::from(scroll)).collect();
    let table = Table::new(rows, widths)
        .block(
            Block::bordered()
                .title(title)
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
