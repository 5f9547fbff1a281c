//! Reading `dnsmasq.conf`: one `key=value` (or bare `key`) per line, `#` comments, `"` quoting,
//! and the files it pulls in with `conf-file=` and `conf-dir=` — in file order, as dnsmasq reads
//! them (dnsmasq(8), "CONFIG FILE").

use crate::{ImportError, Report, SourceFiles};
use std::path::{Path, PathBuf};

/// How deep `conf-file`/`conf-dir` may nest before the importer calls it a loop.
const MAX_DEPTH: usize = 16;

/// One comma-separated field of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The text, quotes removed and escapes (`\"`, `\\`, `\t`, `\n`, `\r`, `\b`, `\e`) applied.
    pub text: String,
    /// Some of it was inside `"` quotes (dnsmasq then treats `1.2.3.4` as a string, not an
    /// address).
    pub quoted: bool,
}

/// One option line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The file it is in.
    pub file: PathBuf,
    /// Its line (1-based).
    pub line: u32,
    /// The option name (`dhcp-range`).
    pub key: String,
    /// Whether the line had `=` (a value, possibly empty).
    pub has_value: bool,
    /// The value split at commas outside quotes, each field trimmed.
    pub args: Vec<Arg>,
}

impl Directive {
    /// The fields as plain text.
    pub fn texts(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.text.as_str()).collect()
    }
}

/// Reads `path` and everything it includes, in order. The file itself must be readable; an
/// included file or directory that cannot be read is a finding (dnsmasq would stop; the source
/// machine's files may simply not be here).
pub fn read(
    files: &dyn SourceFiles,
    path: &Path,
    report: &mut Report,
) -> Result<Vec<Directive>, ImportError> {
    let text = files.read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    parse_file(files, path, &text, report, &mut out, &mut stack)?;
    Ok(out)
}

fn parse_file(
    files: &dyn SourceFiles,
    path: &Path,
    text: &str,
    report: &mut Report,
    out: &mut Vec<Directive>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), ImportError> {
    let mut counted = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Some(d) = parse_line(path, line, raw)? else {
            continue;
        };
        counted = counted.saturating_add(1);
        match d.key.as_str() {
            "conf-file" => include_file(files, &d, report, out, stack)?,
            "conf-dir" => include_dir(files, &d, report, out, stack)?,
            _ => out.push(d),
        }
    }
    report.count_lines(path, counted);
    Ok(())
}

fn include_file(
    files: &dyn SourceFiles,
    d: &Directive,
    report: &mut Report,
    out: &mut Vec<Directive>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), ImportError> {
    let Some(name) = d
        .args
        .first()
        .map(|a| a.text.as_str())
        .filter(|n| !n.is_empty())
    else {
        report.not_carried(&d.file, d.line, "`conf-file` without a file name");
        return Ok(());
    };
    if name == "-" {
        report.not_carried(
            &d.file,
            d.line,
            "`conf-file=-` (configuration from standard input) cannot be read by the importer",
        );
        return Ok(());
    }
    enter(files, Path::new(name), d, report, out, stack)
}

fn include_dir(
    files: &dyn SourceFiles,
    d: &Directive,
    report: &mut Report,
    out: &mut Vec<Directive>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), ImportError> {
    let texts = d.texts();
    let Some((dir, exts)) = texts.split_first().filter(|(d, _)| !d.is_empty()) else {
        report.not_carried(&d.file, d.line, "`conf-dir` without a directory");
        return Ok(());
    };
    let listed = match files.list_dir(Path::new(dir)) {
        Ok(l) => l,
        Err(e) => {
            report.not_carried(
                &d.file,
                d.line,
                format!("`conf-dir={dir}` not read ({e}): its lines are not carried over"),
            );
            return Ok(());
        }
    };
    for file in listed.into_iter().filter(|f| conf_dir_takes(f, exts)) {
        enter(files, &file, d, report, out, stack)?;
    }
    Ok(())
}

