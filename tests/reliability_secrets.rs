//! API keys never leave the request headers: the real binary runs `scan`
//! with canary keys against a loopback mock that returns data, errors, and with error bodies that echo the key back, and the canary must
//! not appear in stdout, stderr, the log, the recorded snapshot, the history
//! cache or the model files.

mod market_support;

use coinlens::config::{self, Config};
use coinlens::feed::market_settings;
use market_support::{json_response, read_shared, HistodayPages, MarketsPages, CMC};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const DEMO_KEY: &str = "CANARY-7f3a9c-demo";
const PRO_KEY: &str = "CANARY-7f3a9c-pro";
const COMPARE_KEY: &str = "CANARY-7f3a9c-compare";
/// Every canary starts with this, so one search finds all three.
const CANARY: &str = "CANARY-7f3a9c";

/// Small training so a successful scan takes seconds.
const CONFIG: &str = "coin_count = 4\n\n[training]\ntrees = 4\nmax_depth = 4\n";

/// Responses the mock sends for `/coins/markets` and the charts.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// Every request gets 200 with the cmc snapshot's bodies.
    Good,
    /// 401 JSON whose message repeats the key that was sent.
    Unauthorized,
    /// 403 HTML access-denied page that repeats the key.
    ForbiddenHtml,
    /// 429 with a `Retry-After` longer than the client waits out.
    RateLimited,
    /// 500 on the markets listing (retried, then given up).
    ServerError,
    /// Markets return 200, and every chart returns cut-off JSON that repeats the key.
    TruncatedCharts,
}

/// Returns the key header value of a request, whichever vendor header it uses.
fn sent_key(request: &Request) -> String {
    ["x-cg-demo-api-key", "x-cg-pro-api-key", "authorization"]
        .iter()
        .find_map(|name| request.headers.get(*name))
        .and_then(|value| value.to_str().ok())
        .unwrap_or("no key")
        .to_string()
}

struct Failing(Scenario);

impl Respond for Failing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = sent_key(request);
        match self.0 {
            Scenario::Unauthorized => {
                let body = format!(
                    r#"{{"status":{{"error_code":10002,"error_message":"API key {key} is invalid"}}}}"#
                );
                ResponseTemplate::new(401).set_body_raw(body, "application/json")
            }
            Scenario::ForbiddenHtml => {
                let body = format!("<html><body>Access denied for key {key}</body></html>");
                ResponseTemplate::new(403).set_body_raw(body, "text/html")
            }
            Scenario::RateLimited => ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_raw(format!("Too many requests for {key}"), "text/plain"),
            Scenario::ServerError => ResponseTemplate::new(500)
                .set_body_raw(format!("internal error, key {key}"), "text/plain"),
            Scenario::TruncatedCharts => {
                let body = format!(r#"{{"prices":[[1625529600000,34000.5],["{key}"#);
                ResponseTemplate::new(200).set_body_raw(body, "application/json")
            }
            Scenario::Good => ResponseTemplate::new(500),
        }
    }
}

async fn serve(server: &MockServer, scenario: Scenario) {
    let rows: Vec<Value> =
        serde_json::from_str(&read_shared(&format!("{CMC}/coins_markets.json"))).unwrap();
    let markets_fail = matches!(
        scenario,
        Scenario::Unauthorized
            | Scenario::ForbiddenHtml
            | Scenario::RateLimited
            | Scenario::ServerError
    );
    if markets_fail {
        Mock::given(method("GET"))
            .respond_with(Failing(scenario))
            .mount(server)
            .await;
        return;
    }
    Mock::given(path("/coins/markets"))
        .respond_with(MarketsPages { rows: rows.clone() })
        .mount(server)
        .await;
    if matches!(scenario, Scenario::TruncatedCharts) {
        Mock::given(path_regex("^/coins/.+/market_chart$"))
            .respond_with(Failing(scenario))
            .mount(server)
            .await;
        return;
    }
    for row in rows.iter().take(6) {
        let id = row["id"].as_str().unwrap();
        let symbol = row["symbol"].as_str().unwrap().to_uppercase();
        Mock::given(path(format!("/coins/{id}/market_chart")))
            .respond_with(json_response(read_shared(&format!(
                "{CMC}/market_chart/{id}.json"
            ))))
            .mount(server)
            .await;
        Mock::given(path("/data/v2/histoday"))
            .and(wiremock::matchers::query_param("fsym", symbol.as_str()))
            .respond_with(HistodayPages::from_file(&format!(
                "{CMC}/histoday/{symbol}.json"
            )))
            .mount(server)
            .await;
    }
}

/// One binary run with its own data dir, home and record folder.
struct Run {
    output: Output,
    dirs: tempfile::TempDir,
}

