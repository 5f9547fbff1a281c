//! Leasehold's configuration as importers build it, and its TOML form.
//!
//! The model mirrors the configuration file (docs/configuration.md) table by table, with the
//! place each value came from ([`Origin`]), written as a comment above it so that an operator can
//! check the result against the source. Importers flatten their sources' scopes (dhcpd's groups
//! and shared networks, Kea's global/shared-network/subnet inheritance, dnsmasq's tags) into
//! these tables; [`ConfigPlan::to_toml`] writes a file that `leasehold check-config` accepts.

use ipnet::Ipv4Net;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// Where a value came from: `FILE:LINE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The source file.
    pub file: PathBuf,
    /// The line (1-based; 0 = not from one line).
    pub line: u32,
}

impl Origin {
    /// `file:line`.
    pub fn new(file: impl Into<PathBuf>, line: u32) -> Self {
        Origin {
            file: file.into(),
            line,
        }
    }
}

/// An option value as the configuration writes it (docs/configuration.md, "Option values"):
/// addresses, names and hex bytes are text.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// A string: an address, a name, `"a.b.c.d/n e.f.g.h"` routes, or hex bytes `"01:02"`.
    Text(String),
    /// A number.
    Number(i64),
    /// A boolean (flag options).
    Bool(bool),
    /// A list.
    List(Vec<OptionValue>),
}

/// One option: its Leasehold name (ISC dhcpd's names in kebab case) or its code as text, and
/// its value.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionPlan {
    /// `"routers"`, `"domain-name-servers"`, ... or a code such as `"224"`.
    pub name: String,
    /// The value.
    pub value: OptionValue,
    /// Where it came from.
    pub origin: Origin,
}

/// The `[server]` table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerPlan {
    /// `lease_time` (the source's default lease time).
    pub lease_time: Option<u32>,
    /// `min_lease_time`.
    pub min_lease_time: Option<u32>,
    /// `max_lease_time`.
    pub max_lease_time: Option<u32>,
    /// `renewal_time` (T1, seconds).
    pub renewal_time: Option<u32>,
    /// `rebinding_time` (T2, seconds).
    pub rebinding_time: Option<u32>,
    /// `probation_time` (seconds a declined address stays out of use).
    pub probation_time: Option<u32>,
    /// `always_send` (option names or codes sent even when the client did not ask).
    pub always_send: Vec<String>,
    /// `authoritative`.
    pub authoritative: Option<bool>,
    /// `dynamic_bootp`.
    pub dynamic_bootp: Option<bool>,
    /// `interfaces`.
    pub interfaces: Vec<String>,
    /// `[server.options]`.
    pub options: Vec<OptionPlan>,
}

/// One `[[class]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassPlan {
    /// `name`.
    pub name: String,
    /// `user_class` (text, or `0x` hex).
    pub user_class: Option<String>,
    /// `vendor_class` (prefix of option 60).
    pub vendor_class: Option<String>,
    /// `arch` (option 93 codes).
    pub arch: Vec<u16>,
    /// `ipxe` (option 175 present or absent).
    pub ipxe: Option<bool>,
    /// `hw_address_prefix` (`"52:54:00"`).
    pub hw_address_prefix: Option<String>,
    /// `circuit_id`.
    pub circuit_id: Option<String>,
    /// `remote_id`.
    pub remote_id: Option<String>,
    /// `known`.
    pub known: Option<bool>,
    /// `subnet`: the class applies only to clients of this subnet (an `if` inside a subnet).
    pub subnet: Option<Ipv4Net>,
    /// `boot_file`.
    pub boot_file: Option<String>,
    /// `next_server`.
    pub next_server: Option<Ipv4Addr>,
    /// `server_name`.
    pub server_name: Option<String>,
    /// `deny`.
    pub deny: bool,
    /// `[class.options]`.
    pub options: Vec<OptionPlan>,
    /// Where it came from.
    pub origin: Origin,
}

/// One `[[subnet.pool]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolPlan {
    /// First address of `range`.
    pub start: Ipv4Addr,
    /// Last address of `range`.
    pub end: Ipv4Addr,
    /// `exclude`.
    pub exclude: Vec<Ipv4Addr>,
    /// `classes` (empty: everyone).
    pub classes: Vec<String>,
    /// `[subnet.pool.options]`.
    pub options: Vec<OptionPlan>,
    /// Where it came from.
    pub origin: Origin,
}

