//! Counts the HTTP requests of a cold and a warm history refresh of 250
//! coins against a loopback CoinGecko mock, and times them.
//!
//! Cold: an empty history cache. Warm, same day: the cache already reaches
//! every coin's last complete day. Warm, next day: the market list moved one
//! day on, so every coin has one new day to fetch.

mod support;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use coinlens::market::{HostLimit, LiveClients, MarketSettings, MarketSource};
use coinlens::store::HistoryStore;
use serde_json::json;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use support::Stats;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const COINS: usize = 250;
const ROUNDS: usize = 3;
/// Maximum days of chart the mock returns, the limit the client assumes for CoinGecko's public plan.
const MAX_CHART_DAYS: i64 = 365;

fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, 11, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Returns the mock's current time: `first_day()` plus the shared day offset.
fn mock_now(offset: &AtomicI64) -> DateTime<Utc> {
    first_day() + Duration::days(offset.load(Ordering::SeqCst))
}

struct Markets(Arc<AtomicI64>);

impl Respond for Markets {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = mock_now(&self.0).to_rfc3339();
        let coins: Vec<_> = (0..COINS)
            .map(|i| {
                json!({
                    "id": format!("coin-{i:03}"),
                    "symbol": format!("c{i:03}"),
                    "name": format!("Coin {i}"),
                    "current_price": 1.0 + i as f64,
                    "market_cap": 1e9 / (1.0 + i as f64),
                    "market_cap_rank": i + 1,
                    "total_volume": 1e7,
                    "price_change_percentage_24h": 0.5,
                    "price_change_percentage_7d_in_currency": 1.5,
                    "price_change_percentage_30d_in_currency": -2.0,
                    "ath": 100.0,
                    "last_updated": now,
                })
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(coins)
    }
}

struct Chart(Arc<AtomicI64>);

impl Respond for Chart {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let requested: i64 = request
            .url
            .query_pairs()
            .find(|(key, _)| key == "days")
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(MAX_CHART_DAYS);
        let days = requested.clamp(1, MAX_CHART_DAYS);
        // A daily close is stamped 00:00 UTC of the next day, so the last
        // complete day D is stamped at the start of today.
        let today: NaiveDate = mock_now(&self.0).date_naive();
        let stamps: Vec<i64> = (0..days)
            .rev()
            .filter_map(|back| (today - Duration::days(back)).and_hms_opt(0, 0, 0))
            .map(|at| at.and_utc().timestamp_millis())
            .collect();
        let series =
            |value: f64| -> Vec<_> { stamps.iter().map(|ms| json!([ms, value])).collect() };
        ResponseTemplate::new(200).set_body_json(json!({
            "prices": series(10.0),
            "market_caps": series(1e9),
            "total_volumes": series(1e7),
        }))
    }
}

/// Request counts of one refresh: markets calls and history calls.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Counts {
    markets: usize,
    histories: usize,
}

async fn refresh(
    server: &MockServer,
    source: &MarketSource,
    store: &HistoryStore,
) -> (Counts, f64) {
    let before = server.received_requests().await.unwrap_or_default().len();
    let start = Instant::now();
    let result = async {
        let (coins, _) = source.load_coins().await?;
        source.refresh_histories(&coins, store, |_| {}).await
    }
    .await;
    let seconds = start.elapsed().as_secs_f64();
    if let Err(error) = result {
        eprintln!("error: the refresh against the mock failed: {error}");
        std::process::exit(1);
    }
    let requests = server.received_requests().await.unwrap_or_default();
    let new = &requests[before..];
    let counts = Counts {
        markets: new
            .iter()
            .filter(|r| r.url.path() == "/coins/markets")
            .count(),
        histories: new
            .iter()
            .filter(|r| r.url.path().ends_with("/market_chart"))
            .count(),
    };
    (counts, seconds)
}

#[tokio::main]
async fn main() {
    let names = ["cold (empty cache)", "warm, same day", "warm, next day"];
    let mut counts: Vec<Vec<Counts>> = vec![Vec::new(); names.len()];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];

    for _ in 0..ROUNDS {
        let offset = Arc::new(AtomicI64::new(0));
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/coins/markets"))
            .respond_with(Markets(offset.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/coins/[^/]+/market_chart$"))
            .respond_with(Chart(offset.clone()))
            .mount(&server)
            .await;

        let settings = MarketSettings {
            coingecko_base_url: Some(server.uri()),
            coin_count: COINS,
            coingecko_limit: Some(HostLimit::new(0, 0)),
            ..MarketSettings::default()
        };
        let clients = match LiveClients::new(&settings) {
            Ok(clients) => clients,
            Err(error) => {
                eprintln!("error: building the clients failed: {error}");
                std::process::exit(1);
            }
        };
        let source = MarketSource::Live(clients);
        let cache = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => {
                eprintln!("error: creating a temporary cache folder failed: {error}");
                std::process::exit(1);
            }
        };
        let store = HistoryStore::new(cache.path());

        for step in 0..names.len() {
            if step == 2 {
                offset.store(1, Ordering::SeqCst);
            }
            let (count, seconds) = refresh(&server, &source, &store).await;
            counts[step].push(count);
            times[step].push(seconds);
        }
    }

    support::heading("HTTP requests of a 250-coin refresh (loopback mock)");
    println!(
        "`MarketSource::refresh_histories` with `LiveClients` aimed at a wiremock server on 127.0.0.1, \
         rate limiting off, a fresh history cache per round, {ROUNDS} rounds. Expected for the warm \
         refresh: at most ceil(250/250) = 1 markets call plus one history call per coin with a new day.\n"
    );
    println!("| refresh | markets calls | history calls | same counts every round | time |");
    println!("|---|---:|---:|---|---|");
    for (step, name) in names.iter().enumerate() {
        let first = counts[step][0];
        let stable = counts[step].iter().all(|c| *c == first);
        println!(
            "| {name} | {} | {} | {} | {} |",
            first.markets,
            first.histories,
            if stable { "yes" } else { "no" },
            Stats::from_samples(&times[step]).ms()
        );
    }
}
