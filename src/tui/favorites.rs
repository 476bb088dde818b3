//! Favourite coins, saved as a JSON list of CoinGecko ids.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// Error reading or writing the favourites file.
#[derive(Debug, thiserror::Error)]
pub enum FavoritesError {
    #[error("favourites file {path} could not be read: {source}; starting with no favourites")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "favourites file {path} is not a JSON list of coin ids ({source}); starting with no \
         favourites, and the next change overwrites it"
    )]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "favourites file {path} could not be written: {source}; check that its folder is writable"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The set of favourite coin ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Favorites {
    ids: BTreeSet<String>,
}

impl Favorites {
    /// Reads the favourites file. A missing file is an empty set. An
    /// unreadable or corrupt file is an error, which the caller shows as a
    /// notice before it continues with [`Favorites::default`].
    pub fn load(path: &Path) -> Result<Self, FavoritesError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(FavoritesError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let ids: Vec<String> =
            serde_json::from_slice(&bytes).map_err(|source| FavoritesError::Corrupt {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            ids: ids.into_iter().collect(),
        })
    }

    /// Writes the set as a sorted JSON list, atomically.
    pub fn save(&self, path: &Path) -> Result<(), FavoritesError> {
        let write_error = |source| FavoritesError::Write {
            path: path.to_path_buf(),
            source,
        };
        let ids: Vec<&String> = self.ids.iter().collect();
        let json = serde_json::to_vec_pretty(&ids).map_err(|e| write_error(io::Error::other(e)))?;
        crate::binfile::write_atomic(path, &json).map_err(write_error)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Adds the id if absent, removes it if present; returns true when it is now a favourite.
    pub fn toggle(&mut self, id: &str) -> bool {
        if self.ids.remove(id) {
            false
        } else {
            self.ids.insert(id.to_string());
            true
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("favorites.json");
        let mut favorites = Favorites::default();
        favorites.toggle("bitcoin");
        favorites.toggle("solana");
        favorites.save(&path).unwrap();

        let loaded = Favorites::load(&path).unwrap();
        assert_eq!(loaded, favorites);
        assert!(loaded.contains("solana"));
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = Favorites::load(&dir.path().join("absent.json")).unwrap();
        assert!(loaded.is_empty());
    }

    #[test]
    fn corrupt_file_is_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("favorites.json");
        std::fs::write(&path, b"{\"bitcoin\": tru").unwrap();

        let error = Favorites::load(&path).unwrap_err();
        assert!(matches!(error, FavoritesError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("favorites.json"), "{error}");
    }

    #[test]
    fn toggle_twice_removes() {
        let mut favorites = Favorites::default();
        assert!(favorites.toggle("bitcoin"));
        assert!(!favorites.toggle("bitcoin"));
        assert!(favorites.is_empty());
    }
}