/// One `[[subnet.reservation]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReservationPlan {
    /// `hw_address` (`"52:54:00:00:00:01"`).
    pub hw_address: Option<String>,
    /// `client_id` (option 61 bytes as `"01:52:54:..."`).
    pub client_id: Option<String>,
    /// `circuit_id`.
    pub circuit_id: Option<String>,
    /// `remote_id`.
    pub remote_id: Option<String>,
    /// `address`.
    pub address: Option<Ipv4Addr>,
    /// `hostname`.
    pub hostname: Option<String>,
    /// `next_server`.
    pub next_server: Option<Ipv4Addr>,
    /// `boot_file`.
    pub boot_file: Option<String>,
    /// `[subnet.reservation.options]`.
    pub options: Vec<OptionPlan>,
    /// Where it came from.
    pub origin: Origin,
}

/// One `[[subnet]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetPlan {
    /// `subnet`.
    pub net: Ipv4Net,
    /// `id` (Kea's subnet id, kept so exported leases name the same subnet).
    pub id: Option<u32>,
    /// `shared_network`.
    pub shared_network: Option<String>,
    /// `interface`.
    pub interface: Option<String>,
    /// `next_server`.
    pub next_server: Option<Ipv4Addr>,
    /// `boot_file`.
    pub boot_file: Option<String>,
    /// `server_name`.
    pub server_name: Option<String>,
    /// `lease_time`.
    pub lease_time: Option<u32>,
    /// `min_lease_time`.
    pub min_lease_time: Option<u32>,
    /// `max_lease_time`.
    pub max_lease_time: Option<u32>,
    /// `renewal_time` (T1, seconds).
    pub renewal_time: Option<u32>,
    /// `rebinding_time` (T2, seconds).
    pub rebinding_time: Option<u32>,
    /// `proxy` (proxy DHCP on this link: boot information only, no pools or reservations).
    pub proxy: bool,
    /// `[subnet.options]`.
    pub options: Vec<OptionPlan>,
    /// `[[subnet.pool]]`.
    pub pools: Vec<PoolPlan>,
    /// `[[subnet.reservation]]`.
    pub reservations: Vec<ReservationPlan>,
    /// Where it came from.
    pub origin: Origin,
}

impl SubnetPlan {
    /// A subnet with nothing but its network.
    pub fn new(net: Ipv4Net, origin: Origin) -> Self {
        SubnetPlan {
            net,
            id: None,
            shared_network: None,
            interface: None,
            next_server: None,
            boot_file: None,
            server_name: None,
            lease_time: None,
            min_lease_time: None,
            max_lease_time: None,
            renewal_time: None,
            rebinding_time: None,
            proxy: false,
            options: Vec::new(),
            pools: Vec::new(),
            reservations: Vec::new(),
            origin,
        }
    }
}

/// The `[tftp]` table (the TFTP boot file service).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TftpPlan {
    /// `root`: the directory served.
    pub root: String,
    /// `listen` (`"0.0.0.0:69"` when absent).
    pub listen: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

/// A whole configuration file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigPlan {
    /// What it was imported from, for the header comment (e.g. "ISC dhcpd: /etc/dhcp/dhcpd.conf").
    pub source: String,
    /// `[server]`.
    pub server: ServerPlan,
    /// `[[class]]`, in file order.
    pub classes: Vec<ClassPlan>,
    /// `[[subnet]]`.
    pub subnets: Vec<SubnetPlan>,
    /// `[tftp]` (absent: no TFTP service).
    pub tftp: Option<TftpPlan>,
}

impl ConfigPlan {
    /// True when a subnet that assigns addresses (not a proxy subnet) holds `addr`: where an
    /// imported lease can live.
    pub fn assigns(&self, addr: Ipv4Addr) -> bool {
        self.subnets
            .iter()
            .any(|s| !s.proxy && s.net.contains(&addr))
    }

    /// The subnet holding `addr`, if any.
    pub fn subnet_of_mut(&mut self, addr: Ipv4Addr) -> Option<&mut SubnetPlan> {
        self.subnets.iter_mut().find(|s| s.net.contains(&addr))
    }

