//! CoinGecko client against a loopback mock server: parsing of real bodies,
//! paging, and every error shape turned into its typed error.

mod market_support;

use coinlens::market::coingecko::{CoinGeckoClient, HistoryDays};
use coinlens::market::{ApiKey, CoinGeckoPlan, MarketError, MarketSettings};
use market_support::*;
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(settings: &MarketSettings) -> CoinGeckoClient {
    CoinGeckoClient::new(settings).expect("client builds")
}

async fn serve_markets(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/coins/markets"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn markets_recording_parses_nulls_and_exponents() {
    let server = MockServer::start().await;
    let body = read_shared("api-recordings/coingecko_markets_JKorf-CoinGecko.Net.json");
    serve_markets(&server, json_response(body)).await;

    let settings = MarketSettings {
        coin_count: 100,
        ..settings(&server.uri())
    };
    let coins = client(&settings).markets().await.unwrap();

    assert_eq!(coins.len(), 100);
    assert_eq!(coins[0].id, "bitcoin");
    let btt = coins
        .iter()
        .find(|c| c.id == "bittorrent")
        .expect("bittorrent listed");
    assert_eq!(btt.current_price, Some(6.31917e-7));
    let shib = coins
        .iter()
        .find(|c| c.id == "shiba-inu")
        .expect("shiba-inu listed");
    assert_eq!(shib.current_price, Some(8.45e-6));
    assert_eq!(shib.market_cap_rank, Some(17));
    // This recording predates the 7d/30d request fields, so they are absent.
    assert_eq!(coins[0].price_change_percentage_7d, None);
    assert!(coins[0].last_updated.is_some());
}

#[tokio::test]
async fn markets_request_names_order_and_changes() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/markets"))
        .and(query_param("vs_currency", "usd"))
        .and(query_param("order", "market_cap_desc"))
        .and(query_param("price_change_percentage", "7d,30d"))
        .and(query_param("per_page", "250"))
        .and(query_param("page", "1"))
        .and(header(
            "user-agent",
            MarketSettings::default().user_agent.as_str(),
        ))
        .respond_with(json_response(read_shared(&format!(
            "{CMC}/coins_markets.json"
        ))))
        .expect(1)
        .mount(&server)
        .await;

    let coins = client(&settings(&server.uri())).markets().await.unwrap();

    assert_eq!(coins.len(), 23, "a short first page ends paging");
    assert_eq!(coins[0].price_change_percentage_7d, Some(-4.55167));
    assert_eq!(coins[0].price_change_percentage_30d, Some(-4.5373));
}

#[tokio::test]
async fn markets_pages_until_short_page() {
    let server = MockServer::start().await;
    let rows: Vec<Value> =
        serde_json::from_str(&read_shared(&format!("{CMC}/coins_markets.json"))).unwrap();
    Mock::given(path("/coins/markets"))
        .respond_with(MarketsPages { rows })
        .mount(&server)
        .await;

    let settings = MarketSettings {
        coin_count: 100,
        coingecko_page_size: 10,
        ..settings(&server.uri())
    };
    let coins = client(&settings).markets().await.unwrap();

    assert_eq!(coins.len(), 23);
    assert_eq!(coins[22].id, "nem");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn markets_stop_at_coin_count() {
    let server = MockServer::start().await;
    let rows: Vec<Value> =
        serde_json::from_str(&read_shared(&format!("{CMC}/coins_markets.json"))).unwrap();
    Mock::given(path("/coins/markets"))
        .respond_with(MarketsPages { rows })
        .mount(&server)
        .await;

    let settings = MarketSettings {
        coin_count: 15,
        coingecko_page_size: 10,
        ..settings(&server.uri())
    };
    let coins = client(&settings).markets().await.unwrap();

    assert_eq!(coins.len(), 15);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn markets_empty_array_is_empty_list() {
    let server = MockServer::start().await;
    serve_markets(&server, json_response("[]".into())).await;
    let coins = client(&settings(&server.uri())).markets().await.unwrap();
    assert!(coins.is_empty());
}

#[tokio::test]
async fn markets_keep_duplicate_symbols_apart() {
    let server = MockServer::start().await;
    serve_markets(
        &server,
        json_response(fixture("coingecko_markets_duplicate_symbols.json")),
    )
    .await;

    let coins = client(&settings(&server.uri())).markets().await.unwrap();

    let ids: Vec<&str> = coins.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["tether", "bridged-tether", "new-token"]);
    assert_eq!(coins[1].market_cap, None);
    assert_eq!(coins[2].current_price, Some(1.2e-12));
}

#[tokio::test]
async fn json_429_is_rate_limited_with_wait() {
    let server = MockServer::start().await;
    let response = ResponseTemplate::new(429)
        .insert_header("retry-after", "30")
        .set_body_raw(fixture("coingecko_429_rate_limit.json"), "application/json");
    serve_markets(&server, response).await;

    let error = client(&settings(&server.uri()))
        .markets()
        .await
        .unwrap_err();

    let MarketError::RateLimited { retry_after, .. } = error else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(retry_after, Some(Duration::from_secs(30)));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a long wait is not retried"
    );
}

