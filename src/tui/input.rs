//! Keys to intents: engine commands are returned, local actions change the app.

use super::app::{App, Mode};
use super::keymap::Action;
use crate::engine::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

impl App {
    /// Handles one key press and returns the command the engine must run,
    /// if any. Navigation, sorting, filtering and favourites change the app here.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Command> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if self.mode == Mode::Filtering && self.edit_filter(&key) {
            return None;
        }

        let action = self.options.keys.action_for(&key)?;
        match (self.mode, action) {
            (_, Action::Quit) => {
                self.should_quit = true;
                Some(Command::Quit)
            }
            (Mode::Help, Action::Help | Action::Back) => self.set_mode(self.overlay_return),
            (Mode::Help | Mode::Models, Action::Up) => self.scroll_overlay(-1),
            (Mode::Help | Mode::Models, Action::Down) => self.scroll_overlay(1),
            (Mode::Help | Mode::Models, Action::PageUp) => {
                self.scroll_overlay(-(self.page_size as isize))
            }
            (Mode::Help | Mode::Models, Action::PageDown) => {
                self.scroll_overlay(self.page_size as isize)
            }
            (Mode::Help | Mode::Models, Action::Top) => self.scroll_overlay(isize::MIN),
            (Mode::Help | Mode::Models, Action::Bottom) => self.scroll_overlay(isize::MAX),
            (Mode::Help, _) => None,
            (Mode::Models, Action::Models | Action::Back) => self.set_mode(self.overlay_return),
            (Mode::Detail, Action::Back | Action::Details) => self.set_mode(Mode::Normal),
            (Mode::Detail, Action::ChartRange) => {
                self.chart_range = (self.chart_range + 1) % super::app::CHART_RANGES.len();
                None
            }
            (_, Action::ChartRange) => None,
            (_, Action::Refresh) => Some(Command::Refresh),
            (_, Action::Retrain) => Some(Command::Retrain),
            (_, Action::Help) => self.open_overlay(Mode::Help),
            (_, Action::Models) => self.open_overlay(Mode::Models),
            (Mode::Models, _) => None,
            (_, Action::Up) => self.move_selection(-1),
            (_, Action::Down) => self.move_selection(1),
            (_, Action::PageUp) => self.move_selection(-(self.page_size as isize)),
            (_, Action::PageDown) => self.move_selection(self.page_size as isize),
            (_, Action::Top) => self.move_selection(isize::MIN),
            (_, Action::Bottom) => self.move_selection(isize::MAX),
            (_, Action::ToggleFavorite) => self.toggle_favorite(),
            (Mode::Detail, _) => None,
            (_, Action::Details) => {
                if self.selected_row().is_some() {
                    self.mode = Mode::Detail;
                }
                None
            }
            (_, Action::Back) => {
                let selected = self.selected_id();
                self.filter.clear();
                self.select_id_or_first(selected);
                self.set_mode(Mode::Normal)
            }
            (_, Action::NextView) => self.switch_view(self.view.next()),
            (_, Action::PreviousView) => self.switch_view(self.view.previous()),
            (_, Action::NextSort) => {
                let sort = &mut self.sorts[self.view.index()];
                *sort = super::rows::Sort::new(sort.column.next());
                None
            }
            (_, Action::ReverseSort) => {
                let sort = &mut self.sorts[self.view.index()];
                sort.descending = !sort.descending;
                None
            }
            (_, Action::Filter) => self.set_mode(Mode::Filtering),
        }
    }

    /// Moves the selection one row per wheel step in the table and the
    /// detail view; other mouse events and overlays ignore the mouse.
    pub fn handle_mouse(&mut self, event: MouseEvent) {
        if matches!(self.mode, Mode::Help | Mode::Models) {
            return;
        }
        match event.kind {
            MouseEventKind::ScrollDown => {
                self.move_selection(1);
            }
            MouseEventKind::ScrollUp => {
                self.move_selection(-1);
            }
            _ => {}
        }
    }

    /// Edits the filter text while the prompt is open. Returns false for keys
    /// the prompt does not use, such as arrows, which go to the key table.
    fn edit_filter(&mut self, key: &KeyEvent) -> bool {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let selected = self.selected_id();
        match key.code {
            KeyCode::Char(c) if plain => self.filter.push(c),
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Esc => {
                self.filter.clear();
                self.mode = Mode::Normal;
            }
            _ => return false,
        }
        self.select_id_or_first(selected);
        true
    }

    /// Returns the id of the selected coin, if any.
    fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|row| row.coin.id.clone())
    }

    /// Selects the coin `id` when the current rows show it, and the first
    /// row otherwise, so that changing the filter keeps the coin in hand.
    fn select_id_or_first(&mut self, id: Option<String>) {
        let position =
            id.and_then(|id| self.visible_rows().iter().position(|row| row.coin.id == id));
        self.selected = position.unwrap_or(0);
        self.clamp_selection();
    }

    fn set_mode(&mut self, mode: Mode) -> Option<Command> {
        self.mode = mode;
        self.overlay_scroll = 0;
        self.clamp_selection();
        None
    }

    /// Opens the help or models overlay over the table or the detail view,
    /// which it returns to when closed.
    fn open_overlay(&mut self, overlay: Mode) -> Option<Command> {
        self.overlay_return = match self.mode {
            Mode::Detail => Mode::Detail,
            _ => Mode::Normal,
        };
        self.set_mode(overlay)
    }

    /// Scrolls the help or models overlay by `lines`, within what the last
    /// drawing left out.
    fn scroll_overlay(&mut self, lines: isize) -> Option<Command> {
        let max = i64::from(self.overlay_scroll_max.get());
        let current = i64::from(self.overlay_scroll.min(self.overlay_scroll_max.get()));
        let step = i64::try_from(lines).unwrap_or(if lines < 0 { i64::MIN } else { i64::MAX });
        let next = current.saturating_add(step).clamp(0, max);
        self.overlay_scroll = u16::try_from(next).unwrap_or(0);
        None
    }

    fn switch_view(&mut self, view: super::rows::View) -> Option<Command> {
        self.view = view;
        self.selected = 0;
        None
    }

    fn move_selection(&mut self, delta: isize) -> Option<Command> {
        let count = self.visible_rows().len();
        if count == 0 {
            self.selected = 0;
            return None;
        }
        let target = (self.selected as isize).saturating_add(delta);
        self.selected = target.clamp(0, count as isize - 1) as usize;
        None
    }

    fn toggle_favorite(&mut self) -> Option<Command> {
        let id = self.selected_row().map(|row| row.coin.id.clone())?;
        self.favorites.toggle(&id);

        if let Some(path) = self.options.favorites_path.clone() {
            if let Err(error) = self.favorites.save(&path) {
                tracing::warn!("{error}");
                self.push_notice(error.to_string());
            }
        }
        // Removing a favourite from the Favourites view shortens the list.
        self.clamp_selection();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{DataOrigin, EngineEvent};
    use crate::market::Coin;
    use crate::tui::app::AppOptions;
    use crate::tui::rows::{SortColumn, View};
    use chrono::{TimeZone, Utc};

    fn press(app: &mut App, code: KeyCode) -> Option<Command> {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    fn loaded_app() -> App {
        let mut app = App::new(AppOptions::default());
        let coins = [
            ("bitcoin", "btc", "Bitcoin"),
            ("ethereum", "eth", "Ethereum"),
            ("dogecoin", "doge", "Dogecoin"),
        ]
        .iter()
        .enumerate()
        .map(|(index, (id, symbol, name))| Coin {
            id: id.to_string(),
            symbol: symbol.to_string(),
            name: name.to_string(),
            market_cap_rank: Some(index as u32 + 1),
            current_price: Some(100.0 / (index as f64 + 1.0)),
            ..Coin::default()
        })
        .collect();
        app.apply(EngineEvent::MarketLoaded {
            coins,
            as_of: Utc.with_ymd_and_hms(2021, 7, 6, 0, 0, 0).unwrap(),
            origin: DataOrigin::Live,
        });
        app
    }

    fn visible_ids(app: &App) -> Vec<String> {
        app.visible_rows()
            .iter()
            .map(|r| r.coin.id.clone())
            .collect()
    }

    #[test]
    fn engine_keys_return_commands() {
        let mut app = loaded_app();
        assert_eq!(press(&mut app, KeyCode::Char('r')), Some(Command::Refresh));
        assert_eq!(press(&mut app, KeyCode::Char('t')), Some(Command::Retrain));
        assert!(!app.should_quit());
        assert_eq!(press(&mut app, KeyCode::Char('q')), Some(Command::Quit));
        assert!(app.should_quit());
    }

    #[test]
    fn navigation_clamps() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Up);
        assert_eq!(app.selected_index(), 0);
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(app.selected_index(), 2);
        press(&mut app, KeyCode::Down);
        assert_eq!(app.selected_index(), 2);
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(app.selected_index(), 0);
        press(&mut app, KeyCode::PageDown);
        assert_eq!(app.selected_index(), 2);
    }

    #[test]
    fn filter_as_you_type() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Char('/'));
        assert_eq!(app.mode(), Mode::Filtering);
        type_text(&mut app, "ETH");
        assert_eq!(visible_ids(&app), ["ethereum"]);
        // Keys bound to actions are text while the prompt is open.
        type_text(&mut app, "q");
        assert!(!app.should_quit());
        assert!(visible_ids(&app).is_empty());
        press(&mut app, KeyCode::Backspace);
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::Normal);
        assert_eq!(app.filter(), "ETH");
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.filter(), "");
        assert_eq!(visible_ids(&app).len(), 3);
    }

    #[test]
    fn overlays_return_to_the_detail_view() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::Detail);
        press(&mut app, KeyCode::Char('?'));
        assert_eq!(app.mode(), Mode::Help);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::Detail);
        press(&mut app, KeyCode::Char('m'));
        press(&mut app, KeyCode::Char('m'));
        assert_eq!(app.mode(), Mode::Detail);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::Normal);
        press(&mut app, KeyCode::Char('?'));
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::Normal);
    }

    #[test]
    fn clearing_the_filter_keeps_the_coin_selected() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, "ETH");
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            app.selected_row().map(|row| row.coin.id.as_str()),
            Some("ethereum")
        );
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.filter(), "");
        assert_eq!(
            app.selected_row().map(|row| row.coin.id.as_str()),
            Some("ethereum")
        );
        assert_ne!(app.selected_index(), 0, "ethereum is not the first row");
    }

    #[test]
    fn sort_keys_cycle_and_reverse() {
        let mut app = loaded_app();
        assert_eq!(app.sort().column, SortColumn::Rank);
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(app.sort().column, SortColumn::Name);
        assert_eq!(visible_ids(&app), ["bitcoin", "dogecoin", "ethereum"]);
        press(&mut app, KeyCode::Char('S'));
        assert_eq!(visible_ids(&app), ["ethereum", "dogecoin", "bitcoin"]);
    }

    #[test]
    fn favourites_view_follows_toggle() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Char('f'));
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.view(), View::Favourites);
        assert_eq!(visible_ids(&app), ["ethereum"]);
        press(&mut app, KeyCode::Char('f'));
        assert!(visible_ids(&app).is_empty());
        assert!(app.empty_reason().contains("press f"));
    }

    #[test]
    fn overlays_open_and_close() {
        let mut app = loaded_app();
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::Detail);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::Normal);
        press(&mut app, KeyCode::Char('?'));
        assert_eq!(app.mode(), Mode::Help);
        assert_eq!(press(&mut app, KeyCode::Char('r')), None);
        press(&mut app, KeyCode::Char('?'));
        assert_eq!(app.mode(), Mode::Normal);
        press(&mut app, KeyCode::Char('m'));
        assert_eq!(app.mode(), Mode::Models);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::Normal);
    }

    #[test]
    fn details_need_a_row() {
        let mut app = App::new(AppOptions::default());
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::Normal);
    }

    #[test]
    fn corrupt_favourites_become_notice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("favorites.json");
        std::fs::write(&path, b"not json").unwrap();

        let app = App::new(AppOptions {
            favorites_path: Some(path),
            ..AppOptions::default()
        });

        assert!(app.favorites().is_empty());
        let notice = app.notice().unwrap_or_default();
        assert!(notice.contains("favorites.json"), "{notice}");
    }

    #[test]
    fn favourite_toggle_saves_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("favorites.json");
        let mut app = App::new(AppOptions {
            favorites_path: Some(path.clone()),
            ..AppOptions::default()
        });
        let coins = loaded_app().coins().to_vec();
        app.apply(EngineEvent::MarketLoaded {
            coins,
            as_of: Utc.with_ymd_and_hms(2021, 7, 6, 0, 0, 0).unwrap(),
            origin: DataOrigin::Live,
        });

        press(&mut app, KeyCode::Char('f'));

        let saved = crate::tui::Favorites::load(&path).unwrap();
        assert!(saved.contains("bitcoin"));
        assert_eq!(saved.len(), 1);
    }
}
