//! The DHCP lines of dnsmasq.conf as typed records, field by field as dnsmasq's own option
//! parser (src/option.c) tells them apart. An `Err` is the reason the line is not carried over.

use super::conf::{Arg, Directive};
use super::hex::{self, MacPattern};
use super::options;
use crate::Origin;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a line is not carried over.
pub type Why = String;

/// `tag:NAME` (or `tag:!NAME`) in a condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagRef {
    /// The tag.
    pub name: String,
    /// `!NAME` (or the old `#NAME`): the tag must not be set.
    pub negated: bool,
}

impl TagRef {
    fn parse(s: &str) -> TagRef {
        match s.strip_prefix('!').or_else(|| s.strip_prefix('#')) {
            Some(n) => TagRef {
                name: n.to_string(),
                negated: true,
            },
            None => TagRef {
                name: s.to_string(),
                negated: false,
            },
        }
    }
}

impl std::fmt::Display for TagRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tag:{}{}",
            if self.negated { "!" } else { "" },
            self.name
        )
    }
}

/// `tag:`/`net:` prefixed fields at the front (dnsmasq's `dhcp_tags`); returns the rest.
fn leading_tags(args: &[Arg]) -> (Vec<TagRef>, &[Arg]) {
    let mut tags = Vec::new();
    let mut rest = args;
    while let Some((first, tail)) = rest.split_first() {
        match first
            .text
            .strip_prefix("tag:")
            .or_else(|| first.text.strip_prefix("net:"))
        {
            Some(t) => {
                tags.push(TagRef::parse(t));
                rest = tail;
            }
            None => break,
        }
    }
    (tags, rest)
}

/// What a `dhcp-range` hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeMode {
    /// Addresses `start..=end`.
    Pool,
    /// `static`: only `dhcp-host` addresses.
    Static,
    /// `proxy`: proxy DHCP (boot information only).
    Proxy,
}

/// One IPv4 `dhcp-range`.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// Its line.
    pub origin: Origin,
    /// `tag:` conditions.
    pub filter: Vec<TagRef>,
    /// `set:` tag.
    pub set: Option<String>,
    /// First address (the network's address for `static`/`proxy`).
    pub start: Ipv4Addr,
    /// Last address.
    pub end: Ipv4Addr,
    /// Pool, static or proxy.
    pub mode: RangeMode,
    /// The netmask, when given.
    pub netmask: Option<Ipv4Addr>,
    /// Lease time in seconds (`infinite` = `u32::MAX`).
    pub lease: Option<u32>,
}

