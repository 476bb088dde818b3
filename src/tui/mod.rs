//! The terminal UI: app state, key map and one view module per screen region.