/// dnsmasq's `conf-dir` filter: names ending in `~`, starting with `.` or starting and ending
/// with `#` are skipped; `*.ext` keeps only those extensions, a bare `ext` skips it.
fn conf_dir_takes(file: &Path, exts: &[&str]) -> bool {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.ends_with('~')
        || name.starts_with('.')
        || (name.starts_with('#') && name.ends_with('#'))
    {
        return false;
    }
    let wanted: Vec<&str> = exts.iter().filter_map(|e| e.strip_prefix('*')).collect();
    if !wanted.is_empty() {
        return wanted.iter().any(|w| name.ends_with(w));
    }
    !exts.iter().any(|e| !e.is_empty() && name.ends_with(e))
}

fn enter(
    files: &dyn SourceFiles,
    path: &Path,
    d: &Directive,
    report: &mut Report,
    out: &mut Vec<Directive>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), ImportError> {
    if stack.iter().any(|p| p == path) || stack.len() >= MAX_DEPTH {
        report.not_carried(
            &d.file,
            d.line,
            format!(
                "`{}` includes {} again (a loop): not read twice",
                d.key,
                path.display()
            ),
        );
        return Ok(());
    }
    match files.read(path) {
        Ok(text) => {
            stack.push(path.to_path_buf());
            let r = parse_file(files, path, &text, report, out, stack);
            stack.pop();
            r
        }
        Err(e) => {
            report.not_carried(
                &d.file,
                d.line,
                format!(
                    "`{}`: {} not read ({e}): its lines are not carried over",
                    d.key,
                    path.display()
                ),
            );
            Ok(())
        }
    }
}

/// One line: `None` for blank and comment lines.
pub fn parse_line(file: &Path, line: u32, raw: &str) -> Result<Option<Directive>, ImportError> {
    let chars = unquote(file, line, raw)?;
    let start = chars.iter().position(|(c, q)| *q || !c.is_whitespace());
    let end = chars.iter().rposition(|(c, q)| *q || !c.is_whitespace());
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(None);
    };
    let chars = &chars[start..=end];
    let eq = chars.iter().position(|(c, q)| !*q && *c == '=');
    let (key_part, value) = match eq {
        Some(i) => (&chars[..i], Some(&chars[i + 1..])),
        None => (chars, None),
    };
    let key: String = key_part
        .iter()
        .map(|(c, _)| *c)
        .collect::<String>()
        .trim()
        .to_string();
    if key.is_empty() {
        return Err(ImportError::syntax(
            file,
            line,
            "a value without an option name",
        ));
    }
    if key.chars().any(char::is_whitespace) {
        return Err(ImportError::syntax(
            file,
            line,
            format!("{key:?} is not an option name (dnsmasq would stop: bad option)"),
        ));
    }
    let args = match value {
        None => Vec::new(),
        Some(v) => split_args(v),
    };
    Ok(Some(Directive {
        file: file.to_path_buf(),
        line,
        key: key.strip_prefix("--").unwrap_or(&key).to_string(),
        has_value: value.is_some(),
        args,
    }))
}

/// The line's characters with quoting resolved: each with whether it was quoted; comments
/// (`#` at the start or after white space, outside quotes) removed.
fn unquote(file: &Path, line: u32, raw: &str) -> Result<Vec<(char, bool)>, ImportError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    let mut white = true;
    while let Some(c) = it.next() {
        if c == '"' {
            let mut closed = false;
            while let Some(q) = it.next() {
                match q {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => {
                        let esc = match it.peek() {
                            Some('"') => Some('"'),
                            Some('\\') => Some('\\'),
                            Some('t') => Some('\t'),
                            Some('n') => Some('\n'),
                            Some('r') => Some('\r'),
                            Some('b') => Some('\u{8}'),
                            Some('e') => Some('\u{1b}'),
                            _ => None,
                        };
                        match esc {
                            Some(e) => {
                                it.next();
                                out.push((e, true));
                            }
                            None => out.push(('\\', true)),
                        }
                    }
                    other => out.push((other, true)),
                }
            }
            if !closed {
                return Err(ImportError::syntax(file, line, "missing closing \""));
            }
            white = false;
            continue;
        }
        if c.is_control() && c != '\t' && c != '\r' {
            return Err(ImportError::syntax(
                file,
                line,
                format!(
                    "control character U+{:04X}: not a text configuration file",
                    u32::from(c)
                ),
            ));
        }
        if c.is_whitespace() {
            white = true;
            out.push((' ', false));
        } else {
            if white && c == '#' {
                break;
            }
            white = false;
            out.push((c, false));
        }
    }
    Ok(out)
}

