//! `dhcpd.conf` statements → [`ConfigPlan`].
//!
//! dhcpd's scopes (global, `shared-network`, `group`, `subnet`, `pool`, `host`, `class`) are
//! flattened: a scope's parameters (options, `filename`, `next-server`, `server-name`, lease
//! times) are collected first, then pushed into the subnets and reservations the scope holds.
//! Global lease times and options go to `[server]`; global `filename`/`next-server`/
//! `server-name` (Leasehold has no server-wide ones) to every subnet that sets none. Hosts are
//! placed at the end in the subnet holding their `fixed-address`, wherever they were declared.
//! `if` statements become classes (one per branch whose condition maps to match keys; an
//! `else` gives the scope's defaults, which a class overrides). Every statement that is not
//! carried over is a finding at its line.

use super::cond::{self, Keys};
use super::lexer::{Tok, Token};
use super::options::{colon_hex, encode, to_plan, Def, Defs};
use super::tree::Stmt;
use crate::{
    ClassPlan, ConfigPlan, OptionPlan, Origin, PoolPlan, Report, ReservationPlan, SubnetPlan,
};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// dhcpd's lease time when the configuration sets none (`default-lease-time`, seconds).
const DHCPD_LEASE_TIME: u32 = 43_200;
/// dhcpd's `max-lease-time` when the configuration sets none.
const DHCPD_MAX_LEASE_TIME: u32 = 86_400;

/// A parameter value and where it came from.
type At<T> = (T, Origin);

/// T1 and T2 (`dhcp-renewal-time`, `dhcp-rebinding-time`) in effect in a scope.
type Timers = (Option<At<u32>>, Option<At<u32>>);

/// Parameters of a scope that reach what it contains.
#[derive(Clone, Debug, Default)]
struct Params {
    options: Vec<OptionPlan>,
    next_server: Option<At<Ipv4Addr>>,
    filename: Option<At<String>>,
    server_name: Option<At<String>>,
    lease_time: Option<At<u32>>,
    min_lease_time: Option<At<u32>>,
    max_lease_time: Option<At<u32>>,
    /// `option dhcp-renewal-time` (T1), carried as `renewal_time`.
    renewal_time: Option<At<u32>>,
    /// `option dhcp-rebinding-time` (T2), carried as `rebinding_time`.
    rebinding_time: Option<At<u32>>,
    authoritative: Option<At<bool>>,
    use_host_decl_names: Option<bool>,
    interface: Option<At<String>>,
    /// Pool restrictions of the scope (`deny unknown-clients` outside a pool): dhcpd class
    /// names, or the built-in `known`/`unknown`.
    pool_classes: Vec<At<String>>,
}

impl Params {
    /// `inner` over `self`.
    fn overlay(&self, inner: &Params) -> Params {
        let mut out = self.clone();
        for o in &inner.options {
            merge_option(&mut out.options, o.clone());
        }
        macro_rules! take {
            ($f:ident) => {
                if inner.$f.is_some() {
                    out.$f = inner.$f.clone();
                }
            };
        }
        take!(next_server);
        take!(filename);
        take!(server_name);
        take!(lease_time);
        take!(min_lease_time);
        take!(max_lease_time);
        take!(renewal_time);
        take!(rebinding_time);
        take!(authoritative);
        take!(use_host_decl_names);
        take!(interface);
        out.pool_classes.extend(inner.pool_classes.iter().cloned());
        out
    }
}

impl Params {
    /// The lease-time statements of this scope itself, with their lines (for the scopes where
    /// Leasehold has no lease times: hosts, classes, pools).
    fn lease_time_lines(&self) -> impl Iterator<Item = (&'static str, Origin)> + '_ {
        [
            ("default-lease-time", &self.lease_time),
            ("min-lease-time", &self.min_lease_time),
            ("max-lease-time", &self.max_lease_time),
        ]
        .into_iter()
        .filter_map(|(what, v)| Some((what, v.as_ref()?.1.clone())))
    }
}

/// Adds `o`, replacing an option of the same name.
fn merge_option(list: &mut Vec<OptionPlan>, o: OptionPlan) {
    if let Some(old) = list.iter_mut().find(|x| x.name == o.name) {
        *old = o;
    } else {
        list.push(o);
    }
}

/// The kind of scope a block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Global,
    Shared,
    Group,
    Subnet,
    Pool,
    Host,
    Class,
    Branch,
}

/// A host declaration waiting for its subnet.
struct Host {
    name: String,
    file: PathBuf,
    line: u32,
    hw: Option<String>,
    client_id: Option<String>,
    circuit_id: Option<String>,
    remote_id: Option<String>,
    addresses: Vec<At<Ipv4Addr>>,
    hostname: Option<String>,
    params: Params,
    deny_booting: Option<Origin>,
    /// A `fixed-address` was given (and reported when it could not be used).
    had_fixed: bool,
}

/// A pool waiting for its classes to be resolved.
struct Pool {
    subnet: usize,
    plan: PoolPlan,
    classes: Vec<At<String>>,
}

/// The importer's state while walking the statements.
pub struct Builder<'r> {
    report: &'r mut Report,
    defs: Defs,
    plan: ConfigPlan,
    global: Params,
    /// Per subnet: the `authoritative` in force there, when a scope set one.
    subnet_auth: Vec<Option<At<bool>>>,
    /// Per subnet (index into the plan's subnets): the T1/T2 in effect there (own or inherited).
    subnet_timers: Vec<Timers>,
    hosts: Vec<Host>,
    pools: Vec<Pool>,
    /// dhcpd class name → Leasehold class name (classes that were carried over).
    class_names: Vec<(String, String)>,
    /// The first `range dynamic-bootp`, and how many ranges have no such flag.
    dynamic_bootp_ranges: (Option<Origin>, u32),
    if_in_subnet: Vec<Origin>,
    /// Classes with `match EXPR;` whose subclasses are the classes.
    spawners: Vec<Spawner>,
}

/// A class whose members are those of its subclasses (`match EXPR;` + `subclass`).
struct Spawner {
    class: String,
    expr: Vec<Token>,
    params: Params,
    origin: Origin,
    /// Its statements, reported when no subclass is carried.
    body: Vec<Origin>,
    carried: u32,
}

impl<'r> Builder<'r> {
    /// An empty configuration named after `source`.
    pub fn new(report: &'r mut Report, source: String) -> Self {
        Builder {
            report,
            defs: Defs::default(),
            plan: ConfigPlan {
                source,
                ..ConfigPlan::default()
            },
            global: Params::default(),
            subnet_auth: Vec::new(),
            subnet_timers: Vec::new(),
            hosts: Vec::new(),
            pools: Vec::new(),
            class_names: Vec::new(),
            dynamic_bootp_ranges: (None, 0),
            if_in_subnet: Vec::new(),
            spawners: Vec::new(),
        }
    }

    fn nc(&mut self, file: &Path, line: u32, what: impl Into<String>) {
        self.report.not_carried(file, line, what);
    }

    /// Reads the top level of the configuration (includes already expanded into `stmts`, each
    /// statement with its own file).
    pub fn global(&mut self, stmts: &[(PathBuf, Stmt)]) {
        let own = self.params(stmts, Kind::Global);
        self.global = own.clone();
        self.decls(stmts, Kind::Global, &Params::default(), None, None);
    }

