//! Kea's JSON dialect made plain JSON: `//`, `#` and `/* */` comments outside strings are removed,
//! `<?include "file"?>` is replaced by the named file (recursively), a trailing comma before
//! `}` or `]` is dropped and a number written `.5` gets its leading zero. Lines keep their place, and every line of the result remembers the
//! file and line it came from, so errors and findings name the source as the operator wrote it.

use crate::{ImportError, Report, SourceFiles};
use std::path::{Path, PathBuf};

/// Includes nested deeper than this are refused (a file including itself).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Plain JSON text and where each of its lines came from.
#[derive(Clone, Debug, Default)]
pub struct Joined {
    /// The JSON text: comments gone, includes in place.
    pub text: String,
    /// `origin[i]` is the file and 1-based line of line `i` (0-based) of `text`.
    pub origin: Vec<(PathBuf, u32)>,
}

impl Joined {
    /// The source file and line of the 1-based line `line` of [`Joined::text`].
    pub fn source_of(&self, line: usize) -> (&Path, u32) {
        match self
            .origin
            .get(line.saturating_sub(1))
            .or(self.origin.last())
        {
            Some((p, l)) => (p.as_path(), *l),
            None => (Path::new(""), 0),
        }
    }
}

/// Reads `path` and everything it includes into one JSON text, counting the lines that hold
/// something in each file in `report`.
pub fn load(
    files: &dyn SourceFiles,
    path: &Path,
    report: &mut Report,
) -> Result<Joined, ImportError> {
    let mut out = Joined::default();
    let mut stack = Vec::new();
    load_into(files, path, report, &mut out, &mut stack, None)?;
    drop_trailing_commas(&mut out.text);
    Ok(out)
}

fn load_into(
    files: &dyn SourceFiles,
    path: &Path,
    report: &mut Report,
    out: &mut Joined,
    stack: &mut Vec<PathBuf>,
    from: Option<(&Path, u32)>,
) -> Result<(), ImportError> {
    if stack.len() >= MAX_INCLUDE_DEPTH || stack.iter().any(|p| p == path) {
        let (f, l) = from.unwrap_or((path, 0));
        return Err(ImportError::syntax(
            f,
            l,
            format!("include of {} loops or nests too deep", path.display()),
        ));
    }
    let text = files.read(path).map_err(|source| match from {
        Some((f, l)) => ImportError::syntax(f, l, format!("{}: {source}", path.display())),
        None => ImportError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let stripped =
        strip_comments(&text).map_err(|(line, msg)| ImportError::syntax(path, line, msg))?;
    let holding = stripped.iter().filter(|l| !l.trim().is_empty()).count();
    report.count_lines(path, u32::try_from(holding).unwrap_or(u32::MAX));
    stack.push(path.to_path_buf());
    for (i, line) in stripped.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut rest = line.as_str();
        while let Some((before, name, after)) = split_include(rest) {
            let name = name.map_err(|msg| ImportError::syntax(path, n, msg))?;
            push_line(out, before, path, n);
            let target = resolve(files, path, &name);
            load_into(files, &target, report, out, stack, Some((path, n)))?;
            rest = after;
        }
        push_line(out, rest, path, n);
    }
    stack.pop();
    Ok(())
}

fn push_line(out: &mut Joined, text: &str, file: &Path, line: u32) {
    out.text.push_str(text);
    out.text.push('\n');
    out.origin.push((file.to_path_buf(), line));
}

/// The include target: as written (relative to the current directory, as Kea reads it) when
/// that file exists, else relative to the including file's directory.
fn resolve(files: &dyn SourceFiles, including: &Path, name: &str) -> PathBuf {
    let direct = PathBuf::from(name);
    if direct.is_absolute() || files.read(&direct).is_ok() {
        return direct;
    }
    match including.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => direct,
    }
}

/// Finds `<?include "name"?>` in a comment-free line: text before it, the name (or why it is
/// malformed), and the text after it.
fn split_include(line: &str) -> Option<(&str, Result<String, String>, &str)> {
    let start = find_outside_strings(line, "<?include")?;
    let before = &line[..start];
    let after_kw = &line[start + "<?include".len()..];
    let Some(end) = after_kw.find("?>") else {
        return Some((before, Err("`<?include` without `?>`".into()), ""));
    };
    let arg = after_kw[..end].trim();
    let name = arg
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("`<?include {arg}?>`: give the file name in double quotes"));
    Some((before, name, &after_kw[end + 2..]))
}

