//! Opening files beneath a root directory, with the kernel's guarantee.
//!
//! The root is opened once as a directory descriptor. Every request is resolved relative to it
//! with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: the kernel refuses any resolution
//! that leaves the root — through `..`, an absolute path or a symlink pointing outside — so the
//! guarantee does not depend on string checks. A string pre-check ([`check_name`]) comes first
//! only to give clear errors for the obvious cases (`..`, absolute paths, backslashes, NUL).
//! Only regular files are served.

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use crate::error::BootFilesError;

/// Why a requested name cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The name is empty.
    #[error("empty file name")]
    Empty,
    /// The name is not UTF-8.
    #[error("file name is not UTF-8")]
    NotUtf8,
    /// The name contains a NUL byte.
    #[error("file name contains NUL")]
    Nul,
    /// The name contains a backslash (DOS-style paths are not translated).
    #[error("file name contains a backslash")]
    Backslash,
    /// The name starts with `/`.
    #[error("absolute path")]
    Absolute,
    /// A path component is `..`.
    #[error("path contains ..")]
    DotDot,
    /// The kernel refused: resolution would leave the root (e.g. a symlink pointing outside).
    #[error("path leads outside the root")]
    OutsideRoot,
    /// No such file (or a path component is not a directory).
    #[error("file not found")]
    NotFound,
    /// The name exists but is not a regular file (a directory, device, FIFO, socket).
    #[error("not a regular file")]
    NotRegular,
    /// Permission denied by the file system.
    #[error("permission denied")]
    Denied,
    /// An upload target exists already (uploads never overwrite).
    #[error("file already exists")]
    Exists,
    /// Any other OS error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PathError {
    /// True for refusals of the name itself (a traversal attempt or a forbidden character), as
    /// opposed to a file that is simply missing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            PathError::NotUtf8
                | PathError::Nul
                | PathError::Backslash
                | PathError::Absolute
                | PathError::DotDot
                | PathError::OutsideRoot
        )
    }
}

/// Checks a requested name before the kernel resolves it; returns it as a relative path string.
pub fn check_name(name: &[u8]) -> Result<&str, PathError> {
    if name.is_empty() {
        return Err(PathError::Empty);
    }
    if name.contains(&0) {
        return Err(PathError::Nul);
    }
    let name = std::str::from_utf8(name).map_err(|_| PathError::NotUtf8)?;
    if name.contains('\\') {
        return Err(PathError::Backslash);
    }
    if name.starts_with('/') {
        return Err(PathError::Absolute);
    }
    if name.split('/').any(|c| c == "..") {
        return Err(PathError::DotDot);
    }
    Ok(name)
}

fn map_errno(e: Errno) -> PathError {
    match e {
        Errno::XDEV | Errno::LOOP => PathError::OutsideRoot,
        Errno::NOENT | Errno::NOTDIR => PathError::NotFound,
        Errno::ACCESS | Errno::PERM => PathError::Denied,
        Errno::EXIST => PathError::Exists,
        Errno::ISDIR | Errno::NXIO => PathError::NotRegular,
        other => PathError::Io(other.into()),
    }
}

const RESOLVE: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// A directory that files are served from (or uploaded into), opened once.
#[derive(Debug)]
pub struct BootRoot {
    dir: OwnedFd,
    path: PathBuf,
}

/// An open regular file and its size.
#[derive(Debug)]
pub struct OpenedFile {
    /// The file, open for reading.
    pub file: File,
    /// Its size in bytes when opened.
    pub len: u64,
}

/// A new file created for an upload.
#[derive(Debug)]
pub struct NewFile {
    /// The file, open for writing.
    pub file: File,
    /// Removes the file again when the upload fails.
    pub discard: Discard,
}

/// Removes a file created by [`BootRoot::create_new`] (a failed upload), by name in its parent
/// directory's descriptor, so it cannot hit anything outside the root.
#[derive(Debug)]
pub struct Discard {
    parent: OwnedFd,
    name: String,
}

impl Discard {
    /// Removes the (partial) file.
    pub fn remove(self) -> std::io::Result<()> {
        rustix::fs::unlinkat(
            &self.parent,
            self.name.as_str(),
            rustix::fs::AtFlags::empty(),
        )
        .map_err(Into::into)
    }
}

