//! Starting the interactive app: the terminal, the panic hook, the engine
//! and the UI loop.

use crate::cli::Cli;
use crate::config::{Config, LoadedConfig, Paths};
use crate::engine::{self, EngineSettings, MarketData};
use crate::feed::MarketFeed;
use crate::ml::ModelStore;
use crate::tui::{self, App, AppOptions};
use anyhow::Context;
use std::path::Path;
use std::time::Duration;

/// Opens the model store: the live models, or the snapshot's own models.
pub fn model_store(paths: &Paths, snapshot: Option<&Path>) -> ModelStore {
    match snapshot {
        Some(dir) => ModelStore::new(paths.snapshot_models_dir(dir)),
        None => ModelStore::new(paths.models_dir()),
    }
}

/// Creates the market feed: the snapshot folder when one is given, else the live APIs.
pub fn market_feed(cli: &Cli, config: &Config, paths: &Paths) -> anyhow::Result<MarketFeed> {
    match &cli.snapshot {
        Some(dir) => {
            if !dir.join("coins_markets.json").is_file() {
                anyhow::bail!(
                    "{} is not a snapshot folder: coins_markets.json is missing",
                    dir.display()
                );
            }
            if cli.record.is_some() {
                anyhow::bail!("--record writes live data and cannot be combined with --snapshot");
            }
            Ok(MarketFeed::snapshot(dir.clone(), paths))
        }
        None => MarketFeed::live(config, paths, cli.record.clone())
            .map_err(|error| anyhow::anyhow!("{error} ({})", error.hint())),
    }
}

/// Engine settings from the config.
pub fn engine_settings(loaded: &LoadedConfig, store: ModelStore) -> EngineSettings {
    let config = &loaded.config;
    EngineSettings {
        train: config.train_settings(),
        gem_min_lift: config.gem.min_lift,
        retrain_after: chrono::Duration::days(config.retrain_after_days as i64),
        refresh_interval: (config.refresh_interval_minutes > 0)
            .then(|| Duration::from_secs(config.refresh_interval_minutes * 60)),
        model_store: store,
    }
}

/// Runs the TUI until the user quits. The terminal is restored on return,
/// on error and on panic; a panic message names the log file.
pub async fn run_tui<M: MarketData>(
    market: M,
    store: ModelStore,
    loaded: &LoadedConfig,
    paths: &Paths,
) -> anyhow::Result<()> {
    let config = &loaded.config;
    let options = AppOptions {
        vs_currency: config.vs_currency.clone(),
        stale_after: chrono::TimeDelta::minutes(config.stale_after_minutes as i64),
        keys: config
            .key_bindings()
            .map_err(anyhow::Error::msg)
            .context("invalid [keys] in the config")?,
        theme: config
            .theme()
            .map_err(anyhow::Error::msg)
            .context("invalid [colors] in the config")?,
        favorites_path: Some(paths.favorites_file()),
    };
    let mut app = App::new(options);
    for warning in &loaded.warnings {
        app.apply(engine::EngineEvent::Notice(warning.clone()));
    }

    install_panic_hook(paths.log_file().display().to_string());
    let handle = engine::spawn(market, engine_settings(loaded, store));
    let mut terminal = ratatui::init();
    if let Err(error) = tui::terminal::enable_mouse_capture() {
        tracing::warn!(%error, "mouse capture unavailable, the wheel will not scroll");
    }
    let result = tui::run(&mut terminal, app, handle.commands, handle.events).await;
    if let Err(error) = tui::terminal::disable_mouse_capture() {
        tracing::warn!(%error, "turning mouse capture off failed");
    }
    ratatui::restore();
    handle.task.abort();
    tracing::info!("coinlens stopped");
    result
}

/// Restores the terminal before the default panic output, then prints where
/// the log is. ratatui's own hook is installed by `ratatui::init` on top.
/// Public so a test can install it in a child process and panic there.
pub fn install_panic_hook(log_path: String) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crate::tui::terminal::disable_mouse_capture();
        ratatui::restore();
        previous(info);
        tracing::error!(%info, "panic");
        eprintln!("coinlens crashed; the log is at {log_path}");
    }));
}
