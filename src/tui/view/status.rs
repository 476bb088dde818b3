//! Status line: data and model age, running jobs with a gauge, the last
//! error with what to do about it, or the newest notice.

use crate::engine::Job;
use crate::tui::app::{App, DataAge};
use crate::tui::format;
use crate::tui::keymap::Action;
use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::LineGauge;
use ratatui::Frame;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const GAUGE_WIDTH: u16 = 24;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: DateTime<Utc>) {
    let ages = ages(app, now);
    let [ages_area, message_area] = Layout::horizontal([
        Constraint::Length(ages.width() as u16 + 1),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(ages, ages_area);

    let theme = app.theme();
    if let Some(progress) = app.jobs().first() {
        let [text_area, gauge_area] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(GAUGE_WIDTH)])
                .areas(message_area);
        let spinner = SPINNER[(app.spinner_frame() % SPINNER.len() as u64) as usize];
        let mut text = format!(
            "{spinner} {} {}/{}",
            progress.job.label(),
            progress.done,
            progress.total
        );
        if !progress.detail.is_empty() {
            text.push_str(&format!(" · {}", progress.detail));
        }
        let others = app.jobs().len() - 1;
        if others > 0 {
            text.push_str(&format!(" (+{others} more)"));
        }
        frame.render_widget(Span::styled(text, Style::new().fg(theme.accent)), text_area);
        let gauge = LineGauge::default()
            .ratio(progress.ratio())
            .filled_style(Style::new().fg(theme.accent))
            .unfilled_style(theme.muted());
        frame.render_widget(gauge, gauge_area);
    } else if let Some(error) = app.last_error() {
        let line = Line::from(vec![
            Span::styled(
                format!("✖ {} failed: {}", error.job.label(), error.message),
                Style::new().fg(theme.error).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" · {}", retry_hint(app, error.job)), theme.muted()),
        ]);
        frame.render_widget(line, message_area);
    } else if let Some(notice) = app.notice() {
        frame.render_widget(
            Span::styled(notice.to_string(), Style::new().fg(theme.warning)),
            message_area,
        );
    }
}

/// Builds the retry advice for a failed job, with the key from the live key table.
pub fn retry_hint(app: &App, job: Job) -> String {
    let (action, verb) = match job {
        Job::Train => (Action::Retrain, "retrain"),
        Job::Fetch | Job::Features | Job::Score => (Action::Refresh, "retry"),
    };
    format!("press {} to {verb}", app.keys().label(action))
}

/// `data 4m · models 2h 05m` (or the snapshot day) for the left of the line.
fn ages(app: &App, now: DateTime<Utc>) -> Line<'static> {
    let theme = app.theme();
    let data = match app.data_age(now) {
        DataAge::Waiting => Span::styled("data —", theme.muted()),
        DataAge::Snapshot { day, .. } => Span::raw(format!("data {day}")),
        DataAge::Fresh { age, .. } => Span::raw(format!("data {}", format::age(age))),
        DataAge::Stale { age, .. } => Span::styled(
            format!("data {} (stale)", format::age(age)),
            Style::new().fg(theme.warning),
        ),
    };
    let models = match app.model_age(now) {
        Some(age) => Span::raw(format!("models {}", format::age(age))),
        None => Span::styled("models —", theme.muted()),
    };
    Line::from(vec![
        data,
        Span::styled(" │ ", theme.muted()),
        models,
        Span::styled(" │", theme.muted()),
    ])
}
