//! Logging to a file in the data dir, never to the terminal the UI owns.

use std::path::Path;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Capacity of the log queue in lines; when it is full, a log call waits for the writer thread.
const LOG_QUEUE_LINES: usize = 16_384;

/// Starts logging to `dir/file_name` at the `RUST_LOG` level (default
/// `info`). Keep the returned guard alive until exit so the last lines are
/// flushed. Fails, without panicking, when the folder or file cannot be
/// created or opened for writing.
pub fn init(dir: &Path, file_name: &str) -> std::io::Result<WorkerGuard> {
    std::fs::create_dir_all(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::NEVER)
        .filename_prefix(file_name)
        .build(dir)
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    // The default queue preallocates 128,000 lines (about 4 MB). A smaller
    // one is plenty here, and when it is full a log call waits for the
    // writer thread instead of dropping the line.
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .finish(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (in tests) keeps the first subscriber; that is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unopenable_log_file_is_an_error_not_a_panic() {
        // A folder where the log file should be cannot be opened for
        // writing, even by root, unlike a read-only folder.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("coinlens.log")).unwrap();
        assert!(init(dir.path(), "coinlens.log").is_err());
    }
}