impl Run {
    fn data_dir(&self) -> PathBuf {
        self.dirs.path().join("data")
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

fn write_config(dir: &Path, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let config = dir.join("config.toml");
    std::fs::write(&config, text).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
    config
}

/// Runs `coinlens scan --record` against `uri` with the given key variables.
fn run_scan(uri: &str, keys: &[(&str, &str)]) -> Run {
    let dirs = tempfile::tempdir().unwrap();
    let config = write_config(dirs.path(), CONFIG, 0o600);
    let mut command = Command::new(env!("CARGO_BIN_EXE_coinlens"));
    command
        .args(["scan", "--format", "json", "--record"])
        .arg(dirs.path().join("record"))
        .arg("--config")
        .arg(&config)
        .env_clear()
        .env("HOME", dirs.path())
        .env("XDG_CONFIG_HOME", dirs.path().join("xdg"))
        .env("COINLENS_DATA_DIR", dirs.path().join("data"))
        .env("COINLENS_COINGECKO_URL", uri)
        .env("COINLENS_CRYPTOCOMPARE_URL", uri)
        .env("RUST_LOG", "trace");
    for (name, value) in keys {
        command.env(name, value);
    }
    let output = command.output().expect("the coinlens binary runs");
    Run { output, dirs }
}

/// Lists every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            if text.contains(needle) {
                found.push(path);
            }
        }
    }
    found
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| {
                let path = entry.path();
                if path.is_dir() {
                    count_files(&path)
                } else {
                    1
                }
            })
            .sum()
    })
}

fn assert_no_canary(run: &Run, scenario: Scenario) {
    assert!(
        !run.stdout().contains(CANARY),
        "{scenario:?}: key in stdout:\n{}",
        run.stdout()
    );
    assert!(
        !run.stderr().contains(CANARY),
        "{scenario:?}: key in stderr:\n{}",
        run.stderr()
    );
    let leaked = files_containing(run.dirs.path(), CANARY);
    // The config file is the one place the test itself wrote no key into,
    // so any hit is a file coinlens wrote.
    assert!(leaked.is_empty(), "{scenario:?}: key in files {leaked:?}");
    assert!(
        run.data_dir().join("coinlens.log").is_file(),
        "{scenario:?}: no log file was written"
    );
}

