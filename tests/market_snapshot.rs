//! Snapshot folders as a market source, and recording a snapshot back.

mod market_support;

use coinlens::market::{record_snapshot, Coin, MarketError, MarketSource, SnapshotSource};
use coinlens::store::HistoryStore;
use market_support::*;

#[test]
fn cmc_snapshot_loads_with_caps() {
    let snapshot = SnapshotSource::new(shared(CMC)).load().unwrap();

    assert_eq!(snapshot.coins.len(), 23);
    assert_eq!(snapshot.histories.len(), 23);
    assert_eq!(snapshot.as_of.to_rfc3339(), "2021-07-06T23:59:59+00:00");
    let bitcoin = &snapshot.histories["bitcoin"];
    assert_eq!(bitcoin.len(), 2991);
    let last = bitcoin.last().unwrap();
    assert_eq!(last.date.to_string(), "2021-07-06");
    assert_eq!(last.open, 33723.50965515);
    assert_eq!(last.high, 35038.53636342);
    assert_eq!(last.close, 34235.19345116);
    assert_eq!(last.volume, 26501259869.76);
    assert_eq!(last.market_cap, 641899161593.76);
    assert!(snapshot
        .histories
        .values()
        .all(|h| h.windows(2).all(|w| w[0].date < w[1].date)));
}

#[test]
fn yahoo_snapshot_loads_without_caps() {
    let snapshot = SnapshotSource::new(shared(YAHOO)).load().unwrap();

    assert_eq!(snapshot.coins.len(), 14);
    assert_eq!(snapshot.histories.len(), 14);
    assert_eq!(snapshot.as_of.date_naive().to_string(), "2025-02-11");
    assert!(snapshot.coins.iter().all(|c| c.market_cap.is_none()));
    let bitcoin = &snapshot.histories["bitcoin"];
    assert_eq!(bitcoin.last().unwrap().date.to_string(), "2025-02-11");
    assert!(bitcoin
        .iter()
        .all(|c| c.market_cap.is_nan() && c.has_ohlc()));
}

#[test]
fn duplicate_symbol_uses_chart_only() {
    let source = SnapshotSource::new(shared(CMC));
    let (coins, _) = source.load_coins().unwrap();
    let bitcoin = coins[0].clone();
    let namesake = Coin {
        id: "bitcoin-namesake".into(),
        ..bitcoin.clone()
    };

    let alone = source.history(&bitcoin, &coins).unwrap();
    let shared_symbol = source
        .history(&bitcoin, &[bitcoin.clone(), namesake])
        .unwrap();

    assert!(alone.iter().all(|c| c.has_ohlc()));
    assert!(shared_symbol.iter().all(|c| !c.has_ohlc()));
    assert_eq!(shared_symbol.len(), alone.len());
}

#[test]
fn missing_folder_names_the_path() {
    let error = SnapshotSource::new("/nonexistent/snapshot")
        .load()
        .unwrap_err();
    let MarketError::Snapshot { path, .. } = &error else {
        panic!("expected Snapshot error, got {error:?}");
    };
    assert!(path.ends_with("coins_markets.json"));
}

#[test]
fn recorded_snapshot_loads_back_equal() {
    let original = SnapshotSource::new(shared(CMC)).load().unwrap();
    let dir = tempfile::tempdir().unwrap();

    record_snapshot(dir.path(), &original).unwrap();
    let replayed = SnapshotSource::new(dir.path()).load().unwrap();

    assert_eq!(replayed.coins, original.coins);
    assert_eq!(replayed.as_of, original.as_of);
    for (id, history) in &original.histories {
        assert_eq!(
            debug_rows(&replayed.histories[id]),
            debug_rows(history),
            "{id}"
        );
    }
}

#[tokio::test]
async fn snapshot_source_refresh_fills_store() {
    let source = MarketSource::Snapshot(SnapshotSource::new(shared(YAHOO)));
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let (coins, _) = source.load_coins().await.unwrap();

    let first = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();
    let second = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();

    assert_eq!(first.updated, 14);
    assert_eq!(second.up_to_date, 14);
    assert_eq!(first.requests, 0);
}
