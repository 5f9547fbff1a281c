//! The configuration as JSON values that know their line.
//!
//! `serde_json` parses the text (and reports syntax errors with their line); a light second scan
//! of the same text records the line of every object key and array item, in file order, so a
//! finding can name `FILE:LINE` of the key it is about. serde_json's `Value` has no spans, and
//! the scan needs to know only strings and brackets, so no further crate is needed.

use super::jsonc::Joined;
use crate::ImportError;
use serde_json::Value;
use std::path::Path;

/// Lines of one JSON value and of what it holds, mirroring the value's shape.
#[derive(Clone, Debug, Default)]
struct Lines {
    /// Line (1-based, of the joined text) where the value starts.
    line: usize,
    /// Object members in file order: key, line of the key, lines of the value.
    keys: Vec<(String, usize, Lines)>,
    /// Array items in order.
    items: Vec<Lines>,
}

/// A parsed configuration: values, their lines, and the files the lines came from.
pub struct Doc {
    value: Value,
    lines: Lines,
    joined: Joined,
}

impl Doc {
    /// Parses the joined text; a syntax error names the source file and line.
    pub fn parse(joined: Joined) -> Result<Doc, ImportError> {
        let value: Value = serde_json::from_str(&joined.text).map_err(|e| {
            let (file, line) = joined.source_of(e.line());
            ImportError::syntax(file, line, format!("not valid JSON: {e}"))
        })?;
        let mut scan = Scan {
            b: joined.text.as_bytes(),
            i: 0,
            line: 1,
        };
        let lines = scan.value();
        Ok(Doc {
            value,
            lines,
            joined,
        })
    }

    /// The top-level value.
    pub fn root(&self) -> Node<'_> {
        Node {
            v: &self.value,
            l: &self.lines,
            line: self.lines.line,
            doc: self,
        }
    }
}

/// One JSON value with its place in the source.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    /// The value.
    pub v: &'a Value,
    l: &'a Lines,
    line: usize,
    doc: &'a Doc,
}

impl<'a> Node<'a> {
    /// Source file and line of this value (of its key, when it is an object member).
    pub fn at(&self) -> (&'a Path, u32) {
        self.doc.joined.source_of(self.line)
    }

    /// The members of an object in file order (a repeated key: its last occurrence, the one
    /// the value holds); nothing for other values.
    pub fn entries(&self) -> Vec<(&'a str, Node<'a>)> {
        let Some(map) = self.v.as_object() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (idx, (k, kl, l)) in self.l.keys.iter().enumerate() {
            if self.l.keys[idx + 1..].iter().any(|(k2, _, _)| k2 == k) {
                continue;
            }
            if let Some((key, v)) = map.get_key_value(k) {
                out.push((
                    key.as_str(),
                    Node {
                        v,
                        l,
                        line: *kl,
                        doc: self.doc,
                    },
                ));
            }
        }
        out
    }

    /// The items of an array; nothing for other values.
    pub fn items(&self) -> Vec<Node<'a>> {
        let Some(arr) = self.v.as_array() else {
            return Vec::new();
        };
        arr.iter()
            .enumerate()
            .map(|(i, v)| {
                let l = self.l.items.get(i).unwrap_or(self.l);
                Node {
                    v,
                    l,
                    line: l.line,
                    doc: self.doc,
                }
            })
            .collect()
    }

    /// The string value.
    pub fn str(&self) -> Option<&'a str> {
        self.v.as_str()
    }
}

/// The second pass: lines of keys and items. The text is valid JSON (serde_json said so).
struct Scan<'t> {
    b: &'t [u8],
    i: usize,
    line: usize,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b'\n' {
                self.line += 1;
            } else if !c.is_ascii_whitespace() {
                break;
            }
            self.i += 1;
        }
    }

    fn value(&mut self) -> Lines {
        self.ws();
        let mut l = Lines {
            line: self.line,
            ..Lines::default()
        };
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'}') | None => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        Some(b'"') => {
                            let kline = self.line;
                            let raw = self.string();
                            let key: String = serde_json::from_str(raw).unwrap_or_default();
                            self.ws();
                            if self.b.get(self.i) == Some(&b':') {
                                self.i += 1;
                            }
                            let v = self.value();
                            l.keys.push((key, kline, v));
                        }
                        Some(_) => self.i += 1,
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') | None => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        Some(_) => {
                            let v = self.value();
                            l.items.push(v);
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(&c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace() {
                        break;
                    }
                    self.i += 1;
                }
            }
            None => {}
        }
        l
    }

    /// Skips a string starting at `"`; returns it with its quotes.
    fn string(&mut self) -> &str {
        let start = self.i;
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            if c == b'\\' {
                self.i += 1;
            } else if c == b'"' {
                break;
            }
        }
        let end = self.i.min(self.b.len());
        std::str::from_utf8(&self.b[start..end]).unwrap_or("\"\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn doc(text: &str) -> Result<Doc, ImportError> {
        let n = text.lines().count().max(1);
        let joined = Joined {
            text: text.to_string(),
            origin: (1..=n)
                .map(|i| (PathBuf::from("k.json"), u32::try_from(i).unwrap_or(0)))
                .collect(),
        };
        Doc::parse(joined)
    }

    #[test]
    fn keys_and_items_know_their_lines() {
        let d = doc("{\n \"a\": 1,\n \"b\": [\n  {\"x\": \"y\\\"{\"},\n  {\n   \"z\": 2 }\n ],\n \"a\": 3\n}").expect("json");
        let root = d.root();
        let e = root.entries();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].0, "b");
        assert_eq!(e[0].1.at().1, 3);
        assert_eq!(e[1].0, "a");
        assert_eq!(e[1].1.at().1, 8);
        assert_eq!(e[1].1.v, &serde_json::json!(3));
        let items = e[0].1.items();
        assert_eq!(items[0].at().1, 4);
        assert_eq!(items[1].entries()[0].1.at().1, 6);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = doc("{\n \"a\": 1\n \"b\": 2\n}").err().expect("error");
        assert!(e.to_string().starts_with("k.json:3:"), "{e}");
    }
}
