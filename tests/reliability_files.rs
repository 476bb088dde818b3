//! Damaged files in the data dir: every model file, a history cache entry,
//! the favourites file and the config file, each truncated, emptied, filled
//! with random bytes or written by another format version. Each case must
//! give a message naming the file and recover (retrain, refetch, empty
//! favourites) or, for an explicit config, exit non-zero. Never a panic.

mod market_support;

use chrono::{Duration as TimeDelta, NaiveDate, TimeZone, Utc};
use coinlens::engine::pipeline::{load_models, LoadOutcome};
use coinlens::features;
use coinlens::market::parse::parse_markets;
use coinlens::market::{record_snapshot, Candle, History, MarketSnapshot};
use coinlens::ml::{self, ModelStore, TrainSettings};
use coinlens::store::HistoryStore;
use coinlens::tui::{App, AppOptions, Favorites};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODEL_FILES: [&str; 5] = [
    "scaler.bin",
    "price_model.bin",
    "gem_detector.bin",
    "rl_agent.bin",
    "metadata.json",
];

#[derive(Debug, Clone, Copy)]
enum Damage {
    Truncated,
    Empty,
    RandomBytes,
    OtherVersion,
}

const DAMAGES: [Damage; 4] = [
    Damage::Truncated,
    Damage::Empty,
    Damage::RandomBytes,
    Damage::OtherVersion,
];

/// Deterministic noise, so a failure repeats.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Damages `path` in place. "Other version" sets a binfile header's version
/// field to 99, or for a JSON or TOML file writes a valid file of another layout.
fn damage(path: &Path, kind: Damage) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let new = match kind {
        Damage::Truncated => bytes[..bytes.len() / 2].to_vec(),
        Damage::Empty => Vec::new(),
        Damage::RandomBytes => noise(bytes.len().max(64), bytes.len() as u64),
        Damage::OtherVersion if bytes.starts_with(b"COINLENS") => {
            let mut copy = bytes.clone();
            copy[12..14].copy_from_slice(&99u16.to_le_bytes());
            copy
        }
        Damage::OtherVersion if path.extension().is_some_and(|e| e == "toml") => {
            b"format_version = 2\n[data]\ncoins = 10\n".to_vec()
        }
        Damage::OtherVersion => br#"{"format_version": 2, "models": {"price": "v2"}}"#.to_vec(),
    };
    std::fs::write(path, new).unwrap();
}

/// Four coins over 420 days, with a small coin that beats bitcoin now and
/// then, so the gem model has positive labels.
fn histories() -> BTreeMap<String, History> {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut out = BTreeMap::new();
    for (index, id) in ["bitcoin", "ethereum", "dogecoin", "smallcoin"]
        .iter()
        .enumerate()
    {
        let phase = index as f64;
        let swing = 0.2 + 0.25 * phase;
        let history: History = (0..420)
            .map(|day| {
                let t = day as f64;
                let close = 100.0 * (1.0 + swing * (t / 11.0 + phase).sin()) * (1.0 + t / 420.0);
                Candle {
                    date: start + TimeDelta::days(day),
                    open: close * 0.99,
                    high: close * 1.03,
                    low: close * 0.96,
                    close,
                    volume: 1e6 * (1.5 + (t / 5.0).cos()),
                    market_cap: close * 1e8 / (index as f64 + 1.0).powi(3),
                }
            })
            .collect();
        out.insert(id.to_string(), history);
    }
    out
}

fn train_settings() -> TrainSettings {
    let mut settings = TrainSettings::default();
    settings.price_forest.n_trees = 4;
    settings.price_forest.max_depth = 4;
    settings.gem_forest = settings.price_forest;
    settings.gem_rule.top_n_excluded = 1;
    settings.gem_rule.margin = 0.0;
    settings
}

fn saved_store(dir: &Path) -> ModelStore {
    let histories = histories();
    let tables = features::build_tables(&histories);
    let models = ml::train(&histories, &tables, &train_settings(), &mut |_, _, _| {}).unwrap();
    assert!(models.gem.is_some(), "the fixture must train a gem model");
    assert!(models.agent.is_some(), "the fixture must train an agent");
    let store = ModelStore::new(dir);
    store.save(&models).unwrap();
    store
}

