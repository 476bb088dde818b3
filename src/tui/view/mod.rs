//! Drawing: a read-only function of the app state, one module per region.

mod detail;
mod footer;
mod header;
mod help;
mod models;
mod status;
mod table;

use super::app::{App, Mode};
use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// The smallest terminal the views are laid out for.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Draws the whole screen. `now` is the wall-clock time that data and model
/// ages are measured against, passed in so that tests can fix it.
pub fn draw(frame: &mut Frame, app: &App, now: DateTime<Utc>) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }

    let [header_area, body_area, status_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    header::draw(frame, header_area, app, now);
    match app.mode() {
        Mode::Detail => detail::draw(frame, body_area, app),
        _ => table::draw(frame, body_area, app),
    }
    match app.mode() {
        Mode::Help => help::draw(frame, body_area, app),
        Mode::Models => models::draw(frame, body_area, app, now),
        _ => {}
    }
    status::draw(frame, status_area, app, now);
    footer::draw(frame, footer_area, app);
}

/// Table rows that fit on screen at a terminal height, for PgUp/PgDn:
/// the height minus header, status, footer, table borders and column titles.
pub fn table_page_size(terminal_height: u16) -> usize {
    usize::from(terminal_height.saturating_sub(6)).max(1)
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let message = format!(
        "Terminal {}x{} is too small: need {MIN_WIDTH}x{MIN_HEIGHT}",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), area);
}

/// Returns a rectangle of at most `width` x `height` centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
