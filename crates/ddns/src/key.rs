//! TSIG keys (RFC 8945): the key type, its algorithms and loading from a key file.
//!
//! A key file is either a bare base64 secret or BIND's format, as `tsig-keygen` prints it:
//!
//! ```text
//! key "ddns-key" {
//!     algorithm hmac-sha256;
//!     secret "base64...";
//! };
//! ```
//!
//! Nothing here ever puts the secret (or any token of the file, which might be the secret) into
//! an error or a log line.

use crate::error::DdnsError;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm as HickoryAlgorithm;
use hickory_proto::rr::{Name, TSigner};
use std::fmt;

/// Fudge (allowed clock difference, seconds) of every signed message (RFC 8945 §5.2.3).
pub const FUDGE: u16 = 300;

/// The HMAC algorithm of a TSIG key, as the configuration names it (RFC 8945 §6; MD5 and SHA-1
/// are not accepted).
pub use leasehold_engine::config::ddns::TsigAlgorithm;

/// `algorithm` as hickory's TSIG signer names it.
fn to_hickory(algorithm: TsigAlgorithm) -> HickoryAlgorithm {
    match algorithm {
        TsigAlgorithm::HmacSha256 => HickoryAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384 => HickoryAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512 => HickoryAlgorithm::HmacSha512,
    }
}

/// A TSIG key: its name (as the DNS server knows it), algorithm and secret.
///
/// `Debug` shows the name and algorithm, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// The key's name, e.g. `ddns-key` or `ddns-key.` (the same on the DNS server).
    pub name: String,
    /// The HMAC algorithm.
    pub algorithm: TsigAlgorithm,
    /// The shared secret (raw bytes, not base64).
    pub secret: Vec<u8>,
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .finish()
    }
}

impl TsigKey {
    /// Loads the key `name` from the text of a key file: either a bare base64 secret, or BIND's
    /// `key "name" { algorithm ...; secret "..."; };` (several keys may be in one file; the one
    /// named `name` is taken, or the only one when the file has a single key of that name).
    /// When the file names an algorithm it must be `algorithm`.
    ///
    /// Errors never contain the secret.
    pub fn from_file_text(
        name: &str,
        algorithm: TsigAlgorithm,
        text: &str,
    ) -> Result<TsigKey, DdnsError> {
        parse_name(name)?;
        let tokens = tokenize(text)?;
        let is_bind =
            matches!(tokens.first(), Some((Token::Word(w), _)) if w.eq_ignore_ascii_case("key"));
        let secret = if is_bind {
            let keys = parse_bind(&tokens)?;
            let wanted = normalize(name);
            let Some(found) = keys.iter().find(|k| normalize(&k.name) == wanted) else {
                return Err(DdnsError::KeyNotFound {
                    key: name.to_string(),
                    found: keys
                        .iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            if let Some(alg) = &found.algorithm {
                let file_alg = TsigAlgorithm::from_name(alg)
                    .ok_or_else(|| DdnsError::UnknownAlgorithm(alg.to_string()))?;
                if file_alg != algorithm {
                    return Err(DdnsError::AlgorithmMismatch {
                        key: name.to_string(),
                        expected: algorithm.as_str().to_string(),
                        found: file_alg.as_str().to_string(),
                    });
                }
            }
            let Some(secret) = &found.secret else {
                return Err(DdnsError::KeyFile {
                    line: found.line,
                    message: format!("key {:?} has no secret", found.name),
                });
            };
            secret.clone()
        } else {
            text.to_string()
        };
        let secret = decode_base64(&secret).ok_or_else(|| DdnsError::BadSecret {
            key: name.to_string(),
        })?;
        if secret.is_empty() {
            return Err(DdnsError::EmptySecret {
                key: name.to_string(),
            });
        }
        Ok(TsigKey {
            name: name.to_string(),
            algorithm,
            secret,
        })
    }

    /// Builds hickory's signer for this key (fudge [`FUDGE`]).
    pub(crate) fn signer(&self) -> Result<TSigner, DdnsError> {
        let name = parse_name(&self.name)?;
        if self.secret.is_empty() {
            return Err(DdnsError::EmptySecret {
                key: self.name.clone(),
            });
        }
        TSigner::new(self.secret.clone(), to_hickory(self.algorithm), name, FUDGE).map_err(|e| {
            DdnsError::Signer {
                key: self.name.clone(),
                reason: e.to_string(),
            }
        })
    }
}

/// Parses an absolute DNS name (a missing trailing dot is added).
pub(crate) fn parse_name(name: &str) -> Result<Name, DdnsError> {
    let mut n = Name::from_ascii(name).map_err(|e| DdnsError::InvalidName {
        name: name.to_string(),
        reason: e.to_string(),
    })?;
    if n.is_root() || name.trim().is_empty() {
        return Err(DdnsError::InvalidName {
            name: name.to_string(),
            reason: "empty name".to_string(),
        });
    }
    n.set_fqdn(true);
    Ok(n)
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    Semi,
}

/// Splits a BIND config fragment into tokens, dropping `#`, `//` and `/* */` comments.
/// Each token carries its 1-based line.
fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, DdnsError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let start = line;
                let mut prev = '\0';
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if prev == '*' && c == '/' {
                        closed = true;
                        break;
                    }
                    prev = c;
                }
                if !closed {
                    return Err(DdnsError::KeyFile {
                        line: start,
                        message: "unterminated /* comment".to_string(),
                    });
                }
            }
            '"' => {
                let start = line;
                let mut s = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    if c == '\n' {
                        line += 1;
                    }
                    s.push(c);
                }
                if !closed {
                    return Err(DdnsError::KeyFile {
                        line: start,
                        message: "unterminated quoted string".to_string(),
                    });
                }
                out.push((Token::Str(s), start));
            }
            '{' => out.push((Token::Open, line)),
            '}' => out.push((Token::Close, line)),
            ';' => out.push((Token::Semi, line)),
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '"' | '#') {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push((Token::Word(s), line));
            }
        }
    }
    Ok(out)
}