/// Byte offset of `pat` in `line` outside JSON strings.
fn find_outside_strings(line: &str, pat: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if bytes[i..].starts_with(pat.as_bytes()) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The text split into lines with every comment outside strings removed (a `/* */` comment
/// spanning lines leaves those lines empty). Err: the line of an unterminated `/*`.
pub fn strip_comments(text: &str) -> Result<Vec<String>, (u32, String)> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut line: u32 = 1;
    let mut in_str = false;
    let mut block_from: Option<u32> = None;
    while let Some(c) = chars.next() {
        if c == '\n' {
            lines.push(std::mem::take(&mut cur));
            line = line.saturating_add(1);
            // A JSON string cannot span lines; the parser reports it.
            in_str = false;
            continue;
        }
        if block_from.is_some() {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block_from = None;
            }
            continue;
        }
        if in_str {
            cur.push(c);
            if c == '\\' {
                if let Some(&n) = chars.peek() {
                    if n != '\n' {
                        cur.push(n);
                        chars.next();
                    }
                }
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                cur.push(c);
            }
            '#' => skip_to_eol(&mut chars),
            '/' if chars.peek() == Some(&'/') => skip_to_eol(&mut chars),
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block_from = Some(line);
            }
            '\r' => {}
            // Kea reads `.5` as 0.5; JSON wants the leading zero.
            '.' if chars.peek().is_some_and(char::is_ascii_digit)
                && matches!(cur.trim_end().chars().last(), Some(':' | ',' | '[' | '-')) =>
            {
                cur.push_str("0.");
            }
            _ => cur.push(c),
        }
    }
    if let Some(from) = block_from {
        return Err((from, "`/*` comment is never closed".into()));
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    Ok(lines)
}

fn skip_to_eol(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&n) = chars.peek() {
        if n == '\n' {
            break;
        }
        chars.next();
    }
}

/// Replaces a comma followed only by whitespace and then `}` or `]` with a space (Kea accepts
/// such commas; JSON does not). Strings are left alone; lines keep their place.
fn drop_trailing_commas(text: &mut String) {
    let bytes = text.as_bytes();
    let mut kill = Vec::new();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' || b == b'\n' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b',' {
            let next = bytes[i + 1..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .copied();
            if matches!(next, Some(b'}') | Some(b']')) {
                kill.push(i);
            }
        }
        i += 1;
    }
    if kill.is_empty() {
        return;
    }
    let mut b = std::mem::take(text).into_bytes();
    for k in kill {
        b[k] = b' ';
    }
    // Only ASCII commas were replaced by ASCII spaces: still UTF-8.
    *text = String::from_utf8_lossy(&b).into_owned();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemFiles;

    #[test]
    fn comments_go_strings_stay_lines_keep_their_place() {
        let text = "{ // a\n \"a#b\": \"x//y\", # c\n /* d\n e */ \"k\": .5 }\n";
        let lines = strip_comments(text).expect("ok");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].trim(), "{");
        assert_eq!(lines[1].trim(), "\"a#b\": \"x//y\",");
        assert_eq!(lines[2].trim(), "");
        assert_eq!(lines[3].trim(), "\"k\": 0.5 }");
        assert_eq!(strip_comments("a\n/* x").unwrap_err().0, 2);
    }

    #[test]
    fn non_ascii_text_is_scanned_by_characters() {
        assert_eq!(
            find_outside_strings("/\u{d8} x <?include", "<?include"),
            Some(6)
        );
        assert_eq!(find_outside_strings("\u{e9}\u{e9}", "<?include"), None);
    }

    #[test]
    fn includes_are_spliced_with_their_origin() {
        let files = MemFiles::new()
            .with(
                "main.json",
                "{\n\"a\": [\n<?include \"sub.json\"?>\n],\n}\n",
            )
            .with("sub.json", "// sub\n1,\n2\n");
        let mut report = Report::default();
        let j = load(&files, Path::new("main.json"), &mut report).expect("load");
        let v: serde_json::Value = serde_json::from_str(&j.text).expect("json");
        assert_eq!(v["a"], serde_json::json!([1, 2]));
        let (f, l) = j.source_of(5);
        assert_eq!((f, l), (Path::new("sub.json"), 2));
        assert_eq!(j.source_of(8), (Path::new("main.json"), 4));
        assert_eq!(report.total_lines(), 5 + 2);
    }

    #[test]
    fn include_loops_and_missing_files_are_errors() {
        let files = MemFiles::new().with("a.json", "<?include \"a.json\"?>\n");
        let e = load(&files, Path::new("a.json"), &mut Report::default()).unwrap_err();
        assert!(e.to_string().starts_with("a.json:1:"), "{e}");
        let files = MemFiles::new().with("a.json", "{\n<?include \"nope.json\"?>\n}");
        let e = load(&files, Path::new("a.json"), &mut Report::default()).unwrap_err();
        assert!(e.to_string().starts_with("a.json:2:"), "{e}");
    }
}
