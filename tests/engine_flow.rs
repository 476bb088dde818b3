//! The background engine driven by an in-memory market source: first start
//! trains and saves, second start loads, retrain requests collapse.

use chrono::{NaiveDate, TimeZone, Utc};
use coinlens::cli::Format;
use coinlens::engine::{
    self, Command, DataOrigin, EngineEvent, EngineSettings, HistoryProgress, Job, LoadedMarket,
    MarketData,
};
use coinlens::market::{Candle, Coin, History};
use coinlens::ml::{ModelStore, TrainSettings};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

struct FakeMarket {
    histories: BTreeMap<String, History>,
    fail_coins: bool,
    /// Serve the histories as a cache from the last session.
    cached: bool,
}

impl FakeMarket {
    fn new() -> Self {
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let mut histories = BTreeMap::new();
        for (index, id) in ["bitcoin", "ethereum", "solana"].iter().enumerate() {
            let history = (0..300)
                .map(|day| {
                    let t = day as f64;
                    let close = 50.0 + 10.0 * (t / 11.0 + index as f64).sin() + t / 10.0;
                    Candle {
                        date: start + chrono::Duration::days(day),
                        open: close,
                        high: close * 1.01,
                        low: close * 0.99,
                        close,
                        volume: 1e6,
                        market_cap: close * 1e6 * (3 - index) as f64,
                    }
                })
                .collect();
            histories.insert(id.to_string(), history);
        }
        Self {
            histories,
            fail_coins: false,
            cached: false,
        }
    }
}

impl FakeMarket {
    fn coins(&self) -> Vec<Coin> {
        self.histories
            .keys()
            .map(|id| Coin {
                id: id.clone(),
                symbol: id[..3].to_string(),
                name: id.clone(),
                current_price: Some(1.0),
                ..Coin::default()
            })
            .collect()
    }
}

impl MarketData for FakeMarket {
    async fn load_cached(&self) -> Option<(LoadedMarket, BTreeMap<String, History>)> {
        self.cached.then(|| {
            let market = LoadedMarket {
                coins: self.coins(),
                as_of: Utc.with_ymd_and_hms(2020, 10, 20, 12, 0, 0).unwrap(),
                origin: DataOrigin::Cache,
            };
            (market, self.histories.clone())
        })
    }

    async fn load_coins(&self) -> Result<LoadedMarket, String> {
        if self.fail_coins {
            return Err("coingecko: rate limited, retry after 30 s".to_string());
        }
        let coins = self.coins();
        Ok(LoadedMarket {
            coins,
            as_of: Utc.with_ymd_and_hms(2020, 10, 26, 23, 59, 59).unwrap(),
            origin: DataOrigin::Snapshot("fake".to_string()),
        })
    }

    async fn load_histories(
        &self,
        coins: &[Coin],
        mut progress: Box<dyn FnMut(HistoryProgress) + Send>,
    ) -> Result<BTreeMap<String, History>, String> {
        for (done, coin) in coins.iter().enumerate() {
            progress(HistoryProgress {
                done: done + 1,
                total: coins.len(),
                detail: coin.id.clone(),
            });
        }
        Ok(self.histories.clone())
    }
}

fn settings(store: &ModelStore) -> EngineSettings {
    let mut train = TrainSettings::default();
    train.price_forest.n_trees = 6;
    train.price_forest.max_depth = 4;
    train.gem_forest = train.price_forest;
    EngineSettings {
        train,
        gem_min_lift: 2.0,
        retrain_after: chrono::Duration::days(7),
        refresh_interval: None,
        model_store: store.clone(),
    }
}