    /// The configuration, once everything was read.
    pub fn finish(mut self) -> ConfigPlan {
        let g = self.global.clone();
        self.lease_times(&g);
        self.timers(&g);
        for o in &g.options {
            merge_option(&mut self.plan.server.options, o.clone());
        }
        for s in &mut self.plan.subnets {
            if s.next_server.is_none() {
                s.next_server = g.next_server.as_ref().map(|v| v.0);
            }
            if s.boot_file.is_none() {
                s.boot_file = g.filename.as_ref().map(|v| v.0.clone());
            }
            if s.server_name.is_none() {
                s.server_name = g.server_name.as_ref().map(|v| v.0.clone());
            }
        }
        for sp in std::mem::take(&mut self.spawners) {
            if sp.carried == 0 {
                self.report.not_carried(&sp.origin.file, sp.origin.line, format!("class {:?} not carried over: none of its subclasses maps to Leasehold match keys", sp.class));
                for o in &sp.body {
                    self.report.not_carried(
                        &o.file,
                        o.line,
                        format!(
                            "statement of class {:?} not carried over (the class is not)",
                            sp.class
                        ),
                    );
                }
            }
        }
        self.authority();
        self.place_hosts();
        self.resolve_pools();
        if let Some(o) = self.dynamic_bootp_ranges.0.clone() {
            self.plan.server.dynamic_bootp = Some(true);
            if self.dynamic_bootp_ranges.1 > 0 {
                self.nc(&o.file, o.line, "`dynamic-bootp` carried as the server-wide dynamic_bootp = true: BOOTP clients may now get addresses from every pool, not only the ranges marked so");
            }
        }
        if self.plan.subnets.len() > 1 {
            for o in std::mem::take(&mut self.if_in_subnet) {
                self.report.not_carried(
                    &o.file,
                    o.line,
                    "`if` inside a shared network carried as a class for every subnet: a \
                     Leasehold class is limited to one subnet at most",
                );
            }
        }
        self.plan
    }

    /// Lease times as dhcpd uses them: 43200 s by default and at most 86400 s unless the
    /// configuration says otherwise, the default held within min and max (dhcpd clamps a
    /// lease to them); written so that each level passes Leasehold's check (min <= lease <=
    /// max, lease > 0).
    fn lease_times(&mut self, g: &Params) {
        let v = |x: &Option<At<u32>>| x.as_ref().map(|v| v.0);
        let mx = v(&g.max_lease_time).unwrap_or(DHCPD_MAX_LEASE_TIME);
        let mn = v(&g.min_lease_time).unwrap_or(0).min(mx);
        let lease = v(&g.lease_time)
            .filter(|l| *l > 0)
            .unwrap_or(DHCPD_LEASE_TIME)
            .clamp(mn, mx)
            .max(1);
        let mx = mx.max(lease);
        let sv = &mut self.plan.server;
        sv.lease_time = Some(lease);
        sv.max_lease_time = Some(mx);
        sv.min_lease_time = (mn > 0).then_some(mn);
        for s in &mut self.plan.subnets {
            let smx = s.max_lease_time.unwrap_or(mx);
            let smn = s.min_lease_time.unwrap_or(mn).min(smx);
            let sl = s
                .lease_time
                .filter(|l| *l > 0)
                .unwrap_or(lease)
                .clamp(smn, smx)
                .max(1);
            let smx = smx.max(sl);
            s.max_lease_time = (smx != mx || s.max_lease_time.is_some()).then_some(smx);
            s.min_lease_time = (smn != mn || s.min_lease_time.is_some())
                .then_some(smn)
                .filter(|m| *m > 0 || mn > 0);
            s.lease_time = (sl != lease || s.lease_time.is_some()).then_some(sl);
        }
    }

    /// dhcpd is not authoritative unless told; Leasehold's `authoritative` is server-wide.
    fn authority(&mut self) {
        let global = self.global.authoritative.as_ref().is_some_and(|a| a.0);
        let eff: Vec<bool> = self
            .subnet_auth
            .iter()
            .map(|a| a.as_ref().map_or(global, |a| a.0))
            .collect();
        if let Some(first) = eff.first() {
            if eff.iter().all(|e| e == first) {
                self.plan.server.authoritative = Some(*first);
                return;
            }
        }
        self.plan.server.authoritative = Some(global);
        let mut seen: Vec<(PathBuf, u32)> = Vec::new();
        for a in self.subnet_auth.clone().into_iter().flatten() {
            if a.0 != global && !seen.contains(&(a.1.file.clone(), a.1.line)) {
                seen.push((a.1.file.clone(), a.1.line));
                self.nc(
                    &a.1.file,
                    a.1.line,
                    format!(
                        "`{}authoritative` for some subnets not carried over: Leasehold's \
                         authoritative is server-wide ({global} here, as the global scope says)",
                        if a.0 { "" } else { "not " }
                    ),
                );
            }
        }
    }

    /// The parameters a block sets itself; reports parameters not carried over.
    fn params(&mut self, stmts: &[(PathBuf, Stmt)], kind: Kind) -> Params {
        let mut p = Params::default();
        for (file, s) in stmts {
            if s.block.is_some() {
                continue;
            }
            self.param(file, s, kind, &mut p);
        }
        p
    }

    fn param(&mut self, file: &Path, s: &Stmt, kind: Kind, p: &mut Params) {
        let origin = Origin::new(file, s.line);
        let line = s.line;
        let kw = s.keyword().to_ascii_lowercase();
        let rest = s.head.get(1..).unwrap_or_default();
        match kw.as_str() {
            "option" => self.option(file, s, kind, p),
            "filename" | "server-name" => match rest.first().map(|t| &t.tok) {
                Some(Tok::Str(v)) if rest.len() == 1 && (v.is_empty() || v.len() > if kw == "filename" { 127 } else { 63 }) => self.nc(
                    file,
                    line,
                    format!("`{kw}` not carried over: Leasehold takes 1 to {} bytes", if kw == "filename" { 127 } else { 63 }),
                ),
                Some(Tok::Str(v)) if rest.len() == 1 => {
                    let v = (String::from_utf8_lossy(v).into_owned(), origin);
                    if kw == "filename" {
                        p.filename = Some(v);
                    } else {
                        p.server_name = Some(v);
                    }
                }
                _ => self.nc(file, line, format!("`{kw}` not carried over: only a quoted string is (an expression was given)")),
            },
            "next-server" => match rest.first().and_then(Token::word).map(str::parse::<Ipv4Addr>) {
                Some(Ok(a)) if rest.len() == 1 => p.next_server = Some((a, origin)),
                _ => self.nc(file, line, "`next-server` not carried over: Leasehold needs an IPv4 address (dhcpd resolves names at start)"),
            },
            "default-lease-time" | "max-lease-time" | "min-lease-time" => {
                match rest.first().and_then(Token::word).map(str::parse::<u32>) {
                    Some(Ok(v)) if rest.len() == 1 => {
                        let slot = match kw.as_str() {
                            "default-lease-time" => &mut p.lease_time,
                            "max-lease-time" => &mut p.max_lease_time,
                            _ => &mut p.min_lease_time,
                        };
                        *slot = Some((v, origin));
                    }
                    _ => self.nc(file, line, format!("`{kw}` not carried over: not a number of seconds")),
                }
            }
            "authoritative" => p.authoritative = Some((true, origin)),
            "not" if s.word(1) == Some("authoritative") => {
                p.authoritative = Some((false, origin));
            }
            "use-host-decl-names" => {
                p.use_host_decl_names = Some(!matches!(s.word(1), Some("off" | "false")));
            }
            "allow" | "deny" | "ignore" => self.permit(file, s, kind, p),
            "interface" if matches!(kind, Kind::Subnet | Kind::Shared) => match rest.first().map(|t| &t.tok) {
                Some(Tok::Str(v)) if rest.len() == 1 && !v.is_empty() => {
                    p.interface = Some((String::from_utf8_lossy(v).into_owned(), origin));
                }
                Some(Tok::Word(w)) if rest.len() == 1 => p.interface = Some((w.clone(), origin)),
                _ => self.nc(file, line, "`interface` not carried over: one interface name expected"),
            },
            _ => self.other(file, s, kind),
        }
    }

