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
        // A closed pipe (`coinlens features ... | head`) is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.data_dir.clone())?;
    let _log_guard = logging::init(&paths.data_dir, paths.log_file_name()).with_context(|| {
        format!(
            "could not open the log file {} (is the data dir writable? set COINLENS_DATA_DIR or --data-dir to another folder)",
            paths.log_file().display()
        )
    })?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %paths.data_dir.display(), "coinlens starting");

    let result = run_logged(cli, &paths);
    if let Err(error) = &result {
        if !is_broken_pipe(error) {
            tracing::error!(error = format!("{error:#}"), "coinlens failed");
        }
    }
    result
}

/// Everything after logging has started, so that every failure is logged.
fn run_logged(cli: Cli, paths: &Paths) -> anyhow::Result<()> {
    let paths = paths.clone();

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

    let result = match cli.command {
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
    };
    out_flush();
    // Training may still run on a blocking thread after the user quit; its
    // files are written atomically, so the process need not wait for it.
    runtime.shutdown_background();
    result
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

fn out_flush() {
    let _ = std::io::stdout().flush();
}
