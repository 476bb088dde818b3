//! Peak resident memory with 1,000 coins loaded, doing what the running app
//! does: the replicated histories, models loaded from disk, scoring (which
//! builds each coin's scoring rows of features in turn), the ranking and an
//! app with all of it, drawn once. Run as its own process so that the peak belongs to this
//! workload alone. The full tables that a training run builds are measured
//! after that peak, as a separate figure.

mod support;

use coinlens::config::Config;
use coinlens::engine::{pipeline, DataOrigin, EngineEvent};
use coinlens::features::{self, build_tables};
use coinlens::ml::{GemRule, ModelStore, SCORING_ROWS};
use coinlens::tui::{view, App, AppOptions};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

fn mib(kib: Option<u64>) -> String {
    kib.map_or("unknown (no /proc)".to_string(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    })
}

fn main() {
    // The models come from disk, as in the app: training them here would
    // put training's peak into this figure.
    let bench_models = support::BenchModels::for_synthetic_set();
    let store = ModelStore::new(&bench_models.dir);
    let models = match store.load(features::schema_hash()) {
        Ok(models) => models,
        Err(error) => {
            eprintln!(
                "error: no bench models in {} ({error}); run `cargo bench --bench scoring` first",
                store.dir().display()
            );
            std::process::exit(1);
        }
    };
    let baseline = support::proc_status_kib("VmHWM");

    let mut synthetic = {
        let cmc = support::load_snapshot(support::CMC_2021);
        let yahoo = support::load_snapshot(support::YAHOO_2025);
        support::replicate(&[&cmc, &yahoo])
    };
    let after_sources = support::proc_status_kib("VmRSS");
    // One shared copy of the histories, as the engine and the app share theirs.
    let histories = Arc::new(std::mem::take(&mut synthetic.histories));
    let scored = match pipeline::score(
        &synthetic.coins,
        &histories,
        Some(&models),
        &GemRule::default(),
        Config::default().gem.min_lift,
    ) {
        Ok(scored) => scored,
        Err(error) => {
            eprintln!("error: scoring failed: {error}");
            std::process::exit(1);
        }
    };
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::MarketLoaded {
        coins: synthetic.coins.clone(),
        as_of: synthetic.as_of,
        origin: DataOrigin::Snapshot(support::SYNTHETIC_LABEL.to_string()),
    });
    app.apply(EngineEvent::HistoriesLoaded(histories.clone()));
    app.apply(EngineEvent::ModelsReady {
        report: Arc::new(models.report.clone()),
        loaded_from_disk: true,
    });
    app.apply(EngineEvent::Scored {
        coins: scored,
        as_of: synthetic.as_of,
    });
    let Ok(mut terminal) = Terminal::new(TestBackend::new(160, 45));
    let _ = terminal.draw(|frame| view::draw(frame, &app, synthetic.as_of));
    let peak = support::proc_status_kib("VmHWM");
    let current = support::proc_status_kib("VmRSS");
    std::hint::black_box(&app);

    // What a training run adds on top: the full tables it builds first.
    let full = build_tables(&histories);
    let with_full_tables = support::proc_status_kib("VmHWM");
    std::hint::black_box(&full);

    support::heading("Peak memory with 1,000 coins loaded");
    println!(
        "Target: peak RSS at most 150 MB (143 MiB). Models trained on {}.\n",
        bench_models.label
    );
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| peak RSS after loading the models only | {} |",
        mib(baseline)
    );
    println!(
        "| RSS after building the 1,000-coin set (source snapshots freed) | {} |",
        mib(after_sources)
    );
    println!(
        "| **peak RSS** (VmHWM) with histories, models, scoring, ranking and app | **{}** |",
        mib(peak)
    );
    println!("| RSS after drawing | {} |", mib(current));
    println!(
        "| peak RSS once a training run has also built the full tables (not a target) | {} |",
        mib(with_full_tables)
    );
    println!(
        "\nThe app keeps no feature tables: scoring builds the last {SCORING_ROWS} rows of one coin at a time on each core, \
         and a training run builds the full tables (1.8 million rows of 47 values here) and drops them when it ends. \
         The peak includes the two source snapshots read to build the set, freed before scoring."
    );
}