    /// Statements that are neither parameters carried nor declarations.
    fn other(&mut self, file: &Path, s: &Stmt, kind: Kind) {
        let kw = s.keyword().to_ascii_lowercase();
        let line = s.line;
        match kw.as_str() {
            // Read by the scope that owns them.
            "range" if matches!(kind, Kind::Subnet | Kind::Pool | Kind::Shared) => {}
            "hardware" | "fixed-address" | "host-identifier" if kind == Kind::Host => {}
            "match" | "spawn" | "lease" if kind == Kind::Class => {}
            "subclass" if kind == Kind::Global => {}
            "subclass" => self.nc(file, line, format!("`{}` not carried over: Leasehold has no subclasses (write a [[class]] per value)", s.text())),
            "ddns-update-style" if s.word(1) == Some("none") => {}
            "ddns-updates" if matches!(s.word(1), Some("off" | "false")) => {}
            k if k.starts_with("ddns-") || k == "update-static-leases" || k == "update-optimization" || k == "update-conflict-detection" || k == "do-forward-updates" || k == "update-style" || k == "ddns-domainname" => self.nc(
                file,
                line,
                format!("`{}` not carried over: Leasehold does not update DNS", s.text()),
            ),
            "log-facility" | "log" => self.nc(file, line, format!("`{kw}` not carried over: Leasehold logs to standard error / the journal")),
            "omapi-port" | "omapi-key" => self.nc(file, line, format!("`{kw}` not carried over: Leasehold's control API is the [control] table (HTTP), not OMAPI")),
            "ldap-server" | "ldap-port" | "ldap-username" | "ldap-password" | "ldap-base-dn" | "ldap-method" | "ldap-debug-file" | "ldap-dhcp-server-cn" | "ldap-ssl" => {
                self.nc(file, line, format!("`{kw}` not carried over: Leasehold reads no LDAP"))
            }
            // `ping-check false` is what Leasehold does (a conflict comes back as a DECLINE).
            "ping-check"
                if s.head.get(1).is_some_and(|t| {
                    matches!(t.text().to_ascii_lowercase().as_str(), "false" | "off")
                }) => {}
            "ping-check" | "ping-timeout" | "ping-cltt-secs" | "ping-timeout-ms" => self.nc(
                file,
                line,
                format!("`{kw}` not carried over: Leasehold does not ping an address before offering it"),
            ),
            "local-address" | "local-port" | "remote-port" => self.nc(file, line, format!("`{kw}` not carried over: set [server] listen_address / server_port by hand")),
            "get-lease-hostnames" | "dynamic-bootp-lease-length" | "dynamic-bootp-lease-cutoff"
            | "one-lease-per-client" | "stash-agent-options" | "always-reply-rfc1048"
            | "always-broadcast" | "boot-unknown-clients" | "lease-file-name" | "pid-file-name"
            | "db-time-format" | "server-identifier" | "server-id-check" | "infinite-is-reserved"
            | "abandon-lease-time" | "min-secs" | "vendor-option-space" | "site-option-space"
            | "dhcp-cache-threshold" | "filename-expression" | "echo-client-id" | "adaptive-lease-time-threshold"
            | "limit-addrs-per-ia" | "preferred-lifetime" | "delayed-ack" | "max-ack-delay"
            | "persist-eui-64-leases" | "release-on-roam" | "lease-id-format" | "ignore-client-uids"
            | "check-secs-byte-order" | "prefix-length-mode" | "authoring-byte-order"
            | "dont-use-fsync" | "local-address6" | "bind-local-address6" | "ddns-local-address4" => self.nc(
                file,
                line,
                format!("`{}` not carried over: Leasehold has no such setting", s.text()),
            ),
            "failover" => self.nc(file, line, "`failover` not carried over: Leasehold servers share one PostgreSQL database instead (docs/postgres.md)"),
            "on" => self.nc(file, line, format!("`{}` not carried over: Leasehold runs no statements on lease events", s.text())),
            "key" | "zone" | "secret" | "algorithm" | "primary" | "secondary" | "primary6" | "secondary6" => self.nc(
                file,
                line,
                format!("`{kw}` not carried over: DNS update keys and zones are not needed: Leasehold does not update DNS"),
            ),
            "execute" | "log-threshold-high" | "log-threshold-low" | "set" | "unset" | "eval"
            | "define" | "add" | "break" | "supersede" | "prepend" | "append" | "default"
            | "switch" | "case" | "return" => self.nc(
                file,
                line,
                format!("`{kw}` not carried over: Leasehold has no statement language"),
            ),
            "lease" if kind == Kind::Global => self.nc(file, line, "`lease` declaration in the configuration not carried over (leases come from the lease file)"),
            _ => self.nc(
                file,
                line,
                format!("`{}` not carried over: not a statement Leasehold knows here", s.text()),
            ),
        }
    }

    /// `option ...`: a definition, a space, or a value.
    fn option(&mut self, file: &Path, s: &Stmt, kind: Kind, p: &mut Params) {
        let line = s.line;
        let rest = s.head.get(1..).unwrap_or_default();
        if rest.first().and_then(Token::word) == Some("space") {
            if let Some(n) = rest.get(1).and_then(Token::word) {
                self.defs.spaces.push(n.to_ascii_lowercase());
            }
            if rest.len() > 2 {
                self.nc(file, line, "option space layout (`code width`, `length width`, `hash size`) not carried over: Leasehold sends such spaces only as hex bytes");
            }
            return;
        }
        if rest.get(1).and_then(Token::word) == Some("code") {
            match self.defs.define(rest) {
                Ok(d)
                    if d.space == "dhcp"
                        || d.space == "ipxe"
                        || self.defs.spaces.contains(&d.space) => {}
                Ok(_) => {}
                Err(why) => self.nc(
                    file,
                    line,
                    format!("option definition not carried over: {why}"),
                ),
            }
            return;
        }
        let Some(name) = rest.first().and_then(Token::word) else {
            self.nc(file, line, "`option` without a name not carried over");
            return;
        };
        let Some(def) = self.defs.lookup(name) else {
            self.nc(file, line, format!("option {name} not carried over: dhcpd does not know it and no definition was read"));
            return;
        };
        let value = rest.get(1..).unwrap_or_default();
        if value.first().is_some_and(|t| t.is('=')) {
            self.nc(
                file,
                line,
                format!("option {name} not carried over: its value is an expression"),
            );
            return;
        }
        if kind == Kind::Host && def.space == "dhcp" && (def.code == 61 || def.code == 12) {
            // Read by the host.
            return;
        }
        if def.space == "dhcp" && (def.code == 58 || def.code == 59) {
            self.timer(file, line, &def, value, kind, p);
            return;
        }
        match to_plan(&def, value, file, line) {
            Ok(o) => merge_option(&mut p.options, o),
            Err(why) => self.nc(
                file,
                line,
                format!("option {} not carried over: {why}", def.name),
            ),
        }
    }

    /// `option dhcp-renewal-time` / `dhcp-rebinding-time` (T1, T2): Leasehold's
    /// `renewal_time` / `rebinding_time` of the server and the subnets (checked against the
    /// lease times in [`Self::finish`]); elsewhere not carried over.
    fn timer(
        &mut self,
        file: &Path,
        line: u32,
        def: &Def,
        value: &[Token],
        kind: Kind,
        p: &mut Params,
    ) {
        let key = if def.code == 58 {
            "renewal_time"
        } else {
            "rebinding_time"
        };
        if !matches!(
            kind,
            Kind::Global | Kind::Shared | Kind::Group | Kind::Subnet
        ) {
            self.nc(file, line, format!("option {} not carried over: Leasehold sets {key} for the server or a subnet only", def.name));
            return;
        }
        let secs = encode(&def.format, value)
            .ok()
            .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
            .map(u32::from_be_bytes);
        let Some(secs) = secs else {
            self.nc(
                file,
                line,
                format!(
                    "option {} not carried over: its value is not a time in seconds",
                    def.name
                ),
            );
            return;
        };
        let slot = if def.code == 58 {
            &mut p.renewal_time
        } else {
            &mut p.rebinding_time
        };
        *slot = Some((secs, Origin::new(file, line)));
    }