#[tokio::test]
async fn short_retry_after_is_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/markets"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_markets(
        &server,
        json_response(fixture("coingecko_markets_duplicate_symbols.json")),
    )
    .await;

    let coins = client(&settings(&server.uri())).markets().await.unwrap();

    assert_eq!(coins.len(), 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn html_429_is_rate_limited() {
    let server = MockServer::start().await;
    serve_markets(
        &server,
        ResponseTemplate::new(429).set_body_raw(fixture("html_429.html"), "text/html"),
    )
    .await;

    let error = client(&settings(&server.uri()))
        .markets()
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            MarketError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn plain_text_throttle_is_rate_limited() {
    for status in [200, 429] {
        let server = MockServer::start().await;
        let response = ResponseTemplate::new(status).set_body_raw("Throttled", "text/plain");
        serve_markets(&server, response).await;

        let error = client(&settings(&server.uri()))
            .markets()
            .await
            .unwrap_err();

        assert!(
            matches!(error, MarketError::RateLimited { .. }),
            "HTTP {status}: {error:?}"
        );
    }
}

#[tokio::test]
async fn html_403_is_blocked() {
    let server = MockServer::start().await;
    let response = ResponseTemplate::new(403)
        .set_body_raw(fixture("html_403_access_denied.html"), "text/html");
    serve_markets(&server, response).await;

    let error = client(&settings(&server.uri()))
        .markets()
        .await
        .unwrap_err();

    assert!(matches!(error, MarketError::Blocked { .. }), "{error:?}");
    assert!(error.stops_host());
}

#[tokio::test]
async fn missing_key_401_names_env_var() {
    let server = MockServer::start().await;
    let response = ResponseTemplate::new(401).set_body_raw(
        fixture("coingecko_401_key_missing.json"),
        "application/json",
    );
    serve_markets(&server, response).await;

    let error = client(&settings(&server.uri()))
        .markets()
        .await
        .unwrap_err();

    let MarketError::Unauthorized { hint, .. } = &error else {
        panic!("expected Unauthorized, got {error:?}");
    };
    assert!(hint.contains("COINGECKO_API_KEY"), "{hint}");
    assert!(hint.contains("API Key Missing"), "{hint}");
}

#[tokio::test]
async fn pro_key_on_public_host_hint_and_no_leak() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/markets"))
        .and(header("x-cg-demo-api-key", "CG-topsecret"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            fixture("coingecko_401_pro_key_on_public_host.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let settings = MarketSettings {
        coingecko_plan: CoinGeckoPlan::Demo,
        coingecko_key: Some(ApiKey::new("CG-topsecret")),
        ..settings(&server.uri())
    };

    let error = client(&settings).markets().await.unwrap_err();

    assert!(
        error.hint().contains("COINGECKO_PRO_API_KEY"),
        "{}",
        error.hint()
    );
    assert!(!format!("{error} {error:?} {}", error.hint()).contains("topsecret"));
}

#[tokio::test]
async fn pro_plan_sends_pro_header_and_days_max() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/bitcoin/market_chart"))
        .and(header("x-cg-pro-api-key", "CG-pro"))
        .and(query_param("days", "max"))
        .and(query_param("interval", "daily"))
        .respond_with(json_response(read_shared(&format!(
            "{CMC}/market_chart/bitcoin.json"
        ))))
        .expect(1)
        .mount(&server)
        .await;
    let settings = MarketSettings {
        coingecko_plan: CoinGeckoPlan::Pro,
        coingecko_key: Some(ApiKey::new("CG-pro")),
        ..settings(&server.uri())
    };

    let history = client(&settings)
        .daily_history("bitcoin", HistoryDays::All)
        .await
        .unwrap();

    assert_eq!(history.len(), 2991);
}

#[tokio::test]
async fn snapshot_chart_converts_to_close_dates() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/bitcoin/market_chart"))
        .respond_with(json_response(read_shared(&format!(
            "{CMC}/market_chart/bitcoin.json"
        ))))
        .mount(&server)
        .await;

    let history = client(&settings(&server.uri()))
        .daily_history("bitcoin", HistoryDays::All)
        .await
        .unwrap();

    let first = history.first().unwrap();
    let last = history.last().unwrap();
    assert_eq!(first.date.to_string(), "2013-04-29");
    assert_eq!(first.close, 144.5399932861328);
    assert_eq!(last.date.to_string(), "2021-07-06");
    assert_eq!(last.close, 34235.19345116);
    assert_eq!(last.volume, 26501259869.76);
    assert_eq!(last.market_cap, 641899161593.76);
    assert!(last.open.is_nan());
    assert!(history.windows(2).all(|w| w[0].date < w[1].date));
}

#[tokio::test]
async fn live_chart_drops_open_day_point() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/bitcoin/market_chart"))
        .respond_with(json_response(read_shared(
            "api-recordings/coingecko_market_chart_90d_daily_coingecko_ruby.json",
        )))
        .mount(&server)
        .await;

    let history = client(&settings(&server.uri()))
        .daily_history("bitcoin", HistoryDays::Last(90))
        .await
        .unwrap();

    // Recorded 2021-05-15 14:42 UTC: the 00:00 point of 05-15 closes 05-14,
    // and the 14:42 point of the open day is dropped.
    assert_eq!(history.last().unwrap().date.to_string(), "2021-05-14");
    assert_eq!(history.first().unwrap().date.to_string(), "2021-02-14");
}