    /// The configuration file: a header naming the source, then `[server]`, the classes and the
    /// subnets, each value preceded by a comment naming where it came from.
    pub fn to_toml(&self) -> String {
        let mut w = Writer::default();
        w.comment(&format!(
            "Imported by `leasehold import` from {}.",
            self.source
        ));
        w.comment(
            "Check it with `leasehold check-config FILE`; every `# from` names the source line.",
        );
        w.blank();
        self.write_server(&mut w);
        for c in &self.classes {
            write_class(&mut w, c);
        }
        for s in &self.subnets {
            write_subnet(&mut w, s);
        }
        if let Some(t) = &self.tftp {
            w.origin(&t.origin);
            w.line("[tftp]");
            w.kv("root", &quote(&t.root));
            w.opt_str("listen", t.listen.as_deref());
            w.blank();
        }
        w.out
    }

    fn write_server(&self, w: &mut Writer) {
        let s = &self.server;
        w.line("[server]");
        w.opt_num("lease_time", s.lease_time);
        w.opt_num("min_lease_time", s.min_lease_time);
        w.opt_num("max_lease_time", s.max_lease_time);
        w.opt_num("renewal_time", s.renewal_time);
        w.opt_num("rebinding_time", s.rebinding_time);
        w.opt_num("probation_time", s.probation_time);
        if !s.always_send.is_empty() {
            w.kv("always_send", &string_list(&s.always_send));
        }
        w.opt_bool("authoritative", s.authoritative);
        w.opt_bool("dynamic_bootp", s.dynamic_bootp);
        if !s.interfaces.is_empty() {
            w.kv("interfaces", &string_list(&s.interfaces));
        }
        w.options("server.options", &s.options);
        w.blank();
    }
}

fn write_class(w: &mut Writer, c: &ClassPlan) {
    w.origin(&c.origin);
    w.line("[[class]]");
    w.kv("name", &quote(&c.name));
    w.opt_str("user_class", c.user_class.as_deref());
    w.opt_str("vendor_class", c.vendor_class.as_deref());
    if !c.arch.is_empty() {
        let list: Vec<String> = c.arch.iter().map(u16::to_string).collect();
        w.kv("arch", &format!("[{}]", list.join(", ")));
    }
    w.opt_bool("ipxe", c.ipxe);
    w.opt_str("hw_address_prefix", c.hw_address_prefix.as_deref());
    w.opt_str("circuit_id", c.circuit_id.as_deref());
    w.opt_str("remote_id", c.remote_id.as_deref());
    w.opt_bool("known", c.known);
    if let Some(net) = c.subnet {
        w.kv("subnet", &quote(&net.to_string()));
    }
    w.opt_str("boot_file", c.boot_file.as_deref());
    w.opt_addr("next_server", c.next_server);
    w.opt_str("server_name", c.server_name.as_deref());
    if c.deny {
        w.kv("deny", "true");
    }
    w.options("class.options", &c.options);
    w.blank();
}

fn write_subnet(w: &mut Writer, s: &SubnetPlan) {
    w.origin(&s.origin);
    w.line("[[subnet]]");
    w.kv("subnet", &quote(&s.net.to_string()));
    w.opt_num("id", s.id);
    w.opt_str("shared_network", s.shared_network.as_deref());
    w.opt_str("interface", s.interface.as_deref());
    w.opt_addr("next_server", s.next_server);
    w.opt_str("boot_file", s.boot_file.as_deref());
    w.opt_str("server_name", s.server_name.as_deref());
    w.opt_num("lease_time", s.lease_time);
    w.opt_num("min_lease_time", s.min_lease_time);
    w.opt_num("max_lease_time", s.max_lease_time);
    w.opt_num("renewal_time", s.renewal_time);
    w.opt_num("rebinding_time", s.rebinding_time);
    if s.proxy {
        w.kv("proxy", "true");
    }
    w.options("subnet.options", &s.options);
    for p in &s.pools {
        w.origin(&p.origin);
        w.line("[[subnet.pool]]");
        w.kv("range", &quote(&format!("{}-{}", p.start, p.end)));
        if !p.exclude.is_empty() {
            let list: Vec<String> = p.exclude.iter().map(Ipv4Addr::to_string).collect();
            w.kv("exclude", &string_list(&list));
        }
        if !p.classes.is_empty() {
            w.kv("classes", &string_list(&p.classes));
        }
        w.options("subnet.pool.options", &p.options);
    }
    for r in &s.reservations {
        w.origin(&r.origin);
        w.line("[[subnet.reservation]]");
        w.opt_str("hw_address", r.hw_address.as_deref());
        w.opt_str("client_id", r.client_id.as_deref());
        w.opt_str("circuit_id", r.circuit_id.as_deref());
        w.opt_str("remote_id", r.remote_id.as_deref());
        w.opt_addr("address", r.address);
        w.opt_str("hostname", r.hostname.as_deref());
        w.opt_addr("next_server", r.next_server);
        w.opt_str("boot_file", r.boot_file.as_deref());
        w.options("subnet.reservation.options", &r.options);
    }
    w.blank();
}

