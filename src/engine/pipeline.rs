//! The pipeline steps shared by the background engine and the headless
//! commands: load or train models, and score coins.

use crate::analysis::{rank_coins, ScoredCoin};
use crate::features::{self, FeatureTable};
use crate::market::{Coin, History};
use crate::ml::{self, GemRule, ModelSet, ModelStore, ModelStoreError, TrainSettings};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The models loaded from disk, or why they must be trained.
pub enum LoadOutcome {
    Loaded(ModelSet),
    /// The saved set is usable but older than the retrain age.
    Stale(ModelSet),
    Missing,
    /// The saved set exists but cannot be used; the message gives the reason.
    Unusable(String),
    /// The saved set cannot be used (the message gives the reason), but the
    /// set kept in `previous/` can, until new models are trained.
    UnusableWithPrevious(ModelSet, String),
}

/// Loads the saved models and decides whether they need retraining.
pub fn load_models(
    store: &ModelStore,
    retrain_after: chrono::Duration,
    now: DateTime<Utc>,
) -> LoadOutcome {
    match store.load(features::schema_hash()) {
        Ok(models) if now - models.report.trained_at > retrain_after => LoadOutcome::Stale(models),
        Ok(models) => LoadOutcome::Loaded(models),
        Err(ModelStoreError::NotFound { .. }) => LoadOutcome::Missing,
        Err(error) => match store.previous().load(features::schema_hash()) {
            Ok(previous) => LoadOutcome::UnusableWithPrevious(previous, error.to_string()),
            Err(_) => LoadOutcome::Unusable(error.to_string()),
        },
    }
}

/// Trains a new model set and saves it; a failed save is reported but the
/// trained models are still returned for this session.
pub fn train_and_save(
    store: &ModelStore,
    histories: &BTreeMap<String, History>,
    tables: &BTreeMap<String, FeatureTable>,
    settings: &TrainSettings,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<(ModelSet, Option<String>), ml::TrainError> {
    let models = ml::train(histories, tables, settings, progress)?;
    let save_error = match store.save(&models) {
        Ok(()) => {
            tracing::info!(dir = %store.dir().display(), "saved trained models");
            None
        }
        Err(error) => {
            tracing::error!(%error, "could not save trained models");
            Some(format!("models trained but not saved: {error}"))
        }
    };
    Ok((models, save_error))
}

/// Scores and ranks `coins`; without models every coin gets no prediction.
/// The feature rows scoring reads are built here, one coin at a time on
/// each core, and are not kept.
pub fn score(
    coins: &[Coin],
    histories: &BTreeMap<String, History>,
    models: Option<&ModelSet>,
    gem_rule: &GemRule,
    gem_min_lift: f64,
) -> Result<Vec<ScoredCoin>, String> {
    let predictions = match models {
        Some(models) => models
            .predict_latest_from_histories(histories, gem_rule)
            .map_err(|error| format!("prediction failed: {error}"))?,
        None => BTreeMap::new(),
    };
    // A gem is a coin whose probability is `gem_min_lift` times the share of
    // gems in the training rows; without that share nothing is flagged.
    let threshold = models
        .and_then(|models| models.report.gem_base_rate)
        .map_or(f64::INFINITY, |base_rate| gem_min_lift * base_rate);
    Ok(rank_coins(coins, &predictions, threshold))
}