/// `dhcp-range=[tag:..,][set:..,]start,end|static|proxy[,netmask[,broadcast]][,lease time]`.
pub fn range(d: &Directive) -> Result<Range, Why> {
    let mut filter = Vec::new();
    let mut set = None;
    let mut rest: &[Arg] = &d.args;
    // Fields before the start address are tags: the address is the first field made only of
    // hex digits, dots, colons and spaces (dnsmasq's test).
    while let Some((first, tail)) = rest.split_first() {
        let addr_like = first
            .text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | ' '));
        if addr_like || tail.is_empty() {
            break;
        }
        if let Some(t) = first
            .text
            .strip_prefix("tag:")
            .or_else(|| first.text.strip_prefix("net:"))
        {
            if !t.is_empty() {
                filter.push(TagRef::parse(t));
            }
        } else if set.is_some() {
            return Err("more than one `set:` tag (dnsmasq refuses it too)".into());
        } else {
            let t = first.text.strip_prefix("set:").unwrap_or(&first.text);
            if let Some(iface) = t.strip_prefix("interface:") {
                return Err(format!(
                    "`interface:{iface}` ranges (dnsmasq's old syntax) are not carried over: \
                     give the range's own subnet"
                ));
            }
            set = Some(t.to_string());
        }
        rest = tail;
    }
    let texts: Vec<&str> = rest.iter().map(|a| a.text.as_str()).collect();
    let Some((first, more)) = texts.split_first() else {
        return Err("`dhcp-range` without addresses".into());
    };
    if first.parse::<Ipv6Addr>().is_ok() || (first.contains(':') && !first.contains('.')) {
        return Err(
            "IPv6 range (DHCPv6 / router advertisements) not carried over: Leasehold serves \
             DHCPv4 only"
                .into(),
        );
    }
    let start: Ipv4Addr = first
        .parse()
        .map_err(|_| format!("{first:?} is not an IPv4 address (bad dhcp-range)"))?;
    let Some((second, more)) = more.split_first() else {
        return Err("`dhcp-range` needs an end address, `static` or `proxy`".into());
    };
    let (mode, mut end) = match *second {
        "static" => (RangeMode::Static, start),
        "proxy" => (RangeMode::Proxy, start),
        s => (
            RangeMode::Pool,
            s.parse::<Ipv4Addr>()
                .map_err(|_| format!("{s:?} is not an IPv4 address (bad dhcp-range)"))?,
        ),
    };
    let mut start = start;
    if u32::from(start) > u32::from(end) {
        std::mem::swap(&mut start, &mut end);
    }
    let mut rest = more;
    let mut netmask = None;
    if let Some((m, tail)) = rest.split_first() {
        if m.contains('.') {
            if let Ok(mask) = m.parse::<Ipv4Addr>() {
                netmask = Some(mask);
                rest = tail;
                if let Some((b, tail)) = rest.split_first() {
                    if b.contains('.') && b.parse::<Ipv4Addr>().is_ok() {
                        rest = tail;
                    }
                }
            }
        }
    }
    let lease = match rest {
        [] => None,
        [t] => Some(lease_time(t).ok_or_else(|| format!("{t:?} is not a lease time"))?),
        _ => return Err("unexpected fields after the lease time (bad dhcp-range)".into()),
    };
    Ok(Range {
        origin: Origin::new(&d.file, d.line),
        filter,
        set,
        start,
        end,
        mode,
        netmask,
        lease,
    })
}

