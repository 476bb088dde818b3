//! The background task that fetches, builds features, trains and scores.
//!
//! The UI sends [`Command`]s and receives [`EngineEvent`]s; it never waits on
//! the engine. Refresh and retrain are latest-wins jobs: a request while the
//! same job runs queues at most one more run. Feature building and training
//! run on tokio's blocking pool, never on the async reactor.

mod events;
pub mod pipeline;
mod source;

pub use events::{Command, DataOrigin, EngineEvent, Job};
pub use source::{HistoryProgress, LoadedMarket, MarketData};

use crate::analysis::ScoredCoin;
use crate::features;
use crate::market::{Coin, History};
use crate::ml::{GemRule, ModelSet, ModelStore, TrainSettings};
use chrono::{DateTime, Utc};
use pipeline::LoadOutcome;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub train: TrainSettings,
    /// A coin is flagged as a gem at this multiple of the training gem rate.
    pub gem_min_lift: f64,
    /// Saved models older than this are retrained in the background on start.
    pub retrain_after: chrono::Duration,
    /// Time between automatic refreshes; `None` turns them off.
    pub refresh_interval: Option<Duration>,
    pub model_store: ModelStore,
}

/// The UI's ends of the engine's channels.
pub struct EngineHandle {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<EngineEvent>,
    pub task: JoinHandle<()>,
}

/// Starts the engine on the current tokio runtime. It loads saved models,
/// refreshes the market once, and then waits for commands.
pub fn spawn<M: MarketData>(market: M, settings: EngineSettings) -> EngineHandle {
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine = Engine {
        market: Arc::new(market),
        settings: Arc::new(settings),
        events: event_tx,
        data: None,
        models: None,
    };
    let task = tokio::spawn(engine.run(command_rx));
    EngineHandle {
        commands: command_tx,
        events: event_rx,
        task,
    }
}

/// Market data: the coin list and the full daily histories. Feature rows
/// are built when they are needed (for scoring, or in full for a training
/// run) and are not kept, so 1,000 coins of five years take little more
/// memory than their histories.
struct Data {
    coins: Vec<Coin>,
    as_of: DateTime<Utc>,
    histories: Arc<BTreeMap<String, History>>,
}

type RefreshResult = Result<Data, String>;
type TrainResult = Result<(ModelSet, Option<String>), String>;

struct Engine<M> {
    market: Arc<M>,
    settings: Arc<EngineSettings>,
    events: mpsc::Sender<EngineEvent>,
    data: Option<Data>,
    models: Option<Arc<ModelSet>>,
}

impl<M: MarketData> Engine<M> {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut training: Option<JoinHandle<TrainResult>> = None;
        let mut refresh_queued = false;
        let mut train_queued = self.load_saved_models().await;
        self.show_cached_market().await;
        let mut refresh = Some(self.start_refresh());

