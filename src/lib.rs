//! coinlens: crypto market data, engineered features, trained models and a
//! terminal UI that ranks coins by predicted return and gem probability.
//!
//! The data flow is `market` (live APIs or a snapshot folder) → `store`
//! (on-disk history cache) → `features` → `ml` (training, model files) →
//! `analysis` (scores and ranks) → `tui`, driven by the background `engine`.

pub mod analysis;
pub mod app;
pub mod binfile;
pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod features;
pub mod feed;
pub mod logging;
pub mod market;
pub mod ml;
pub mod report;
pub mod store;
pub mod tui;
