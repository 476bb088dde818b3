//! Helpers shared by the bench binaries: the shared snapshots, the
//! replicated 1,000-coin set, timing statistics, peak memory and a cache of
//! trained models under `target/bench-work`.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use coinlens::features::{self, FeatureTable, BTC_ID};
use coinlens::market::{record_snapshot, Coin, History, MarketSnapshot, SnapshotSource};
use coinlens::ml::{self, ModelSet, ModelStore, TrainSettings};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const CMC_2021: &str = "cmc-2021-23coins";
pub const YAHOO_2025: &str = "yahoo-2025-14coins";
pub const SYNTHETIC_LABEL: &str = "1000 coins x 5 years";
pub const SYNTHETIC_COINS: usize = 1000;
pub const SYNTHETIC_DAYS: usize = 5 * 365 + 1;

/// Folder of a shared snapshot. Exits with status 2 and a plain message
/// when the shared data is absent, because no figure can be measured then.
pub fn snapshot_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/snapshots")
        .join(name);
    if !dir.join("coins_markets.json").is_file() {
        eprintln!(
            "error: the shared snapshot {} is missing; the benchmarks need ../shared/data next to the crate",
            dir.display()
        );
        std::process::exit(2);
    }
    dir
}

/// Loads a shared snapshot through the same reader the app uses.
pub fn load_snapshot(name: &str) -> MarketSnapshot {
    let dir = snapshot_dir(name);
    match SnapshotSource::new(&dir).load() {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!(
                "error: reading the snapshot {} failed: {error}",
                dir.display()
            );
            std::process::exit(2);
        }
    }
}

/// Builds 1,000 coins of 5 years each from the coins of `sources` with at
/// least that much history, cycling through them with bitcoin first. Copy k
/// keeps the last 5 years of its source, scales prices, volumes and caps by
/// `1 + k / 1000`, and is shifted so that every copy ends on 2025-02-11.
/// Copy 0 keeps the id `bitcoin`, so gem labels still have their benchmark.
pub fn replicate(sources: &[&MarketSnapshot]) -> MarketSnapshot {
    let end = NaiveDate::from_ymd_opt(2025, 2, 11).unwrap_or_default();
    let mut pool: Vec<(&Coin, &History)> = Vec::new();
    for snapshot in sources {
        for coin in &snapshot.coins {
            let Some(history) = snapshot.histories.get(&coin.id) else {
                continue;
            };
            if history.len() < SYNTHETIC_DAYS {
                continue;
            }
            if coin.id == BTC_ID {
                if !pool.iter().any(|(c, _)| c.id == BTC_ID) {
                    pool.insert(0, (coin, history));
                }
            } else {
                pool.push((coin, history));
            }
        }
    }
    assert!(
        pool.first().is_some_and(|(coin, _)| coin.id == BTC_ID),
        "the source snapshots have no bitcoin with 5 years of history"
    );

    let mut coins = Vec::with_capacity(SYNTHETIC_COINS);
    let mut histories = BTreeMap::new();
    for copy in 0..SYNTHETIC_COINS {
        let (source_coin, source_history) = pool[copy % pool.len()];
        let tail = &source_history[source_history.len() - SYNTHETIC_DAYS..];
        let shift = end - tail[tail.len() - 1].date;
        let factor = 1.0 + copy as f64 / 1000.0;
        let history: History = tail
            .iter()
            .map(|candle| {
                let mut c = *candle;
                c.date += shift;
                c.open *= factor;
                c.high *= factor;
                c.low *= factor;
                c.close *= factor;
                c.volume *= factor;
                c.market_cap *= factor;
                c
            })
            .collect();

        let mut coin = source_coin.clone();
        if copy > 0 {
            coin.id = format!("copy-{copy:04}");
            coin.symbol = format!("c{copy:04}");
            coin.name = format!("{} copy {copy}", source_coin.name);
        }
        let last = history[history.len() - 1];
        coin.current_price = Some(last.close);
        coin.market_cap = last.market_cap.is_finite().then_some(last.market_cap);
        coin.market_cap_rank = Some(copy as u32 + 1);
        coin.last_updated = Some(synthetic_as_of());
        histories.insert(coin.id.clone(), history);
        coins.push(coin);
    }
    MarketSnapshot {
        as_of: synthetic_as_of(),
        coins,
        histories,
    }
}

/// Returns where [`synthetic_snapshot_dir`] writes the replicated set.
pub fn synthetic_snapshot_path() -> PathBuf {
    work_dir().join("snapshot-1000-coins")
}

/// Writes the replicated set as a snapshot folder under the scratch folder,
/// once, so the real binary can start on it, and returns that folder.
pub fn synthetic_snapshot_dir() -> PathBuf {
    let dir = synthetic_snapshot_path();
    // Written last, so an interrupted write is redone.
    let marker = dir.join("complete");
    if marker.is_file() {
        return dir;
    }
    eprintln!("writing the 1,000-coin set to {} (once)", dir.display());
    let cmc = load_snapshot(CMC_2021);
    let yahoo = load_snapshot(YAHOO_2025);
    let synthetic = replicate(&[&cmc, &yahoo]);
    let _ = std::fs::remove_dir_all(&dir);
    let written = record_snapshot(&dir, &synthetic)
        .map_err(|error| error.to_string())
        .and_then(|()| std::fs::write(&marker, b"").map_err(|error| error.to_string()));
    if let Err(error) = written {
        eprintln!("error: writing {} failed: {error}", dir.display());
        std::process::exit(1);
    }
    dir
}

