//! dnsmasq: `dnsmasq.conf` (with `conf-file` and `conf-dir`) and its lease file.
//!
//! `conf` reads the lines, `parse` types the DHCP ones, `tags` resolves dnsmasq's tags to
//! Leasehold's scopes and classes, `build` assembles the configuration, `options` converts
//! option values, `keys` says why the rest is not carried over, and `leases` reads
//! `dnsmasq.leases`.

mod build;
mod conf;
mod hex;
mod keys;
pub mod leases;
mod options;
mod parse;
mod tags;

use crate::{ImportError, Imported, Origin, Report, SourceFiles};
use build::Input;
use conf::Directive;
use leasehold_engine::Timestamp;
use std::net::Ipv4Addr;
use std::path::Path;

/// Imports `config` and, when given, the lease file `leases`, as of `now`.
pub fn import(
    files: &dyn SourceFiles,
    config: &Path,
    leases: Option<&Path>,
    now: Timestamp,
) -> Result<Imported, ImportError> {
    let mut report = Report::default();
    let directives = conf::read(files, config, &mut report)?;
    let mut input = Input::default();
    for (rank, d) in directives.iter().enumerate() {
        collect(files, rank, d, &mut input, &mut report)?;
    }
    if let Some((o, file)) = &input.leasefile {
        // Any lease file given counts: it may be a copy of this one.
        if leases.is_none() {
            report.not_carried(
                &o.file,
                o.line,
                format!(
                    "dnsmasq keeps its leases in {file}: import them with `--leases {file}` \
                     (Leasehold keeps leases in its database)"
                ),
            );
        }
    }
    let mut plan = build::build(&input, &mut report);
    plan.source = format!("dnsmasq: {}", config.display());
    let leases = match leases {
        Some(path) => leases::read(files, path, now, &plan, &mut report)?,
        None => Vec::new(),
    };
    Ok(Imported {
        config: plan,
        leases,
        report,
    })
}

/// Sorts one line into `input`, or reports it.
fn collect(
    files: &dyn SourceFiles,
    rank: usize,
    d: &Directive,
    input: &mut Input,
    report: &mut Report,
) -> Result<(), ImportError> {
    let origin = Origin::new(&d.file, d.line);
    let first = d.args.first().map(|a| a.text.as_str());
    let mut not = |why: String| report.not_carried(&d.file, d.line, why);
    match d.key.as_str() {
        "dhcp-range" => match parse::range(d) {
            Ok(r) => input.ranges.push(r),
            Err(why) => not(format!("`dhcp-range` not carried over: {why}")),
        },
        "dhcp-host" => match parse::host(d) {
            Ok(h) => input.hosts.push(h),
            Err(why) => not(format!("`dhcp-host` not carried over: {why}")),
        },
        "dhcp-vendorclass" | "dhcp-userclass" | "dhcp-match" | "dhcp-mac" | "dhcp-circuitid"
        | "dhcp-remoteid" => match parse::matcher(d) {
            Ok(m) => input.matchers.push(m),
            Err(why) => not(format!("`{}` not carried over: {why}", d.key)),
        },
        "dhcp-option" | "dhcp-option-force" => match parse::option(d) {
            Ok(o) => input.options.push((rank, o)),
            Err(why) => not(format!("`{}` not carried over: {why}", d.key)),
        },
        "dhcp-boot" => match parse::boot(d) {
            Ok(b) => input.boots.push((rank, b)),
            Err(why) => not(format!("`dhcp-boot` not carried over: {why}")),
        },
        "dhcp-ignore" => match parse::ignore(d) {
            Ok(t) => input.ignores.push((origin, t)),
            Err(why) => not(format!("`dhcp-ignore` not carried over: {why}")),
        },
        "pxe-service" => match parse::pxe_service(d) {
            Ok(p) => input.pxe.push(p),
            Err(why) => not(format!("`pxe-service` not carried over: {why}")),
        },
        "dhcp-hostsfile" | "dhcp-optsfile" | "dhcp-hostsdir" | "dhcp-optsdir" => {
            side_file(files, rank, d, input, report)?;
        }
        "domain" => input.domains.push((origin, d.args.clone())),
        "dhcp-leasefile" if first.is_some_and(|f| !f.is_empty()) => {
            input.leasefile = Some((origin, first.unwrap_or_default().to_string()));
        }
        "dhcp-authoritative" => input.authoritative = true,
        // What Leasehold does anyway: it never moves `file`/`sname` into options, filters
        // requests by interface whatever its sockets are bound to, never serves loopback, and
        // never pings an address before offering it (a conflict comes back as a DECLINE).
        "dhcp-no-override" | "bind-interfaces" | "bind-dynamic" | "no-ping" => {}
        "except-interface" if d.args.iter().all(|a| a.text == "lo") => {}
        "bootp-dynamic" if d.args.is_empty() => input.bootp_dynamic = true,
        "port" if first == Some("0") => input.dns_off = true,
        "listen-address" => {
            for a in &d.args {
                match a.text.parse::<Ipv4Addr>() {
                    Ok(ip) if !ip.is_loopback() => input.listen.push((origin.clone(), ip)),
                    _ => not(keys::why_not("listen-address")),
                }
            }
        }
        "interface" => {
            for a in d.args.iter().filter(|a| !a.text.is_empty()) {
                if a.text.contains('*') {
                    not(format!(
                        "interface pattern {:?}: Leasehold lists interfaces by name",
                        a.text
                    ));
                } else if a.text != "lo" {
                    input.interfaces.push((origin.clone(), a.text.clone()));
                }
            }
        }
        "enable-tftp" => {
            input.enable_tftp = Some((origin, d.texts().iter().map(|s| s.to_string()).collect()))
        }
        "tftp-root" => {
            input.tftp_root = Some((origin, d.texts().iter().map(|s| s.to_string()).collect()))
        }
        key => not(keys::why_not(key)),
    }
    Ok(())
}

