//! Labels, chronological splits, the scaler, the forests and the model store.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What `metadata.json` stores about a trained model set, and what the UI shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelReport {
    pub trained_at: DateTime<Utc>,
    pub data_start: Option<NaiveDate>,
    pub data_end: Option<NaiveDate>,
    pub coins: Vec<String>,
    pub feature_names: Vec<String>,
    pub schema_hash: u64,
    pub train_rows: usize,
    pub test_rows: usize,
    pub price_metrics: Vec<Metric>,
    pub gem_metrics: Vec<Metric>,
}

/// One out-of-sample figure next to the same figure for a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub model: f64,
    /// Baseline name and its value on the same rows.
    pub baselines: Vec<(String, f64)>,
}
