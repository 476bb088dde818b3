//! Export of the price model and the gem detector as ONNX files, so other
//! runtimes (onnxruntime and the like) can run them without coinlens.
//!
//! Each file contains one graph: `features` (`[N, F]` float64, raw feature
//! rows in `feature_names()` order) → median imputation → standard scaling
//! → `TreeEnsembleRegressor` (mean of the trees) → `[N, 1]` float32 output.
//! Opsets: `ai.onnx` 13 and `ai.onnx.ml` 3, IR version 8.

mod graph;
mod messages;
mod proto;

pub use graph::INPUT_NAME;

use crate::ml::forest::Forest;
use crate::ml::{ModelReport, ModelSet, Scaler};
use graph::GraphSpec;
use messages::ModelHeader;
use std::fs;
use std::path::{Path, PathBuf};

/// ONNX IR version written into every file; onnxruntime 1.32 loads it (tested).
const IR_VERSION: i64 = 8;
const OPSETS: [(&str, i64); 2] = [("", 13), ("ai.onnx.ml", 3)];

/// File name of the exported price model.
pub const PRICE_MODEL_FILE: &str = "price_model.onnx";
/// File name of the exported gem detector.
pub const GEM_MODEL_FILE: &str = "gem_detector.onnx";

/// Errors of the ONNX export.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("the models do not agree on the feature count: {names} feature names, a scaler for {scaler} columns and a forest for {forest}; retrain with `coinlens train`")]
    ColumnMismatch {
        names: usize,
        scaler: usize,
        forest: usize,
    },
    #[error("the forest has no trees; retrain with `coinlens train`")]
    EmptyForest,
    #[error("tree {tree} of the forest is malformed: {message}; retrain with `coinlens train`")]
    MalformedTree { tree: usize, message: String },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The forest a file contains: the price model or the gem detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForestKind {
    Price,
    Gem,
}

impl ForestKind {
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Price => PRICE_MODEL_FILE,
            Self::Gem => GEM_MODEL_FILE,
        }
    }

    /// Name of the graph's `[N, 1]` float32 output.
    pub fn output_name(self) -> &'static str {
        match self {
            Self::Price => "predicted_return",
            Self::Gem => "gem_probability",
        }
    }

    fn output_doc(self) -> &'static str {
        match self {
            Self::Price => {
                "predicted forward return as a fraction (0.05 is +5%), the mean of the trees"
            }
            Self::Gem => "gem probability: the mean of regression trees fit on 0/1 gem labels",
        }
    }
}

/// Encodes one forest with the scaler in front of it as an ONNX model.
pub fn forest_model_bytes(
    kind: ForestKind,
    scaler: &Scaler,
    forest: &Forest,
    report: &ModelReport,
) -> Result<Vec<u8>, OnnxError> {
    let spec = GraphSpec {
        graph_name: match kind {
            ForestKind::Price => "coinlens_price_model",
            ForestKind::Gem => "coinlens_gem_detector",
        },
        output_name: kind.output_name(),
        output_doc: kind.output_doc(),
        feature_names: &report.feature_names,
    };
    let graph = graph::forest_graph(&spec, scaler, forest)?;

    let doc = format!(
        "coinlens {}: input `{INPUT_NAME}` is a [N, {}] float64 tensor of raw (unscaled) feature rows, \
         NaN or infinity for a missing value, with columns in this order: {}. Output `{}` is [N, 1] float32.",
        spec.graph_name,
        report.feature_names.len(),
        report.feature_names.join(", "),
        kind.output_name(),
    );
    let params = match kind {
        ForestKind::Price => report.price_params,
        ForestKind::Gem => report.gem_params,
    };
    let mut metadata = vec![
        ("feature_names", report.feature_names.join(",")),
        ("schema_hash", format!("{:016x}", report.schema_hash)),
        ("trained_at", report.trained_at.to_rfc3339()),
        ("trees", forest.trees().len().to_string()),
    ];
    if let Some(params) = params {
        metadata.push(("max_depth", params.max_depth.to_string()));
    }
    let header = ModelHeader {
        ir_version: IR_VERSION,
        opsets: &OPSETS,
        producer_name: "coinlens",
        producer_version: env!("CARGO_PKG_VERSION"),
        doc: &doc,
        metadata: &metadata,
    };
    Ok(messages::model(&header, &graph).into_bytes())
}

/// Writes `price_model.onnx`, and `gem_detector.onnx` when the set has a gem
/// detector, into `dir` (created if missing). Returns the paths written.
pub fn export_model_set(models: &ModelSet, dir: &Path) -> Result<Vec<PathBuf>, OnnxError> {
    fs::create_dir_all(dir).map_err(|source| OnnxError::Write {
        path: dir.to_path_buf(),
        source,
    })?;

    let mut forests = vec![(ForestKind::Price, &models.price)];
    if let Some(gem) = &models.gem {
        forests.push((ForestKind::Gem, gem));
    }

    let mut written = Vec::new();
    for (kind, forest) in forests {
        let bytes = forest_model_bytes(kind, &models.scaler, forest, &models.report)?;
        let path = dir.join(kind.file_name());
        write_replacing(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes to a temporary sibling, then renames, so a reader never sees half a file.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), OnnxError> {
    let temporary = path.with_extension("onnx.tmp");
    let to_error = |source| OnnxError::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::write(&temporary, bytes).map_err(to_error)?;
    fs::rename(&temporary, path).map_err(to_error)
}
