//! Time `build_tables` on both shared snapshots and on 1,000 coins x 5 years
//! replicated from them, single-threaded, and print coin-days per second.

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::NaiveDate;
use coinlens::features::{build_tables, BTC_ID};
use coinlens::market::History;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

const SYNTHETIC_COINS: usize = 1000;
const SYNTHETIC_DAYS: usize = 5 * 365 + 1;
const REPEATS: usize = 3;

fn load_snapshot(name: &str) -> BTreeMap<String, History> {
    let ids = common::snapshot_ids(name);
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    common::load_histories(name, &id_refs)
}

/// Copies coins with at least five years of history, cycling through them:
/// copy k keeps the last 5 years, scales prices, volumes and caps by
/// `1 + k / 1000`, and is shifted so that every copy ends on the same date.
fn replicate(sources: &[&History], end: NaiveDate) -> BTreeMap<String, History> {
    let mut out = BTreeMap::new();
    for copy in 0..SYNTHETIC_COINS {
        let source = sources[copy % sources.len()];
        let tail = &source[source.len() - SYNTHETIC_DAYS..];
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
        let id = if copy == 0 {
            BTC_ID.to_owned()
        } else {
            format!("copy-{copy:04}")
        };
        out.insert(id, history);
    }
    out
}

/// Returns the CPU time (user + system) this process has used, from
/// `/proc/self/stat`, in seconds; None off Linux. On a machine shared with
/// other builds, CPU time shows what one free core would take, while the
/// wall-clock time also counts the waits for a core.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesized command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks of (on Linux) 100 Hz.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / 100.0)
}

fn measure(label: &str, histories: &BTreeMap<String, History>) {
    let coin_days: usize = histories.values().map(Vec::len).sum();
    let mut best_wall = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    for _ in 0..REPEATS {
        let cpu_start = process_cpu_seconds();
        let start = Instant::now();
        let tables = build_tables(black_box(histories));
        let seconds = start.elapsed().as_secs_f64();
        let cpu_end = process_cpu_seconds();
        drop(black_box(tables));
        best_wall = best_wall.min(seconds);
        if let (Some(a), Some(b)) = (cpu_start, cpu_end) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    println!(
        "{label:<34} {:>5} coins {:>8} coin-days | best of {REPEATS}: wall {:>6.3} s ({:>9.0} coin-days/s), CPU {:>5.2} s ({:>9.0} coin-days/s)",
        histories.len(),
        coin_days,
        best_wall,
        coin_days as f64 / best_wall,
        best_cpu,
        coin_days as f64 / best_cpu,
    );
}

fn main() {
    let cmc = load_snapshot(common::CMC_2021);
    let yahoo = load_snapshot(common::YAHOO_2025);
    measure("cmc-2021-23coins", &cmc);
    measure("yahoo-2025-14coins", &yahoo);

    // Bitcoin first, so copy 0 is the bitcoin every other copy relates to.
    let mut sources: Vec<&History> = vec![&cmc[BTC_ID]];
    sources.extend(
        cmc.iter()
            .chain(&yahoo)
            .filter(|(id, history)| id.as_str() != BTC_ID && history.len() >= SYNTHETIC_DAYS)
            .map(|(_, history)| history),
    );
    let end = NaiveDate::from_ymd_opt(2025, 2, 11).expect("valid date");
    let synthetic = replicate(&sources, end);
    measure("1000 coins x 5 years (replicated)", &synthetic);
}