struct BindKey {
    name: String,
    algorithm: Option<String>,
    secret: Option<String>,
    line: usize,
}

/// Parses `key NAME { algorithm ALG; secret "B64"; };` statements. Error messages name
/// statements and lines, never the text of a value.
fn parse_bind(tokens: &[(Token, usize)]) -> Result<Vec<BindKey>, DdnsError> {
    let err = |line: usize, message: &str| DdnsError::KeyFile {
        line,
        message: message.to_string(),
    };
    let mut keys = Vec::new();
    let mut i = 0;
    let last_line = tokens.last().map_or(1, |t| t.1);
    let at = |i: usize| tokens.get(i).map_or(last_line, |t| t.1);
    while i < tokens.len() {
        match tokens.get(i) {
            Some((Token::Word(w), _)) if w.eq_ignore_ascii_case("key") => {}
            _ => return Err(err(at(i), "expected a `key` statement")),
        }
        let line = at(i);
        let name = match tokens.get(i + 1) {
            Some((Token::Str(s) | Token::Word(s), _)) => s.clone(),
            _ => return Err(err(at(i + 1), "expected the key's name after `key`")),
        };
        if tokens.get(i + 2).map(|t| &t.0) != Some(&Token::Open) {
            return Err(err(at(i + 2), "expected `{` after the key's name"));
        }
        i += 3;
        let mut key = BindKey {
            name,
            algorithm: None,
            secret: None,
            line,
        };
        loop {
            match tokens.get(i) {
                Some((Token::Close, _)) => {
                    i += 1;
                    break;
                }
                Some((Token::Word(w), _)) if w.eq_ignore_ascii_case("algorithm") => {
                    match tokens.get(i + 1) {
                        Some((Token::Word(a) | Token::Str(a), _)) => {
                            key.algorithm = Some(a.clone())
                        }
                        _ => return Err(err(at(i + 1), "expected an algorithm name")),
                    }
                    i += 2;
                }
                Some((Token::Word(w), _)) if w.eq_ignore_ascii_case("secret") => {
                    match tokens.get(i + 1) {
                        Some((Token::Word(s) | Token::Str(s), _)) => key.secret = Some(s.clone()),
                        _ => return Err(err(at(i + 1), "expected the secret after `secret`")),
                    }
                    i += 2;
                }
                Some(_) => {
                    return Err(err(
                        at(i),
                        "expected `algorithm`, `secret` or `}` in a key statement",
                    ))
                }
                None => return Err(err(at(i), "unterminated key statement (missing `};`)")),
            }
            if tokens.get(i).map(|t| &t.0) != Some(&Token::Semi) {
                return Err(err(at(i), "expected `;`"));
            }
            i += 1;
        }
        if tokens.get(i).map(|t| &t.0) != Some(&Token::Semi) {
            return Err(err(at(i), "expected `;` after `}`"));
        }
        i += 1;
        keys.push(key);
    }
    Ok(keys)
}