/// A dnsmasq time: seconds, or with `s`/`m`/`h`/`d`/`w`, or `infinite` (`u32::MAX`); at least
/// 120 seconds, as dnsmasq enforces.
pub fn lease_time(t: &str) -> Option<u32> {
    if t == "infinite" {
        return Some(u32::MAX);
    }
    let (digits, factor) = match t.char_indices().last()? {
        (i, 'w' | 'W') => (&t[..i], 7 * 24 * 3600),
        (i, 'd' | 'D') => (&t[..i], 24 * 3600),
        (i, 'h' | 'H') => (&t[..i], 3600),
        (i, 'm' | 'M') => (&t[..i], 60),
        (i, 's' | 'S') => (&t[..i], 1),
        _ => (t, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let secs = n.checked_mul(factor)?.max(120);
    Some(
        u32::try_from(secs)
            .unwrap_or(u32::MAX - 1)
            .min(u32::MAX - 1),
    )
}

/// One `dhcp-host`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Host {
    /// Its line.
    pub origin: Origin,
    /// Hardware addresses (patterns).
    pub macs: Vec<MacPattern>,
    /// `id:` client identifier bytes.
    pub client_id: Option<Vec<u8>>,
    /// `id:*`: ignore the client id, match on the hardware address.
    pub id_star: bool,
    /// `set:` tags.
    pub set: Vec<String>,
    /// `tag:` conditions.
    pub filter: Vec<TagRef>,
    /// The IPv4 address.
    pub addr: Option<Ipv4Addr>,
    /// The host name.
    pub hostname: Option<String>,
    /// Lease time.
    pub lease: Option<u32>,
    /// `ignore`.
    pub ignore: bool,
    /// IPv6 addresses (`[..]`).
    pub v6: Vec<String>,
}

/// `dhcp-host=[hwaddr..][,id:client_id|*][,set:tag][,tag:tag][,ipaddr][,hostname][,lease][,ignore]`.
pub fn host(d: &Directive) -> Result<Host, Why> {
    host_fields(&d.args, Origin::new(&d.file, d.line))
}

/// The fields of a `dhcp-host` (also a line of a `dhcp-hostsfile`).
pub fn host_fields(args: &[Arg], origin: Origin) -> Result<Host, Why> {
    let mut h = Host {
        origin,
        ..Host::default()
    };
    for a in args {
        let t = a.text.as_str();
        if t.is_empty() {
            continue;
        }
        if t.contains(':') {
            if let Some(id) = t.strip_prefix("id:").or_else(|| t.strip_prefix("ID:")) {
                if id.starts_with('*') {
                    h.id_star = true;
                } else if id.contains(':') {
                    h.client_id =
                        Some(hex::bytes(id).ok_or_else(|| format!("bad client id {id:?}"))?);
                } else {
                    h.client_id = Some(id.as_bytes().to_vec());
                }
            } else if let Some(tag) = t.strip_prefix("set:").or_else(|| t.strip_prefix("net:")) {
                h.set.push(tag.to_string());
            } else if let Some(tag) = t.strip_prefix("tag:") {
                h.filter.push(TagRef::parse(tag));
            } else if t.starts_with('[') && t.ends_with(']') {
                h.v6.push(t.to_string());
            } else {
                h.macs.push(
                    hex::mac_pattern(t)
                        .ok_or_else(|| format!("{t:?} is not a hardware address"))?,
                );
            }
        } else if let Some(ip) = t
            .contains('.')
            .then(|| t.parse::<Ipv4Addr>().ok())
            .flatten()
        {
            h.addr = Some(ip);
        } else if t == "infinite" {
            h.lease = Some(u32::MAX);
        } else if t == "ignore" {
            h.ignore = true;
        } else if let Some(l) = t
            .bytes()
            .next()
            .filter(u8::is_ascii_digit)
            .and_then(|_| lease_time(t))
        {
            h.lease = Some(l);
        } else if h.hostname.is_some() {
            return Err("more than one host name (dnsmasq refuses it too)".into());
        } else {
            if !legal_hostname(t) {
                return Err(format!("{t:?} is not a host name"));
            }
            h.hostname = Some(t.to_string());
        }
    }
    Ok(h)
}

/// RFC 1123 labels separated by dots.
fn legal_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A class match key a tag stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Option 60 (dnsmasq: substring; Leasehold: prefix).
    Vendor(String),
    /// Option 77.
    User(String),
    /// Option 93 contains this.
    Arch(u16),
    /// Option 175 present / absent.
    Ipxe(bool),
    /// chaddr prefix `"52:54:00"`.
    HwPrefix(String),
    /// Option 82 circuit id (text or `0x` hex).
    Circuit(String),
    /// Option 82 remote id (text or `0x` hex).
    Remote(String),
    /// Has / has no `dhcp-host`.
    Known(bool),
}

/// A line that sets a tag when a request matches: `dhcp-vendorclass`, `dhcp-userclass`,
/// `dhcp-match`, `dhcp-mac`, `dhcp-circuitid`, `dhcp-remoteid`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    /// Its line.
    pub origin: Origin,
    /// The tag it sets.
    pub tag: String,
    /// What it matches.
    pub key: Key,
}

