//! Whole-screen snapshots of every view in its empty, loading, loaded and
//! error states, drawn into a `TestBackend` at 120x30 with a fixed clock.
//!
//! Market values are the real CoinGecko figures of 2021-07-06 for the large
//! coins; two small coins with nulls are added to cover missing data.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use coinlens::analysis::ScoredCoin;
use coinlens::engine::{DataOrigin, EngineEvent, Job};
use coinlens::market::{Candle, Coin, History};
use coinlens::ml::agent::{Signal, SignalAction};
use coinlens::ml::{Baseline, Driver, Metric, ModelReport};
use coinlens::tui::view;
use coinlens::tui::{Action, App, AppOptions, KeyBindings};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 30;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 6, 12, 0, 0).unwrap()
}

fn live_as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 6, 11, 56, 0).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn coin(
    id: &str,
    symbol: &str,
    name: &str,
    price: Option<f64>,
    market_cap: Option<f64>,
    rank: Option<u32>,
    volume: Option<f64>,
    change_24h: Option<f64>,
    change_7d: Option<f64>,
) -> Coin {
    Coin {
        id: id.to_string(),
        symbol: symbol.to_string(),
        name: name.to_string(),
        current_price: price,
        market_cap,
        market_cap_rank: rank,
        total_volume: volume,
        price_change_percentage_24h: change_24h,
        price_change_percentage_7d: change_7d,
        price_change_percentage_30d: None,
        ath: None,
        last_updated: Some(live_as_of()),
    }
}

fn coins() -> Vec<Coin> {
    vec![
        coin(
            "bitcoin",
            "btc",
            "Bitcoin",
            Some(34_235.193_451),
            Some(641_899_161_593.76),
            Some(1),
            Some(26_501_259_869.76),
            Some(1.449_63),
            Some(-4.551_67),
        ),
        coin(
            "ethereum",
            "eth",
            "Ethereum",
            Some(2_324.679_449),
            Some(271_028_619_181.2),
            Some(2),
            Some(20_891_861_314.44),
            Some(5.735_38),
            Some(7.585_78),
        ),
        coin(
            "tether",
            "usdt",
            "Tether",
            Some(1.000_090_09),
            Some(62_333_837_884.45),
            Some(3),
            Some(51_054_194_252.83),
            Some(-0.057_69),
            Some(0.006_64),
        ),
        coin(
            "dogecoin",
            "doge",
            "Dogecoin",
            Some(0.234_421_76),
            Some(30_552_518_423.82),
            Some(7),
            Some(1_265_920_168.53),
            Some(1.212_07),
            Some(-10.787_84),
        ),
        coin(
            "solana",
            "sol",
            "Solana",
            Some(34.269_139_71),
            Some(9_343_050_096.63),
            Some(11),
            Some(365_336_040.07),
            Some(3.8944),
            Some(1.188),
        ),
        coin(
            "tinydog",
            "tdog",
            "Tiny Dog",
            Some(0.000_006_423),
            Some(12_400_000.0),
            Some(812),
            Some(531_000.0),
            Some(-8.3),
            None,
        ),
        coin(
            "nocap",
            "ncap",
            "No Cap Token",
            Some(0.0412),
            None,
            None,
            Some(88_200.0),
            None,
            None,
        ),
    ]
}

fn scored(
    coin: &Coin,
    predicted: Option<f64>,
    spread: Option<f64>,
    gem: Option<f64>,
    score: f64,
    rank: usize,
) -> ScoredCoin {
    ScoredCoin {
        coin: coin.clone(),
        predicted_return_7d: predicted,
        prediction_spread: spread,
        out_of_range: false,
        gem_probability: gem,
        score,
        rank,
        is_gem: gem.is_some_and(|p| p >= 0.5),
        // A made-up but plausible spread of advice: rising predictions buy, falling ones sell.
        signal: predicted.map(|p| Signal {
            action: if p > 0.03 {
                SignalAction::Buy
            } else if p < 0.0 {
                SignalAction::Sell
            } else {
                SignalAction::Hold
            },
            value: p.abs() / 10.0,
        }),
        note: None,
        drivers: Vec::new(),
    }
}

