//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Ranks crypto coins by predicted return and gem probability, in a terminal UI.
#[derive(Debug, Parser)]
#[command(name = "coinlens", version, about)]
pub struct Cli {
    /// Read market data from a recorded snapshot folder instead of the live APIs.
    #[arg(long, value_name = "DIR", global = true)]
    pub snapshot: Option<PathBuf>,

    /// Config file to use instead of the default one; it must exist and be valid.
    #[arg(long, value_name = "FILE", env = "COINLENS_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Folder for the history cache, models, favourites and log.
    #[arg(long, value_name = "DIR", env = "COINLENS_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Write what live fetches return to DIR in the snapshot layout, for replay with --snapshot.
    #[arg(long, value_name = "DIR", global = true)]
    pub record: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch, score and print the ranking once, without the UI.
    Scan {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Train all models now and save them (what the weekly schedule runs).
    Train,
    /// List the saved models with their age and out-of-sample metrics.
    Models,
    /// Write the saved price model and gem detector as ONNX files.
    ExportOnnx {
        /// Output folder; defaults to the `onnx` folder inside the models folder.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print one coin's full feature table.
    Features {
        /// CoinGecko id of the coin, such as `bitcoin`.
        #[arg(long)]
        coin: String,
        #[arg(long, value_enum, default_value_t = TableFormat::Csv)]
        format: TableFormat,
    },
}

/// Output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Output format of `features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Csv,
    Json,
}
