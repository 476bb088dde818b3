//! Model store: save → load round trips and every kind of damaged file.

use chrono::NaiveDate;
use coinlens::features::{self, FeatureTable};
use coinlens::market::{Candle, History};
use coinlens::ml::{self, ModelStore, ModelStoreError, TrainSettings};
use std::collections::BTreeMap;
use std::fs;

/// Three coins over 400 days of smooth synthetic prices with market caps.
fn histories() -> BTreeMap<String, History> {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut out = BTreeMap::new();
    for (index, id) in ["bitcoin", "ethereum", "dogecoin"].iter().enumerate() {
        let phase = index as f64;
        let history: History = (0..400)
            .map(|day| {
                let t = day as f64;
                let close = 100.0 * (1.0 + 0.3 * (t / 17.0 + phase).sin()) * (1.0 + t / 400.0);
                Candle {
                    date: start + chrono::Duration::days(day),
                    open: close * 0.99,
                    high: close * 1.02,
                    low: close * 0.97,
                    close,
                    volume: 1e6 * (1.5 + (t / 5.0).cos()),
                    market_cap: close * 1e7 / (index as f64 + 1.0),
                }
            })
            .collect();
        out.insert(id.to_string(), history);
    }
    out
}

fn small_settings() -> TrainSettings {
    let mut settings = TrainSettings::default();
    settings.price_forest.n_trees = 8;
    settings.price_forest.max_depth = 5;
    settings.gem_forest = settings.price_forest;
    settings
}

fn trained() -> (
    ml::ModelSet,
    BTreeMap<String, History>,
    BTreeMap<String, FeatureTable>,
) {
    let histories = histories();
    let tables = features::build_tables(&histories);
    let models = ml::train(&histories, &tables, &small_settings(), &mut |_, _, _| {}).unwrap();
    (models, histories, tables)
}

#[test]
fn round_trip_gives_identical_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let (models, histories, tables) = trained();
    store.save(&models).unwrap();

    let loaded = store.load(features::schema_hash()).unwrap();
    let rule = small_settings().gem_rule;
    let before = models.predict_latest(&histories, &tables, &rule).unwrap();
    let after = loaded.predict_latest(&histories, &tables, &rule).unwrap();
    assert_eq!(before, after);
    let json = |report: &ml::ModelReport| serde_json::to_string(report).unwrap();
    assert_eq!(json(&loaded.report), json(&models.report));
}

#[test]
fn recent_rows_predict_like_full_tables() {
    let (models, histories, tables) = trained();
    let recent = features::build_recent_tables(&histories, ml::SCORING_ROWS);
    assert!(recent.values().all(|table| table.len() == ml::SCORING_ROWS));
    let rule = small_settings().gem_rule;
    let full = models.predict_latest(&histories, &tables, &rule).unwrap();
    let cut = models.predict_latest(&histories, &recent, &rule).unwrap();
    assert_eq!(full, cut);
    let streamed = models
        .predict_latest_from_histories(&histories, &rule)
        .unwrap();
    assert_eq!(full, streamed);
    assert!(full
        .values()
        .any(|prediction| prediction.as_ref().is_ok_and(|p| p.signal.is_some())));
}

#[test]
fn missing_store_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    assert!(matches!(
        store.load(features::schema_hash()),
        Err(ModelStoreError::NotFound { .. })
    ));
}

#[test]
fn each_damaged_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let models_dir = dir.path().join("models");
    let store = ModelStore::new(&models_dir);
    let (models, _, _) = trained();

    for name in ["scaler.bin", "price_model.bin", "metadata.json"] {
        for damage in ["truncate", "flip", "delete", "empty"] {
            store.save(&models).unwrap();
            let path = models_dir.join(name);
            let bytes = fs::read(&path).unwrap();
            match damage {
                "truncate" => fs::write(&path, &bytes[..bytes.len() / 2]).unwrap(),
                "flip" => {
                    let mut flipped = bytes.clone();
                    let middle = flipped.len() / 2;
                    flipped[middle] ^= 0x5a;
                    fs::write(&path, flipped).unwrap();
                }
                "delete" => fs::remove_file(&path).unwrap(),
                _ => fs::write(&path, b"").unwrap(),
            }
            let result = store.load(features::schema_hash());
            assert!(result.is_err(), "{name} after {damage} still loaded");
        }
    }
}

#[test]
fn other_schema_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let (models, _, _) = trained();
    store.save(&models).unwrap();
    assert!(matches!(
        store.load(features::schema_hash() ^ 1),
        Err(ModelStoreError::OtherSchema { .. })
    ));
}

#[test]
fn mixed_sets_are_rejected_and_previous_kept() {
    let dir = tempfile::tempdir().unwrap();
    let models_dir = dir.path().join("models");
    let store = ModelStore::new(&models_dir);
    let (mut models, _, _) = trained();
    store.save(&models).unwrap();
    let first_price = fs::read(models_dir.join("price_model.bin")).unwrap();

    models.report.trained_at += chrono::Duration::seconds(5);
    store.save(&models).unwrap();
    assert_eq!(
        fs::read(models_dir.join("previous/price_model.bin")).unwrap(),
        first_price
    );

    // A save cut off after the price model: the old model beside new metadata.
    fs::write(models_dir.join("price_model.bin"), &first_price).unwrap();
    assert!(matches!(
        store.load(features::schema_hash()),
        Err(ModelStoreError::MixedSet { .. })
    ));
}
