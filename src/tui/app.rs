//! The UI state. Engine results change it only through [`App::apply`], and
//! keys change it only through [`App::handle_key`] (in `input.rs`).

use super::favorites::Favorites;
use super::keymap::KeyBindings;
use super::rows::{sort_rows, Row, Sort, View};
use super::theme::Theme;
use crate::analysis::ScoredCoin;
use crate::engine::{DataOrigin, EngineEvent, Job};
use crate::market::{Coin, History};
use crate::ml::ModelReport;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Notices kept for the status line; older ones are dropped.
const MAX_NOTICES: usize = 5;

/// Ticks a notice stays on the status line: 240 ticks of 250 ms, one
/// minute. Notices such as "no saved models yet" describe a passing state,
/// so they must not stay on screen after it has passed. Every notice is
/// also in the log.
const NOTICE_TICKS: u64 = 240;

/// Days the detail chart can show; the chart-range key cycles through them.
pub const CHART_RANGES: [usize; 3] = [crate::tui::detail::CHART_DAYS, 90, 30];

/// Settings the app starts with, taken from the config file.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Quote currency shown in the header, such as `usd`.
    pub vs_currency: String,
    /// Live or cached data older than this is marked stale.
    pub stale_after: TimeDelta,
    pub keys: KeyBindings,
    pub theme: Theme,
    /// Favourites file path. `None` keeps favourites in memory only.
    pub favorites_path: Option<PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            vs_currency: "usd".to_string(),
            stale_after: TimeDelta::minutes(15),
            keys: KeyBindings::default(),
            theme: Theme::default(),
            favorites_path: None,
        }
    }
}

/// Input mode: the table, the filter prompt or an overlay receives keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filtering,
    Help,
    Detail,
    Models,
}

/// Progress of one running job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobProgress {
    pub job: Job,
    pub done: usize,
    pub total: usize,
    pub detail: String,
}

impl JobProgress {
    /// Completed fraction in [0, 1]; 0 while the total is unknown.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// The last failed job and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    pub job: Job,
    pub message: String,
}

/// Age of the market data on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataAge {
    /// No market data has arrived yet.
    Waiting,
    /// Snapshot data: the snapshot's last day is "now", so it has no age.
    Snapshot {
        name: String,
        day: NaiveDate,
    },
    Fresh {
        origin: DataOrigin,
        age: TimeDelta,
    },
    Stale {
        origin: DataOrigin,
        age: TimeDelta,
    },
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    pub(super) options: AppOptions,
    pub(super) coins: Vec<Coin>,
    pub(super) scored: Vec<ScoredCoin>,
    pub(super) histories: Arc<BTreeMap<String, History>>,
    pub(super) report: Option<Arc<ModelReport>>,
    pub(super) models_loaded_from_disk: bool,
    /// Running jobs in the order they started.
    pub(super) jobs: Vec<JobProgress>,
    pub(super) origin: Option<DataOrigin>,
    pub(super) as_of: Option<DateTime<Utc>>,
    pub(super) last_error: Option<LastError>,
    pub(super) notices: Vec<String>,
    /// Tick at which the newest notice arrived.
    pub(super) notice_tick: u64,
    /// Index into [`CHART_RANGES`] of the detail chart's window.
    pub(super) chart_range: usize,
    pub(super) view: View,
    pub(super) mode: Mode,
    /// Mode the help or models overlay returns to when closed.
    pub(super) overlay_return: Mode,
    /// First line shown of the help or models overlay.
    pub(super) overlay_scroll: u16,
    /// Largest useful [`App::overlay_scroll`]. The overlay's drawing sets it,
    /// because only the drawing computes how many lines fit.
    pub(super) overlay_scroll_max: std::cell::Cell<u16>,
    pub(super) selected: usize,
    pub(super) sorts: [Sort; 4],
    pub(super) filter: String,
    pub(super) favorites: Favorites,
    /// Rows one PgUp/PgDn moves; the run loop sets it from the terminal height.
    pub(super) page_size: usize,
    pub(super) tick: u64,
    pub(super) should_quit: bool,
}

