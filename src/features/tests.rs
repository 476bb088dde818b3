//! Missing-data cases of `build_tables`: calendar gaps, zero volume, missing
//! high/low and market cap, and an input without bitcoin.

use super::*;
use crate::market::Candle;

const HISTORY_DAYS: i64 = 260;

fn day(offset: i64) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
    start + chrono::Duration::days(offset)
}

/// Builds a full OHLCV candle with a wavy close, so no window is flat.
fn candle(offset: i64, scale: f64) -> Candle {
    let t = offset as f64;
    let close = scale * (100.0 + 10.0 * (t / 5.0).sin() + t * 0.1);
    Candle {
        date: day(offset),
        open: close * 0.99,
        high: close * 1.02,
        low: close * 0.97,
        close,
        volume: 1e6 * (2.0 + (t / 3.0).cos()),
        market_cap: close * 1e7,
    }
}

fn coin(scale: f64, days: impl Iterator<Item = i64>) -> History {
    days.map(|offset| candle(offset, scale)).collect()
}

fn value(table: &FeatureTable, row: usize, feature: Feature) -> f64 {
    table.row(row)[feature.index()]
}

fn assert_finite_or_nan(table: &FeatureTable) {
    assert!(
        table.values.iter().all(|v| !v.is_infinite()),
        "infinite value in table"
    );
    assert_eq!(table.values.len(), table.len() * feature_names().len());
}

#[test]
fn complete_data_fills_every_feature_after_warm_up() {
    let histories = BTreeMap::from([
        (BTC_ID.to_owned(), coin(300.0, 0..HISTORY_DAYS)),
        ("alt".to_owned(), coin(1.0, 0..HISTORY_DAYS)),
    ]);
    let tables = build_tables(&histories);
    let table = &tables["alt"];
    let last = table.len() - 1;
    for (index, name) in feature_names().iter().enumerate() {
        assert!(
            table.row(last)[index].is_finite(),
            "{name} is NaN on the last row"
        );
    }
    assert!(value(table, 0, Feature::Return1d).is_nan());
    assert_eq!(value(table, last, Feature::MarketCapRank), 2.0);
    assert_eq!(value(&tables[BTC_ID], last, Feature::MarketCapRank), 1.0);
    assert!((value(&tables[BTC_ID], last, Feature::BetaBtc30) - 1.0).abs() < 1e-9);
}

#[test]
fn calendar_gap_makes_day_lookups_nan() {
    // Day 100 is missing: the row of day 101 has no 1-day return and no
    // 7-day return on day 107, while row windows continue across the gap.
    let days = (0..HISTORY_DAYS).filter(|&d| d != 100);
    let histories = BTreeMap::from([("alt".to_owned(), coin(1.0, days))]);
    let table = &build_tables(&histories)["alt"];
    let row_of = |offset: i64| {
        table
            .dates
            .iter()
            .position(|&d| d == day(offset))
            .expect("day present")
    };

    assert!(value(table, row_of(101), Feature::Return1d).is_nan());
    assert!(value(table, row_of(102), Feature::Return1d).is_finite());
    assert!(value(table, row_of(107), Feature::Return7d).is_nan());
    assert!(value(table, row_of(108), Feature::Return7d).is_finite());
    assert!(value(table, row_of(101), Feature::Sma20Ratio).is_finite());
    assert!(value(table, row_of(101), Feature::Rsi14).is_finite());
    // Log returns need the previous day, so the 7-row volatility waits 7 rows.
    assert!(value(table, row_of(107), Feature::Volatility7d).is_nan());
    assert!(value(table, row_of(108), Feature::Volatility7d).is_finite());
    assert_finite_or_nan(table);
}

#[test]
fn zero_volume_gives_nan_volume_features() {
    let mut history = coin(1.0, 0..HISTORY_DAYS);
    history[200].volume = 0.0;
    let table = &build_tables(&BTreeMap::from([("alt".to_owned(), history)]))["alt"];

    for feature in [
        Feature::VolumeChange1d,
        Feature::VolumeToMarketCap,
        Feature::VolumeZscore30,
        Feature::Mfi14,
    ] {
        assert!(
            value(table, 200, feature).is_nan(),
            "{} on the zero-volume day",
            feature.name()
        );
    }
    assert!(
        value(table, 201, Feature::VolumeChange1d).is_nan(),
        "change from a zero volume"
    );
    assert!(
        value(table, 213, Feature::Mfi14).is_nan(),
        "MFI window still holds the day"
    );
    assert!(
        value(table, 215, Feature::Mfi14).is_finite(),
        "MFI after a full window"
    );
    assert!(
        value(table, 200, Feature::Rsi14).is_finite(),
        "price features keep going"
    );
    assert_finite_or_nan(table);
}

#[test]
fn close_only_candles_give_nan_range_features() {
    let history: History = coin(1.0, 0..HISTORY_DAYS)
        .iter()
        .map(|c| Candle {
            volume: c.volume,
            market_cap: c.market_cap,
            ..Candle::close_only(c.date, c.close)
        })
        .collect();
    let table = &build_tables(&BTreeMap::from([("alt".to_owned(), history)]))["alt"];
    let last = table.len() - 1;

    let needs_high_low = [
        Feature::Atr14Pct,
        Feature::StochK,
        Feature::StochD,
        Feature::WilliamsR14,
        Feature::Cci20,
        Feature::Mfi14,
        Feature::Adx14,
        Feature::PlusDi14,
        Feature::MinusDi14,
        Feature::HighLowRangePct,
    ];
    for feature in needs_high_low {
        assert!(
            value(table, last, feature).is_nan(),
            "{} without high and low",
            feature.name()
        );
    }
    assert!(value(table, last, Feature::MacdHist).is_finite());
    assert!(value(table, last, Feature::ObvSlope14).is_finite());
    assert_finite_or_nan(table);
}

