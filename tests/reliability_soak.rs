//! Network faults over time: a loopback HTTP server responds at random (from a
//! fixed seed) with data, slow responses past the client timeout, dropped
//! connections, 429, 5xx, HTML and cut-off JSON, while the test runs a few
//! hundred history refreshes. Checks: no panic, a coin's history is never
//! shortened or emptied by a failed refresh, the request rate seen by the
//! server stays within the limiter's budget, and the resident memory does
//! not keep growing.
//!
//! The default is 200 refreshes, about 10 s. Set `COINLENS_SOAK_ROUNDS` for
//! a longer run, e.g. `COINLENS_SOAK_ROUNDS=5000 cargo test --release --test
//! reliability_soak -- --nocapture`.

use coinlens::market::{HostLimit, LiveClients, MarketSettings, MarketSource, RetrySettings};
use coinlens::store::HistoryStore;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const COINS: [&str; 2] = ["alpha-coin", "beta-coin"];
/// Days in each good chart response.
const CHART_DAYS: i64 = 60;
/// Limiter under test: 3600 requests per minute (60 per second), burst 4.
const RATE_PER_MINUTE: u32 = 3600;
const BURST: u32 = 4;
const CLIENT_TIMEOUT: Duration = Duration::from_millis(150);
const SLOW_ANSWER: Duration = Duration::from_millis(300);

