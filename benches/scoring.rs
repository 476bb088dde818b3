//! Times scoring every coin (`engine::pipeline::score`: each coin's scoring
//! rows of features, `ModelSet::predict_latest_from_histories` and
//! `rank_coins`) and drawing one frame of the coin table and of the detail
//! view into a `TestBackend`.
//!
//! The snapshots are scored with models trained on their own data. The
//! 1,000-coin set uses the models `bench/run --full` trained on it when they
//! exist, and otherwise those of cmc-2021-23coins.

mod support;

use coinlens::config::Config;
use coinlens::engine::{pipeline, DataOrigin, EngineEvent};
use coinlens::features::{self, build_tables};
use coinlens::ml::{GemRule, ModelStore};
use coinlens::tui::{view, App, AppOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

const SCORE_RUNS: usize = 5;
const DRAW_RUNS: usize = 30;
const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;

fn main() {
    let gem_rule = GemRule::default();
    let gem_min_lift = Config::default().gem.min_lift;
    support::heading("Scoring and drawing");
    println!(
        "Scoring = building each coin's last 60 feature rows, `ModelSet::predict_latest_from_histories` \
         and `analysis::rank_coins` over every coin, as the app does after each refresh or training run. \
         Drawing = one `terminal.draw` of the whole screen into a {WIDTH}x{HEIGHT} `TestBackend`, \
         with every coin loaded and scored. Target: under 5 ms per frame.\n"
    );
    println!("| data | coins | models from | scoring | coin-table frame | detail-view frame |");
    println!("|---|---:|---|---|---|---|");

    let sets = support::all_sets();
    let cmc_tables = build_tables(&sets[0].1.histories);
    let cmc_models = support::models_for(&sets[0].0, &sets[0].1, &cmc_tables);
    for (label, snapshot) in &sets {
        let own_models;
        let synthetic_models = support::BenchModels::for_synthetic_set();
        let (models, models_label) = if label == support::SYNTHETIC_LABEL {
            match ModelStore::new(&synthetic_models.dir).load(features::schema_hash()) {
                Ok(loaded) if synthetic_models.label == support::SYNTHETIC_LABEL => {
                    own_models = loaded;
                    (&own_models, support::SYNTHETIC_LABEL)
                }
                _ => (&cmc_models, support::CMC_2021),
            }
        } else if label == support::CMC_2021 {
            (&cmc_models, label.as_str())
        } else {
            own_models = support::models_for(label, snapshot, &build_tables(&snapshot.histories));
            (&own_models, label.as_str())
        };

        let score = || {
            pipeline::score(
                &snapshot.coins,
                &snapshot.histories,
                Some(models),
                &gem_rule,
                gem_min_lift,
            )
        };
        let scoring = support::time_runs(SCORE_RUNS, score);
        let scored = match score() {
            Ok(scored) => scored,
            Err(error) => {
                println!("| {label} | | | scoring failed: {error} | | |");
                continue;
            }
        };

        let mut app = App::new(AppOptions::default());
        app.apply(EngineEvent::MarketLoaded {
            coins: snapshot.coins.clone(),
            as_of: snapshot.as_of,
            origin: DataOrigin::Snapshot(label.clone()),
        });
        app.apply(EngineEvent::HistoriesLoaded(Arc::new(
            snapshot.histories.clone(),
        )));
        app.apply(EngineEvent::ModelsReady {
            report: Arc::new(models.report.clone()),
            loaded_from_disk: true,
        });
        app.apply(EngineEvent::Scored {
            coins: scored,
            as_of: snapshot.as_of,
        });
        let mut terminal = match Terminal::new(TestBackend::new(WIDTH, HEIGHT)) {
            Ok(terminal) => terminal,
            Err(error) => {
                println!("| {label} | | | | TestBackend failed: {error} | |");
                continue;
            }
        };
        let now = snapshot.as_of;
        let mut draw_frame = |app: &App| {
            terminal
                .draw(|frame| view::draw(frame, app, now))
                .map(|_| ())
        };
        let table_frame = support::time_runs(DRAW_RUNS, || draw_frame(&app));
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let detail_frame = support::time_runs(DRAW_RUNS, || draw_frame(&app));

        println!(
            "| {label} | {} | {models_label} | {} | {} | {} |",
            snapshot.coins.len(),
            scoring.ms(),
            table_frame.ms(),
            detail_frame.ms()
        );
    }
}
