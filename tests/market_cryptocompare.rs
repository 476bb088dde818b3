//! CryptoCompare client against a loopback mock: HTTP-200 errors, the 401
//! envelope, leading zero candles and backward paging.

mod market_support;

use chrono::NaiveDate;
use coinlens::market::cryptocompare::CryptoCompareClient;
use coinlens::market::{ApiKey, MarketError, MarketSettings};
use market_support::*;
use std::time::Duration;
use wiremock::matchers::{header, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(uri: &str) -> CryptoCompareClient {
    let settings = MarketSettings {
        cryptocompare_key: Some(ApiKey::new("cc-secret")),
        ..settings(uri)
    };
    CryptoCompareClient::new(&settings).expect("client builds")
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::test]
async fn type_99_body_is_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .respond_with(json_response(fixture(
            "cryptocompare_type99_rate_limit.json",
        )))
        .mount(&server)
        .await;

    let error = client(&server.uri())
        .daily_history("BTC", None, day("2021-07-06"))
        .await
        .unwrap_err();

    let MarketError::RateLimited { retry_after, .. } = error else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(retry_after, Some(Duration::from_secs(60)));
}

#[tokio::test]
async fn err_envelope_401_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .and(header("authorization", "Apikey cc-secret"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            fixture("cryptocompare_401_err_envelope.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server.uri())
        .daily_history("BTC", None, day("2021-07-06"))
        .await
        .unwrap_err();

    assert!(
        matches!(error, MarketError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(
        error.hint().contains("CRYPTOCOMPARE_API_KEY"),
        "{}",
        error.hint()
    );
    assert!(!format!("{error:?}").contains("cc-secret"));
}

#[tokio::test]
async fn leading_zero_candles_are_dropped() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .and(query_param("fsym", "NEW"))
        .and(query_param("tsym", "USD"))
        .respond_with(json_response(fixture("cryptocompare_leading_zeros.json")))
        .expect(1)
        .mount(&server)
        .await;

    let history = client(&server.uri())
        .daily_history("new", None, day("2021-07-06"))
        .await
        .unwrap();

    assert_eq!(history.len(), 2);
    assert_eq!(history[0].date, day("2021-07-05"));
    assert_eq!(history[0].low, 9.5e-6);
    assert_eq!(
        history[0].volume, 16.5,
        "volume is volumeto, in the quote currency"
    );
    assert!(history[0].market_cap.is_nan());
}

#[tokio::test]
async fn open_day_is_dropped() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .respond_with(json_response(fixture("cryptocompare_leading_zeros.json")))
        .mount(&server)
        .await;

    // With 07-05 as the last complete day, the 07-06 row is the open day.
    let history = client(&server.uri())
        .daily_history("NEW", None, day("2021-07-05"))
        .await
        .unwrap();

    assert_eq!(history.len(), 1);
    assert_eq!(history[0].date, day("2021-07-05"));
}

#[tokio::test]
async fn pages_back_over_the_2000_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .respond_with(HistodayPages::from_file(&format!(
            "{CMC}/histoday/BTC.json"
        )))
        .mount(&server)
        .await;

    let history = client(&server.uri())
        .daily_history("BTC", None, day("2021-07-06"))
        .await
        .unwrap();

    assert_eq!(history.len(), 2991);
    assert_eq!(history[0].date, day("2013-04-29"));
    assert!(
        history.windows(2).all(|w| w[0].date < w[1].date),
        "dates repeat or go back"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn update_fetches_only_new_days() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .respond_with(HistodayPages::from_file(&format!(
            "{CMC}/histoday/BTC.json"
        )))
        .mount(&server)
        .await;

    let history = client(&server.uri())
        .daily_history("BTC", Some(day("2021-07-01")), day("2021-07-06"))
        .await
        .unwrap();

    let dates: Vec<String> = history.iter().map(|c| c.date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2021-07-02",
            "2021-07-03",
            "2021-07-04",
            "2021-07-05",
            "2021-07-06"
        ]
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].url.query().unwrap_or("").contains("limit=5"));
}

#[tokio::test]
async fn v2_recording_parses() {
    let server = MockServer::start().await;
    Mock::given(path("/data/v2/histoday"))
        .respond_with(json_response(read_shared(
            "api-recordings/cryptocompare_histoday_v2_limit2_api-evangelist.json",
        )))
        .mount(&server)
        .await;

    let history = client(&server.uri())
        .daily_history("BTC", None, day("2099-01-01"))
        .await
        .unwrap();

    assert_eq!(history.len(), 2);
    assert_eq!(history[1].close, 73384.46);
    assert_eq!(history[1].volume, 1760240836.83);
}
