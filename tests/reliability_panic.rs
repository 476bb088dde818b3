//! The TUI's panic hook: restores the terminal and names the log file.
//!
//! The test runs this test binary again as a child that installs the hook
//! and panics, because a panic hook is global to the process.

use std::process::Command;

const CHILD_ENV: &str = "COINLENS_PANIC_CHILD";
/// crossterm's "leave alternate screen" sequence, written by `ratatui::restore`.
const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";

#[test]
fn panic_hook_restores_and_names_log() {
    if let Ok(log_path) = std::env::var(CHILD_ENV) {
        coinlens::app::install_panic_hook(log_path);
        panic!("deliberate panic for the hook test");
    }

    let log_path = "/tmp/coinlens-panic-test/coinlens.log";
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "panic_hook_restores_and_names_log",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_ENV, log_path)
        .output()
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success(), "the child did not panic");
    assert!(
        stdout.contains(LEAVE_ALTERNATE_SCREEN),
        "the terminal was not restored: {stdout:?}"
    );
    assert!(
        stderr.contains(&format!("coinlens crashed; the log is at {log_path}")),
        "no log path in the panic output:\n{stderr}"
    );
    let panic_at = stderr
        .find("deliberate panic")
        .expect("panic message shown");
    let notice_at = stderr.find("coinlens crashed").unwrap_or(0);
    assert!(
        panic_at < notice_at,
        "the log path should come after the panic message:\n{stderr}"
    );
}
