//! From dnsmasq's DHCP lines (already typed by `parse`) to a [`ConfigPlan`].
//!
//! Order of work: subnets and pools from `dhcp-range`; the addresses dnsmasq has on them (from
//! `listen-address`); reservations from `dhcp-host`; classes from the matcher lines; then the
//! tagged settings (`dhcp-option`, `dhcp-boot`, `dhcp-ignore`, `pxe-service`) resolved through
//! the tags; then dnsmasq's implicit defaults (router and DNS server = itself) and the server
//! settings. dnsmasq lets the last matching tagged line win; Leasehold lets the first matching
//! class win, so classes are ordered by their last use, latest first.

mod boot;
mod hosts;
mod timers;

use super::conf::Arg;
use super::options;
use super::parse::{Boot, Host, Key, Matcher, OptLine, PxeService, Range, RangeMode, TagRef};
use super::tags::{unique_name, Tags, Target};
use crate::plan::TftpPlan;
use crate::{
    ClassPlan, ConfigPlan, OptionPlan, OptionValue, Origin, PoolPlan, Report, ReservationPlan,
    SubnetPlan,
};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// The DHCP lines of a dnsmasq configuration, by kind, in file order. `usize` is the line's
/// position among all lines (its rank for "the last one wins").
#[derive(Debug, Default)]
pub struct Input {
    /// `dhcp-range`.
    pub ranges: Vec<Range>,
    /// `dhcp-host` (and `dhcp-hostsfile` lines).
    pub hosts: Vec<Host>,
    /// Tag matchers.
    pub matchers: Vec<Matcher>,
    /// `dhcp-option`, `dhcp-option-force` (and `dhcp-optsfile` lines).
    pub options: Vec<(usize, OptLine)>,
    /// `dhcp-boot`.
    pub boots: Vec<(usize, Boot)>,
    /// `dhcp-ignore`.
    pub ignores: Vec<(Origin, Vec<TagRef>)>,
    /// `pxe-service`.
    pub pxe: Vec<PxeService>,
    /// `domain=`.
    pub domains: Vec<(Origin, Vec<Arg>)>,
    /// `listen-address=` (IPv4 ones).
    pub listen: Vec<(Origin, Ipv4Addr)>,
    /// `interface=`.
    pub interfaces: Vec<(Origin, String)>,
    /// `enable-tftp[=interfaces]`.
    pub enable_tftp: Option<(Origin, Vec<String>)>,
    /// `tftp-root=dir[,interface]`.
    pub tftp_root: Option<(Origin, Vec<String>)>,
    /// `dhcp-authoritative`.
    pub authoritative: bool,
    /// `bootp-dynamic` without tags.
    pub bootp_dynamic: bool,
    /// `port=0`: no DNS service, so no default DNS server option.
    pub dns_off: bool,
    /// `dhcp-leasefile=`: where dnsmasq keeps its leases.
    pub leasefile: Option<(Origin, String)>,
}

/// Builds the plan; everything not carried over goes to `report`.
pub fn build(inp: &Input, report: &mut Report) -> ConfigPlan {
    let mut b = Builder::default();
    b.subnets(&inp.ranges, report);
    b.own_addresses(&inp.listen, report);
    b.hosts(&inp.hosts, report);
    for m in &inp.matchers {
        b.tags
            .add_matcher(&m.tag, m.key.clone(), m.origin.clone(), &mut b.plan.classes);
    }
    b.range_filters(report);
    b.domains(&inp.domains, report);
    b.options(&inp.options, report);
    b.boots(&inp.boots, report);
    b.pxe(&inp.pxe, report);
    b.settle_by_order(report);
    b.ignores(&inp.ignores, report);
    b.defaults(inp.dns_off, report);
    b.server(inp, report);
    b.order_classes();
    b.plan
}

/// One carried `dhcp-range`: where it went.
#[derive(Debug)]
struct Placed {
    range: Range,
    subnet: usize,
    pool: Option<usize>,
}

