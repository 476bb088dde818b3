//! The on-disk history cache: one file per coin in the user data dir.
//!
//! Each coin's [`History`] lives in `<data dir>/history/<coin-id>.bin`,
//! written through [`crate::binfile`], so a write is atomic and a damaged file
//! (bad checksum, truncated, other format version) is detected on load. A
//! damaged file is logged with its path and treated as absent, so the caller
//! fetches that history again.

use crate::binfile::{self, BinFileError, FileKind};
use crate::market::History;
use std::path::{Path, PathBuf};

const HISTORY_KIND: FileKind = FileKind {
    tag: *b"HIST",
    version: 1,
};
/// History files do not depend on the feature schema.
const NO_SCHEMA: u64 = 0;
const MAX_ID_LEN: usize = 128;

/// Failure to read or write the history cache.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid coin id {id:?} for a cache file name: use only a-z, 0-9, '-', '_' and '.' (not '..')")]
    InvalidId { id: String },
    #[error("history cache access failed: {0}; check the permissions of the data folder")]
    File(#[from] BinFileError),
}

/// Reads and writes coin histories under one data folder.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    dir: PathBuf,
}

impl HistoryStore {
    /// Creates a store whose files go to `<data_dir>/history/`. Nothing is
    /// created until the first save.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: data_dir.into().join("history"),
        }
    }

    /// Folder holding the history files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the file path of coin `id`, or an error for an id that could
    /// escape the folder or is not a plain file name.
    pub fn path_of(&self, id: &str) -> Result<PathBuf, StoreError> {
        let valid = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && !id.contains("..")
            && !id.starts_with('.')
            && id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if !valid {
            return Err(StoreError::InvalidId { id: id.to_string() });
        }
        Ok(self.dir.join(format!("{id}.bin")))
    }

    /// Loads the cached history of `id`; `Ok(None)` when there is none or the
    /// file is damaged (logged with its path).
    pub fn load(&self, id: &str) -> Result<Option<History>, StoreError> {
        let path = self.path_of(id)?;
        match binfile::read::<History>(&path, HISTORY_KIND, NO_SCHEMA) {
            Ok(history) => Ok(Some(history)),
            Err(BinFileError::Missing { .. }) => Ok(None),
            Err(error) if error.is_invalid_content() => {
                tracing::warn!(path = %path.display(), %error, "ignoring damaged history cache file, will fetch again");
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Saves the history of `id`, replacing the previous file atomically.
    pub fn save(&self, id: &str, history: &History) -> Result<(), StoreError> {
        let path = self.path_of(id)?;
        binfile::write(&path, HISTORY_KIND, NO_SCHEMA, history)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;
    use chrono::NaiveDate;

    fn sample() -> History {
        let date = NaiveDate::from_ymd_opt(2021, 7, 6).unwrap();
        vec![Candle {
            open: 1.0,
            ..Candle::close_only(date, 2.0)
        }]
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::new(dir.path());
        store.save("bitcoin", &sample()).unwrap();
        let back = store.load("bitcoin").unwrap().unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].open, 1.0);
        assert!(back[0].high.is_nan());
        assert!(dir.path().join("history/bitcoin.bin").exists());
    }

    #[test]
    fn missing_file_loads_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::new(dir.path());
        assert!(store.load("ethereum").unwrap().is_none());
    }

    #[test]
    fn damaged_file_loads_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::new(dir.path());
        store.save("bitcoin", &sample()).unwrap();
        let path = store.path_of("bitcoin").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(store.load("bitcoin").unwrap().is_none());
    }

    #[test]
    fn unsafe_ids_are_rejected() {
        let store = HistoryStore::new("/tmp/unused");
        for id in ["", "../etc", "a/b", "..", ".hidden", "UPPER", "a\\b"] {
            assert!(
                matches!(store.path_of(id), Err(StoreError::InvalidId { .. })),
                "{id:?} was accepted"
            );
        }
        assert!(store.path_of("wrapped-bitcoin").is_ok());
    }
}
