//! Full refreshes of a shared snapshot served by a loopback mock: cold and
//! warm request counts, damaged cache files, failures keeping cached data.

mod market_support;

use coinlens::market::{
    ApiKey, HistoryProgress, LiveClients, MarketError, MarketSettings, MarketSource, SnapshotSource,
};
use coinlens::store::HistoryStore;
use market_support::*;
use serde_json::Value;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Serves the markets listing and every chart of the cmc snapshot.
async fn serve_cmc(server: &MockServer) -> Vec<String> {
    let rows: Vec<Value> =
        serde_json::from_str(&read_shared(&format!("{CMC}/coins_markets.json"))).unwrap();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    Mock::given(method("GET"))
        .and(path("/coins/markets"))
        .respond_with(MarketsPages { rows })
        .mount(server)
        .await;
    for id in &ids {
        let body = read_shared(&format!("{CMC}/market_chart/{id}.json"));
        Mock::given(path(format!("/coins/{id}/market_chart")))
            .respond_with(json_response(body))
            .with_priority(5)
            .mount(server)
            .await;
    }
    ids
}

fn live(settings: &MarketSettings) -> MarketSource {
    MarketSource::Live(LiveClients::new(settings).expect("clients build"))
}

async fn chart_requests(server: &MockServer, id: &str) -> usize {
    let wanted = format!("/coins/{id}/market_chart");
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == wanted)
        .count()
}

#[tokio::test]
async fn cold_then_warm_refresh() {
    let server = MockServer::start().await;
    let ids = serve_cmc(&server).await;
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let source = live(&settings(&server.uri()));

    let (coins, as_of) = source.load_coins().await.unwrap();
    assert_eq!(coins.len(), 23);
    assert_eq!(as_of.to_rfc3339(), "2021-07-06T23:59:59+00:00");

    let mut reports: Vec<HistoryProgress> = Vec::new();
    let cold = source
        .refresh_histories(&coins, &store, |p| reports.push(p))
        .await
        .unwrap();
    let cold_requests = server.received_requests().await.unwrap().len();

    assert_eq!(cold.updated, 23);
    assert!(cold.failures.is_empty(), "{:?}", cold.failures);
    assert_eq!(cold.requests, 23);
    assert_eq!(cold_requests, 24, "one markets page and one chart per coin");
    assert_eq!(reports.len(), 24);
    assert_eq!(reports.last().unwrap().done, 23);
    let bitcoin = &cold.histories["bitcoin"];
    assert_eq!(bitcoin.last().unwrap().date.to_string(), "2021-07-06");
    assert_eq!(bitcoin.len(), 2991);
    for id in &ids {
        assert!(store.load(id).unwrap().is_some(), "{id} was not saved");
    }

    let warm_source = live(&settings(&server.uri()));
    let (coins, _) = warm_source.load_coins().await.unwrap();
    let warm = warm_source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();
    let warm_requests = server.received_requests().await.unwrap().len() - cold_requests;

    assert_eq!(warm.up_to_date, 23);
    assert_eq!(warm.requests, 0);
    assert!(
        warm_requests < cold_requests,
        "warm {warm_requests}, cold {cold_requests}"
    );
    assert_eq!(debug_rows(&warm.histories["bitcoin"]), debug_rows(bitcoin));
}

#[tokio::test]
async fn damaged_cache_file_is_fetched_again() {
    let server = MockServer::start().await;
    serve_cmc(&server).await;
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let source = live(&settings(&server.uri()));
    let (coins, _) = source.load_coins().await.unwrap();
    source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();

    let file = store.path_of("bitcoin").unwrap();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let again = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();

    assert_eq!(again.updated, 1);
    assert_eq!(again.up_to_date, 22);
    assert_eq!(chart_requests(&server, "bitcoin").await, 2);
    assert_eq!(store.load("bitcoin").unwrap().unwrap().len(), 2991);
}

#[tokio::test]
async fn failed_fetch_keeps_cached_history() {
    let server = MockServer::start().await;
    serve_cmc(&server).await;
    Mock::given(path("/coins/bitcoin/market_chart"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&server)
        .await;
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let source = live(&settings(&server.uri()));
    let (coins, _) = source.load_coins().await.unwrap();

    let snapshot = SnapshotSource::new(shared(CMC));
    let mut old = snapshot.history(&coins[0], &coins).unwrap();
    old.truncate(100);
    store.save("bitcoin", &old).unwrap();

    let summary = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();

    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].coin_id, "bitcoin");
    assert!(
        summary.failures[0].error.contains("503"),
        "{}",
        summary.failures[0].error
    );
    assert_eq!(summary.updated, 22);
    assert_eq!(debug_rows(&summary.histories["bitcoin"]), debug_rows(&old));
    assert_eq!(
        debug_rows(&store.load("bitcoin").unwrap().unwrap()),
        debug_rows(&old)
    );
}

#[tokio::test]
async fn rejected_key_stops_refresh() {
    let server = MockServer::start().await;
    serve_cmc(&server).await;
    Mock::given(path_regex("^/coins/[a-z-]+/market_chart$"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            fixture("coingecko_401_key_missing.json"),
            "application/json",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let source = live(&settings(&server.uri()));
    let (coins, _) = source.load_coins().await.unwrap();

    let error = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap_err();

    assert!(
        matches!(error, MarketError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "no request after the 401"
    );
}

#[tokio::test]
async fn cryptocompare_adds_ohlc_and_keeps_caps() {
    let server = MockServer::start().await;
    serve_cmc(&server).await;
    for symbol in ["BTC", "ETH", "USDT"] {
        Mock::given(path("/data/v2/histoday"))
            .and(wiremock::matchers::query_param("fsym", symbol))
            .respond_with(HistodayPages::from_file(&format!(
                "{CMC}/histoday/{symbol}.json"
            )))
            .mount(&server)
            .await;
    }
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());
    let settings = MarketSettings {
        coin_count: 3,
        cryptocompare_key: Some(ApiKey::new("cc-secret")),
        ..settings(&server.uri())
    };
    let source = live(&settings);
    let (coins, _) = source.load_coins().await.unwrap();

    let summary = source
        .refresh_histories(&coins, &store, |_| {})
        .await
        .unwrap();

    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    let snapshot = SnapshotSource::new(shared(CMC)).load().unwrap();
    for coin in &coins {
        assert_eq!(
            debug_rows(&summary.histories[&coin.id]),
            debug_rows(&snapshot.histories[&coin.id]),
            "{}",
            coin.id
        );
    }
    let last = summary.histories["bitcoin"].last().copied().unwrap();
    assert_eq!(last.open, 33723.50965515);
    assert_eq!(last.market_cap, 641899161593.76);
}