#[derive(Debug, Default)]
struct Builder {
    plan: ConfigPlan,
    tags: Tags,
    placed: Vec<Placed>,
    /// dnsmasq's own address in each subnet (from `listen-address`), with its line.
    own: HashMap<usize, (Ipv4Addr, Origin)>,
    /// (target, code) of options given with no value: dnsmasq then sends none.
    suppressed: Vec<(Target, u8)>,
    /// Where each option was set: (target, option name) → its line.
    set_at: HashMap<(Target, String), Origin>,
    /// Class number → rank of the last line that gave it something.
    class_rank: HashMap<usize, usize>,
    /// `tag:!T` carried by order: (line, T, the class that must come after T's, if a class).
    by_order: Vec<(Origin, String, Option<usize>)>,
    /// (class, classes it must come after).
    after: Vec<(usize, Vec<usize>)>,
}

fn trunc(net: Ipv4Net) -> Ipv4Net {
    net.trunc()
}

/// The /24 holding both ends, or the smallest network that does.
fn assumed_net(start: Ipv4Addr, end: Ipv4Addr) -> Ipv4Net {
    let mut len = 24u8;
    loop {
        let net = Ipv4Net::new(start, len).map(trunc).unwrap_or_default();
        if net.contains(&end) || len == 0 {
            return net;
        }
        len -= 1;
    }
}

impl Builder {
    fn subnets(&mut self, ranges: &[Range], report: &mut Report) {
        // Ranges with a netmask first: they say what the networks are.
        let order = ranges
            .iter()
            .filter(|r| r.netmask.is_some())
            .chain(ranges.iter().filter(|r| r.netmask.is_none()));
        for r in order {
            let mut notes = Vec::new();
            if let Err(why) = self.place(r, &mut notes) {
                notes.push(why);
            }
            for n in notes {
                report.not_carried(&r.origin.file, r.origin.line, n);
            }
        }
        // Range tags: the whole subnet when every range of it sets the tag, else its pools.
        let mut by_tag: HashMap<&str, Vec<&Placed>> = HashMap::new();
        for p in &self.placed {
            if let Some(t) = &p.range.set {
                by_tag.entry(t.as_str()).or_default().push(p);
            }
        }
        let mut adds = Vec::new();
        for (tag, ps) in by_tag {
            for p in &ps {
                let whole = self
                    .placed
                    .iter()
                    .filter(|q| q.subnet == p.subnet)
                    .all(|q| q.range.set.as_deref() == Some(tag));
                let target = match (whole, p.pool) {
                    (true, _) | (false, None) => Target::Subnet(p.subnet),
                    (false, Some(pool)) => Target::Pool(p.subnet, pool),
                };
                adds.push((tag.to_string(), target));
            }
        }
        adds.sort_by_key(|(t, _)| t.clone());
        for (tag, target) in adds {
            self.tags.add_range(&tag, target);
        }
    }
}

