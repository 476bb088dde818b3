//! Technical features per coin-day, computed only from data up to that day.

use crate::market::History;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Feature values of one coin: one row per day, columns in [`feature_names`] order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureTable {
    pub dates: Vec<NaiveDate>,
    /// Row-major values, `dates.len() * feature_names().len()` long; NaN where undefined.
    pub values: Vec<f64>,
}

impl FeatureTable {
    pub fn row(&self, index: usize) -> &[f64] {
        let width = feature_names().len();
        &self.values[index * width..(index + 1) * width]
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// The ordered feature names; models store them and refuse another order.
pub fn feature_names() -> &'static [&'static str] {
    todo!("features module: being written")
}

/// A hash of the ordered feature names and their definitions' version.
pub fn schema_hash() -> u64 {
    todo!("features module: being written")
}

/// Builds the feature table of every coin. Cross-coin features (market-cap
/// rank, returns relative to BTC) use the other coins' rows of the same day.
pub fn build_tables(histories: &BTreeMap<String, History>) -> BTreeMap<String, FeatureTable> {
    let _ = histories;
    todo!("features module: being written")
}
