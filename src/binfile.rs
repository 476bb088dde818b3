//! Versioned binary files: a fixed header, then a bincode body.
//!
//! This is the only module that calls bincode. Model files and history cache
//! files both go through it, so every file on disk carries the same header:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `COINLENS` |
//! | 4 | kind tag, such as `PRCE` for the price model |
//! | 2 | format version of that kind, little endian |
//! | 8 | feature-schema hash (0 where no schema applies), little endian |
//! | 8 | body length in bytes, little endian |
//! | 4 | CRC-32 of the body, little endian |
//!
//! Writes go to a temporary file in the same folder, are flushed with
//! `fsync`, then renamed over the target, so a crash leaves either the old
//! file or the new one and never a half-written file under the real name.
//! A temporary file left by a killed process is removed by the first write
//! into its folder once it is [`STALE_TEMP_AGE`] old.

use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Age after which a temporary file is taken to be left by a killed writer.
/// A write takes milliseconds, so a live writer's file is never this old.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Folders already swept for stale temporary files by this process.
static SWEPT_DIRS: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

const MAGIC: &[u8; 8] = b"COINLENS";
const HEADER_LEN: usize = 8 + 4 + 2 + 8 + 8 + 4;

/// Identity of a file kind: what the header must say for a read to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub tag: [u8; 4],
    pub version: u16,
}

/// Why a file could not be read; each variant names what the caller should do.
#[derive(Debug, thiserror::Error)]
pub enum BinFileError {
    #[error("{path} is missing")]
    Missing { path: PathBuf },
    #[error("{path} could not be read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is truncated: {found} bytes, expected {expected}")]
    Truncated {
        path: PathBuf,
        found: usize,
        expected: usize,
    },
    #[error("{path} is not a coinlens file of kind {expected} (header says {found})")]
    WrongKind {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{path} has format version {found}, this build reads version {expected}")]
    WrongVersion {
        path: PathBuf,
        found: u16,
        expected: u16,
    },
    #[error("{path} was written for feature schema {found:016x}, this build uses {expected:016x}")]
    WrongSchema {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error("{path} is corrupt: checksum mismatch")]
    ChecksumMismatch { path: PathBuf },
    #[error("{path} is corrupt: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("could not encode data for {path}: {message}")]
    Encode { path: PathBuf, message: String },
}

impl BinFileError {
    /// Returns true when the file exists but must not be used (damaged, or
    /// written by another version), as opposed to missing or unreadable.
    pub fn is_invalid_content(&self) -> bool {
        !matches!(self, Self::Missing { .. } | Self::Io { .. })
    }
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Encodes `value` with a header and writes it atomically to `path`.
pub fn write<T: Serialize>(
    path: &Path,
    kind: FileKind,
    schema_hash: u64,
    value: &T,
) -> Result<(), BinFileError> {
    let body = bincode::serde::encode_to_vec(value, bincode_config()).map_err(|error| {
        BinFileError::Encode {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    })?;

    let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&kind.tag);
    bytes.extend_from_slice(&kind.version.to_le_bytes());
    bytes.extend_from_slice(&schema_hash.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);

    write_atomic(path, &bytes).map_err(|source| BinFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and checks a file written by [`write`]: magic, kind, version, schema
/// hash, length and checksum must all match before the body is decoded.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: FileKind,
    schema_hash: u64,
) -> Result<T, BinFileError> {
    let bytes = fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            BinFileError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            BinFileError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let body = check_header(path, &bytes, kind, schema_hash)?;

    let (value, _) =
        bincode::serde::decode_from_slice(body, bincode_config()).map_err(|error| {
            BinFileError::Decode {
                path: path.to_path_buf(),
                message: error.to_string(),
            }
        })?;
    Ok(value)
}

fn check_header<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: FileKind,
    schema_hash: u64,
) -> Result<&'a [u8], BinFileError> {
    let path_buf = || path.to_path_buf();
    if bytes.len() < HEADER_LEN {
        return Err(BinFileError::Truncated {
            path: path_buf(),
            found: bytes.len(),
            expected: HEADER_LEN,
        });
    }

    let tag: [u8; 4] = bytes[8..12].try_into().expect("slice of length 4");
    if &bytes[..8] != MAGIC || tag != kind.tag {
        return Err(BinFileError::WrongKind {
            path: path_buf(),
            expected: String::from_utf8_lossy(&kind.tag).into_owned(),
            found: bytes[..12].escape_ascii().to_string(),
        });
    }

    let version = u16::from_le_bytes(bytes[12..14].try_into().expect("slice of length 2"));
    if version != kind.version {
        return Err(BinFileError::WrongVersion {
            path: path_buf(),
            found: version,
            expected: kind.version,
        });
    }

    let found_schema = u64::from_le_bytes(bytes[14..22].try_into().expect("slice of length 8"));
    if found_schema != schema_hash {
        return Err(BinFileError::WrongSchema {
            path: path_buf(),
            found: found_schema,
            expected: schema_hash,
        });
    }