/// A class name made from `want` (a tag, a dhcpd class or host name): `[A-Za-z0-9_-]+`, at most
/// 48 characters before a `-N` suffix, unused by `classes` and not one of `reserved`.
pub fn unique_class_name(classes: &[ClassPlan], want: &str, reserved: &[&str]) -> String {
    let mut base: String = want
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if base.is_empty() {
        base = "class".into();
    }
    base.truncate(48);
    let taken = |n: &str| reserved.contains(&n) || classes.iter().any(|c| c.name == n);
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// A TOML basic string (quoted and escaped by the `toml` crate).
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// An option name as a TOML key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        name.to_string()
    } else {
        quote(name)
    }
}

fn value(v: &OptionValue) -> String {
    match v {
        OptionValue::Text(s) => quote(s),
        OptionValue::Number(n) => n.to_string(),
        OptionValue::Bool(b) => b.to_string(),
        OptionValue::List(items) => {
            let parts: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// Builds the file line by line.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, l: &str) {
        self.out.push_str(l);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn comment(&mut self, text: &str) {
        for l in text.lines() {
            let _ = writeln!(self.out, "# {l}");
        }
    }

    fn origin(&mut self, o: &Origin) {
        if o.line > 0 {
            let _ = writeln!(self.out, "# from {}:{}", o.file.display(), o.line);
        }
    }

    fn kv(&mut self, k: &str, v: &str) {
        let _ = writeln!(self.out, "{k} = {v}");
    }

    fn opt_str(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.kv(k, &quote(v));
        }
    }

    fn opt_addr(&mut self, k: &str, v: Option<Ipv4Addr>) {
        if let Some(v) = v {
            self.kv(k, &quote(&v.to_string()));
        }
    }

    fn opt_num(&mut self, k: &str, v: Option<u32>) {
        if let Some(v) = v {
            self.kv(k, &v.to_string());
        }
    }

    fn opt_bool(&mut self, k: &str, v: Option<bool>) {
        if let Some(v) = v {
            self.kv(k, &v.to_string());
        }
    }

    /// `[table]` with one line per option (nothing when there are none).
    fn options(&mut self, table: &str, opts: &[OptionPlan]) {
        if opts.is_empty() {
            return;
        }
        self.line(&format!("[{table}]"));
        for o in opts {
            if o.origin.line > 0 {
                let _ = writeln!(
                    self.out,
                    "{} = {}   # from {}:{}",
                    key(&o.name),
                    value(&o.value),
                    o.origin.file.display(),
                    o.origin.line
                );
            } else {
                self.kv(&key(&o.name), &value(&o.value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_engine::Config;
    use std::path::Path;

    fn opt(name: &str, value: OptionValue) -> OptionPlan {
        OptionPlan {
            name: name.into(),
            value,
            origin: Origin::new("dhcpd.conf", 3),
        }
    }

    /// Every table and key the model has, written and read back by the real configuration
    /// parser.
    #[test]
    fn everything_written_is_accepted_by_check_config() {
        let mut subnet = SubnetPlan::new(
            "198.18.0.0/24".parse().expect("net"),
            Origin::new("dhcpd.conf", 10),
        );
        subnet.id = Some(7);
        subnet.shared_network = Some("lab \"one\"".into());
        subnet.next_server = Some(Ipv4Addr::new(198, 18, 0, 1));
        subnet.boot_file = Some("pxelinux.0".into());
        subnet.server_name = Some("boot".into());
        subnet.lease_time = Some(600);
        subnet.max_lease_time = Some(7200);
        subnet.renewal_time = Some(200);
        subnet.rebinding_time = Some(400);
        subnet.options.push(opt(
            "routers",
            OptionValue::List(vec![OptionValue::Text("198.18.0.1".into())]),
        ));
        subnet
            .options
            .push(opt("interface-mtu", OptionValue::Number(1500)));
        subnet
            .options
            .push(opt("ip-forwarding", OptionValue::Bool(false)));
        subnet
            .options
            .push(opt("224", OptionValue::Text("73:69".into())));
        subnet.pools.push(PoolPlan {
            start: Ipv4Addr::new(198, 18, 0, 100),
            end: Ipv4Addr::new(198, 18, 0, 199),
            exclude: vec![Ipv4Addr::new(198, 18, 0, 150)],
            classes: vec!["pxe".into()],
            options: vec![opt("domain-name", OptionValue::Text("pool.test".into()))],
            origin: Origin::new("dhcpd.conf", 12),
        });
        subnet.reservations.push(ReservationPlan {
            hw_address: Some("52:54:00:00:00:01".into()),
            address: Some(Ipv4Addr::new(198, 18, 0, 10)),
            hostname: Some("printer".into()),
            boot_file: Some("host.0".into()),
            options: vec![opt("domain-name", OptionValue::Text("host.test".into()))],
            origin: Origin::new("dhcpd.conf", 20),
            ..ReservationPlan::default()
        });
        subnet.reservations.push(ReservationPlan {
            client_id: Some("01:52:54:00:00:00:02".into()),
            address: Some(Ipv4Addr::new(198, 18, 0, 11)),
            ..ReservationPlan::default()
        });
        let plan = ConfigPlan {
            source: "ISC dhcpd: dhcpd.conf".into(),
            server: ServerPlan {
                lease_time: Some(3600),
                probation_time: Some(86400),
                always_send: vec!["domain-name-servers".into(), "224".into()],
                max_lease_time: Some(86400),
                renewal_time: Some(1200),
                rebinding_time: Some(2400),
                authoritative: Some(true),
                options: vec![opt(
                    "domain-name-servers",
                    OptionValue::List(vec![
                        OptionValue::Text("198.18.0.53".into()),
                        OptionValue::Text("198.18.0.54".into()),
                    ]),
                )],
                ..ServerPlan::default()
            },
            classes: vec![ClassPlan {
                name: "pxe".into(),
                vendor_class: Some("PXEClient".into()),
                arch: vec![0, 7],
                boot_file: Some("undionly.kpxe".into()),
                next_server: Some(Ipv4Addr::new(198, 18, 0, 1)),
                origin: Origin::new("dhcpd.conf", 5),
                ..ClassPlan::default()
            }],
            subnets: vec![subnet],
            tftp: Some(TftpPlan {
                root: "/srv/tftp".into(),
                listen: Some("127.0.0.1:1069".into()),
                origin: Origin::new("dnsmasq.conf", 30),
            }),
        };
        let text = plan.to_toml();
        let cfg = Config::from_toml(&text, Path::new("imported.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(cfg.subnets.len(), 1);
        assert_eq!(cfg.classes.len(), 1);
        assert_eq!(cfg.subnets[0].reservations.len(), 2);
        assert_eq!(cfg.server.lease.renewal_time, Some(1200));
        assert_eq!(cfg.server.probation_time, 86400);
        assert_eq!(cfg.server.always_send, vec![6, 224]);
        assert_eq!(cfg.server.lease.rebinding_time, Some(2400));
        assert_eq!(cfg.subnets[0].lease.renewal_time, Some(200));
        assert_eq!(cfg.subnets[0].lease.rebinding_time, Some(400));
        assert!(text.contains("# from dhcpd.conf:12"), "{text}");
        assert_eq!(
            cfg.subnets[0].shared_network.as_deref(),
            Some("lab \"one\"")
        );
        let tftp = cfg.tftp.as_ref().expect("[tftp] written");
        assert_eq!(tftp.root, Path::new("/srv/tftp"));
        assert!(text.contains("# from dnsmasq.conf:30\n[tftp]"), "{text}");
    }

    /// A proxy subnet (dnsmasq's `dhcp-range=...,proxy`) is written with `proxy = true`.
    #[test]
    fn proxy_subnet_is_written() {
        let mut subnet = SubnetPlan::new(
            "198.18.80.0/24".parse().expect("net"),
            Origin::new("dnsmasq.conf", 4),
        );
        subnet.proxy = true;
        subnet.boot_file = Some("undionly.kpxe".into());
        let plan = ConfigPlan {
            subnets: vec![subnet],
            ..ConfigPlan::default()
        };
        let text = plan.to_toml();
        let cfg = Config::from_toml(&text, Path::new("imported.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(cfg.subnets[0].proxy, "{text}");
    }
}