    /// T1/T2 where dhcpd sends them, kept only where Leasehold's checks hold (both below the
    /// lease time, T1 below T2); a subnet with its own lease time gets them written again, as it
    /// would not inherit the server's.
    fn timers(&mut self, g: &Params) {
        fn fits(lease: u32, t1: Option<u32>, t2: Option<u32>) -> bool {
            let t1_ok = t1.is_none_or(|t| t < lease);
            let t2_ok = t2.is_none_or(|t| t < lease && t1.unwrap_or(lease / 2) < t);
            t1_ok && t2_ok
        }
        let v = |x: &Option<At<u32>>| x.as_ref().map(|v| v.0);
        let lease = self.plan.server.lease_time.unwrap_or(DHCPD_LEASE_TIME);
        let (t1, t2) = (v(&g.renewal_time), v(&g.rebinding_time));
        if fits(lease, t1, t2) {
            self.plan.server.renewal_time = t1;
            self.plan.server.rebinding_time = t2;
        } else {
            for o in [&g.renewal_time, &g.rebinding_time].into_iter().flatten() {
                self.report.not_carried(&o.1.file, o.1.line, format!("T1/T2 not carried over: Leasehold needs T1 < T2 < the lease time ({lease} s)"));
            }
        }
        let subnet_timers = std::mem::take(&mut self.subnet_timers);
        for (i, (r1, r2)) in subnet_timers.into_iter().enumerate() {
            let Some(s) = self.plan.subnets.get_mut(i) else {
                continue;
            };
            let own_lease = s.lease_time;
            let lease = own_lease.unwrap_or(lease);
            // The subnet's own (or its shared network's or group's), else the global ones.
            let (t1, t2) = (
                v(&r1).or(v(&g.renewal_time)),
                v(&r2).or(v(&g.rebinding_time)),
            );
            let inherited =
                t1 == self.plan.server.renewal_time && t2 == self.plan.server.rebinding_time;
            if inherited && own_lease.is_none() {
                continue; // the server's values reach it
            }
            if fits(lease, t1, t2) {
                s.renewal_time = t1;
                s.rebinding_time = t2;
            } else {
                let from = [
                    r1.as_ref().or(g.renewal_time.as_ref()),
                    r2.as_ref().or(g.rebinding_time.as_ref()),
                ];
                for o in from.into_iter().flatten() {
                    self.report.not_carried(&o.1.file, o.1.line, format!("T1/T2 not carried over for subnet {}: Leasehold needs T1 < T2 < its lease time ({lease} s)", s.net));
                }
            }
        }
    }

    /// `allow`/`deny`/`ignore`.
    fn permit(&mut self, file: &Path, s: &Stmt, kind: Kind, p: &mut Params) {
        let line = s.line;
        let origin = Origin::new(file, line);
        let verb = s.keyword().to_ascii_lowercase();
        let what: Vec<String> = s
            .head
            .iter()
            .skip(1)
            .map(|t| match &t.tok {
                Tok::Str(v) => String::from_utf8_lossy(v).into_owned(),
                _ => t.text().to_ascii_lowercase(),
            })
            .collect();
        let what_ref: Vec<&str> = what.iter().map(String::as_str).collect();
        let deny = verb != "allow";
        let in_pool = kind == Kind::Pool;
        match what_ref.as_slice() {
            [w @ ("unknown-clients" | "known-clients")]
            | [w @ ("unknown" | "known"), "clients"] => {
                let unknown = w.starts_with("unknown");
                // The clients admitted: `allow X` admits X, `deny X` the others. Outside a pool
                // only a `deny` restricts anything (allowing is dhcpd's default there).
                let admitted = if unknown != deny { "unknown" } else { "known" };
                if deny || in_pool {
                    p.pool_classes.push((admitted.into(), origin));
                }
            }
            ["members", "of", class] if in_pool && !deny => {
                p.pool_classes.push(((*class).to_string(), origin));
            }
            ["all", "clients"] | ["booting"] | ["bootp"] | ["declines"] | ["duplicates"]
                if !deny => {}
            ["booting"] if kind == Kind::Host => {}
            ["dynamic", "bootp", "clients"] if deny => {}
            ["dynamic", "bootp", "clients"] => {
                self.plan.server.dynamic_bootp = Some(true);
                if kind != Kind::Global {
                    self.nc(file, line, "`allow dynamic bootp clients` carried as the server-wide dynamic_bootp = true");
                }
            }
            ["client-updates"] => self.nc(
                file,
                line,
                format!("`{verb} client-updates` not carried over: Leasehold does not update DNS"),
            ),
            _ => self.nc(
                file,
                line,
                format!(
                    "`{}` not carried over: Leasehold has no such permission here",
                    s.text()
                ),
            ),
        }
    }