    let body_len = u64::from_le_bytes(bytes[22..30].try_into().expect("slice of length 8"));
    let checksum = u32::from_le_bytes(bytes[30..34].try_into().expect("slice of length 4"));
    let body = &bytes[HEADER_LEN..];
    if body.len() as u64 != body_len {
        return Err(BinFileError::Truncated {
            path: path_buf(),
            found: bytes.len(),
            expected: HEADER_LEN.saturating_add(body_len as usize),
        });
    }
    if crc32fast::hash(body) != checksum {
        return Err(BinFileError::ChecksumMismatch { path: path_buf() });
    }
    Ok(body)
}

/// Writes `bytes` to `path` through a temporary file, `fsync` and rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;

    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    // A process killed between create and rename leaves this file behind;
    // nothing reads it, and `sweep_stale_temps` removes it later.
    let temp_path = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    sweep_stale_temps_once(dir);

    let result = (|| {
        let mut file = File::create(&temp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp_path, path)?;
        // Persist the rename itself; a failure here is not worth failing the write.
        if let Ok(dir_handle) = File::open(dir) {
            let _ = dir_handle.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result
}

/// Runs [`sweep_stale_temps`] on `dir` the first time this process writes there.
fn sweep_stale_temps_once(dir: &Path) {
    let first_time = {
        let mut swept = SWEPT_DIRS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        swept
            .get_or_insert_with(HashSet::new)
            .insert(dir.to_path_buf())
    };
    if first_time {
        sweep_stale_temps(dir, STALE_TEMP_AGE, SystemTime::now());
    }
}

/// Removes the temporary files of [`write_atomic`] in `dir` that were last
/// modified more than `max_age` before `now`; returns how many it removed.
/// Failures are logged and skipped, since a leftover file harms nothing.
pub fn sweep_stale_temps(dir: &Path, max_age: Duration, now: SystemTime) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        let modified = entry.metadata().and_then(|metadata| metadata.modified());
        let stale = modified
            .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|age| age > max_age));
        if !stale {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                tracing::info!(path = %entry.path().display(), "removed a temporary file left by an interrupted write");
                removed += 1;
            }
            Err(error) => {
                tracing::warn!(path = %entry.path().display(), %error, "could not remove a stale temporary file");
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: FileKind = FileKind {
        tag: *b"TEST",
        version: 3,
    };

    fn sample() -> Vec<(String, f64)> {
        vec![("bitcoin".into(), 1.5), ("ethereum".into(), f64::NAN)]
    }

    #[test]
    fn round_trip_keeps_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.bin");
        write(&path, KIND, 42, &sample()).unwrap();

        let back: Vec<(String, f64)> = read(&path, KIND, 42).unwrap();
        assert_eq!(back[0], ("bitcoin".to_string(), 1.5));
        assert!(back[1].1.is_nan());
    }

    #[test]
    fn missing_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let result: Result<Vec<(String, f64)>, _> = read(&dir.path().join("none.bin"), KIND, 42);
        assert!(matches!(result, Err(BinFileError::Missing { .. })));
    }

    #[test]
    fn every_truncation_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.bin");
        write(&path, KIND, 42, &sample()).unwrap();
        let full = fs::read(&path).unwrap();

        for len in 0..full.len() {
            fs::write(&path, &full[..len]).unwrap();
            let result: Result<Vec<(String, f64)>, _> = read(&path, KIND, 42);
            let error = result.expect_err("a truncated file must not load");
            assert!(error.is_invalid_content(), "length {len}: {error}");
        }
    }

    #[test]
    fn flipped_body_byte_fails_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.bin");
        write(&path, KIND, 42, &sample()).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&path, &bytes).unwrap();

        let result: Result<Vec<(String, f64)>, _> = read(&path, KIND, 42);
        assert!(matches!(result, Err(BinFileError::ChecksumMismatch { .. })));
    }

    #[test]
    fn other_schema_and_version_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.bin");
        write(&path, KIND, 42, &sample()).unwrap();

        let schema: Result<Vec<(String, f64)>, _> = read(&path, KIND, 43);
        assert!(matches!(schema, Err(BinFileError::WrongSchema { .. })));

        let newer = FileKind { version: 4, ..KIND };
        let version: Result<Vec<(String, f64)>, _> = read(&path, newer, 42);
        assert!(matches!(version, Err(BinFileError::WrongVersion { .. })));

        let other = FileKind {
            tag: *b"OTHR",
            ..KIND
        };
        let kind: Result<Vec<(String, f64)>, _> = read(&path, other, 42);
        assert!(matches!(kind, Err(BinFileError::WrongKind { .. })));
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.bin");
        write(&path, KIND, 1, &sample()).unwrap();
        write(&path, KIND, 1, &sample()).unwrap();

        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn sweep_removes_only_old_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let old_temp = dir.path().join(".sample.bin.4242.tmp");
        let fresh_temp = dir.path().join(".sample.bin.4343.tmp");
        let data = dir.path().join("sample.bin");
        for path in [&old_temp, &fresh_temp, &data] {
            fs::write(path, b"x").unwrap();
        }
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for path in [&old_temp, &data] {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(hour_ago)
                .unwrap();
        }

        let removed = sweep_stale_temps(dir.path(), STALE_TEMP_AGE, SystemTime::now());
        assert_eq!(removed, 1);
        assert!(!old_temp.exists(), "a temp file an hour old is stale");
        assert!(
            fresh_temp.exists(),
            "a fresh temp file may belong to a live writer"
        );
        assert!(data.exists(), "only temp files are swept");
    }
}
