//! Locations of coinlens's files.

use directories::ProjectDirs;
use std::path::{Path, PathBuf};

/// The folders and files coinlens reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Root of the data dir: history cache, models, favourites, log.
    pub data_dir: PathBuf,
    /// The default config file (used when no explicit path is given).
    pub default_config: PathBuf,
}

impl Paths {
    /// Resolves the paths: `COINLENS_DATA_DIR` overrides the data dir from
    /// `directories`; the config file lives in the platform config dir.
    pub fn resolve(data_dir_override: Option<PathBuf>) -> Result<Self, PathsError> {
        let project = ProjectDirs::from("", "", "coinlens");
        let data_dir = match (data_dir_override, &project) {
            (Some(dir), _) => dir,
            (None, Some(project)) => project.data_dir().to_path_buf(),
            (None, None) => return Err(PathsError::NoHome),
        };
        let default_config = match &project {
            Some(project) => project.config_dir().join("config.toml"),
            None => data_dir.join("config.toml"),
        };
        Ok(Self {
            data_dir,
            default_config,
        })
    }

    /// Paths rooted in one folder, for tests.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            data_dir: dir.to_path_buf(),
            default_config: dir.join("config.toml"),
        }
    }

    pub fn history_dir(&self) -> PathBuf {
        self.data_dir.join("history")
    }

    /// Models trained on live data.
    pub fn models_dir(&self) -> PathBuf {
        self.data_dir.join("models")
    }

    /// Models trained on a snapshot folder, kept apart from the live ones so
    /// that a replay never replaces them: `snapshot-models/<folder name>`.
    pub fn snapshot_models_dir(&self, snapshot: &Path) -> PathBuf {
        let name = snapshot
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| !name.is_empty() && name != "..")
            .unwrap_or_else(|| "snapshot".to_string());
        self.data_dir.join("snapshot-models").join(name)
    }

    pub fn favorites_file(&self) -> PathBuf {
        self.data_dir.join("favorites.json")
    }

    pub fn log_file_name(&self) -> &'static str {
        "coinlens.log"
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join(self.log_file_name())
    }
}

/// Error that stops the paths from being resolved.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("no home directory found; set COINLENS_DATA_DIR to a folder for coinlens's data")]
    NoHome,
}