/// The time the replicated set describes: noon of the day after its last candle.
pub fn synthetic_as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, 12, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Loads both snapshots and the replicated set, labelled, in report order.
pub fn all_sets() -> Vec<(String, MarketSnapshot)> {
    let cmc = load_snapshot(CMC_2021);
    let yahoo = load_snapshot(YAHOO_2025);
    let synthetic = replicate(&[&cmc, &yahoo]);
    vec![
        (CMC_2021.to_string(), cmc),
        (YAHOO_2025.to_string(), yahoo),
        (SYNTHETIC_LABEL.to_string(), synthetic),
    ]
}

/// Median and range of repeated measurements, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Stats {
    pub fn from_samples(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Self {
            median,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            runs: n,
        }
    }

    /// Formats as "median (min–max, n runs)" in milliseconds.
    pub fn ms(&self) -> String {
        format!(
            "{:.2} ms ({:.2}–{:.2}, n={})",
            self.median * 1e3,
            self.min * 1e3,
            self.max * 1e3,
            self.runs
        )
    }

    /// Formats as "median (min–max, n runs)" in seconds.
    pub fn s(&self) -> String {
        format!(
            "{:.2} s ({:.2}–{:.2}, n={})",
            self.median, self.min, self.max, self.runs
        )
    }
}

/// Runs `work` `runs` times and returns the wall-clock statistics.
pub fn time_runs<T>(runs: usize, mut work: impl FnMut() -> T) -> Stats {
    let samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let output = work();
            let seconds = start.elapsed().as_secs_f64();
            drop(std::hint::black_box(output));
            seconds
        })
        .collect();
    Stats::from_samples(&samples)
}

/// Returns a field of `/proc/self/status` in KiB, such as `VmHWM` (peak
/// resident set size) or `VmRSS`; None off Linux.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|line| line.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Scratch folder of the benchmarks: `target/bench-work`.
pub fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-work")
}

/// Loads the models trained on `label`'s data by an earlier bench run, or
/// trains them with the default settings and saves them for the next run.
pub fn models_for(
    label: &str,
    snapshot: &MarketSnapshot,
    tables: &BTreeMap<String, FeatureTable>,
) -> ModelSet {
    let store = ModelStore::new(work_dir().join("models").join(label));
    if let Ok(models) = store.load(features::schema_hash()) {
        return models;
    }
    eprintln!(
        "training models on {label} for the benchmarks (once; saved under target/bench-work)"
    );
    let models = match ml::train(
        &snapshot.histories,
        tables,
        &TrainSettings::default(),
        &mut |_, _, _| {},
    ) {
        Ok(models) => models,
        Err(error) => {
            eprintln!("error: training on {label} failed: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = store.save(&models) {
        eprintln!(
            "warning: saving the bench models to {} failed: {error}",
            store.dir().display()
        );
    }
    models
}

/// Saved bench models and the data they were trained on.
pub struct BenchModels {
    pub label: &'static str,
    pub dir: PathBuf,
}

impl BenchModels {
    /// Returns the models the scoring bench trains on a shared snapshot.
    pub fn of_snapshot(label: &'static str) -> Self {
        Self {
            label,
            dir: work_dir().join("models").join(label),
        }
    }

    /// Returns the models for the 1,000-coin set: those trained on it by
    /// `bench/run --full` (the `full_training` bench) when they exist,
    /// otherwise the 2021 snapshot's, which are smaller.
    pub fn for_synthetic_set() -> Self {
        let data_dir = work_dir().join("full-training").join(SYNTHETIC_LABEL);
        let dir = coinlens::config::Paths::in_dir(&data_dir)
            .snapshot_models_dir(&synthetic_snapshot_path());
        if ModelStore::new(&dir).load(features::schema_hash()).is_ok() {
            Self {
                label: SYNTHETIC_LABEL,
                dir,
            }
        } else {
            Self::of_snapshot(CMC_2021)
        }
    }
}

/// GNU time, which records a child's peak resident set size.
pub const TIME: &str = "/usr/bin/time";

/// Reads the peak RSS in MiB that `TIME -f %M -o path` wrote, if it did.
pub fn time_peak_rss_mib(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let kib: f64 = text.lines().last()?.trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// Formats peak RSS readings in MiB as "median (min–max, n=…)" with
/// `decimals` digits, or returns the reason there are none.
pub fn peak_rss_text(peaks: &[f64], decimals: usize) -> String {
    if peaks.is_empty() {
        return format!("not measured: no {TIME}");
    }
    let stats = Stats::from_samples(peaks);
    format!(
        "{:.decimals$} MiB ({:.decimals$}–{:.decimals$}, n={})",
        stats.median, stats.min, stats.max, stats.runs
    )
}

/// Prints the heading of a results section.
pub fn heading(title: &str) {
    println!("\n## {title}\n");
}
