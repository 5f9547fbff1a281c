//! `Dhcp4` as a [`ConfigPlan`]: global, shared-network and subnet parameters flattened into
//! Leasehold's `[server]` and `[[subnet]]` tables (inner scopes override outer ones), pools,
//! reservations (global ones placed in the subnet holding their address), options and classes.
//! Every key that is not understood is a finding at its line.

use super::classes::{self, ClassMap};
use super::json::{Doc, Node};
use super::options::{self, OptionDefs};
use crate::{
    ConfigPlan, ImportError, OptionPlan, Origin, PoolPlan, Report, ReservationPlan, SubnetPlan,
};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Kea's default `valid-lifetime` (Leasehold's is 3600 s): written out so leases keep their
/// length.
const KEA_DEFAULT_VALID_LIFETIME: u32 = 7200;

/// Kea's default `decline-probation-period` (Leasehold's is 3600 s).
const KEA_DEFAULT_PROBATION: u32 = 86_400;

/// Reads the configuration. Err: there is no `Dhcp4` object.
pub fn read(doc: &Doc, report: &mut Report, source: String) -> Result<ConfigPlan, ImportError> {
    let root = doc.root();
    let mut plan = ConfigPlan {
        source,
        ..ConfigPlan::default()
    };
    let mut dhcp4 = None;
    for (k, v) in root.entries() {
        let (f, l) = v.at();
        match k {
            "Dhcp4" => dhcp4 = Some(v),
            "Dhcp6" => report.not_carried(f, l, "`Dhcp6` not carried over: Leasehold serves DHCPv4 only"),
            "Logging" => report.not_carried(f, l, "`Logging` not carried over: Leasehold logs to the journal (RUST_LOG / [server] settings)"),
            other => report.not_carried(
                f,
                l,
                format!("`{other}` not carried over: Leasehold has no such service (only `Dhcp4` is read)"),
            ),
        }
    }
    let Some(dhcp4) = dhcp4.filter(|d| d.v.is_object()) else {
        let (f, l) = root.at();
        return Err(ImportError::syntax(
            f,
            l,
            "no `Dhcp4` object: not a kea-dhcp4 configuration",
        ));
    };
    let mut r = Reader {
        defs: OptionDefs::default(),
        classes: ClassMap::default(),
        report,
        ids: Vec::new(),
    };
    r.dhcp4(dhcp4, &mut plan);
    plan.classes = std::mem::take(&mut r.classes.classes);
    plan.server.always_send = std::mem::take(&mut r.defs.always_send);
    Ok(plan)
}

/// Values a scope passes down to the subnets inside it.
#[derive(Clone, Debug, Default)]
struct Scope {
    lease_time: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    t1: Option<u32>,
    t2: Option<u32>,
    next_server: Option<Ipv4Addr>,
    boot_file: Option<String>,
    server_name: Option<String>,
    options: Vec<OptionPlan>,
    interface: Option<String>,
    /// Kea class the subnets are limited to, and where that was said.
    client_class: Option<(String, Origin)>,
    /// Relay addresses, and where they were given.
    relay: Option<(Vec<Ipv4Addr>, Origin)>,
    shared_network: Option<String>,
}

struct Reader<'r> {
    defs: OptionDefs,
    classes: ClassMap,
    report: &'r mut Report,
    /// Subnet ids already used.
    ids: Vec<u32>,
}

