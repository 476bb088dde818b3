//! ONNX export of the imputation and scaling: a small synthetic model whose
//! rows contain NaN and both infinities must give the same predictions in
//! onnxruntime as `Scaler::transform` followed by `Forest::predict`.
//!
//! Needs `python3` with the `onnxruntime` and `numpy` packages.

use coinlens::ml::onnx::{self, ForestKind};
use coinlens::ml::{Forest, ForestParams, ModelReport, Scaler};
use onnx_runtime::run_onnxruntime;

mod onnx_runtime;

const COLUMNS: usize = 3;

/// 300 rows of three features; the label depends on all three, and every
/// tenth value of the second feature is missing.
fn synthetic_rows() -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for row in 0..300 {
        let t = row as f64;
        let a = (t / 7.0).sin() * 1e6 + 5e6;
        let b = if row % 10 == 0 {
            f64::NAN
        } else {
            (t / 3.0).cos()
        };
        let c = t * 0.01 - 1.0;
        x.extend([a, b, c]);
        y.push((a - 5e6) / 1e6 + b.max(0.0) * c);
    }
    (x, y)
}

#[test]
fn scaler_graph_imputes_and_scales() {
    let (x, y) = synthetic_rows();
    let scaler = Scaler::fit(&x, COLUMNS);
    let mut scaled = x.clone();
    scaler.transform(&mut scaled);
    let params = ForestParams {
        n_trees: 5,
        max_depth: 5,
        min_samples_leaf: 2,
        max_features: Some(COLUMNS),
        seed: 3,
    };
    let forest = Forest::fit(&scaled, COLUMNS, &y, params).expect("fitting the forest failed");
    let report = ModelReport {
        feature_names: vec!["level".into(), "wave".into(), "trend".into()],
        schema_hash: 0x1234,
        ..ModelReport::default()
    };
    let bytes = onnx::forest_model_bytes(ForestKind::Price, &scaler, &forest, &report)
        .expect("export failed");
    let scratch = tempfile::tempdir().expect("could not create a temporary folder");
    let model = scratch.path().join("scaler_test.onnx");
    std::fs::write(&model, bytes).expect("could not write the model");

    // Training rows, then rows with a missing value in each column.
    let mut rows = x.clone();
    let special = [
        [f64::NAN, 0.5, 0.1],
        [5.5e6, f64::INFINITY, 0.1],
        [5.5e6, 0.5, f64::NEG_INFINITY],
        [f64::NAN, f64::NAN, f64::NAN],
        [-1e9, 10.0, 100.0],
    ];
    for row in special {
        rows.extend(row);
    }
    let mut expected_input = rows.clone();
    scaler.transform(&mut expected_input);
    let expected = forest
        .predict(&expected_input)
        .expect("coinlens prediction failed");

    let actual = run_onnxruntime(&model, &rows, COLUMNS, scratch.path(), "exact");
    assert_eq!(actual.len(), expected.len());
    for (row, (want, got)) in expected.iter().zip(&actual).enumerate() {
        let difference = (want.mean - f64::from(*got)).abs();
        assert!(
            difference <= 1e-6,
            "row {row} ({:?}): coinlens {}, onnx {got}",
            &rows[row * COLUMNS..(row + 1) * COLUMNS],
            want.mean
        );
    }

    // The imputed rows must reach a real prediction, not NaN.
    let tail = &actual[actual.len() - special.len()..];
    assert!(tail.iter().all(|value| value.is_finite()));
}

#[test]
fn export_rejects_column_mismatch() {
    let (x, y) = synthetic_rows();
    let scaler = Scaler::fit(&x, COLUMNS);
    let mut scaled = x.clone();
    scaler.transform(&mut scaled);
    let params = ForestParams {
        n_trees: 2,
        max_depth: 3,
        ..ForestParams::default()
    };
    let forest = Forest::fit(&scaled, COLUMNS, &y, params).expect("fitting the forest failed");
    let report = ModelReport {
        feature_names: vec!["only".into(), "two".into()],
        ..ModelReport::default()
    };
    let result = onnx::forest_model_bytes(ForestKind::Gem, &scaler, &forest, &report);
    assert!(matches!(
        result,
        Err(onnx::OnnxError::ColumnMismatch {
            names: 2,
            scaler: 3,
            forest: 3
        })
    ));
}