impl Builder {
    /// Places one range; `notes` gets what was carried with an assumption or only in part.
    fn place(&mut self, r: &Range, notes: &mut Vec<String>) -> Result<(), String> {
        let net = match r.netmask {
            Some(mask) => {
                let net = Ipv4Net::with_netmask(r.start, mask)
                    .map_err(|_| format!("netmask {mask} is not a netmask"))?
                    .trunc();
                if !net.contains(&r.end) {
                    return Err(format!(
                        "range {}-{} does not fit in {net} (dnsmasq refuses it too)",
                        r.start, r.end
                    ));
                }
                net
            }
            None => match self
                .plan
                .subnets
                .iter()
                .find(|s| s.net.contains(&r.start) && s.net.contains(&r.end))
            {
                Some(s) => s.net,
                None => {
                    let net = assumed_net(r.start, r.end);
                    notes.push(format!(
                        "netmask not given: dnsmasq takes it from the interface, which the \
                         importer cannot see; assumed subnet {net} (check it, or add the \
                         netmask to the dhcp-range)"
                    ));
                    net
                }
            },
        };
        let s = match self.plan.subnets.iter().position(|s| s.net == net) {
            Some(i) => i,
            None => {
                if let Some(o) = self
                    .plan
                    .subnets
                    .iter()
                    .find(|s| s.net.contains(&net.network()) || net.contains(&s.net.network()))
                {
                    notes.clear();
                    return Err(format!(
                        "subnet {net} overlaps subnet {} of an earlier range",
                        o.net
                    ));
                }
                self.plan
                    .subnets
                    .push(SubnetPlan::new(net, r.origin.clone()));
                self.plan.subnets.len() - 1
            }
        };
        let subnet = &mut self.plan.subnets[s];
        let mut pool = None;
        match r.mode {
            RangeMode::Proxy => {
                if !subnet.pools.is_empty() || !subnet.reservations.is_empty() {
                    return Err(format!(
                        "proxy range in {net}, where dnsmasq also assigns addresses: a Leasehold \
                         subnet is either proxy or not"
                    ));
                }
                subnet.proxy = true;
            }
            RangeMode::Static | RangeMode::Pool if subnet.proxy => {
                return Err(format!("{net} is a proxy subnet (an earlier proxy range)"));
            }
            RangeMode::Static => {}
            RangeMode::Pool => {
                let (mut start, mut end) = (r.start, r.end);
                if net.prefix_len() < 31 {
                    start = start.max(Ipv4Addr::from(u32::from(net.network()).saturating_add(1)));
                    end = end.min(Ipv4Addr::from(u32::from(net.broadcast()).saturating_sub(1)));
                }
                if start > end {
                    return Err(format!(
                        "range {}-{} holds no usable address of {net}",
                        r.start, r.end
                    ));
                }
                if let Some(p) = subnet
                    .pools
                    .iter()
                    .find(|p| p.start <= end && start <= p.end)
                {
                    return Err(format!(
                        "range {start}-{end} overlaps range {}-{} (Leasehold pools do not overlap)",
                        p.start, p.end
                    ));
                }
                subnet.pools.push(PoolPlan {
                    start,
                    end,
                    exclude: Vec::new(),
                    classes: Vec::new(),
                    options: Vec::new(),
                    origin: r.origin.clone(),
                });
                pool = Some(subnet.pools.len() - 1);
            }
        }
        if let (Some(l), false) = (r.lease, subnet.proxy) {
            match subnet.lease_time {
                None => subnet.lease_time = Some(l),
                Some(old) if old != l => notes.push(format!(
                    "lease time {l} s not carried over: Leasehold has one lease time per \
                     subnet and {net} has {old} s from an earlier range"
                )),
                Some(_) => {}
            }
        }
        self.placed.push(Placed {
            range: r.clone(),
            subnet: s,
            pool,
        });
        Ok(())
    }
}

/// The option table of a target.
fn options_of(plan: &mut ConfigPlan, t: Target) -> Option<&mut Vec<OptionPlan>> {
    Some(match t {
        Target::Server => &mut plan.server.options,
        Target::Subnet(s) => &mut plan.subnets.get_mut(s)?.options,
        Target::Pool(s, p) => &mut plan.subnets.get_mut(s)?.pools.get_mut(p)?.options,
        Target::Reservation(s, r) => &mut plan.subnets.get_mut(s)?.reservations.get_mut(r)?.options,
        Target::Class(c) => &mut plan.classes.get_mut(c)?.options,
    })
}

/// The subnet a target lies in, if one.
fn subnet_of(t: Target) -> Option<usize> {
    match t {
        Target::Subnet(s) | Target::Pool(s, _) | Target::Reservation(s, _) => Some(s),
        Target::Server | Target::Class(_) => None,
    }
}

