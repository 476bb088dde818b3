//! Times the training of the price forest, the gem forest and the trading
//! agent on each shared snapshot, and next to each forest fit, the same fit
//! by scikit-learn's RandomForestRegressor on the identical rows.
//!
//! The rows are those of the final fit in `ml::train`: labelled coin-days
//! scaled by a scaler fit on them, price labels clipped to their 1% and 99%
//! quantiles, and on the 1,000-coin set the seeded sample of
//! `max_fit_rows` that the app fits on. They are written as `.npy` files under `target/bench-work`.
//! When `SKLEARN_PYTHON` names a Python with scikit-learn (`bench/run` sets
//! it), every Rust fit is followed by one scikit-learn fit in a fresh
//! process running `bench/sklearn_fit.py`, so both see the same machine load.

mod support;

use coinlens::features::{self, build_tables};
use coinlens::market::MarketSnapshot;
use coinlens::ml::dataset::{build_dataset, Dataset};
use coinlens::ml::{agent, sample_fit_rows, trading, Forest, ForestParams, Scaler, TrainSettings};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::Stats;

const RUNS: usize = 3;

/// Writes a little-endian f64 array as a NumPy `.npy` file (format 1.0).
fn write_npy(path: &Path, values: &[f64], shape: &[usize]) -> std::io::Result<()> {
    let shape_text = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + header length (2) + header, padded to 64 bytes with '\n' last.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\x93NUMPY\x01\x00")?;
    file.write_all(&(header.len() as u16).to_le_bytes())?;
    file.write_all(header.as_bytes())?;
    for value in values {
        file.write_all(&value.to_le_bytes())?;
    }
    file.flush()
}

