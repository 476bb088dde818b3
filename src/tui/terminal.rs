//! Terminal modes the UI turns on beyond what `ratatui::init` sets up.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use std::io;

/// Turns on mouse reporting so the wheel scrolls the table. Call
/// [`disable_mouse_capture`] before the program exits, also on panic, or
/// the shell keeps receiving mouse escape sequences.
pub fn enable_mouse_capture() -> io::Result<()> {
    crossterm::execute!(io::stdout(), EnableMouseCapture)
}

/// Turns mouse reporting off again; harmless when it was never on.
pub fn disable_mouse_capture() -> io::Result<()> {
    crossterm::execute!(io::stdout(), DisableMouseCapture)
}