impl Reader<'_> {
    fn dhcp4(&mut self, d: Node<'_>, plan: &mut ConfigPlan) {
        let entries = d.entries();
        // Definitions and classes first: option data and pools refer to them.
        for (k, v) in &entries {
            match *k {
                "option-def" => self.defs.read(*v, self.report),
                "client-classes" => self.classes.read(*v, &mut self.defs, self.report),
                _ => {}
            }
        }
        let mut global = Scope::default();
        let mut subnets = Vec::new();
        let mut shared = Vec::new();
        let mut reservations = Vec::new();
        let mut interfaces_seen = false;
        for (k, v) in entries {
            let (f, l) = v.at();
            match k {
                "option-def" | "client-classes" => {}
                "subnet4" => subnets.push(v),
                "shared-networks" => shared.push(v),
                "reservations" => reservations.push(v),
                "authoritative" => plan.server.authoritative = v.v.as_bool(),
                "decline-probation-period" => plan.server.probation_time = self.seconds(v),
                "interfaces-config" => {
                    interfaces_seen = true;
                    self.interfaces(v, plan);
                }
                "option-data" => {
                    let o = self.defs.read_list(v, self.report);
                    options::merge(&mut plan.server.options, o);
                }
                "lease-database" => {
                    let db =
                        v.v.get("type")
                            .and_then(|t| t.as_str())
                            .unwrap_or("memfile");
                    let leases = match db {
                        "mysql" | "postgresql" => format!(
                            "dump Kea's leases with `kea-admin lease-dump {} -4 -o FILE` (the \
                             memfile CSV format) and give FILE to --leases",
                            if db == "mysql" { "mysql" } else { "pgsql" }
                        ),
                        _ => "give the memfile CSV to --leases to carry the leases".to_string(),
                    };
                    self.report.not_carried(
                        f,
                        l,
                        format!(
                            "`lease-database` ({db}) not carried over: Leasehold keeps leases in \
                             its own store ([store]: SQLite by default, PostgreSQL for several \
                             servers); {leases}"
                        ),
                    );
                }
                _ => {
                    if !self.common(k, v, &mut global) {
                        self.report.not_carried(f, l, why_not(k));
                    }
                }
            }
        }
        if !interfaces_seen {
            let (f, l) = d.at();
            self.report.not_carried(
                f,
                l,
                "no `interfaces-config`: Kea then serves no interface; Leasehold serves every \
                 interface when [server] interfaces is empty",
            );
        }
        plan.server.authoritative = Some(plan.server.authoritative.unwrap_or(false));
        // Kea's default probation is a day (Leasehold's an hour).
        plan.server.probation_time =
            Some(plan.server.probation_time.unwrap_or(KEA_DEFAULT_PROBATION));
        plan.server.lease_time = Some(global.lease_time.unwrap_or(KEA_DEFAULT_VALID_LIFETIME));
        plan.server.min_lease_time = global.min;
        plan.server.max_lease_time = global.max;
        plan.server.renewal_time = global.t1;
        plan.server.rebinding_time = global.t2;
        self.check_server_times(d, plan);
        let global_times = Scope {
            lease_time: plan.server.lease_time,
            min: plan.server.min_lease_time,
            max: plan.server.max_lease_time,
            t1: plan.server.renewal_time,
            t2: plan.server.rebinding_time,
            ..Scope::default()
        };
        let mut inherit = global.clone();
        inherit.lease_time = None;
        inherit.min = None;
        inherit.max = None;
        inherit.t1 = None;
        inherit.t2 = None;
        // Global options are written once, in [server.options].
        inherit.options.clear();
        // Kea 2.2 builds the subnets of shared networks first, then `subnet4`; a subnet without
        // an `id` gets the next number of one counter, in that order.
        for list in shared {
            for n in list.items() {
                self.shared_network(n, &inherit, &global_times, plan);
            }
        }
        for list in subnets {
            for s in list.items() {
                self.subnet(s, &inherit, &global_times, plan);
            }
        }
        number_subnets(plan);
        for list in reservations {
            for r in list.items() {
                self.global_reservation(r, plan);
            }
        }
    }

    /// Keys every scope (global, shared network, subnet) may have. False: not one of them.
    fn common(&mut self, k: &str, v: Node<'_>, s: &mut Scope) -> bool {
        let (f, l) = v.at();
        match k {
            "valid-lifetime" => s.lease_time = self.seconds(v),
            "min-valid-lifetime" => s.min = self.seconds(v),
            "max-valid-lifetime" => s.max = self.seconds(v),
            "renew-timer" => s.t1 = self.seconds(v),
            "rebind-timer" => s.t2 = self.seconds(v),
            "next-server" => match v.str().map(str::parse::<Ipv4Addr>) {
                Some(Ok(a)) => s.next_server = Some(a).filter(|a| !a.is_unspecified()),
                _ => self
                    .report
                    .not_carried(f, l, "`next-server` is not an IPv4 address"),
            },
            "boot-file-name" => s.boot_file = classes::text(v, 127, f, l, self.report),
            "server-hostname" => s.server_name = classes::text(v, 63, f, l, self.report),
            "option-data" => {
                let o = self.defs.read_list(v, self.report);
                options::merge(&mut s.options, o);
            }
            "interface" => match v.str() {
                Some(i) if !i.is_empty() => s.interface = Some(i.to_string()),
                _ => {}
            },
            "client-class" => {
                if let Some(c) = v.str().filter(|c| !c.is_empty()) {
                    s.client_class = Some((c.to_string(), Origin::new(f, l)));
                }
            }
            "client-classes" => {
                let names: Vec<&str> = v.items().iter().filter_map(|i| i.str()).collect();
                match names[..] {
                    [] => {}
                    [one] => s.client_class = Some((one.to_string(), Origin::new(f, l))),
                    _ => self.report.not_carried(
                        f,
                        l,
                        "`client-classes` with several classes not carried over: Leasehold \
                         limits a pool to members of one of its classes; write one class",
                    ),
                }
            }
            "relay" => {
                let mut addrs: Vec<Ipv4Addr> = Vec::new();
                for (rk, rv) in v.entries() {
                    match rk {
                        "ip-address" => {
                            addrs.extend(rv.str().and_then(|a| a.parse::<Ipv4Addr>().ok()))
                        }
                        "ip-addresses" => addrs.extend(
                            rv.items()
                                .iter()
                                .filter_map(|a| a.str()?.parse::<Ipv4Addr>().ok()),
                        ),
                        _ => {
                            let (rf, rl) = rv.at();
                            self.report.not_carried(rf, rl, why_not(rk));
                        }
                    }
                }
                let addrs: Vec<Ipv4Addr> = addrs
                    .into_iter()
                    .filter(|a: &Ipv4Addr| !a.is_unspecified())
                    .collect();
                s.relay = (!addrs.is_empty()).then(|| (addrs, Origin::new(f, l)));
            }
            "comment"
            | "user-context"
            | "reservations-global"
            | "reservations-in-subnet"
            | "reservations-out-of-pool"
            | "reservation-mode"
            | "host-reservation-identifiers"
            | "early-global-reservations-lookup"
            | "ip-reservations-unique"
            | "store-extended-info"
            | "statistic-default-sample-count"
            | "statistic-default-sample-age"
            | "sanity-checks"
            | "server-tag"
            | "dhcp4o6-port"
            | "echo-client-id"
            | "match-client-id"
            | "calculate-tee-times"
            | "t1-percent"
            | "t2-percent"
            | "authoritative" => return self.benign(k, v),
            _ => return false,
        }
        true
    }

    /// Keys whose Kea meaning is Leasehold's behaviour too, when they have their usual value;
    /// any other value is a finding. True: handled.
    fn benign(&mut self, k: &str, v: Node<'_>) -> bool {
        let (f, l) = v.at();
        let b = v.v.as_bool();
        let f64v = v.v.as_f64();
        let why = match k {
            "match-client-id" if b == Some(false) => Some(
                "`match-client-id: false` not carried over: Leasehold identifies a client by \
                 option 61 when it sends one (RFC 2131 §4.2)",
            ),
            "echo-client-id" if b == Some(false) => Some(
                "`echo-client-id: false` not carried over: Leasehold echoes option 61 (RFC 6842)",
            ),
            "calculate-tee-times" if b == Some(true) => None,
            "t1-percent" if f64v.is_some_and(|p| (p - 0.5).abs() > 1e-9) => Some(
                "`t1-percent` not carried over: Leasehold's default T1 is 50 %; set renewal_time",
            ),
            "t2-percent" if f64v.is_some_and(|p| (p - 0.875).abs() > 1e-9) => Some(
                "`t2-percent` not carried over: Leasehold's default T2 is 87.5 %; set \
                 rebinding_time",
            ),
            "dhcp4o6-port" => {
                Some("`dhcp4o6-port` not carried over: Leasehold has no DHCPv4-over-DHCPv6")
            }
            "authoritative" => Some(
                "`authoritative` inside a subnet or shared network not carried over: Leasehold \
                 sets it for the whole server ([server] authoritative)",
            ),
            "ip-reservations-unique" if b == Some(false) => Some(
                "`ip-reservations-unique: false` not carried over: Leasehold reserves an address \
                 for one client",
            ),
            _ => None,
        };
        if let Some(why) = why {
            self.report.not_carried(f, l, why);
        }
        true
    }

    fn seconds(&mut self, v: Node<'_>) -> Option<u32> {
        match v.v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n > 0 => Some(n),
            _ => {
                let (f, l) = v.at();
                self.report.not_carried(
                    f,
                    l,
                    "not carried over: expected a positive number of seconds",
                );
                None
            }
        }
    }

    fn interfaces(&mut self, v: Node<'_>, plan: &mut ConfigPlan) {
        for (k, iv) in v.entries() {
            let (f, l) = iv.at();
            match k {
                "interfaces" => {
                    let mut all = false;
                    let mut names = Vec::new();
                    for i in iv.items() {
                        let Some(name) = i.str() else { continue };
                        let name = name.split('/').next().unwrap_or(name).trim();
                        if name == "*" {
                            all = true;
                        } else if !name.is_empty() && !names.iter().any(|n| n == name) {
                            names.push(name.to_string());
                        }
                    }
                    if iv.items().is_empty() {
                        self.report.not_carried(
                            f,
                            l,
                            "empty `interfaces`: Kea then serves no interface; Leasehold serves \
                             every interface when [server] interfaces is empty",
                        );
                    }
                    plan.server.interfaces = if all { Vec::new() } else { names };
                }
                "comment"
                | "user-context"
                | "re-detect"
                | "dhcp-socket-type"
                | "service-sockets-require-all"
                | "service-sockets-max-retries"
                | "service-sockets-retry-wait-time" => {}
                other => self.report.not_carried(f, l, why_not(other)),
            }
        }
    }

    fn check_server_times(&mut self, d: Node<'_>, plan: &mut ConfigPlan) {
        let (f, l) = d.at();
        let s = &mut plan.server;
        let mut t = Times {
            lease: s.lease_time,
            min: s.min_lease_time,
            max: s.max_lease_time,
            t1: s.renewal_time,
            t2: s.rebinding_time,
        };
        for why in t.fix(None) {
            self.report.not_carried(f, l, why);
        }
        (
            s.min_lease_time,
            s.max_lease_time,
            s.renewal_time,
            s.rebinding_time,
        ) = (t.min, t.max, t.t1, t.t2);
    }

    fn shared_network(
        &mut self,
        n: Node<'_>,
        outer: &Scope,
        global: &Scope,
        plan: &mut ConfigPlan,
    ) {
        let mut scope = outer.clone();
        let mut subnets = Vec::new();
        for (k, v) in n.entries() {
            let (f, l) = v.at();
            match k {
                "name" => scope.shared_network = v.str().map(str::to_string),
                "subnet4" => subnets.push(v),
                _ => {
                    if !self.common(k, v, &mut scope) {
                        self.report.not_carried(f, l, why_not(k));
                    }
                }
            }
        }
        for list in subnets {
            for s in list.items() {
                self.subnet(s, &scope, global, plan);
            }
        }
    }

    fn subnet(&mut self, s: Node<'_>, outer: &Scope, global: &Scope, plan: &mut ConfigPlan) {
        let (file, line) = s.at();
        let mut scope = outer.clone();
        let mut own = Scope::default();
        let mut net = None;
        let mut id = None;
        let mut pools = Vec::new();
        let mut reservations = Vec::new();
        for (k, v) in s.entries() {
            let (f, l) = v.at();
            match k {
                "subnet" => net = v.str().and_then(|t| t.trim().parse::<Ipv4Net>().ok()),
                "id" => {
                    id =
                        v.v.as_u64()
                            .and_then(|i| u32::try_from(i).ok())
                            .filter(|i| *i > 0)
                }
                "pools" => pools.push(v),
                "reservations" => reservations.push(v),
                _ => {
                    if !self.common(k, v, &mut own) {
                        self.report.not_carried(f, l, why_not(k));
                    }
                }
            }
        }
        let Some(net) = net.map(|n| n.trunc()) else {
            self.report.not_carried(
                file,
                line,
                "subnet without a valid `subnet` (like \"198.18.0.0/24\") not carried over",
            );
            return;
        };
        if let Some(other) = plan
            .subnets
            .iter()
            .find(|o| o.net.contains(&net.network()) || net.contains(&o.net.network()))
        {
            self.report.not_carried(
                file,
                line,
                format!(
                    "subnet {net} not carried over: it overlaps subnet {}",
                    other.net
                ),
            );
            return;
        }
        // Own values over inherited ones.
        let origin = Origin::new(file, line);
        let mut sp = SubnetPlan::new(net, origin);
        if let Some(i) = id {
            if self.ids.contains(&i) {
                self.report.not_carried(
                    file,
                    line,
                    format!("subnet id {i} not carried over: another subnet has it"),
                );
            } else {
                self.ids.push(i);
                sp.id = Some(i);
            }
        }
        sp.shared_network = scope.shared_network.clone();
        sp.interface = own.interface.clone().or(scope.interface.clone());
        sp.next_server = own.next_server.or(scope.next_server);
        sp.boot_file = own.boot_file.clone().or(scope.boot_file.clone());
        sp.server_name = own.server_name.clone().or(scope.server_name.clone());
        let mut opts = std::mem::take(&mut scope.options);
        options::merge(&mut opts, own.options.clone());
        sp.options = opts;
        // Lease times: written when this subnet or its shared network sets them; T1/T2 are
        // restated with a lease time of their own (Leasehold inherits them only without one).
        let lease = own.lease_time.or(scope.lease_time);
        let mut t = Times {
            lease,
            min: own.min.or(scope.min),
            max: own.max.or(scope.max),
            t1: own.t1.or(scope.t1).or(lease.and(global.t1)),
            t2: own.t2.or(scope.t2).or(lease.and(global.t2)),
        };
        for why in t.fix(Some(global)) {
            self.report
                .not_carried(file, line, format!("subnet {net}: {why}"));
        }
        (
            sp.lease_time,
            sp.min_lease_time,
            sp.max_lease_time,
            sp.renewal_time,
            sp.rebinding_time,
        ) = (t.lease, t.min, t.max, t.t1, t.t2);
        if let Some((addrs, o)) = own.relay.or(scope.relay) {
            if addrs.iter().any(|a| !net.contains(a)) {
                self.report.not_carried(
                    &o.file,
                    o.line,
                    format!(
                        "`relay` of subnet {net} not carried over: Leasehold selects a relayed \
                         client's subnet by the relay address (giaddr) inside it; add the relay's \
                         address on this link to the subnet, or use [server] allowed_relays to \
                         limit relays"
                    ),
                );
            }
        }
        let class = own
            .client_class
            .or(scope.client_class)
            .map(|(c, o)| (self.classes.resolve(&c), c, o));
        for list in pools {
            for p in list.items() {
                if let Some(pool) = self.pool(p, &sp) {
                    sp.pools.push(pool);
                }
            }
        }
        if let Some((leasehold, kea, o)) = class {
            match leasehold {
                Some(name) if !sp.pools.is_empty() => {
                    for p in sp.pools.iter_mut().filter(|p| p.classes.is_empty()) {
                        p.classes.push(name.clone());
                    }
                }
                Some(_) => self.report.not_carried(&o.file, o.line, format!(
                    "`client-class` {kea:?} of subnet {net} not carried over: Leasehold limits pools to classes and this subnet has none"
                )),
                None => self.report.not_carried(&o.file, o.line, format!(
                    "`client-class` {kea:?} of subnet {net} not carried over: the class could not be written, so its pools are open to every client"
                )),
            }
        }
        for list in reservations {
            for r in list.items() {
                if let Some(res) = self.reservation(r, &net) {
                    push_reservation(&mut sp, res, self.report);
                }
            }
        }
        plan.subnets.push(sp);
    }

    fn pool(&mut self, p: Node<'_>, sp: &SubnetPlan) -> Option<PoolPlan> {
        let (file, line) = p.at();
        let mut range = None;
        let mut opts = Vec::new();
        let mut class = None;
        for (k, v) in p.entries() {
            let (f, l) = v.at();
            match k {
                "pool" => range = v.str().map(str::to_string),
                "option-data" => opts = self.defs.read_list(v, self.report),
                "client-class" => {
                    class = v
                        .str()
                        .filter(|c| !c.is_empty())
                        .map(|c| (c.to_string(), f, l))
                }
                "client-classes" => {
                    let names: Vec<&str> = v.items().iter().filter_map(|i| i.str()).collect();
                    match names[..] {
                        [] => {}
                        [one] => class = Some((one.to_string(), f, l)),
                        _ => self.report.not_carried(f, l, "pool `client-classes` with several classes not carried over: write one class"),
                    }
                }
                "comment" | "user-context" => {}
                other => self.report.not_carried(f, l, why_not(other)),
            }
        }
        let Some(text) = range else {
            self.report
                .not_carried(file, line, "pool without `pool` not carried over");
            return None;
        };
        let Some((start, end)) = parse_pool(&text) else {
            self.report.not_carried(
                file,
                line,
                format!("pool {text:?} not carried over: not `first - last` or `prefix/len`"),
            );
            return None;
        };
        let net = sp.net;
        if start > end || !net.contains(&start) || !net.contains(&end) {
            self.report.not_carried(
                file,
                line,
                format!("pool {text:?} not carried over: it is not inside subnet {net}"),
            );
            return None;
        }
        // Leasehold never hands out the network and broadcast addresses.
        let (mut start, mut end) = (start, end);
        if net.prefix_len() < 31 {
            if start == net.network() {
                start = Ipv4Addr::from(u32::from(start).saturating_add(1));
            }
            if end == net.broadcast() {
                end = Ipv4Addr::from(u32::from(end).saturating_sub(1));
            }
            if start > end {
                self.report.not_carried(file, line, format!("pool {text:?} not carried over: it holds only the network or broadcast address"));
                return None;
            }
        }
        if let Some(o) = sp.pools.iter().find(|o| start <= o.end && o.start <= end) {
            self.report.not_carried(
                file,
                line,
                format!(
                    "pool {text:?} not carried over: it overlaps pool {}-{}",
                    o.start, o.end
                ),
            );
            return None;
        }
        let mut classes = Vec::new();
        if let Some((c, f, l)) = class {
            match self.classes.resolve(&c) {
                Some(name) => classes.push(name),
                None => self.report.not_carried(f, l, format!(
                    "pool `client-class` {c:?} not carried over: the class could not be written, so the pool is open to every client"
                )),
            }
        }
        Some(PoolPlan {
            start,
            end,
            exclude: Vec::new(),
            classes,
            options: opts,
            origin: Origin::new(file, line),
        })
    }

    fn reservation(&mut self, r: Node<'_>, net: &Ipv4Net) -> Option<ReservationPlan> {
        let (file, line) = r.at();
        let mut res = ReservationPlan {
            origin: Origin::new(file, line),
            ..ReservationPlan::default()
        };
        let mut ok = true;
        for (k, v) in r.entries() {
            let (f, l) = v.at();
            let s = v.str().unwrap_or_default();
            match k {
                "hw-address" => match options::hex(s) {
                    Ok(b) if !b.is_empty() && b.len() <= 16 => res.hw_address = Some(hex_colon(&b)),
                    _ => {
                        self.report.not_carried(f, l, format!("reservation not carried over: hw-address {s:?} is not hex bytes"));
                        ok = false;
                    }
                },
                "client-id" => match quoted_or_hex(s) {
                    Ok(b) if !b.is_empty() => res.client_id = Some(hex_colon(&b)),
                    _ => {
                        self.report.not_carried(f, l, format!("reservation not carried over: client-id {s:?} is not hex bytes"));
                        ok = false;
                    }
                },
                "circuit-id" => match relay_id(s) {
                    Some(id) => res.circuit_id = Some(id),
                    None => {
                        self.report.not_carried(f, l, format!("reservation not carried over: circuit-id {s:?} is not hex bytes or 'quoted text'"));
                        ok = false;
                    }
                },
                "flex-id" | "duid" => {
                    self.report.not_carried(f, l, format!(
                        "reservation by `{k}` not carried over: Leasehold reserves by hw_address, client_id, circuit_id or remote_id"
                    ));
                    ok = false;
                }
                "ip-address" => match s.parse::<Ipv4Addr>() {
                    Ok(a) => res.address = Some(a),
                    Err(_) => {
                        self.report.not_carried(f, l, format!("reservation not carried over: ip-address {s:?} is not an IPv4 address"));
                        ok = false;
                    }
                },
                "hostname" => res.hostname = Some(s.to_string()).filter(|h| !h.is_empty()),
                "next-server" => match s.parse::<Ipv4Addr>() {
                    Ok(a) => res.next_server = Some(a).filter(|a| !a.is_unspecified()),
                    Err(_) => self.report.not_carried(f, l, "`next-server` is not an IPv4 address"),
                },
                "boot-file-name" => res.boot_file = classes::text(v, 127, f, l, self.report),
                "server-hostname" => self.report.not_carried(f, l,
                    "`server-hostname` of a reservation not carried over: Leasehold sets sname per subnet or class"),
                "option-data" => res.options = self.defs.read_list(v, self.report),
                "client-classes" => {
                    if !v.items().is_empty() {
                        self.report.not_carried(f, l,
                            "`client-classes` of a reservation not carried over: Leasehold classes are matched on the request, not assigned");
                    }
                }
                "comment" | "user-context" => {}
                other => self.report.not_carried(f, l, why_not(other)),
            }
        }
        if !ok {
            return None;
        }
        let keys = [&res.hw_address, &res.client_id, &res.circuit_id]
            .iter()
            .filter(|k| k.is_some())
            .count();
        if keys != 1 {
            self.report.not_carried(file, line, "reservation not carried over: it needs exactly one of hw-address, client-id, circuit-id");
            return None;
        }
        match res.address {
            None => {
                self.report.not_carried(file, line,
                    "reservation without `ip-address` not carried over: Leasehold reservations fix an address");
                None
            }
            Some(a) if !net.contains(&a) => {
                self.report.not_carried(
                    file,
                    line,
                    format!(
                        "reservation of {a} not carried over: the address is outside subnet {net}"
                    ),
                );
                None
            }
            Some(_) => Some(res),
        }
    }

    fn global_reservation(&mut self, r: Node<'_>, plan: &mut ConfigPlan) {
        let (file, line) = r.at();
        let addr =
            r.v.get("ip-address")
                .and_then(|a| a.as_str())
                .and_then(|a| a.parse::<Ipv4Addr>().ok());
        let Some(net) = addr.and_then(|a| {
            plan.subnets
                .iter()
                .find(|s| s.net.contains(&a))
                .map(|s| s.net)
        }) else {
            self.report.not_carried(file, line,
                "global reservation not carried over: it has no ip-address inside an imported subnet (Leasehold keeps reservations in the subnet of their address)");
            return;
        };
        if let Some(res) = self.reservation(r, &net) {
            if let Some(sp) = plan.subnets.iter_mut().find(|s| s.net == net) {
                push_reservation(sp, res, self.report);
            }
        }
    }
}