/// Made-up drivers in the shape the price model reports them.
fn bitcoin_drivers() -> Vec<Driver> {
    [
        ("macd_line_pct", -0.0255, -0.0031),
        ("drawdown_90", -0.4609, -0.0029),
        ("sma_50_ratio", 0.0569, 0.0025),
        ("market_cap_rank_change_7d", 0.0, 0.0012),
        ("log_market_cap", 27.19, -0.0008),
        ("volume_to_market_cap", f64::NAN, 0.0001),
    ]
    .into_iter()
    .map(|(feature, value, effect)| Driver {
        feature: feature.to_string(),
        value,
        effect,
    })
    .collect()
}

fn scored_coins(coins: &[Coin]) -> Vec<ScoredCoin> {
    let mut list = vec![
        scored(&coins[0], Some(0.0132), Some(0.0211), Some(0.02), 0.41, 4),
        scored(&coins[1], Some(0.0374), Some(0.0302), Some(0.05), 0.63, 2),
        scored(&coins[2], Some(0.0002), Some(0.0004), Some(0.0), 0.12, 6),
        scored(&coins[3], Some(-0.0215), Some(0.0530), Some(0.11), 0.22, 5),
        scored(&coins[4], Some(0.0611), Some(0.0448), Some(0.38), 0.77, 1),
        scored(&coins[5], Some(0.1420), Some(0.1190), Some(0.64), 0.58, 3),
        scored(&coins[6], None, None, None, 0.0, 7),
    ];
    list[0].drivers = bitcoin_drivers();
    list[5].out_of_range = true;
    list[6].note = Some("history shorter than 60 days: no prediction".to_string());
    list
}

fn report() -> ModelReport {
    let metric = |name: &str, model: f64, baselines: &[(&str, f64)]| Metric {
        name: name.to_string(),
        model,
        baselines: baselines
            .iter()
            .map(|(name, value)| Baseline {
                name: name.to_string(),
                value: *value,
            })
            .collect(),
    };
    ModelReport {
        trained_at: Utc.with_ymd_and_hms(2021, 7, 6, 9, 30, 0).unwrap(),
        data_start: NaiveDate::from_ymd_opt(2019, 7, 1),
        data_end: NaiveDate::from_ymd_opt(2021, 7, 6),
        coins: coins().iter().map(|c| c.id.clone()).collect(),
        feature_names: (0..24).map(|i| format!("feature_{i}")).collect(),
        schema_hash: 0x5eed,
        train_rows: 4_812,
        test_rows: 1_203,
        test_start: NaiveDate::from_ymd_opt(2021, 2, 1),
        final_rows: 6_015,
        price_metrics: vec![
            metric("MAE", 0.0612, &[("zero return", 0.0655), ("7-day momentum", 0.0871)]),
            metric("R²", 0.0085, &[("zero return", -0.0296), ("7-day momentum", -0.8748)]),
            metric("direction hit rate", 0.5337, &[("zero return", f64::NAN), ("7-day momentum", 0.4873)]),
        ],
        gem_metrics: vec![
            metric("ROC-AUC", 0.6812, &[("base rate", 0.5), ("random ranking", 0.4979)]),
            metric("precision@10", 0.3000, &[("base rate", 0.1120), ("random ranking", 0.1271)]),
        ],
        warnings: vec!["gem detector ROC-AUC 0.681 is above 0.65: suspected leakage, check the features before trusting it".to_string()],
        ..ModelReport::default()
    }
}

/// Builds a year of closes that rise with a weekly wave, for coins whose
/// real history the test does not need.
fn synthetic_history(start_price: f64) -> History {
    let first = NaiveDate::from_ymd_opt(2020, 7, 7).unwrap();
    (0..365)
        .map(|day| {
            let wave = (day as f64 / 7.0).sin() * 0.03;
            let close = start_price * (1.0 + day as f64 * 0.002 + wave);
            Candle::close_only(first + chrono::Days::new(day), close)
        })
        .collect()
}

/// Bitcoin's real daily closes from the shared snapshot folder.
fn bitcoin_history() -> History {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/snapshots/cmc-2021-23coins/market_chart/bitcoin.json"
    ));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "shared data file {} is missing or unreadable: {e}",
            path.display()
        )
    });
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
    let prices = body["prices"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no \"prices\" array", path.display()));
    prices
        .iter()
        .filter_map(|pair| {
            let millis = pair[0].as_i64()?;
            let close = pair[1].as_f64()?;
            // A close stamped 00:00 UTC belongs to the day before.
            let date = DateTime::from_timestamp_millis(millis)?
                .date_naive()
                .pred_opt()?;
            Some(Candle::close_only(date, close))
        })
        .collect()
}