impl Builder {
    /// `listen-address` inside a subnet: dnsmasq's own address there.
    fn own_addresses(&mut self, listen: &[(Origin, Ipv4Addr)], report: &mut Report) {
        for (o, a) in listen {
            match self.plan.subnets.iter().position(|s| s.net.contains(a)) {
                Some(s) => {
                    self.own.entry(s).or_insert((*a, o.clone()));
                }
                None => report.not_carried(&o.file, o.line, super::keys::why_not("listen-address")),
            }
        }
    }

    /// dnsmasq's own address in the subnet of `t`, when known.
    fn own_for(&self, t: Target) -> Option<Ipv4Addr> {
        match t {
            Target::Server | Target::Class(_)
                if self.own.len() == 1 && self.plan.subnets.len() == 1 =>
            {
                self.own.values().next().map(|(a, _)| *a)
            }
            t => subnet_of(t).and_then(|s| self.own.get(&s)).map(|(a, _)| *a),
        }
    }

    /// `dhcp-range=tag:..` → the pool serves only those classes.
    fn range_filters(&mut self, report: &mut Report) {
        let placed: Vec<(Origin, Vec<TagRef>, usize, Option<usize>)> = self
            .placed
            .iter()
            .filter(|p| !p.range.filter.is_empty())
            .map(|p| {
                (
                    p.range.origin.clone(),
                    p.range.filter.clone(),
                    p.subnet,
                    p.pool,
                )
            })
            .collect();
        for (o, filter, s, pool) in placed {
            let Some(pool) = pool else {
                report.not_carried(
                    &o.file,
                    o.line,
                    "`tag:` on a static or proxy range has no Leasehold form (it serves everyone)",
                );
                continue;
            };
            let names = self
                .tags
                .resolve(&filter, &o, &mut self.plan.classes)
                .and_then(|ts| {
                    ts.iter()
                        .map(|t| match t {
                            Target::Class(c) => Ok(self.plan.classes[*c].name.clone()),
                            _ => Err("the range's tags are not client classes".to_string()),
                        })
                        .collect::<Result<Vec<_>, _>>()
                });
            match names {
                Ok(n) => self.plan.subnets[s].pools[pool].classes = n,
                Err(why) => {
                    report.not_carried(&o.file, o.line, format!("the pool serves everyone: {why}"))
                }
            }
        }
    }

    /// Puts option `name` = `value` at `t`; a later line replaces an earlier one, which is
    /// then reported.
    fn put_option(
        &mut self,
        t: Target,
        name: String,
        value: OptionValue,
        origin: &Origin,
        rank: usize,
        report: &mut Report,
    ) {
        let Some(table) = options_of(&mut self.plan, t) else {
            return;
        };
        if let Some(old) = table.iter_mut().find(|o| o.name == name) {
            report.not_carried(
                &old.origin.file,
                old.origin.line,
                format!(
                    "option {name} here is replaced by {}:{} (the later line wins in dnsmasq)",
                    origin.file.display(),
                    origin.line
                ),
            );
            old.value = value;
            old.origin = origin.clone();
        } else {
            table.push(OptionPlan {
                name: name.clone(),
                value,
                origin: origin.clone(),
            });
        }
        self.set_at.insert((t, name), origin.clone());
        if let Target::Class(c) = t {
            self.class_rank.insert(c, rank);
        }
    }