/// Gives every subnet without an `id` the one Kea 2.2 gives it (a counter from 1 over those
/// subnets, in the order Kea builds them), written out so that exported leases name the same
/// subnet; a number another subnet has explicitly is skipped.
fn number_subnets(plan: &mut ConfigPlan) {
    let used: Vec<u32> = plan.subnets.iter().filter_map(|s| s.id).collect();
    let mut next = 1u32;
    for s in plan.subnets.iter_mut().filter(|s| s.id.is_none()) {
        while used.contains(&next) {
            next = next.saturating_add(1);
        }
        s.id = Some(next);
        next = next.saturating_add(1);
    }
}

/// Adds a reservation unless its address or client is already reserved in the subnet.
fn push_reservation(sp: &mut SubnetPlan, res: ReservationPlan, report: &mut Report) {
    let dup = sp.reservations.iter().find(|o| {
        o.address == res.address
            || (o.hw_address.is_some() && o.hw_address == res.hw_address)
            || (o.client_id.is_some() && o.client_id == res.client_id)
            || (o.circuit_id.is_some() && o.circuit_id == res.circuit_id)
    });
    if dup.is_some() {
        report.not_carried(
            &res.origin.file,
            res.origin.line,
            format!("reservation not carried over: its address or client is already reserved in subnet {}", sp.net),
        );
        return;
    }
    sp.reservations.push(res);
}

