//! Configuration errors: every one names the file, and all but I/O errors a line and column.

use std::path::PathBuf;
use thiserror::Error;

/// Why a configuration could not be loaded. Displays as `FILE:LINE:COL: reason` (or
/// `FILE: reason` for I/O errors), the format editors and CI annotations understand.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Syntax error, unknown key, wrong type, or a semantic error at a place in the file.
    #[error("{}:{line}:{col}: {reason}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        col: usize,
        /// What is wrong.
        reason: String,
    },
}

impl ConfigError {
    /// The 1-based line of the error, if it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => Some(*line),
            ConfigError::Io { .. } => None,
        }
    }

    /// The reason without the location.
    pub fn reason(&self) -> String {
        match self {
            ConfigError::Invalid { reason, .. } => reason.clone(),
            ConfigError::Io { source, .. } => source.to_string(),
        }
    }
}

/// A semantic error at a byte span, before it is given a file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpanError {
    /// Byte offset in the text.
    pub at: usize,
    /// What is wrong.
    pub reason: String,
}

impl SpanError {
    /// An error at byte offset `at`.
    pub fn new(at: usize, reason: impl Into<String>) -> Self {
        SpanError {
            at,
            reason: reason.into(),
        }
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}