    /// Declarations (statements with a block) and the statements a scope reads itself.
    fn decls(
        &mut self,
        stmts: &[(PathBuf, Stmt)],
        kind: Kind,
        inherited: &Params,
        subnet: Option<usize>,
        shared: Option<&str>,
    ) {
        let mut i = 0;
        while i < stmts.len() {
            let (file, s) = &stmts[i];
            i += 1;
            let Some(block) = &s.block else {
                if s.keyword() == "subclass" && kind == Kind::Global {
                    self.subclass(file, s, &[]);
                }
                if s.keyword().eq_ignore_ascii_case("range")
                    && matches!(kind, Kind::Subnet | Kind::Shared)
                {
                    self.range(file, s, subnet, &PoolCtx::default());
                }
                continue;
            };
            let inner: Vec<(PathBuf, Stmt)> =
                block.iter().map(|b| (b.file.clone(), b.clone())).collect();
            let kw = s.keyword().to_ascii_lowercase();
            match kw.as_str() {
                "subnet" if matches!(kind, Kind::Global | Kind::Shared | Kind::Group) => {
                    self.subnet(file, s, &inner, inherited, shared);
                }
                "shared-network" if matches!(kind, Kind::Global | Kind::Group) => {
                    let name = match s.head.get(1).map(|t| &t.tok) {
                        Some(Tok::Str(v)) => String::from_utf8_lossy(v).into_owned(),
                        Some(Tok::Word(w)) => w.clone(),
                        _ => format!("shared-{}", s.line),
                    };
                    let own = self.params(&inner, Kind::Shared);
                    let p = inherited.overlay(&own);
                    self.decls(&inner, Kind::Shared, &p, None, Some(&name));
                }
                "group" => {
                    let own = self.params(&inner, Kind::Group);
                    let p = inherited.overlay(&own);
                    self.decls(&inner, Kind::Group, &p, subnet, shared);
                }
                "pool" if matches!(kind, Kind::Subnet | Kind::Shared) => {
                    let own = self.params(&inner, Kind::Pool);
                    self.pool(&inner, &own, inherited, subnet);
                }
                "host" => self.host(file, s, &inner, inherited),
                "class" if kind == Kind::Global => self.class(file, s, &inner),
                "subclass" if kind == Kind::Global => self.subclass(file, s, &inner),
                "if" => {
                    let mut chain = vec![(file.clone(), s.clone())];
                    while let Some((f, n)) = stmts.get(i) {
                        if matches!(n.keyword(), "elsif" | "else") && n.block.is_some() {
                            chain.push((f.clone(), n.clone()));
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    self.if_chain(&chain, kind, subnet, &Keys::default());
                }
                "failover" => self.nc(file, s.line, "`failover peer` not carried over: Leasehold servers share one PostgreSQL database instead of dhcpd's failover protocol (docs/postgres.md)"),
                "on" => self.nc(file, s.line, format!("`{}` not carried over: Leasehold runs no statements on lease events", s.text())),
                "key" | "zone" => self.nc(file, s.line, format!("`{kw}` not carried over: DNS update keys and zones are not needed: Leasehold does not update DNS")),
                "subnet6" | "range6" | "prefix6" | "pool6" => self.nc(file, s.line, format!("`{kw}` not carried over: Leasehold serves DHCPv4 only")),
                _ => self.nc(file, s.line, format!("`{}` block not carried over: not a declaration Leasehold knows here", s.text())),
            }
        }
    }

    fn subnet(
        &mut self,
        file: &Path,
        s: &Stmt,
        inner: &[(PathBuf, Stmt)],
        inherited: &Params,
        shared: Option<&str>,
    ) {
        let addr = s.word(1).and_then(|w| w.parse::<Ipv4Addr>().ok());
        let mask = s.word(3).and_then(|w| w.parse::<Ipv4Addr>().ok());
        let net = match (addr, s.word(2), mask) {
            (Some(a), Some("netmask"), Some(m)) => Ipv4Net::with_netmask(a, m).ok(),
            _ => None,
        };
        let Some(net) = net.map(|n| n.trunc()) else {
            self.nc(
                file,
                s.line,
                format!(
                    "`{}` not carried over: not `subnet ADDRESS netmask MASK`",
                    s.text()
                ),
            );
            return;
        };
        let own = self.params(inner, Kind::Subnet);
        let p = inherited.overlay(&own);
        let idx = match self.plan.subnets.iter().position(|x| x.net == net) {
            Some(i) => {
                self.nc(
                    file,
                    s.line,
                    format!("second declaration of subnet {net} merged into the first"),
                );
                i
            }
            None => {
                if let Some(o) = self
                    .plan
                    .subnets
                    .iter()
                    .find(|x| x.net.contains(&net.network()) || net.contains(&x.net.network()))
                {
                    let other = o.net;
                    self.nc(
                        file,
                        s.line,
                        format!("subnet {net} not carried over: it overlaps subnet {other}"),
                    );
                    return;
                }
                self.plan
                    .subnets
                    .push(SubnetPlan::new(net, Origin::new(file, s.line)));
                self.subnet_auth.push(None);
                self.plan.subnets.len() - 1
            }
        };
        {
            let sp = &mut self.plan.subnets[idx];
            sp.shared_network = shared.map(str::to_string);
            if let Some(v) = &p.interface {
                sp.interface = Some(v.0.clone());
            }
            sp.next_server = p.next_server.as_ref().map(|v| v.0).or(sp.next_server);
            sp.boot_file = p
                .filename
                .as_ref()
                .map(|v| v.0.clone())
                .or(sp.boot_file.take());
            sp.server_name = p
                .server_name
                .as_ref()
                .map(|v| v.0.clone())
                .or(sp.server_name.take());
            sp.lease_time = p.lease_time.as_ref().map(|v| v.0).or(sp.lease_time);
            sp.min_lease_time = p.min_lease_time.as_ref().map(|v| v.0).or(sp.min_lease_time);
            sp.max_lease_time = p.max_lease_time.as_ref().map(|v| v.0).or(sp.max_lease_time);
            if self.subnet_timers.len() <= idx {
                self.subnet_timers.resize(idx + 1, (None, None));
            }
            self.subnet_timers[idx] = (p.renewal_time.clone(), p.rebinding_time.clone());
            for o in &p.options {
                merge_option(&mut sp.options, o.clone());
            }
        }
        if p.authoritative.is_some() {
            self.subnet_auth[idx] = p.authoritative.clone();
        }
        // Pool restrictions and host-name use reach the pools and hosts inside.
        let down = Params {
            pool_classes: p.pool_classes.clone(),
            use_host_decl_names: p.use_host_decl_names,
            ..Params::default()
        };
        self.decls(inner, Kind::Subnet, &down, Some(idx), shared);
    }

    fn pool(
        &mut self,
        inner: &[(PathBuf, Stmt)],
        own: &Params,
        inherited: &Params,
        subnet: Option<usize>,
    ) {
        let others = [
            ("filename", own.filename.as_ref().map(|v| v.1.clone())),
            ("next-server", own.next_server.as_ref().map(|v| v.1.clone())),
            ("server-name", own.server_name.as_ref().map(|v| v.1.clone())),
            (
                "authoritative",
                own.authoritative.as_ref().map(|v| v.1.clone()),
            ),
        ];
        let lines = others
            .into_iter()
            .filter_map(|(what, o)| Some((what, o?)))
            .chain(own.lease_time_lines());
        for (what, o) in lines {
            self.nc(&o.file, o.line, format!("`{what}` in a pool not carried over: Leasehold pools carry options and classes only (set it on the subnet or a class)"));
        }
        let mut classes = self.global.pool_classes.clone();
        classes.extend(inherited.pool_classes.iter().cloned());
        classes.extend(own.pool_classes.iter().cloned());
        let ctx = PoolCtx {
            options: own.options.clone(),
            classes,
        };
        let mut any = false;
        for (file, s) in inner {
            if s.keyword().eq_ignore_ascii_case("range") && s.block.is_none() {
                any = true;
                self.range(file, s, subnet, &ctx);
            } else if s.block.is_some() {
                self.nc(
                    file,
                    s.line,
                    format!("`{}` block inside a pool not carried over", s.text()),
                );
            }
        }
        if !any {
            if let Some((file, s)) = inner.first() {
                self.nc(file, s.line, "pool without a range not carried over");
            }
        }
    }

    /// `range [dynamic-bootp] A [B];`
    fn range(&mut self, file: &Path, s: &Stmt, subnet: Option<usize>, ctx: &PoolCtx) {
        let mut words: Vec<&str> = s.head.iter().skip(1).filter_map(Token::word).collect();
        let bootp = words.first() == Some(&"dynamic-bootp");
        if bootp {
            words.remove(0);
        }
        let parsed: Vec<Option<Ipv4Addr>> = words.iter().map(|w| w.parse().ok()).collect();
        let (start, end) = match parsed.as_slice() {
            [Some(a)] => (*a, *a),
            [Some(a), Some(b)] => (*a, *b),
            _ => {
                self.nc(
                    file,
                    s.line,
                    format!(
                        "`{}` not carried over: not `range A [B]` with IPv4 addresses",
                        s.text()
                    ),
                );
                return;
            }
        };
        let (start, end) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        let idx = subnet
            .filter(|i| self.plan.subnets[*i].net.contains(&start))
            .or_else(|| {
                self.plan
                    .subnets
                    .iter()
                    .position(|x| x.net.contains(&start))
            });
        let Some(idx) = idx else {
            self.nc(
                file,
                s.line,
                format!("range {start}-{end} not carried over: it lies in no subnet"),
            );
            return;
        };
        let sp = &self.plan.subnets[idx];
        if !sp.net.contains(&end) {
            let net = sp.net;
            self.nc(
                file,
                s.line,
                format!("range {start}-{end} not carried over: it leaves subnet {net}"),
            );
            return;
        }
        // The network and broadcast addresses are never handed out (dhcpd skips them too).
        let net = sp.net;
        let (mut start, mut end) = (start, end);
        if net.prefix_len() < 31 {
            if start == net.network() {
                start = Ipv4Addr::from(u32::from(start).saturating_add(1));
            }
            if end == net.broadcast() {
                end = Ipv4Addr::from(u32::from(end).saturating_sub(1));
            }
            if start > end {
                self.nc(
                    file,
                    s.line,
                    format!("`{}` not carried over: it holds only the network or broadcast address of {net}", s.text()),
                );
                return;
            }
        }
        let overlap = self
            .pools
            .iter()
            .any(|p| p.subnet == idx && p.plan.start <= end && start <= p.plan.end);
        if overlap {
            self.nc(
                file,
                s.line,
                format!("range {start}-{end} not carried over: it overlaps another range"),
            );
            return;
        }
        if bootp {
            if self.dynamic_bootp_ranges.0.is_none() {
                self.dynamic_bootp_ranges.0 = Some(Origin::new(file, s.line));
            }
        } else {
            self.dynamic_bootp_ranges.1 += 1;
        }
        self.pools.push(Pool {
            subnet: idx,
            plan: PoolPlan {
                start,
                end,
                exclude: Vec::new(),
                classes: Vec::new(),
                options: ctx.options.clone(),
                origin: Origin::new(file, s.line),
            },
            classes: ctx.classes.clone(),
        });
    }

    fn host(&mut self, file: &Path, s: &Stmt, inner: &[(PathBuf, Stmt)], inherited: &Params) {
        let name = match s.head.get(1).map(|t| &t.tok) {
            Some(Tok::Str(v)) => String::from_utf8_lossy(v).into_owned(),
            Some(Tok::Word(w)) => w.clone(),
            _ => format!("host-{}", s.line),
        };
        let own = self.params(inner, Kind::Host);
        for (what, o) in own.lease_time_lines() {
            self.nc(&o.file, o.line, format!("`{what}` of a host not carried over: Leasehold's lease times are set per subnet"));
        }
        let p = inherited.overlay(&own);
        let mut h = Host {
            name,
            file: file.to_path_buf(),
            line: s.line,
            hw: None,
            client_id: None,
            circuit_id: None,
            remote_id: None,
            addresses: Vec::new(),
            hostname: None,
            params: p,
            deny_booting: None,
            had_fixed: false,
        };
        for (f, st) in inner {
            if st.block.is_some() {
                self.nc(
                    f,
                    st.line,
                    format!("`{}` block inside a host not carried over", st.text()),
                );
                continue;
            }
            let kw = st.keyword().to_ascii_lowercase();
            match kw.as_str() {
                "hardware" => match (st.word(1), st.word(2).and_then(colon_hex)) {
                    (Some("ethernet"), Some(mac)) if mac.len() == 6 => {
                        h.hw = Some(leasehold_wire::hex::encode(&mac, Some(':')));
                    }
                    _ => self.nc(
                        f,
                        st.line,
                        format!(
                            "`{}` not carried over: only `hardware ethernet` with six bytes is",
                            st.text()
                        ),
                    ),
                },
                "fixed-address" => {
                    h.had_fixed = true;
                    for t in st.head.iter().skip(1).filter(|t| !t.is(',')) {
                        match t.word().map(str::parse::<Ipv4Addr>) {
                            Some(Ok(a)) => h.addresses.push((a, Origin::new(f, st.line))),
                            _ => self.nc(f, st.line, format!("fixed-address {} not carried over: Leasehold needs an IPv4 address, not a name", t.text())),
                        }
                    }
                }
                "option" => {
                    let name = st.word(1).unwrap_or("").to_ascii_lowercase();
                    let value = st.head.get(2..).unwrap_or_default();
                    match self.defs.lookup(&name).map(|d| d.code) {
                        Some(61) => match super::options::encode("X", value) {
                            Ok(b) if !b.is_empty() => h.client_id = Some(leasehold_wire::hex::encode(&b, Some(':'))),
                            _ => self.nc(f, st.line, "dhcp-client-identifier not carried over: not a string or hex bytes"),
                        },
                        Some(12) => match value.first().map(|t| &t.tok) {
                            Some(Tok::Str(v)) => h.hostname = Some(String::from_utf8_lossy(v).into_owned()),
                            _ => self.nc(f, st.line, "host-name not carried over: not a quoted string"),
                        },
                        _ => {}
                    }
                }
                "host-identifier" => {
                    let id_name = st.word(2).unwrap_or("").to_ascii_lowercase();
                    let value = st.head.get(3..).unwrap_or_default();
                    let bytes = super::options::encode("X", value)
                        .ok()
                        .filter(|b| !b.is_empty());
                    let code = self.defs.lookup(&id_name).map(|d| (d.space, d.code));
                    match (st.word(1), code, bytes) {
                        (Some("option"), Some((sp, 61)), Some(b)) if sp == "dhcp" => h.client_id = Some(leasehold_wire::hex::encode(&b, Some(':'))),
                        (Some("option"), Some((sp, 1)), Some(b)) if sp == "agent" => h.circuit_id = Some(id_text(&b)),
                        (Some("option"), Some((sp, 2)), Some(b)) if sp == "agent" => h.remote_id = Some(id_text(&b)),
                        _ => self.nc(f, st.line, format!("`{}` not carried over: only dhcp-client-identifier, agent.circuit-id and agent.remote-id identify a reservation", st.text())),
                    }
                }
                "deny" | "ignore" if st.word(1) == Some("booting") => {
                    h.deny_booting = Some(Origin::new(f, st.line))
                }
                _ => {}
            }
        }
        let decl_names = h
            .params
            .use_host_decl_names
            .or(self.global.use_host_decl_names);
        if h.hostname.is_none() && decl_names == Some(true) {
            h.hostname = Some(h.name.clone());
        }
        self.hosts.push(h);
    }

    fn place_hosts(&mut self) {
        for h in std::mem::take(&mut self.hosts) {
            let who = h.hw.is_some()
                || h.client_id.is_some()
                || h.circuit_id.is_some()
                || h.remote_id.is_some();
            if let Some(o) = &h.deny_booting {
                match &h.hw {
                    Some(hw) => {
                        let name = self.unique_class_name(&format!("deny-{}", h.name));
                        self.plan.classes.push(ClassPlan {
                            name,
                            hw_address_prefix: Some(hw.clone()),
                            deny: true,
                            origin: o.clone(),
                            ..ClassPlan::default()
                        });
                    }
                    None => self.nc(&o.file, o.line, format!("`deny booting` of host {} not carried over: without a hardware address Leasehold has no class to deny it", h.name)),
                }
                continue;
            }
            if !who {
                self.nc(&h.file, h.line, format!("host {} not carried over: it names no hardware ethernet, client identifier or relay id", h.name));
                continue;
            }
            if h.client_id.is_some() && h.hw.is_some() {
                self.nc(&h.file, h.line, format!("`hardware ethernet` of host {} not carried over: Leasehold keys a reservation on one identity, and its dhcp-client-identifier is used (a client that sends none will not match)", h.name));
            }
            if (h.client_id.is_some() || h.hw.is_some())
                && (h.circuit_id.is_some() || h.remote_id.is_some())
            {
                self.nc(&h.file, h.line, format!("`host-identifier option agent.*` of host {} not carried over: Leasehold keys a reservation on one identity", h.name));
            }
            if h.addresses.is_empty() {
                if !h.had_fixed {
                    self.hostless(&h);
                }
                continue;
            }
            if let Some((_, o)) = &h.params.server_name {
                self.nc(&o.file, o.line, format!("`server-name` of host {} not carried over: Leasehold reservations have none (a class can set it)", h.name));
            }
            for (addr, o) in &h.addresses {
                let Some(idx) = self.plan.subnets.iter().position(|s| s.net.contains(addr)) else {
                    self.nc(
                        &o.file,
                        o.line,
                        format!(
                            "host {} ({addr}) not carried over: the address is in no subnet",
                            h.name
                        ),
                    );
                    continue;
                };
                let sp = &self.plan.subnets[idx];
                if sp.reservations.iter().any(|r| r.address == Some(*addr)) {
                    self.nc(
                        &o.file,
                        o.line,
                        format!(
                            "host {} not carried over: {addr} is reserved by another host",
                            h.name
                        ),
                    );
                    continue;
                }
                let same_client = sp.reservations.iter().any(|r| {
                    (h.client_id.is_some() && r.client_id == h.client_id)
                        || (h.client_id.is_none()
                            && r.client_id.is_none()
                            && h.hw.is_some()
                            && r.hw_address == h.hw)
                        || (h.client_id.is_none()
                            && h.hw.is_none()
                            && r.client_id.is_none()
                            && r.hw_address.is_none()
                            && r.circuit_id == h.circuit_id
                            && r.remote_id == h.remote_id)
                });
                if same_client {
                    self.nc(&o.file, o.line, format!("host {} ({addr}) not carried over: the same client already has a reservation in subnet {}", h.name, sp.net));
                    continue;
                }
                // Leasehold keys a reservation on one identity: the client identifier (which
                // dhcpd also looks at first), else the hardware address, else the relay ids.
                let (hw, relay) = match (&h.client_id, &h.hw) {
                    (Some(_), _) => (None, false),
                    (None, Some(_)) => (h.hw.clone(), false),
                    (None, None) => (None, true),
                };
                let r = ReservationPlan {
                    hw_address: hw,
                    client_id: h.client_id.clone(),
                    circuit_id: h.circuit_id.clone().filter(|_| relay),
                    remote_id: h.remote_id.clone().filter(|_| relay),
                    address: Some(*addr),
                    hostname: h.hostname.clone(),
                    next_server: h.params.next_server.as_ref().map(|v| v.0),
                    boot_file: h.params.filename.as_ref().map(|v| v.0.clone()),
                    options: h.params.options.clone(),
                    origin: Origin::new(&h.file, h.line),
                };
                self.plan.subnets[idx].reservations.push(r);
            }
        }
    }

    /// A host without `fixed-address`: its boot parameters and options become a class of its
    /// hardware address; dhcpd's "known" status is lost (Leasehold's `known` needs a
    /// reservation).
    fn hostless(&mut self, h: &Host) {
        let p = &h.params;
        let has = p.next_server.is_some()
            || p.filename.is_some()
            || p.server_name.is_some()
            || !p.options.is_empty();
        match (&h.hw, has) {
            (Some(hw), true) => {
                let name = self.unique_class_name(&format!("host-{}", h.name));
                self.plan.classes.push(ClassPlan {
                    name,
                    hw_address_prefix: Some(hw.clone()),
                    boot_file: p.filename.as_ref().map(|v| v.0.clone()),
                    next_server: p.next_server.as_ref().map(|v| v.0),
                    server_name: p.server_name.as_ref().map(|v| v.0.clone()),
                    options: p.options.clone(),
                    origin: Origin::new(&h.file, h.line),
                    ..ClassPlan::default()
                });
                if self.uses_known() {
                    self.nc(&h.file, h.line, format!("host {} without fixed-address: its parameters are carried as a class, but it is not a known client in Leasehold (known needs a reservation)", h.name));
                }
            }
            _ => self.nc(&h.file, h.line, format!("host {} without fixed-address not carried over: Leasehold's reservations need an address (and `known` needs a reservation)", h.name)),
        }
    }

    fn uses_known(&self) -> bool {
        self.pools
            .iter()
            .any(|p| p.classes.iter().any(|c| c.0 == "known" || c.0 == "unknown"))
    }

    /// A class name from `want`, unused so far; `known` and `unknown` are the built-in classes
    /// of known-clients pools.
    fn unique_class_name(&self, want: &str) -> String {
        crate::plan::unique_class_name(&self.plan.classes, want, &["known", "unknown"])
    }

    /// `class "name" { match if ...; params }`.
    fn class(&mut self, file: &Path, s: &Stmt, inner: &[(PathBuf, Stmt)]) {
        let dname = match s.head.get(1).map(|t| &t.tok) {
            Some(Tok::Str(v)) => String::from_utf8_lossy(v).into_owned(),
            Some(Tok::Word(w)) => w.clone(),
            _ => {
                self.nc(file, s.line, "class without a name not carried over");
                return;
            }
        };
        let own = self.params(inner, Kind::Class);
        let mut keys: Option<Keys> = None;
        for (f, st) in inner {
            let kw = st.keyword().to_ascii_lowercase();
            if st.block.is_some() {
                self.nc(
                    f,
                    st.line,
                    format!("`{}` block inside a class not carried over", st.text()),
                );
                continue;
            }
            match kw.as_str() {
                "match" if st.word(1) == Some("if") => {
                    match cond::keys(st.head.get(2..).unwrap_or_default(), &self.defs) {
                        Ok(k) => keys = Some(k),
                        Err(why) => self.nc(f, st.line, format!("class {dname:?} not carried over: its condition {why}")),
                    }
                }
                "match" => self.spawners.push(Spawner {
                    class: dname.clone(),
                    expr: st.head.get(1..).unwrap_or_default().to_vec(),
                    params: own.clone(),
                    origin: Origin::new(f, st.line),
                    body: inner.iter().map(|(f, b)| Origin::new(f, b.line)).collect(),
                    carried: 0,
                }),
                "spawn" => self.nc(f, st.line, format!("`{}` of class {dname:?} not carried over: Leasehold makes no classes per client (write one class per value)", st.text())),
                "lease" => self.nc(f, st.line, format!("`{}` of class {dname:?} not carried over: Leasehold has no per-class lease limits", st.text())),
                _ => {}
            }
        }
        let Some(keys) = keys else {
            if self.spawners.iter().any(|sp| sp.class == dname) {
                // Its subclasses are the classes (it is reported when none is).
                return;
            }
            for (f, st) in inner {
                self.nc(
                    f,
                    st.line,
                    format!("statement of class {dname:?} not carried over (the class is not)"),
                );
            }
            if !inner
                .iter()
                .any(|(_, st)| st.keyword() == "match" && st.word(1) == Some("if"))
            {
                self.nc(file, s.line, format!("class {dname:?} not carried over: it has no `match if` condition Leasehold can express"));
            }
            return;
        };
        for (what, o) in own.lease_time_lines() {
            self.nc(&o.file, o.line, format!("`{what}` of class {dname:?} not carried over: Leasehold's lease times are set per subnet"));
        }
        let name = self.unique_class_name(&dname);
        self.class_names.push((dname, name.clone()));
        let c = class_plan(name, &keys, &own, Origin::new(file, s.line));
        self.plan.classes.push(c);
    }

    /// `subclass "parent" VALUE [{ params }]`: a class matching the parent's `match`
    /// expression equal to VALUE, with the parent's parameters under its own.
    fn subclass(&mut self, file: &Path, s: &Stmt, inner: &[(PathBuf, Stmt)]) {
        let parent = match s.head.get(1).map(|t| &t.tok) {
            Some(Tok::Str(v)) => String::from_utf8_lossy(v).into_owned(),
            Some(Tok::Word(w)) => w.clone(),
            _ => String::new(),
        };
        let own = self.params(inner, Kind::Class);
        for (f, st) in inner {
            if st.block.is_some() {
                self.nc(
                    f,
                    st.line,
                    format!("`{}` block inside a subclass not carried over", st.text()),
                );
            }
        }
        let Some(i) = self.spawners.iter().position(|sp| sp.class == parent) else {
            self.nc(
                file,
                s.line,
                format!(
                    "`{}` not carried over: class {parent:?} has no `match` expression before it",
                    s.text()
                ),
            );
            return;
        };
        let (Some(value), 3) = (s.head.get(2), s.head.len()) else {
            self.nc(
                file,
                s.line,
                format!("`{}` not carried over: one value expected", s.text()),
            );
            return;
        };
        let mut expr = self.spawners[i].expr.clone();
        expr.push(Token {
            tok: Tok::Punct('='),
            line: s.line,
        });
        expr.push(value.clone());
        match cond::keys(&expr, &self.defs) {
            Ok(k) => {
                let p = self.spawners[i].params.overlay(&own);
                let name =
                    self.unique_class_name(&format!("{parent}-{}", value.text().trim_matches('"')));
                self.class_names.push((parent, name.clone()));
                let c = class_plan(name, &k, &p, Origin::new(file, s.line));
                self.plan.classes.push(c);
                self.spawners[i].carried += 1;
            }
            Err(why) => {
                self.nc(
                    file,
                    s.line,
                    format!("`{}` not carried over: the parent's match {why}", s.text()),
                );
                for (f, st) in inner {
                    self.nc(
                        f,
                        st.line,
                        "statement of a subclass not carried over (the subclass is not)",
                    );
                }
            }
        }
    }

    /// `if A { } elsif B { } else { }` → a class per branch with a condition, its keys joined
    /// with those of the branches it is nested in (`ctx`); an `if` nested in a branch gives
    /// classes that come before the branch's own, so the more specific one wins. The `else`
    /// of a top-level `if` gives the scope's defaults (which classes override); a nested
    /// `else` gives a class with the enclosing branch's keys.
    fn if_chain(
        &mut self,
        chain: &[(PathBuf, Stmt)],
        kind: Kind,
        subnet: Option<usize>,
        ctx: &Keys,
    ) {
        // Every condition first: without all of them the branches cannot be told apart.
        let mut branch_keys = Vec::new();
        for (file, s) in chain {
            let kw = s.keyword();
            let cond_toks = match kw {
                "else" if s.head.len() == 1 => {
                    branch_keys.push(Ok(ctx.clone()));
                    continue;
                }
                "else" => s.head.get(2..).unwrap_or_default(), // else if
                _ => s.head.get(1..).unwrap_or_default(),
            };
            let k = cond::keys(cond_toks, &self.defs).and_then(|k| cond::join(ctx, &k));
            if let Err(why) = &k {
                self.nc(
                    file,
                    s.line,
                    format!("`{}` not carried over: the condition {why}", s.text()),
                );
            }
            branch_keys.push(k);
        }
        if branch_keys.iter().any(Result::is_err) {
            for (_, s) in chain {
                self.report_body(s.block.as_deref().unwrap_or_default());
            }
            return;
        }
        for ((file, s), k) in chain.iter().zip(branch_keys.into_iter().flatten()) {
            let body: Vec<(PathBuf, Stmt)> = s
                .block
                .iter()
                .flatten()
                .map(|b| (b.file.clone(), b.clone()))
                .collect();
            let mut params = Params::default();
            let mut i = 0;
            while i < body.len() {
                let (f, st) = &body[i];
                i += 1;
                if st.keyword() == "if" && st.block.is_some() {
                    let mut nested = vec![(f.clone(), st.clone())];
                    while let Some((nf, n)) = body.get(i) {
                        if matches!(n.keyword(), "elsif" | "else") && n.block.is_some() {
                            nested.push((nf.clone(), n.clone()));
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    self.if_chain(&nested, kind, subnet, &k);
                    continue;
                }
                if st.block.is_some() {
                    self.nc(
                        f,
                        st.line,
                        format!("`{}` block inside an `if` not carried over", st.text()),
                    );
                    self.report_body(st.block.as_deref().unwrap_or_default());
                    continue;
                }
                match st.keyword().to_ascii_lowercase().as_str() {
                    "option" | "filename" | "next-server" | "server-name" => self.param(f, st, Kind::Branch, &mut params),
                    _ => self.nc(f, st.line, format!("`{}` inside an `if` not carried over: a Leasehold class carries only boot fields and options", st.text())),
                }
            }
            let empty = params.filename.is_none()
                && params.next_server.is_none()
                && params.server_name.is_none()
                && params.options.is_empty();
            if empty {
                continue;
            }
            if k.is_empty() {
                self.else_defaults(&params, kind, subnet, file, s.line);
                continue;
            }
            // In a subnet (or a pool or group inside one) the class is limited to that subnet.
            let scope = match (kind, subnet) {
                (Kind::Global, _) | (_, None) => None,
                (_, Some(idx)) => self.plan.subnets.get(idx).map(|sp| sp.net),
            };
            match (kind, scope) {
                (Kind::Global | Kind::Subnet, _) => {}
                (_, None) => self.if_in_subnet.push(Origin::new(file, s.line)),
                (_, Some(net)) => self.nc(
                    file,
                    s.line,
                    format!(
                        "`if` inside a {} carried as a class of its whole subnet {net}",
                        if kind == Kind::Pool { "pool" } else { "group" }
                    ),
                ),
            }
            let name = self.unique_class_name(&format!("if-{}", s.line));
            let mut c = class_plan(name, &k, &params, Origin::new(file, s.line));
            c.subnet = scope;
            self.plan.classes.push(c);
        }
    }

    /// The values of a top-level `else`: the scope's own (classes override them).
    fn else_defaults(
        &mut self,
        e: &Params,
        kind: Kind,
        subnet: Option<usize>,
        file: &Path,
        line: u32,
    ) {
        match (kind, subnet) {
            (Kind::Global, _) => self.global = self.global.overlay(e),
            (_, Some(idx)) => {
                let sp = &mut self.plan.subnets[idx];
                if let Some(v) = &e.filename {
                    sp.boot_file = Some(v.0.clone());
                }
                if let Some(v) = &e.next_server {
                    sp.next_server = Some(v.0);
                }
                if let Some(v) = &e.server_name {
                    sp.server_name = Some(v.0.clone());
                }
                for o in &e.options {
                    merge_option(&mut sp.options, o.clone());
                }
            }
            _ => self.nc(
                file,
                line,
                "`else` branch outside a subnet or the global scope not carried over",
            ),
        }
    }

    /// Reports every statement of a block that is not carried over as a whole.
    fn report_body(&mut self, body: &[Stmt]) {
        for b in body {
            self.nc(&b.file, b.line, "statement of an `if` branch not carried over (its condition has no Leasehold match key)");
            if let Some(inner) = &b.block {
                self.report_body(inner);
            }
        }
    }

    /// Pools into their subnets, with their class names resolved.
    fn resolve_pools(&mut self) {
        let mut need_known = false;
        let mut need_unknown = false;
        for mut pool in std::mem::take(&mut self.pools) {
            let mut names: Vec<String> = Vec::new();
            for (c, o) in &pool.classes {
                let n = match c.as_str() {
                    "known" => {
                        need_known = true;
                        Some("known".to_string())
                    }
                    "unknown" => {
                        need_unknown = true;
                        Some("unknown".to_string())
                    }
                    other => {
                        let all: Vec<String> = self
                            .class_names
                            .iter()
                            .filter(|(d, _)| d == other)
                            .map(|(_, l)| l.clone())
                            .collect();
                        let any = !all.is_empty();
                        for n in all {
                            if !names.contains(&n) {
                                names.push(n);
                            }
                        }
                        any.then(String::new)
                    }
                };
                match n {
                    Some(n) if n.is_empty() => {}
                    Some(n) if !names.contains(&n) => names.push(n),
                    Some(_) => {}
                    None => self.nc(&o.file, o.line, format!("`allow members of {c:?}` not carried over: class {c:?} was not carried over, so this pool is open to every client")),
                }
            }
            if names.len() > 1 && names.iter().any(|n| n == "known" || n == "unknown") {
                let o = pool.plan.origin.clone();
                self.nc(&o.file, o.line, "pool restrictions combined with known/unknown clients carried as alternatives: Leasehold admits members of any listed class, dhcpd requires all");
            }
            pool.plan.classes = names;
            self.plan.subnets[pool.subnet].pools.push(pool.plan);
        }
        if need_known && !self.plan.classes.iter().any(|c| c.name == "known") {
            self.plan.classes.push(ClassPlan {
                name: "known".into(),
                known: Some(true),
                ..ClassPlan::default()
            });
        }
        if need_unknown && !self.plan.classes.iter().any(|c| c.name == "unknown") {
            self.plan.classes.push(ClassPlan {
                name: "unknown".into(),
                known: Some(false),
                ..ClassPlan::default()
            });
        }
    }

    /// Reads the top level's option spaces and definitions first, so that conditions and
    /// options may use them wherever they are (they are read again, and reported when bad, in
    /// their place).
    pub fn definitions(&mut self, stmts: &[(PathBuf, Stmt)]) {
        for (_, s) in stmts {
            if s.keyword() != "option" || s.block.is_some() {
                continue;
            }
            if s.word(1) == Some("space") {
                if let Some(n) = s.word(2) {
                    self.defs.spaces.push(n.to_ascii_lowercase());
                }
            } else if s.word(2) == Some("code") {
                let _ = self.defs.define(s.head.get(1..).unwrap_or_default());
            }
        }
    }
}

/// Pool settings passed to its ranges.
#[derive(Default)]
struct PoolCtx {
    options: Vec<OptionPlan>,
    classes: Vec<At<String>>,
}

fn id_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control()) && !s.starts_with("0x") => {
            s.to_string()
        }
        _ => format!("0x{}", leasehold_wire::hex::encode(b, None)),
    }
}

fn class_plan(name: String, k: &Keys, p: &Params, origin: Origin) -> ClassPlan {
    ClassPlan {
        name,
        user_class: k.user_class.clone(),
        vendor_class: k.vendor_class.clone(),
        arch: k.arch.clone(),
        ipxe: k.ipxe,
        hw_address_prefix: k.hw_prefix.clone(),
        circuit_id: k.circuit_id.clone(),
        remote_id: k.remote_id.clone(),
        known: k.known,
        subnet: None,
        boot_file: p.filename.as_ref().map(|v| v.0.clone()),
        next_server: p.next_server.as_ref().map(|v| v.0),
        server_name: p.server_name.as_ref().map(|v| v.0.clone()),
        deny: false,
        options: p.options.clone(),
        origin,
    }
}