impl App {
    /// Creates the app and loads favourites. A favourites file that cannot
    /// be read becomes a notice and an empty set.
    pub fn new(options: AppOptions) -> Self {
        let mut notices = Vec::new();
        let favorites = match &options.favorites_path {
            Some(path) => Favorites::load(path).unwrap_or_else(|error| {
                tracing::warn!("{error}");
                notices.push(error.to_string());
                Favorites::default()
            }),
            None => Favorites::default(),
        };

        Self {
            options,
            coins: Vec::new(),
            scored: Vec::new(),
            histories: Arc::default(),
            report: None,
            models_loaded_from_disk: false,
            jobs: Vec::new(),
            origin: None,
            as_of: None,
            last_error: None,
            notices,
            notice_tick: 0,
            chart_range: 0,
            view: View::Coins,
            mode: Mode::Normal,
            overlay_return: Mode::Normal,
            overlay_scroll: 0,
            overlay_scroll_max: std::cell::Cell::new(0),
            selected: 0,
            sorts: View::ALL.map(View::default_sort),
            filter: String::new(),
            favorites,
            page_size: 10,
            tick: 0,
            should_quit: false,
        }
    }

    /// Applies one engine result. This is the only place engine output changes state.
    pub fn apply(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Progress {
                job,
                done,
                total,
                detail,
            } => {
                let progress = JobProgress {
                    job,
                    done,
                    total,
                    detail,
                };
                match self.jobs.iter_mut().find(|p| p.job == job) {
                    Some(slot) => *slot = progress,
                    None => self.jobs.push(progress),
                }
            }
            EngineEvent::MarketLoaded {
                coins,
                as_of,
                origin,
            } => {
                self.coins = coins;
                self.as_of = Some(as_of);
                self.origin = Some(origin);
            }
            EngineEvent::HistoriesLoaded(histories) => self.histories = histories,
            EngineEvent::Scored { coins, as_of } => {
                self.scored = coins;
                // Scores may arrive from cached data before any market list.
                self.as_of.get_or_insert(as_of);
            }
            EngineEvent::ModelsReady {
                report,
                loaded_from_disk,
            } => {
                self.report = Some(report);
                self.models_loaded_from_disk = loaded_from_disk;
            }
            EngineEvent::Finished(job) => {
                self.jobs.retain(|p| p.job != job);
                // Notices about a coming or queued training run are out of
                // date once a run has ended.
                if job == Job::Train {
                    self.expire_notice();
                }
                if self.last_error.as_ref().is_some_and(|e| e.job == job) {
                    self.last_error = None;
                }
            }
            EngineEvent::Failed { job, message } => {
                self.jobs.retain(|p| p.job != job);
                self.last_error = Some(LastError { job, message });
            }
            EngineEvent::Notice(text) => self.push_notice(text),
        }
        self.clamp_selection();
    }

    /// Advances the spinner; the run loop calls it on every tick.
    pub fn tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
    }

    /// Sets how many rows PgUp/PgDn move, from the visible table height.
    pub fn set_page_size(&mut self, rows: usize) {
        self.page_size = rows.max(1);
    }

    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn view(&self) -> View {
        self.view
    }

    pub fn sort(&self) -> Sort {
        self.sorts[self.view.index()]
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn options(&self) -> &AppOptions {
        &self.options
    }

    pub fn theme(&self) -> &Theme {
        &self.options.theme
    }

    pub fn keys(&self) -> &KeyBindings {
        &self.options.keys
    }

    pub fn favorites(&self) -> &Favorites {
        &self.favorites
    }

    pub fn coins(&self) -> &[Coin] {
        &self.coins
    }

    pub fn scored(&self) -> &[ScoredCoin] {
        &self.scored
    }

    pub fn report(&self) -> Option<&ModelReport> {
        self.report.as_deref()
    }

    pub fn models_loaded_from_disk(&self) -> bool {
        self.models_loaded_from_disk
    }

    pub fn history(&self, id: &str) -> Option<&History> {
        self.histories.get(id)
    }

    pub fn jobs(&self) -> &[JobProgress] {
        &self.jobs
    }

    pub fn last_error(&self) -> Option<&LastError> {
        self.last_error.as_ref()
    }

    /// Returns the newest notice while it is recent enough to show.
    pub fn notice(&self) -> Option<&str> {
        if self.tick.wrapping_sub(self.notice_tick) > NOTICE_TICKS {
            return None;
        }
        self.notices.last().map(String::as_str)
    }

    /// Days of history the detail chart shows.
    pub fn chart_days(&self) -> usize {
        CHART_RANGES[self.chart_range % CHART_RANGES.len()]
    }

    pub fn spinner_frame(&self) -> u64 {
        self.tick
    }

    /// Returns true until the first market list or score list arrives.
    pub fn has_data(&self) -> bool {
        !self.coins.is_empty() || !self.scored.is_empty() || self.as_of.is_some()
    }

    /// Computes the data age at `now`. In snapshot mode the snapshot's last
    /// day is treated as now, so snapshot data is never stale.
    pub fn data_age(&self, now: DateTime<Utc>) -> DataAge {
        let (Some(origin), Some(as_of)) = (&self.origin, self.as_of) else {
            return DataAge::Waiting;
        };
        if let DataOrigin::Snapshot(name) = origin {
            return DataAge::Snapshot {
                name: name.clone(),
                day: as_of.date_naive(),
            };
        }
        let age = now - as_of;
        let origin = origin.clone();
        if age > self.options.stale_after {
            DataAge::Stale { origin, age }
        } else {
            DataAge::Fresh { origin, age }
        }
    }

    /// Time since the models were trained, measured against `now`.
    pub fn model_age(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.report.as_ref().map(|report| now - report.trained_at)
    }

    /// Returns the rows of the current view after the filter, in sort order.
    pub fn visible_rows(&self) -> Vec<Row<'_>> {
        self.rows_for(self.view)
    }

    /// Returns the rows of `view` after the filter, in that view's sort order.
    pub fn rows_for(&self, view: View) -> Vec<Row<'_>> {
        self.collect_rows(view, &self.filter.to_lowercase())
    }

    fn collect_rows(&self, view: View, filter_lower: &str) -> Vec<Row<'_>> {
        let scored_by_id: HashMap<&str, &ScoredCoin> = self
            .scored
            .iter()
            .map(|s| (s.coin.id.as_str(), s))
            .collect();
        let coins: Vec<&Coin> = if self.coins.is_empty() {
            self.scored.iter().map(|s| &s.coin).collect()
        } else {
            self.coins.iter().collect()
        };
        let mut rows: Vec<Row<'_>> = coins
            .into_iter()
            .map(|coin| Row {
                coin,
                scored: scored_by_id.get(coin.id.as_str()).copied(),
                favorite: self.favorites.contains(&coin.id),
            })
            .filter(|row| row.belongs_to(view) && row.matches_filter(filter_lower))
            .collect();
        sort_rows(&mut rows, self.sorts[view.index()]);
        rows
    }

    /// Returns the first line to show of the help or models overlay, within
    /// `max` (the lines that do not fit), and records `max` for scrolling.
    pub fn overlay_scroll(&self, max: u16) -> u16 {
        self.overlay_scroll_max.set(max);
        self.overlay_scroll.min(max)
    }

    /// Index of the selected row in [`App::visible_rows`].
    pub fn selected_index(&self) -> usize {
        self.selected
    }

    /// Returns the selected row, if the view has any rows.
    pub fn selected_row(&self) -> Option<Row<'_>> {
        self.visible_rows().get(self.selected).copied()
    }

    /// Explains why the current view has no rows, for the empty-table message.
    pub fn empty_reason(&self) -> String {
        if !self.filter.is_empty() && !self.collect_rows(self.view, "").is_empty() {
            return format!("no coin matches the filter \"{}\"", self.filter);
        }
        match self.view {
            View::Coins | View::Predictions => "the market list is empty".to_string(),
            View::Gems if self.scored.is_empty() => {
                "no scores yet: the models have not scored any coin".to_string()
            }
            View::Gems if self.coins_without_market_caps() => {
                "no market caps in this data: the gem rule needs market-cap ranks".to_string()
            }
            View::Gems => "no coin passes the gem threshold".to_string(),
            View::Favourites => format!(
                "no favourites yet: press {} on a coin to add it",
                self.options
                    .keys
                    .label(super::keymap::Action::ToggleFavorite)
            ),
        }
    }

    fn coins_without_market_caps(&self) -> bool {
        let coins: Vec<&Coin> = if self.coins.is_empty() {
            self.scored.iter().map(|s| &s.coin).collect()
        } else {
            self.coins.iter().collect()
        };
        !coins.is_empty() && coins.iter().all(|c| c.market_cap.is_none())
    }

    /// Hides the current notice; it stays in the list of recent notices.
    fn expire_notice(&mut self) {
        self.notice_tick = self.tick.wrapping_sub(NOTICE_TICKS + 1);
    }

    pub(super) fn push_notice(&mut self, text: String) {
        self.notices.push(text);
        self.notice_tick = self.tick;
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    pub(super) fn clamp_selection(&mut self) {
        let count = self.visible_rows().len();
        self.selected = self.selected.min(count.saturating_sub(1));
    }
}
