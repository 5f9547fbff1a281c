//! ISC dhcpd: `dhcpd.conf` (with `include`s) and `dhcpd.leases`.
//!
//! Modules: `lexer` (tokens with their lines), `tree` (statements and blocks), `options`
//! (dhcpd's option names, `option NAME code N = TYPE` definitions, values → Leasehold
//! options), `cond` (`if`/`match if` expressions → class match keys), `conf` (scopes →
//! [`ConfigPlan`](crate::ConfigPlan)) and `leases` (the lease log).

mod cond;
mod conf;
pub mod leases;
mod lexer;
mod options;
mod tree;

use crate::{ImportError, Imported, Report, SourceFiles};
use leasehold_engine::Timestamp;
use std::path::{Path, PathBuf};
use tree::Stmt;

/// `include`s nested deeper than this are refused (an include cycle).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Imports `config` and, when given, the lease file `leases`, as of `now`.
///
/// Leases whose address lies outside every imported subnet are not carried over (a finding at
/// their line); abandoned leases are kept as declined (probation until their `ends`).
pub fn import(
    files: &dyn SourceFiles,
    config: &Path,
    leases: Option<&Path>,
    now: Timestamp,
) -> Result<Imported, ImportError> {
    let mut report = Report::default();
    let stmts = load(files, config, &mut report, 0)?;
    let pairs: Vec<(PathBuf, Stmt)> = stmts.into_iter().map(|s| (s.file.clone(), s)).collect();
    let plan = {
        let mut b = conf::Builder::new(&mut report, format!("ISC dhcpd: {}", config.display()));
        b.definitions(&pairs);
        b.global(&pairs);
        b.finish()
    };
    let mut out = Vec::new();
    if let Some(path) = leases {
        let text = files.read(path).map_err(|source| ImportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        for row in leases::read(&text, path, now, &mut report)? {
            if plan.assigns(row.lease.addr) {
                out.push(row.lease);
            } else {
                report.lease_outside_subnets(path, row.line, row.lease.addr);
            }
        }
    }
    Ok(Imported {
        config: plan,
        leases: out,
        report,
    })
}

/// The statements of `path`, with every `include "FILE";` (at any depth) replaced by the
/// statements of FILE. Counts each file's lines in `report`.
fn load(
    files: &dyn SourceFiles,
    path: &Path,
    report: &mut Report,
    depth: usize,
) -> Result<Vec<Stmt>, ImportError> {
    let text = files.read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (tokens, holding) = lexer::lex(&text, path)?;
    report.count_lines(path, holding);
    let stmts = tree::parse(tokens, path)?;
    expand(files, stmts, report, depth)
}

fn expand(
    files: &dyn SourceFiles,
    stmts: Vec<Stmt>,
    report: &mut Report,
    depth: usize,
) -> Result<Vec<Stmt>, ImportError> {
    let mut out = Vec::with_capacity(stmts.len());
    for mut s in stmts {
        if s.keyword() == "include" && s.block.is_none() {
            let target = match s.head.get(1).map(|t| &t.tok) {
                Some(lexer::Tok::Str(b)) if s.head.len() == 2 => {
                    PathBuf::from(String::from_utf8_lossy(b).into_owned())
                }
                _ => {
                    return Err(ImportError::syntax(
                        &s.file,
                        s.line,
                        "`include` needs one quoted file name",
                    ))
                }
            };
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(ImportError::syntax(
                    &s.file,
                    s.line,
                    format!("includes nested more than {MAX_INCLUDE_DEPTH} deep (a cycle?)"),
                ));
            }
            out.extend(load(files, &target, report, depth + 1)?);
            continue;
        }
        if let Some(block) = s.block.take() {
            s.block = Some(expand(files, block, report, depth)?);
        }
        out.push(s);
    }
    Ok(out)
}