fn rounds() -> usize {
    std::env::var("COINLENS_SOAK_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(200)
}

/// xorshift64*, seeded, shared by the server threads.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % sides
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Answer {
    Good,
    Slow,
    Drop,
    TooMany,
    ServerError,
    Html,
    Truncated,
}

struct Server {
    dice: Mutex<Dice>,
    /// Arrival time of every request.
    arrivals: Mutex<Vec<Instant>>,
    answers: Mutex<BTreeMap<Answer, usize>>,
    markets: String,
    chart: String,
}

fn markets_body() -> String {
    // last_updated at the last second of day CHART_DAYS + 1, one day past the
    // chart, so every refresh finds the cache incomplete and fetches again.
    let end =
        chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Duration::days(CHART_DAYS);
    let rows: Vec<String> = COINS
        .iter()
        .enumerate()
        .map(|(rank, id)| {
            format!(
                r#"{{"id":"{id}","symbol":"{}","name":"{id}","current_price":1.0,"market_cap_rank":{},"last_updated":"{end}T23:59:59Z"}}"#,
                &id[..3],
                rank + 1
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

fn chart_body() -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
    let points: Vec<String> = (0..CHART_DAYS)
        .map(|day| {
            let date = start + chrono::Duration::days(day);
            let stamp = coinlens::market::parse::chart_stamp_ms(date);
            format!("[{stamp},{}]", 100.0 + day as f64)
        })
        .collect();
    let series = points.join(",");
    format!(r#"{{"prices":[{series}],"market_caps":[{series}],"total_volumes":[{series}]}}"#)
}

fn write_response(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    extra: &str,
    body: &str,
) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn handle(server: &Server, mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    server.arrivals.lock().unwrap().push(Instant::now());
    let line = String::from_utf8_lossy(&request);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let roll = server.dice.lock().unwrap().roll(100);
    let answer = match roll {
        0..=54 => Answer::Good,
        55..=59 => Answer::Slow,
        60..=66 => Answer::Drop,
        67..=74 => Answer::TooMany,
        75..=84 => Answer::ServerError,
        85..=92 => Answer::Html,
        _ => Answer::Truncated,
    };
    *server.answers.lock().unwrap().entry(answer).or_default() += 1;
    let body = if path.starts_with("/coins/markets") {
        &server.markets
    } else {
        &server.chart
    };
    match answer {
        Answer::Good => write_response(&mut stream, "200 OK", "application/json", "", body),
        Answer::Slow => {
            std::thread::sleep(SLOW_ANSWER);
            write_response(&mut stream, "200 OK", "application/json", "", body);
        }
        Answer::Drop => {}
        Answer::TooMany => write_response(
            &mut stream,
            "429 Too Many Requests",
            "text/plain",
            "retry-after: 0\r\n",
            "Too many requests",
        ),
        Answer::ServerError => write_response(
            &mut stream,
            "503 Service Unavailable",
            "text/plain",
            "",
            "down",
        ),
        Answer::Html => write_response(
            &mut stream,
            "200 OK",
            "text/html",
            "",
            "<html><body>Service temporarily unavailable</body></html>",
        ),
        Answer::Truncated => {
            let cut = body.len() / 3;
            write_response(&mut stream, "200 OK", "application/json", "", &body[..cut]);
        }
    }
}

fn start_server(seed: u64) -> (String, Arc<Server>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let server = Arc::new(Server {
        dice: Mutex::new(Dice(seed)),
        arrivals: Mutex::new(Vec::new()),
        answers: Mutex::new(BTreeMap::new()),
        markets: markets_body(),
        chart: chart_body(),
    });
    let shared = Arc::clone(&server);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let server = Arc::clone(&shared);
            std::thread::spawn(move || handle(&server, stream));
        }
    });
    (uri, server)
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Largest number of arrivals inside any window of `window` length.
fn max_in_window(arrivals: &[Instant], window: Duration) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let mut start = 0;
    let mut best = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_survive_faulty_server() {
    let (uri, server) = start_server(0x00c0_ffee_d00d_f00d);
    let settings = MarketSettings {
        coingecko_base_url: Some(uri),
        coingecko_limit: Some(HostLimit::new(RATE_PER_MINUTE, BURST)),
        retry: RetrySettings {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_retry_after: Duration::ZERO,
            request_timeout: CLIENT_TIMEOUT,
        },
        ..MarketSettings::default()
    };
    let source = MarketSource::Live(LiveClients::new(&settings).unwrap());
    let cache = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(cache.path());

    let total = rounds();
    let warm_up = (total / 10).max(5);
    let mut coins = None;
    let mut longest: BTreeMap<String, usize> = BTreeMap::new();
    let mut refresh_errors = 0;
    let mut coin_failures = 0;
    let mut rss_after_warm_up = 0;
    let started = Instant::now();

    for round in 0..total {
        if round == warm_up {
            rss_after_warm_up = resident_bytes();
        }
        // Re-list the coins every tenth round; a failed listing keeps the last one.
        if coins.is_none() || round % 10 == 0 {
            if let Ok((listed, _)) = source.load_coins().await {
                assert_eq!(listed.len(), COINS.len(), "round {round}");
                coins = Some(listed);
            }
        }
        let Some(listed) = &coins else { continue };

        match source.refresh_histories(listed, &store, |_| {}).await {
            Ok(summary) => {
                coin_failures += summary.failures.len();
                for (id, history) in &summary.histories {
                    let best = longest.entry(id.clone()).or_default();
                    assert!(
                        history.len() >= *best,
                        "round {round}: {id} shrank from {best} to {} days",
                        history.len()
                    );
                    *best = history.len();
                }
            }
            Err(_) => refresh_errors += 1,
        }
        for (id, best) in &longest {
            let cached = store.load(id).unwrap().map_or(0, |h| h.len());
            assert!(
                cached >= *best,
                "round {round}: cache of {id} has {cached} < {best} days"
            );
        }
    }
    let elapsed = started.elapsed();
    let rss_end = resident_bytes();

    let arrivals = server.arrivals.lock().unwrap().clone();
    let answers = server.answers.lock().unwrap().clone();
    let window = Duration::from_millis(500);
    // The bucket allows BURST plus 30 per 500 ms. One more covers a window
    // edge, and two more cover arrival times being taken after the server
    // reads the request, which can bring two requests closer than they left.
    let allowed = BURST as usize + (RATE_PER_MINUTE as usize / 60) / 2 + 3;
    let busiest = max_in_window(&arrivals, window);
    eprintln!(
        "{total} refreshes in {elapsed:?}: {} requests, answers {answers:?}, busiest {window:?} window {busiest} (allowed {allowed}), coin failures {coin_failures}, refresh errors {refresh_errors}, RSS {} KiB after warm-up, {} KiB at end",
        arrivals.len(),
        rss_after_warm_up / 1024,
        rss_end / 1024
    );

    assert!(
        longest.values().all(|len| *len == CHART_DAYS as usize),
        "every coin reached the full chart: {longest:?}"
    );
    assert!(coin_failures > 0, "the server never made a refresh fail");
    assert!(
        busiest <= allowed,
        "{busiest} requests in {window:?}, limiter allows {allowed}"
    );
    // Generous slack: allocator caches and tokio's pools may grow a little.
    let growth = rss_end.saturating_sub(rss_after_warm_up);
    assert!(
        growth < 64 * 1024 * 1024,
        "RSS grew by {} KiB after warm-up",
        growth / 1024
    );
}