        let mut auto_refresh = self.settings.refresh_interval.map(|period| {
            let mut interval =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            interval
        });

        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Refresh) => {
                        if refresh.is_some() {
                            refresh_queued = true;
                        } else {
                            refresh = Some(self.start_refresh());
                        }
                    }
                    Some(Command::Retrain) => {
                        if training.is_some() || self.data.is_none() {
                            train_queued = true;
                            if training.is_some() {
                                self.notice("training already running: one more run queued").await;
                            }
                        } else {
                            training = self.start_training();
                        }
                    }
                    Some(Command::Quit) | None => break,
                },
                Some(result) = join_if_running(&mut refresh) => {
                    refresh = None;
                    self.finish_refresh(flatten(result)).await;
                    if refresh_queued {
                        refresh_queued = false;
                        refresh = Some(self.start_refresh());
                    } else if train_queued && training.is_none() && self.data.is_some() {
                        train_queued = false;
                        training = self.start_training();
                    }
                },
                Some(result) = join_if_running(&mut training) => {
                    training = None;
                    self.finish_training(flatten(result)).await;
                    if train_queued && self.data.is_some() {
                        train_queued = false;
                        training = self.start_training();
                    }
                },
                _ = tick_if_enabled(&mut auto_refresh) => {
                    if refresh.is_none() {
                        refresh = Some(self.start_refresh());
                    }
                },
            }
        }

        for task in [
            refresh.map(|t| t.abort_handle()),
            training.map(|t| t.abort_handle()),
        ]
        .into_iter()
        .flatten()
        {
            task.abort();
        }
        tracing::info!("engine stopped");
    }

    async fn send(&self, event: EngineEvent) {
        // The UI has gone away when this fails; the engine stops on the next command poll.
        let _ = self.events.send(event).await;
    }

    async fn notice(&self, message: impl Into<String>) {
        self.send(EngineEvent::Notice(message.into())).await;
    }

    /// Loads saved models; returns true when they must be (re)trained.
    async fn load_saved_models(&mut self) -> bool {
        let store = self.settings.model_store.clone();
        let retrain_after = self.settings.retrain_after;
        let outcome = tokio::task::spawn_blocking(move || {
            pipeline::load_models(&store, retrain_after, Utc::now())
        })
        .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => LoadOutcome::Unusable(format!("loading models panicked: {error}")),
        };

        match outcome {
            LoadOutcome::Loaded(models) => {
                tracing::info!(trained_at = %models.report.trained_at, "loaded saved models, no retraining needed");
                self.install_models(models, true).await;
                false
            }
            LoadOutcome::Stale(models) => {
                let age_days = (Utc::now() - models.report.trained_at).num_days();
                tracing::info!(
                    age_days,
                    "saved models are stale, retraining in the background"
                );
                self.notice(format!(
                    "models are {age_days} days old: retraining in the background"
                ))
                .await;
                self.install_models(models, true).await;
                true
            }
            LoadOutcome::Missing => {
                tracing::info!("no saved models, training after the first refresh");
                self.notice("no saved models yet: training after the data loads")
                    .await;
                true
            }
            LoadOutcome::Unusable(reason) => {
                tracing::warn!(%reason, "saved models cannot be used, retraining");
                self.notice(format!("saved models unusable ({reason}): retraining"))
                    .await;
                true
            }
            LoadOutcome::UnusableWithPrevious(previous, reason) => {
                let trained_at = previous.report.trained_at;
                tracing::warn!(%reason, %trained_at, "saved models cannot be used, showing the previous set while retraining");
                self.notice(format!(
                    "saved models unusable ({reason}): showing the previous set, trained {}, while retraining",
                    trained_at.format("%Y-%m-%d")
                ))
                .await;
                self.install_models(previous, true).await;
                true
            }
        }
    }

    /// Shows the market data of the last refresh, with its scores, before
    /// the new refresh starts; with no network it is all there is.
    async fn show_cached_market(&mut self) {
        let Some((market, histories)) = self.market.load_cached().await else {
            return;
        };
        self.send(EngineEvent::MarketLoaded {
            coins: market.coins.clone(),
            as_of: market.as_of,
            origin: market.origin.clone(),
        })
        .await;
        let histories = Arc::new(histories);
        self.send(EngineEvent::HistoriesLoaded(Arc::clone(&histories)))
            .await;
        self.data = Some(Data {
            coins: market.coins,
            as_of: market.as_of,
            histories,
        });
        self.rescore().await;
    }

    async fn install_models(&mut self, models: ModelSet, loaded_from_disk: bool) {
        let report = Arc::new(models.report.clone());
        self.models = Some(Arc::new(models));
        self.send(EngineEvent::ModelsReady {
            report,
            loaded_from_disk,
        })
        .await;
    }

    fn start_refresh(&self) -> JoinHandle<RefreshResult> {
        let market = Arc::clone(&self.market);
        let events = self.events.clone();
        tokio::spawn(async move { refresh_market(market.as_ref(), &events).await })
    }

    async fn finish_refresh(&mut self, result: RefreshResult) {
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.send(EngineEvent::Finished(Job::Fetch)).await;
                self.rescore().await;
            }
            Err(message) => {
                tracing::error!(%message, "refresh failed, keeping the last data");
                self.send(EngineEvent::Failed {
                    job: Job::Fetch,
                    message,
                })
                .await;
            }
        }
    }

    fn start_training(&self) -> Option<JoinHandle<TrainResult>> {
        let data = self.data.as_ref()?;
        let histories = Arc::clone(&data.histories);
        let settings = Arc::clone(&self.settings);
        let events = self.events.clone();
        tracing::info!(coins = histories.len(), "training started");

        Some(tokio::task::spawn_blocking(move || {
            let mut progress = |done: usize, total: usize, step: &str| {
                let _ = events.blocking_send(EngineEvent::Progress {
                    job: Job::Train,
                    done,
                    total,
                    detail: step.to_string(),
                });
            };
            progress(0, 1, "building the full feature tables");
            let tables = features::build_tables(&histories);
            pipeline::train_and_save(
                &settings.model_store,
                &histories,
                &tables,
                &settings.train,
                &mut progress,
            )
            .map_err(|error| error.to_string())
        }))
    }

    async fn finish_training(&mut self, result: TrainResult) {
        match result {
            Ok((models, save_error)) => {
                tracing::info!(
                    train_rows = models.report.train_rows,
                    test_rows = models.report.test_rows,
                    "training finished"
                );
                self.install_models(models, false).await;
                self.send(EngineEvent::Finished(Job::Train)).await;
                // After Finished, which ends the notices about the run itself.
                if let Some(message) = save_error {
                    self.notice(message).await;
                }
                self.rescore().await;
            }
            Err(message) => {
                tracing::error!(%message, "training failed, keeping the previous models");
                self.send(EngineEvent::Failed {
                    job: Job::Train,
                    message,
                })
                .await;
            }
        }
    }

    async fn rescore(&mut self) {
        let Some(data) = &self.data else {
            return;
        };
        let detail = match self.models {
            Some(_) => format!("building features and scoring {} coins", data.coins.len()),
            None => format!("ranking {} coins (no models yet)", data.coins.len()),
        };
        let progress = EngineEvent::Progress {
            job: Job::Score,
            done: 0,
            total: 1,
            detail,
        };
        self.send(progress).await;
        let scored = score_blocking(
            data,
            self.models.clone(),
            self.settings.train.gem_rule.clone(),
            self.settings.gem_min_lift,
        )
        .await;
        match scored {
            Ok(coins) => {
                let as_of = data.as_of;
                self.send(EngineEvent::Scored { coins, as_of }).await;
                self.send(EngineEvent::Finished(Job::Score)).await;
            }
            Err(message) => {
                tracing::error!(%message, "scoring failed");
                self.send(EngineEvent::Failed {
                    job: Job::Score,
                    message,
                })
                .await;
            }
        }
    }
}

