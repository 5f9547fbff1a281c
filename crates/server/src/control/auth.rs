//! Bearer-token authentication of writes.
//!
//! The token is read once at start-up from `[control] token_file` (surrounding whitespace
//! trimmed). Every request that changes something (POST, PUT, DELETE, PATCH) must carry
//! `Authorization: Bearer <token>`; without a configured token the API is read-only and every
//! write is refused with 403. On a non-loopback listener (which the configuration allows only
//! with TLS and a token) reads need the token too ([`needs_token`]).

use crate::error::ControlStartError;
use axum::http;
use std::path::Path;

/// The write token, if one is configured.
#[derive(Clone, Debug, Default)]
pub struct Token(Option<String>);

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No token is configured: the API is read-only (403).
    ReadOnly,
    /// The token is missing or wrong (401).
    BadToken,
}

impl Token {
    /// Reads the token from `file`; `None` means no token (read-only API). An unreadable or
    /// empty file is an error: the server must not start with a write API it cannot protect.
    pub fn load(file: Option<&Path>) -> Result<Token, ControlStartError> {
        let Some(file) = file else {
            return Ok(Token(None));
        };
        let text =
            std::fs::read_to_string(file).map_err(|source| ControlStartError::TokenRead {
                path: file.to_path_buf(),
                source,
            })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(ControlStartError::TokenEmpty(file.to_path_buf()));
        }
        Ok(Token(Some(token.to_string())))
    }

    /// A token given directly (tests).
    #[cfg(test)]
    pub fn new(token: Option<String>) -> Token {
        Token(token)
    }

    /// Checks the `Authorization` header value of a write.
    pub fn check(&self, header: Option<&str>) -> Result<(), Denied> {
        let Some(expected) = &self.0 else {
            return Err(Denied::ReadOnly);
        };
        let given = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(Denied::BadToken)?;
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(Denied::BadToken)
        }
    }
}

/// Whether a request with `method` must carry the token: every write, and every request at all
/// when `reads_need_token` (a non-loopback listener).
pub fn needs_token(method: &http::Method, reads_need_token: bool) -> bool {
    reads_need_token
        || !matches!(
            *method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        )
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_the_exact_token() {
        let t = Token::new(Some("s3cret".into()));
        assert_eq!(t.check(Some("Bearer s3cret")), Ok(()));
        assert_eq!(t.check(Some("Bearer s3cre")), Err(Denied::BadToken));
        assert_eq!(t.check(Some("Bearer s3cret2")), Err(Denied::BadToken));
        assert_eq!(t.check(Some("s3cret")), Err(Denied::BadToken));
        assert_eq!(t.check(None), Err(Denied::BadToken));
        assert_eq!(
            Token::new(None).check(Some("Bearer x")),
            Err(Denied::ReadOnly)
        );
    }

    #[test]
    fn reads_need_the_token_only_off_loopback() {
        use http::Method;
        for m in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!needs_token(&m, false), "{m}");
            assert!(needs_token(&m, true), "{m}");
        }
        for m in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            assert!(needs_token(&m, false), "{m}");
            assert!(needs_token(&m, true), "{m}");
        }
    }
}