/// Lease times of one table, made consistent the way Leasehold's parser requires.
struct Times {
    lease: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    t1: Option<u32>,
    t2: Option<u32>,
}

impl Times {
    /// Drops what Leasehold would refuse, saying why. `parent`: the server's values (for a
    /// subnet).
    fn fix(&mut self, parent: Option<&Scope>) -> Vec<String> {
        let mut why = Vec::new();
        let lease = self
            .lease
            .or(parent.and_then(|p| p.lease_time))
            .unwrap_or(3600);
        let min = self.min.or(parent.and_then(|p| p.min)).unwrap_or(0);
        let max = self.max.or(parent.and_then(|p| p.max)).unwrap_or(u32::MAX);
        if min > max || lease < min || lease > max {
            why.push(format!(
                "min/max-valid-lifetime ({min}/{max}) not carried over: valid-lifetime {lease} is not between them"
            ));
            self.min = Some(min.min(lease));
            self.max = Some(max.max(lease));
            if parent.is_none() {
                self.min = None;
                self.max = None;
            }
        }
        let t1 = self.t1.or(if self.lease.is_none() {
            parent.and_then(|p| p.t1)
        } else {
            None
        });
        let t2 = self.t2.or(if self.lease.is_none() {
            parent.and_then(|p| p.t2)
        } else {
            None
        });
        let bad1 = t1.is_some_and(|t| t >= lease);
        let bad2 = t2.is_some_and(|t| t >= lease || t <= t1.unwrap_or(lease / 2));
        if bad1 || bad2 {
            // Kea sends no timer that is not below the lease time, and clients then use 50 %
            // and 87.5 %, Leasehold's defaults: only timers in the wrong order are lost.
            let out_of_order = !bad1 && t2.is_some_and(|t| t < lease);
            if out_of_order {
                why.push(format!(
                "renew-timer/rebind-timer ({}/{}) not carried over: they must be below valid-lifetime {lease} and in order; Leasehold sends 50 % and 87.5 %",
                t1.map_or("-".into(), |t| t.to_string()),
                t2.map_or("-".into(), |t| t.to_string())
            ));
            }
            if parent.is_some() && self.lease.is_none() {
                // Restate the lease time so the server's timers are not inherited either.
                self.lease = Some(lease);
            }
            self.t1 = None;
            self.t2 = None;
        }
        why
    }
}

