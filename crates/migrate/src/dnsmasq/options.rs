//! `dhcp-option` values: dnsmasq's option names and codes, and its comma-separated values turned
//! into Leasehold's option values (docs/configuration.md, "Option values") by the option's
//! format, each checked with the same encoder the configuration parser uses.

use super::conf::Arg;
use super::hex;
use crate::OptionValue;
use leasehold_wire::registry::{self, OptionDef, OptionFormat};
use std::net::Ipv4Addr;

/// dnsmasq's DHCPv4 option names (`dnsmasq --help dhcp`, src/dhcp-common.c `opttab`) → code.
const NAMES: &[(&str, u8)] = &[
    ("netmask", 1),
    ("time-offset", 2),
    ("router", 3),
    ("dns-server", 6),
    ("log-server", 7),
    ("lpr-server", 9),
    ("hostname", 12),
    ("boot-file-size", 13),
    ("domain-name", 15),
    ("swap-server", 16),
    ("root-path", 17),
    ("extension-path", 18),
    ("ip-forward-enable", 19),
    ("non-local-source-routing", 20),
    ("policy-filter", 21),
    ("max-datagram-reassembly", 22),
    ("default-ttl", 23),
    ("mtu", 26),
    ("all-subnets-local", 27),
    ("broadcast", 28),
    ("router-discovery", 31),
    ("router-solicitation", 32),
    ("static-route", 33),
    ("trailer-encapsulation", 34),
    ("arp-timeout", 35),
    ("ethernet-encap", 36),
    ("tcp-ttl", 37),
    ("tcp-keepalive", 38),
    ("nis-domain", 40),
    ("nis-server", 41),
    ("ntp-server", 42),
    ("vendor-encap", 43),
    ("netbios-ns", 44),
    ("netbios-dd", 45),
    ("netbios-nodetype", 46),
    ("netbios-scope", 47),
    ("x-windows-fs", 48),
    ("x-windows-dm", 49),
    ("requested-address", 50),
    ("lease-time", 51),
    ("option-overload", 52),
    ("message-type", 53),
    ("server-identifier", 54),
    ("parameter-request", 55),
    ("message", 56),
    ("max-message-size", 57),
    ("T1", 58),
    ("T2", 59),
    ("vendor-class", 60),
    ("client-id", 61),
    ("nis+-domain", 64),
    ("nis+-server", 65),
    ("tftp-server", 66),
    ("bootfile-name", 67),
    ("mobile-ip-home", 68),
    ("smtp-server", 69),
    ("pop3-server", 70),
    ("nntp-server", 71),
    ("irc-server", 74),
    ("user-class", 77),
    ("rapid-commit", 80),
    ("FQDN", 81),
    ("agent-info", 82),
    ("last-transaction", 91),
    ("associated-ip", 92),
    ("client-arch", 93),
    ("client-interface-id", 94),
    ("client-machine-id", 97),
    ("posix-timezone", 100),
    ("tzdb-timezone", 101),
    ("ipv6-only", 108),
    ("captive-portal", 114),
    ("subnet-select", 118),
    ("domain-search", 119),
    ("sip-server", 120),
    ("classless-static-route", 121),
    ("vendor-id-encap", 125),
    ("tftp-server-address", 150),
    ("server-ip-address", 255),
];

/// Options Leasehold sets itself (its configuration parser refuses them), with what to use.
/// (58 and 59 are `renewal_time`/`rebinding_time`: see `build`.)
pub const MANAGED: &[(u8, &str)] = &[
    (50, "sent by clients"),
    (51, "the lease time comes from `dhcp-range`/`lease_time`"),
    (52, "the server decides overload"),
    (53, "the server sets the message type"),
    (
        54,
        "the server identifier is the server's own address (`server_id`)",
    ),
    (55, "sent by clients"),
    (57, "sent by clients"),
    (61, "the server echoes the client's own"),
    (82, "the server echoes the relay's own"),
];

