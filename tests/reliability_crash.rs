//! Crash safety: a child process saves model sets and history cache entries
//! in a loop and is killed with SIGKILL after a random short delay, many
//! times. After each kill the files on disk must load as one complete,
//! consistent version (old or new) or fail with a detected error, and never
//! load silently mixed.
//!
//! The child is this test binary run again with `COINLENS_CRASH_CHILD` set.
//! `COINLENS_CRASH_KILLS` sets the number of kills per test (default 30).

use chrono::{Duration as TimeDelta, NaiveDate, TimeZone, Utc};
use coinlens::features;
use coinlens::market::{Candle, History};
use coinlens::ml::{self, ModelSet, ModelStore, TrainSettings};
use coinlens::store::HistoryStore;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xorshift::next_below;

const CHILD_ENV: &str = "COINLENS_CRASH_CHILD";
const DIR_ENV: &str = "COINLENS_CRASH_DIR";
const SEED_ENV: &str = "COINLENS_CRASH_SEED";
/// Marker file a child creates when its save loop starts.
const READY_FILE: &str = "child-ready";
const FIRST_VERSION_ENV: &str = "COINLENS_CRASH_FIRST_VERSION";

/// A tiny deterministic generator, so kill delays repeat from run to run.
mod xorshift {
    pub fn next_below(state: &mut u64, bound: u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound.max(1)
    }
}

fn kills() -> usize {
    std::env::var("COINLENS_CRASH_KILLS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30)
}

fn synthetic_histories() -> BTreeMap<String, History> {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut out = BTreeMap::new();
    for (index, id) in ["bitcoin", "ethereum", "dogecoin"].iter().enumerate() {
        let phase = index as f64;
        let history: History = (0..300)
            .map(|day| {
                let t = day as f64;
                let close = 100.0 * (1.0 + 0.3 * (t / 13.0 + phase).sin()) * (1.0 + t / 300.0);
                Candle {
                    date: start + TimeDelta::days(day),
                    open: close * 0.99,
                    high: close * 1.02,
                    low: close * 0.97,
                    close,
                    volume: 1e6 * (1.5 + (t / 5.0).cos()),
                    market_cap: close * 1e7 / (index as f64 + 1.0),
                }
            })
            .collect();
        out.insert(id.to_string(), history);
    }
    out
}

fn train_small() -> ModelSet {
    let histories = synthetic_histories();
    let tables = features::build_tables(&histories);
    let mut settings = TrainSettings::default();
    settings.price_forest.n_trees = 4;
    settings.price_forest.max_depth = 4;
    settings.gem_forest = settings.price_forest;
    ml::train(&histories, &tables, &settings, &mut |_, _, _| {}).expect("training works")
}

/// Stamps version `n` into a set: its training time (the set id) and the
/// scaler's first median, so a loaded set shows which save each part came from.
fn stamp(models: &mut ModelSet, n: i64) {
    models.report.trained_at = Utc.timestamp_millis_opt(1_600_000_000_000 + n).unwrap();
    models.scaler.medians[0] = n as f64;
}

fn version_of(models: &ModelSet) -> i64 {
    models.report.trained_at.timestamp_millis() - 1_600_000_000_000
}

fn history_version(n: i64) -> History {
    let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    // Length and every close carry the version, so a mixed file would show.
    let len = 200 + (n % 50) as usize;
    (0..len)
        .map(|day| Candle::close_only(start + TimeDelta::days(day as i64), n as f64))
        .collect()
}

/// Child mode: saves forever until killed. Model sets go to `dir/models`,
/// history entries to `dir`'s history cache.
fn child_main(dir: &Path, what: &str) {
    match what {
        "models" => {
            // The seed set is read from its own folder, because the models
            // folder may hold a mixed set left by the previous kill.
            let seed = ModelStore::new(dir.join("seed"));
            let mut models = seed
                .load(features::schema_hash())
                .expect("the parent saved the seed set");
            let store = ModelStore::new(dir.join("models"));
            let first: i64 = std::env::var(FIRST_VERSION_ENV)
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(2);
            let mut n = first;
            signal_ready(dir);
            loop {
                n += 1;
                stamp(&mut models, n);
                store.save(&models).expect("save works");
            }
        }
        _ => {
            let store = HistoryStore::new(dir);
            let mut n = 1;
            signal_ready(dir);
            loop {
                n += 1;
                store
                    .save("bitcoin", &history_version(n))
                    .expect("save works");
            }
        }
    }
}

/// Creates the marker file that tells the parent the save loop starts now.
fn signal_ready(dir: &Path) {
    std::fs::write(dir.join(READY_FILE), b"").expect("the marker file is writable");
}

/// Starts the child, waits until it reaches its save loop, then waits
/// `delay` more and kills it with SIGKILL.
fn kill_child_after(dir: &Path, what: &str, delay: Duration, first_version: i64) {
    let exe = std::env::current_exe().unwrap();
    let test_name = match what {
        "models" => "model_save_survives_sigkill",
        _ => "cache_write_survives_sigkill",
    };
    let mut child = Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, what)
        .env(DIR_ENV, dir)
        .env(FIRST_VERSION_ENV, first_version.to_string())
        .stdout(Stdio::null())
        .stderr(child_log(dir))
        .spawn()
        .expect("the test binary starts again");
    let marker = dir.join(READY_FILE);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !marker.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(delay);
    // Child::kill sends SIGKILL on Unix.
    child.kill().expect("kill works");
    child.wait().expect("wait works");
    let _ = std::fs::remove_file(&marker);
}

