//! The model files in the user data dir and their `metadata.json`.
//!
//! A set is `scaler.bin`, `price_model.bin`, optionally `gem_detector.bin`,
//! and `metadata.json`, written in that order, metadata last. Each binary
//! file stores the set id (the training time in milliseconds) and the CRC-32
//! of the metadata bytes. So a set mixed from two training runs, which a
//! crash between two writes could leave, is detected, and so is a damaged
//! `metadata.json`. Before a new set is written the current one, when complete, is
//! copied to `previous/`.

use super::agent::QAgent;
use super::forest::Forest;
use super::scaler::Scaler;
use super::train::ModelSet;
use super::ModelReport;
use crate::binfile::{self, BinFileError, FileKind};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

const SCALER: (&str, FileKind) = (
    "scaler.bin",
    FileKind {
        tag: *b"SCAL",
        version: 1,
    },
);
const PRICE: (&str, FileKind) = (
    "price_model.bin",
    FileKind {
        tag: *b"PRCE",
        version: 1,
    },
);
const GEM: (&str, FileKind) = (
    "gem_detector.bin",
    FileKind {
        tag: *b"GEMD",
        version: 1,
    },
);
const AGENT: (&str, FileKind) = (
    "rl_agent.bin",
    FileKind {
        tag: *b"RLAG",
        version: 1,
    },
);
const METADATA: &str = "metadata.json";
const PREVIOUS: &str = "previous";
/// Staging folder for the copy that is renamed to `previous/`.
const PREVIOUS_PARTIAL: &str = "previous.partial";

/// A model body with the identity of the set it belongs to.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    set_id: i64,
    /// CRC-32 of the `metadata.json` bytes written with this set.
    metadata_crc: u32,
    value: T,
}

/// Identity that every part of one set must share.
#[derive(Clone, Copy)]
struct SetIdentity {
    set_id: i64,
    metadata_crc: u32,
}

/// Error that makes a saved model set unusable; every case leads to retraining.
#[derive(Debug, thiserror::Error)]
pub enum ModelStoreError {
    #[error("no saved models in {dir}")]
    NotFound { dir: PathBuf },
    #[error("{path} is not valid model metadata: {message}")]
    BadMetadata { path: PathBuf, message: String },
    #[error("saved models use feature schema {found:016x}, this build uses {expected:016x}")]
    OtherSchema { found: u64, expected: u64 },
    #[error(transparent)]
    File(#[from] BinFileError),
    #[error(
        "{path} does not match metadata.json: another training run or a damaged metadata file"
    )]
    MixedSet { path: PathBuf },
    #[error("{path} holds an unusable model: {message}")]
    BadModel { path: PathBuf, message: String },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The models folder in the user data dir.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
}