/// The matcher lines; `d.key` says which.
pub fn matcher(d: &Directive) -> Result<Matcher, Why> {
    let texts = d.texts();
    let Some((tag, rest)) = texts.split_first() else {
        return Err(format!("`{}` without a tag", d.key));
    };
    let tag = tag.strip_prefix("set:").unwrap_or(tag).to_string();
    let origin = Origin::new(&d.file, d.line);
    let key = match d.key.as_str() {
        "dhcp-vendorclass" => match rest {
            [v] if !v.is_empty() && v.len() <= 255 => Key::Vendor((*v).to_string()),
            [e, _] if e.starts_with("enterprise:") => {
                return Err("`enterprise:` vendor classes are DHCPv6 only".into())
            }
            _ => return Err("expected set:TAG,VENDOR-CLASS".into()),
        },
        "dhcp-userclass" => match rest {
            [u] => Key::User(id_text(u)?),
            _ => return Err("expected set:TAG,USER-CLASS".into()),
        },
        "dhcp-mac" => {
            let [m] = rest else {
                return Err("expected set:TAG,MAC".into());
            };
            let p = hex::mac_pattern(m).ok_or_else(|| format!("{m:?} is not a MAC pattern"))?;
            if !p.is_ethernet() {
                return Err(
                    "hardware type prefixes other than 1 (Ethernet) have no class key".into(),
                );
            }
            let fixed = p.exact().or_else(|| p.prefix()).ok_or_else(|| {
                "wildcards other than trailing bytes have no class key (hw_address_prefix)"
                    .to_string()
            })?;
            if fixed.len() > 6 {
                return Err("hw_address_prefix holds at most 6 bytes".into());
            }
            Key::HwPrefix(hex::colon(&fixed))
        }
        "dhcp-circuitid" | "dhcp-remoteid" => {
            let [v] = rest else {
                return Err(format!("expected set:TAG,VALUE for `{}`", d.key));
            };
            let is_hex = v.contains(':') && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            let value = match is_hex.then(|| hex::bytes(v)).flatten() {
                Some(b) if b.len() <= 255 => format!("0x{}", leasehold_wire::hex::encode(&b, None)),
                Some(_) => return Err("longer than 255 bytes".into()),
                None => id_text(v)?,
            };
            if d.key == "dhcp-circuitid" {
                Key::Circuit(value)
            } else {
                Key::Remote(value)
            }
        }
        "dhcp-match" => match_key(rest)?,
        other => return Err(format!("`{other}` is not a tag matcher")),
    };
    Ok(Matcher { origin, tag, key })
}

/// A user class, circuit id or remote id as Leasehold writes it: the text, or `0x` hex when
/// the text itself starts with `0x` (which Leasehold would read as hex); 1–255 bytes.
fn id_text(v: &str) -> Result<String, Why> {
    if v.is_empty() || v.len() > 255 {
        return Err(format!("{v:?} must be 1 to 255 bytes"));
    }
    if v.starts_with("0x") || v.starts_with("0X") {
        return Ok(format!(
            "0x{}",
            leasehold_wire::hex::encode(v.as_bytes(), None)
        ));
    }
    Ok(v.to_string())
}

/// `dhcp-match=set:TAG,OPTION[,VALUE]`: options 60, 77, 93 and 175 have class keys.
fn match_key(rest: &[&str]) -> Result<Key, Why> {
    let Some((opt, value)) = rest.split_first() else {
        return Err("expected set:TAG,OPTION[,VALUE]".into());
    };
    if opt.starts_with("vi-encap:") || opt.starts_with("option6:") {
        return Err(format!("`{opt}` matches have no Leasehold class key"));
    }
    let code = options::code(opt).ok_or_else(|| format!("unknown option {opt:?}"))?;
    let value = value.first().copied();
    Ok(match (code, value) {
        (175, None) => Key::Ipxe(true),
        (77, Some(v)) => Key::User(id_text(v)?),
        (60, Some(v)) if !v.is_empty() && v.len() <= 255 => Key::Vendor(v.to_string()),
        (93, Some(v)) => Key::Arch(
            v.parse()
                .map_err(|_| format!("{v:?} is not an architecture number"))?,
        ),
        (c, None) => {
            return Err(format!(
                "a match on option {c} being present has no class key (Leasehold matches the \
                 presence of option 175 only)"
            ))
        }
        (c, Some(v)) => {
            return Err(format!(
                "a match of option {c} against {v:?} has no class key (Leasehold matches \
                 options 60, 77 and 93 by value)"
            ))
        }
    })
}

/// One `dhcp-option` / `dhcp-option-force`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptLine {
    /// Its line.
    pub origin: Origin,
    /// Tag conditions.
    pub tags: Vec<TagRef>,
    /// The option code.
    pub code: u8,
    /// The value fields.
    pub args: Vec<Arg>,
    /// `dhcp-option-force`.
    pub force: bool,
}

/// `dhcp-option=[tag:..,][encap:..,][vi-encap:..,][vendor:..,]OPT,[VALUE..]`.
pub fn option(d: &Directive) -> Result<OptLine, Why> {
    option_fields(
        &d.args,
        Origin::new(&d.file, d.line),
        d.key == "dhcp-option-force",
    )
}