#[test]
fn missing_market_cap_is_unranked() {
    let mut without_cap = coin(1.0, 0..30);
    for candle in &mut without_cap {
        candle.market_cap = f64::NAN;
    }
    let histories = BTreeMap::from([
        ("a-small".to_owned(), coin(0.5, 0..30)),
        ("b-uncapped".to_owned(), without_cap),
        ("c-large".to_owned(), coin(2.0, 0..30)),
    ]);
    let tables = build_tables(&histories);

    assert!(value(&tables["b-uncapped"], 29, Feature::MarketCapRank).is_nan());
    assert!(value(&tables["b-uncapped"], 29, Feature::LogMarketCap).is_nan());
    assert!(value(&tables["b-uncapped"], 29, Feature::VolumeToMarketCap).is_nan());
    assert_eq!(value(&tables["c-large"], 29, Feature::MarketCapRank), 1.0);
    assert_eq!(value(&tables["a-small"], 29, Feature::MarketCapRank), 2.0);
    assert_eq!(
        value(&tables["a-small"], 29, Feature::MarketCapRankChange7d),
        0.0
    );
}

#[test]
fn rank_change_counts_climbing_as_positive() {
    // "riser" starts below "steady" and overtakes it on day 10.
    let steady = coin(1.0, 0..20);
    let mut riser = coin(1.0, 0..20);
    for (offset, candle) in riser.iter_mut().enumerate() {
        candle.market_cap = if offset < 10 { 1.0 } else { 1e12 };
    }
    let tables = build_tables(&BTreeMap::from([
        ("riser".to_owned(), riser),
        ("steady".to_owned(), steady),
    ]));
    assert_eq!(value(&tables["riser"], 9, Feature::MarketCapRank), 2.0);
    assert_eq!(
        value(&tables["riser"], 12, Feature::MarketCapRankChange7d),
        1.0
    );
    assert_eq!(
        value(&tables["steady"], 12, Feature::MarketCapRankChange7d),
        -1.0
    );
}

#[test]
fn without_bitcoin_relative_features_are_nan() {
    let table = &build_tables(&BTreeMap::from([(
        "alt".to_owned(),
        coin(1.0, 0..HISTORY_DAYS),
    )]))["alt"];
    let last = table.len() - 1;
    for feature in [
        Feature::ReturnVsBtc7d,
        Feature::ReturnVsBtc30d,
        Feature::CorrelationBtc30,
        Feature::BetaBtc30,
    ] {
        assert!(
            value(table, last, feature).is_nan(),
            "{} without bitcoin",
            feature.name()
        );
    }
}

#[test]
fn empty_and_single_candle_histories_do_not_panic() {
    let histories = BTreeMap::from([
        (BTC_ID.to_owned(), Vec::new()),
        ("one".to_owned(), coin(1.0, 0..1)),
    ]);
    let tables = build_tables(&histories);
    assert!(tables[BTC_ID].is_empty());
    assert_eq!(tables["one"].len(), 1);
    assert_eq!(value(&tables["one"], 0, Feature::MarketCapRank), 1.0);
    assert_eq!(value(&tables["one"], 0, Feature::AthDistance), 0.0);
    assert!(value(&tables["one"], 0, Feature::Return1d).is_nan());
}

#[test]
fn recent_tables_equal_the_tail_of_full_tables() {
    // Coins that end on different days, with gaps, equal caps and missing
    // caps, so the kept rows read ranks of days that only some coins have.
    let mut gappy = coin(0.7, (0..HISTORY_DAYS).filter(|d| d % 11 != 3));
    for candle in gappy.iter_mut().skip(200).step_by(5) {
        candle.market_cap = f64::NAN;
    }
    let mut twin = coin(0.7, 40..HISTORY_DAYS);
    for (candle, other) in twin.iter_mut().zip(coin(0.7, 40..HISTORY_DAYS)) {
        candle.market_cap = other.market_cap;
    }
    let histories = BTreeMap::from([
        (BTC_ID.to_owned(), coin(300.0, 0..HISTORY_DAYS)),
        ("ended-early".to_owned(), coin(2.0, 0..150)),
        ("gappy".to_owned(), gappy),
        ("late-start".to_owned(), coin(0.7, 40..HISTORY_DAYS)),
        ("twin".to_owned(), twin),
        ("one".to_owned(), coin(1.0, 10..11)),
        ("empty".to_owned(), Vec::new()),
    ]);
    let full = build_tables(&histories);
    for rows in [0, 1, 8, 60, 10_000] {
        let recent = build_recent_tables(&histories, rows);
        assert_eq!(
            recent.keys().collect::<Vec<_>>(),
            full.keys().collect::<Vec<_>>()
        );
        for (id, table) in &full {
            let first = table.len().saturating_sub(rows);
            let recent_table = &recent[id];
            assert_eq!(
                recent_table.dates,
                table.dates[first..],
                "{id}, {rows} rows"
            );
            let width = feature_names().len();
            let same = recent_table
                .values
                .iter()
                .zip(&table.values[first * width..])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{id}, {rows} rows: values differ from the full table");
            assert_eq!(recent_table.values.len(), recent_table.len() * width);
        }
    }
}
