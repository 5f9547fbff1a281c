//! What an import could not carry over, and the errors that stop it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A construct that was not carried over: `FILE:LINE: what and why`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file it is in, as the configuration or the command line named it.
    pub file: PathBuf,
    /// Its line (1-based).
    pub line: u32,
    /// What was not carried over and why, e.g. "`failover peer` not carried over: Leasehold
    /// servers share one PostgreSQL database instead (docs/postgres.md)".
    pub what: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.what)
    }
}

/// Everything an import reports besides its result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Constructs not carried over, in the order they were met.
    pub findings: Vec<Finding>,
    /// Lines of the sources that hold something (not blank, not only a comment), per file, in
    /// the order the files were read: the base of [`Report::carried_percent`].
    pub lines: Vec<(PathBuf, u32)>,
}

impl Report {
    /// Records a finding.
    pub fn not_carried(&mut self, file: &Path, line: u32, what: impl Into<String>) {
        self.findings.push(Finding {
            file: file.to_path_buf(),
            line,
            what: what.into(),
        });
    }

    /// Records a lease that is not imported because no imported subnet assigns its address
    /// (see [`crate::ConfigPlan::assigns`]).
    pub fn lease_outside_subnets(&mut self, file: &Path, line: u32, addr: std::net::Ipv4Addr) {
        self.not_carried(
            file,
            line,
            format!("lease of {addr} not carried over: no imported subnet assigns its address"),
        );
    }

    /// Records that `file` has `lines` lines holding something.
    pub fn count_lines(&mut self, file: &Path, lines: u32) {
        self.lines.push((file.to_path_buf(), lines));
    }

    /// Lines holding something, in every file read.
    pub fn total_lines(&self) -> u32 {
        self.lines.iter().map(|(_, n)| *n).sum()
    }

    /// Distinct lines with at least one finding.
    pub fn lines_not_carried(&self) -> u32 {
        let mut seen: Vec<(&Path, u32)> = self
            .findings
            .iter()
            .map(|f| (f.file.as_path(), f.line))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        u32::try_from(seen.len()).unwrap_or(u32::MAX)
    }

    /// Share of the lines holding something that were carried over, in percent (100 for
    /// empty sources).
    pub fn carried_percent(&self) -> f64 {
        let total = self.total_lines();
        if total == 0 {
            return 100.0;
        }
        let lost = self.lines_not_carried().min(total);
        f64::from(total - lost) * 100.0 / f64::from(total)
    }
}

/// Why an import stopped (nothing is written then).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The input is not what it should be (a syntax error, a truncated file, garbage).
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The line (1-based).
        line: u32,
        /// What is wrong.
        message: String,
    },
}

impl ImportError {
    /// A syntax error at `file:line`.
    pub fn syntax(file: &Path, line: u32, message: impl Into<String>) -> Self {
        ImportError::Syntax {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_share_counts_lines_once() {
        let mut r = Report::default();
        r.count_lines(Path::new("a.conf"), 10);
        r.count_lines(Path::new("b.conf"), 10);
        r.not_carried(Path::new("a.conf"), 3, "x");
        r.not_carried(Path::new("a.conf"), 3, "y");
        r.not_carried(Path::new("b.conf"), 3, "z");
        assert_eq!(r.lines_not_carried(), 2);
        assert!((r.carried_percent() - 90.0).abs() < 1e-9);
        assert_eq!(r.findings[0].to_string(), "a.conf:3: x");
        assert!((Report::default().carried_percent() - 100.0).abs() < 1e-9);
    }
}
