//! How importers read files: the configuration, its `include`s and the lease file, through one
//! trait, so the parsers stay free of I/O and tests and fuzz targets can hand them text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads the files an importer needs.
pub trait SourceFiles {
    /// The text of `path` (a path as the configuration names it, resolved by the caller's
    /// rules; relative paths are relative to the current directory, as for the servers
    /// themselves). Bytes that are not UTF-8 are an error: configuration files are text.
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsFiles;

impl SourceFiles for FsFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "not a text file (invalid UTF-8 at byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    }
}

/// Files held in memory (tests, fuzz targets).
#[derive(Clone, Debug, Default)]
pub struct MemFiles {
    files: HashMap<PathBuf, String>,
}

impl MemFiles {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `path` with `text`; returns `self` for chaining.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl SourceFiles for MemFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}
