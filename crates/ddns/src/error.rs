//! The one error type of this crate.

/// Why a key, a name or the settings could not be used. Per-message problems are not errors:
/// they are counted in [`crate::DdnsStats`] and logged.
///
/// No variant ever carries a TSIG secret or any text taken from where a secret may be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdnsError {
    /// A zone or key name is not a valid DNS name.
    #[error("invalid DNS name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A TSIG algorithm name this crate does not support.
    #[error("unsupported TSIG algorithm {0:?}: use hmac-sha256, hmac-sha384 or hmac-sha512")]
    UnknownAlgorithm(String),
    /// The secret is not valid base64 (RFC 4648 §4).
    #[error("TSIG key {key}: the secret is not valid base64")]
    BadSecret {
        /// The key's name.
        key: String,
    },
    /// The secret decodes to no bytes.
    #[error("TSIG key {key}: the secret is empty")]
    EmptySecret {
        /// The key's name.
        key: String,
    },
    /// A BIND-style key file (`key "name" { algorithm ...; secret "..."; };`) is malformed.
    #[error("TSIG key file, line {line}: {message}")]
    KeyFile {
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong (never quotes the file's text).
        message: String,
    },
    /// The key file defines keys, but none with the wanted name.
    #[error("TSIG key file has no key named {key:?} (it has: {found})")]
    KeyNotFound {
        /// The name asked for.
        key: String,
        /// The names the file defines, comma-separated.
        found: String,
    },
    /// The key file's `algorithm` differs from the configured one.
    #[error("TSIG key {key}: the key file says {found}, the configuration says {expected}")]
    AlgorithmMismatch {
        /// The key's name.
        key: String,
        /// The configured algorithm.
        expected: String,
        /// The file's algorithm.
        found: String,
    },
    /// hickory refused to build a TSIG signer for the key.
    #[error("TSIG key {key}: {reason}")]
    Signer {
        /// The key's name.
        key: String,
        /// hickory's reason.
        reason: String,
    },
    /// The settings are unusable.
    #[error("invalid DNS update settings: {0}")]
    Settings(String),
    /// A digest could not be computed (cannot happen with SHA-256; kept typed, not a panic).
    #[error("digest failed: {0}")]
    Digest(String),
}