    /// `domain=NAME[,range|network[,local]]` → option 15.
    fn domains(&mut self, domains: &[(Origin, Vec<Arg>)], report: &mut Report) {
        for (o, args) in domains {
            let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
            let Some((name, rest)) = texts.split_first() else {
                report.not_carried(&o.file, o.line, "`domain` without a name");
                continue;
            };
            if *name == "#" {
                report.not_carried(
                    &o.file,
                    o.line,
                    "`domain=#` (the search domain of /etc/resolv.conf) cannot be read by the \
                     importer: set `domain-name` by hand",
                );
                continue;
            }
            let value = match options::value(15, &args[..1], None) {
                Ok(v) => v,
                Err(why) => {
                    report.not_carried(&o.file, o.line, format!("domain {name:?}: {why}"));
                    continue;
                }
            };
            let rest: Vec<&str> = rest.iter().copied().filter(|r| *r != "local").collect();
            let targets: Vec<Target> = match rest.as_slice() {
                [] => vec![Target::Server],
                [net] | [net, _] => {
                    let first: Option<Ipv4Addr> =
                        net.split('/').next().and_then(|a| a.parse().ok());
                    let wide: Option<Ipv4Net> = net.parse().ok();
                    self.plan
                        .subnets
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| {
                            wide.is_some_and(|w| w.contains(&s.net) || s.net.contains(&w.network()))
                                || first.is_some_and(|a| s.net.contains(&a))
                        })
                        .map(|(i, _)| Target::Subnet(i))
                        .collect()
                }
                _ => Vec::new(),
            };
            if targets.is_empty() {
                report.not_carried(
                    &o.file,
                    o.line,
                    "`domain` for addresses outside every carried subnet (or an interface name)",
                );
                continue;
            }
            for t in targets {
                self.put_option(t, options::name(15), value.clone(), o, 0, report);
            }
            if texts.contains(&"local") {
                report.not_carried(
                    &o.file,
                    o.line,
                    "the `local` DNS zones not carried over: DNS service is not Leasehold's job \
                     (the domain name option is)",
                );
            }
        }
    }

    fn options(&mut self, lines: &[(usize, OptLine)], report: &mut Report) {
        for (rank, l) in lines {
            if let Err(why) = self.option(*rank, l, report) {
                report.not_carried(&l.origin.file, l.origin.line, why);
            }
        }
    }

    fn option(&mut self, rank: usize, l: &OptLine, report: &mut Report) -> Result<(), String> {
        if matches!(l.code, 58 | 59) {
            return self.timer(l);
        }
        if let Some((_, why)) = options::MANAGED.iter().find(|(c, _)| *c == l.code) {
            return Err(format!(
                "option {} is set by the server itself: {why}",
                l.code
            ));
        }
        if l.code == 255 {
            return Err(
                "`server-ip-address` (siaddr) as an option: use dhcp-boot's server address".into(),
            );
        }
        let targets = self
            .tags
            .resolve(&l.tags, &l.origin, &mut self.plan.classes)?;
        if l.args.is_empty() {
            // No value: dnsmasq sends none (its defaults for 3 and 6 are switched off).
            for t in targets {
                self.suppressed.push((t, l.code));
            }
            return Ok(());
        }
        let name = options::name(l.code);
        let mut forced_elsewhere = false;
        for t in targets {
            let value = options::value(l.code, &l.args, self.own_for(t))
                .map_err(|why| format!("option {name}: {why}"))?;
            forced_elsewhere |= l.force && !matches!(t, Target::Class(_));
            self.put_option(t, name.clone(), value, &l.origin, rank, report);
        }
        // Class options are always sent; elsewhere `[server] always_send` forces the option
        // wherever it is configured (dnsmasq forces it only where this line applies).
        if forced_elsewhere && !self.plan.server.always_send.contains(&name) {
            self.plan.server.always_send.push(name);
        }
        Ok(())
    }

    /// dnsmasq sends its own address as router (3) and DNS server (6) unless told otherwise.
    fn defaults(&mut self, dns_off: bool, report: &mut Report) {
        let codes: &[u8] = if dns_off { &[3] } else { &[3, 6] };
        for s in 0..self.plan.subnets.len() {
            if self.plan.subnets[s].proxy || !self.placed.iter().any(|p| p.subnet == s) {
                continue;
            }
            for &code in codes {
                let name = options::name(code);
                let given = self.set_at.keys().any(|(t, n)| {
                    *n == name
                        && matches!(t, Target::Server | Target::Subnet(_) | Target::Pool(..))
                        && subnet_of(*t).is_none_or(|x| x == s)
                }) || self.suppressed.iter().any(|(t, c)| {
                    *c == code
                        && subnet_of(*t).is_none_or(|x| x == s)
                        && !matches!(t, Target::Class(_) | Target::Reservation(..))
                });
                if given {
                    continue;
                }
                let what = if code == 3 { "router" } else { "DNS server" };
                match self.own.get(&s).cloned() {
                    Some((a, o)) => {
                        let v = OptionValue::List(vec![OptionValue::Text(a.to_string())]);
                        self.put_option(Target::Subnet(s), name, v, &o, 0, report);
                    }
                    None => {
                        let o = &self.plan.subnets[s].origin;
                        report.not_carried(
                            &o.file,
                            o.line,
                            format!(
                                "dnsmasq sends its own address as {what} (option {code}) by \
                                 default, and the importer cannot see it: set `{name}` in the \
                                 subnet's options"
                            ),
                        );
                    }
                }
            }
        }
    }

    fn server(&mut self, inp: &Input, report: &mut Report) {
        let serves = self.plan.subnets.iter().any(|s| !s.proxy);
        if inp.authoritative || serves {
            // Without dhcp-authoritative dnsmasq ignores requests for leases it does not know.
            self.plan.server.authoritative = Some(inp.authoritative);
        }
        if inp.bootp_dynamic {
            self.plan.server.dynamic_bootp = Some(true);
        }
        for (_, i) in &inp.interfaces {
            if !self.plan.server.interfaces.contains(i) {
                self.plan.server.interfaces.push(i.clone());
            }
        }
        match (&inp.enable_tftp, &inp.tftp_root) {
            (Some((eo, ifaces)), Some((ro, root))) => {
                let Some(dir) = root.first().filter(|d| !d.is_empty()) else {
                    report.not_carried(&ro.file, ro.line, "`tftp-root` without a directory");
                    return;
                };
                self.plan.tftp = Some(TftpPlan {
                    root: dir.clone(),
                    listen: None,
                    origin: ro.clone(),
                });
                if !ifaces.is_empty() {
                    report.not_carried(
                        &eo.file,
                        eo.line,
                        "TFTP on some interfaces only: Leasehold's [tftp] listens on one address \
                         (set `listen` or `interfaces` in [tftp])",
                    );
                }
                if root.len() > 1 {
                    report.not_carried(
                        &ro.file,
                        ro.line,
                        "a TFTP root per interface: Leasehold has one root",
                    );
                }
            }
            (Some((eo, _)), None) => report.not_carried(
                &eo.file,
                eo.line,
                "`enable-tftp` without `tftp-root` (dnsmasq serves its working directory): \
                 Leasehold's [tftp] needs a root",
            ),
            (None, Some((ro, _))) => report.not_carried(
                &ro.file,
                ro.line,
                "`tftp-root` without `enable-tftp`: dnsmasq serves no TFTP, so neither does \
                 Leasehold",
            ),
            (None, None) => {}
        }
    }

    /// Latest-used classes first (dnsmasq: the last matching line wins; Leasehold: the first
    /// matching class).
    fn order_classes(&mut self) {
        let mut indexed: Vec<(usize, ClassPlan)> = std::mem::take(&mut self.plan.classes)
            .into_iter()
            .enumerate()
            .collect();
        indexed.sort_by_key(|(i, _)| {
            std::cmp::Reverse(self.class_rank.get(i).copied().map_or(0, |r| r + 1))
        });
        // `tag:!T` by order: the class comes after every class standing for T.
        for _ in 0..2 {
            for (c, before) in &self.after {
                let pos = |x: usize| indexed.iter().position(|(i, _)| *i == x);
                let (Some(at), Some(last)) = (pos(*c), before.iter().filter_map(|b| pos(*b)).max())
                else {
                    continue;
                };
                if at < last {
                    let moved = indexed.remove(at);
                    indexed.insert(last, moved);
                }
            }
        }
        self.plan.classes = indexed.into_iter().map(|(_, c)| c).collect();
    }
}