#[tokio::test]
async fn empty_chart_is_empty_history() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/new-token/market_chart"))
        .respond_with(json_response(
            r#"{"prices":[],"market_caps":[],"total_volumes":[]}"#.into(),
        ))
        .mount(&server)
        .await;

    let history = client(&settings(&server.uri()))
        .daily_history("new-token", HistoryDays::All)
        .await
        .unwrap();

    assert!(history.is_empty());
}

#[tokio::test]
async fn server_error_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/bitcoin/market_chart"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            read_shared(
                "api-recordings/coingecko_error_500_ohlc_missing_params_coingecko_ruby.json",
            ),
            "application/json",
        ))
        .mount(&server)
        .await;

    let error = client(&settings(&server.uri()))
        .daily_history("bitcoin", HistoryDays::All)
        .await
        .unwrap_err();

    assert!(
        matches!(error, MarketError::Server { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn unknown_coin_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(path("/coins/no-such-coin/market_chart"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"error":"coin not found"}"#, "application/json"),
        )
        .mount(&server)
        .await;

    let error = client(&settings(&server.uri()))
        .daily_history("no-such-coin", HistoryDays::All)
        .await
        .unwrap_err();

    assert!(matches!(error, MarketError::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn ping_recording_is_accepted() {
    let server = MockServer::start().await;
    Mock::given(path("/ping"))
        .respond_with(json_response(read_shared(
            "api-recordings/coingecko_ping_JKorf-CoinGecko.Net.json",
        )))
        .mount(&server)
        .await;

    client(&settings(&server.uri())).ping().await.unwrap();
}