/// The code of `option:NAME` (dnsmasq's names, then Leasehold's), or of a bare number.
pub fn code(spec: &str) -> Option<u16> {
    if let Ok(n) = spec.parse::<u16>() {
        return Some(n);
    }
    let name = spec.strip_prefix("option:")?;
    if let Ok(n) = name.parse::<u16>() {
        return Some(n);
    }
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| u16::from(*c))
        .or_else(|| registry::by_name(name).map(|d| u16::from(d.code)))
}

/// Leasehold's name for `code` (its registry name, else the code as text).
pub fn name(code: u8) -> String {
    registry::by_code(code).map_or_else(|| code.to_string(), |d| d.name.to_string())
}

/// Why a value could not be carried over.
pub type Why = String;

/// The value of option `code` from dnsmasq's fields, in Leasehold's form. `own` is the address
/// dnsmasq's `0.0.0.0` stands for ("the machine running dnsmasq"), when the importer knows it.
pub fn value(code: u8, args: &[Arg], own: Option<Ipv4Addr>) -> Result<OptionValue, Why> {
    let def = registry::by_code(code).copied().unwrap_or(OptionDef {
        code,
        name: "unknown",
        format: OptionFormat::Bytes,
    });
    let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    let v = match def.format {
        OptionFormat::Ip | OptionFormat::IpList | OptionFormat::IpPairs => {
            let mut list = Vec::new();
            for a in args {
                // dnsmasq also accepts "a.b.c.d/len" in address lists (as RFC 3442 routes).
                let ip: Ipv4Addr = a
                    .text
                    .parse()
                    .map_err(|_| format!("{:?} is not an IPv4 address", a.text))?;
                let ip = if ip.is_unspecified() {
                    own.ok_or_else(|| {
                        "0.0.0.0 stands for dnsmasq's own address, which the importer cannot see"
                            .to_string()
                    })?
                } else {
                    ip
                };
                list.push(OptionValue::Text(ip.to_string()));
            }
            if def.format == OptionFormat::Ip && list.len() == 1 {
                list.remove(0)
            } else {
                OptionValue::List(list)
            }
        }
        OptionFormat::U8 | OptionFormat::U16 | OptionFormat::U32 | OptionFormat::I32 => {
            let [one] = texts.as_slice() else {
                return Err("expected one number".into());
            };
            OptionValue::Number(number(one)?)
        }
        OptionFormat::U16List => OptionValue::List(
            texts
                .iter()
                .map(|t| number(t).map(OptionValue::Number))
                .collect::<Result<_, _>>()?,
        ),
        OptionFormat::Bool => {
            let [one] = texts.as_slice() else {
                return Err("expected 0 or 1".into());
            };
            match number(one)? {
                0 => OptionValue::Bool(false),
                1 => OptionValue::Bool(true),
                n => return Err(format!("{n} is not a flag (0 or 1)")),
            }
        }
        OptionFormat::Text => OptionValue::Text(texts.join(",")),
        OptionFormat::DomainList => OptionValue::List(
            texts
                .iter()
                .map(|t| OptionValue::Text((*t).into()))
                .collect(),
        ),
        OptionFormat::ClasslessRoutes => {
            if !texts.len().is_multiple_of(2) {
                return Err("classless routes come in pairs: destination/len,router".into());
            }
            OptionValue::List(
                texts
                    .chunks(2)
                    .map(|p| OptionValue::Text(format!("{} {}", p[0], p[1])))
                    .collect(),
            )
        }
        OptionFormat::Bytes => OptionValue::Text(opaque(args)?),
        OptionFormat::SubOptions => return Err("added by relay agents".into()),
    };
    check(&def, &v)?;
    Ok(v)
}