async fn score_blocking(
    data: &Data,
    models: Option<Arc<ModelSet>>,
    gem_rule: GemRule,
    gem_min_lift: f64,
) -> Result<Vec<ScoredCoin>, String> {
    let coins = data.coins.clone();
    let histories = Arc::clone(&data.histories);
    tokio::task::spawn_blocking(move || {
        pipeline::score(
            &coins,
            &histories,
            models.as_deref(),
            &gem_rule,
            gem_min_lift,
        )
    })
    .await
    .map_err(|error| format!("scoring panicked: {error}"))?
}

/// Loads coins, then histories, reporting each stage to the UI as it
/// completes.
async fn refresh_market<M: MarketData>(
    market: &M,
    events: &mpsc::Sender<EngineEvent>,
) -> RefreshResult {
    let _ = events
        .send(EngineEvent::Progress {
            job: Job::Fetch,
            done: 0,
            total: 1,
            detail: "loading the coin list".to_string(),
        })
        .await;
    let loaded = market
        .load_coins()
        .await
        .map_err(|error| error.to_string())?;
    let _ = events
        .send(EngineEvent::MarketLoaded {
            coins: loaded.coins.clone(),
            as_of: loaded.as_of,
            origin: loaded.origin.clone(),
        })
        .await;

    let progress_events = events.clone();
    let histories = market
        .load_histories(
            &loaded.coins,
            Box::new(move |progress: HistoryProgress| {
                let _ = progress_events.try_send(EngineEvent::Progress {
                    job: Job::Fetch,
                    done: progress.done,
                    total: progress.total,
                    detail: progress.detail,
                });
            }),
        )
        .await
        .map_err(|error| error.to_string())?;
    let histories = Arc::new(histories);
    let _ = events
        .send(EngineEvent::HistoriesLoaded(Arc::clone(&histories)))
        .await;

    Ok(Data {
        coins: loaded.coins,
        as_of: loaded.as_of,
        histories,
    })
}

async fn join_if_running<T>(task: &mut Option<JoinHandle<T>>) -> Option<Result<T, JoinError>> {
    match task {
        Some(handle) => Some(handle.await),
        None => std::future::pending().await,
    }
}

async fn tick_if_enabled(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn flatten<T>(result: Result<Result<T, String>, JoinError>) -> Result<T, String> {
    result.unwrap_or_else(|error| Err(format!("background job panicked: {error}")))
}
