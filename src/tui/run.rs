//! The UI loop: merges terminal input, engine events and a tick, and redraws
//! after each.

use super::app::App;
use super::view;
use crate::engine::{Command, EngineEvent};
use anyhow::Context;
use chrono::{DateTime, Utc};
use crossterm::event::{Event, EventStream};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::io;
use std::time::Duration;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::time::MissedTickBehavior;

/// How often the spinner advances and ages are redrawn without other events.
const TICK: Duration = Duration::from_millis(250);

/// When this environment variable is set, the loop quits right after the
/// first frame that shows scored coins with no job running. With the value
/// `scored`, a running job (such as the refresh after a start from the cache)
/// does not delay it. Only `benches/startup.rs` uses it, to time a cold
/// start, so it is deliberately not a documented option.
pub const EXIT_WHEN_READY_ENV: &str = "COINLENS_BENCH_EXIT_WHEN_READY";

/// When the loop quits by itself, from [`EXIT_WHEN_READY_ENV`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum ExitWhen {
    Never,
    ScoredAndIdle,
    Scored,
}

impl ExitWhen {
    fn from_env() -> Self {
        match std::env::var_os(EXIT_WHEN_READY_ENV) {
            None => Self::Never,
            Some(value) if value == "scored" => Self::Scored,
            Some(_) => Self::ScoredAndIdle,
        }
    }

    fn reached(self, app: &App) -> bool {
        let scored = !app.scored().is_empty() && app.report().is_some();
        match self {
            Self::Never => false,
            Self::ScoredAndIdle => scored && app.jobs().is_empty(),
            Self::Scored => scored,
        }
    }
}

/// Runs the UI until the user quits, reading keys from the terminal. The
/// caller owns terminal setup and restore and the engine task.
pub async fn run<B>(
    terminal: &mut Terminal<B>,
    app: App,
    commands: Sender<Command>,
    events: Receiver<EngineEvent>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    run_with_input(
        terminal,
        app,
        commands,
        events,
        EventStream::new(),
        Utc::now,
    )
    .await?;
    Ok(())
}

/// Runs the loop behind [`run`] with the input stream and clock as
/// parameters, so that tests can script keys and fix the time. Returns the
/// final state.
pub async fn run_with_input<B, S, C>(
    terminal: &mut Terminal<B>,
    mut app: App,
    commands: Sender<Command>,
    mut events: Receiver<EngineEvent>,
    mut input: S,
    now: C,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
    C: Fn() -> DateTime<Utc>,
{
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut engine_running = true;
    let exit_when = ExitWhen::from_env();

    let size = terminal
        .size()
        .context("reading the terminal size failed")?;
    app.set_page_size(view::table_page_size(size.height));
    draw(terminal, &app, &now)?;

    loop {
        tokio::select! {
            // Engine results first, so a key acts on the newest data.
            biased;
            event = events.recv(), if engine_running => match event {
                Some(event) => app.apply(event),
                None => {
                    engine_running = false;
                    tracing::error!("engine channel closed; refresh and retrain no longer work");
                    app.apply(EngineEvent::Notice(
                        "The background engine stopped; see the log file, then restart coinlens".to_string(),
                    ));
                }
            },
            input_event = input.next() => match input_event {
                Some(Ok(Event::Key(key))) => {
                    if let Some(command) = app.handle_key(key) {
                        send(&commands, command, &mut app).await;
                    }
                }
                Some(Ok(Event::Mouse(mouse))) => app.handle_mouse(mouse),
                Some(Ok(Event::Resize(_, height))) => app.set_page_size(view::table_page_size(height)),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error).context("reading terminal input failed"),
                None => {
                    tracing::info!("terminal input closed, quitting");
                    send(&commands, Command::Quit, &mut app).await;
                    break;
                }
            },
            _ = ticker.tick() => app.tick(),
        }

        if app.should_quit() {
            break;
        }
        draw(terminal, &app, &now)?;
        if exit_when.reached(&app) {
            tracing::info!("first complete frame drawn, quitting as {EXIT_WHEN_READY_ENV} asks");
            break;
        }
    }
    Ok(app)
}

fn draw<B, C>(terminal: &mut Terminal<B>, app: &App, now: &C) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    C: Fn() -> DateTime<Utc>,
{
    terminal
        .draw(|frame| view::draw(frame, app, now()))
        .context("drawing the screen failed")?;
    Ok(())
}

async fn send(commands: &Sender<Command>, command: Command, app: &mut App) {
    if commands.send(command).await.is_err() && command != Command::Quit {
        tracing::warn!(?command, "engine is not running, command dropped");
        app.apply(EngineEvent::Notice(format!(
            "{command:?} was not sent: the background engine is not running"
        )));
    }
}