/// Opaque bytes as dnsmasq reads them: hex (`01:02`), quoted or plain text, or addresses.
fn opaque(args: &[Arg]) -> Result<String, Why> {
    let mut out = Vec::new();
    for a in args {
        if !a.quoted && a.text.contains(':') {
            if let Some(b) = hex::bytes(&a.text) {
                out.extend(b);
                continue;
            }
        }
        if !a.quoted && a.text.contains('.') {
            if let Ok(ip) = a.text.parse::<Ipv4Addr>() {
                out.extend(ip.octets());
                continue;
            }
        }
        if !a.quoted && !a.text.is_empty() && a.text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "the number {} has no size the importer can know (dnsmasq guesses it; \
                 write the bytes as hex)",
                a.text
            ));
        }
        out.extend(a.text.as_bytes());
    }
    if out.is_empty() {
        return Err("no value".into());
    }
    Ok(hex::colon(&out))
}

/// A decimal number (dnsmasq allows a trailing size letter b/s/i).
fn number(t: &str) -> Result<i64, Why> {
    let digits = t.strip_suffix(['b', 's', 'i']).unwrap_or(t);
    digits
        .parse::<i64>()
        .map_err(|_| format!("{t:?} is not a number"))
}

/// The value as the configuration parser will encode it: refused values become findings here
/// instead of a file that fails `check-config`.
fn check(def: &OptionDef, v: &OptionValue) -> Result<(), Why> {
    fn items(v: &OptionValue, out: &mut Vec<String>) {
        match v {
            OptionValue::Text(s) => out.push(s.clone()),
            OptionValue::Number(n) => out.push(n.to_string()),
            OptionValue::Bool(b) => out.push(b.to_string()),
            OptionValue::List(l) => l.iter().for_each(|i| items(i, out)),
        }
    }
    let mut texts = Vec::new();
    items(v, &mut texts);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    registry::encode_text(def, &refs).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Arg> {
        list.iter()
            .map(|t| Arg {
                text: (*t).into(),
                quoted: false,
            })
            .collect()
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(code("3"), Some(3));
        assert_eq!(code("option:router"), Some(3));
        assert_eq!(code("option:dns-server"), Some(6));
        assert_eq!(
            code("option:ntp-servers"),
            Some(42),
            "Leasehold's names too"
        );
        assert_eq!(code("option:no-such"), None);
        assert_eq!(code("router"), None, "a bare name is a tag in dnsmasq");
        assert_eq!(name(6), "domain-name-servers");
        assert_eq!(name(209), "209");
    }

    #[test]
    fn values_by_format() {
        assert_eq!(
            value(6, &args(&["198.18.0.1", "198.18.0.2"]), None),
            Ok(OptionValue::List(vec![
                OptionValue::Text("198.18.0.1".into()),
                OptionValue::Text("198.18.0.2".into())
            ]))
        );
        assert!(value(3, &args(&["0.0.0.0"]), None).is_err());
        assert_eq!(
            value(3, &args(&["0.0.0.0"]), Some(Ipv4Addr::new(198, 18, 0, 1))),
            Ok(OptionValue::List(vec![OptionValue::Text(
                "198.18.0.1".into()
            )]))
        );
        assert_eq!(
            value(26, &args(&["1500"]), None),
            Ok(OptionValue::Number(1500))
        );
        assert_eq!(value(19, &args(&["0"]), None), Ok(OptionValue::Bool(false)));
        assert_eq!(
            value(15, &args(&["example.test"]), None),
            Ok(OptionValue::Text("example.test".into()))
        );
        assert_eq!(
            value(121, &args(&["198.18.5.0/24", "198.18.0.1"]), None),
            Ok(OptionValue::List(vec![OptionValue::Text(
                "198.18.5.0/24 198.18.0.1".into()
            )]))
        );
        assert_eq!(
            value(209, &args(&["pxelinux.cfg/default"]), None),
            Ok(OptionValue::Text(hex::colon(b"pxelinux.cfg/default")))
        );
        assert_eq!(
            value(224, &args(&["01:02:ff"]), None),
            Ok(OptionValue::Text("01:02:ff".into()))
        );
        assert!(value(224, &args(&["17"]), None).is_err());
        assert!(value(26, &args(&["big"]), None).is_err());
        assert!(
            value(23, &args(&["300"]), None).is_err(),
            "too big for a byte"
        );
    }
}
