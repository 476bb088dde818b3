//! The UI loop driven by scripted keys on a `TestBackend`.

use chrono::{TimeZone, Utc};
use coinlens::engine::{Command, DataOrigin, EngineEvent};
use coinlens::market::Coin;
use coinlens::tui::{run_with_input, App, AppOptions};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::io;
use tokio::sync::mpsc;

fn key(c: char) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn bitcoin() -> Coin {
    Coin {
        id: "bitcoin".to_string(),
        symbol: "btc".to_string(),
        name: "Bitcoin".to_string(),
        current_price: Some(34_235.19),
        market_cap_rank: Some(1),
        ..Coin::default()
    }
}

#[tokio::test]
async fn keys_become_commands_until_quit() {
    let (command_sender, mut command_receiver) = mpsc::channel(8);
    let (event_sender, event_receiver) = mpsc::channel(8);
    event_sender
        .send(EngineEvent::MarketLoaded {
            coins: vec![bitcoin()],
            as_of: Utc.with_ymd_and_hms(2021, 7, 6, 0, 0, 0).unwrap(),
            origin: DataOrigin::Live,
        })
        .await
        .unwrap();
    let input = futures::stream::iter(vec![key('r'), key('t'), key('f'), key('q'), key('r')]);
    let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();
    let now = || Utc.with_ymd_and_hms(2021, 7, 6, 0, 5, 0).unwrap();

    let app = run_with_input(
        &mut terminal,
        App::new(AppOptions::default()),
        command_sender,
        event_receiver,
        input,
        now,
    )
    .await
    .unwrap();

    let mut commands = Vec::new();
    while let Ok(command) = command_receiver.try_recv() {
        commands.push(command);
    }
    assert_eq!(
        commands,
        [Command::Refresh, Command::Retrain, Command::Quit]
    );
    assert!(app.should_quit());
    assert!(app.favorites().contains("bitcoin"));
    assert_eq!(app.coins().len(), 1);
}

#[tokio::test]
async fn closed_input_quits() {
    let (command_sender, mut command_receiver) = mpsc::channel(8);
    let (_event_sender, event_receiver) = mpsc::channel(8);
    let input = futures::stream::iter(Vec::<io::Result<Event>>::new());
    let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();

    run_with_input(
        &mut terminal,
        App::new(AppOptions::default()),
        command_sender,
        event_receiver,
        input,
        Utc::now,
    )
    .await
    .unwrap();

    assert_eq!(command_receiver.try_recv().ok(), Some(Command::Quit));
}

#[tokio::test]
async fn engine_stop_becomes_notice() {
    let (command_sender, _command_receiver) = mpsc::channel(8);
    let (event_sender, event_receiver) = mpsc::channel::<EngineEvent>(8);
    drop(event_sender);
    let input = futures::stream::iter(vec![key('q')]);
    let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();

    let app = run_with_input(
        &mut terminal,
        App::new(AppOptions::default()),
        command_sender,
        event_receiver,
        input,
        Utc::now,
    )
    .await
    .unwrap();

    let notice = app.notice().unwrap_or_default();
    assert!(notice.contains("engine stopped"), "{notice}");
}