fn market_loaded(origin: DataOrigin) -> EngineEvent {
    EngineEvent::MarketLoaded {
        coins: coins(),
        as_of: live_as_of(),
        origin,
    }
}

fn loaded_app() -> App {
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::ModelsReady {
        report: Arc::new(report()),
        loaded_from_disk: true,
    });
    app.apply(market_loaded(DataOrigin::Live));
    app.apply(EngineEvent::Scored {
        coins: scored_coins(&coins()),
        as_of: live_as_of(),
    });
    app.apply(EngineEvent::Finished(Job::Score));
    app
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn render_at(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, app, now()))
        .unwrap();
    terminal.backend().to_string()
}

fn render(app: &App) -> String {
    render_at(app, WIDTH, HEIGHT)
}

#[test]
fn waiting_before_any_event() {
    assert_snapshot!(render(&App::new(AppOptions::default())));
}

#[test]
fn loading_with_progress() {
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::Progress {
        job: Job::Fetch,
        done: 3,
        total: 10,
        detail: "ethereum history".to_string(),
    });
    assert_snapshot!(render(&app));
}

#[test]
fn error_before_data() {
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::Failed {
        job: Job::Fetch,
        message: "CoinGecko request timed out after 30s".to_string(),
    });
    assert_snapshot!(render(&app));
}

#[test]
fn empty_market_list() {
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::MarketLoaded {
        coins: Vec::new(),
        as_of: live_as_of(),
        origin: DataOrigin::Live,
    });
    assert_snapshot!(render(&app));
}

#[test]
fn coins_loaded() {
    assert_snapshot!(render(&loaded_app()));
}

#[test]
fn coins_before_scores() {
    let mut app = App::new(AppOptions::default());
    app.apply(market_loaded(DataOrigin::Cache));
    app.apply(EngineEvent::Progress {
        job: Job::Train,
        done: 2,
        total: 7,
        detail: "dogecoin".to_string(),
    });
    assert_snapshot!(render(&app));
}

#[test]
fn loaded_with_refresh_error() {
    let mut app = loaded_app();
    app.apply(EngineEvent::Failed {
        job: Job::Fetch,
        message: "CoinGecko rate limit (HTTP 429), retry after 60s".to_string(),
    });
    assert_snapshot!(render(&app));
}

#[test]
fn stale_cache() {
    let mut app = App::new(AppOptions::default());
    app.apply(EngineEvent::MarketLoaded {
        coins: coins(),
        as_of: Utc.with_ymd_and_hms(2021, 7, 5, 20, 15, 0).unwrap(),
        origin: DataOrigin::Cache,
    });
    app.apply(EngineEvent::Notice(
        "showing cached data while offline".to_string(),
    ));
    assert_snapshot!(render(&app));
}

#[test]
fn snapshot_origin_shows_day() {
    let mut app = loaded_app();
    app.apply(EngineEvent::MarketLoaded {
        coins: coins(),
        as_of: Utc.with_ymd_and_hms(2021, 7, 6, 0, 0, 0).unwrap(),
        origin: DataOrigin::Snapshot("cmc-2021-23coins".to_string()),
    });
    assert_snapshot!(render(&app));
}

#[test]
fn predictions_view() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Tab);
    assert_snapshot!(render(&app));
}

#[test]
fn gems_view() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_snapshot!(render(&app));
}

#[test]
fn gems_none_pass() {
    let mut app = loaded_app();
    let mut scores = scored_coins(&coins());
    for s in &mut scores {
        s.is_gem = false;
    }
    app.apply(EngineEvent::Scored {
        coins: scores,
        as_of: live_as_of(),
    });
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_snapshot!(render(&app));
}