impl BootRoot {
    /// Opens `path` as the root directory and checks that the kernel supports `openat2`.
    pub fn open(path: &Path) -> Result<BootRoot, BootFilesError> {
        let fail = |source: std::io::Error| BootFilesError::Root {
            path: path.to_path_buf(),
            source,
        };
        let dir = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fail(e.into()))?;
        // Probe: openat2 exists since Linux 5.6; without it there is no safe resolution.
        rustix::fs::openat2(
            &dir,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            RESOLVE,
        )
        .map_err(|e| {
            if e == Errno::NOSYS {
                BootFilesError::NoOpenat2
            } else {
                fail(e.into())
            }
        })?;
        Ok(BootRoot {
            dir,
            path: path.to_path_buf(),
        })
    }

    /// The root's path as configured (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the regular file `name` (as requested by a client) for reading, beneath the root.
    pub fn open_file(&self, name: &[u8]) -> Result<OpenedFile, PathError> {
        let name = check_name(name)?;
        // NONBLOCK: opening a FIFO must not hang; it is refused below as not regular.
        let fd = rustix::fs::openat2(
            &self.dir,
            name,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
            Mode::empty(),
            RESOLVE,
        )
        .map_err(map_errno)?;
        let stat = rustix::fs::fstat(&fd).map_err(map_errno)?;
        if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(PathError::NotRegular);
        }
        Ok(OpenedFile {
            file: File::from(fd),
            len: u64::try_from(stat.st_size).unwrap_or(0),
        })
    }

    /// Creates the new file `name` beneath the root for an upload; never replaces an existing
    /// file (or symlink). The parent directory must exist.
    pub fn create_new(&self, name: &[u8]) -> Result<NewFile, PathError> {
        let name = check_name(name)?;
        let (parent_path, file_name) = match name.rsplit_once('/') {
            Some((dir, file)) => (if dir.is_empty() { "." } else { dir }, file),
            None => (".", name),
        };
        if file_name.is_empty() || file_name == "." {
            return Err(PathError::NotRegular);
        }
        let parent = rustix::fs::openat2(
            &self.dir,
            parent_path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            RESOLVE,
        )
        .map_err(map_errno)?;
        let fd = rustix::fs::openat2(
            &parent,
            file_name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o644),
            RESOLVE,
        )
        .map_err(map_errno)?;
        Ok(NewFile {
            file: File::from(fd),
            discard: Discard {
                parent,
                name: file_name.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn root_with_files() -> (tempfile::TempDir, tempfile::TempDir, BootRoot) {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.txt"), b"bee").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink("../../", dir.path().join("sub/up")).unwrap();
        std::os::unix::fs::symlink("sub/b.txt", dir.path().join("in")).unwrap();
        std::os::unix::fs::symlink("/proc/self/root", dir.path().join("magic")).unwrap();
        let root = BootRoot::open(dir.path()).unwrap();
        (dir, outside, root)
    }

    fn read(root: &BootRoot, name: &[u8]) -> Result<Vec<u8>, PathError> {
        let mut f = root.open_file(name)?;
        let mut v = Vec::new();
        f.file.read_to_end(&mut v).unwrap();
        assert_eq!(f.len, v.len() as u64);
        Ok(v)
    }

    #[test]
    fn serves_files_and_inside_symlinks() {
        let (_d, _o, root) = root_with_files();
        assert_eq!(read(&root, b"a.txt").unwrap(), b"hello");
        assert_eq!(read(&root, b"sub/b.txt").unwrap(), b"bee");
        assert_eq!(read(&root, b"./sub//b.txt").unwrap(), b"bee");
        assert_eq!(read(&root, b"in").unwrap(), b"bee");
    }

    #[test]
    fn refuses_every_escape() {
        let (_d, _o, root) = root_with_files();
        type Check = fn(&PathError) -> bool;
        let cases: &[(&[u8], Check)] = &[
            (b"../x", |e| matches!(e, PathError::DotDot)),
            (b"a/../../x", |e| matches!(e, PathError::DotDot)),
            (b"/etc/passwd", |e| matches!(e, PathError::Absolute)),
            (b"..\\x", |e| matches!(e, PathError::Backslash)),
            (b"sub\\b.txt", |e| matches!(e, PathError::Backslash)),
            (b"a.txt\0.png", |e| matches!(e, PathError::Nul)),
            (b"\xff", |e| matches!(e, PathError::NotUtf8)),
            (b"", |e| matches!(e, PathError::Empty)),
            (b"out", |e| matches!(e, PathError::OutsideRoot)),
            (b"sub/up/etc/passwd", |e| {
                matches!(e, PathError::OutsideRoot)
            }),
            (b"magic/etc/passwd", |e| matches!(e, PathError::OutsideRoot)),
            (b"missing", |e| matches!(e, PathError::NotFound)),
            (b"a.txt/x", |e| matches!(e, PathError::NotFound)),
            (b"sub", |e| matches!(e, PathError::NotRegular)),
            (b".", |e| matches!(e, PathError::NotRegular)),
        ];
        for (name, want) in cases {
            let err = read(&root, name).expect_err(&String::from_utf8_lossy(name));
            assert!(want(&err), "{:?}: {err:?}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn uploads_create_new_files_only() {
        let (dir, _o, root) = root_with_files();
        let mut f = root.create_new(b"sub/new.bin").unwrap();
        f.file.write_all(b"up").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read(dir.path().join("sub/new.bin")).unwrap(),
            b"up"
        );
        assert!(matches!(root.create_new(b"a.txt"), Err(PathError::Exists)));
        // A symlink is never followed or replaced, even a dangling one.
        assert!(matches!(root.create_new(b"out"), Err(PathError::Exists)));
        assert!(matches!(root.create_new(b"../x"), Err(PathError::DotDot)));
        assert!(matches!(
            root.create_new(b"sub/up/x"),
            Err(PathError::OutsideRoot)
        ));
        assert!(matches!(
            root.create_new(b"nodir/x"),
            Err(PathError::NotFound)
        ));
        let f = root.create_new(b"gone").unwrap();
        drop(f.file);
        f.discard.remove().unwrap();
        assert!(!dir.path().join("gone").exists());
    }
}