async fn keys_received(server: &MockServer) -> Vec<String> {
    let mut keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(sent_key)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

async fn scan_in_background(uri: String, keys: Vec<(&'static str, &'static str)>) -> Run {
    tokio::task::spawn_blocking(move || run_scan(&uri, &keys))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_scan_keeps_keys_out() {
    let server = MockServer::start().await;
    serve(&server, Scenario::Good).await;
    let keys = vec![
        ("COINGECKO_API_KEY", DEMO_KEY),
        ("CRYPTOCOMPARE_API_KEY", COMPARE_KEY),
    ];
    let run = scan_in_background(server.uri(), keys).await;

    assert!(
        run.output.status.success(),
        "scan failed:\n{}",
        run.stderr()
    );
    assert_no_canary(&run, Scenario::Good);
    let received = keys_received(&server).await;
    assert!(received.contains(&DEMO_KEY.to_string()), "{received:?}");
    assert!(
        received.contains(&format!("Apikey {COMPARE_KEY}")),
        "{received:?}"
    );
    // The files that were searched exist: cache, models, record and log.
    assert!(count_files(&run.data_dir().join("history")) >= 4);
    assert!(count_files(&run.data_dir().join("models")) >= 3);
    assert!(count_files(&run.dirs.path().join("record")) >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pro_key_scan_keeps_keys_out() {
    let server = MockServer::start().await;
    serve(&server, Scenario::Good).await;
    let keys = vec![("COINGECKO_PRO_API_KEY", PRO_KEY)];
    let run = scan_in_background(server.uri(), keys).await;

    assert!(
        run.output.status.success(),
        "scan failed:\n{}",
        run.stderr()
    );
    assert_no_canary(&run, Scenario::Good);
    assert_eq!(keys_received(&server).await, vec![PRO_KEY.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_scans_keep_keys_out() {
    let scenarios = [
        Scenario::Unauthorized,
        Scenario::ForbiddenHtml,
        Scenario::RateLimited,
        Scenario::ServerError,
        Scenario::TruncatedCharts,
    ];
    for scenario in scenarios {
        let server = MockServer::start().await;
        serve(&server, scenario).await;
        let keys = vec![
            ("COINGECKO_API_KEY", DEMO_KEY),
            ("COINGECKO_PRO_API_KEY", PRO_KEY),
            ("CRYPTOCOMPARE_API_KEY", COMPARE_KEY),
        ];
        let run = scan_in_background(server.uri(), keys).await;

        assert!(
            !run.output.status.success(),
            "{scenario:?}: scan should fail:\n{}",
            run.stdout()
        );
        assert!(
            run.stderr().contains("error:"),
            "{scenario:?}: no error message:\n{}",
            run.stderr()
        );
        assert!(
            !run.stderr().contains("panicked"),
            "{scenario:?}: panic:\n{}",
            run.stderr()
        );
        assert_no_canary(&run, scenario);
        assert_eq!(
            keys_received(&server).await,
            vec![PRO_KEY.to_string()],
            "{scenario:?}: the pro key is the one sent"
        );
    }
}

#[test]
fn world_readable_config_with_key_warns() {
    let dirs = tempfile::tempdir().unwrap();
    let text = format!("{CONFIG}\n[api]\ncoingecko_demo_key = \"{DEMO_KEY}\"\n");
    let config = write_config(dirs.path(), &text, 0o644);
    let snapshot = market_support::shared(CMC);

    let output = Command::new(env!("CARGO_BIN_EXE_coinlens"))
        .args(["scan", "--format", "json", "--snapshot"])
        .arg(&snapshot)
        .arg("--config")
        .arg(&config)
        .env_clear()
        .env("HOME", dirs.path())
        .env("COINLENS_DATA_DIR", dirs.path().join("data"))
        .output()
        .expect("the coinlens binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "no permission warning:\n{stderr}"
    );
    assert!(!stderr.contains(CANARY), "key in stderr:\n{stderr}");

    let private = write_config(dirs.path(), &text, 0o600);
    let loaded = config::load(Some(&private), &dirs.path().join("unused.toml")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn debug_output_hides_every_key() {
    let mut config = Config::default();
    config.api.coingecko_demo_key = Some(DEMO_KEY.to_string());
    config.api.coingecko_pro_key = Some(PRO_KEY.to_string());
    config.api.cryptocompare_key = Some(COMPARE_KEY.to_string());
    let settings = market_settings(&config);
    let clients = coinlens::market::LiveClients::new(&settings).unwrap();

    for (name, text) in [
        ("Config", format!("{config:?}")),
        ("Config pretty", format!("{config:#?}")),
        ("MarketSettings", format!("{settings:?}")),
        ("LiveClients", format!("{clients:?}")),
    ] {
        assert!(!text.contains(CANARY), "{name} Debug shows a key: {text}");
    }
    assert!(settings.coingecko_key.is_some());
    assert!(settings.cryptocompare_key.is_some());
}

#[test]
fn config_parse_errors_hide_keys() {
    let cases = [
        // Unquoted key: TOML rejects the line and its error quotes it.
        format!("[api]\ncoingecko_demo_key = {DEMO_KEY}\n"),
        // Key of the wrong type, next to a valid one.
        format!(
            "[api]\ncryptocompare_key = \"{COMPARE_KEY}\"\ncoingecko_pro_key = [\"{PRO_KEY}\"]\n"
        ),
        // Unknown field in the section that contains the keys.
        format!("[api]\ncoingecko_demo_key = \"{DEMO_KEY}\"\ncoingecko_key = \"{PRO_KEY}\"\n"),
    ];
    for text in &cases {
        let dirs = tempfile::tempdir().unwrap();
        let default_config = dirs.path().join("xdg/coinlens/config.toml");
        std::fs::create_dir_all(default_config.parent().unwrap()).unwrap();
        std::fs::write(&default_config, text).unwrap();
        let explicit = write_config(dirs.path(), text, 0o600);

        let error = config::load(Some(&explicit), &default_config)
            .expect_err("the explicit file is invalid")
            .to_string();
        assert!(
            !error.contains(CANARY),
            "explicit file error shows a key: {error}"
        );

        let loaded = config::load(None, &default_config).unwrap();
        for warning in &loaded.warnings {
            assert!(
                !warning.contains(CANARY),
                "default file warning shows a key: {warning}"
            );
        }
        assert!(!loaded.warnings.is_empty(), "no warning for {text}");

        // The binary writes default-file warnings to the log.
        let output = Command::new(env!("CARGO_BIN_EXE_coinlens"))
            .arg("models")
            .env_clear()
            .env("HOME", dirs.path())
            .env("XDG_CONFIG_HOME", dirs.path().join("xdg"))
            .env("COINLENS_DATA_DIR", dirs.path().join("data"))
            .output()
            .expect("the coinlens binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains(CANARY), "key in stderr:\n{stderr}");
        let log = std::fs::read_to_string(dirs.path().join("data/coinlens.log")).unwrap();
        assert!(log.contains("config"), "the warning was not logged:\n{log}");
        assert!(!log.contains(CANARY), "key in the log:\n{log}");
    }
}