/// Opens `dir/children.log` for appending, so failure messages can show the children's stderr.
fn child_log(dir: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("children.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

fn child_messages(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("children.log")).unwrap_or_default();
    let start = text.len().saturating_sub(2000);
    text[start..].to_string()
}

fn child_mode() -> bool {
    if let (Ok(what), Ok(dir)) = (std::env::var(CHILD_ENV), std::env::var(DIR_ENV)) {
        child_main(Path::new(&dir), &what);
        return true;
    }
    false
}

fn seed() -> u64 {
    std::env::var(SEED_ENV)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0x5eed_c0ff_ee15_600d)
}

#[test]
fn model_save_survives_sigkill() {
    if child_mode() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::new(dir.path().join("models"));
    let previous = ModelStore::new(dir.path().join("models").join("previous"));
    let schema = features::schema_hash();
    let mut models = train_small();
    stamp(&mut models, 1);
    ModelStore::new(dir.path().join("seed"))
        .save(&models)
        .unwrap();
    store.save(&models).unwrap();
    let mut versions_seen = std::collections::BTreeSet::new();

    let mut state = seed();
    let started = Instant::now();
    let mut loaded_main = 0;
    let mut loaded_previous = 0;
    let mut detected = Vec::new();
    let total = kills();
    for kill in 0..total {
        // One save takes a few ms, so a random delay of up to 60 ms spreads
        // the kill over several saves and every point inside one.
        let delay = Duration::from_millis(next_below(&mut state, 60));
        kill_child_after(dir.path(), "models", delay, (kill as i64 + 1) * 1_000_000);

        let main = store.load(schema);
        let previous_set = previous.load(schema);
        if let Ok(set) = &main {
            assert_eq!(
                set.scaler.medians[0] as i64,
                version_of(set),
                "kill {kill}: main set mixes versions"
            );
            loaded_main += 1;
            versions_seen.insert(version_of(set));
        }
        if let Ok(set) = &previous_set {
            assert_eq!(
                set.scaler.medians[0] as i64,
                version_of(set),
                "kill {kill}: previous set mixes versions"
            );
            loaded_previous += 1;
        }
        if let Err(error) = &main {
            detected.push(error.to_string());
        }
        assert!(
            main.is_ok() || previous_set.is_ok(),
            "kill {kill}: neither the models nor previous/ load: {:?} / {:?}",
            main.err().map(|e| e.to_string()),
            previous_set.err().map(|e| e.to_string())
        );
    }
    eprintln!(
        "{total} kills in {:?}: main loaded {loaded_main}, previous loaded {loaded_previous}, detected errors {}, distinct versions loaded {}",
        started.elapsed(),
        detected.len(),
        versions_seen.len()
    );
    assert!(
        versions_seen.len() > 1,
        "no kill landed after a complete save; the delays are too short. Child output:\n{}",
        child_messages(dir.path())
    );
    for message in &detected {
        assert!(
            message.contains("does not match metadata.json")
                || message.contains("missing")
                || message.contains("truncated"),
            "unexpected error after a kill: {message}"
        );
    }
}

#[test]
fn cache_write_survives_sigkill() {
    if child_mode() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(dir.path());
    store.save("bitcoin", &history_version(1)).unwrap();

    let mut state = seed() ^ 0xcace;
    let total = kills();
    for kill in 0..total {
        let delay = Duration::from_millis(next_below(&mut state, 20));
        kill_child_after(dir.path(), "cache", delay, 0);

        let history = store
            .load("bitcoin")
            .unwrap_or_else(|error| panic!("kill {kill}: cache unreadable: {error}"))
            .unwrap_or_else(|| panic!("kill {kill}: cache entry lost or damaged"));
        let version = history[0].close;
        assert!(
            history.iter().all(|c| c.close == version),
            "kill {kill}: mixed entry"
        );
        assert_eq!(
            history.len(),
            history_version(version as i64).len(),
            "kill {kill}: entry length does not match version {version}"
        );
    }
    let leftovers = std::fs::read_dir(store.dir()).unwrap().count();
    eprintln!("{total} kills; {leftovers} files left in the cache folder");
}
