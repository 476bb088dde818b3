//! The whole training run a user waits for after `t` or `coinlens train`:
//! the real binary on each data set, timed from spawn to exit, with its peak
//! resident set size from `/usr/bin/time`.
//!
//! The 1,000-coin run takes minutes, so it runs once and only when
//! `COINLENS_BENCH_FULL` is set and not empty (`bench/run --full` sets it).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;
use support::{Stats, TIME};

const RUNS: usize = 3;
const BINARY: &str = env!("CARGO_BIN_EXE_coinlens");
const FULL_ENV: &str = "COINLENS_BENCH_FULL";

/// Runs `coinlens --snapshot DIR train` once; returns seconds and peak RSS in MiB.
fn train_once(snapshot: &Path, data_dir: &Path) -> Result<(f64, Option<f64>), String> {
    let rss_file = data_dir.join("max-rss-kib");
    let _ = std::fs::remove_file(&rss_file);
    std::fs::create_dir_all(data_dir).map_err(|error| error.to_string())?;
    let mut command = if Path::new(TIME).is_file() {
        let mut command = Command::new(TIME);
        command
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(BINARY);
        command
    } else {
        Command::new(BINARY)
    };
    command
        .arg("--snapshot")
        .arg(snapshot)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("train")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|error| format!("running {BINARY} failed: {error}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("`coinlens train` exited with {status}"));
    }
    Ok((seconds, support::time_peak_rss_mib(&rss_file)))
}

fn bench_set(label: &str, snapshot: &Path, runs: usize) {
    let data_dir = support::work_dir().join("full-training").join(label);
    let mut seconds = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        match train_once(snapshot, &data_dir) {
            Ok((time, peak)) => {
                seconds.push(time);
                peaks.extend(peak);
            }
            Err(error) => {
                println!("| {label} | failed: {error} | |");
                return;
            }
        }
    }
    println!(
        "| {label} | {} | {} |",
        Stats::from_samples(&seconds).s(),
        support::peak_rss_text(&peaks, 0)
    );
}

fn main() {
    support::heading("Full training run");
    println!(
        "`coinlens --snapshot DIR train`, process start to exit: the scaler, tuning of both \
         forests on a validation period, walk-forward evaluation over 4 folds, the trading \
         agent's training and backtest, the final fits and the save. Peak RSS comes from \
         `{TIME}`. No target is set; the figures show what pressing `t` costs.\n"
    );
    println!("| data | wall time | peak RSS of the app |");
    println!("|---|---|---|");
    for name in [support::CMC_2021, support::YAHOO_2025] {
        bench_set(name, &support::snapshot_dir(name), RUNS);
    }
    if std::env::var_os(FULL_ENV).is_some_and(|value| !value.is_empty()) {
        let synthetic = support::synthetic_snapshot_dir();
        bench_set(support::SYNTHETIC_LABEL, &synthetic, 1);
        println!(
            "\nThe 1,000-coin run is a single run: it takes minutes, and with the sampled fits \
             (`training.max_fit_rows`) its time is dominated by the fixed number of forest fits."
        );
    } else {
        println!(
            "\nThe 1,000-coin set is left out of this table unless `bench/run --full` is used \
             (a single run of several minutes)."
        );
    }
}
