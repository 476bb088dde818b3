//! The terminal UI: app state, key map and one view module per screen region.

mod app;
pub mod detail;
pub mod favorites;
pub mod format;
mod input;
pub mod keymap;
mod rows;
mod run;
pub mod terminal;
pub mod theme;
pub mod view;

pub use app::{App, AppOptions, DataAge, JobProgress, LastError, Mode};
pub use favorites::{Favorites, FavoritesError};
pub use keymap::{Action, Key, KeyBindingError, KeyBindings};
pub use rows::{Row, Sort, SortColumn, View};
pub use run::{run, run_with_input};
pub use theme::Theme;
