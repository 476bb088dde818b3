//! Technical features per coin-day, computed only from data up to that day.
//!
//! [`build_tables`] turns each coin's daily history into a [`FeatureTable`]
//! whose columns are [`feature_names`], defined one per line in [`schema`].
//! The value of day t reads rows up to t only. NaN marks every value that is
//! undefined (warm-up, missing input, division by zero), and no value is
//! infinite.

mod cross;
pub mod export;
pub mod indicators;
pub mod schema;
mod series;
mod table;

pub use cross::BTC_ID;
pub use schema::{Feature, FeatureSpec, FEATURES, SCHEMA_VERSION};

use crate::market::History;
use chrono::NaiveDate;
use series::Series;
use std::collections::{BTreeMap, HashSet};

/// Feature values of one coin: one row per day, columns in [`feature_names`] order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureTable {
    pub dates: Vec<NaiveDate>,
    /// Row-major values, `dates.len() * feature_names().len()` long; NaN where undefined.
    pub values: Vec<f64>,
}

impl FeatureTable {
    /// Returns the features of row `index`; panics when `index >= len()`.
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

    /// Returns one feature's values for every row, in date order.
    pub fn column(&self, feature: Feature) -> Vec<f64> {
        (0..self.len())
            .map(|row| self.row(row)[feature.index()])
            .collect()
    }
}

/// The ordered feature names; models store them and refuse another order.
pub fn feature_names() -> &'static [&'static str] {
    schema::NAMES
}

/// A hash of the ordered feature names and their definitions' version.
pub fn schema_hash() -> u64 {
    schema::schema_hash()
}

/// Builds the feature table of every coin. Cross-coin features (market-cap
/// rank, returns relative to BTC) use the other coins' rows of the same day.
///
/// Each table has one row per distinct candle date of its history, in date
/// order. Runs on the calling thread in O(coin-days * windows).
pub fn build_tables(histories: &BTreeMap<String, History>) -> BTreeMap<String, FeatureTable> {
    let ids: Vec<&String> = histories.keys().collect();
    let series: Vec<Series> = histories.values().map(Series::from_history).collect();
    let btc = ids
        .iter()
        .position(|id| id.as_str() == BTC_ID)
        .map(|index| &series[index]);

    let mut tables: Vec<FeatureTable> = series
        .iter()
        .map(|coin| single_coin_table(coin, btc))
        .collect();

    let series_refs: Vec<&Series> = series.iter().collect();
    cross::write_rank_features(&series_refs, &mut tables);

    ids.into_iter().cloned().zip(tables).collect()
}

/// Builds each coin's table as [`build_tables`] does and keeps only its last
/// `rows` rows, whose values equal those of the full table.
///
/// Coins are built one at a time (see [`RecentTables`]), so the memory this
/// needs grows with coins times `rows` rather than with the length of the
/// histories.
pub fn build_recent_tables(
    histories: &BTreeMap<String, History>,
    rows: usize,
) -> BTreeMap<String, FeatureTable> {
    let recent = RecentTables::prepare(histories, rows);
    histories
        .iter()
        .map(|(id, history)| (id.clone(), recent.table(history)))
        .collect()
}

/// The inputs from all coins that one coin's recent rows need: bitcoin's
/// series and every coin's market cap on the days the kept rows rank. With
/// them, each coin's rows can be built on their own, in any order or thread,
/// so a caller that drops each table keeps one coin's rows at a time.
pub struct RecentTables {
    rows: usize,
    btc: Option<Series>,
    caps: cross::CapsOnDays,
}

impl RecentTables {
    /// Gathers the inputs for tables of the last `rows` rows of each coin in
    /// `histories`.
    pub fn prepare(histories: &BTreeMap<String, History>, rows: usize) -> Self {
        let btc = histories.get(BTC_ID).map(Series::from_history);

        // The kept rows read the ranks of their own days and of the days the
        // rank change looks back to; only those days are ranked.
        let mut days = HashSet::new();
        for history in histories.values() {
            let coin = Series::from_history(history);
            for date in &coin.dates[coin.len().saturating_sub(rows)..] {
                let day = series::day_number(*date);
                days.insert(day);
                days.insert(day - cross::RANK_CHANGE_DAYS);
            }
        }
        let mut caps = cross::CapsOnDays::for_days(days);
        for history in histories.values() {
            caps.add(&Series::from_history(history));
        }
        caps.finish();
        Self { rows, btc, caps }
    }

    /// Builds the recent rows of one coin of the histories given to
    /// [`RecentTables::prepare`].
    pub fn table(&self, history: &History) -> FeatureTable {
        let coin = Series::from_history(history);
        let mut table = single_coin_table(&coin, self.btc.as_ref());
        cross::write_rank_columns(&coin, &self.caps.ranks(&coin), &mut table);
        table.keep_last(self.rows);
        table
    }
}

/// Builds a table with every feature that does not need the other coins' ranks.
fn single_coin_table(coin: &Series, btc: Option<&Series>) -> FeatureTable {
    let mut table = FeatureTable::filled_with_nan(coin.dates.clone());
    table::write_single_coin_features(coin, &mut table);
    cross::write_btc_features(coin, btc, &mut table);
    table
}

#[cfg(test)]
mod tests;