impl ModelStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads only `metadata.json`, for listing models without loading them.
    pub fn read_report(&self) -> Result<ModelReport, ModelStoreError> {
        self.read_metadata().map(|(report, _)| report)
    }

    /// Reads and parses `metadata.json`, returning the report and its CRC-32.
    fn read_metadata(&self) -> Result<(ModelReport, u32), ModelStoreError> {
        let path = self.dir.join(METADATA);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(ModelStoreError::NotFound {
                    dir: self.dir.clone(),
                })
            }
            Err(error) => {
                return Err(ModelStoreError::BadMetadata {
                    path,
                    message: error.to_string(),
                })
            }
        };
        let report =
            serde_json::from_slice(&bytes).map_err(|error| ModelStoreError::BadMetadata {
                path,
                message: error.to_string(),
            })?;
        Ok((report, crc32fast::hash(&bytes)))
    }

    /// Returns a store on the `previous/` folder: the set that was current
    /// before the last save. Only for loading; saving there would nest a
    /// second `previous/` inside it.
    pub fn previous(&self) -> ModelStore {
        ModelStore::new(self.dir.join(PREVIOUS))
    }

    /// Loads the saved set, checking the schema and that all files belong together.
    pub fn load(&self, expected_schema: u64) -> Result<ModelSet, ModelStoreError> {
        let (report, metadata_crc) = self.read_metadata()?;
        if report.schema_hash != expected_schema {
            return Err(ModelStoreError::OtherSchema {
                found: report.schema_hash,
                expected: expected_schema,
            });
        }
        let identity = SetIdentity {
            set_id: report.trained_at.timestamp_millis(),
            metadata_crc,
        };

        let scaler: Scaler = self.read_part(SCALER, expected_schema, identity)?;
        let columns = report.feature_names.len();
        self.check_scaler(&scaler, columns)?;
        let price: Forest = self.read_part(PRICE, expected_schema, identity)?;
        self.check_forest(PRICE.0, &price, columns)?;
        let gem: Option<Forest> = if report.has_gem_model() {
            let gem = self.read_part(GEM, expected_schema, identity)?;
            self.check_forest(GEM.0, &gem, columns)?;
            Some(gem)
        } else {
            None
        };
        let agent: Option<QAgent> = if report.agent_unavailable.is_none() {
            let agent: QAgent = self.read_part(AGENT, expected_schema, identity)?;
            agent
                .validate()
                .map_err(|error| ModelStoreError::BadModel {
                    path: self.dir.join(AGENT.0),
                    message: error.to_string(),
                })?;
            Some(agent)
        } else {
            None
        };
        Ok(ModelSet {
            scaler,
            price,
            gem,
            agent,
            report,
        })
    }

    /// Rejects a scaler whose vectors do not all have one entry per feature,
    /// because scaling indexes them by feature.
    fn check_scaler(&self, scaler: &Scaler, columns: usize) -> Result<(), ModelStoreError> {
        let lengths = [
            scaler.medians.len(),
            scaler.means.len(),
            scaler.std_devs.len(),
            scaler.min.len(),
            scaler.max.len(),
        ];
        if lengths.iter().all(|len| *len == columns) {
            return Ok(());
        }
        Err(ModelStoreError::BadModel {
            path: self.dir.join(SCALER.0),
            message: format!(
                "scaler vectors have lengths {lengths:?}, metadata.json lists {columns} features"
            ),
        })
    }

    /// Rejects a forest that does not fit the feature count or whose trees
    /// could index past their nodes or loop.
    fn check_forest(
        &self,
        name: &str,
        forest: &Forest,
        columns: usize,
    ) -> Result<(), ModelStoreError> {
        let bad_model = |message: String| ModelStoreError::BadModel {
            path: self.dir.join(name),
            message,
        };
        if forest.n_features() != columns {
            return Err(bad_model(format!(
                "the forest takes {} features, metadata.json lists {columns}",
                forest.n_features()
            )));
        }
        forest
            .validate()
            .map_err(|error| bad_model(error.to_string()))
    }

    fn read_part<T: serde::de::DeserializeOwned>(
        &self,
        (name, kind): (&str, FileKind),
        schema: u64,
        identity: SetIdentity,
    ) -> Result<T, ModelStoreError> {
        let path = self.dir.join(name);
        let stored: Stored<T> = binfile::read(&path, kind, schema)?;
        if stored.set_id != identity.set_id || stored.metadata_crc != identity.metadata_crc {
            return Err(ModelStoreError::MixedSet { path });
        }
        Ok(stored.value)
    }

    /// Saves `models`, keeping the current set in `previous/` first.
    pub fn save(&self, models: &ModelSet) -> Result<(), ModelStoreError> {
        fs::create_dir_all(&self.dir).map_err(|source| ModelStoreError::Write {
            path: self.dir.clone(),
            source,
        })?;
        self.keep_previous()?;

        let metadata_path = self.dir.join(METADATA);
        let json = serde_json::to_vec_pretty(&models.report).map_err(|error| {
            ModelStoreError::BadMetadata {
                path: metadata_path.clone(),
                message: error.to_string(),
            }
        })?;
        let schema = models.report.schema_hash;
        let identity = SetIdentity {
            set_id: models.report.trained_at.timestamp_millis(),
            metadata_crc: crc32fast::hash(&json),
        };

        self.write_part(SCALER, schema, identity, &models.scaler)?;
        self.write_part(PRICE, schema, identity, &models.price)?;
        let gem_path = self.dir.join(GEM.0);
        match &models.gem {
            Some(gem) => self.write_part(GEM, schema, identity, gem)?,
            None => remove_if_present(&gem_path)?,
        }
        let agent_path = self.dir.join(AGENT.0);
        match &models.agent {
            Some(agent) => self.write_part(AGENT, schema, identity, agent)?,
            None => remove_if_present(&agent_path)?,
        }
        binfile::write_atomic(&metadata_path, &json).map_err(|source| ModelStoreError::Write {
            path: metadata_path,
            source,
        })
    }

    fn write_part<T: Serialize>(
        &self,
        (name, kind): (&str, FileKind),
        schema: u64,
        identity: SetIdentity,
        value: &T,
    ) -> Result<(), ModelStoreError> {
        let stored = Stored {
            set_id: identity.set_id,
            metadata_crc: identity.metadata_crc,
            value,
        };
        Ok(binfile::write(&self.dir.join(name), kind, schema, &stored)?)
    }

    /// Copies the current set to `previous/`, replacing what was there.
    ///
    /// Only a set that loads completely is copied, so a set left mixed by a
    /// crash during the last save never replaces a good `previous/`. The copy
    /// is written to `previous.partial/` and then renamed, so `previous/` is
    /// either the old complete set or the new one. A crash between removing
    /// the old `previous/` and the rename leaves no `previous/`, but the
    /// current set is still complete at that point.
    fn keep_previous(&self) -> Result<(), ModelStoreError> {
        let complete = match self.read_metadata() {
            Ok((report, _)) => self.load(report.schema_hash).is_ok(),
            // A first save has no current set to keep.
            Err(ModelStoreError::NotFound { .. }) => return Ok(()),
            Err(_) => false,
        };
        if !complete {
            tracing::warn!(dir = %self.dir.display(), "current models are incomplete or damaged, keeping the existing previous/ set");
            return Ok(());
        }

        let previous = self.dir.join(PREVIOUS);
        let partial = self.dir.join(PREVIOUS_PARTIAL);
        remove_dir_if_present(&partial)?;
        for name in [SCALER.0, PRICE.0, GEM.0, AGENT.0, METADATA] {
            let source = self.dir.join(name);
            if !source.exists() {
                continue;
            }
            let target = partial.join(name);
            let bytes = fs::read(&source).map_err(|source_error| ModelStoreError::Write {
                path: source.clone(),
                source: source_error,
            })?;
            binfile::write_atomic(&target, &bytes).map_err(|source| ModelStoreError::Write {
                path: target,
                source,
            })?;
        }
        remove_dir_if_present(&previous)?;
        fs::rename(&partial, &previous).map_err(|source| ModelStoreError::Write {
            path: previous,
            source,
        })
    }
}

fn remove_dir_if_present(path: &Path) -> Result<(), ModelStoreError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ModelStoreError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn remove_if_present(path: &Path) -> Result<(), ModelStoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ModelStoreError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}