/// Collects events until `stop` matches one, failing after 60 seconds.
async fn collect_until(
    events: &mut mpsc::Receiver<EngineEvent>,
    stop: impl Fn(&EngineEvent) -> bool,
) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("engine went quiet before the expected event")
            .expect("engine stopped before the expected event");
        let done = stop(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// Returns true for the models of a training run that just ended.
fn is_newly_trained(event: &EngineEvent) -> bool {
    matches!(
        event,
        EngineEvent::ModelsReady {
            loaded_from_disk: false,
            ..
        }
    )
}

fn is_scored_with_predictions(event: &EngineEvent) -> bool {
    matches!(event, EngineEvent::Scored { coins, .. } if coins.iter().all(|c| c.predicted_return_7d.is_some()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_trains_second_start_loads() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));

    let mut first = engine::spawn(FakeMarket::new(), settings(&store));
    let events = collect_until(&mut first.events, is_scored_with_predictions).await;
    assert!(events
        .iter()
        .any(|e| matches!(e, EngineEvent::MarketLoaded { coins, .. } if coins.len() == 3)));
    assert!(events
        .iter()
        .any(|e| matches!(e, EngineEvent::HistoriesLoaded(h) if h.len() == 3)));
    assert!(events.iter().any(|e| matches!(
        e,
        EngineEvent::Progress {
            job: Job::Train,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        EngineEvent::ModelsReady {
            loaded_from_disk: false,
            ..
        }
    )));
    first.commands.send(Command::Quit).await.unwrap();
    first.task.await.unwrap();

    let mut second = engine::spawn(FakeMarket::new(), settings(&store));
    let events = collect_until(&mut second.events, is_scored_with_predictions).await;
    assert!(events.iter().any(|e| matches!(
        e,
        EngineEvent::ModelsReady {
            loaded_from_disk: true,
            ..
        }
    )));
    assert!(
        !events.iter().any(|e| matches!(
            e,
            EngineEvent::Progress {
                job: Job::Train,
                ..
            }
        )),
        "second start retrained"
    );
    second.commands.send(Command::Quit).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_retrain_runs_at_most_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut handle = engine::spawn(FakeMarket::new(), settings(&store));
    collect_until(&mut handle.events, is_scored_with_predictions).await;

    for _ in 0..5 {
        handle.commands.send(Command::Retrain).await.unwrap();
    }
    let mut trained = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, handle.events.recv()).await {
        if matches!(event, EngineEvent::Finished(Job::Train)) {
            trained += 1;
        }
        // After two runs nothing more is queued: wait a little for a third that must not come.
        if trained == 2 {
            let extra = tokio::time::timeout(Duration::from_secs(3), async {
                loop {
                    match handle.events.recv().await {
                        Some(EngineEvent::Finished(Job::Train)) => return true,
                        Some(_) => continue,
                        None => return false,
                    }
                }
            })
            .await;
            assert!(!matches!(extra, Ok(true)), "a third training run started");
            break;
        }
    }
    assert_eq!(
        trained, 2,
        "five presses during training must give the running run plus one queued run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_fetch_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut market = FakeMarket::new();
    market.fail_coins = true;
    let mut handle = engine::spawn(market, settings(&store));

    let events = collect_until(&mut handle.events, |e| {
        matches!(e, EngineEvent::Failed { .. })
    })
    .await;
    match events.last() {
        Some(EngineEvent::Failed { job, message }) => {
            assert_eq!(*job, Job::Fetch);
            assert!(message.contains("rate limited"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_model_file_means_retrain() {
    let dir = tempfile::tempdir().unwrap();
    let models_dir = dir.path().join("models");
    let store = ModelStore::new(&models_dir);
    let mut first = engine::spawn(FakeMarket::new(), settings(&store));
    collect_until(&mut first.events, is_scored_with_predictions).await;
    first.commands.send(Command::Quit).await.unwrap();
    first.task.await.unwrap();

    let saved: Vec<String> = std::fs::read_dir(&models_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".bin") || name.ends_with(".json"))
        .collect();
    assert!(
        saved.len() >= 3,
        "expected a saved model set, found {saved:?}"
    );
    let pristine: Vec<(String, Vec<u8>)> = saved
        .iter()
        .map(|name| (name.clone(), std::fs::read(models_dir.join(name)).unwrap()))
        .collect();

    for (name, bytes) in &pristine {
        for damage in ["truncate", "delete"] {
            // Put the whole good set back, then damage one file.
            for (other, good) in &pristine {
                std::fs::write(models_dir.join(other), good).unwrap();
            }
            let path = models_dir.join(name);
            match damage {
                "truncate" => std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap(),
                _ => std::fs::remove_file(&path).unwrap(),
            }

            let mut handle = engine::spawn(FakeMarket::new(), settings(&store));
            let events = collect_until(&mut handle.events, is_newly_trained).await;
            let noticed = events.iter().any(|event| {
                matches!(event, EngineEvent::Notice(text) if text.contains("unusable") || text.contains("no saved models"))
            });
            assert!(noticed, "{name} after {damage}: no notice in {events:?}");
            assert!(
                !events.iter().any(|e| matches!(
                    e,
                    EngineEvent::ModelsReady {
                        loaded_from_disk: true,
                        ..
                    }
                )),
                "{name} after {damage}: a damaged set was loaded"
            );
            handle.commands.send(Command::Quit).await.unwrap();
            handle.task.await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_set_shows_previous_while_retraining() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut first = engine::spawn(FakeMarket::new(), settings(&store));
    collect_until(&mut first.events, is_scored_with_predictions).await;
    // A second training run moves the first set to previous/.
    first.commands.send(Command::Retrain).await.unwrap();
    collect_until(&mut first.events, |event| {
        matches!(event, EngineEvent::Finished(Job::Train))
    })
    .await;
    first.commands.send(Command::Quit).await.unwrap();
    first.task.await.unwrap();
    let price_file = store.dir().join("price_model.bin");
    let bytes = std::fs::read(&price_file).unwrap();
    std::fs::write(&price_file, &bytes[..bytes.len() / 2]).unwrap();

    let mut handle = engine::spawn(FakeMarket::new(), settings(&store));
    let events = collect_until(&mut handle.events, is_newly_trained).await;
    let ready: Vec<bool> = events
        .iter()
        .filter_map(|event| match event {
            EngineEvent::ModelsReady {
                loaded_from_disk, ..
            } => Some(*loaded_from_disk),
            _ => None,
        })
        .collect();
    assert_eq!(
        ready,
        vec![true, false],
        "previous set first, then new models"
    );
    assert!(
        events.iter().any(
            |event| matches!(event, EngineEvent::Notice(text) if text.contains("showing the previous set"))
        ),
        "{events:?}"
    );
    handle.commands.send(Command::Quit).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_start_shows_cached_data_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut market = FakeMarket::new();
    market.fail_coins = true;
    market.cached = true;
    let mut handle = engine::spawn(market, settings(&store));

    let events = collect_until(&mut handle.events, is_scored_with_predictions).await;
    let cached_first = events.iter().find_map(|event| match event {
        EngineEvent::MarketLoaded { origin, coins, .. } => Some((origin.clone(), coins.len())),
        _ => None,
    });
    assert_eq!(cached_first, Some((DataOrigin::Cache, 3)));
    assert!(
        events.iter().any(|e| matches!(e, EngineEvent::Failed { job: Job::Fetch, message } if message.contains("rate limited"))),
        "the failed refresh must be reported: {events:?}"
    );
    handle.commands.send(Command::Quit).await.unwrap();
}

/// Config whose forests are small, so a scan that trains stays quick.
fn small_config() -> coinlens::config::Config {
    let mut config = coinlens::config::Config::default();
    config.training.trees = 6;
    config.training.max_depth = 4;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_scan_scores_cached_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut market = FakeMarket::new();
    market.fail_coins = true;
    market.cached = true;

    let mut out = Vec::new();
    coinlens::commands::scan(&market, &store, &small_config(), Format::Json, &mut out)
        .await
        .expect("a failed fetch falls back to the cached data");
    let rows: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_scan_without_cache_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let mut market = FakeMarket::new();
    market.fail_coins = true;

    let mut out = Vec::new();
    let error = coinlens::commands::scan(&market, &store, &small_config(), Format::Json, &mut out)
        .await
        .expect_err("no fresh and no cached data");
    assert!(format!("{error:#}").contains("rate limited"), "{error:#}");
    assert!(out.is_empty());
}
