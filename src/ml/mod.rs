//! Labels, cleaning, walk-forward evaluation, the scaler, the forests,
//! metrics, the trading agent and the model store.

pub mod agent;
pub mod clean;
pub mod dataset;
pub mod drivers;
pub mod evaluate;
pub mod forest;
pub mod metrics;
pub mod model_store;
pub(crate) mod nan_as_null;
pub mod onnx;
mod predict;
pub mod scaler;
pub mod trading;
mod train;
pub mod tune;

pub use dataset::GemRule;
pub use drivers::Driver;
pub use forest::{Forest, ForestParams};
pub use model_store::{ModelStore, ModelStoreError};
pub use predict::{CoinOutcome, SCORING_ROWS};
pub use scaler::Scaler;
pub use train::{
    sample_fit_rows, train, CoinPrediction, ModelSet, TrainError, TrainSettings,
    DEFAULT_MAX_FIT_ROWS,
};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Report of a trained model set, stored as `metadata.json` and shown by the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelReport {
    pub trained_at: DateTime<Utc>,
    /// First and last day of the rows the final models were fit on.
    pub data_start: Option<NaiveDate>,
    pub data_end: Option<NaiveDate>,
    /// First day of the test period the metrics come from.
    pub test_start: Option<NaiveDate>,
    /// Walk-forward folds the test period was cut into.
    pub folds: usize,
    pub coins: Vec<String>,
    pub feature_names: Vec<String>,
    pub schema_hash: u64,
    pub price_params: Option<ForestParams>,
    pub gem_params: Option<ForestParams>,
    /// Training rows of the first walk-forward fold.
    pub train_rows: usize,
    pub test_rows: usize,
    /// Rows the final price model was fit on (training and test periods together).
    pub final_rows: usize,
    /// Maximum rows one forest was fitted on. With more labelled rows, each
    /// fit drew a seeded sample of this many. Reports written before this
    /// limit existed read 0.
    #[serde(default)]
    pub max_fit_rows: usize,
    /// Labelled rows each cleaning rule removed.
    pub cleaning: Vec<clean::RuleCount>,
    /// Training labels clipped to the quantiles for the final price model.
    pub clipped_labels: usize,
    pub price_tuning: Option<tune::Tuning>,
    pub gem_tuning: Option<tune::Tuning>,
    pub price_metrics: Vec<Metric>,
    pub gem_metrics: Vec<Metric>,
    /// Share of gems among the gem detector's training rows.
    pub gem_base_rate: Option<f64>,
    /// Reason the gem detector was not trained, if it was not.
    pub gem_unavailable: Option<String>,
    /// The trading agent's out-of-sample backtest next to its benchmarks.
    pub backtest: Option<agent::BacktestReport>,
    /// Reason the trading agent was not trained, if it was not.
    pub agent_unavailable: Option<String>,
    /// Warnings a reader should see before trusting the metrics.
    pub warnings: Vec<String>,
}

impl ModelReport {
    pub fn has_gem_model(&self) -> bool {
        self.gem_unavailable.is_none()
    }
}

/// One out-of-sample figure next to the same figure for its baselines.
/// Values are NaN where a metric is undefined (stored as `null` in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    #[serde(with = "nan_as_null")]
    pub model: f64,
    /// Baseline name and its value on the same rows.
    pub baselines: Vec<Baseline>,
}

/// A naive prediction's value of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub name: String,
    #[serde(with = "nan_as_null")]
    pub value: f64,
}
