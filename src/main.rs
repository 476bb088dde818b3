//! The coinlens binary: parses arguments, sets up logging and config, then
//! runs the TUI or a headless command.

use anyhow::Context;
use clap::Parser;
use coinlens::cli::{Cli, Command};
use coinlens::config::{self, Paths};
use coinlens::{app, commands, logging};
use std::io::Write;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.data_dir.clone())?;
    let _log_guard = logging::init(&paths.data_dir, paths.log_file_name())
        .with_context(|| format!("could not create the data dir {}", paths.data_dir.display()))?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %paths.data_dir.display(), "coinlens starting");

    let mut loaded = config::load(cli.config.as_deref(), &paths.default_config)?;
    loaded.config.apply_env(|name| std::env::var(name).ok());
    for warning in &loaded.warnings {
        tracing::warn!(%warning, "config");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    // The live clients need the runtime's reactor, so build them inside it.
    let _runtime_guard = runtime.enter();
    let market = app::market_feed(&cli, &loaded.config, &paths)?;
    let store = app::model_store(&paths, cli.snapshot.as_deref());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();

    match cli.command {
        None => {
            drop(out);
            runtime.block_on(app::run_tui(market, store, &loaded, &paths))
        }
        Some(Command::Scan { format }) => {
            print_warnings(&loaded.warnings);
            runtime.block_on(commands::scan(
                &market,
                &store,
                &loaded.config,
                format,
                &mut out,
            ))
        }
        Some(Command::Train) => {
            print_warnings(&loaded.warnings);
            runtime.block_on(commands::train(&market, &store, &loaded.config, &mut out))
        }
        Some(Command::Models) => commands::models(&store, &mut out),
        Some(Command::ExportOnnx { dir }) => {
            commands::export_onnx(&store, dir.as_deref(), &mut out)
        }
        Some(Command::Features { coin, format }) => {
            runtime.block_on(commands::features(&market, &coin, format, &mut out))
        }
    }?;
    out_flush();
    Ok(())
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

fn out_flush() {
    let _ = std::io::stdout().flush();
}