#[test]
fn gems_without_market_caps() {
    let mut app = App::new(AppOptions::default());
    let mut no_caps = coins();
    for coin in &mut no_caps {
        coin.market_cap = None;
        coin.market_cap_rank = None;
    }
    let mut scores = scored_coins(&no_caps);
    for s in &mut scores {
        s.is_gem = false;
    }
    app.apply(EngineEvent::MarketLoaded {
        coins: no_caps,
        as_of: Utc.with_ymd_and_hms(2025, 2, 11, 0, 0, 0).unwrap(),
        origin: DataOrigin::Snapshot("yahoo-2025-14coins".to_string()),
    });
    app.apply(EngineEvent::Scored {
        coins: scores,
        as_of: Utc.with_ymd_and_hms(2025, 2, 11, 0, 0, 0).unwrap(),
    });
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_snapshot!(render(&app));
}

#[test]
fn favourites_empty() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::BackTab);
    assert_snapshot!(render(&app));
}

#[test]
fn favourites_after_toggle() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::BackTab);
    assert_snapshot!(render(&app));
}

#[test]
fn filter_prompt_open() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('/'));
    for c in "coin".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert_snapshot!(render(&app));
}

#[test]
fn filter_without_match() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('/'));
    for c in "xyz".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(render(&app));
}

#[test]
fn sorted_by_price_ascending() {
    let mut app = loaded_app();
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('s'));
    }
    app.handle_key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT));
    assert_snapshot!(render(&app));
}

#[test]
fn help_overlay() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('?'));
    assert_snapshot!(render(&app));
}

#[test]
fn models_panel() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('m'));
    assert_snapshot!(render(&app));
}

#[test]
fn models_panel_before_training() {
    let mut app = App::new(AppOptions::default());
    app.apply(market_loaded(DataOrigin::Live));
    press(&mut app, KeyCode::Char('m'));
    assert_snapshot!(render(&app));
}

#[test]
fn detail_view_bitcoin() {
    let mut app = loaded_app();
    let mut histories = BTreeMap::new();
    histories.insert("bitcoin".to_string(), bitcoin_history());
    app.apply(EngineEvent::HistoriesLoaded(Arc::new(histories)));
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(render(&app));
}

#[test]
fn detail_view_last_30_days() {
    let mut app = loaded_app();
    let mut histories = BTreeMap::new();
    histories.insert("bitcoin".to_string(), bitcoin_history());
    app.apply(EngineEvent::HistoriesLoaded(Arc::new(histories)));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.chart_days(), 30);
    assert_snapshot!(render(&app));
}

#[test]
fn chart_range_cycles_back() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(
        app.chart_days(),
        180,
        "c outside the detail view changes nothing"
    );
    press(&mut app, KeyCode::Enter);
    for expected in [90, 30, 180] {
        press(&mut app, KeyCode::Char('c'));
        assert_eq!(app.chart_days(), expected);
    }
}

#[test]
fn mouse_wheel_moves_selection() {
    let mut app = loaded_app();
    let wheel = |kind| MouseEvent {
        kind,
        column: 10,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    app.handle_mouse(wheel(MouseEventKind::ScrollDown));
    app.handle_mouse(wheel(MouseEventKind::ScrollDown));
    assert_eq!(
        app.selected_row().map(|r| r.coin.id.clone()),
        Some(row_id_at(&app, 2))
    );
    app.handle_mouse(wheel(MouseEventKind::ScrollUp));
    assert_eq!(
        app.selected_row().map(|r| r.coin.id.clone()),
        Some(row_id_at(&app, 1))
    );

    press(&mut app, KeyCode::Char('?'));
    app.handle_mouse(wheel(MouseEventKind::ScrollDown));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.selected_row().map(|r| r.coin.id.clone()),
        Some(row_id_at(&app, 1)),
        "the wheel must not move the table under the help overlay"
    );
}

/// Id of the row `index` in the current view's order.
fn row_id_at(app: &App, index: usize) -> String {
    app.visible_rows()[index].coin.id.clone()
}

#[test]
fn detail_view_without_history() {
    let mut app = loaded_app();
    let mut histories = BTreeMap::new();
    histories.insert("solana".to_string(), synthetic_history(2.0));
    app.apply(EngineEvent::HistoriesLoaded(Arc::new(histories)));
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(render(&app));
}

#[test]
fn too_small_terminal() {
    assert_snapshot!(render_at(&loaded_app(), 50, 12));
}

#[test]
fn minimum_size_draws_table() {
    let screen = render_at(&loaded_app(), view::MIN_WIDTH, view::MIN_HEIGHT);
    assert!(!screen.contains("too small"), "{screen}");
    assert!(screen.contains("Bitcoin"), "{screen}");
}

