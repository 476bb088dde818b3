//! Cold start of the real binary: process start to the first complete
//! frame (scored coins, no job running) in a pseudo-terminal, with models
//! and history cache already on disk; and `ModelStore::load` alone.
//!
//! The binary runs under `script(1)` in a 160x45 pseudo-terminal with
//! `COINLENS_BENCH_EXIT_WHEN_READY` set, which makes its UI loop quit right
//! after that frame. The time is measured from spawning `script` to its
//! exit, so it also counts the pseudo-terminal setup and the process exit;
//! the same wrapper around `true` is reported as that overhead.

mod support;

use coinlens::config::Paths;
use coinlens::features;
use coinlens::ml::ModelStore;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Stats;

const RUNS: usize = 7;
const LOAD_RUNS: usize = 10;
const BINARY: &str = env!("CARGO_BIN_EXE_coinlens");
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `shell_command` in a 160x45 pseudo-terminal under `script(1)` and
/// returns the wall-clock seconds until it exits, or why it failed.
fn run_in_pty(shell_command: &str) -> Result<f64, String> {
    let wrapped = format!("stty rows 45 cols 160; exec {shell_command}");
    let start = Instant::now();
    // stdin stays an open pipe: at end of input the app would quit early.
    let mut child = Command::new("script")
        .args(["-qec", &wrapped, "/dev/null"])
        .env("COINLENS_BENCH_EXIT_WHEN_READY", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("starting script(1) failed: {error}"))?;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(start.elapsed().as_secs_f64()),
            Ok(Some(status)) => return Err(format!("{shell_command} exited with {status}")),
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                return Err(format!("{shell_command} did not finish within {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(error) => return Err(format!("waiting for script(1) failed: {error}")),
        }
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Copies the plain files of `from` into `to`, ignoring failures: a model
/// set that is still incomplete afterwards is trained again.
fn copy_files(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    if std::fs::create_dir_all(to).is_err() {
        return;
    }
    for entry in entries.flatten() {
        if entry.path().is_file() {
            let _ = std::fs::copy(entry.path(), to.join(entry.file_name()));
        }
    }
}

fn bench_snapshot(name: &str) -> Result<(), String> {
    let snapshot = support::snapshot_dir(name);
    let data_dir = support::work_dir().join("startup").join(name);
    let store = ModelStore::new(Paths::in_dir(&data_dir).snapshot_models_dir(&snapshot));

    // Models the scoring bench saved for this snapshot are reused, since
    // training again would double the time of `bench/run`.
    if store.load(features::schema_hash()).is_err() {
        copy_files(&support::work_dir().join("models").join(name), store.dir());
    }
    if store.load(features::schema_hash()).is_err() {
        eprintln!("training models for the {name} cold-start runs (once)");
        let status = Command::new(BINARY)
            .arg("--snapshot")
            .arg(&snapshot)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("train")
            .stdout(Stdio::null())
            .status()
            .map_err(|error| format!("running {BINARY} train failed: {error}"))?;
        if !status.success() {
            return Err(format!("{BINARY} train exited with {status}"));
        }
    }

    let command = format!(
        "{} --snapshot {} --data-dir {}",
        shell_quote(Path::new(BINARY)),
        shell_quote(&snapshot),
        shell_quote(&data_dir)
    );
    // One unmeasured run fills the page cache and the history cache.
    run_in_pty(&command)?;
    let samples = (0..RUNS)
        .map(|_| run_in_pty(&command))
        .collect::<Result<Vec<f64>, String>>()?;
    let first_frame = Stats::from_samples(&samples);

    let load = support::time_runs(LOAD_RUNS, || store.load(features::schema_hash()));
    println!("| {name} | {} | {} |", first_frame.ms(), load.ms());
    Ok(())
}

fn main() {
    support::heading("Cold start");
    println!(
        "Process start to the first complete frame (coins scored, no job running) of \
         `coinlens --snapshot DIR` in a 160x45 pseudo-terminal, models and cache on disk; \
         target at most 150 ms. `ModelStore::load` is timed in this process.\n"
    );
    println!("| snapshot | first complete frame | `ModelStore::load` |");
    println!("|---|---|---|");
    for name in [support::CMC_2021, support::YAHOO_2025] {
        if let Err(error) = bench_snapshot(name) {
            println!("| {name} | failed: {error} | |");
        }
    }
    match (0..RUNS)
        .map(|_| run_in_pty("true"))
        .collect::<Result<Vec<f64>, String>>()
    {
        Ok(samples) => println!(
            "\nOverhead of the measurement (`script` running `true`): {}.",
            Stats::from_samples(&samples).ms()
        ),
        Err(error) => println!("\nOverhead of the measurement not measured: {error}"),
    }
    println!(
        "\nNot measured: a cold start on the 1,000-coin set, which would need that set written \
         out as a snapshot folder with models trained for it."
    );
}