/// `"a - b"` or `"prefix/len"`.
fn parse_pool(s: &str) -> Option<(Ipv4Addr, Ipv4Addr)> {
    if let Some((a, b)) = s.split_once('-') {
        return Some((a.trim().parse().ok()?, b.trim().parse().ok()?));
    }
    let n: Ipv4Net = s.trim().parse().ok()?;
    Some((n.network(), n.broadcast()))
}

/// An identifier as Kea writes it: `'text'` (its bytes) or hex.
fn quoted_or_hex(s: &str) -> Result<Vec<u8>, String> {
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(t) => Ok(t.as_bytes().to_vec()),
        None => options::hex(s),
    }
}

/// Kea's circuit-id as Leasehold writes it: `'text'` → text, hex → `0x` hex.
fn relay_id(s: &str) -> Option<String> {
    if let Some(t) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return (!t.is_empty() && !t.starts_with("0x")).then(|| t.to_string());
    }
    let b = options::hex(s)
        .ok()
        .filter(|b| !b.is_empty() && b.len() <= 255)?;
    Some(format!("0x{}", leasehold_wire::hex::encode(&b, None)))
}

fn hex_colon(b: &[u8]) -> String {
    leasehold_wire::hex::encode(b, Some(':'))
}

/// Why a Kea key is not carried over.
fn why_not(k: &str) -> String {
    let why = match k {
        "hooks-libraries" => "Leasehold loads no hook libraries (classes, reservations and the control API cover the common hooks)",
        "control-socket" | "control-sockets" => "Leasehold's control API is the [control] table (HTTP)",
        "dhcp-ddns" => "Leasehold does not update DNS",
        "loggers" => "Leasehold logs to the journal (RUST_LOG)",
        "multi-threading" => "Leasehold's packet loop and lease writer need no thread settings",
        "high-availability" => "run several Leasehold servers on one PostgreSQL database instead ([store], docs/postgres.md)",
        "hosts-database" | "hosts-databases" => "Leasehold reads reservations from its configuration file only; export them into [[subnet.reservation]]",
        "config-control" => "Leasehold has no configuration backend",
        "expired-leases-processing" => "Leasehold reclaims expired leases itself",
        "dhcp-queue-control" | "parked-packet-limit" => "Leasehold's admission limits are the [security] table",
        "4o6-interface" | "4o6-interface-id" | "4o6-subnet" => "Leasehold has no DHCPv4-over-DHCPv6",
        "require-client-classes" | "evaluate-additional-classes" => "Leasehold evaluates every class for every request; there are no required classes",
        "relay" => "Leasehold selects subnets by giaddr",
        "pool-id" => "Leasehold numbers pools itself",
        "cache-threshold" | "cache-max-age" => "Leasehold does not reuse leases early",
        "offer-lifetime" => "Leasehold holds offers for [server] offer_hold seconds",
        "allocator" => "Leasehold has one allocator",
        "boot-file-name" | "next-server" | "server-hostname" => "it is not valid here",
        _ if k.starts_with("ddns-") || k.starts_with("hostname-char") => "Leasehold does not update DNS",
        _ => "Leasehold has no such setting",
    };
    format!("`{k}` not carried over: {why}")
}
