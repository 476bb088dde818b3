//! ONNX export: both forests trained on a shared snapshot, run in
//! onnxruntime (Python), must match coinlens's own predictions on every
//! feature row of the snapshot.
//!
//! Needs `python3` with the `onnxruntime` and `numpy` packages
//! (`pip install onnxruntime numpy`); `.ci/run` installs them.

use coinlens::features;
use coinlens::market::SnapshotSource;
use coinlens::ml::onnx::{self, ForestKind};
use coinlens::ml::{self, ForestParams, ModelSet, TrainSettings};
use onnx_runtime::run_onnxruntime;
use std::path::{Path, PathBuf};

mod onnx_runtime;

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/snapshots/cmc-2021-23coins"
);
const TOLERANCE: f64 = 1e-5;

fn train_small() -> (ModelSet, Vec<f64>) {
    if !Path::new(SNAPSHOT).is_dir() {
        panic!("shared snapshot folder {SNAPSHOT} is missing");
    }
    let snapshot = SnapshotSource::new(SNAPSHOT)
        .load()
        .unwrap_or_else(|error| panic!("could not load the snapshot {SNAPSHOT}: {error}"));
    let tables = features::build_tables(&snapshot.histories);
    let small = ForestParams {
        n_trees: 20,
        max_depth: 6,
        ..ForestParams::default()
    };
    let settings = TrainSettings {
        price_forest: small,
        gem_forest: ForestParams { seed: 11, ..small },
        ..TrainSettings::default()
    };
    let models = ml::train(&snapshot.histories, &tables, &settings, &mut |_, _, _| {})
        .expect("training on the snapshot failed");

    let rows: Vec<f64> = tables
        .values()
        .flat_map(|table| table.values.iter().copied())
        .collect();
    (models, rows)
}

fn expected_predictions(models: &ModelSet, forest: &ml::Forest, rows: &[f64]) -> Vec<f64> {
    let mut scaled = rows.to_vec();
    models.scaler.transform(&mut scaled);
    forest
        .predict(&scaled)
        .expect("coinlens prediction failed")
        .iter()
        .map(|prediction| prediction.mean)
        .collect()
}

/// Returns the largest absolute difference, its row, and how many rows differ
/// by more than `TOLERANCE`.
fn compare(expected: &[f64], actual: &[f32]) -> (f64, usize, usize) {
    let over = expected
        .iter()
        .zip(actual)
        .filter(|(e, a)| (*e - f64::from(**a)).abs() > TOLERANCE)
        .count();
    let (difference, row) = max_difference(expected, actual);
    (difference, row, over)
}

fn max_difference(expected: &[f64], actual: &[f32]) -> (f64, usize) {
    expected
        .iter()
        .zip(actual)
        .enumerate()
        .map(|(row, (e, a))| ((e - f64::from(*a)).abs(), row))
        .fold(
            (0.0, 0),
            |best, next| if next.0 > best.0 { next } else { best },
        )
}

#[test]
fn onnx_matches_coinlens_on_snapshot() {
    let (models, rows) = train_small();
    let columns = features::feature_names().len();
    let row_count = rows.len() / columns;
    assert!(
        row_count > 1000,
        "expected the snapshot to give many rows, got {row_count}"
    );
    assert!(
        rows.iter().any(|value| value.is_nan()),
        "the rows should include missing values, so the imputation is exercised"
    );

    let scratch = tempfile::tempdir().expect("could not create a temporary folder");
    let written = onnx::export_model_set(&models, scratch.path()).expect("export failed");
    let gem = models
        .gem
        .as_ref()
        .expect("the snapshot should train a gem detector");
    let expected_files: Vec<PathBuf> = [ForestKind::Price, ForestKind::Gem]
        .iter()
        .map(|kind| scratch.path().join(kind.file_name()))
        .collect();
    assert_eq!(written, expected_files);

    for (kind, forest) in [(ForestKind::Price, &models.price), (ForestKind::Gem, gem)] {
        let expected = expected_predictions(&models, forest, &rows);
        let model_path = scratch.path().join(kind.file_name());
        let actual = run_onnxruntime(&model_path, &rows, columns, scratch.path(), "exact");
        assert_eq!(actual.len(), row_count, "{kind:?}: output count");

        // Measured only: what a caller that rounds its rows to float32 gets.
        let rounded = run_onnxruntime(&model_path, &rows, columns, scratch.path(), "round");
        let (rounded_difference, _, rounded_over) = compare(&expected, &rounded);
        eprintln!(
            "{kind:?}: float32-rounded input: max difference {rounded_difference:.3e}, {rounded_over} rows over {TOLERANCE:e}"
        );

        let (difference, row, over) = compare(&expected, &actual);
        eprintln!("{kind:?}: max |onnx - coinlens| = {difference:.3e} over {row_count} rows");
        assert_eq!(
            over, 0,
            "{kind:?}: rows differing by more than {TOLERANCE:e}"
        );
        assert!(
            difference <= TOLERANCE,
            "{kind:?}: row {row} differs by {difference:e}: coinlens {}, onnx {}",
            expected[row],
            actual[row]
        );
    }

    // Without a gem detector only the price model is written.
    let mut price_only = models;
    price_only.gem = None;
    let price_dir = scratch.path().join("price-only");
    let written = onnx::export_model_set(&price_only, &price_dir).expect("export failed");
    assert_eq!(written, vec![price_dir.join(onnx::PRICE_MODEL_FILE)]);
    assert!(!price_dir.join(onnx::GEM_MODEL_FILE).exists());
}
