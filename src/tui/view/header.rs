//! Header line: app name, quote currency, view tabs, data origin and age.

use crate::engine::DataOrigin;
use crate::tui::app::{App, DataAge};
use crate::tui::format;
use crate::tui::rows::View;
use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Tabs;
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: DateTime<Utc>) {
    let theme = app.theme();
    let title = format!(" coinlens · {} ", app.options().vs_currency.to_uppercase());
    let data = data_label(app, now);

    let [title_area, tabs_area, data_area] = Layout::horizontal([
        Constraint::Length(title.chars().count() as u16),
        Constraint::Min(0),
        Constraint::Length(data.width() as u16 + 1),
    ])
    .areas(area);

    frame.render_widget(Span::styled(title, theme.title()), title_area);

    let tabs = Tabs::new(View::ALL.map(View::title))
        .select(app.view().index())
        .style(theme.muted())
        .highlight_style(
            Style::new()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
        .divider("│");
    frame.render_widget(tabs, tabs_area);

    frame.render_widget(data.right_aligned(), data_area);
}

/// Builds the data origin and age label, such as `live · 4m old`.
fn data_label(app: &App, now: DateTime<Utc>) -> Line<'static> {
    let theme = app.theme();
    match app.data_age(now) {
        DataAge::Waiting => Line::styled("no data yet", theme.muted()),
        DataAge::Snapshot { day, .. } => Line::from(format!("snapshot {day}")),
        DataAge::Fresh { origin, age } => Line::from(format!(
            "{} · {} old",
            origin_name(&origin),
            format::age(age)
        )),
        DataAge::Stale { origin, age } => Line::from(vec![
            Span::raw(format!("{} · ", origin_name(&origin))),
            Span::styled(
                format!("stale, {} old", format::age(age)),
                Style::new().fg(theme.warning).add_modifier(Modifier::BOLD),
            ),
        ]),
    }
}

fn origin_name(origin: &DataOrigin) -> &'static str {
    match origin {
        DataOrigin::Live => "live",
        DataOrigin::Snapshot(_) => "snapshot",
        DataOrigin::Cache => "cache",
    }
}
