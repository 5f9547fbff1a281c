//! Tokens of `dhcpd.conf` and `dhcpd.leases`: words, quoted strings (with dhcpd's escapes),
//! punctuation, each with its line; `#` comments are skipped.
//!
//! A word is a run of anything but white space, quotes, `#` and the punctuation `{ } ; , ( ) =`,
//! so addresses (`198.18.0.1`), colon hex (`52:54:00:00:00:01`), dates (`2027/01/15`) and dotted
//! option names (`ipxe.bus-id`) are one word each. `!=`, `~=` and `~~` are words too.

use std::path::Path;

use crate::ImportError;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A bare word.
    Word(String),
    /// A quoted string, escapes resolved (bytes: `\ooo` and `\xHH` may make it binary).
    Str(Vec<u8>),
    /// One of `{ } ; , ( ) =`.
    Punct(char),
}

/// A token and the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its line (1-based).
    pub line: u32,
}

impl Token {
    /// The word, if this is one.
    pub fn word(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    /// True for the punctuation `c`.
    pub fn is(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    /// The token as text (a string lossily, in quotes), for messages.
    pub fn text(&self) -> String {
        match &self.tok {
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
            Tok::Punct(c) => c.to_string(),
        }
    }
}

/// The tokens of `text`, and the number of lines holding at least one token.
pub fn lex(text: &str, file: &Path) -> Result<(Vec<Token>, u32), ImportError> {
    let mut out = Vec::new();
    let mut line: u32 = 1;
    let mut last_counted = 0u32;
    let mut holding = 0u32;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line = line.saturating_add(1),
            c if c.is_whitespace() => {}
            '#' => {
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            '{' | '}' | ';' | ',' | '(' | ')' | '=' => out.push(Token {
                tok: Tok::Punct(c),
                line,
            }),
            '"' => {
                let start = line;
                let mut bytes = Vec::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => {
                            line = line.saturating_add(1);
                            bytes.push(b'\n');
                        }
                        '\\' => match chars.next() {
                            Some('n') => bytes.push(b'\n'),
                            Some('t') => bytes.push(b'\t'),
                            Some('r') => bytes.push(b'\r'),
                            Some('b') => bytes.push(8),
                            Some('x') => {
                                let mut v: u32 = 0;
                                let mut n = 0;
                                while n < 2 {
                                    match chars.peek().and_then(|c| c.to_digit(16)) {
                                        Some(d) => {
                                            v = v * 16 + d;
                                            chars.next();
                                            n += 1;
                                        }
                                        None => break,
                                    }
                                }
                                if n == 0 {
                                    return Err(ImportError::syntax(
                                        file,
                                        line,
                                        "`\\x` without hex digits in a string",
                                    ));
                                }
                                bytes.push(u8::try_from(v).unwrap_or(u8::MAX));
                            }
                            Some(d @ '0'..='7') => {
                                let mut v = d.to_digit(8).unwrap_or(0);
                                let mut n = 1;
                                while n < 3 {
                                    match chars.peek().and_then(|c| c.to_digit(8)) {
                                        Some(d) => {
                                            v = v * 8 + d;
                                            chars.next();
                                            n += 1;
                                        }
                                        None => break,
                                    }
                                }
                                let b = u8::try_from(v).map_err(|_| {
                                    ImportError::syntax(
                                        file,
                                        line,
                                        format!("octal escape \\{v:o} is more than a byte"),
                                    )
                                })?;
                                bytes.push(b);
                            }
                            Some(other) => {
                                let mut buf = [0u8; 4];
                                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                            }
                            None => break,
                        },
                        other => {
                            let mut buf = [0u8; 4];
                            bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
                if !closed {
                    return Err(ImportError::syntax(
                        file,
                        start,
                        "string without its closing quote (a truncated file?)",
                    ));
                }
                out.push(Token {
                    tok: Tok::Str(bytes),
                    line: start,
                });
            }
            c if c.is_control() => {
                return Err(ImportError::syntax(
                    file,
                    line,
                    format!(
                        "control character U+{:04X} (not a text configuration file?)",
                        u32::from(c)
                    ),
                ));
            }
            c => {
                let mut w = String::new();
                w.push(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace()
                        || n.is_control()
                        || matches!(n, '{' | '}' | ';' | ',' | '(' | ')' | '"' | '#')
                        || (n == '=' && !matches!(w.as_str(), "!" | "~"))
                    {
                        break;
                    }
                    w.push(n);
                    chars.next();
                    if w == "!=" || w == "~=" {
                        break;
                    }
                }
                out.push(Token {
                    tok: Tok::Word(w),
                    line,
                });
            }
        }
        if let Some(t) = out.last() {
            if t.line > last_counted {
                last_counted = t.line;
                holding = holding.saturating_add(1);
            }
        }
    }
    Ok((out, holding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, Path::new("t"))
            .expect("lexes")
            .0
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    fn w(s: &str) -> Tok {
        Tok::Word(s.into())
    }

    #[test]
    fn words_strings_punctuation_and_comments() {
        assert_eq!(
            toks("host a { # comment\n hardware ethernet 52:54:00:00:00:01; }"),
            vec![
                w("host"),
                w("a"),
                Tok::Punct('{'),
                w("hardware"),
                w("ethernet"),
                w("52:54:00:00:00:01"),
                Tok::Punct(';'),
                Tok::Punct('}')
            ]
        );
        assert_eq!(
            toks("if option a != \"x\" and b=c"),
            vec![
                w("if"),
                w("option"),
                w("a"),
                w("!="),
                Tok::Str(b"x".to_vec()),
                w("and"),
                w("b"),
                Tok::Punct('='),
                w("c")
            ]
        );
    }

    #[test]
    fn string_escapes_octal_hex_and_quotes() {
        assert_eq!(
            toks(r#"uid "\001RT\x41\"\\";"#),
            vec![
                w("uid"),
                Tok::Str(vec![1, b'R', b'T', b'A', b'"', b'\\']),
                Tok::Punct(';')
            ]
        );
    }

    #[test]
    fn lines_and_holding_lines() {
        let (t, n) = lex("a;\n\n# only\nb \"x\ny\" c;\n", Path::new("t")).expect("lexes");
        assert_eq!(t[2].line, 4);
        assert_eq!(t[3].line, 4);
        assert_eq!(t[4].line, 5);
        assert_eq!(n, 3);
    }

    #[test]
    fn unterminated_string_and_control_bytes_are_errors() {
        let e = lex("a;\nb \"never closed", Path::new("f.conf")).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "f.conf:2: string without its closing quote (a truncated file?)"
        );
        assert!(lex("a\u{1}b", Path::new("f")).is_err());
    }
}
