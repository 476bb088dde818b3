//! Footer: key hints generated from the live key table.

use crate::tui::app::{App, Mode};
use crate::tui::keymap::Action;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    let mut spans = Vec::new();

    if app.mode() == Mode::Filtering {
        // The prompt reads these keys itself, so they are not in the key table.
        for (key, hint) in [
            ("type", "filter"),
            ("Enter", "keep"),
            ("Esc", "clear"),
            ("Backspace", "delete"),
        ] {
            push_hint(&mut spans, key.to_string(), hint, app);
        }
    } else {
        let mut actions = footer_actions(app.mode());
        // On a narrow terminal, drop hints from the end but keep the one
        // for help, which lists them all.
        while actions.len() > 1 && hints_width(&actions, app) > usize::from(area.width) {
            let Some(last_other) = actions.iter().rposition(|a| *a != Action::Help) else {
                break;
            };
            actions.remove(last_other);
        }
        for action in actions {
            let hint = action.hint().unwrap_or_else(|| action.name());
            push_hint(&mut spans, app.keys().label(action), hint, app);
        }
    }
    frame.render_widget(Line::from(spans).style(theme.muted()), area);
}

/// Returns the width of the footer line for `actions`.
fn hints_width(actions: &[Action], app: &App) -> usize {
    let mut spans = Vec::new();
    for action in actions {
        let hint = action.hint().unwrap_or_else(|| action.name());
        push_hint(&mut spans, app.keys().label(*action), hint, app);
    }
    Line::from(spans).width()
}

/// Lists the actions that get a footer hint in each mode.
fn footer_actions(mode: Mode) -> Vec<Action> {
    match mode {
        // The chart range only acts in the detail view, so only its footer lists it.
        Mode::Normal | Mode::Filtering => Action::all()
            .filter(|a| a.hint().is_some() && *a != Action::ChartRange)
            .collect(),
        Mode::Detail => vec![
            Action::Back,
            Action::ChartRange,
            Action::Up,
            Action::Down,
            Action::ToggleFavorite,
            Action::Refresh,
            Action::Quit,
        ],
        Mode::Help => vec![Action::Help, Action::Back, Action::Quit],
        Mode::Models => vec![Action::Models, Action::Back, Action::Retrain, Action::Quit],
    }
}

fn push_hint(spans: &mut Vec<Span<'static>>, key: String, hint: &str, app: &App) {
    spans.push(Span::styled(
        format!(" {key}"),
        Style::new()
            .fg(app.theme().accent)
            .add_modifier(Modifier::BOLD),
    ));
    spans.push(Span::raw(format!(" {hint} ")));
}
