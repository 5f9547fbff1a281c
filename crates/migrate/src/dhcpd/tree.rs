//! dhcpd's statement structure: every statement is a head (tokens up to `;` or `{`) and, for
//! declarations (`subnet`, `host`, `group`, `if`, `lease`, ...), a block of statements.
//!
//! `else` and `elsif` come out as statements of their own after the `if` they belong to. A
//! `{` right after `=` (a record type: `option x code 200 = { ip-address, text };`) is part of
//! the head. A block that is never closed, or a `}` with no block open, is a syntax error: the
//! file is truncated or damaged.

use super::lexer::{Tok, Token};
use crate::ImportError;
use std::path::{Path, PathBuf};

/// Nesting deeper than this is refused (no real configuration comes close).
const MAX_DEPTH: usize = 64;

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// Tokens before the `;` or `{`.
    pub head: Vec<Token>,
    /// The block, for declarations.
    pub block: Option<Vec<Stmt>>,
    /// The line of its first token.
    pub line: u32,
    /// The file it is in.
    pub file: PathBuf,
}

impl Stmt {
    /// The first word of the head (`""` when it starts with something else).
    pub fn keyword(&self) -> &str {
        self.head.first().and_then(Token::word).unwrap_or("")
    }

    /// The word at `i` in the head.
    pub fn word(&self, i: usize) -> Option<&str> {
        self.head.get(i).and_then(Token::word)
    }

    /// The head as text, for messages.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self.head.iter().map(Token::text).collect();
        parts.join(" ")
    }
}

/// Groups `tokens` into statements.
pub fn parse(tokens: Vec<Token>, file: &Path) -> Result<Vec<Stmt>, ImportError> {
    let mut it = tokens.into_iter().peekable();
    let stmts = block(&mut it, file, 0, None)?;
    Ok(stmts)
}

fn block(
    it: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
    file: &Path,
    depth: usize,
    opened_at: Option<u32>,
) -> Result<Vec<Stmt>, ImportError> {
    if depth > MAX_DEPTH {
        return Err(ImportError::syntax(
            file,
            opened_at.unwrap_or(0),
            format!("blocks nested more than {MAX_DEPTH} deep"),
        ));
    }
    let mut out = Vec::new();
    let mut head: Vec<Token> = Vec::new();
    loop {
        let Some(t) = it.next() else {
            if let Some(l) = opened_at {
                return Err(ImportError::syntax(
                    file,
                    l,
                    "block opened here is never closed (a truncated file?)",
                ));
            }
            if let Some(first) = head.first() {
                return Err(ImportError::syntax(
                    file,
                    first.line,
                    format!(
                        "statement `{}` has no `;` (a truncated file?)",
                        head.iter().map(Token::text).collect::<Vec<_>>().join(" ")
                    ),
                ));
            }
            return Ok(out);
        };
        match t.tok {
            Tok::Punct(';') => {
                if let Some(line) = head.first().map(|h| h.line) {
                    out.push(Stmt {
                        head: std::mem::take(&mut head),
                        block: None,
                        line,
                        file: file.to_path_buf(),
                    });
                }
            }
            Tok::Punct('{') if head.last().is_some_and(|h| h.is('=')) => {
                let open_line = t.line;
                head.push(t);
                let mut level = 1usize;
                while level > 0 {
                    let Some(n) = it.next() else {
                        return Err(ImportError::syntax(
                            file,
                            open_line,
                            "record type without its closing `}`",
                        ));
                    };
                    if n.is('{') {
                        level += 1;
                    } else if n.is('}') {
                        level -= 1;
                    }
                    head.push(n);
                }
            }
            Tok::Punct('{') => {
                let line = head.first().map_or(t.line, |h| h.line);
                let inner = block(it, file, depth + 1, Some(t.line))?;
                out.push(Stmt {
                    head: std::mem::take(&mut head),
                    block: Some(inner),
                    line,
                    file: file.to_path_buf(),
                });
                // `if x { } else { }`: a `;` after a block is allowed and means nothing.
                if it.peek().is_some_and(|n| n.is(';')) {
                    it.next();
                }
            }
            Tok::Punct('}') => {
                if opened_at.is_none() {
                    return Err(ImportError::syntax(file, t.line, "`}` with no block open"));
                }
                if let Some(first) = head.first() {
                    return Err(ImportError::syntax(
                        file,
                        first.line,
                        format!(
                            "statement `{}` has no `;`",
                            head.iter().map(Token::text).collect::<Vec<_>>().join(" ")
                        ),
                    ));
                }
                return Ok(out);
            }
            _ => head.push(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn tree(s: &str) -> Result<Vec<Stmt>, ImportError> {
        let (t, _) = lex(s, Path::new("f"))?;
        parse(t, Path::new("f"))
    }

    #[test]
    fn declarations_blocks_and_else() {
        let t = tree(
            "subnet 198.18.0.0 netmask 255.255.255.0 {\n range 198.18.0.10 198.18.0.20;\n}\n\
             if a { filename \"x\"; } else { filename \"y\"; }\n\
             option x code 200 = { ip-address, text };",
        )
        .expect("parses");
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].keyword(), "subnet");
        assert_eq!(t[0].block.as_ref().map(Vec::len), Some(1));
        assert_eq!(t[0].block.as_ref().expect("block")[0].line, 2);
        assert_eq!(t[1].keyword(), "if");
        assert_eq!(t[2].keyword(), "else");
        assert_eq!(t[3].head.len(), 10);
        assert!(t[3].block.is_none());
    }

    #[test]
    fn truncated_and_unbalanced_input_is_refused() {
        let e = tree("a;\nsubnet x {\n range a b;\n").expect_err("truncated");
        assert_eq!(
            e.to_string(),
            "f:2: block opened here is never closed (a truncated file?)"
        );
        assert!(tree("a; }").is_err());
        assert!(tree("a b").is_err());
        assert!(tree("x { a b }").is_err());
        assert!(tree(&"x {".repeat(100)).is_err());
    }
}