/// The fields of a `dhcp-option` (also a line of a `dhcp-optsfile`).
pub fn option_fields(args: &[Arg], origin: Origin, force: bool) -> Result<OptLine, Why> {
    let mut tags = Vec::new();
    let mut rest = args;
    let code = loop {
        let Some((first, tail)) = rest.split_first() else {
            return Err("no option number or name".into());
        };
        rest = tail;
        let t = first.text.as_str();
        if t.starts_with("option6:") {
            return Err("DHCPv6 option not carried over: Leasehold serves DHCPv4 only".into());
        }
        if t.starts_with("vendor:") || t.starts_with("encap:") || t.starts_with("vi-encap:") {
            return Err(format!(
                "`{}` (encapsulated options) has no Leasehold form; send the whole option \
                 (e.g. 43) as hex bytes instead",
                t.split(':').next().unwrap_or(t)
            ));
        }
        if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() || t.starts_with("option:") {
            let c = options::code(t).ok_or_else(|| format!("unknown option {t:?}"))?;
            break u8::try_from(c)
                .ok()
                .filter(|c| *c != 0)
                .ok_or_else(|| format!("option {c} is not a DHCPv4 option code"))?;
        }
        let tag = t
            .strip_prefix("tag:")
            .or_else(|| t.strip_prefix("net:"))
            .or_else(|| t.strip_prefix("set:"))
            .unwrap_or(t);
        tags.push(TagRef::parse(tag));
    };
    Ok(OptLine {
        origin,
        tags,
        code,
        args: rest.to_vec(),
        force,
    })
}

/// One `dhcp-boot`.
#[derive(Clone, Debug, PartialEq)]
pub struct Boot {
    /// Its line.
    pub origin: Origin,
    /// Tag conditions.
    pub tags: Vec<TagRef>,
    /// `file`.
    pub file: String,
    /// `sname`.
    pub sname: Option<String>,
    /// `siaddr` (absent: dnsmasq's own address).
    pub server: Option<Ipv4Addr>,
}

/// `dhcp-boot=[tag:..,]file[,servername[,server address|tftp server name]]`.
pub fn boot(d: &Directive) -> Result<Boot, Why> {
    let (tags, rest) = leading_tags(&d.args);
    let texts: Vec<&str> = rest.iter().map(|a| a.text.as_str()).collect();
    let (file, sname, server) = match texts.as_slice() {
        [f] => (*f, None, None),
        [f, s] => (*f, Some(*s), None),
        [f, s, a] => {
            let ip: Ipv4Addr = a.parse().map_err(|_| {
                format!(
                    "the TFTP server is given by name ({a:?}), which dnsmasq looks up in \
                     /etc/hosts; Leasehold needs its address"
                )
            })?;
            (*f, Some(*s), Some(ip))
        }
        _ => return Err("expected [tag:..,]FILE[,SERVERNAME[,ADDRESS]]".into()),
    };
    if file.is_empty() {
        return Err("`dhcp-boot` without a file".into());
    }
    Ok(Boot {
        origin: Origin::new(&d.file, d.line),
        tags,
        file: file.to_string(),
        sname: sname.filter(|s| !s.is_empty()).map(str::to_string),
        server,
    })
}

/// The tags of `dhcp-ignore=tag:..[,tag:..]`.
pub fn ignore(d: &Directive) -> Result<Vec<TagRef>, Why> {
    let (tags, rest) = leading_tags(&d.args);
    if tags.is_empty() || !rest.is_empty() {
        return Err("expected tag:TAG[,tag:TAG]".into());
    }
    Ok(tags)
}

/// One `pxe-service=[tag:..,]CSA,menu text[,basename|boot service type][,server]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PxeService {
    /// Its line.
    pub origin: Origin,
    /// Tag conditions.
    pub tags: Vec<TagRef>,
    /// Client system architecture (option 93 number).
    pub arch: u16,
    /// The boot file (basename with `.0` added when it has no suffix); `None` for local boot
    /// or a boot service type.
    pub file: Option<String>,
    /// The TFTP server.
    pub server: Option<Ipv4Addr>,
}