fn split_args(v: &[(char, bool)]) -> Vec<Arg> {
    let mut args = Vec::new();
    let mut cur: Vec<(char, bool)> = Vec::new();
    let mut push = |cur: &mut Vec<(char, bool)>| {
        let start = cur
            .iter()
            .position(|(c, q)| *q || *c != ' ')
            .unwrap_or(cur.len());
        let end = cur
            .iter()
            .rposition(|(c, q)| *q || *c != ' ')
            .map_or(start, |e| e + 1);
        let part = cur.get(start..end.max(start)).unwrap_or(&[]);
        args.push(Arg {
            text: part.iter().map(|(c, _)| *c).collect(),
            quoted: part.iter().any(|(_, q)| *q),
        });
        cur.clear();
    };
    for &(c, q) in v {
        if c == ',' && !q {
            push(&mut cur);
        } else {
            cur.push((c, q));
        }
    }
    push(&mut cur);
    if args.len() == 1 && args[0].text.is_empty() && !args[0].quoted {
        args.clear();
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemFiles;

    fn one(raw: &str) -> Directive {
        parse_line(Path::new("d.conf"), 1, raw)
            .expect("parses")
            .expect("not blank")
    }

    #[test]
    fn keys_values_quotes_and_comments() {
        let d = one("dhcp-option = 66 , \"1.2.3.4\" # the TFTP server");
        assert_eq!(d.key, "dhcp-option");
        assert_eq!(d.texts(), vec!["66", "1.2.3.4"]);
        assert!(!d.args[0].quoted && d.args[1].quoted);
        let d = one("domain-needed");
        assert!(!d.has_value && d.args.is_empty());
        let d = one("dhcp-option=option:domain-search,\"a,b\",c#not-a-comment");
        assert_eq!(
            d.texts(),
            vec!["option:domain-search", "a,b", "c#not-a-comment"]
        );
        assert!(parse_line(Path::new("d.conf"), 1, "   # only a comment")
            .expect("ok")
            .is_none());
        let d = one("pxe-prompt=\"Press \\\"F8\\\"\",60");
        assert_eq!(d.texts(), vec!["Press \"F8\"", "60"]);
    }

    #[test]
    fn bad_lines_are_errors_with_file_and_line() {
        let e = parse_line(Path::new("d.conf"), 7, "dhcp-boot=\"pxelinux.0")
            .expect_err("unterminated quote");
        assert_eq!(e.to_string(), "d.conf:7: missing closing \"");
        assert!(parse_line(Path::new("d.conf"), 2, "dhcp range=1").is_err());
        assert!(parse_line(Path::new("d.conf"), 2, "a\u{0}b").is_err());
    }

    #[test]
    fn conf_file_and_conf_dir_are_read_in_place() {
        let files = MemFiles::new()
            .with(
                "main.conf",
                "a=1\nconf-file=inc.conf\nconf-dir=/d,*.conf\nb=2\nconf-file=main.conf\n",
            )
            .with("inc.conf", "# comment\nc=3\n")
            .with("/d/x.conf", "x=1\n")
            .with("/d/y.bak", "y=1\n")
            .with("/d/.hidden.conf", "h=1\n");
        let mut report = Report::default();
        let ds = read(&files, Path::new("main.conf"), &mut report).expect("reads");
        let keys: Vec<&str> = ds.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, vec!["a", "c", "x", "b"]);
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert!(report.findings[0].what.contains("loop"));
        assert_eq!(report.total_lines(), 5 + 1 + 1);
    }

    #[test]
    fn conf_dir_filters_like_dnsmasq() {
        assert!(conf_dir_takes(Path::new("/d/a.conf"), &["*.conf"]));
        assert!(!conf_dir_takes(Path::new("/d/a.bak"), &["*.conf"]));
        assert!(!conf_dir_takes(
            Path::new("/d/a.dpkg-dist"),
            &[".dpkg-dist", ".bak"]
        ));
        assert!(conf_dir_takes(Path::new("/d/a"), &[".dpkg-dist"]));
        assert!(!conf_dir_takes(Path::new("/d/a~"), &[]));
        assert!(!conf_dir_takes(Path::new("/d/#a#"), &[]));
    }
}