/// Clips values to the `quantile` and `1 - quantile` quantiles, as the
/// price model's label clipping in `ml::train` does.
fn clip_to_quantiles(values: &mut [f64], quantile: f64) {
    if values.is_empty() {
        return;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let low = sorted[((last as f64) * quantile).round() as usize];
    let high = sorted[((last as f64) * (1.0 - quantile)).round() as usize];
    for value in values {
        *value = value.clamp(low, high);
    }
}

fn scaled(dataset: &Dataset, rows: &[usize], scaler: &Scaler) -> Vec<f64> {
    let mut x = dataset.gather(rows);
    scaler.transform(&mut x);
    x
}

/// Runs one scikit-learn fit on the exported rows and returns its seconds.
fn sklearn_fit(
    python: &str,
    x: &Path,
    y: &Path,
    params: ForestParams,
    columns: usize,
) -> Option<f64> {
    let max_features = params
        .max_features
        .unwrap_or_else(|| (columns as f64).sqrt().floor().max(1.0) as usize);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/sklearn_fit.py");
    let output = Command::new(python)
        .arg(script)
        .args([x.as_os_str(), y.as_os_str()])
        .args([
            params.n_trees.to_string(),
            params.max_depth.to_string(),
            params.min_samples_leaf.to_string(),
            (2 * params.min_samples_leaf).max(2).to_string(),
            max_features.to_string(),
            params.seed.to_string(),
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "scikit-learn fit failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Times `RUNS` Rust fits, each followed by a scikit-learn fit when a Python
/// is configured, and prints one table row. Returns the last Rust forest.
fn compare_forest(
    label: &str,
    model: &str,
    x: Vec<f64>,
    y: Vec<f64>,
    columns: usize,
    params: ForestParams,
    python: Option<&str>,
) -> Option<Forest> {
    let dir: PathBuf = support::work_dir().join("matrices");
    let stem = format!("{}-{model}", label.replace(' ', "_")).replace(' ', "_");
    let x_path = dir.join(format!("{stem}-x.npy"));
    let y_path = dir.join(format!("{stem}-y.npy"));
    let exported = std::fs::create_dir_all(&dir)
        .and_then(|()| write_npy(&x_path, &x, &[y.len(), columns]))
        .and_then(|()| write_npy(&y_path, &y, &[y.len()]));
    if let Err(error) = &exported {
        eprintln!(
            "writing the training matrix to {} failed: {error}",
            dir.display()
        );
    }

    let mut rust = Vec::new();
    let mut sklearn = Vec::new();
    let mut forest = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        match Forest::fit(&x, columns, &y, params) {
            Ok(fitted) => forest = Some(fitted),
            Err(error) => {
                println!("| {label} | {model} | fit failed: {error} | | |");
                return None;
            }
        }
        rust.push(start.elapsed().as_secs_f64());
        if let (Some(python), Ok(())) = (python, &exported) {
            if let Some(seconds) = sklearn_fit(python, &x_path, &y_path, params, columns) {
                sklearn.push(seconds);
            }
        }
    }
    let rust = Stats::from_samples(&rust);
    let (sklearn_text, ratio_text) = if sklearn.is_empty() {
        ("not run".to_string(), "–".to_string())
    } else {
        let sklearn = Stats::from_samples(&sklearn);
        (sklearn.s(), format!("{:.2}", rust.median / sklearn.median))
    };
    println!(
        "| {label} | {model} | {} x {columns} | {} | {sklearn_text} | {ratio_text} |",
        y.len(),
        rust.s()
    );
    forest
}

fn bench_snapshot(label: &str, snapshot: &MarketSnapshot, python: Option<&str>) {
    let settings = TrainSettings::default();
    let histories = &snapshot.histories;
    let tables = build_tables(histories);
    let columns = features::feature_names().len();
    let dataset = build_dataset(
        histories,
        &tables,
        columns,
        settings.price_horizon_days,
        &settings.gem_rule,
    );

    let labelled: Vec<usize> = (0..dataset.len())
        .filter(|i| dataset.forward_return[*i].is_finite() && !dataset.pegged[*i])
        .collect();
    let scaler = Scaler::fit(&dataset.gather(&labelled), columns);
    let price_rows = sample_fit_rows(&labelled, settings.max_fit_rows, settings.price_forest.seed)
        .unwrap_or_else(|| labelled.clone());
    let mut price_y: Vec<f64> = price_rows
        .iter()
        .map(|i| dataset.forward_return[*i])
        .collect();
    clip_to_quantiles(&mut price_y, settings.label_clip_quantile);
    let price = compare_forest(
        label,
        "price forest",
        scaled(&dataset, &price_rows, &scaler),
        price_y,
        columns,
        settings.price_forest,
        python,
    );

    let gem_rows: Vec<usize> = (0..dataset.len())
        .filter(|i| dataset.gem[*i].is_some())
        .collect();
    let has_caps = histories
        .values()
        .flatten()
        .any(|c| c.market_cap.is_finite());
    if has_caps && !gem_rows.is_empty() {
        let gem_rows = sample_fit_rows(&gem_rows, settings.max_fit_rows, settings.gem_forest.seed)
            .unwrap_or(gem_rows);
        let gem_y: Vec<f64> = gem_rows
            .iter()
            .map(|i| f64::from(u8::from(dataset.gem[*i] == Some(true))))
            .collect();
        compare_forest(
            label,
            "gem forest",
            scaled(&dataset, &gem_rows, &scaler),
            gem_y,
            columns,
            settings.gem_forest,
            python,
        );
    } else {
        println!(
            "| {label} | gem forest | no market caps: the app trains no gem detector here | | | |"
        );
    }

    let Some(price) = price else { return };
    let all_rows: Vec<usize> = (0..dataset.len()).collect();
    let predicted = match price.predict(&scaled(&dataset, &all_rows, &scaler)) {
        Ok(predicted) => predicted.iter().map(|p| p.mean).collect::<Vec<f64>>(),
        Err(error) => {
            println!("| {label} | trading agent | prediction failed: {error} | | | |");
            return;
        }
    };
    let excluded = &settings.gem_rule.excluded_ids;
    let episodes = trading::build_episodes(
        histories,
        &trading::predictions_by_day(&dataset, &all_rows, &predicted),
        &|id| excluded.iter().any(|e| e == id),
    );
    let steps: usize = episodes.iter().map(|e| e.steps.len()).sum();
    let until = chrono::NaiveDate::MAX;
    let agent_time = support::time_runs(RUNS, || agent::train(&episodes, until, &settings.agent));
    println!(
        "| {label} | trading agent ({} passes) | {steps} steps | {} | – | – |",
        settings.agent.passes,
        agent_time.s()
    );
}

fn main() {
    let python = std::env::var("SKLEARN_PYTHON").ok();
    support::heading("Training");
    let defaults = TrainSettings::default().price_forest;
    println!(
        "Forests: {} trees, max depth {}, min samples per leaf {}, min samples per split {}, \
         features per split floor(sqrt(F)), bootstrap; both libraries use every core. \
         Each Rust fit is followed by one scikit-learn fit on the same `.npy` rows; \
         ratio = Rust median / scikit-learn median (below 1 means coinlens is faster).\n",
        defaults.n_trees,
        defaults.max_depth,
        defaults.min_samples_leaf,
        (2 * defaults.min_samples_leaf).max(2),
    );
    println!(
        "| data | model | rows x features | coinlens (smartcore 0.7) | scikit-learn | ratio |"
    );
    println!("|---|---|---|---|---|---:|");
    for (label, snapshot) in support::all_sets() {
        bench_snapshot(&label, &snapshot, python.as_deref());
    }
    println!(
        "\nOn the 1,000-coin set (1.8 million coin-days) each forest is fitted on the seeded \
         sample of {} rows that the app draws (`training.max_fit_rows`); the trading agent \
         trains on every coin-day.",
        TrainSettings::default().max_fit_rows
    );
    if python.is_none() {
        println!("\nscikit-learn was not run: set SKLEARN_PYTHON (bench/run does).");
    }
}
