//! Messages between the UI and the background engine.

use crate::analysis::ScoredCoin;
use crate::market::{Coin, History};
use crate::ml::ModelReport;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Request from the UI to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Fetch what is new and score again.
    Refresh,
    /// Train all models now, replacing the saved ones when training succeeds.
    Retrain,
    Quit,
}

/// A kind of background work, for progress and error reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    Fetch,
    Features,
    Train,
    Score,
}

impl Job {
    pub fn label(self) -> &'static str {
        match self {
            Job::Fetch => "fetch",
            Job::Features => "features",
            Job::Train => "training",
            Job::Score => "scoring",
        }
    }
}

/// Source of the market data on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOrigin {
    Live,
    /// A snapshot folder; ages are measured against its last day.
    Snapshot(String),
    /// The on-disk cache, shown while a refresh runs or when offline.
    Cache,
}

/// Report from the engine to the UI.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A job started or advanced: `done` of `total` steps, with a short detail.
    Progress {
        job: Job,
        done: usize,
        total: usize,
        detail: String,
    },
    /// The coin list arrived; histories may still be loading.
    MarketLoaded {
        coins: Vec<Coin>,
        as_of: DateTime<Utc>,
        origin: DataOrigin,
    },
    /// Histories for the detail charts, keyed by coin id.
    HistoriesLoaded(Arc<BTreeMap<String, History>>),
    /// Fresh scores for every coin, ranked.
    Scored {
        coins: Vec<ScoredCoin>,
        as_of: DateTime<Utc>,
    },
    /// Models are ready; `loaded_from_disk` is false after a training run.
    ModelsReady {
        report: Arc<ModelReport>,
        loaded_from_disk: bool,
    },
    /// A job finished without error.
    Finished(Job),
    /// A job failed; the UI shows the message in the status line.
    Failed { job: Job, message: String },
    /// A non-fatal notice for the status line, such as "retraining: model file corrupt".
    Notice(String),
}