#[test]
fn help_lists_every_key() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app);
    let keys = KeyBindings::default();

    for action in Action::all() {
        let label = keys.label(action);
        assert!(
            screen.contains(&label),
            "help is missing keys {label:?} of {action:?}\n{screen}"
        );
        assert!(
            screen.contains(action.description()),
            "help is missing the description of {action:?}\n{screen}"
        );
        // The config name is the last cell before the popup's right border.
        let row = screen
            .lines()
            .find(|line| line.contains(action.description()))
            .unwrap_or_default();
        let after_description = row
            .split_once(action.description())
            .map_or("", |(_, rest)| rest);
        let name_cell = after_description.split('│').next().unwrap_or_default();
        assert_eq!(
            name_cell.trim(),
            action.name(),
            "help row of {action:?}\n{screen}"
        );
    }
}

#[test]
fn narrow_help_keeps_descriptions() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('?'));
    let screen = render_at(&app, 80, 30);
    for action in Action::all() {
        assert!(
            screen.contains(action.description()),
            "narrow help cut the description of {action:?}\n{screen}"
        );
    }
    assert!(!screen.contains("toggle_favorite"), "{screen}");
}

#[test]
fn help_and_footer_follow_remap() {
    let keys = KeyBindings::from_toml("refresh = \"F5\"\nhelp = \"h\"\n").unwrap();
    let mut app = App::new(AppOptions {
        keys,
        ..AppOptions::default()
    });
    app.apply(market_loaded(DataOrigin::Live));

    let footer_screen = render(&app);
    assert!(footer_screen.contains("F5 refresh"), "{footer_screen}");
    assert!(footer_screen.contains("h help"), "{footer_screen}");

    press(&mut app, KeyCode::Char('h'));
    let help_screen = render(&app);
    let refresh_line = help_screen
        .lines()
        .find(|line| line.contains(Action::Refresh.description()))
        .unwrap_or_else(|| panic!("help has no refresh row\n{help_screen}"));
    assert!(refresh_line.contains("F5"), "{refresh_line}");
}

#[test]
fn narrow_terminals_drop_whole_columns() {
    let app = loaded_app();
    for width in [80u16, 100] {
        let screen = render_at(&app, width, 20);
        // No number loses its leading digits: bitcoin's full price is there.
        assert!(screen.contains("34,235.19"), "width {width}:\n{screen}");
        insta::assert_snapshot!(format!("coins_at_{width}_columns"), screen);
    }
}

#[test]
fn finished_training_ends_training_notices() {
    let mut app = loaded_app();
    app.apply(EngineEvent::Notice(
        "no saved models yet: training after the data loads".to_string(),
    ));
    assert!(app.notice().is_some());
    app.apply(EngineEvent::Finished(Job::Train));
    assert_eq!(app.notice(), None);

    app.apply(EngineEvent::Notice(
        "models trained but not saved".to_string(),
    ));
    assert_eq!(app.notice(), Some("models trained but not saved"));
}

#[test]
fn overlays_scroll_on_a_small_terminal() {
    let mut app = loaded_app();
    press(&mut app, KeyCode::Char('?'));
    let top = render_at(&app, 60, 15);
    let last = Action::Help.description();
    assert!(
        !top.contains(last),
        "the last key fits without scrolling?\n{top}"
    );
    assert!(top.contains("scroll"), "{top}");
    press(&mut app, KeyCode::End);
    let bottom = render_at(&app, 60, 15);
    assert!(bottom.contains(last), "{bottom}");
    assert!(!bottom.contains(Action::Quit.description()), "{bottom}");
    press(&mut app, KeyCode::Home);
    assert!(render_at(&app, 60, 15).contains(Action::Quit.description()));

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('m'));
    let first = render_at(&app, 60, 15);
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('j'));
    }
    let scrolled = render_at(&app, 60, 15);
    assert_ne!(first, scrolled, "j must scroll the models panel");
    assert!(first.contains("Trained"), "{first}");
    assert!(!scrolled.contains("Trained"), "{scrolled}");
}

#[test]
fn narrow_footer_keeps_the_help_hint() {
    let app = loaded_app();
    let screen = render_at(&app, 60, 15);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("? help"), "{footer}");
    assert!(footer.contains("q/Ctrl-c quit"), "{footer}");
}
