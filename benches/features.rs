//! Times `build_tables` on both shared snapshots and on 1,000 coins x 5
//! years replicated from them, and prints coin-days per second.

mod support;

use coinlens::features::build_tables;
use std::hint::black_box;
use std::time::Instant;
use support::Stats;

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

fn main() {
    support::heading("Feature table build (`features::build_tables`)");
    println!("| data | coins | coin-days | wall time, median (min–max) | coin-days/s (median) | CPU time, median |");
    println!("|---|---:|---:|---|---:|---:|");
    for (label, snapshot) in support::all_sets() {
        let histories = &snapshot.histories;
        let coin_days: usize = histories.values().map(Vec::len).sum();
        let runs = if coin_days > 500_000 { 3 } else { 5 };
        let mut wall = Vec::with_capacity(runs);
        let mut cpu = Vec::with_capacity(runs);
        for _ in 0..runs {
            let cpu_start = process_cpu_seconds();
            let start = Instant::now();
            let tables = build_tables(black_box(histories));
            wall.push(start.elapsed().as_secs_f64());
            if let (Some(a), Some(b)) = (cpu_start, process_cpu_seconds()) {
                cpu.push(b - a);
            }
            drop(black_box(tables));
        }
        let wall = Stats::from_samples(&wall);
        let cpu = Stats::from_samples(&cpu);
        println!(
            "| {label} | {} | {coin_days} | {} | {:.0} | {:.2} s |",
            histories.len(),
            wall.s(),
            coin_days as f64 / wall.median,
            cpu.median,
        );
    }
    println!(
        "\nCPU time comes from /proc/self/stat in 10 ms ticks; `build_tables` runs on one thread."
    );
}