/// dnsmasq's client system type names, by architecture number.
const CSA: &[&str] = &[
    "x86PC",
    "PC98",
    "IA64_EFI",
    "Alpha",
    "Arc_x86",
    "Intel_Lean_Client",
    "IA32_EFI",
    "x86-64_EFI",
    "Xscale_EFI",
    "BC_EFI",
    "ARM32_EFI",
    "ARM64_EFI",
];

/// Parses `pxe-service`.
pub fn pxe_service(d: &Directive) -> Result<PxeService, Why> {
    let (tags, rest) = leading_tags(&d.args);
    let texts: Vec<&str> = rest.iter().map(|a| a.text.as_str()).collect();
    let Some((csa, rest)) = texts.split_first() else {
        return Err("expected CSA,MENU TEXT[,BASENAME][,SERVER]".into());
    };
    let arch = CSA
        .iter()
        .position(|n| n.eq_ignore_ascii_case(csa))
        .and_then(|i| u16::try_from(i).ok())
        .or_else(|| csa.parse().ok())
        .ok_or_else(|| format!("{csa:?} is not a client system type"))?;
    let (file, server) = match rest {
        [_menu] => (None, None),
        [_menu, f, more @ ..] => {
            if f.len() > 125 {
                return Err("boot file longer than 127 bytes (the `file` field)".into());
            }
            let file = if f.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else if f.contains('.') {
                Some((*f).to_string())
            } else {
                Some(format!("{f}.0"))
            };
            let server = match more {
                [] => None,
                [s] => Some(s.parse().map_err(|_| {
                    format!("the boot server is given by name ({s:?}); Leasehold needs its address")
                })?),
                _ => return Err("too many fields".into()),
            };
            (file, server)
        }
        _ => return Err("expected CSA,MENU TEXT[,BASENAME][,SERVER]".into()),
    };
    Ok(PxeService {
        origin: Origin::new(&d.file, d.line),
        tags,
        arch,
        file,
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn d(line: &str) -> Directive {
        super::super::conf::parse_line(Path::new("d.conf"), 1, line)
            .expect("ok")
            .expect("line")
    }

    #[test]
    fn ranges_in_every_form() {
        let r = range(&d("dhcp-range=192.168.0.50,192.168.0.150,12h")).expect("range");
        assert_eq!(
            (r.start, r.end, r.lease),
            (
                "192.168.0.50".parse().unwrap_or(r.start),
                "192.168.0.150".parse().unwrap_or(r.end),
                Some(43200)
            )
        );
        assert_eq!(r.mode, RangeMode::Pool);
        let r = range(&d(
            "dhcp-range=set:red,192.168.0.50,192.168.0.150,255.255.255.0,infinite",
        ))
        .expect("range");
        assert_eq!(r.set.as_deref(), Some("red"));
        assert_eq!(r.netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(r.lease, Some(u32::MAX));
        let r = range(&d("dhcp-range=tag:green,192.168.0.0,static")).expect("static");
        assert_eq!(r.mode, RangeMode::Static);
        assert_eq!(r.filter[0].name, "green");
        let r = range(&d("dhcp-range=192.168.0.0,proxy")).expect("proxy");
        assert_eq!(r.mode, RangeMode::Proxy);
        let r = range(&d(
            "dhcp-range=lan,10.0.0.200,10.0.0.100,255.255.0.0,10.0.255.255,30m",
        ))
        .expect("bare tag, reversed ends, broadcast");
        assert_eq!(r.set.as_deref(), Some("lan"));
        assert_eq!(r.start, Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(r.lease, Some(1800));
        assert!(range(&d("dhcp-range=1234::2,1234::500,64,12h")).is_err());
        assert!(range(&d("dhcp-range=192.168.0.1,nonsense")).is_err());
        assert_eq!(lease_time("1m"), Some(120), "dnsmasq's minimum");
        assert_eq!(lease_time("2w"), Some(1_209_600));
        assert_eq!(lease_time("x"), None);
    }

    #[test]
    fn hosts_in_every_form() {
        let h = host(&d("dhcp-host=00:20:e0:3b:13:af,wap,infinite")).expect("host");
        assert_eq!(h.macs.len(), 1);
        assert_eq!(h.hostname.as_deref(), Some("wap"));
        assert_eq!(h.lease, Some(u32::MAX));
        let h = host(&d("dhcp-host=id:01:02:03:04,set:red,192.168.0.60,45m")).expect("id");
        assert_eq!(h.client_id, Some(vec![1, 2, 3, 4]));
        assert_eq!(h.set, vec!["red".to_string()]);
        assert_eq!(h.addr, Some(Ipv4Addr::new(192, 168, 0, 60)));
        assert_eq!(h.lease, Some(2700));
        let h = host(&d("dhcp-host=id:marjorie,192.168.0.61")).expect("text id");
        assert_eq!(h.client_id, Some(b"marjorie".to_vec()));
        let h = host(&d(
            "dhcp-host=11:22:33:44:55:66,12:34:56:78:90:12,192.168.0.2",
        ))
        .expect("2");
        assert_eq!(h.macs.len(), 2);
        let h = host(&d("dhcp-host=00:20:e0:3b:13:*,ignore")).expect("ignore");
        assert!(h.ignore);
        let h = host(&d("dhcp-host=laptop,[1234::56]")).expect("v6");
        assert_eq!(h.v6.len(), 1);
        assert!(host(&d("dhcp-host=a,b")).is_err(), "two names");
    }

    #[test]
    fn matchers_options_and_boot() {
        let m = matcher(&d("dhcp-match=set:ipxe,175")).expect("ipxe");
        assert_eq!((m.tag.as_str(), m.key), ("ipxe", Key::Ipxe(true)));
        let m = matcher(&d("dhcp-match=set:efi-x64,option:client-arch,7")).expect("arch");
        assert_eq!(m.key, Key::Arch(7));
        let m = matcher(&d("dhcp-vendorclass=set:pxe,PXEClient")).expect("vendor");
        assert_eq!(m.key, Key::Vendor("PXEClient".into()));
        let m = matcher(&d("dhcp-mac=set:3com,01:34:23:*:*:*")).expect("mac");
        assert_eq!(m.key, Key::HwPrefix("01:34:23".into()));
        let m = matcher(&d("dhcp-circuitid=set:port7,01:02:03")).expect("circuit");
        assert_eq!(m.key, Key::Circuit("0x010203".into()));
        assert!(matcher(&d("dhcp-match=set:x,option:user-class")).is_err());

        let o = option(&d(
            "dhcp-option=tag:red,tag:!known,option:ntp-server,192.168.0.4",
        ))
        .expect("o");
        assert_eq!(o.code, 42);
        assert_eq!(o.tags.len(), 2);
        assert!(o.tags[1].negated);
        let o = option(&d("dhcp-option=lan,3,192.168.4.4")).expect("bare tag");
        assert_eq!((o.tags[0].name.as_str(), o.code), ("lan", 3));
        assert!(option(&d("dhcp-option=vendor:PXEClient,1,0.0.0.0")).is_err());
        assert!(option(&d("dhcp-option=option6:dns-server,[::]")).is_err());

        let b = boot(&d("dhcp-boot=tag:bios,undionly.kpxe,boothost,192.168.0.3")).expect("boot");
        assert_eq!(b.file, "undionly.kpxe");
        assert_eq!(b.sname.as_deref(), Some("boothost"));
        assert_eq!(b.server, Some(Ipv4Addr::new(192, 168, 0, 3)));
        assert!(boot(&d("dhcp-boot=pxelinux.0,boothost,tftp.example")).is_err());

        let p = pxe_service(&d("pxe-service=x86PC, \"Install Linux\", pxelinux")).expect("pxe");
        assert_eq!((p.arch, p.file.as_deref()), (0, Some("pxelinux.0")));
        let p = pxe_service(&d("pxe-service=x86-64_EFI,\"Boot\",ipxe.efi,192.168.0.2")).expect("e");
        assert_eq!((p.arch, p.file.as_deref()), (7, Some("ipxe.efi")));
    }
}
