//! Fuzz tests: the body parsers, `http::classify`, the snapshot reader and
//! `binfile::read` get random and mutated input and must never panic.
//!
//! Mutations start from the recorded API bodies in the shared data folder
//! and the small fixtures in `tests/fuzz_corpus/`. The default case counts
//! keep each test to a few seconds. For a long pass run
//! `PROPTEST_CASES=100000 cargo test --test fuzz_parsers --release`.

use coinlens::binfile::{self, FileKind};
use coinlens::market::http::{classify, parse_retry_after, ResponseInfo, Vendor};
use coinlens::market::parse::{parse_histoday, parse_market_chart, parse_markets};
use coinlens::market::{Candle, CoinGeckoPlan, History, SnapshotSource};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Replacement tokens that make JSON odd in the ways APIs and disks do.
const TOKENS: &[&str] = &[
    "null",
    "[]",
    "{}",
    "-1e309",
    "1e400",
    "NaN",
    "\"\"",
    "99999999999999999999999999",
    "-9223372036854775808",
    "8210266790400000",
    "\"9999-12-31T23:59:59Z\"",
    ",",
    "]",
    "}",
    "\"Response\":\"Error\"",
    "\"Type\":99",
    "\u{feff}",
    "\\u0000",
];

/// Case count: `PROPTEST_CASES` when set, else the test's default. The
/// explicit config would otherwise ignore the variable.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus"))
}

fn recordings_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/api-recordings"
    ))
}

fn json_files(dir: &Path) -> Vec<Vec<u8>> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("fuzz seed folder {} is missing: {error}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("json" | "html")
            )
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Seed bodies: the committed corpus, then the shared recordings.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds = json_files(&corpus_dir());
        seeds.extend(json_files(&recordings_dir()));
        assert!(seeds.len() > 10, "too few fuzz seeds: {}", seeds.len());
        seeds
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: usize, bit: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Token { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Token { at, token }),
        (any::<usize>(), 1usize..256).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let position = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
    match mutation {
        Mutation::FlipBit { at, bit } => {
            if !bytes.is_empty() {
                let index = at % bytes.len();
                bytes[index] ^= 1 << bit;
            }
        }
        Mutation::Insert { at, bytes: extra } => {
            let index = position(*at, bytes.len());
            bytes.splice(index..index, extra.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let start = position(*at, bytes.len());
            let end = (start + len).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Truncate { at } => {
            let index = position(*at, bytes.len());
            bytes.truncate(index);
        }
        Mutation::Token { at, token } => {
            let index = position(*at, bytes.len());
            bytes.splice(index..index, TOKENS[*token].bytes());
        }
        Mutation::Duplicate { at, len } => {
            let start = position(*at, bytes.len());
            let end = (start + len).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

/// A seed body with a list of mutations applied, as text.
fn mutated_body() -> impl Strategy<Value = String> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 0..10),
    )
        .prop_map(|(index, mutations)| {
            let seeds = seeds();
            let mut bytes = seeds[index.index(seeds.len())].clone();
            for mutation in &mutations {
                apply(&mut bytes, mutation);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// Any JSON leaf, including the numbers and strings that break naive code.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "",
            "1e999",
            "-0",
            "NaN",
            "inf",
            "2021-07-06T23:59:59Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00+14:00",
            "bitcoin",
            "../etc",
            "Error",
        ])
        .prop_map(Value::from),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A body with the expected shape but any value in every field.
fn shaped_body() -> impl Strategy<Value = String> {
    let series = || prop::collection::vec((leaf(), leaf()).prop_map(|(a, b)| json!([a, b])), 0..20);
    let chart = (series(), series(), series())
        .prop_map(|(p, c, v)| json!({"prices": p, "market_caps": c, "total_volumes": v}));
    let market_row = prop::collection::vec(leaf(), 12).prop_map(|v| {
        json!({"id": v[0], "symbol": v[1], "name": v[2], "current_price": v[3],
               "market_cap": v[4], "market_cap_rank": v[5], "total_volume": v[6],
               "price_change_percentage_24h": v[7], "price_change_percentage_7d_in_currency": v[8],
               "price_change_percentage_30d_in_currency": v[9], "ath": v[10], "last_updated": v[11]})
    });
    let markets = prop::collection::vec(market_row, 0..8).prop_map(Value::Array);
    let histoday_row = prop::collection::vec(leaf(), 6).prop_map(|v| {
        json!({"time": v[0], "open": v[1], "high": v[2], "low": v[3], "close": v[4], "volumeto": v[5]})
    });
    let histoday = (
        prop::collection::vec(histoday_row, 0..12),
        leaf(),
        leaf(),
        any_json(),
    )
        .prop_map(|(rows, response, kind, extra)| {
            json!({"Response": response, "Type": kind, "Message": extra, "RateLimit": extra,
                   "Data": {"Data": rows}})
        });
    prop_oneof![chart, markets, histoday, any_json()].prop_map(|value| value.to_string())
}

fn all_parsers(body: &str) {
    let _ = parse_markets(body, "/coins/markets");
    let _ = parse_market_chart(body, "/coins/bitcoin/market_chart");
    let _ = parse_histoday(body, "/data/v2/histoday", "127.0.0.1");
    let _ = parse_retry_after(body);
}

const VENDORS: [Vendor; 4] = [
    Vendor::CoinGecko(CoinGeckoPlan::Public),
    Vendor::CoinGecko(CoinGeckoPlan::Demo),
    Vendor::CoinGecko(CoinGeckoPlan::Pro),
    Vendor::CryptoCompare,
];

fn content_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "application/json",
        "application/json; charset=utf-8",
        "text/html",
        "text/plain",
        "application/octet-stream",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), .. ProptestConfig::default() })]

    #[test]
    fn parsers_survive_mutated_bodies(body in mutated_body()) {
        all_parsers(&body);
    }

    #[test]
    fn parsers_survive_shaped_bodies(body in shaped_body()) {
        all_parsers(&body);
    }

    #[test]
    fn parsers_survive_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn classify_survives_any_response(
        body in prop_oneof![mutated_body(), shaped_body()],
        status in 0u16..1000,
        vendor in 0..VENDORS.len(),
        content_type in content_type(),
        retry_after in prop::option::of(any::<u64>()),
    ) {
        let info = ResponseInfo {
            status,
            content_type,
            retry_after: retry_after.map(Duration::from_secs),
            body: &body,
        };
        let result = classify(VENDORS[vendor], "127.0.0.1:1", "/coins/markets", &info);
        if let Err(error) = result {
            // Messages stay short: the body appears only as a snippet.
            prop_assert!(error.to_string().len() < 1200, "{}", error);
            let _ = error.hint();
        }
    }
}

