//! No lookahead: cutting every history at the same day leaves every feature
//! of the remaining days bit-identical.

mod common;

use coinlens::features::{build_tables, feature_names, FeatureTable};
use coinlens::market::History;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Coins with OHLCV and caps; monero and tether have missing days.
const COINS: &[&str] = &[
    "bitcoin", "ethereum", "cardano", "dogecoin", "monero", "tether", "solana",
];

/// Coins of the 2023–25 snapshot: OHLCV without market caps, with coins that
/// start later than bitcoin.
const COINS_2025: &[&str] = &["bitcoin", "ethereum", "solana", "avalanche-2", "tether"];

type Loaded = (BTreeMap<String, History>, BTreeMap<String, FeatureTable>);

fn load(snapshot: &str, coins: &[&str]) -> Loaded {
    let histories = common::load_histories(snapshot, coins);
    let tables = build_tables(&histories);
    (histories, tables)
}

fn full() -> &'static Loaded {
    static FULL: OnceLock<Loaded> = OnceLock::new();
    FULL.get_or_init(|| load(common::CMC_2021, COINS))
}

fn full_2025() -> &'static Loaded {
    static FULL: OnceLock<Loaded> = OnceLock::new();
    FULL.get_or_init(|| load(common::YAHOO_2025, COINS_2025))
}

/// Cuts every history after bitcoin's row at `cut_fraction` of its length
/// and checks that each remaining feature row equals the full table's.
fn check_cut(loaded: &Loaded, cut_fraction: f64) {
    let (histories, tables) = loaded;
    let btc = &histories["bitcoin"];
    let cut_index = ((btc.len() as f64) * cut_fraction) as usize;
    let cut_date = btc[cut_index.min(btc.len() - 1)].date;

    let cut_histories: BTreeMap<String, History> = histories
        .iter()
        .map(|(id, history)| {
            let before_cut = history.iter().filter(|c| c.date <= cut_date).copied();
            (id.clone(), before_cut.collect())
        })
        .collect();
    let cut_tables = build_tables(&cut_histories);
    for (id, cut) in &cut_tables {
        assert_prefix_identical(&tables[id], cut, id);
    }
}

fn assert_prefix_identical(full: &FeatureTable, cut: &FeatureTable, id: &str) {
    assert!(cut.len() <= full.len(), "{id}: cut table is longer");
    assert_eq!(cut.dates[..], full.dates[..cut.len()], "{id}: dates differ");
    for row in 0..cut.len() {
        for (column, (a, b)) in full.row(row).iter().zip(cut.row(row)).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{id} {} {}: full history gives {a}, cut history gives {b}",
                cut.dates[row],
                feature_names()[column]
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn features_ignore_later_rows(cut_fraction in 0.0f64..1.0) {
        check_cut(full(), cut_fraction);
    }

    #[test]
    fn features_ignore_later_rows_2025(cut_fraction in 0.0f64..1.0) {
        check_cut(full_2025(), cut_fraction);
    }
}

#[test]
fn every_feature_has_values_on_real_data() {
    let (_, tables) = full();
    let table = &tables["ethereum"];
    for (column, name) in feature_names().iter().enumerate() {
        let finite = (0..table.len())
            .filter(|&row| table.row(row)[column].is_finite())
            .count();
        assert!(
            finite > table.len() / 2,
            "{name}: only {finite} of {} ethereum rows are finite",
            table.len()
        );
    }
}

#[test]
fn no_feature_is_infinite() {
    let (_, tables) = full();
    for (id, table) in tables {
        let infinite = table.values.iter().filter(|v| v.is_infinite()).count();
        assert_eq!(infinite, 0, "{id}: {infinite} infinite values");
    }
}