/// Decodes standard base64 (RFC 4648 §4), ignoring whitespace; `=` padding optional but, when
/// present, only at the end and to a multiple of four symbols.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut symbols = 0usize;
    let mut pad = 0usize;
    for c in text.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        symbols += 1;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 || pad > 2 || (pad > 0 && !(symbols + pad).is_multiple_of(4)) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_B64: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0ISE=";

    #[test]
    fn base64_decodes_rfc4648_vectors() {
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9v\n YmFy", "foobar"),
            ("Zm9vYg", "foob"),
        ] {
            assert_eq!(decode_base64(enc).as_deref(), Some(dec.as_bytes()), "{enc}");
        }
        for bad in ["Z", "Zg=a", "Zg===", "Z!==", "Zm9vY"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn bare_secret() {
        let k =
            TsigKey::from_file_text("k1", TsigAlgorithm::HmacSha256, &format!("{SECRET_B64}\n"))
                .expect("key");
        assert_eq!(k.secret, b"secret-secret-secret-secret!!");
        assert_eq!(k.name, "k1");
    }

    #[test]
    fn bind_format_as_tsig_keygen_prints_it() {
        let text = format!(
            "# made by tsig-keygen\nkey \"ddns-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{SECRET_B64}\";\n}};\n"
        );
        let k =
            TsigKey::from_file_text("ddns-key.", TsigAlgorithm::HmacSha256, &text).expect("key");
        assert_eq!(k.secret, b"secret-secret-secret-secret!!");
        assert_eq!(k.algorithm, TsigAlgorithm::HmacSha256);
        // A second key in the file; pick by name.
        let two = format!("key other {{ algorithm hmac-sha512; secret \"AAAA\"; }};\n{text}");
        let k = TsigKey::from_file_text("DDNS-key", TsigAlgorithm::HmacSha256, &two).expect("key");
        assert_eq!(k.secret, b"secret-secret-secret-secret!!");
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let cases = [
            // algorithm mismatch
            (
                "ddns-key",
                TsigAlgorithm::HmacSha512,
                format!("key \"ddns-key\" {{ algorithm hmac-sha256; secret \"{SECRET_B64}\"; }};"),
            ),
            // wrong name
            (
                "nope",
                TsigAlgorithm::HmacSha256,
                format!("key \"ddns-key\" {{ algorithm hmac-sha256; secret \"{SECRET_B64}\"; }};"),
            ),
            // unquoted secret followed by garbage
            (
                "ddns-key",
                TsigAlgorithm::HmacSha256,
                format!("key \"ddns-key\" {{ secret {SECRET_B64} junk; }};"),
            ),
            // missing semicolon
            (
                "ddns-key",
                TsigAlgorithm::HmacSha256,
                format!("key \"ddns-key\" {{ secret \"{SECRET_B64}\" }};"),
            ),
            // invalid base64 with the secret inside
            ("k", TsigAlgorithm::HmacSha256, format!("{SECRET_B64}!")),
            // unknown algorithm
            (
                "ddns-key",
                TsigAlgorithm::HmacSha256,
                format!("key ddns-key {{ algorithm hmac-md5; secret \"{SECRET_B64}\"; }};"),
            ),
        ];
        for (name, alg, text) in cases {
            let e = TsigKey::from_file_text(name, alg, &text).expect_err(&text);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(&SECRET_B64[..10]), "{shown}");
        }
        assert!(matches!(
            TsigKey::from_file_text("k", TsigAlgorithm::HmacSha256, ""),
            Err(DdnsError::EmptySecret { .. })
        ));
    }

    #[test]
    fn debug_hides_the_secret() {
        let k = TsigKey {
            name: "k".into(),
            algorithm: TsigAlgorithm::HmacSha384,
            secret: b"hunter2hunter2".to_vec(),
        };
        let d = format!("{k:?}");
        assert!(!d.contains("hunter2") && !d.contains("104"), "{d}");
        assert!(d.contains("14 bytes"));
    }

    #[test]
    fn algorithm_names() {
        for a in TsigAlgorithm::ALL {
            assert_eq!(TsigAlgorithm::from_name(a.as_str()), Some(a));
            assert!(TsigKey {
                name: "k.".into(),
                algorithm: a,
                secret: vec![1; 32]
            }
            .signer()
            .is_ok());
        }
        assert!(TsigAlgorithm::from_name("HMAC-SHA256.").is_some());
        assert!(TsigAlgorithm::from_name("hmac-md5").is_none());
    }
}