/// Writes a snapshot folder whose three files are seeds with mutations.
fn write_snapshot(dir: &Path, markets: &str, chart: &str, histoday: &str) {
    std::fs::create_dir_all(dir.join("market_chart")).unwrap();
    std::fs::create_dir_all(dir.join("histoday")).unwrap();
    std::fs::write(dir.join("coins_markets.json"), markets).unwrap();
    for id in ["alpha-coin", "beta-coin"] {
        std::fs::write(dir.join("market_chart").join(format!("{id}.json")), chart).unwrap();
    }
    for symbol in ["ALP", "BET"] {
        std::fs::write(
            dir.join("histoday").join(format!("{symbol}.json")),
            histoday,
        )
        .unwrap();
    }
}

fn corpus_text(name: &str) -> String {
    let path = corpus_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mutated_from(name: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(mutation(), 0..6).prop_map(move |mutations| {
        let mut bytes = corpus_text(name).into_bytes();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), .. ProptestConfig::default() })]

    #[test]
    fn snapshot_reader_survives_mutated_files(
        markets in prop_oneof![mutated_from("markets_two_rows.json"), shaped_body()],
        chart in prop_oneof![mutated_from("market_chart_three_days.json"), shaped_body()],
        histoday in prop_oneof![mutated_from("histoday_three_rows.json"), shaped_body()],
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_snapshot(dir.path(), &markets, &chart, &histoday);
        let source = SnapshotSource::new(dir.path());
        if let Ok(snapshot) = source.load() {
            for history in snapshot.histories.values() {
                prop_assert!(history.windows(2).all(|w| w[0].date < w[1].date));
            }
        }
    }
}

const HISTORY_KIND: FileKind = FileKind {
    tag: *b"HIST",
    version: 1,
};
const HEADER_LEN: usize = 34;

fn sample_history() -> History {
    let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    (0..40)
        .map(|day| Candle {
            open: day as f64,
            ..Candle::close_only(start + chrono::Duration::days(day), 2.0 * day as f64)
        })
        .collect()
}

/// Bytes of a valid history file, written once through `binfile::write`
/// (whose fsync would make every case slow).
fn valid_history_file() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bitcoin.bin");
        binfile::write(&path, HISTORY_KIND, 0, &sample_history()).unwrap();
        std::fs::read(&path).unwrap()
    })
}

/// Rewrites the length and CRC fields so a mutated body passes the header
/// checks and reaches the decoder.
fn fix_header(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN {
        return;
    }
    let body_len = (bytes.len() - HEADER_LEN) as u64;
    let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[22..30].copy_from_slice(&body_len.to_le_bytes());
    bytes[30..34].copy_from_slice(&crc.to_le_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), .. ProptestConfig::default() })]

    #[test]
    fn binfile_read_survives_mutations(
        mutations in prop::collection::vec(mutation(), 1..8),
        repair_header in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bitcoin.bin");
        let original = valid_history_file();
        let mut bytes = original.to_vec();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        if repair_header {
            fix_header(&mut bytes);
        }
        std::fs::write(&path, &bytes).unwrap();

        let result: Result<History, _> = binfile::read(&path, HISTORY_KIND, 0);
        if !repair_header && bytes != *original {
            // Without a matching CRC a changed file never loads.
            prop_assert!(result.is_err(), "a mutated file loaded");
        }
        if let Err(error) = result {
            prop_assert!(error.is_invalid_content(), "{}", error);
        }
    }
}
