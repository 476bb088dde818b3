//! The headless commands: `scan`, `train`, `models`, `export-onnx` and `features`.

use crate::cli::{Format, TableFormat};
use crate::config::Config;
use crate::engine::pipeline::{self, LoadOutcome};
use crate::engine::{HistoryProgress, LoadedMarket, MarketData};
use crate::features::{self, FeatureTable};
use crate::market::History;
use crate::ml::{ModelSet, ModelStore};
use crate::report;
use anyhow::{bail, Context};
use chrono::Utc;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

/// Market data with its feature tables, as every headless command needs it.
struct Prepared {
    market: LoadedMarket,
    histories: BTreeMap<String, History>,
    tables: BTreeMap<String, FeatureTable>,
}

/// Loads fresh market data, or the data of the last successful live
/// refresh when fetching fails, printing a warning with the reason to stderr.
async fn prepare<M: MarketData>(market: &M) -> anyhow::Result<Prepared> {
    let error = match prepare_fresh(market).await {
        Ok(prepared) => return Ok(prepared),
        Err(error) => error,
    };
    let Some((loaded, histories)) = market.load_cached().await else {
        return Err(error.context("no cached data of an earlier live refresh to fall back on"));
    };
    tracing::warn!(error = %format!("{error:#}"), as_of = %loaded.as_of, "fetch failed, using cached market data");
    eprintln!(
        "warning: {error:#}; using the cached data of {} instead",
        loaded.as_of.format("%Y-%m-%d %H:%M UTC")
    );
    let tables = features::build_tables(&histories);
    Ok(Prepared {
        market: loaded,
        histories,
        tables,
    })
}

async fn prepare_fresh<M: MarketData>(market: &M) -> anyhow::Result<Prepared> {
    let loaded = market
        .load_coins()
        .await
        .map_err(anyhow::Error::msg)
        .context("loading the coin list failed")?;
    // A first live run can take minutes at keyless rate limits, so show
    // where it is when a person is watching stderr.
    let show = std::io::stderr().is_terminal();
    let progress = Box::new(move |progress: HistoryProgress| {
        tracing::debug!(done = progress.done, total = progress.total, detail = %progress.detail, "history progress");
        if show {
            eprint!(
                "\r\x1b[Kloading histories {}/{} {}",
                progress.done, progress.total, progress.detail
            );
            if progress.done == progress.total {
                eprintln!();
            }
        }
    });
    let histories = market
        .load_histories(&loaded.coins, progress)
        .await
        .map_err(anyhow::Error::msg)
        .context("loading histories failed")?;
    let tables = features::build_tables(&histories);
    Ok(Prepared {
        market: loaded,
        histories,
        tables,
    })
}

/// Loads the saved models, training new ones when they are missing,
/// unusable or older than the retrain age. Progress goes to stderr.
fn models_for(
    prepared: &Prepared,
    store: &ModelStore,
    config: &Config,
) -> anyhow::Result<ModelSet> {
    let retrain_after = chrono::Duration::days(config.retrain_after_days as i64);
    let reason = match pipeline::load_models(store, retrain_after, Utc::now()) {
        LoadOutcome::Loaded(models) => {
            tracing::info!("loaded saved models");
            return Ok(models);
        }
        LoadOutcome::Stale(_) => "saved models are older than the retrain age".to_string(),
        LoadOutcome::Missing => "no saved models".to_string(),
        // A one-shot command trains rather than scoring with an older set.
        LoadOutcome::Unusable(reason) | LoadOutcome::UnusableWithPrevious(_, reason) => {
            format!("saved models unusable: {reason}")
        }
    };
    eprintln!("{reason}: training now");
    train_with_progress(prepared, store, config)
}

fn train_with_progress(
    prepared: &Prepared,
    store: &ModelStore,
    config: &Config,
) -> anyhow::Result<ModelSet> {
    let mut progress = |done: usize, total: usize, step: &str| eprintln!("[{done}/{total}] {step}");
    let (models, save_error) = pipeline::train_and_save(
        store,
        &prepared.histories,
        &prepared.tables,
        &config.train_settings(),
        &mut progress,
    )?;
    if let Some(message) = save_error {
        eprintln!("warning: {message}");
    }
    Ok(models)
}

/// Fetches, scores and prints the ranking once.
pub async fn scan<M: MarketData>(
    market: &M,
    store: &ModelStore,
    config: &Config,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let prepared = prepare(market).await?;
    let models = models_for(&prepared, store, config)?;
    let scored = pipeline::score(
        &prepared.market.coins,
        &prepared.histories,
        Some(&models),
        &config.gem.rule(),
        config.gem.min_lift,
    )
    .map_err(anyhow::Error::msg)?;

    match format {
        Format::Json => report::write_scan_json(&scored, out)?,
        Format::Csv => report::write_scan_csv(&scored, out)?,
        Format::Table => report::write_scan_table(&scored, prepared.market.as_of, out)?,
    }
    Ok(())
}

/// Trains all models now, saves them and prints their report.
pub async fn train<M: MarketData>(
    market: &M,
    store: &ModelStore,
    config: &Config,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let prepared = prepare(market).await?;
    let models = train_with_progress(&prepared, store, config)?;
    writeln!(out, "models saved in {}", store.dir().display())?;
    report::write_model_report(&models.report, Utc::now(), out)?;
    Ok(())
}

/// Prints the saved models' report.
pub fn models(store: &ModelStore, out: &mut impl Write) -> anyhow::Result<()> {
    let report = store.read_report().with_context(|| {
        format!(
            "run `coinlens train` to create models in {}",
            store.dir().display()
        )
    })?;
    let expected = features::schema_hash();
    if report.schema_hash != expected {
        writeln!(
            out,
            "note: these models use feature schema {:016x}, this build uses {expected:016x}; they will be retrained on the next start",
            report.schema_hash
        )?;
    }
    writeln!(out, "models in {}", store.dir().display())?;
    report::write_model_report(&report, Utc::now(), out)?;
    Ok(())
}

/// Writes the saved models as ONNX files into `dir`, by default the models
/// folder's `onnx` subfolder, and prints the paths written.
pub fn export_onnx(
    store: &ModelStore,
    dir: Option<&std::path::Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let models = store.load(features::schema_hash()).with_context(|| {
        format!(
            "run `coinlens train` to create models in {}",
            store.dir().display()
        )
    })?;
    let dir = dir.map_or_else(|| store.dir().join("onnx"), std::path::Path::to_path_buf);
    for path in crate::ml::onnx::export_model_set(&models, &dir)? {
        writeln!(out, "wrote {}", path.display())?;
    }
    if models.gem.is_none() {
        writeln!(
            out,
            "no gem detector in this model set, so no gem_detector.onnx"
        )?;
    }
    Ok(())
}

/// Prints one coin's feature table.
pub async fn features<M: MarketData>(
    market: &M,
    coin: &str,
    format: TableFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let prepared = prepare(market).await?;
    let Some(table) = prepared.tables.get(coin) else {
        let known: Vec<&str> = prepared
            .tables
            .keys()
            .map(String::as_str)
            .take(20)
            .collect();
        bail!(
            "no history for coin id {coin:?}; coins with history include: {}",
            known.join(", ")
        );
    };
    match format {
        TableFormat::Csv => features::export::write_csv(table, out)?,
        TableFormat::Json => features::export::write_json(table, out)?,
    }
    Ok(())
}