/// `dhcp-hostsfile` / `dhcp-optsfile` (and `-dir`): a file, or a directory of files (read in
/// name order), of `dhcp-host` / `dhcp-option` values, one per line.
fn side_file(
    files: &dyn SourceFiles,
    rank: usize,
    d: &Directive,
    input: &mut Input,
    report: &mut Report,
) -> Result<(), ImportError> {
    let Some(path) = d.args.first().map(|a| Path::new(a.text.as_str())) else {
        report.not_carried(&d.file, d.line, format!("`{}` without a file", d.key));
        return Ok(());
    };
    let paths = match files.read(path) {
        Ok(text) => return side_text(path, &text, rank, d, input, report),
        Err(e) => match files.list_dir(path) {
            Ok(list) => list,
            Err(_) => {
                report.not_carried(
                    &d.file,
                    d.line,
                    format!(
                        "`{}`: {} not read ({e}): its lines are not carried over",
                        d.key,
                        path.display()
                    ),
                );
                return Ok(());
            }
        },
    };
    for p in paths {
        match files.read(&p) {
            Ok(text) => side_text(&p, &text, rank, d, input, report)?,
            Err(e) => report.not_carried(
                &d.file,
                d.line,
                format!("`{}`: {} not read ({e})", d.key, p.display()),
            ),
        }
    }
    Ok(())
}

/// The lines of one hosts or options file.
fn side_text(
    path: &Path,
    text: &str,
    rank: usize,
    d: &Directive,
    input: &mut Input,
    report: &mut Report,
) -> Result<(), ImportError> {
    let hosts = matches!(d.key.as_str(), "dhcp-hostsfile" | "dhcp-hostsdir");
    let mut counted = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        counted += 1;
        let key = if hosts { "dhcp-host" } else { "dhcp-option" };
        let Some(sub) = conf::parse_line(path, line, &format!("{key}={t}"))? else {
            continue;
        };
        let origin = Origin::new(path, line);
        if hosts {
            match parse::host_fields(&sub.args, origin) {
                Ok(h) => input.hosts.push(h),
                Err(why) => report.not_carried(path, line, format!("host not carried over: {why}")),
            }
        } else {
            match parse::option_fields(&sub.args, origin, false) {
                Ok(o) => input.options.push((rank, o)),
                Err(why) => {
                    report.not_carried(path, line, format!("option not carried over: {why}"))
                }
            }
        }
    }
    report.count_lines(path, counted);
    Ok(())
}
