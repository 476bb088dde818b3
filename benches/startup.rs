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
use coinlens::store::HistoryStore;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{BenchModels, Stats, TIME};

const RUNS: usize = 7;
const LOAD_RUNS: usize = 10;
const BINARY: &str = env!("CARGO_BIN_EXE_coinlens");
const TIMEOUT: Duration = Duration::from_secs(120);
const EXIT_WHEN_READY: &str = "COINLENS_BENCH_EXIT_WHEN_READY";
/// An address where nothing listens, so live requests fail at once on this machine.
const CLOSED_PORT: &str = "http://127.0.0.1:9";

/// Runs `shell_command` in a 160x45 pseudo-terminal under `script(1)` and
/// returns the wall-clock seconds until it exits, or why it failed.
fn run_in_pty(shell_command: &str) -> Result<f64, String> {
    let wrapped = format!("stty rows 45 cols 160; exec {shell_command}");
    let start = Instant::now();
    // stdin stays an open pipe: at end of input the app would quit early.
    let mut child = Command::new("script")
        .args(["-qec", &wrapped, "/dev/null"])
        .env(EXIT_WHEN_READY, "1")
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

/// Returns the file where `/usr/bin/time` writes the peak RSS of one run.
fn rss_file() -> PathBuf {
    support::work_dir().join("startup").join("max-rss-kib")
}

/// Builds the command that starts the app, under `/usr/bin/time` when it
/// exists, so that the app's own peak RSS is recorded.
fn app_command(arguments: &str, data_dir: &Path) -> String {
    let app = format!(
        "{} {arguments} --data-dir {}",
        shell_quote(Path::new(BINARY)),
        shell_quote(data_dir)
    );
    if Path::new(TIME).is_file() {
        format!("{TIME} -f %M -o {} {app}", shell_quote(&rss_file()))
    } else {
        app
    }
}

/// Peak RSS of the last run in MiB, when `/usr/bin/time` recorded it.
fn last_peak_rss_mib() -> Option<f64> {
    support::time_peak_rss_mib(&rss_file())
}

/// Measures and prints one cold-start row, with the bench models of
/// `models` copied in (see [`support::BenchModels`]).
fn bench_snapshot(label: &str, snapshot: &Path, models: &BenchModels) -> Result<(), String> {
    let data_dir = support::work_dir().join("startup").join(label);
    let store = ModelStore::new(Paths::in_dir(&data_dir).snapshot_models_dir(snapshot));
    let models_from = models.label;

    // Models an earlier bench saved are reused, since training again would
    // double the time of `bench/run`.
    copy_files(&models.dir, store.dir());
    if store.load(features::schema_hash()).is_err() {
        if label != models_from {
            return Err(format!(
                "no bench models of {models_from}; run `cargo bench --bench scoring` first"
            ));
        }
        eprintln!("training models for the {label} cold-start runs (once)");
        let status = Command::new(BINARY)
            .arg("--snapshot")
            .arg(snapshot)
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

    let command = app_command(&format!("--snapshot {}", shell_quote(snapshot)), &data_dir);
    measure(label, models_from, &command, &store)
}

/// Times `command` and prints its row.
fn measure(
    label: &str,
    models_from: &str,
    command: &str,
    store: &ModelStore,
) -> Result<(), String> {
    // One unmeasured run fills the page cache and the history cache.
    run_in_pty(command)?;
    let mut samples = Vec::with_capacity(RUNS);
    let mut peaks = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(rss_file());
        samples.push(run_in_pty(command)?);
        peaks.extend(last_peak_rss_mib());
    }
    let first_frame = Stats::from_samples(&samples);
    let peak = support::peak_rss_text(&peaks, 1);

    let load = support::time_runs(LOAD_RUNS, || store.load(features::schema_hash()));
    println!(
        "| {label} | {models_from} | {} | {peak} | {} |",
        first_frame.ms(),
        load.ms()
    );
    Ok(())
}

/// Writes, once, the 1,000-coin set as a live start finds it in the data
/// folder: the saved coin list and one history cache file per coin.
fn cached_data_dir() -> Result<PathBuf, String> {
    let dir = support::work_dir()
        .join("startup")
        .join("1000-coins-cached");
    let marker = dir.join("complete");
    if marker.is_file() {
        return Ok(dir);
    }
    eprintln!(
        "writing the 1,000-coin history cache to {} (once)",
        dir.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let cmc = support::load_snapshot(support::CMC_2021);
    let yahoo = support::load_snapshot(support::YAHOO_2025);
    let synthetic = support::replicate(&[&cmc, &yahoo]);
    let paths = Paths::in_dir(&dir);
    let store = HistoryStore::new(&paths.data_dir);
    for (id, history) in &synthetic.histories {
        store
            .save(id, history)
            .map_err(|error| format!("saving the cached history of {id} failed: {error}"))?;
    }
    let coin_list = serde_json::json!({"as_of": synthetic.as_of, "coins": synthetic.coins});
    std::fs::write(dir.join("coins.json"), coin_list.to_string())
        .and_then(|()| std::fs::write(&marker, b""))
        .map_err(|error| format!("writing {} failed: {error}", dir.display()))?;
    Ok(dir)
}

/// Measures a live start on the 1,000-coin history cache, up to the first
/// frame of scored cached coins. The APIs are aimed at a closed loopback
/// port, so the refresh that follows fails without leaving the machine.
fn bench_cached_start(label: &str, models: &BenchModels) -> Result<(), String> {
    let data_dir = cached_data_dir()?;
    let store = ModelStore::new(Paths::in_dir(&data_dir).models_dir());
    let models_from = models.label;
    copy_files(&models.dir, store.dir());
    if store.load(features::schema_hash()).is_err() {
        return Err(format!(
            "no bench models of {models_from}; run `cargo bench --bench scoring` first"
        ));
    }
    let command = format!(
        "env {EXIT_WHEN_READY}=scored COINLENS_COINGECKO_URL={CLOSED_PORT} \
         COINLENS_CRYPTOCOMPARE_URL={CLOSED_PORT} {}",
        app_command("", &data_dir)
    );
    measure(label, models_from, &command, &store)
}

fn main() {
    support::heading("Cold start");
    println!(
        "Process start to the first complete frame (coins scored, no job running) of \
         `coinlens --snapshot DIR` in a 160x45 pseudo-terminal, models and cache on disk; \
         target at most 150 ms. The app's peak RSS over the same run comes from `{TIME}` \
         (target at most 150 MB, 143 MiB, with 1,000 coins). `ModelStore::load` is timed \
         in this process.\n"
    );
    println!(
        "| data | models from | first complete frame | peak RSS of the app | `ModelStore::load` |"
    );
    println!("|---|---|---|---|---|");
    let _ = std::fs::create_dir_all(support::work_dir().join("startup"));
    for name in [support::CMC_2021, support::YAHOO_2025] {
        let models = BenchModels::of_snapshot(name);
        if let Err(error) = bench_snapshot(name, &support::snapshot_dir(name), &models) {
            println!("| {name} | {name} | failed: {error} | | |");
        }
    }
    let synthetic = support::synthetic_snapshot_dir();
    let models = BenchModels::for_synthetic_set();
    if let Err(error) = bench_snapshot(support::SYNTHETIC_LABEL, &synthetic, &models) {
        println!(
            "| {} | {} | failed: {error} | | |",
            support::SYNTHETIC_LABEL,
            models.label
        );
    }
    let cached_label = format!(
        "{}, live start from the history cache",
        support::SYNTHETIC_LABEL
    );
    if let Err(error) = bench_cached_start(&cached_label, &models) {
        println!(
            "| {cached_label} | {} | failed: {error} | | |",
            models.label
        );
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
        "\nThe 1,000-coin set ({} coin-days) is written once under `target/bench-work`, as a \
         snapshot folder of JSON files and as a live data folder with the saved coin list and \
         the binary history cache. Its first frame includes reading every history, building \
         the scoring rows of the feature tables and scoring all coins. The live start counts \
         to the first frame of scored cached coins; the refresh it starts next is aimed at a \
         closed loopback port and is not waited for.",
        support::SYNTHETIC_COINS * support::SYNTHETIC_DAYS
    );
}