#[test]
fn damaged_model_file_means_retrain() {
    let root = tempfile::tempdir().unwrap();
    let clean = saved_store(&root.path().join("clean"));
    let mut cases = 0;
    for name in MODEL_FILES {
        for kind in DAMAGES {
            let dir = root.path().join(format!("{name}-{kind:?}"));
            copy_dir(clean.dir(), &dir);
            damage(&dir.join(name), kind);
            let store = ModelStore::new(&dir);

            let error = match store.load(features::schema_hash()) {
                Ok(_) => panic!("{name} {kind:?}: damaged set loaded"),
                Err(error) => error.to_string(),
            };
            assert!(error.contains(name), "{name} {kind:?}: {error}");
            match load_models(&store, TimeDelta::days(7), Utc::now()) {
                LoadOutcome::Unusable(reason) => {
                    assert!(reason.contains(name), "{name} {kind:?}: {reason}")
                }
                _ => panic!("{name} {kind:?}: not reported as unusable"),
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 20);
}

#[test]
fn damaged_set_falls_back_to_previous() {
    let root = tempfile::tempdir().unwrap();
    let histories = histories();
    let tables = features::build_tables(&histories);
    let mut models = ml::train(&histories, &tables, &train_settings(), &mut |_, _, _| {}).unwrap();
    let store = ModelStore::new(root.path().join("models"));
    let first_trained_at = models.report.trained_at;
    store.save(&models).unwrap();
    models.report.trained_at = first_trained_at + TimeDelta::hours(1);
    store.save(&models).unwrap();
    damage(&store.dir().join("price_model.bin"), DAMAGES[0]);

    match load_models(&store, TimeDelta::days(7), Utc::now()) {
        LoadOutcome::UnusableWithPrevious(previous, reason) => {
            assert_eq!(previous.report.trained_at, first_trained_at);
            assert!(reason.contains("price_model.bin"), "{reason}");
        }
        _ => panic!("a damaged set with a good previous/ set must offer it"),
    }

    std::fs::remove_dir_all(store.dir().join("previous")).unwrap();
    assert!(matches!(
        load_models(&store, TimeDelta::days(7), Utc::now()),
        LoadOutcome::Unusable(_)
    ));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn damaged_cache_entry_is_refetched() {
    for kind in DAMAGES {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::new(dir.path());
        store.save("bitcoin", &histories()["bitcoin"]).unwrap();
        damage(&store.path_of("bitcoin").unwrap(), kind);

        let loaded = store.load("bitcoin");
        assert!(
            matches!(loaded, Ok(None)),
            "{kind:?}: damaged cache entry not treated as absent: {loaded:?}"
        );
        store.save("bitcoin", &histories()["bitcoin"]).unwrap();
        assert_eq!(store.load("bitcoin").unwrap().unwrap().len(), 420);
    }
}

#[test]
fn damaged_favourites_start_empty_with_notice() {
    for kind in DAMAGES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("favorites.json");
        let mut favorites = Favorites::default();
        favorites.toggle("bitcoin");
        favorites.save(&path).unwrap();
        damage(&path, kind);

        let app = App::new(AppOptions {
            favorites_path: Some(path.clone()),
            ..AppOptions::default()
        });
        assert!(app.favorites().is_empty(), "{kind:?}");
        if matches!(
            kind,
            Damage::Truncated | Damage::RandomBytes | Damage::OtherVersion
        ) {
            let notice = app
                .notice()
                .unwrap_or_else(|| panic!("{kind:?}: no notice"));
            assert!(notice.contains("favorites.json"), "{kind:?}: {notice}");
            assert!(notice.contains("no favourites"), "{kind:?}: {notice}");
        }
    }
}

/// A snapshot folder written from the synthetic histories, and a data dir.
struct Workspace {
    root: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let histories = histories();
        let rows: Vec<String> = histories
            .keys()
            .enumerate()
            .map(|(rank, id)| {
                format!(
                    r#"{{"id":"{id}","symbol":"{}","name":"{id}","market_cap_rank":{},"last_updated":"2021-02-23T23:59:59Z"}}"#,
                    &id[..3],
                    rank + 1
                )
            })
            .collect();
        let coins = parse_markets(&format!("[{}]", rows.join(",")), "fixture").unwrap();
        let snapshot = MarketSnapshot {
            as_of: Utc.with_ymd_and_hms(2021, 2, 23, 23, 59, 59).unwrap(),
            coins,
            histories,
        };
        record_snapshot(&root.path().join("snap"), &snapshot).unwrap();
        std::fs::write(
            root.path().join("config.toml"),
            "[training]\ntrees = 4\nmax_depth = 4\n\n[gem]\ntop_n_excluded = 1\nmargin_percent = 0.0\n",
        )
        .unwrap();
        Self { root }
    }

    fn models_dir(&self) -> PathBuf {
        self.root.path().join("data/snapshot-models/snap")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("config.toml")
    }

    fn run(&self, args: &[&str], config: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_coinlens"))
            .args(args)
            .arg("--snapshot")
            .arg(self.root.path().join("snap"))
            .arg("--config")
            .arg(config)
            .env_clear()
            .env("HOME", self.root.path())
            .env("COINLENS_DATA_DIR", self.root.path().join("data"))
            .output()
            .expect("the coinlens binary runs")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn binary_retrains_over_damaged_models() {
    let work = Workspace::new();
    let first = work.run(&["scan", "--format", "csv"], &work.config());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let clean = work.root.path().join("clean-models");
    copy_dir(&work.models_dir(), &clean);

    for (index, name) in MODEL_FILES.iter().enumerate() {
        copy_dir(&clean, &work.models_dir());
        let kind = DAMAGES[index % DAMAGES.len()];
        damage(&work.models_dir().join(name), kind);

        let output = work.run(&["scan", "--format", "csv"], &work.config());
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{name} {kind:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name} {kind:?}: {stderr}");
        assert!(
            stderr.contains("saved models unusable") && stderr.contains("training now"),
            "{name} {kind:?}: no retrain message: {stderr}"
        );
        assert!(
            stderr.contains(name),
            "{name} {kind:?}: file not named: {stderr}"
        );
        let store = ModelStore::new(work.models_dir());
        assert!(
            store.load(features::schema_hash()).is_ok(),
            "{name} {kind:?}: the retrained set does not load"
        );
    }
}

#[test]
fn binary_models_names_damaged_metadata() {
    let work = Workspace::new();
    let first = work.run(&["train"], &work.config());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let clean = work.root.path().join("clean-models");
    copy_dir(&work.models_dir(), &clean);

    for kind in DAMAGES {
        copy_dir(&clean, &work.models_dir());
        damage(&work.models_dir().join("metadata.json"), kind);
        let output = work.run(&["models"], &work.config());
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{kind:?}: exit 0");
        assert!(!stderr.contains("panicked"), "{kind:?}: {stderr}");
        assert!(stderr.contains("metadata.json"), "{kind:?}: {stderr}");
        assert!(stderr.contains("coinlens train"), "{kind:?}: {stderr}");
    }
}

#[test]
fn binary_rejects_damaged_explicit_config() {
    let work = Workspace::new();
    let path = work.root.path().join("explicit.toml");
    for kind in DAMAGES {
        std::fs::write(&path, "coin_count = 25\nvs_currency = \"usd\"\n").unwrap();
        damage(&path, kind);
        let output = work.run(&["models"], &path);
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "{kind:?}: {stderr}");
        match kind {
            // An empty TOML file is a valid config with every default.
            Damage::Empty => assert!(!stderr.contains("config"), "{kind:?}: {stderr}"),
            _ => {
                assert!(!output.status.success(), "{kind:?}: exit 0");
                assert!(stderr.contains("explicit.toml"), "{kind:?}: {stderr}");
                assert!(stderr.contains("config file"), "{kind:?}: {stderr}");
            }
        }
    }
}

/// The layout `ModelStore` writes into each model file: set id, metadata
/// CRC, then the model. Used to write model bodies that pass every header
/// and checksum test but describe an impossible model.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPart<T> {
    set_id: i64,
    metadata_crc: u32,
    value: T,
}

/// The serialized fields of `coinlens::ml::Forest`, in order.
#[derive(serde::Serialize, serde::Deserialize)]
struct ForestFields {
    params: ml::ForestParams,
    n_features: usize,
    trees: Vec<ml::forest::Tree>,
}

fn rewrite_part<T, F>(path: &Path, tag: &[u8; 4], edit: F)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    F: FnOnce(&mut T),
{
    let kind = coinlens::binfile::FileKind {
        tag: *tag,
        version: 1,
    };
    let schema = features::schema_hash();
    let mut part: StoredPart<T> = coinlens::binfile::read(path, kind, schema).unwrap();
    edit(&mut part.value);
    coinlens::binfile::write(path, kind, schema, &part).unwrap();
}

#[test]
fn impossible_model_bodies_are_rejected() {
    type Edit = fn(&Path);
    let cases: [(&str, Edit); 5] = [
        ("scaler with 3 columns", |dir| {
            rewrite_part(&dir.join("scaler.bin"), b"SCAL", |s: &mut ml::Scaler| {
                s.medians.truncate(3);
                s.means.truncate(3);
            })
        }),
        ("tree node pointing back to the root", |dir| {
            rewrite_part(
                &dir.join("price_model.bin"),
                b"PRCE",
                |f: &mut ForestFields| {
                    // Node 1 sends every row to itself or to the root: a cycle.
                    f.trees[0].nodes[0].left = 1;
                    f.trees[0].nodes[1].left = 1;
                    f.trees[0].nodes[1].right = 0;
                },
            )
        }),
        ("tree child past the node array", |dir| {
            rewrite_part(
                &dir.join("price_model.bin"),
                b"PRCE",
                |f: &mut ForestFields| {
                    f.trees[0].nodes[0].right = 1_000_000;
                },
            )
        }),
        ("split on a feature past the row", |dir| {
            rewrite_part(
                &dir.join("gem_detector.bin"),
                b"GEMD",
                |f: &mut ForestFields| {
                    f.trees[0].nodes[0].feature = 10_000;
                },
            )
        }),
        ("forest without trees", |dir| {
            rewrite_part(
                &dir.join("price_model.bin"),
                b"PRCE",
                |f: &mut ForestFields| {
                    f.trees.clear();
                },
            )
        }),
    ];
    let root = tempfile::tempdir().unwrap();
    let clean = saved_store(&root.path().join("clean"));
    for (index, (name, edit)) in cases.iter().enumerate() {
        let dir = root.path().join(format!("case-{index}"));
        copy_dir(clean.dir(), &dir);
        edit(&dir);

        let result = ModelStore::new(&dir).load(features::schema_hash());
        let error = match result {
            Ok(_) => panic!("{name}: an impossible model loaded"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("unusable model"), "{name}: {error}");
    }
}

/// Serves the first coins of the cmc snapshot on a loopback mock.
async fn serve_cmc(server: &wiremock::MockServer) {
    use market_support::{json_response, read_shared, MarketsPages, CMC};
    use wiremock::matchers::path;
    use wiremock::Mock;

    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&read_shared(&format!("{CMC}/coins_markets.json"))).unwrap();
    for row in rows.iter().take(4) {
        let id = row["id"].as_str().unwrap();
        Mock::given(path(format!("/coins/{id}/market_chart")))
            .respond_with(json_response(read_shared(&format!(
                "{CMC}/market_chart/{id}.json"
            ))))
            .mount(server)
            .await;
    }
    Mock::given(path("/coins/markets"))
        .respond_with(MarketsPages { rows })
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_refetches_damaged_cache() {
    let server = wiremock::MockServer::start().await;
    serve_cmc(&server).await;
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        "coin_count = 4\n[training]\ntrees = 4\nmax_depth = 4\n",
    )
    .unwrap();
    let data = root.path().join("data");
    let run = {
        let (uri, home, config, data) = (
            server.uri(),
            root.path().to_path_buf(),
            config,
            data.clone(),
        );
        move || {
            Command::new(env!("CARGO_BIN_EXE_coinlens"))
                .args(["scan", "--format", "csv", "--config"])
                .arg(&config)
                .env_clear()
                .env("HOME", &home)
                .env("COINLENS_DATA_DIR", &data)
                .env("COINLENS_COINGECKO_URL", &uri)
                .output()
                .expect("the coinlens binary runs")
        }
    };
    let run = std::sync::Arc::new(run);
    let run_in_background = || {
        let run = std::sync::Arc::clone(&run);
        tokio::task::spawn_blocking(move || run())
    };

    let first = run_in_background().await.unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let store = HistoryStore::new(&data);
    let days = store
        .load("bitcoin")
        .unwrap()
        .expect("bitcoin cached")
        .len();

    for kind in DAMAGES {
        damage(&store.path_of("bitcoin").unwrap(), kind);
        let output = run_in_background().await.unwrap();
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{kind:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{kind:?}: {stderr}");
        let reloaded = store.load("bitcoin").unwrap();
        assert_eq!(
            reloaded.map(|h| h.len()),
            Some(days),
            "{kind:?}: the damaged entry was not fetched and saved again"
        );
    }
    let log = std::fs::read_to_string(data.join("coinlens.log")).unwrap();
    assert_eq!(
        log.matches("ignoring damaged history cache file").count(),
        DAMAGES.len(),
        "each damaged entry is logged once:\n{log}"
    );
}
