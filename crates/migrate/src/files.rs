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

    /// The files directly inside the directory `path` (not its subdirectories), sorted by name,
    /// for sources that read whole directories (dnsmasq's `conf-dir`). The default refuses:
    /// a `SourceFiles` that cannot list directories makes such a line a finding.
    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("cannot list the directory {}", path.display()),
        ))
    }
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

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
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

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| p.parent() == Some(path))
            .cloned()
            .collect();
        if out.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such directory",
            ));
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_directories_in_memory_and_on_disk() {
        let mem = MemFiles::new()
            .with("/etc/d/b.conf", "b")
            .with("/etc/d/a.conf", "a")
            .with("/etc/other", "x");
        assert_eq!(
            mem.list_dir(Path::new("/etc/d")).expect("listed"),
            vec![
                PathBuf::from("/etc/d/a.conf"),
                PathBuf::from("/etc/d/b.conf")
            ]
        );
        assert!(mem.list_dir(Path::new("/nowhere")).is_err());

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("z.conf"), "z").expect("write");
        std::fs::write(dir.path().join("y.conf"), "y").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        let listed = FsFiles.list_dir(dir.path()).expect("listed");
        assert_eq!(
            listed,
            vec![dir.path().join("y.conf"), dir.path().join("z.conf")]
        );
    }
}
